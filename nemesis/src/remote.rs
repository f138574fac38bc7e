//! Nodes on real hosts reached over SSH: the hosts, the plain system `ssh` commands that reach
//! them (the user's ssh configuration, keys and bastions apply; the run multiplexes over
//! master connections of its own), and the place that starts a node's processes there under a
//! `host-exec` supervisor.
//!
//! Neighbours: `hosts_net.rs` builds a [`crate::Net`] of hosts with these; `agent.rs` is the
//! other end (`splitbrain host-agent` and `splitbrain host-exec` on each host); `place.rs`
//! is the seam this fills; `mux.rs` holds the master connections; `session.rs` starts a
//! session's program and relays its stdout; `spare.rs` keeps sessions opened ahead of a
//! restart.
//!
//! Design: one master connection per host and over it one session per process, whose stdin
//! carries signals ("19 1": SIGSTOP to the group) and whose closing kills the process on the
//! host; one more per host for the agent, which relays rule changes to `nft -i` and writes the
//! clock control file, and heals the host when its session closes. Every `ssh` is a child of
//! the controller in a process group of its own (the terminal's Ctrl-C reaches the
//! controller, which then stops the nodes in order).

use crate::error::{Error, Result};
use crate::mux::Masters;
use crate::place::{starting, Place};
use crate::proc::{stdio, ProcSpec, Signal};
use crate::session;
use crate::spare::Spares;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::net::Ipv4Addr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::Arc;

/// One host of a hosts file.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    /// The node's name (`n1`).
    pub name: String,
    /// Where `ssh` connects: `user@host:port`, `host`, or an alias of the ssh configuration.
    pub ssh: String,
    /// The data-plane address: what `{addr}` means, and what partitions drop.
    pub addr: Ipv4Addr,
    /// Run the host agent (rules, clock file, cleanup) under `sudo -n`.
    pub sudo: bool,
}

/// The hosts of a run and how to reach them.
#[derive(Debug, Clone, PartialEq)]
pub struct Hosts {
    /// The hosts, in node order.
    pub hosts: Vec<Host>,
    /// An ssh configuration file to use instead of the user's (`ssh -F`).
    pub ssh_config: Option<PathBuf>,
    /// The controller's address as the hosts reach it [default: the local address of the
    /// route to the first host].
    pub controller: Option<Ipv4Addr>,
    /// Where each host's run folder is made [default: /tmp].
    pub run_root: PathBuf,
}

/// What every connection of a run needs.
#[derive(Debug, Clone)]
pub(crate) struct Remote {
    pub hosts: Vec<Host>,
    ssh_config: Option<PathBuf>,
    /// The run folder on every host.
    pub run: PathBuf,
    /// The controller's folder of node data, which is `run/nodes` on the hosts.
    data_root: PathBuf,
    /// The controller's own executable, which is `run/splitbrain` on the hosts.
    exe: PathBuf,
    /// The run's master connections, which every other `ssh` goes over.
    masters: Arc<Masters>,
    /// The target file's folder, which is `run/target` on the hosts.
    folder: Option<PathBuf>,
}

impl Remote {
    /// The run's remote side: `data_root` is the controller's folder of node data, `folder`
    /// a target file's folder to copy to the hosts.
    pub fn new(hosts: &Hosts, data_root: &Path, folder: Option<&Path>) -> Result<Remote> {
        let exe = std::env::current_exe()
            .map_err(|e| Error::os("finding the controller's executable", e))?;
        let id = format!("splitbrain-run-{}-{}", std::process::id(), crate::clock::real_ns());
        Ok(Remote {
            hosts: hosts.hosts.clone(),
            ssh_config: hosts.ssh_config.clone(),
            run: hosts.run_root.join(id),
            data_root: data_root.to_path_buf(),
            exe,
            masters: Arc::new(Masters::new()?),
            folder: folder.map(Path::to_path_buf),
        })
    }

    /// `ssh … HOST -- REMOTE` for host `i`: a session over the host's master connection, no
    /// terminal, never a password prompt.
    pub fn ssh(&self, i: usize, remote: &str) -> Command {
        let mut c = self.base(i);
        c.arg("-S").arg(self.masters.socket(i)).args(["-o", "ControlMaster=no"]);
        c.arg(self.dest(i)).arg("--").arg(remote);
        c
    }

    /// Opens the run's master connection to host `i` (`ssh -M`), which lives until the run
    /// ends and notices a dead link within 15 s.
    pub fn open_master(&self, i: usize) -> Result<()> {
        let mut c = self.base(i);
        c.args(["-M", "-N", "-o", "ControlPersist=no", "-S"]).arg(self.masters.socket(i));
        c.args(["-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]);
        c.args(["-o", "ConnectTimeout=10"]);
        c.arg(self.dest(i));
        let who = format!("{} ({})", self.hosts[i].name, self.hosts[i].ssh);
        self.masters.open(i, &who, c)
    }

    /// `ssh [-F CONFIG] -T -o BatchMode=yes [-p PORT]` for host `i`, in a process group of its
    /// own.
    fn base(&self, i: usize) -> Command {
        let mut c = Command::new("ssh");
        if let Some(f) = &self.ssh_config {
            c.arg("-F").arg(f);
        }
        c.args(["-T", "-o", "BatchMode=yes"]);
        if let Some(p) = split_port(&self.hosts[i].ssh).1 {
            c.args(["-p", p]);
        }
        c.process_group(0);
        c
    }

    fn dest(&self, i: usize) -> &str {
        split_port(&self.hosts[i].ssh).0
    }

    /// `sudo -n ` where host `i` wants it.
    pub fn sudo(&self, i: usize) -> &'static str {
        if self.hosts[i].sudo {
            "sudo -n "
        } else {
            ""
        }
    }

    /// The copied binary on the hosts.
    pub fn bin(&self) -> PathBuf {
        self.run.join("splitbrain")
    }

    /// The target file's folder on the controller, if the run copies one.
    pub fn folder(&self) -> Option<&Path> {
        self.folder.as_deref()
    }

    /// Where the target file's folder is copied on the hosts.
    pub fn target_dir(&self) -> PathBuf {
        self.run.join("target")
    }

    /// A controller path or argument as the host must see it: the controller's executable is
    /// the copied one, its node data folder is the run folder's `nodes`, and the target file's
    /// folder is the run folder's `target` (wherever they appear in it, as in `sh -c` lines).
    fn map(&self, arg: &OsStr) -> OsString {
        if arg == self.exe.as_os_str() {
            return self.bin().into();
        }
        let nodes = self.run.join("nodes");
        let mut out = replace_paths(arg.as_bytes(), self.data_root.as_os_str().as_bytes(), &nodes);
        if let Some(f) = &self.folder {
            out = replace_paths(&out, f.as_os_str().as_bytes(), &self.target_dir());
        }
        OsString::from_vec(out)
    }

    /// The `host-exec` command line that runs `spec` on the host, quoted for its shell.
    fn exec_line(&self, node: &str, spec: &ProcSpec, env: &[(OsString, OsString)]) -> String {
        let mut words: Vec<OsString> = vec![self.bin().into(), "host-exec".into()];
        words.push(self.run.clone().into());
        for d in &spec.dirs {
            words.extend(["--dir".into(), self.map(d.as_os_str())]);
        }
        if let Some(d) = &spec.cwd {
            words.extend(["--cwd".into(), self.map(d.as_os_str())]);
        }
        let node_env = [("SPLITBRAIN_NODE".into(), node.into())];
        for (k, v) in spec.env.iter().chain(env).chain(&node_env) {
            let mut kv = k.clone();
            kv.push("=");
            kv.push(self.map(v));
            words.extend(["--env".into(), kv]);
        }
        words.push("--".into());
        words.push(self.map(&spec.program));
        words.extend(spec.args.iter().map(|a| self.map(a)));
        let quoted: Vec<String> = words.iter().map(|w| quote(w)).collect();
        format!("exec {}", quoted.join(" "))
    }
}

/// Processes on hosts: each under its own connection and `host-exec` supervisor; a process
/// the nemesis has killed keeps a spare session for its next start (`spare.rs`).
pub(crate) struct RemotePlace {
    pub remote: Remote,
    spares: Spares,
}

impl RemotePlace {
    pub fn new(remote: Remote) -> RemotePlace {
        RemotePlace { remote, spares: Spares::default() }
    }

    /// A new session for `line` on host `i`, its supervisor waiting for `go`.
    fn session(&self, i: usize, node: &str, spec: &ProcSpec, line: &str) -> Result<Child> {
        let mut cmd = self.remote.ssh(i, line);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(stdio(&spec.stderr, "stderr")?);
        cmd.spawn().map_err(|e| Error::os(starting(spec, node), e))
    }

    /// Starts `spec` over its spare session when it has one (then it gets the next spare);
    /// the receiver hears when the program starts.
    fn go(&self, i: usize, node: &str, spec: &ProcSpec, env: &[(OsString, OsString)]) -> Started {
        let line = self.remote.exec_line(node, spec, env);
        let (mut child, spared) = match self.spares.take(&line) {
            Some(c) => (c, true),
            None => (self.session(i, node, spec, &line)?, false),
        };
        let heard = session::go(&mut child, &spec.stdout)?;
        if spared {
            self.warm(i, node, spec, env);
        }
        Ok((child, heard))
    }
}

/// A session told to go, and the word that its program started.
type Started = Result<(Child, Receiver<()>)>;

impl Place for RemotePlace {
    fn start(
        &self,
        i: usize,
        node: &str,
        spec: &ProcSpec,
        env: &[(OsString, OsString)],
    ) -> Result<Child> {
        self.go(i, node, spec, env).map(|(child, _)| child)
    }

    /// Returns once the supervisor says the program starts (or its session ended, or
    /// [`session::START_LIMIT`] passed: then the process shows as it is).
    fn restart(
        &self,
        i: usize,
        node: &str,
        spec: &ProcSpec,
        env: &[(OsString, OsString)],
    ) -> Result<Child> {
        let (child, heard) = self.go(i, node, spec, env)?;
        let _ = heard.recv_timeout(session::START_LIMIT);
        Ok(child)
    }

    /// A line to the supervisor: the signal's number, and 1 for the group or 0 for the
    /// process alone. A closed connection means the process is gone already.
    fn signal(&self, child: &mut Child, sig: Signal, group: bool) -> Result<()> {
        if let Some(stdin) = child.stdin.as_mut() {
            let _ = writeln!(stdin, "{} {}", sig as i32, group as u8).and_then(|()| stdin.flush());
        }
        Ok(())
    }

    /// Opens the spare sessions there is room for (`spare.rs`; a failed one only costs the
    /// speed-up).
    fn warm(&self, i: usize, node: &str, spec: &ProcSpec, env: &[(OsString, OsString)]) {
        let line = self.remote.exec_line(node, spec, env);
        for _ in 0..self.spares.room(i, &line) {
            match self.session(i, node, spec, &line) {
                Ok(s) => self.spares.put(i, line.clone(), s),
                Err(_) => return,
            }
        }
    }

    fn close(&self) {
        self.spares.close_all();
    }
}

/// `user@host:port` → (`user@host`, `port`); anything else is passed to ssh whole.
pub fn split_port(ssh: &str) -> (&str, Option<&str>) {
    match ssh.rsplit_once(':') {
        Some((dest, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (dest, Some(port))
        }
        _ => (ssh, None),
    }
}

/// One word for a POSIX shell: single-quoted unless it is plainly safe.
pub fn quote(w: &OsStr) -> String {
    let s = w.to_string_lossy();
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        return s.into_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `hay` with every `from` that is a whole path (not the start of a longer name: `/a/b` in
/// `/a/b/c` or `'/a/b'`, not in `/a/bc`) replaced by `to`.
fn replace_paths(hay: &[u8], from: &[u8], to: &Path) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut rest = hay;
    while let Some(at) = find(rest, from) {
        let after = rest.get(at + from.len()).copied();
        let whole = !after.is_some_and(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(if whole { to.as_os_str().as_bytes() } else { from });
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    (!needle.is_empty()).then(|| hay.windows(needle.len()).position(|w| w == needle))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_is_split_off_only_when_it_is_a_number() {
        assert_eq!(split_port("root@10.0.0.1:2222"), ("root@10.0.0.1", Some("2222")));
        assert_eq!(split_port("staging-n1"), ("staging-n1", None));
        assert_eq!(split_port("a:b"), ("a:b", None));
    }

    #[test]
    fn quoted_words_survive_the_remote_shell() {
        assert_eq!(quote(OsStr::new("--port=7000")), "--port=7000");
        assert_eq!(quote(OsStr::new("it's a b")), r"'it'\''s a b'");
        assert_eq!(quote(OsStr::new("")), "''");
    }

    #[test]
    fn the_controller_s_paths_become_the_run_folder_s_wherever_they_appear() {
        let hosts =
            Hosts { hosts: vec![], ssh_config: None, controller: None, run_root: "/tmp".into() };
        let r =
            Remote::new(&hosts, Path::new("/store/t/1/nodes"), Some(Path::new("/my/t"))).unwrap();
        let mapped = r.map(OsStr::new("--data=/store/t/1/nodes/n1/data"));
        let want = format!("--data={}/nodes/n1/data", r.run.display());
        assert_eq!(mapped, OsString::from(want));
        assert_eq!(r.map(r.exe.clone().as_os_str()), OsString::from(r.bin()));
        let line =
            "cd -- '/my/t' && { ./s.sh /store/t/1/nodes/n1/s /store/t/1/nodes/n1/s/w /my/tt\n}";
        let (run, target) = (r.run.display(), r.target_dir());
        let want = format!(
            "cd -- '{}' && {{ ./s.sh {run}/nodes/n1/s {run}/nodes/n1/s/w /my/tt\n}}",
            target.display()
        );
        assert_eq!(r.map(OsStr::new(line)), OsString::from(want));
    }
}
