//! PostgreSQL advisory-lock leaders: the README's pg-advisory findings, each a plain
//! `splitbrain test` of the real binary on a built-in target file (`--target pg-advisory`,
//! `-fenced`, `-checked`, `-stuck`: `examples/targets/pg-advisory*.toml`), plus: no `postgres`
//! process outlives a run or a SIGKILL of the controller, and `splitbrain targets` lists them.
//!
//! Neighbours: `byo_findings.rs` (the other target files) and `thirdparty_findings.rs` (the
//! built-in etcd and Redis electors), whose shape this follows: a probabilistic finding gets
//! seeds 1–3, a trial is ignored with the reason printed where the machine has no sandbox or
//! lacks PostgreSQL or psycopg2, and trials run one at a time.

use libtest_mimic::{Arguments, Failed, Trial};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod support;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const POSTGRES: &str = "/usr/lib/postgresql/15/bin/postgres";

/// One verdict of the README: a target, its options, and which checker must say what.
struct Finding {
    name: &'static str,
    target: &'static str,
    args: &'static [&'static str],
    /// `Some(checker)`: some seed of 1–3 must make it invalid (exit 1); `None`: seed 1 valid.
    invalid: Option<&'static str>,
}

const FINDINGS: [Finding; 5] = [
    Finding {
        name: "advisory_lock_usual_recipe_with_partitions_has_dual_writers",
        target: "pg-advisory",
        // The server drops the cut-off holder's session after ~3 s of failed keepalives.
        args: &["--nemesis", "partition", "--time-limit", "20"],
        invalid: Some("dual-writer"),
    },
    Finding {
        name: "advisory_lock_fenced_by_a_sequence_with_partitions_pauses_and_kills_is_valid",
        target: "pg-advisory-fenced",
        args: &["--nemesis", "partition,pause,kill", "--time-limit", "20", "--seed", "1"],
        invalid: None,
    },
    Finding {
        name:
            "advisory_lock_checked_before_each_write_open_with_partitions_pauses_and_kills_is_valid",
        target: "pg-advisory-checked",
        args: &["--nemesis", "partition,pause,kill", "--time-limit", "20", "--seed", "1"],
        invalid: None,
    },
    Finding {
        name: "advisory_lock_with_default_server_keepalives_has_no_failover_within_the_bound",
        target: "pg-advisory-stuck",
        // The dead session keeps the lock through the whole partition (6 s), and after it
        // until the server's next retransmission meets the holder's reset: a failover of more
        // than 6 s whenever a cut takes the holder from the server. 60 s, not 20: a 20 s run
        // has one whole partition, whose cut may leave the holder with the server (seeds 1–3
        // all missed so once); a 60 s run has five, dealt from a shuffled deck of the six
        // cuts, so at least one is `isolate-leader` or `three-way`, which cut the leader off
        // alone.
        args: &[
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "6s",
            "--max-failover",
            "5s",
            "--time-limit",
            "60",
        ],
        invalid: Some("liveness"),
    },
    Finding {
        name: "advisory_lock_with_short_server_keepalives_fails_over_within_the_bound",
        target: "pg-advisory-checked",
        args: &[
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "6s",
            "--max-failover",
            "5s",
            "--time-limit",
            "20",
            "--seed",
            "1",
        ],
        invalid: None,
    },
];

fn main() {
    let args = Arguments::from_args();
    let missing = missing();
    let mut trials: Vec<Trial> = FINDINGS
        .iter()
        .map(|f| {
            let trial = Trial::test(f.name, move || one_at_a_time(|| run(f)));
            ignore_unless(trial, &missing)
        })
        .collect();
    let sigkill = Trial::test("a_sigkilled_controller_leaves_no_postgres_running", || {
        one_at_a_time(sigkill_leaves_no_postgres)
    });
    trials.push(ignore_unless(sigkill, &missing));
    trials.push(Trial::test("splitbrain_targets_lists_the_pg_advisory_targets", listed));
    libtest_mimic::run(&args, trials).exit();
}

/// Why the trials that run PostgreSQL cannot run here, if they cannot.
fn missing() -> Option<String> {
    if let Some(why) = support::sandbox_missing() {
        return Some(why);
    }
    let mut psycopg2 = Command::new("/usr/bin/python3");
    psycopg2.args(["-c", "import psycopg2"]).stderr(Stdio::null());
    match (Path::new(POSTGRES).is_file(), psycopg2.status().is_ok_and(|s| s.success())) {
        (true, true) => None,
        _ => Some("postgresql 15 or python3-psycopg2 not installed (run scripts/setup)".into()),
    }
}

fn ignore_unless(trial: Trial, missing: &Option<String>) -> Trial {
    match missing {
        Some(reason) => {
            eprintln!("ignoring {}: {reason}", trial.name());
            trial.with_ignored_flag(true)
        }
        None => trial,
    }
}

fn one_at_a_time(f: impl FnOnce() -> Result<(), Failed>) -> Result<(), Failed> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    f()
}

fn test_cmd(store: &Path, target: &str, extra: &[&str]) -> Command {
    let mut c = Command::new(support::bin());
    c.args(["test", "--target", target, "--store"]).arg(store).args(extra);
    // initdb, the server and four Python candidates start slowly on a loaded 2-core machine.
    c.args(["--leader-timeout", "30s"]).stdin(Stdio::null());
    c
}

fn run(f: &Finding) -> Result<(), Failed> {
    let seeds: &[&str] = match f.invalid {
        Some(_) => &["1", "2", "3"],
        None => &[""],
    };
    let mut seen = Vec::new();
    for seed in seeds {
        let store = support::store("pg", &format!("{}-{seed}", f.name));
        let mut args = f.args.to_vec();
        args.extend(if seed.is_empty() { vec![] } else { vec!["--seed", seed] });
        let out =
            support::run_bounded(test_cmd(&store, f.target, &args), Duration::from_secs(200))?;
        support::nothing_left(&store, "after the run ended")?;
        let summary = String::from_utf8_lossy(&out.stdout).into_owned();
        let code = out.status.code();
        let ok = match f.invalid {
            None => code == Some(0),
            Some(checker) => code == Some(1) && verdict(&store, checker)? == "invalid",
        };
        let _ = std::fs::remove_dir_all(&*store);
        if ok {
            return Ok(());
        }
        seen.push(format!("seed {seed}: exit {code:?}\n{summary}"));
    }
    let want = f.invalid.map_or("valid".into(), |c| format!("{c} invalid"));
    Err(format!("want {want}, got:\n{}", seen.join("\n")).into())
}

/// The verdict of `checker` in the newest run's results.json.
fn verdict(store: &Path, checker: &str) -> Result<String, Failed> {
    let run = std::fs::canonicalize(store.join("latest"))?;
    let r: Value = serde_json::from_str(&std::fs::read_to_string(run.join("results.json"))?)?;
    let checks = r["checks"].as_array().cloned().unwrap_or_default();
    let c = checks.iter().find(|c| c["checker"] == checker);
    Ok(c.and_then(|c| c["verdict"].as_str()).unwrap_or("missing").to_string())
}

fn sigkill_leaves_no_postgres() -> Result<(), Failed> {
    let store = support::store("pg", "sigkill");
    let args = ["--nemesis", "partition", "--time-limit", "60", "--seed", "1"];
    let mut child = test_cmd(&store, "pg-advisory", &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(40);
    let backends = loop {
        let pg: Vec<_> = support::processes_of(&store)
            .into_iter()
            .filter(|(_, c)| c.contains("postgres"))
            .collect();
        let history = std::fs::read_to_string(store.join("latest").join("history.jsonl"));
        // The postmaster and its helpers, and a session per candidate: 5 and more.
        if pg.len() > 5 && history.is_ok_and(|h| h.contains("\"elected\"")) {
            break pg;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no postgres sessions and no leader within 40 s: {pg:?}").into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
    child.wait()?;
    support::nothing_left(&store, &format!("after SIGKILL of the controller (were {backends:?})"))?;
    let _ = std::fs::remove_dir_all(&*store);
    Ok(())
}

fn listed() -> Result<(), Failed> {
    let out = Command::new(support::bin()).arg("targets").output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let wants = [
        "\npg-advisory  ",
        "\npg-advisory-fenced  ",
        "\npg-advisory-checked  ",
        "\npg-advisory-stuck  ",
        "server postgres on n1, ready on port 5432",
        "candidate on the nodes without a server: exec /usr/bin/python3 pg_advisory.py {servers:postgres}",
        "pause on the postgres servers: the target file's faults list leaves it out",
    ];
    match wants.iter().find(|w| !text.contains(*w)) {
        Some(w) => {
            Err(format!("`splitbrain targets` lacks {w:?} (exit {:?}):\n{text}", out.status.code())
                .into())
        }
        None => Ok(()),
    }
}
