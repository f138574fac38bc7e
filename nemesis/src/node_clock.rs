//! One node's clock control: the mapped control file itself in the sandbox, or, on a remote
//! host, what the host agent's file holds (changed through the agent's line).
//!
//! Neighbours: `clock.rs` decides the states; `net.rs` keeps one per node; `nft.rs` carries a
//! remote change to the host agent (`agent.rs`), which writes its own mapped file.

use crate::clock::{ClockFile, ClockState};
use crate::error::Result;
use crate::net::Net;
use std::path::{Path, PathBuf};

/// Where a node's clock state is published.
pub(crate) enum NodeClock {
    /// A control file this process maps and writes.
    Here(ClockFile),
    /// A control file on a host, written by its agent; `state` is what was last sent.
    There {
        /// The file's path on the host.
        path: PathBuf,
        /// The state in force there.
        state: ClockState,
    },
}

impl NodeClock {
    /// The control file's path where the node's processes read it.
    pub fn path(&self) -> &Path {
        match self {
            NodeClock::Here(f) => f.path(),
            NodeClock::There { path, .. } => path,
        }
    }

    /// The state in force.
    pub fn state(&self) -> ClockState {
        match self {
            NodeClock::Here(f) => f.state(),
            NodeClock::There { state, .. } => *state,
        }
    }
}

impl Net {
    /// Publishes `s` as node `i`'s clock.
    pub(crate) fn set_clock(&self, i: usize, s: ClockState) -> Result<()> {
        let mut c = self.clocks[i].lock().unwrap_or_else(|e| e.into_inner());
        match &mut *c {
            NodeClock::Here(f) => f.set(s),
            NodeClock::There { state, .. } => {
                self.firewall.lock().unwrap_or_else(|e| e.into_inner()).send_clock(i, &s)?;
                *state = s;
            }
        }
        Ok(())
    }

    /// Node `i`'s clock state.
    pub(crate) fn clock_state(&self, i: usize) -> ClockState {
        self.clocks[i].lock().unwrap_or_else(|e| e.into_inner()).state()
    }

    /// Node `i`'s control file, as its processes see it.
    pub(crate) fn clock_path(&self, i: usize) -> PathBuf {
        self.clocks[i].lock().unwrap_or_else(|e| e.into_inner()).path().to_path_buf()
    }
}

/// The words of the agent's `#@clock` line, in the control file's order.
pub(crate) fn clock_words(s: &ClockState) -> [i64; 7] {
    [
        s.offset_ns,
        s.rate_ppb,
        s.ref_ns,
        s.strobe_delta_ns,
        s.strobe_period_ns,
        s.strobe_start_ns,
        s.strobe_end_ns,
    ]
}

/// The state a `#@clock` line's words give (see [`clock_words`]).
pub(crate) fn clock_from_words(w: &[i64]) -> Option<ClockState> {
    let &[offset_ns, rate_ppb, ref_ns, strobe_delta_ns, strobe_period_ns, strobe_start_ns, strobe_end_ns] =
        w
    else {
        return None;
    };
    Some(ClockState {
        offset_ns,
        rate_ppb,
        ref_ns,
        strobe_delta_ns,
        strobe_period_ns,
        strobe_start_ns,
        strobe_end_ns,
    })
}
