//! Synthetic histories of the shape a real `splitbrain test` writes, written straight to a file
//! for `splitbrain bench check`: tenures under rising tokens, ten client workers writing,
//! reading and asking for status on any of five nodes, the fenced resource's decisions, and a
//! fault (partition, pause or kill of the leader) and seconds without a leader before every
//! new election, with the deposed leader's stale write refused. The history is valid for every checker by construction.
//!
//! Neighbours: `crate::cmd::bench_check` measures `check` on what this writes; the records are
//! HISTORY.md's, as `crate::controller::clients` and the recorder write them.
//!
//! Design: records are formatted by hand and streamed through a buffer, so a ten-million-record
//! file is written in seconds and never held; a register value takes effect at its operation's
//! completion, which lies between invocation and completion, so the register history is
//! linearizable. Time advances 0.2–4.6 ms per record (about the default rate of a real run:
//! an hour is 1.5 million records). One seed drives every choice.

use splitbrain_checkers::splitmix::SplitMix64 as Rng;
use std::io::{BufWriter, Write};
use std::path::Path;

const NODES: usize = 5;
const WORKERS: usize = 10;

/// A client operation under way.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Write(u64),
    Read,
    Status,
}

#[derive(Clone, Copy)]
struct Worker {
    process: i64,
    busy: Option<(Op, usize)>,
}

/// A leader is deposed only this many records before the end at the latest, so that its
/// successor's election (at most 1,500 records later) and the hand-over's 7 records fit.
const LAST_HAND_OVER: u64 = 1_500 + 7 + WORKERS as u64;

/// The faults that depose a leader: their begin and end records.
const FAULTS: [(&str, &str); 3] =
    [("start-partition", "stop-partition"), ("pause", "resume"), ("kill", "restart")];

struct Gen<W: Write> {
    out: W,
    rng: Rng,
    index: u64,
    time: u64,
    leader: usize,
    token: i64,
    register: Option<u64>,
    next_value: u64,
    next_process: i64,
    workers: Vec<Worker>,
    /// While a fault has deposed the leader and nobody is elected yet: the deposed leader, its
    /// token, the fault's kind and the record at which the next leader is elected.
    deposed: Option<(usize, i64, usize, u64)>,
}

/// Writes a valid history of `records` records (or one more: the last invocation's completion)
/// to `path`, ending with every operation completed and every node asked its final status;
/// returns how many it wrote.
pub fn write_history(path: &Path, records: u64, seed: u64) -> std::io::Result<u64> {
    let out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let workers = (0..WORKERS as i64).map(|p| Worker { process: p, busy: None }).collect();
    let mut g = Gen {
        out,
        rng: Rng(seed),
        index: 0,
        time: 0,
        leader: 0,
        token: 1,
        register: None,
        next_value: 1,
        next_process: WORKERS as i64,
        workers,
        deposed: None,
    };
    g.run(records)?;
    g.out.flush()?;
    Ok(g.index)
}

fn node(n: usize) -> String {
    format!("n{}", n + 1)
}

impl<W: Write> Gen<W> {
    fn run(&mut self, records: u64) -> std::io::Result<()> {
        self.report(self.leader, "elected")?;
        let mut term_ends = self.term_length();
        // What is left for the end: every busy worker's completion and a status per node.
        let tail = |g: &Self| {
            g.index
                + g.workers.iter().filter(|w| w.busy.is_some()).count() as u64
                + 2 * NODES as u64
        };
        while tail(self) < records {
            match self.deposed {
                Some((old, stale, kind, at)) if self.index >= at => {
                    self.elect(old, stale, kind)?;
                    term_ends = self.index + self.term_length();
                }
                None if self.index >= term_ends && tail(self) + LAST_HAND_OVER < records => {
                    self.depose()?
                }
                _ => {}
            }
            let w = self.rng.below(WORKERS as u64) as usize;
            match self.workers[w].busy {
                None => self.invoke(w)?,
                Some(op) => self.complete(w, op)?,
            }
        }
        self.finish()
    }

    /// Records between elections: a fault every few seconds of a real run.
    fn term_length(&mut self) -> u64 {
        2_000 + self.rng.below(6_000)
    }

    fn line(&mut self, process: &str, kind: &str, f: &str, rest: &str) -> std::io::Result<()> {
        self.time += 200_000 + self.rng.below(4_400_000);
        writeln!(
            self.out,
            r#"{{"index":{},"time":{},"process":{process},"type":"{kind}","f":"{f}"{rest}}}"#,
            self.index, self.time
        )?;
        self.index += 1;
        Ok(())
    }

    fn report(&mut self, n: usize, f: &str) -> std::io::Result<()> {
        let value = format!(r#","value":{{"token":{}}}"#, self.token);
        self.line(&format!("\"{}\"", node(n)), "ok", f, &value)
    }

    fn invoke(&mut self, w: usize) -> std::io::Result<()> {
        let op = match self.rng.below(20) {
            0..=8 => Op::Write(self.fresh_value()),
            9..=17 => Op::Read,
            _ => Op::Status,
        };
        // Clients learn who leads: half the operations go to the leader, the rest anywhere.
        let to = match self.rng.below(2) {
            0 => self.leader,
            _ => self.rng.below(NODES as u64) as usize,
        };
        let (f, value) = match op {
            Op::Write(v) => ("write", format!(r#"{{"value":{v}}}"#)),
            Op::Read => ("read", "null".to_string()),
            Op::Status => ("status", "null".to_string()),
        };
        let rest = format!(r#","value":{value},"node":"{}""#, node(to));
        self.line(&self.workers[w].process.to_string(), "invoke", f, &rest)?;
        self.workers[w].busy = Some((op, to));
        Ok(())
    }

    /// Whether `n` leads now (the deposed leader is paused, cut off or dead: it serves nothing).
    fn leads(&self, n: usize) -> bool {
        n == self.leader && self.deposed.is_none()
    }

    fn fresh_value(&mut self) -> u64 {
        self.next_value += 1;
        self.next_value - 1
    }

    fn complete(&mut self, w: usize, (op, to): (Op, usize)) -> std::io::Result<()> {
        let p = self.workers[w].process.to_string();
        let at = format!(r#","node":"{}""#, node(to));
        self.workers[w].busy = None;
        match op {
            Op::Write(v) if !self.leads(to) => {
                let rest = format!(r#","value":{{"value":{v}}}{at},"error":"not-leader""#);
                self.line(&p, "fail", "write", &rest)
            }
            Op::Write(v) => self.write_at_leader(w, &p, v, &at),
            Op::Read => {
                let seen = self.register.map_or("null".to_string(), |v| v.to_string());
                self.line(&p, "ok", "read", &format!(r#","value":{{"value":{seen}}}{at}"#))
            }
            Op::Status => {
                let value = match self.leads(to) {
                    true => format!(r#"{{"leader":true,"token":{}}}"#, self.token),
                    false => r#"{"leader":false}"#.to_string(),
                };
                self.line(&p, "ok", "status", &format!(r#","value":{value}{at}"#))
            }
        }
    }

    /// A write the leader takes: the resource accepts it, and the client hears of it, or (one
    /// in forty) times out, the write applied or lost, and the worker goes on as a new process.
    fn write_at_leader(&mut self, w: usize, p: &str, v: u64, at: &str) -> std::io::Result<()> {
        let timed_out = self.rng.below(40) == 0;
        if !timed_out || self.rng.below(2) == 0 {
            self.accept(v)?;
        }
        if !timed_out {
            let (token, leader) = (self.token, node(self.leader));
            let value = format!(r#"{{"value":{v},"token":{token},"leader":"{leader}"}}"#);
            return self.line(p, "ok", "write", &format!(r#","value":{value}{at}"#));
        }
        let rest = format!(r#","value":{{"value":{v}}}{at},"error":"timeout""#);
        self.line(p, "info", "write", &rest)?;
        self.workers[w].process = self.next_process;
        self.next_process += 1;
        Ok(())
    }

    fn accept(&mut self, v: u64) -> std::io::Result<()> {
        let (token, leader) = (self.token, node(self.leader));
        let value = format!(r#","value":{{"token":{token},"node":"{leader}","value":{v}}}"#);
        self.register = Some(v);
        self.line(r#""resource""#, "ok", "accept", &value)
    }

    /// A fault deposes the leader: for a few seconds of a real run (200 to 1,500 records) no
    /// node leads, and every write fails.
    fn depose(&mut self) -> std::io::Result<()> {
        let old = self.leader;
        let kind = self.rng.below(FAULTS.len() as u64) as usize;
        let value = fault_value(kind, old);
        self.line(r#""nemesis""#, "info", FAULTS[kind].0, &format!(r#","value":{value}"#))?;
        let at = self.index + 200 + self.rng.below(1_300);
        self.deposed = Some((old, self.token, kind, at));
        Ok(())
    }

    /// Another node is elected under a higher token, the deposed one (unless killed) tries a
    /// stale write that the fenced resource refuses, and the fault ends; the deposed leader
    /// then learns it and steps down.
    fn elect(&mut self, old: usize, stale: i64, kind: usize) -> std::io::Result<()> {
        self.deposed = None;
        self.leader = (old + 1 + self.rng.below(NODES as u64 - 1) as usize) % NODES;
        self.token += 1 + self.rng.below(2) as i64;
        self.report(self.leader, "elected")?;
        let (killed, value) = (kind == 2, fault_value(kind, old));
        if !killed && self.rng.below(2) == 0 {
            self.stale_write(old, stale)?;
        }
        self.line(r#""nemesis""#, "info", FAULTS[kind].1, &format!(r#","value":{value}"#))?;
        if !killed {
            let value = format!(r#","value":{{"token":{stale},"reason":"saw-higher-term"}}"#);
            self.line(&format!("\"{}\"", node(old)), "ok", "stepdown", &value)?;
        }
        Ok(())
    }

    fn stale_write(&mut self, old: usize, stale: i64) -> std::io::Result<()> {
        let p = self.next_process.to_string();
        self.next_process += 1;
        let v = self.fresh_value();
        let at = format!(r#","node":"{}""#, node(old));
        self.line(&p, "invoke", "write", &format!(r#","value":{{"value":{v}}}{at}"#))?;
        let decision = format!(
            r#","value":{{"token":{stale},"node":"{}","value":{v}}},"error":"stale-token""#,
            node(old)
        );
        self.line(r#""resource""#, "fail", "reject", &decision)?;
        let rest = format!(r#","value":{{"value":{v}}}{at},"error":"stale-token""#);
        self.line(&p, "fail", "write", &rest)
    }

    /// Every operation under way ends, then every node is asked its status once.
    fn finish(&mut self) -> std::io::Result<()> {
        for w in 0..WORKERS {
            if let Some(op) = self.workers[w].busy {
                self.complete(w, op)?;
            }
        }
        for n in 0..NODES {
            let p = self.next_process.to_string();
            self.next_process += 1;
            let at = format!(r#","node":"{}""#, node(n));
            self.line(&p, "invoke", "status", &format!(r#","value":null{at}"#))?;
            let value = match n == self.leader {
                true => format!(r#"{{"leader":true,"token":{}}}"#, self.token),
                false => r#"{"leader":false}"#.to_string(),
            };
            self.line(&p, "ok", "status", &format!(r#","value":{value}{at}"#))?;
        }
        Ok(())
    }
}

/// What a fault record names: the partition's grudge, or the paused or killed node.
fn fault_value(kind: usize, old: usize) -> String {
    match kind {
        0 => {
            let others: Vec<String> =
                (0..NODES).filter(|&n| n != old).map(|n| format!("\"{}\"", node(n))).collect();
            let mut grudge = vec![format!("\"{}\":[{}]", node(old), others.join(","))];
            grudge.extend(others.iter().map(|o| format!("{o}:[\"{}\"]", node(old))));
            format!("{{{}}}", grudge.join(","))
        }
        1 => format!("[\"{}\"]", node(old)),
        _ => format!("\"{}\"", node(old)),
    }
}
