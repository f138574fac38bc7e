//! Plain-data descriptions of the server processes a third-party target needs (one etcd member,
//! one redis-server), so the controller can start them inside the sandbox through `nemesis`, and
//! tests can start the same thing on loopback through [`super::local`]. Nothing here runs
//! anything.

use std::net::SocketAddr;
use std::path::PathBuf;

/// One server process on one node.
///
/// Design: a plan is data, not a `Command`, because the sandbox starts processes inside node
/// namespaces (and loads the clock shim itself); the same plan on loopback differs only in its
/// addresses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServerPlan {
    /// The node it runs on (`"n1"`).
    pub node: String,
    /// What it is, for logs and process names (`"etcd"`, `"redis"`).
    pub role: String,
    /// The program, looked up in `PATH` (`"etcd"`, `"redis-server"`).
    pub program: String,
    /// Its arguments, exactly.
    pub args: Vec<String>,
    /// Extra environment variables (on top of the caller's).
    pub env: Vec<(String, String)>,
    /// Whether the clock shim should be preloaded into it (`LD_PRELOAD` plus the node's control
    /// file, both supplied by `nemesis`). Only C programs can be reached; see
    /// [`super::ThirdParty::unreachable_faults`].
    pub clock_shim: bool,
    /// It is a Go program (etcd): the shim cannot reach it, and `nemesis` refuses to load it
    /// (`ProcSpec::go`), so clock faults on its node are reported as not applied.
    pub go: bool,
    /// Where it accepts TCP connections once it is up: wait for a connect here before use.
    pub ready_addr: SocketAddr,
    /// Directories to create (with parents) before the first start; kept across restarts,
    /// because a restarted member must find its data again.
    pub dirs: Vec<PathBuf>,
}

impl ServerPlan {
    /// The command line as one shell-quoted string, for logs and for people.
    pub fn command_line(&self) -> String {
        let mut words = vec![quote(&self.program)];
        words.extend(self.args.iter().map(|a| quote(a)));
        words.join(" ")
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

impl ServerPlan {
    /// Creates the plan's directories (call once before the first start).
    pub fn prepare(&self) -> std::io::Result<()> {
        self.dirs.iter().try_for_each(std::fs::create_dir_all)
    }

    /// The plan as a `nemesis` process spec, with stdout and stderr going to `log`.
    pub fn proc_spec(&self, log: &std::path::Path) -> splitbrain_nemesis::ProcSpec {
        use splitbrain_nemesis::{Output, ProcSpec};
        let out = || Output::File(log.to_path_buf());
        let mut spec = ProcSpec::new(&self.program)
            .label(format!("{}-{}", self.role, self.node))
            .args(&self.args)
            .output(out(), out());
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
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoting_leaves_plain_words_and_wraps_empty_and_spaced_ones() {
        let cases = [("--port", "--port"), ("", "''"), ("a b", "'a b'"), ("it's", r"'it'\''s'")];
        for (word, want) in cases {
            assert_eq!(quote(word), want, "{word:?}");
        }
    }
}
