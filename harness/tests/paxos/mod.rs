//! The Paxos trials of the end-to-end suite: a correct Paxos cluster under every default fault
//! is valid, and each planted Paxos bug is caught in one short run with the faults the README
//! names for it (the seeds and lengths are ones measured to catch it; the README gives the
//! catch rates over three seeds at 60 s).

use super::{results, run_test, support, verdicts};
use libtest_mimic::Failed;
use std::time::Duration;

/// One short `splitbrain test --target paxos` run and what it must find.
pub struct PaxosTrial {
    /// The trial's name, a claim.
    pub name: &'static str,
    /// The run's arguments after `--target paxos`.
    pub args: &'static [&'static str],
    /// The checker that must judge the run invalid; `None`: the run must be valid.
    pub invalid: Option<&'static str>,
}

/// The trials, correct run first.
pub const TRIALS: [PaxosTrial; 4] = [
    PaxosTrial {
        name: "a_short_correct_paxos_run_with_every_fault_is_valid",
        args: &[
            "--time-limit",
            "15",
            "--nemesis",
            "partition,pause,kill",
            "--nemesis-interval",
            "2s",
            "--seed",
            "3",
        ],
        invalid: None,
    },
    PaxosTrial {
        name: "paxos_forgetting_promises_gives_two_leaders_of_a_round_under_kills",
        args: &[
            "--bug",
            "forget-promise",
            "--nemesis",
            "kill",
            "--time-limit",
            "20",
            "--seed",
            "1",
        ],
        invalid: Some("election-safety"),
    },
    PaxosTrial {
        name: "paxos_leading_without_a_quorum_gives_two_leaders_of_a_round_under_partitions",
        args: &[
            "--bug",
            "no-quorum-check",
            "--nemesis",
            "partition",
            "--time-limit",
            "15",
            "--seed",
            "1",
        ],
        invalid: Some("election-safety"),
    },
    PaxosTrial {
        name: "paxos_ignoring_the_rank_gives_two_leaders_of_a_round_under_partitions",
        args: &[
            "--bug",
            "ignore-rank",
            "--nemesis",
            "partition",
            "--time-limit",
            "20",
            "--seed",
            "1",
        ],
        invalid: Some("election-safety"),
    },
];

/// Runs `trial` to its end and judges its verdict.
pub fn run(trial: &PaxosTrial) -> Result<(), Failed> {
    let store = support::store("e2e", trial.name);
    let args: Vec<&str> = ["--target", "paxos"].iter().chain(trial.args).copied().collect();
    let out = run_test(&store, &args, Duration::from_secs(90))?;
    let r = results(&store)?;
    let code = out.status.code();
    let _ = std::fs::remove_dir_all(&store);
    let checks = r["checks"].as_array().cloned().unwrap_or_default();
    let invalid =
        |name: &str| checks.iter().any(|c| c["checker"] == name && c["verdict"] == "invalid");
    let judged = match trial.invalid {
        None => code == Some(0) && r["verdict"] == "valid",
        Some(checker) => code == Some(1) && invalid(checker),
    };
    if judged {
        return Ok(());
    }
    Err(format!("exit {code:?}, verdict {}:\n{}", r["verdict"], verdicts(&r)).into())
}
