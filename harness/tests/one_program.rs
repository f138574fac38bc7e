//! `splitbrain` is the whole tool: the controller, and each node and the fenced resource through
//! its hidden `node` and `resource` subcommands, which take the arguments of `splitbrain-node`
//! and `splitbrain-resource` and keep their exit statuses. A copy of the binary alone in a
//! folder runs a test (the controller starts its nodes from its own executable).
//!
//! The run of the lone copy needs a sandbox (root or user namespaces, `ip`, `nft`); it is
//! ignored, with the reason printed, where the machine cannot build one.

use libtest_mimic::{Arguments, Failed, Trial};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;

fn main() {
    let args = Arguments::from_args();
    let sandbox = support::sandbox_missing();
    if let Some(r) = &sandbox {
        eprintln!("one_program: ignoring the run of a lone copy: {r}");
    }
    let trials = vec![
        Trial::test("the_node_subcommand_takes_the_node_arguments_and_statuses", node_statuses),
        Trial::test("the_resource_subcommand_serves_and_stops_on_sigterm", resource_serves),
        Trial::test("the_help_lists_neither_internal_subcommand", help_hides_them),
        Trial::test("a_lone_copy_of_the_binary_runs_a_valid_test", lone_copy_runs_a_test)
            .with_ignored_flag(sandbox.is_some()),
    ];
    libtest_mimic::run(&args, trials).exit();
}

fn splitbrain(args: &[&str]) -> Result<Output, Failed> {
    Ok(Command::new(support::bin()).args(args).stdin(Stdio::null()).output()?)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn node_statuses() -> Result<(), Failed> {
    let base = ["node", "--id", "n1", "--listen", "127.0.0.1:0", "--peers", "n1=127.0.0.1:1"];
    let base = [&base[..], &["--data-dir", "/tmp/sb-never-used", "--resource", "127.0.0.1:1"]];
    let table: [(&[&str], i32, &str); 4] = [
        (&["--bug", "nope"], 2, "--bug: unknown bug \"nope\""),
        (&["--elector", "zab"], 2, "unknown elector \"zab\""),
        (&["--election-timeout-ms", "300-100"], 2, "--election-timeout-ms: expected MIN-MAX"),
        (&["--help"], 0, "--peers <NAME=HOST:PORT,…>"),
    ];
    for (extra, code, want) in table {
        let out = splitbrain(&[&base.concat()[..], extra].concat())?;
        let said = text(if code == 0 { &out.stdout } else { &out.stderr });
        if out.status.code() != Some(code) || !said.contains(want) {
            return Err(
                format!("{extra:?}: {:?}, wanted {code} and {want:?}: {said}", out.status).into()
            );
        }
    }
    let out = splitbrain(&["node"])?;
    match (out.status.code(), text(&out.stderr)) {
        (Some(2), e) if e.contains("Usage: splitbrain node") => Ok(()),
        (code, e) => Err(format!("`splitbrain node` alone: {code:?}: {e}").into()),
    }
}

/// Kills and reaps the child on drop, so a failed trial leaves nothing running.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn resource_serves() -> Result<(), Failed> {
    let child = Command::new(support::bin())
        .args(["resource", "--listen", "127.0.0.1:0", "--mode", "fenced"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut child = Reaped(child);
    let mut banner = String::new();
    BufReader::new(child.0.stderr.take().ok_or("no stderr")?).read_line(&mut banner)?;
    let addr = banner.rsplit(' ').next().ok_or("no address")?.trim().to_string();
    let mut conn = TcpStream::connect(&addr)?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    writeln!(conn, r#"{{"op":"write","key":"register","token":3,"node":"n2","value":7}}"#)?;
    let mut answer = String::new();
    BufReader::new(&conn).read_line(&mut answer)?;
    let mut decision = String::new();
    BufReader::new(child.0.stdout.take().ok_or("no stdout")?).read_line(&mut decision)?;
    if !answer.contains(r#""ok":true"#) || !decision.contains(r#""f":"accept""#) {
        return Err(format!("answer {answer:?}, decision {decision:?}").into());
    }
    let pid = nix::unistd::Pid::from_raw(child.0.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM)?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.0.try_wait()? {
            Some(s) if s.success() => return Ok(()),
            Some(s) => return Err(format!("after SIGTERM: {s}").into()),
            None if Instant::now() > deadline => {
                return Err("still running 5 s after SIGTERM".into())
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn help_hides_them() -> Result<(), Failed> {
    let out = splitbrain(&["--help"])?;
    let help = text(&out.stdout);
    let listed = |name: &str| help.lines().any(|l| l.trim_start().starts_with(&format!("{name} ")));
    match (out.status.success(), listed("node"), listed("resource"), listed("test")) {
        (true, false, false, true) => Ok(()),
        _ => Err(format!("splitbrain --help:\n{help}").into()),
    }
}

/// The binary copied into a folder of its own, with nothing beside it, runs a short healthy
/// test to a valid verdict, and its log shows each candidate started as `<copy> node …`.
fn lone_copy_runs_a_test() -> Result<(), Failed> {
    let dir = support::store("one-program", "lone");
    std::fs::create_dir_all(&dir)?;
    let copy = dir.join("splitbrain");
    std::fs::copy(support::bin(), &copy)?;
    let store = dir.join("store");
    let mut child = Command::new(&copy)
        .args(["test", "--time-limit", "3", "--nemesis", "none", "--store"])
        .arg(&store)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("splitbrain test did not finish within 120 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output()?;
    if out.status.code() != Some(0) {
        return Err(
            format!("exit {:?}: {}{}", out.status, text(&out.stdout), text(&out.stderr)).into()
        );
    }
    let started_from_the_copy = candidate_lines(&store.join("latest/harness.log"))?
        .iter()
        .all(|l| l.contains(&format!(": {} node --id ", copy.display())));
    let _ = std::fs::remove_dir_all(&dir);
    match started_from_the_copy {
        true => Ok(()),
        false => Err("a candidate was not started as `<the copy> node …`".into()),
    }
}

/// The `candidate on nX: …` lines of a run's log (at least one).
fn candidate_lines(log: &Path) -> Result<Vec<String>, Failed> {
    let text = std::fs::read_to_string(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let lines: Vec<String> =
        text.lines().filter(|l| l.contains("] candidate on ")).map(str::to_string).collect();
    match lines.is_empty() {
        true => Err(format!("no candidate line in {}", log.display()).into()),
        false => Ok(lines),
    }
}
