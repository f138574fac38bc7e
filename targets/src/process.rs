//! One process to start on one node, as plain data from plan to spawn: the servers and the
//! candidate of every target are [`ProcessSpec`]s, the controller starts each through
//! [`ProcessSpec::proc_spec`], and tests start the same specs on loopback
//! ([`crate::thirdparty::local`]).
//!
//! Neighbours: [`crate::launch`] plans them per node; `nemesis` runs them
//! (`splitbrain_nemesis::ProcSpec`, the sandbox's own description, made here and nowhere else).
//!
//! Design: one type from the target's plan to the sandbox's spawn, so that nothing a plan says
//! (the clock shim, that a program is Go) is dropped by a copy on the way.

use std::net::SocketAddr;
use std::path::PathBuf;

/// One process to start on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSpec {
    /// The node it runs on.
    pub node: String,
    /// What it is, for logs and process names (`"candidate"`, `"etcd"`, `"redis"`).
    pub role: String,
    /// The program (an absolute path, or a name looked up in `PATH`).
    pub program: PathBuf,
    /// Its arguments, exactly.
    pub args: Vec<String>,
    /// Extra environment variables, on top of the caller's.
    pub env: Vec<(String, String)>,
    /// Whether preloading the clock shim reaches it (a program that reads the wall clock
    /// through libc). For the node program with an own elector it does, but changes nothing:
    /// these electors time everything on the monotonic clock, so a clock fault must not break
    /// them, which is itself worth checking.
    pub clock_shim: bool,
    /// Where it accepts TCP once it is up: wait for a connect here before relying on it.
    pub ready_addr: Option<SocketAddr>,
    /// Directories to create before the first start; kept across restarts.
    pub dirs: Vec<PathBuf>,
    /// It is a Go program (etcd): the shim cannot reach it (Go reads the clock through the vDSO,
    /// not libc), and `nemesis` refuses to preload it and says why when a clock fault is aimed
    /// at a node with only Go programs.
    pub go: bool,
}

impl ProcessSpec {
    /// The sandbox's description of this process (program, arguments, environment, clock shim,
    /// Go), labelled `role node`; the caller adds where its output goes. The one conversion
    /// from plan to spawn, so that nothing a plan says is left behind on the way.
    pub fn proc_spec(&self) -> splitbrain_nemesis::ProcSpec {
        let mut spec = splitbrain_nemesis::ProcSpec::new(&self.program)
            .args(&self.args)
            .label(format!("{} {}", self.role, self.node));
        for (k, v) in &self.env {
            spec = spec.env(k, v);
        }
        if self.clock_shim {
            spec = spec.clock_shim();
        }
        if self.go {
            spec = spec.go();
        }
        spec
    }

    /// Creates its directories (before the first start).
    pub fn prepare(&self) -> std::io::Result<()> {
        self.dirs.iter().try_for_each(std::fs::create_dir_all)
    }

    /// The command line as one shell-quoted string, for logs and for people.
    pub fn command_line(&self) -> String {
        let program = self.program.display().to_string();
        let words = std::iter::once(&program).chain(&self.args);
        words.map(|w| quote(w)).collect::<Vec<_>>().join(" ")
    }
}

fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=,@".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
