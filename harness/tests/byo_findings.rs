//! Bring your own: the README's "Bring your own" verdicts, each a plain `splitbrain test` of
//! the real binary on a target file of `examples/targets/` (a shell script around the real
//! `etcdctl elect`; Python with redis-py's `Lock`; Node.js with a Redis lease; kazoo's election
//! recipe on ZooKeeper, built in as `--target zookeeper`), plus what a user sees from a bad target
//! file and from `splitbrain targets FILE`, and a candidate that exits at once.
//!
//! As in thirdparty_findings.rs: a probabilistic finding gets up to three seeds; a trial is
//! ignored, with the reason printed, where the machine has no sandbox or lacks a program; trials
//! run one at a time.

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

mod support;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// One verdict of the README: a target file, its options, and the exit status it must give.
struct Finding {
    name: &'static str,
    file: &'static str,
    args: &'static [&'static str],
    /// 0 valid, 1 invalid.
    exit: i32,
    /// What must be installed: programs, and Python modules of /usr/bin/python3.
    needs: &'static [&'static str],
}

const FINDINGS: [Finding; 7] = [
    Finding {
        name: "etcdctl_elect_fenced_with_partitions_and_kills_is_valid",
        file: "etcdctl-elect.toml",
        // etcdctl elect's session TTL is 60 s: after a kill of the leader, the next one is
        // elected once the dead session's lease expires.
        args: &[
            "--nemesis",
            "partition,kill",
            "--time-limit",
            "20",
            "--seed",
            "1",
            "--convergence-bound",
            "70s",
        ],
        exit: 0,
        needs: &["etcd", "etcdctl"],
    },
    Finding {
        name: "redis_py_lock_open_with_pauses_has_dual_writers",
        file: "redis-py-open.toml",
        args: &[
            "--resource",
            "open",
            "--nemesis",
            "pause",
            "--nemesis-interval",
            "2.5s",
            "--time-limit",
            "20",
        ],
        exit: 1,
        needs: &["redis-server", "python3:redis"],
    },
    Finding {
        name: "redis_py_lock_fenced_by_incr_with_pauses_and_partitions_is_valid",
        file: "redis-py-fenced.toml",
        args: &["--nemesis", "pause,partition", "--time-limit", "20", "--seed", "1"],
        exit: 0,
        needs: &["redis-server", "python3:redis"],
    },
    Finding {
        name: "node_js_redis_lease_fenced_by_incr_with_pauses_and_partitions_is_valid",
        file: "node-redis-lease.toml",
        args: &["--nemesis", "pause,partition", "--time-limit", "20", "--seed", "1"],
        exit: 0,
        needs: &["redis-server", "node"],
    },
    Finding {
        name: "zookeeper_recipe_open_with_pauses_has_dual_writers",
        file: "zookeeper",
        // A pause (5 s) longer than the session (3 s): the woken leader's node writes before
        // kazoo has seen the expiry.
        args: &["--resource", "open", "--nemesis", "pause", "--time-limit", "20"],
        exit: 1,
        needs: &["java", "python3:kazoo"],
    },
    Finding {
        name: "zookeeper_recipe_fenced_by_czxid_with_pauses_is_valid",
        file: "zookeeper",
        args: &["--nemesis", "pause", "--time-limit", "20", "--seed", "1"],
        exit: 0,
        needs: &["java", "python3:kazoo"],
    },
    Finding {
        name: "zookeeper_recipe_fenced_with_partitions_pauses_and_kills_is_valid",
        file: "zookeeper",
        args: &["--nemesis", "partition,pause,kill", "--time-limit", "20", "--seed", "1"],
        exit: 0,
        needs: &["java", "python3:kazoo"],
    },
];

fn main() {
    let args = Arguments::from_args();
    let sandbox = support::sandbox_missing();
    let mut trials: Vec<Trial> = FINDINGS
        .iter()
        .map(|f| {
            support::ignore_unless(
                Trial::test(f.name, move || one_at_a_time(|| run_finding(f))),
                &sandbox,
                f.needs,
            )
        })
        .collect();
    let exits =
        Trial::test("a_candidate_that_exits_at_once_is_restarted_and_the_history_says_so", || {
            one_at_a_time(exits_at_once)
        });
    trials.push(support::ignore_unless(exits, &sandbox, &[]));
    trials.push(Trial::test("a_mistake_in_a_target_file_is_254_with_the_file_and_line", bad_file));
    trials.push(Trial::test("splitbrain_targets_file_describes_the_target_file", describes_file));
    trials.push(Trial::test("splitbrain_targets_lists_the_built_in_zookeeper", lists_zookeeper));
    libtest_mimic::run(&args, trials).exit();
}

fn one_at_a_time(f: impl FnOnce() -> Result<(), Failed>) -> Result<(), Failed> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    f()
}

/// A file of examples/targets/, or a built-in target file's name (`zookeeper`) as it is.
fn example(file: &str) -> PathBuf {
    match file.ends_with(".toml") {
        true => Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/targets").join(file),
        false => PathBuf::from(file),
    }
}

fn test_cmd(store: &Path, target: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(support::bin());
    c.args(["test", "--target"]).arg(target).arg("--store").arg(store).args(extra);
    // A candidate of an interpreted language, and its servers, may start slowly on a loaded
    // 2-core machine: the trials judge the election, not the start-up time.
    if !extra.contains(&"--leader-timeout") {
        c.args(["--leader-timeout", "30s"]);
    }
    c.stdin(Stdio::null());
    c
}

fn run_finding(f: &Finding) -> Result<(), Failed> {
    if f.exit == 1 {
        return find_in_three_seeds(f);
    }
    let store = support::store("byo", f.name);
    let out =
        support::run_bounded(test_cmd(&store, &example(f.file), f.args), Duration::from_secs(400))?;
    if out.status.code() != Some(f.exit) {
        let summary = String::from_utf8_lossy(&out.stdout);
        return Err(format!("exit {:?}, want {}:\n{summary}", out.status.code(), f.exit).into());
    }
    let _ = std::fs::remove_dir_all(&store);
    Ok(())
}

/// A probabilistic finding: seeds 1, 2, 3 one run each, until one is invalid by dual-writer.
/// (Not `--test-count 3`: a tokenless run without a dual write is `unknown`, which ends the
/// series as much as a finding does.)
fn find_in_three_seeds(f: &Finding) -> Result<(), Failed> {
    let mut seen = Vec::new();
    for seed in ["1", "2", "3"] {
        let store = support::store("byo", &format!("{}-{seed}", f.name));
        let args: Vec<&str> = f.args.iter().copied().chain(["--seed", seed]).collect();
        let out = support::run_bounded(
            test_cmd(&store, &example(f.file), &args),
            Duration::from_secs(150),
        )?;
        let found = out.status.code() == Some(1)
            && support::dual_writer_invalid(&std::fs::canonicalize(store.join("latest"))?).is_ok();
        let _ = std::fs::remove_dir_all(&store);
        if found {
            return Ok(());
        }
        let summary = String::from_utf8_lossy(&out.stdout).into_owned();
        seen.push(format!("seed {seed}: exit {:?}\n{summary}", out.status.code()));
    }
    Err(format!("no dual writer in 3 seeds:\n{}", seen.join("\n")).into())
}

fn exits_at_once() -> Result<(), Failed> {
    let dir = support::store("byo", "exits-at-once-file");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("exits.toml");
    std::fs::write(
        &file,
        "nodes = 3\n[candidate]\ncommand = \"echo 'no election here' >&2; exit 3\"\n",
    )?;
    let store = support::store("byo", "exits-at-once");
    let args = [
        "--nemesis",
        "none",
        "--time-limit",
        "3",
        "--leader-timeout",
        "2s",
        "--convergence-bound",
        "1s",
    ];
    let out = support::run_bounded(test_cmd(&store, &file, &args), Duration::from_secs(60))?;
    if out.status.code() == Some(0) {
        return Err("a run in which no candidate ever ran long enough to elect exited 0".into());
    }
    let run = std::fs::canonicalize(store.join("latest"))?;
    let history = std::fs::read_to_string(run.join("history.jsonl"))?;
    let exits: Vec<Value> = history
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["f"] == "candidate-exit")
        .collect();
    if exits.len() < 3
        || exits.iter().any(|r| r["type"] != "info" || r["value"]["status"] != "exit 3")
    {
        return Err(format!(
            "want 3 or more info records candidate-exit with status exit 3, got {exits:?}"
        )
        .into());
    }
    let log = std::fs::read_to_string(run.join("nodes/n1/candidate.log"))?;
    if !log.contains("no election here") {
        return Err("the candidate's stderr is not in nodes/n1/candidate.log".into());
    }
    let _ = std::fs::remove_dir_all(&store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn bad_file() -> Result<(), Failed> {
    let dir = support::store("byo", "bad-file");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("bad.toml");
    let table: [(&str, &[&str], &str); 2] = [
        ("nodes = 3\n[candidate]\ncommand = \"./c {adr}\"\n", &[], ":3: {adr} in command is not a field: use one of {node}"),
        (
            "[[servers]]\nnodes = 4\nready_port = 9\ncommand = \"s\"\n[candidate]\ncommand = \"c\"\n",
            &["--nodes", "3"],
            ":1: [[servers]] server runs on 4 nodes but the run has 3 (--nodes): give --nodes 4 or more",
        ),
    ];
    for (text, args, want) in table {
        std::fs::write(&file, text)?;
        let mut cmd = Command::new(support::bin());
        let out =
            cmd.args(["test", "--target"]).arg(&file).args(args).stdin(Stdio::null()).output()?;
        let err = String::from_utf8_lossy(&out.stderr);
        let want = format!("{}{want}", file.display());
        if out.status.code() != Some(254) || !err.contains(&want) || err.lines().count() != 1 {
            let code = out.status.code();
            return Err(format!(
                "exit {code:?}, stderr {err:?}; want 254 and one line with {want:?}"
            )
            .into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn describes_file() -> Result<(), Failed> {
    let out = Command::new(support::bin())
        .arg("targets")
        .arg(example("redis-py-fenced.toml"))
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let wants = [
        "redis-py-fenced  ",
        "server redis on n1",
        "candidate on the nodes without a server",
        "clock faults aim at the server node(s)",
        "tokens: the candidate's (default resource: fenced)",
    ];
    match wants.iter().find(|w| !text.contains(*w)) {
        Some(w) if out.status.success() => {
            Err(format!("`splitbrain targets FILE` lacks {w:?}:\n{text}").into())
        }
        None if out.status.success() => Ok(()),
        _ => Err(format!("exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr))
            .into()),
    }
}

fn lists_zookeeper() -> Result<(), Failed> {
    let out = Command::new(support::bin()).arg("targets").output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let wants = [
        "\nzookeeper  ",
        "token = the leader znode's czxid",
        "server zookeeper on n1…n3, ready on port 2181",
        "candidate on every node: /usr/bin/python3 zk_election.py {servers:zookeeper}",
    ];
    match wants.iter().find(|w| !text.contains(*w)) {
        Some(w) => {
            Err(format!("`splitbrain targets` lacks {w:?} (exit {:?}):\n{text}", out.status.code())
                .into())
        }
        None => Ok(()),
    }
}
