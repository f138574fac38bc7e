//! Proof that the sandbox and its faults are real: every scenario runs in a fresh child process
//! of this test binary that enters its own sandbox (a sandbox must be entered before any thread
//! exists, and libtest runs trials on threads). Each scenario runs as root and, through an
//! unprivileged user, rootless; a trial the machine cannot run is ignored with the reason.
//!
//! The same binary doubles as the program started on nodes (`SB_TEST_SERVE`): a TCP server
//! that answers every connection with its wall clock, so a test sees both whether a node
//! answers and what time its clock says.

#[path = "support/scenarios.rs"]
mod scenarios;

use libtest_mimic::{Arguments, Failed, Trial};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SCENARIO: &str = "SB_TEST_SCENARIO";
const NOBODY: &str = "65534";

fn main() {
    if let Ok(addr) = std::env::var("SB_TEST_SERVE") {
        scenarios::serve(&addr);
    }
    if let Ok(name) = std::env::var(SCENARIO) {
        std::process::exit(scenarios::run(&name));
    }
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for name in scenarios::ALL.iter().map(|s| s.0).chain([scenarios::REBUILD]) {
        trials.push(trial(name, false));
        trials.push(trial(name, true));
    }
    trials.push(
        Trial::test("nothing_is_left_after_the_controller_is_killed", || leftovers(false))
            .with_ignored_flag(ignore_reason(false).is_some()),
    );
    trials.push(
        Trial::test("nothing_is_left_after_the_controller_is_killed (rootless)", || {
            leftovers(true)
        })
        .with_ignored_flag(ignore_reason(true).is_some()),
    );
    let conclusion = libtest_mimic::run(&args, trials);
    if let Some(dir) = RUNNABLE_COPY.get().and_then(|c| c.as_ref()).and_then(|p| p.parent()) {
        let _ = std::fs::remove_dir_all(dir);
    }
    conclusion.exit();
}

/// A copy of this binary that the unprivileged user can run (the build directory may sit under
/// a home only root can enter), made once.
static RUNNABLE_COPY: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();

fn runnable_exe(rootless: bool) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    if !(rootless && is_root()) {
        return exe;
    }
    let copy = RUNNABLE_COPY.get_or_init(|| {
        use std::os::unix::fs::PermissionsExt;
        // Kept past this call: main removes it once every trial has run.
        let dir =
            tempfile::Builder::new().prefix("splitbrain-nemesis-test-").tempdir().ok()?.keep();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).ok()?;
        let to = dir.join("sandbox-test");
        std::fs::copy(&exe, &to).ok()?;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).ok()?;
        Some(to)
    });
    copy.clone().expect("copying the test binary for the unprivileged user")
}

fn trial(name: &'static str, rootless: bool) -> Trial {
    let label = if rootless { format!("{name} (rootless)") } else { name.to_string() };
    let mut reason = ignore_reason(rootless);
    if reason.is_none() && name.contains("link") && which("ethtool").is_none() {
        reason = Some("ethtool is not installed (scripts/setup installs it)".into());
    }
    if reason.is_none() && name.contains("redis") && which("redis-server").is_none() {
        reason = Some("redis-server is not installed (scripts/setup installs it)".into());
    }
    let ignored = reason.is_some();
    if let Some(r) = reason {
        eprintln!("ignoring {label}: {r}");
    }
    Trial::test(label, move || run_child(name, rootless)).with_ignored_flag(ignored)
}

fn which(prog: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|d| d.join(prog))
        .find(|p| p.exists())
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Why a variant can't run here, or None.
fn ignore_reason(rootless: bool) -> Option<String> {
    if which("ip").is_none() || which("nft").is_none() {
        return Some("ip or nft missing: run scripts/setup".into());
    }
    if !rootless && !is_root() {
        return Some("needs root (the rootless variant runs instead)".into());
    }
    if rootless {
        let ok = command(&["unshare", "--user", "--map-root-user", "--net", "true"], true)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Some("unprivileged user namespaces are off here (sysctl kernel.unprivileged_userns_clone=1)".into());
        }
        if is_root() && which("setpriv").is_none() {
            return Some(
                "setpriv (util-linux) is missing: it runs the rootless variant as nobody".into(),
            );
        }
    }
    None
}

/// A command, run as nobody when `rootless` and we are root.
fn command(argv: &[&str], rootless: bool) -> Command {
    if rootless && is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups", "--"]).args(argv);
        c
    } else {
        let mut c = Command::new(argv[0]);
        c.args(&argv[1..]);
        c
    }
}

fn child(name: &str, rootless: bool, env: &[(&str, &str)]) -> Child {
    let exe = runnable_exe(rootless);
    let mut c = command(&[exe.to_str().expect("utf-8 path")], rootless);
    c.env(SCENARIO, name)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.current_dir("/").spawn().expect("spawning the scenario")
}

/// Runs scenario `name` in a child that enters its own sandbox; fails with its output.
fn run_child(name: &str, rootless: bool) -> Result<(), Failed> {
    let mut c = child(name, rootless, &[]);
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = c.try_wait().expect("wait") {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = c.kill();
            let _ = c.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    let _ = c.stdout.take().expect("piped").read_to_string(&mut out);
    let _ = c.stderr.take().expect("piped").read_to_string(&mut err);
    match status {
        Some(s) if s.success() => Ok(()),
        Some(s) => Err(format!("scenario {name} failed ({s}):\n{out}{err}").into()),
        None => Err(format!("scenario {name} took over 120 s:\n{out}{err}").into()),
    }
}

/// What the machine's own network and mounts look like, to compare before and after.
fn host_snapshot() -> (String, String, usize, Vec<String>) {
    let out = |argv: &[&str]| {
        Command::new(argv[0])
            .args(&argv[1..])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let links = out(&["ip", "-o", "link", "show"])
        .lines()
        .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rules = out(&["nft", "list", "ruleset"]);
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").map_or(0, |m| m.lines().count());
    let netns = std::fs::read_dir("/run/netns")
        .map(|d| {
            d.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned())).collect()
        })
        .unwrap_or_default();
    (links, rules, mounts, netns)
}

/// Every descendant of `pid`, by walking /proc/PID/task/*/children.
fn descendants(pid: u32) -> Vec<u32> {
    let mut all = vec![];
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        let tasks = std::fs::read_dir(format!("/proc/{p}/task")).into_iter().flatten().flatten();
        for t in tasks {
            let kids = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
            for k in kids.split_whitespace().filter_map(|k| k.parse().ok()) {
                all.push(k);
                todo.push(k);
            }
        }
    }
    all
}

fn ns_of(pid: u32) -> Vec<String> {
    ["net", "mnt", "pid", "user"]
        .iter()
        .filter_map(|n| std::fs::read_link(format!("/proc/{pid}/ns/{n}")).ok())
        .map(|l| l.to_string_lossy().into_owned())
        .collect()
}

/// Namespaces any process on the machine is in now.
fn all_namespaces() -> Vec<String> {
    let pids = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok());
    pids.flat_map(ns_of).collect()
}

fn leftovers(rootless: bool) -> Result<(), Failed> {
    let before = host_snapshot();
    let host_ns = all_namespaces();
    // The sleepers' argument marks them as this variant's, apart from the other's.
    let mark = if rootless { "987655" } else { "987654" };
    let mut c = child("linger", rootless, &[("SB_TEST_MARK", mark)]);
    let out = c.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        tx.send(BufReader::new(out).lines().next().and_then(|l| l.ok()).unwrap_or_default())
    });
    let ready = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    if ready != "READY" {
        let _ = c.kill();
        let _ = c.wait();
        let mut err = String::new();
        let _ = c.stderr.take().expect("piped").read_to_string(&mut err);
        return Err(format!("the sandbox never got ready: {ready:?} {err}").into());
    }
    let pids = descendants(c.id());
    let ours: Vec<String> =
        pids.iter().flat_map(|p| ns_of(*p)).filter(|n| !host_ns.contains(n)).collect();
    if pids.len() < 7 || ours.is_empty() {
        let _ = c.kill();
        let _ = c.wait();
        return Err(format!("expected init, controller and 5 sleepers in new namespaces; saw pids {pids:?}, namespaces {ours:?}").into());
    }
    c.kill().expect("SIGKILL the controller's outer process");
    c.wait().expect("reap");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let alive: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
            .collect();
        let still: Vec<String> =
            all_namespaces().into_iter().filter(|n| ours.contains(n)).collect();
        let sleepers = std::fs::read_dir("/proc").into_iter().flatten().flatten().any(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(mark))
        });
        if alive.is_empty() && still.is_empty() && !sleepers {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("after SIGKILL: processes {alive:?} alive, namespaces {still:?} in use, sleepers {sleepers}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let after = host_snapshot();
    if after != before {
        return Err(format!("the machine changed: before {before:?}\nafter {after:?}").into());
    }
    Ok(())
}
