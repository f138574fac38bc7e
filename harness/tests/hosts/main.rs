//! `splitbrain test --hosts` for real, against five sshd "hosts" the test makes outside the
//! controller (`lab.rs`): raft under every fault kind gives the sandbox's verdicts, each
//! planted bug is caught, etcd runs, a target file's shell candidate runs from the folder's
//! copy on each host, each host's clock offset is recorded (two hosts run 30 s ahead), a
//! controller killed with SIGKILL mid-run leaves no process, rule or file on any host, and a
//! host still carrying an earlier run's rules is refused with the command that clears them;
//! delay on hosts is refused naming each host whose kernel lacks netem, and, on hosts whose
//! `tc` is a recording fake (`lab.rs`), issues and removes exactly the qdiscs and filters of
//! its windows, also when the controller is killed (`delay.rs`; netem's effect itself is not
//! tested here: this kernel has no netem).
//!
//! Ignored, with the reason printed, when not root or when sshd, ssh, ip or nft is missing.
//! Trials run one at a time (each builds its own lab with the same names).

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod delay;
mod lab;
#[path = "../support/mod.rs"]
mod support;

use lab::{Lab, SKEW_NS};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
const SKEWED: [usize; 2] = [2, 4];

fn main() {
    let args = Arguments::from_args();
    let missing = missing();
    let trials = [
        Trial::test("raft_on_five_ssh_hosts_is_valid_and_records_each_host_s_clock_offset", || {
            lab_trial(raft_valid)
        }),
        Trial::test("the_planted_raft_bugs_on_ssh_hosts_are_caught", || {
            lab_trial(raft_bugs_caught)
        }),
        Trial::test("the_etcd_target_runs_on_ssh_hosts", || lab_trial(etcd_runs)),
        Trial::test(
            "a_target_file_s_folder_is_copied_to_the_hosts_and_its_shell_candidate_leads_there",
            || lab_trial(byo_runs),
        ),
        Trial::test(
            "a_controller_killed_mid_run_leaves_no_process_rule_or_file_on_any_host",
            || lab_trial(kill_leaves_nothing),
        ),
        Trial::test("delay_on_hosts_whose_kernel_lacks_netem_is_254_naming_each_host", || {
            lab_trial(delay::without_netem_refused)
        }),
        Trial::test(
            "delay_on_hosts_puts_a_netem_qdisc_and_filters_for_exactly_the_faulted_peers_and_removes_them",
            || faked_tc_trial(delay::qdiscs_follow_the_windows),
        ),
        Trial::test(
            "a_controller_killed_during_a_delay_leaves_the_agents_to_delete_their_qdiscs",
            || faked_tc_trial(delay::kill_removes_the_qdiscs),
        ),
        Trial::test(
            "a_host_with_an_earlier_run_s_delay_qdisc_is_refused_naming_the_command_that_clears_it",
            || faked_tc_trial(delay::leftover_qdisc_refused),
        ),
        Trial::test("a_delay_that_tc_refuses_on_a_host_is_reported_and_leaves_no_qdisc", || {
            faked_tc_trial(delay::a_failing_tc_is_reported_and_leaves_no_qdisc)
        }),
        Trial::test(
            "a_host_with_an_earlier_run_s_rules_is_refused_naming_the_command_that_clears_them",
            || lab_trial(leftover_rules_refused),
        ),
    ];
    let mut trials: Vec<Trial> = trials
        .into_iter()
        .map(|t| match &missing {
            Some(why) => {
                println!("ignored {}: {why}", t.name());
                t.with_ignored_flag(true)
            }
            None => t,
        })
        .collect();
    trials.push(Trial::test(
        "a_mistake_in_the_hosts_file_is_254_with_the_file_and_line",
        bad_hosts_file,
    ));
    libtest_mimic::run(&args, trials).exit();
}

/// Why the lab cannot be built here, if it cannot.
fn missing() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some(
            "the sshd hosts need root (network and mount namespaces for each host)".into(),
        );
    }
    ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen", "/usr/sbin/nft", "/usr/bin/nsenter"]
        .into_iter()
        .find(|p| !Path::new(p).exists())
        .map(|p| format!("{p} is not installed (run scripts/setup: openssh-server, nftables)"))
}

fn lab_trial(f: fn(&Lab) -> Result<(), Failed>) -> Result<(), Failed> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    checked(Lab::up(5, &SKEWED)?, f)
}

/// A trial on a lab whose hosts run the recording `tc` (`lab.rs`).
fn faked_tc_trial(f: fn(&Lab) -> Result<(), Failed>) -> Result<(), Failed> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    checked(Lab::up_faking_tc(5, &SKEWED)?, f)
}

/// `f` on `lab`, then nothing of the run may be left on any host.
fn checked(lab: Lab, f: fn(&Lab) -> Result<(), Failed>) -> Result<(), Failed> {
    let result = f(&lab);
    let left: Vec<String> = (1..=lab.n).flat_map(|i| lab.leftovers(i)).collect();
    result?;
    match left.is_empty() {
        true => Ok(()),
        false => Err(format!("left on the hosts after the run: {left:?}").into()),
    }
}

/// `splitbrain test --hosts` in the lab's namespace (bounded by `limit`).
fn run(lab: &Lab, store: &Path, args: &[&str], limit: Duration) -> Result<Output, Failed> {
    let mut child = controller(lab, store, args)?;
    let deadline = Instant::now() + limit;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(format!("splitbrain test {args:?} did not end within {limit:?}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(child.wait_with_output()?)
}

fn controller(lab: &Lab, store: &Path, args: &[&str]) -> Result<Child, Failed> {
    let hosts = lab.path("hosts.toml");
    Ok(Command::new("ip")
        .args(["netns", "exec", &lab.name, support::bin(), "test", "--hosts"])
        .arg(&hosts)
        .arg("--store")
        .arg(store)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?)
}

fn expect_exit(out: &Output, code: i32) -> Result<(), Failed> {
    match out.status.code() == Some(code) {
        true => Ok(()),
        false => Err(format!(
            "exit {:?}, wanted {code}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into()),
    }
}

/// The records of the store's latest run.
fn history(store: &Path) -> Result<Vec<Value>, Failed> {
    let path = std::fs::read_dir(store)?
        .flatten()
        .map(|e| e.path().join("latest/history.jsonl"))
        .find(|p| p.exists())
        .or_else(|| Some(store.join("latest/history.jsonl")).filter(|p| p.exists()))
        .ok_or("no history in the store")?;
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
}

fn raft_valid(lab: &Lab) -> Result<(), Failed> {
    let store = support::store("hosts", "raft");
    // Four fault windows (2, 6, 10, 14 s): the deck deals each kind once.
    let nemesis = "partition,pause,kill,clock";
    let args =
        ["--nemesis", nemesis, "--nemesis-interval", "2s", "--time-limit", "18", "--seed", "3"];
    let out = run(lab, &store, &args, Duration::from_secs(150))?;
    expect_exit(&out, 0)?;
    let h = history(&store)?;
    for f in ["start-partition", "pause", "kill", "clock-"] {
        let applied = |r: &Value| r["f"].as_str().is_some_and(|g| g.starts_with(f));
        if !h.iter().any(|r| r["process"] == "nemesis" && applied(r)) {
            return Err(format!("no {f} fault was applied on the hosts").into());
        }
    }
    offsets_recorded(&h)
}

/// Every host has a `clock-offset` record at the start and at the end; the skewed hosts are
/// 30 s ahead, the others on time, within the uncertainty each record gives (plus 0.5 s).
fn offsets_recorded(h: &[Value]) -> Result<(), Failed> {
    for i in 1..=5 {
        let node = format!("n{i}");
        let want = if SKEWED.contains(&i) { SKEW_NS as f64 / 1e6 } else { 0.0 };
        for at in ["start", "end"] {
            let r = h
                .iter()
                .find(|r| {
                    r["f"] == "clock-offset"
                        && r["process"] == node.as_str()
                        && r["value"]["at"] == at
                })
                .ok_or(format!("no clock-offset record of {node} at the {at}"))?;
            let (off, unc) =
                (r["value"]["offset_ms"].as_f64(), r["value"]["uncertainty_ms"].as_f64());
            let (Some(off), Some(unc)) = (off, unc) else { return Err(format!("{r}").into()) };
            if (off - want).abs() > unc + 500.0 {
                return Err(format!(
                    "{node} at the {at}: offset {off} ms, wanted {want} ms ± {unc} ms: {r}"
                )
                .into());
            }
        }
    }
    Ok(())
}

/// The planted Raft bugs with the faults that show them (README, "Running a test"), each run
/// with seed 5 and, where that one misses, seeds 1 and 2: a catch needs the faults to land at
/// the right moment, and on a loaded 2-core machine one seed now and then does not (CI once
/// missed one of these at seed 5 alone). forget-vote needs 60 s here (seeds 1–3 at 30 s caught
/// in 3 of 6 runs on the hosts, 3 of 3 in the sandbox). The two bugs only late messages reach
/// (`lease-read`, `stale-vote`) need netem, which these hosts' kernel lacks.
const BUGS: [(&str, &[&str]); 5] = [
    ("forget-vote", &["--nemesis", "kill", "--time-limit", "60"]),
    ("no-stepdown", &["--nemesis", "partition", "--nemesis-interval", "2s", "--time-limit", "12"]),
    ("small-quorum", &["--nemesis", "partition", "--time-limit", "30"]),
    ("no-fencing", &["--resource", "open", "--nemesis", "partition,pause", "--time-limit", "30"]),
    ("stale-read", &["--time-limit", "30"]),
];

/// The seeds a planted bug gets, in turn, until one is caught.
const BUG_SEEDS: [&str; 3] = ["5", "1", "2"];

fn raft_bugs_caught(lab: &Lab) -> Result<(), Failed> {
    let mut missed = Vec::new();
    for (bug, faults) in BUGS {
        if let Err(e) = caught_within_seeds(lab, bug, faults) {
            missed.push(format!("--bug {bug}: {}", e.message().unwrap_or_default()));
        }
    }
    match missed.is_empty() {
        true => Ok(()),
        false => Err(missed.join("\n").into()),
    }
}

/// Runs `bug` under `faults` with each of [`BUG_SEEDS`] until one run exits 1.
fn caught_within_seeds(lab: &Lab, bug: &str, faults: &[&str]) -> Result<(), Failed> {
    let mut misses = Vec::new();
    for seed in BUG_SEEDS {
        let store = support::store("hosts", bug);
        let args = [&["--target", "raft", "--bug", bug, "--convergence-bound", "3s"], faults];
        let args = [&args.concat()[..], &["--seed", seed]].concat();
        let out = run(lab, &store, &args, Duration::from_secs(150))?;
        match expect_exit(&out, 1) {
            Ok(()) => return Ok(()),
            Err(e) => misses.push(format!("seed {seed}: {}", e.message().unwrap_or_default())),
        }
        println!("--bug {bug} missed at seed {seed}; trying the next seed");
    }
    Err(misses.join("\n").into())
}

fn etcd_runs(lab: &Lab) -> Result<(), Failed> {
    if !Path::new("/usr/bin/etcd").exists() {
        return Err("etcd is not installed (run scripts/setup)".into());
    }
    let store = support::store("hosts", "etcd");
    let args = [
        "--target",
        "etcd",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "3s",
        "--time-limit",
        "15",
        "--seed",
        "2",
    ];
    let out = run(lab, &store, &args, Duration::from_secs(180))?;
    expect_exit(&out, 0)
}

/// A bring-your-own target from a folder the hosts cannot see (the controller's /tmp; each
/// host has its own): the shell candidate around `etcdctl elect` runs from the folder's copy,
/// is elected, and the run is valid under partitions.
fn byo_runs(lab: &Lab) -> Result<(), Failed> {
    if !Path::new("/usr/bin/etcd").exists() || !Path::new("/usr/bin/etcdctl").exists() {
        return Err("etcd and etcdctl are not installed (run scripts/setup)".into());
    }
    let folder = tempfile::tempdir()?;
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/targets");
    for f in ["etcdctl-elect.toml", "etcdctl-elect.sh"] {
        std::fs::copy(examples.join(f), folder.path().join(f))?;
    }
    let target = folder.path().join("etcdctl-elect.toml");
    let store = support::store("hosts", "byo");
    let args = ["--nemesis", "partition", "--nemesis-interval", "3s", "--time-limit", "15"];
    let target = target.to_str().ok_or("a temporary path that is not UTF-8")?;
    let args = [&["--target", target], &args[..], &["--seed", "2"]].concat();
    let out = run(lab, &store, &args, Duration::from_secs(180))?;
    expect_exit(&out, 0)?;
    let h = history(&store)?;
    match h.iter().any(|r| r["f"] == "elected") {
        true => Ok(()),
        false => Err("no candidate was elected on the hosts".into()),
    }
}

/// SIGKILL to the controller once a partition is in force (rules on the hosts); then every
/// host must be clean within 20 s.
fn kill_leaves_nothing(lab: &Lab) -> Result<(), Failed> {
    let store = support::store("hosts", "kill");
    let args = [
        "--target",
        "raft",
        "--nemesis",
        "partition,clock",
        "--nemesis-interval",
        "1s",
        "--time-limit",
        "60",
        "--seed",
        "4",
        "--rate",
        "50",
    ];
    let mut child = controller(lab, &store, &args)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let started = |h: &[Value]| h.iter().any(|r| r["f"] == "start-partition");
    while !history(&store).is_ok_and(|h| started(&h)) {
        if Instant::now() > deadline || child.try_wait()?.is_some() {
            let _ = child.kill();
            return Err("no partition began".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let rules_there = (1..=lab.n).any(|i| lab.leftovers(i).iter().any(|l| l.contains("nft table")));
    child.kill()?;
    child.wait()?;
    if !rules_there {
        return Err(
            "no host had the run's rules while it ran: the check below would prove nothing".into(),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left: Vec<String> = (1..=lab.n).flat_map(|i| lab.leftovers(i)).collect();
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "20 s after the controller's SIGKILL the hosts still had {left:?}"
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn leftover_rules_refused(lab: &Lab) -> Result<(), Failed> {
    let host = lab.host(3);
    let add = Command::new("ip")
        .args(["netns", "exec", &host, "nft", "add", "table", "inet", "splitbrain"])
        .status()?;
    if !add.success() {
        return Err("could not plant the table".into());
    }
    let store = support::store("hosts", "leftover");
    let out = run(lab, &store, &["--time-limit", "5"], Duration::from_secs(120))?;
    let _ = Command::new("ip")
        .args(["netns", "exec", &host, "nft", "delete", "table", "inet", "splitbrain"])
        .status();
    let said = String::from_utf8_lossy(&out.stderr);
    if out.status.success() || !said.contains("sudo nft delete table inet splitbrain") {
        return Err(format!("exit {:?}, stderr: {said}", out.status.code()).into());
    }
    Ok(())
}

fn bad_hosts_file() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("hosts.toml");
    std::fs::write(&path, "[nodes.n1]\nssh = \"root@h1\"\naddr = \"h1\"\n")?;
    let out = Command::new(support::bin()).args(["test", "--hosts"]).arg(&path).output()?;
    let said = String::from_utf8_lossy(&out.stderr);
    let want = format!("{}:3: addr", path.display());
    match out.status.code() == Some(254) && said.contains(&want) {
        true => Ok(()),
        false => {
            Err(format!("exit {:?}, stderr {said:?}, wanted 254 and {want:?}", out.status.code())
                .into())
        }
    }
}
