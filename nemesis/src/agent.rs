//! The host side of a run on real hosts: `splitbrain host-agent RUN` (one per host: the rule
//! shell, the clock control file, and the cleanup) and `splitbrain host-exec RUN … -- PROGRAM`
//! (one per process: its supervisor). Both end what they hold when their stdin closes, which is
//! when the controller's SSH connection drops, however the controller ended. A supervisor
//! starts its program only when its first stdin line, `go`, arrives: the controller can open a
//! spare session before a restart and start the process over it at once (`spare.rs`).
//!
//! Neighbours: `remote.rs` and `hosts_net.rs` start these over `ssh`; `nft.rs` speaks to the
//! agent exactly as to `nft -i`; `node_clock.rs` encodes its `#@clock` lines.
//!
//! Design: the agent relays every line to a local `nft -i` except `#@clock …` (a comment to
//! nft), which it applies to its mapped control file before reading on, and `#@delay …`,
//! which it puts in force with `tc` (`host_delay.rs`); so the controller's sync set answers
//! for all three. A `#@delay` that fails is said on stderr and the line after it (the sync
//! transaction) is not relayed, so the controller's sync check fails with that message. Each supervisor writes its process group to `RUN/procs/`, and
//! the agent's cleanup kills whatever is listed there, deletes the rule table and its delay
//! qdiscs and removes the run folder, so a supervisor that died first leaves nothing behind either.

use crate::clock::{self, ClockFile};
use crate::host_delay::{self, AgentDelays};
use crate::nft::TABLE;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The command that clears a host of an earlier run's rules.
pub const CLEAR_RULES: &str = "sudo nft delete table inet splitbrain";

/// `host-agent RUN`: refuses a host that still has a run's rules, then relays until stdin
/// closes, then heals the host. Returns the exit status.
pub fn agent_main(args: &[OsString]) -> i32 {
    let Some(run) = args.first().map(PathBuf::from) else {
        eprintln!("host-agent: give the run folder");
        return 254;
    };
    if nft(&["list", "table", "inet", "splitbrain"]) {
        eprintln!("this host still has the rules of an earlier splitbrain run (nft table {TABLE}): clear them with `{CLEAR_RULES}`");
        // This run's folder (the copied binary) goes; the earlier run's rules stay for the
        // user to look at and clear.
        let _ = std::fs::remove_dir_all(&run);
        return 3;
    }
    if let Some(dev) = host_delay::leftover_devs().first() {
        let clear = crate::netem::clear_command(dev);
        eprintln!("this host still has the delay of an earlier splitbrain run (tc qdisc {}: on {dev}): clear it with `{clear}`", crate::netem::HANDLE);
        let _ = std::fs::remove_dir_all(&run);
        return 3;
    }
    let mut delays = AgentDelays::default();
    let relayed = relay(&run, &mut delays);
    delays.clear();
    heal(&run);
    match relayed {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("host-agent: {e}");
            255
        }
    }
}

/// Lines from stdin to `nft -i`, clock lines to the control file, delay lines to `tc`, until
/// stdin closes.
fn relay(run: &Path, delays: &mut AgentDelays) -> Result<(), String> {
    std::fs::create_dir_all(run.join("procs"))
        .map_err(|e| format!("creating {}: {e}", run.display()))?;
    clock::install_shim(run).map_err(|e| e.to_string())?;
    let mut file = ClockFile::create(&run.join("clock")).map_err(|e| e.to_string())?;
    let mut shell = Command::new("nft")
        .arg("-i")
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting nft -i: {e}"))?;
    let mut to_nft = shell.stdin.take().expect("piped");
    let mut skip = false;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if std::mem::take(&mut skip) {
            continue;
        }
        if let Some(words) = line.strip_prefix("#@delay") {
            if let Err(e) = delays.set(words) {
                eprintln!("host-agent: delay: {e}");
                skip = true;
            }
            continue;
        }
        if let Some(words) = line.strip_prefix("#@clock ") {
            let w: Vec<i64> = words.split(' ').filter_map(|w| w.parse().ok()).collect();
            if let Some(s) = crate::node_clock::clock_from_words(&w) {
                file.set(s);
            }
            continue;
        }
        if writeln!(to_nft, "{line}").and_then(|()| to_nft.flush()).is_err() {
            break;
        }
    }
    drop(to_nft);
    let _ = crate::tools::wait_bounded(&mut shell, std::time::Duration::from_secs(5));
    Ok(())
}

/// Kills every supervised process group, deletes the rule table, removes the run folder.
fn heal(run: &Path) {
    for pgid in listed_groups(run) {
        let _ = killpg(pgid, Signal::SIGCONT);
        let _ = killpg(pgid, Signal::SIGKILL);
    }
    nft(&["delete", "table", "inet", "splitbrain"]);
    let _ = std::fs::remove_dir_all(run);
}

fn listed_groups(run: &Path) -> Vec<Pid> {
    let Ok(dir) = std::fs::read_dir(run.join("procs")) else { return Vec::new() };
    let pgid = |e: std::fs::DirEntry| e.file_name().to_str()?.parse::<i32>().ok();
    dir.flatten().filter_map(pgid).filter(|&p| p > 1).map(Pid::from_raw).collect()
}

/// `nft ARGS…` quietly; true when it succeeded.
fn nft(args: &[&str]) -> bool {
    Command::new("nft")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What `host-exec` was asked to run.
#[derive(Debug, Default)]
struct ExecArgs {
    run: PathBuf,
    dirs: Vec<PathBuf>,
    cwd: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
    program: Vec<OsString>,
}

fn parse_exec(args: &[OsString]) -> Option<ExecArgs> {
    let mut it = args.iter();
    let mut a = ExecArgs { run: it.next()?.into(), ..ExecArgs::default() };
    while let Some(flag) = it.next() {
        match flag.to_str()? {
            "--dir" => a.dirs.push(it.next()?.into()),
            "--cwd" => a.cwd = Some(it.next()?.into()),
            "--env" => {
                let kv = it.next()?.to_str()?;
                let (k, v) = kv.split_once('=')?;
                a.env.push((k.into(), v.into()));
            }
            "--" => break,
            _ => return None,
        }
    }
    a.program = it.cloned().collect();
    (!a.program.is_empty()).then_some(a)
}

/// `host-exec RUN [--dir D]… [--cwd D] [--env K=V]… -- PROGRAM ARGS…`: once stdin says `go`,
/// runs the program in a process group of its own, signals it as stdin lines say, kills the
/// group when stdin closes, and exits with the program's status. A stdin that closes before
/// `go` (a spare session nobody used) ends it at once, having started nothing.
pub fn exec_main(args: &[OsString]) -> i32 {
    let Some(a) = parse_exec(args) else {
        eprintln!("host-exec: give RUN [--dir D]… [--cwd D] [--env K=V]… -- PROGRAM ARGS…");
        return 254;
    };
    if !told_to_go() {
        return 0;
    }
    for d in &a.dirs {
        let _ = std::fs::create_dir_all(d);
    }
    // Before the program, which writes to the same stdout.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", crate::session::STARTED).and_then(|()| out.flush());
    drop(out);
    let mut cmd = Command::new(&a.program[0]);
    cmd.args(&a.program[1..]).envs(a.env.iter().cloned()).stdin(Stdio::null()).process_group(0);
    if let Some(d) = &a.cwd {
        cmd.current_dir(d);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("host-exec: starting {}: {e}", a.program[0].to_string_lossy());
            return 127;
        }
    };
    let pgid = Pid::from_raw(child.id() as i32);
    let listed = a.run.join("procs").join(child.id().to_string());
    let _ = std::fs::write(&listed, b"");
    std::thread::spawn(move || obey(pgid));
    let status = child.wait();
    let _ = std::fs::remove_file(&listed);
    status.map_or(255, |s| s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0)))
}

/// Waits for the first stdin line; true when it is `go`. (Stdin's buffer is shared, so what
/// follows the line is left for [`obey`].)
fn told_to_go() -> bool {
    let mut first = String::new();
    let read = std::io::stdin().lock().read_line(&mut first);
    read.is_ok_and(|n| n > 0) && first.trim_end() == "go"
}

/// Signals `pgid` as each stdin line says ("SIGNAL GROUP"); at the end of stdin kills the
/// group and exits.
fn obey(pgid: Pid) {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let mut words = line.split(' ').filter_map(|w| w.parse::<i32>().ok());
        let (Some(sig), group) = (words.next(), words.next() == Some(1)) else { continue };
        let Ok(sig) = Signal::try_from(sig) else { continue };
        let _ = match group {
            true => killpg(pgid, sig),
            false => nix::sys::signal::kill(pgid, sig),
        };
    }
    let _ = killpg(pgid, Signal::SIGCONT);
    let _ = killpg(pgid, Signal::SIGKILL);
    std::process::exit(137);
}

#[cfg(test)]
mod tests {
    #[test]
    fn exec_arguments_come_apart_at_the_double_dash() {
        let args: Vec<std::ffi::OsString> =
            ["/r", "--dir", "/r/d", "--env", "A=b=c", "--", "prog", "--x"].map(Into::into).into();
        let a = super::parse_exec(&args).unwrap();
        assert_eq!(a.dirs, [std::path::PathBuf::from("/r/d")]);
        assert_eq!(a.env, [("A".into(), "b=c".into())]);
        assert_eq!(a.program, ["prog", "--x"]);
    }
}
