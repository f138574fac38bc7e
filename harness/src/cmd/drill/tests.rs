//! Tests of reading a drill file and planning its scenarios (no sandbox: planning starts
//! nothing).

use super::file::{DrillFile, Seeds};
use super::judge::options_hash;
use super::scenario::{self, Planned};
use splitbrain_results::drill::{BoundKind, Expect, Figure};
use std::time::Duration;

/// The file `text`, read, and its scenarios planned with drill seed 100.
fn planned(text: &str) -> (DrillFile, Vec<Planned>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("night.toml");
    std::fs::write(&path, text).unwrap();
    let mut f = DrillFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let runs = dir.path().join("runs");
    let specs = std::mem::take(&mut f.scenarios);
    let plans = specs.into_iter().map(|s| scenario::plan(&path, s, &runs, 100).unwrap()).collect();
    (f, plans, dir)
}

const FILE: &str = r#"
keep_nights = 10
[trends]
threshold = { failover_p99_ms = 0.5 }
[defaults]
time_limit = "20s"
nemesis = ["partition", "kill"]
[[scenario]]
name = "a"
repeat = 3
max_failover = "1.5s"
[[scenario]]
name = "b"
bug = "small-quorum"
time_limit = 7
expect = "invalid"
seeds = [9, 4]
durable = false
"#;

#[test]
fn scenario_keys_mean_what_tests_flags_mean_and_defaults_give_way() {
    let (f, p, _dir) = planned(FILE);
    assert_eq!((f.name.as_str(), f.keep_nights), ("night", Some(10)));
    assert_eq!(f.rules.thresholds.get(&Figure::FailoverP99Ms), Some(&0.5));
    assert_eq!(f.rules.thresholds.get(&Figure::Availability), None);
    assert_eq!(p[0].plan.time_limit, Duration::from_secs(20));
    assert_eq!(p[1].plan.time_limit, Duration::from_secs(7));
    assert_eq!(p[1].plan.nemesis_text(), "partition,kill");
    assert_eq!(
        (p[1].plan.bug.map(|b| b.name()), p[1].spec.expect),
        (Some("small-quorum"), Expect::Invalid)
    );
    assert_eq!(p[0].spec.bounds, vec![(BoundKind::MaxFailover, 1500.0)]);
    assert_eq!(p[1].spec.seeds, Seeds::List(vec![9, 4]));
}

#[test]
fn repeat_runs_from_the_drill_seed_into_a_folder_per_seed() {
    let (_f, p, dir) = planned(FILE);
    assert_eq!(p[0].seeds, vec![100, 101, 102]);
    let run = p[0].for_seed(101);
    assert_eq!(run.seed, 101);
    assert_eq!(run.run_folder, Some(dir.path().join("runs/a/101")));
}

#[test]
fn the_options_hash_ignores_seeds_and_follows_the_options() {
    let (_f, p, _dir) = planned(FILE);
    let a = options_hash(&p[0].plan.to_json());
    assert_eq!(a, options_hash(&p[0].for_seed(5).to_json()));
    assert_ne!(a, options_hash(&p[1].plan.to_json()));
}
