//! A long-lived `nft -i` per node namespace, which applies each change to that node's rules as
//! one atomic transaction.
//!
//! Why a shell and not `nft -f -` per change: on the project's 2-core machine one `nft` process
//! takes 15–25 ms to start, while the kernel applies a transaction in well under 1 ms; a kept
//! shell makes a 5-node partition take a few milliseconds instead of ~30.
//!
//! How we know a change is applied: each change line also sets the element of a one-element
//! set `sync` to a new sequence number in the same transaction, and is followed by
//! `list set … sync`. `nft` handles lines in order, so when the listing shows the new number the
//! change is committed; when it shows the old one, the transaction failed, and stderr says why.
//!
//! Neighbours: `firewall.rs` renders the rules; `net.rs` owns one shell per node.

use crate::error::{Error, Result};
use crate::sys;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// The table every node's rules live in.
pub const TABLE: &str = "inet splitbrain";
const LIMIT: Duration = Duration::from_secs(10);

/// An `nft -i` running inside one node's network namespace.
pub struct NftShell {
    node: String,
    child: Child,
    /// Closed first on drop: a host agent then heals its host before it exits.
    stdin: Option<ChildStdin>,
    /// Given time to end by itself on drop (a host agent), rather than killed at once.
    graceful: bool,
    stdout: ChildStdout,
    stderr: ChildStderr,
    seq: u16,
}

impl NftShell {
    /// Starts `nft -i` inside the namespace `netns` and creates the node's table: an `input`
    /// chain (the grudge and loss rules) and a `guard` chain that drops IPv6 from other nodes,
    /// since partitions are written for IPv4 and must not leak over link-local IPv6.
    pub fn start(nft: &Path, node: &str, netns: BorrowedFd<'_>) -> Result<NftShell> {
        let mut cmd = Command::new(nft);
        cmd.arg("-i").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = sys::spawn_in_netns(&mut cmd, netns)
            .map_err(|e| Error::os(format!("starting nft -i for {node}"), e))?;
        Self::over(child, node, true)
    }

    /// A host agent's shell (see [`NftShell::over`]), left to heal its host when dropped.
    pub(crate) fn agent(child: Child, node: &str) -> Result<NftShell> {
        let mut shell = Self::over(child, node, false)?;
        shell.graceful = true;
        Ok(shell)
    }

    /// A shell whose `nft -i` is behind `child` (a host agent over SSH, which relays its lines
    /// to `nft -i` on the host). `guard`: drop IPv6 arriving on `eth0` (only the sandbox's nodes
    /// have exactly that interface, and only there is all of their IPv6 test traffic).
    pub(crate) fn over(mut child: Child, node: &str, guard: bool) -> Result<NftShell> {
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let mut shell = NftShell {
            node: node.to_string(),
            child,
            stdin: Some(stdin.expect("piped")),
            graceful: false,
            stdout: stdout.expect("piped"),
            stderr: stderr.expect("piped"),
            seq: 0,
        };
        set_nonblocking(shell.stdout.as_fd());
        set_nonblocking(shell.stderr.as_fd());
        let guard = match guard {
            true => format!(
                "add chain {TABLE} guard {{ type filter hook input priority -1; policy accept; }}; \
                 add rule {TABLE} guard iifname \"eth0\" meta nfproto ipv6 drop; "
            ),
            false => String::new(),
        };
        let base = format!(
            "add table {TABLE}; add set {TABLE} sync {{ type inet_service; }}; {guard}\
             add chain {TABLE} input {{ type filter hook input priority 0; policy accept; }}"
        );
        shell.apply(&base)?;
        Ok(shell)
    }

    /// Replaces the node's `input` rules with `rules` (nft rule bodies), atomically.
    pub fn set_input_rules(&mut self, rules: &[String]) -> Result<()> {
        let mut line = format!("flush chain {TABLE} input");
        for r in rules {
            line.push_str(&format!("; add rule {TABLE} input {r}"));
        }
        self.apply(&line)
    }

    /// Runs `commands` (one line, `;`-separated) as one transaction and waits until it is
    /// committed, or returns nft's error.
    pub fn apply(&mut self, commands: &str) -> Result<()> {
        self.seq = self.seq.wrapping_add(1).max(1);
        let seq = self.seq;
        let line = format!(
            "{commands}; flush set {TABLE} sync; add element {TABLE} sync {{ {seq} }}\nlist set {TABLE} sync\n"
        );
        self.write(&line)?;
        let listing = self.read_listing()?;
        if listing.contains(&format!("elements = {{ {seq} }}")) {
            return Ok(());
        }
        Err(self.fail(format!("nft refused `{}`", short(commands))))
    }

    /// Sends a clock state to a host agent, which writes its control file before it relays the
    /// next line (a comment to `nft` itself); returns once the agent has passed that line on.
    pub fn send_clock(&mut self, s: &crate::clock::ClockState) -> Result<()> {
        let words = crate::node_clock::clock_words(s).map(|w| w.to_string()).join(" ");
        self.write(&format!("#@clock {words}\n"))?;
        self.apply(&format!("flush set {TABLE} sync"))
    }

    /// Sends a host's delay state (a `#@delay` line) to its agent, which puts it in force
    /// with `tc` before it relays the next line; an error carries what the agent said.
    pub fn send_delay(&mut self, line: &str) -> Result<()> {
        self.write(&format!("{line}\n"))?;
        self.apply(&format!("flush set {TABLE} sync"))
    }

    fn write(&mut self, line: &str) -> Result<()> {
        let sent = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(line.as_bytes()),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        };
        sent.map_err(|e| self.fail(format!("writing to nft: {e}")))
    }

    /// Reads stdout until a complete `list set` answer (it ends with a lone `}` line).
    fn read_listing(&mut self) -> Result<String> {
        let deadline = Instant::now() + LIMIT;
        let mut out = String::new();
        while !out.contains("\n}\n") {
            if Instant::now() > deadline {
                return Err(self.fail("nft gave no answer in 10 s".into()));
            }
            if !crate::wait::readable(&self.stdout, deadline).unwrap_or(false) {
                continue;
            }
            let mut buf = [0u8; 4096];
            match self.stdout.read(&mut buf) {
                Ok(0) => return Err(self.fail("nft exited".into())),
                Ok(n) => out.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(self.fail(format!("reading nft: {e}"))),
            }
        }
        Ok(out)
    }

    /// An error with whatever nft said on stderr.
    fn fail(&mut self, what: String) -> Error {
        let mut err = Vec::new();
        let _ = self.stderr.read_to_end(&mut err);
        let said = String::from_utf8_lossy(&err).trim().replace('\n', " ");
        Error::Command {
            command: format!("nft -i (node {})", self.node),
            message: format!("{what}: {said}"),
        }
    }
}

impl Drop for NftShell {
    /// A host agent's shell gets its stdin closed and 10 s to heal its host and end; the
    /// sandbox's `nft -i` is killed at once.
    fn drop(&mut self) {
        self.stdin = None;
        if self.graceful {
            let _ = crate::tools::wait_bounded(&mut self.child, Duration::from_secs(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn short(s: &str) -> &str {
    &s[..s.len().min(300)]
}

fn set_nonblocking(fd: BorrowedFd<'_>) {
    if let Ok(flags) = fcntl(fd, FcntlArg::F_GETFL) {
        let _ = fcntl(fd, FcntlArg::F_SETFL(OFlag::from_bits_retain(flags) | OFlag::O_NONBLOCK));
    }
}
