//! Every user mistake, on every subcommand, exits 254 with one line on stderr that names the
//! flag or path; none exits 255 or panics (101). Bad usage is refused before anything starts,
//! so the table runs anywhere, fast. Also: a closed stdout ends quietly with the verdict's
//! status; a run folder the user cannot write and a machine without user namespaces are told
//! in one line (those two need root to switch to another user, and are ignored otherwise).
//!
//! Neighbours: `table.rs` holds the cases; this file runs them, each bounded to 10 s.

mod table;

use libtest_mimic::{Arguments, Failed, Trial};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use table::{example, fixture, Case, Scratch};

const BIN: &str = env!("CARGO_BIN_EXE_splitbrain");

fn main() {
    let args = Arguments::from_args();
    let root = as_root_reason();
    let userns = root.clone().or_else(nested_userns_reason);
    if let Some(r) = &root {
        eprintln!("ignoring what_the_user_cannot_read_or_write_is_254_in_one_line: {r}");
    }
    if let Some(r) = &userns {
        eprintln!("ignoring a_rootless_run_without_user_namespaces_says_so_in_one_line: {r}");
    }
    let trials = vec![
        Trial::test("every_bad_input_exits_254_with_one_line_naming_it", every_bad_input),
        Trial::test("a_closed_stdout_ends_quietly_with_the_verdicts_status", closed_stdout),
        Trial::test("a_leading_byte_order_mark_is_accepted", byte_order_mark),
        Trial::test("what_the_user_cannot_read_or_write_is_254_in_one_line", unwritable_run)
            .with_ignored_flag(root.is_some()),
        Trial::test("a_rootless_run_without_user_namespaces_says_so_in_one_line", userns_off)
            .with_ignored_flag(userns.is_some()),
    ];
    libtest_mimic::run(&args, trials).exit();
}

/// Runs splitbrain with `args` and the given stdout; (status, stderr).
fn run(args: &[String], stdout: Stdio) -> (Option<i32>, String) {
    bounded(Command::new(BIN).args(args).stdout(stdout))
}

/// Runs `command` with no stdin, bounded to 10 s (bad input is refused at once; a run that
/// starts would take longer); (status, stderr).
fn bounded(command: &mut Command) -> (Option<i32>, String) {
    let mut child =
        command.stdin(Stdio::null()).stderr(Stdio::piped()).spawn().expect("running splitbrain");
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("waiting").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().expect("its output");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn every_bad_input() -> Result<(), Failed> {
    let s = Scratch::new("table");
    let busy = TcpListener::bind("127.0.0.1:0").expect("a port to hold");
    let port = busy.local_addr().expect("its address").port();
    let cases: Vec<Case> = table::all(&s, port);
    assert!(cases.len() >= 75, "the table shrank to {} cases", cases.len());
    let wrong: Vec<String> = cases.iter().filter_map(|c| wrong(c, &s)).collect();
    match wrong.is_empty() {
        true => Ok(()),
        false => {
            Err(format!("{} of {} cases:\n{}", wrong.len(), cases.len(), wrong.join("\n")).into())
        }
    }
}

/// What is wrong with the outcome of `c`, if anything.
fn wrong(c: &Case, s: &Scratch) -> Option<String> {
    let (code, err) = run(&c.args, Stdio::null());
    let lines: Vec<&str> = err.lines().collect();
    let problem = match (code, lines.as_slice()) {
        (Some(254), [line]) if line.starts_with("splitbrain: ") && line.contains(&c.says) => None,
        (Some(254), [line]) => Some(format!("says {line:?}, not {:?}", c.says)),
        (code, _) => Some(format!("exit {code:?} with stderr {err:?}")),
    };
    let made = Path::new(&s.path("store-never-made")).exists();
    let problem = problem.or_else(|| made.then(|| "created the store".to_string()));
    problem.map(|p| format!("  {:?}: {p}", c.args))
}

/// A pipe whose reading end is already closed: every write to it fails with EPIPE.
fn closed_pipe() -> Stdio {
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("a pipe");
    drop(read);
    Stdio::from(write)
}

fn closed_stdout() -> Result<(), Failed> {
    let example = example().display().to_string();
    let invalid = fixture("election-safety-two-nodes-one-token.jsonl");
    let table: [(&[&str], i32); 6] = [
        (&["targets"], 0),
        (&["check", &example], 0),
        (&["check", &example, "--json"], 0),
        (&["check", &invalid], 1),
        (&["--help"], 0),
        (&["test", "--help"], 0),
    ];
    for (args, status) in table {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (code, err) = run(&args, closed_pipe());
        if code != Some(status) || !err.is_empty() {
            return Err(
                format!("{args:?}: exit {code:?}, stderr {err:?}; want {status}, quiet").into()
            );
        }
    }
    Ok(())
}

fn byte_order_mark() -> Result<(), Failed> {
    let s = Scratch::new("bom");
    let path = s.dir.join("bom.jsonl");
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(std::fs::read(example()).expect("the example history"));
    std::fs::write(&path, bytes).expect("writing it");
    let (code, err) = run(&["check".into(), path.display().to_string()], Stdio::null());
    match (code, err.is_empty()) {
        (Some(0), true) => Ok(()),
        _ => Err(format!("exit {code:?}, stderr {err:?}").into()),
    }
}

/// Why the tests that switch to another user cannot run here, if they cannot.
fn as_root_reason() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("switching to another user needs root".into());
    }
    let ok = |p: &str| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success());
    (!ok("setpriv")).then(|| "setpriv (util-linux) is missing".into())
}

fn nested_userns_reason() -> Option<String> {
    let ok = |p: &str| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok("unshare") || !ok("nsenter") {
        return Some("unshare or nsenter (util-linux) is missing".into());
    }
    let found = |tool: &str| {
        ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].iter().any(|d| Path::new(d).join(tool).exists())
    };
    if !found("ip") || !found("nft") {
        return Some(
            "ip or nft is missing (a rootless run looks for them first): run scripts/setup".into(),
        );
    }
    let made = Command::new("unshare").args(["--user", "true"]).status();
    (!made.is_ok_and(|s| s.success())).then(|| "no user namespace can be made here".into())
}

/// Runs `script` with `sh -c` as the user nobody; (status, stderr).
fn as_nobody(script: &str) -> (Option<i32>, String) {
    let setpriv = ["--reuid", "nobody", "--regid", "nogroup", "--clear-groups", "sh", "-c"];
    bounded(Command::new("setpriv").args(setpriv).arg(script).stdout(Stdio::null()))
}

/// As the user nobody, on files and folders root made: each refusal, in full.
fn unwritable_run() -> Result<(), Failed> {
    let s = Scratch::new("unwritable");
    let (run, store) = (s.path("folder"), s.path("folder/store"));
    let history = s.dir.join("folder/history.jsonl");
    std::fs::copy(example(), &history).expect("a run's history");
    let secret = s.path("secret.jsonl");
    std::fs::copy(example(), &secret).expect("a history nobody may read");
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("making it unreadable");
    let denied = "Permission denied (os error 13)";
    let table = [
        (format!("analyze {run}"), format!("{run}: cannot write the new results there: {denied}; analyze it as the user who owns it, or analyze a copy (cp -r)")),
        (format!("test --store {store}"), format!("--store {store}: cannot create it: {denied}; give a folder you can write (it is made if missing)")),
        (format!("check {secret}"), format!("{secret}: cannot read it: {denied}")),
    ];
    for (args, says) in table {
        let (code, err) = as_nobody(&format!("exec {BIN} {args}"));
        if code != Some(254) || err != format!("splitbrain: {says}\n") {
            return Err(format!("{args}: exit {code:?}, stderr {err:?}").into());
        }
    }
    Ok(())
}

/// A user namespace whose own limit of nested user namespaces is 0, as a machine with
/// `user.max_user_namespaces=0` has; in it, uid 1000 runs splitbrain rootless, and so does root
/// without CAP_SYS_ADMIN (a container's root). The machine's settings are not touched: the
/// limit belongs to the namespace, which goes with its process.
fn userns_off() -> Result<(), Failed> {
    let mut holder = Command::new("unshare")
        .args(["--user", "sleep", "30"])
        .spawn()
        .expect("a user namespace to hold");
    let outcome = userns_off_in(holder.id());
    let _ = holder.kill();
    let _ = holder.wait();
    outcome
}

fn userns_off_in(pid: u32) -> Result<(), Failed> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let ns = format!("/proc/{pid}/ns/user");
    while std::fs::read_link(&ns).ok() == std::fs::read_link("/proc/self/ns/user").ok() {
        if Instant::now() > deadline {
            return Err("unshare --user did not make its namespace within 5 s".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    for map in ["uid_map", "gid_map"] {
        std::fs::write(format!("/proc/{pid}/{map}"), "0 0 65536").expect("mapping ids");
    }
    let store =
        std::env::temp_dir().join(format!("splitbrain-userns-store-{}", std::process::id()));
    let run = format!("{BIN} test --time-limit 1 --store {}", store.display());
    let table = [
        (
            "setpriv --reuid 1000 --regid 1000 --clear-groups",
            "user namespaces are disabled here (sysctl user.max_user_namespaces=0), and splitbrain needs one when not run as root: run it as root, or `sudo sysctl -w user.max_user_namespaces=15000`",
        ),
        (
            "setpriv --bounding-set -sys_admin --inh-caps -all",
            "as root, the sandbox's namespaces could not be made (Operation not permitted (os error 1)), nor a user namespace to make them in (unshare(CLONE_NEWUSER): No space left on device (os error 28)): give this container CAP_SYS_ADMIN (e.g. docker run --privileged), or allow user namespaces in it",
        ),
    ];
    for (who, says) in table {
        let script = format!("echo 0 > /proc/sys/user/max_user_namespaces && exec {who} {run}");
        let nsenter = ["-t", &pid.to_string(), "-U", "--preserve-credentials", "sh", "-c", &script];
        let (code, err) = bounded(Command::new("nsenter").args(nsenter).stdout(Stdio::null()));
        if code != Some(254) || err != format!("splitbrain: {says}\n") || store.exists() {
            return Err(format!("{who}: exit {code:?}, stderr {err:?}").into());
        }
    }
    Ok(())
}
