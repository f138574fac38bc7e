//! Clock faults through the clock shim: each node has a control file; processes started with
//! [`crate::proc::ProcSpec::clock_shim`] read their wall clock through it. Bump (jump by ±d),
//! strobe (flip back and forth for a while), drift (run at a rate ≠ 1) and reset.
//!
//! The writer side of the control file described in `nemesis/shim/src/lib.rs`: a seqlock (the
//! sequence word is odd while a write is in progress; readers retry), so a reader never sees
//! half of an update. The shim applies the strobe itself, from the real time, so a strobe needs
//! no thread here and ends on its own.
//!
//! What it cannot do: skew Go programs (etcd), which read the clock through the vDSO without
//! libc. Processes marked [`crate::proc::ProcSpec::go`] are refused the shim, and a clock fault
//! on a node where no process runs under the shim is an error that says so.
//!
//! Neighbours: `net.rs` creates one [`ClockFile`] per node and installs the shim; `heal.rs`
//! resets all clocks.

use crate::error::{Error, Result};
use crate::event::Event;
use crate::net::Net;
use nix::sys::mman::{mmap, munmap, MapFlags, ProtFlags};
use serde_json::json;
use std::fs::OpenOptions;
use std::io::Write;
use std::num::NonZeroUsize;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The shim library, built from `nemesis/shim/src/lib.rs` by this crate's build script
/// (`no_std`, `panic = "abort"`) and embedded, so every binary that links this crate has it.
pub static SHIM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/libsplitbrain_clock_shim.so"));
/// The shim's file name.
pub const SHIM_FILE: &str = "libsplitbrain_clock_shim.so";
/// The environment variable the shim reads the control file's path from.
pub const ENV_FILE: &str = "SPLITBRAIN_CLOCK_FILE";
const MAGIC: u64 = u64::from_le_bytes(*b"SBCLOCK1");
const PAGE: usize = 4096;
const NS: i64 = 1_000_000_000;

/// Writes the embedded shim into `dir` and returns its path (for `LD_PRELOAD`).
pub fn install_shim(dir: &Path) -> Result<PathBuf> {
    let path = dir.join(SHIM_FILE);
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::os(format!("creating {}", dir.display()), e))?;
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{SHIM_FILE}."))
            .permissions(std::fs::Permissions::from_mode(0o644))
            .tempfile_in(dir)?;
        tmp.write_all(SHIM)?;
        tmp.persist(&path)?;
        Ok(())
    };
    write().map_err(|e| Error::os(format!("writing the clock shim to {}", path.display()), e))?;
    Ok(path)
}

/// What a node's clock does: `shim time = real + offset + drift + strobe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClockState {
    /// Added to the real time, in ns.
    pub offset_ns: i64,
    /// Speed in parts per billion (1e9 = real speed; 0 here means 1e9).
    pub rate_ppb: i64,
    /// Real time (ns since the epoch) the drift is measured from.
    pub ref_ns: i64,
    /// While strobing, added during every other half-period.
    pub strobe_delta_ns: i64,
    /// Strobe half-period in ns (0: no strobe).
    pub strobe_period_ns: i64,
    /// Real time the strobe started.
    pub strobe_start_ns: i64,
    /// Real time the strobe ends.
    pub strobe_end_ns: i64,
}

/// One node's control file, mapped shared; only this process writes it.
pub struct ClockFile {
    path: PathBuf,
    /// The mapped page as words; `'static` only in name: it is unmapped in `drop`, and it is
    /// lent out only for as long as `&self`.
    words: &'static [AtomicI64],
    state: ClockState,
}

impl ClockFile {
    /// Creates (or truncates) the control file at `path`, set to the real time.
    pub fn create(path: &Path) -> Result<ClockFile> {
        let err = |e| Error::os(format!("creating the clock control file {}", path.display()), e);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(err)?;
        f.set_len(PAGE as u64).map_err(err)?;
        let len = NonZeroUsize::new(PAGE).expect("PAGE > 0");
        let rw = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
        // SAFETY: a new shared mapping of a file we just sized to PAGE bytes: page-aligned
        // (so 8-aligned), PAGE bytes long, alive until `drop` unmaps it, and accessed only
        // through atomics (the shim in other processes reads it the same way).
        let words = unsafe {
            let map =
                mmap(None, len, rw, MapFlags::MAP_SHARED, &f, 0).map_err(|e| err(e.into()))?;
            std::slice::from_raw_parts(map.as_ptr() as *const AtomicI64, PAGE / 8)
        };
        let mut c = ClockFile { path: path.to_path_buf(), words, state: ClockState::default() };
        c.word(0).store(MAGIC as i64, Ordering::Relaxed);
        c.set(ClockState::default());
        Ok(c)
    }

    fn word(&self, i: usize) -> &AtomicI64 {
        &self.words[i]
    }

    /// Where the file is (the value of `SPLITBRAIN_CLOCK_FILE`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The state in force.
    pub fn state(&self) -> ClockState {
        self.state
    }

    /// Publishes `s` under the seqlock.
    pub fn set(&mut self, s: ClockState) {
        let seq = self.word(1);
        let v = seq.load(Ordering::Relaxed);
        seq.store(v | 1, Ordering::Relaxed);
        fence(Ordering::Release);
        let rate = if s.rate_ppb == 0 { NS } else { s.rate_ppb };
        let words = [
            s.offset_ns,
            rate,
            s.ref_ns,
            s.strobe_delta_ns,
            s.strobe_period_ns,
            s.strobe_start_ns,
            s.strobe_end_ns,
        ];
        for (i, w) in words.into_iter().enumerate() {
            self.word(2 + i).store(w, Ordering::Relaxed);
        }
        seq.store((v | 1) + 1, Ordering::Release);
        self.state = s;
    }

    /// The clock shift the shim applies at real time `real` (the same formula as the shim).
    pub fn shift_at(&self, real: i64) -> i64 {
        let s = &self.state;
        let rate = if s.rate_ppb == 0 { NS } else { s.rate_ppb };
        let drift =
            ((real as i128 - s.ref_ns as i128) * (rate as i128 - NS as i128) / NS as i128) as i64;
        let strobing =
            s.strobe_period_ns > 0 && real >= s.strobe_start_ns && real < s.strobe_end_ns;
        let strobe = if strobing && ((real - s.strobe_start_ns) / s.strobe_period_ns) % 2 == 0 {
            s.strobe_delta_ns
        } else {
            0
        };
        s.offset_ns + drift + strobe
    }
}

impl Drop for ClockFile {
    fn drop(&mut self) {
        let map = NonNull::from(self.words).cast();
        // SAFETY: our own mapping, unmapped once, and `words` is not used after this.
        let _ = unsafe { munmap(map, PAGE) };
    }
}

/// Real time now, in ns since the epoch.
pub fn real_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}

/// Checks that the shim reaches a process on each node, then changes each node's clock.
fn each<S: AsRef<str>>(
    net: &Net,
    nodes: &[S],
    change: impl Fn(&mut ClockState, i64),
) -> Result<Vec<String>> {
    let idx = net.indices(nodes)?;
    for (&i, n) in idx.iter().zip(nodes) {
        reachable(net, n.as_ref(), i)?;
    }
    let now = real_ns();
    for &i in &idx {
        let mut s = net.clock_state(i);
        change(&mut s, now);
        net.set_clock(i, s)?;
    }
    Ok(nodes.iter().map(|n| n.as_ref().to_string()).collect())
}

/// The clock shim must reach some process on the node, or the fault would silently do nothing.
fn reachable(net: &Net, node: &str, _i: usize) -> Result<()> {
    let procs = net.procs.on(node);
    if procs.iter().any(|p| p.spec().clock_shim) {
        return Ok(());
    }
    let go: Vec<&str> =
        procs.iter().filter(|p| p.spec().go).map(|p| p.spec().label.as_str()).collect();
    Err(Error::ClockUnreachable(if go.is_empty() {
        format!(
            "no process on {node} runs under the clock shim: start it with ProcSpec::clock_shim()"
        )
    } else {
        format!("{node} runs only Go programs ({}), whose clocks the shim can't reach (Go reads the clock through the vDSO, not libc)", go.join(", "))
    }))
}

/// Folds the drift so far into the offset, so a change of rate doesn't jump the clock.
fn settle_drift(s: &mut ClockState, now: i64) {
    let rate = if s.rate_ppb == 0 { NS } else { s.rate_ppb };
    s.offset_ns +=
        ((now as i128 - s.ref_ns as i128) * (rate as i128 - NS as i128) / NS as i128) as i64;
    s.ref_ns = now;
}

/// Jumps the nodes' clocks by `delta_ns` (negative: back), on top of any offset: `clock-bump`.
pub fn bump<S: AsRef<str>>(net: &Net, nodes: &[S], delta_ns: i64) -> Result<Event> {
    let done = each(net, nodes, |s, _| s.offset_ns += delta_ns)?;
    Ok(Event::new("clock-bump", json!({"nodes": done, "delta_ms": delta_ns as f64 / 1e6})))
}

/// Flips the nodes' clocks between +`delta_ns` and +0 every `period`, for `duration`, then stops
/// by itself: `clock-strobe`.
pub fn strobe<S: AsRef<str>>(
    net: &Net,
    nodes: &[S],
    delta_ns: i64,
    period: Duration,
    duration: Duration,
) -> Result<Event> {
    if period.is_zero() {
        return Err(Error::BadInput("strobe period 0: give a period above 0".into()));
    }
    let done = each(net, nodes, |s, now| {
        (s.strobe_delta_ns, s.strobe_period_ns) = (delta_ns, period.as_nanos() as i64);
        (s.strobe_start_ns, s.strobe_end_ns) = (now, now + duration.as_nanos() as i64);
    })?;
    Ok(Event::new(
        "clock-strobe",
        json!({"nodes": done, "delta_ms": delta_ns as f64 / 1e6, "period_ms": period.as_secs_f64() * 1e3, "duration_ms": duration.as_secs_f64() * 1e3}),
    ))
}

/// Makes the nodes' clocks run at `rate` times real speed from now on (e.g. 1.5, or 0.5):
/// `clock-drift`.
pub fn drift<S: AsRef<str>>(net: &Net, nodes: &[S], rate: f64) -> Result<Event> {
    if !(rate > 0.0 && rate < 1000.0) {
        return Err(Error::BadInput(format!(
            "clock rate {rate}: give a speed above 0 (1 is real time)"
        )));
    }
    let done = each(net, nodes, |s, now| {
        settle_drift(s, now);
        s.rate_ppb = (rate * NS as f64).round() as i64;
    })?;
    Ok(Event::new("clock-drift", json!({"nodes": done, "rate": rate})))
}

/// Puts the nodes' clocks back to real time: `clock-reset`.
pub fn reset<S: AsRef<str>>(net: &Net, nodes: &[S]) -> Result<Event> {
    let idx = net.indices(nodes)?;
    for &i in &idx {
        net.set_clock(i, ClockState::default())?;
    }
    Ok(Event::new(
        "clock-reset",
        json!({"nodes": nodes.iter().map(|n| n.as_ref()).collect::<Vec<_>>()}),
    ))
}

/// The nodes whose clocks are not real time now.
pub fn skewed(net: &Net) -> Vec<String> {
    let names = net.names().into_iter().enumerate();
    names.filter(|(i, _)| net.clock_state(*i) != ClockState::default()).map(|(_, n)| n).collect()
}

#[cfg(test)]
#[path = "clock_tests.rs"]
mod tests;
