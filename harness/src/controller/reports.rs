//! Node report readers: one thread per candidate's stdout, turning each JSON line
//! (`{"type":"ok","f":"elected","value":{…}}`) into a history record whose process is the node,
//! and keeping a raw copy in `nodes/<node>/reports.jsonl`.
//!
//! Neighbours: [`super::cluster`] hands over each candidate's stdout pipe (again after every
//! restart); records go through [`super::recorder::Recorder`].
//!
//! Design: the threads are owned by [`Readers`] and joined by [`Readers::join`]; each waits on
//! its pipe with `poll` in 100 ms slices, so it ends at end of file (the process died or
//! stopped) or, once told to stop, as soon as the pipe has nothing more to give.

use super::log::Log;
use super::recorder::Recorder;
use serde_json::Value;
use splitbrain_checkers::{Process, Type};
use splitbrain_results::Event;
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ChildStdout;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The report reader threads of a run.
pub struct Readers {
    recorder: Arc<Recorder>,
    log: Arc<Log>,
    stop: Arc<AtomicBool>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Per node on a remote host: how long its reports may have been on the way, in ms.
    delays: Arc<Mutex<BTreeMap<String, f64>>>,
}

impl Readers {
    /// No readers yet.
    pub fn new(recorder: Arc<Recorder>, log: Arc<Log>) -> Readers {
        Readers {
            recorder,
            log,
            stop: Arc::default(),
            threads: Mutex::default(),
            delays: Arc::default(),
        }
    }

    /// From now on `node`'s reports carry `uncertainty_ms` (HISTORY.md): they happened up to
    /// `ms` before the controller stamped them (a remote host's one-way delay, as measured).
    pub fn widen(&self, node: &str, ms: f64) {
        self.delays.lock().unwrap_or_else(PoisonError::into_inner).insert(node.to_string(), ms);
    }

    /// Reads `stdout` of `node`'s candidate until it ends, copying raw lines to `copy`.
    pub fn watch(&self, node: &str, stdout: ChildStdout, copy: PathBuf) {
        let reader = Reader {
            node: node.to_string(),
            recorder: self.recorder.clone(),
            log: self.log.clone(),
            stop: self.stop.clone(),
            copy,
            delays: self.delays.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name(format!("reports-{node}"))
            .spawn(move || reader.run(stdout));
        match spawned {
            Ok(h) => self.threads.lock().unwrap_or_else(PoisonError::into_inner).push(h),
            Err(e) => self.log.info(format!("cannot read the reports of {node}: {e}")),
        }
    }

    /// Tells every reader to stop once its pipe is drained, and joins them (the processes
    /// should be stopped first, so that their last reports are read). Bounded by `limit`;
    /// a reader still stuck then is left to end with the sandbox, and said so.
    pub fn join(&self, limit: Duration) {
        self.stop.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + limit;
        let threads =
            std::mem::take(&mut *self.threads.lock().unwrap_or_else(PoisonError::into_inner));
        for h in threads {
            while !h.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if h.is_finished() {
                let _ = h.join();
            } else {
                self.log.debug("a report reader did not finish in time");
            }
        }
    }
}

struct Reader {
    node: String,
    recorder: Arc<Recorder>,
    log: Arc<Log>,
    stop: Arc<AtomicBool>,
    copy: PathBuf,
    delays: Arc<Mutex<BTreeMap<String, f64>>>,
}

impl Reader {
    fn run(self, mut stdout: ChildStdout) {
        let mut copy = OpenOptions::new().create(true).append(true).open(&self.copy).ok();
        let mut pending: Vec<u8> = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let tick = Instant::now() + Duration::from_millis(100);
            match splitbrain_nemesis::wait::readable(&stdout, tick) {
                Ok(true) => {}
                Ok(false) if self.stop.load(Ordering::SeqCst) => break,
                Ok(false) => continue,
                Err(_) => break,
            }
            let n = match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(c) = copy.as_mut() {
                let _ = c.write_all(&buf[..n]);
            }
            pending.extend_from_slice(&buf[..n]);
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                self.line(&line[..end]);
            }
        }
        if !pending.is_empty() {
            self.line(&pending);
        }
    }

    /// Records one report line; anything that is not a report goes to harness.log.
    fn line(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        if text.trim().is_empty() {
            return;
        }
        match parse(&text) {
            Some((kind, f, mut value)) => {
                let delay = self.delays.lock().unwrap_or_else(PoisonError::into_inner);
                if let (Some(ms), Some(v)) = (delay.get(&self.node), value.as_object_mut()) {
                    v.insert("uncertainty_ms".into(), (*ms).into());
                }
                drop(delay);
                let event = Event::new(Process::Node(self.node.clone()), kind, f, value);
                self.recorder.record(event);
            }
            None => self.log.debug(format!("{}: not a report: {}", self.node, text.trim())),
        }
    }
}

/// `{"type":T,"f":F,"value":V}` → its parts.
fn parse(text: &str) -> Option<(Type, String, Value)> {
    let v: Value = serde_json::from_str(text).ok()?;
    let kind: Type = serde_json::from_value(v.get("type")?.clone()).ok()?;
    let f = v.get("f")?.as_str()?.to_string();
    Some((kind, f, v.get("value").cloned().unwrap_or(Value::Null)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_report_line_becomes_its_type_name_and_value() {
        let (kind, f, value) =
            parse(r#"{"type":"ok","f":"elected","value":{"token":3,"term":3}}"#).unwrap();
        assert_eq!((kind, f.as_str(), value), (Type::Ok, "elected", json!({"token":3,"term":3})));
        assert!(parse("listening on 10.99.0.1:7000").is_none());
        assert!(parse(r#"{"type":"maybe","f":"elected"}"#).is_none());
    }
}
