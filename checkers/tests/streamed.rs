//! The checkers' explanations are byte-for-byte those recorded in
//! `fixtures/explanations.json`, on the golden files and on a corpus of generated histories
//! (correct schedules, each broken one way), with the default parameters and with tight ones.
//! The file was written from the checkers as they were before they streamed; a refactor of how
//! records reach a checker must not change one sentence, one evidence index or one figure.
//!
//! `SPLITBRAIN_BLESS=1 cargo test -p splitbrain-checkers --test streamed` rewrites the file
//! (only when an explanation is meant to change: say why in the commit).

mod support;

use serde_json::{json, Value};
use splitbrain_checkers::registry::{build_all, run, run_path, Options};
use splitbrain_checkers::{CheckerKind, History, Process, Record, Type};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::schedule::{build, Rng, Schedule};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The golden files the reader accepts.
fn golden_files() -> Vec<(String, History)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let read = |p: &PathBuf| splitbrain_checkers::reader::read_path(p).ok();
    let name = |p: &PathBuf| p.file_name().map(|n| n.to_string_lossy().into_owned());
    files.iter().filter_map(|p| Some((name(p)?, read(p)?))).collect()
}

/// One way to break a correct history.
const MUTATIONS: [&str; 10] = [
    "none",
    "lower-accept-token",
    "accept-by-other-node",
    "elected-by-other-node",
    "null-tokens",
    "stale-read",
    "drop-fault-ends",
    "second-final-leader",
    "cut-in-half",
    "no-resource",
];

fn records_of(seed: u64) -> Vec<Record> {
    let mut s = Schedule::random(seed, 3 + (seed % 5) as usize, 6 + (seed % 7) as usize);
    s.null_tokens = seed % 11 == 3;
    build(&s)
}

/// Positions of the records `keep` picks.
fn where_(records: &[Record], keep: impl Fn(&Record) -> bool) -> Vec<usize> {
    records.iter().enumerate().filter(|(_, r)| keep(r)).map(|(i, _)| i).collect()
}

fn pick(rng: &mut Rng, at: &[usize]) -> Option<usize> {
    (!at.is_empty()).then(|| at[rng.below(at.len() as u64) as usize])
}

fn set(r: &mut Record, key: &str, v: Value) {
    if let Value::Object(m) = &mut r.value {
        m.insert(key.to_string(), v);
    }
}

fn is_accept(r: &Record) -> bool {
    r.process == Process::Resource && r.is(Type::Ok, "accept")
}

/// Breaks `records` as `mutation` says, with choices from `rng`.
fn mutate(mutation: &str, records: &mut Vec<Record>, rng: &mut Rng) {
    match mutation {
        "lower-accept-token" => {
            if let Some(i) = pick(rng, &where_(records, |r| is_accept(r) && r.token().is_some())) {
                let t = records[i].token().unwrap_or(0);
                set(&mut records[i], "token", json!(t - 2));
            }
        }
        "accept-by-other-node" => {
            if let Some(i) = pick(rng, &where_(records, is_accept)) {
                let n = format!("n{}", 1 + rng.below(5));
                set(&mut records[i], "node", json!(n));
            }
        }
        "elected-by-other-node" => {
            let elected = where_(records, |r| r.is(Type::Ok, "elected"));
            if let Some(i) = pick(rng, &elected) {
                records[i].process = Process::Node(format!("n{}", 1 + rng.below(5)));
            }
        }
        "null-tokens" => records.iter_mut().for_each(|r| {
            if r.value.get("token").is_some() {
                set(r, "token", Value::Null);
            }
        }),
        "stale-read" => {
            let reads = where_(records, |r| r.is_client() && r.is(Type::Ok, "read"));
            if let Some(i) = pick(rng, &reads) {
                set(&mut records[i], "value", json!(1));
            }
        }
        "drop-fault-ends" => records.retain(|r| {
            r.process != Process::Nemesis || !(r.f.starts_with("stop-") || r.f == "resume")
        }),
        "second-final-leader" => {
            let statuses = where_(records, |r| r.is_client() && r.is(Type::Ok, "status"));
            if let Some(&i) = statuses.last() {
                let at = i.saturating_sub(2 * (1 + rng.below(3) as usize));
                if records[at].is(Type::Ok, "status") {
                    records[at].value = json!({"leader": true, "token": 1});
                }
            }
        }
        "cut-in-half" => records.truncate(records.len() / 2),
        "no-resource" => records.retain(|r| r.process != Process::Resource),
        _ => {}
    }
}

/// The generated corpus: every mutation of every seed.
fn generated() -> Vec<(String, History)> {
    let mut out = Vec::new();
    for seed in 0..12u64 {
        for (k, m) in MUTATIONS.iter().enumerate() {
            let mut records = records_of(seed);
            mutate(m, &mut records, &mut Rng(seed * 31 + k as u64));
            for (i, r) in records.iter_mut().enumerate() {
                r.index = i as u64;
            }
            out.push((format!("seed-{seed}-{m}"), History::new(records)));
        }
    }
    out
}

/// Tight parameters: they make convergence and liveness decide on bounds.
fn tight() -> Options {
    let mut o = Options::default();
    o.convergence.settle = Duration::from_millis(20);
    o.convergence.bound = Duration::from_millis(30);
    o.liveness.max_failover = Some(Duration::from_millis(12));
    o
}

/// A result as JSON, without the one figure that is a measurement (the search's seconds).
fn explanation(r: &splitbrain_checkers::CheckResult) -> Value {
    let mut v = serde_json::to_value(r).expect("a result serializes");
    if let Some(Value::Object(d)) = v.get_mut("details") {
        d.remove("seconds");
    }
    v
}

/// Every explanation of the corpus, keyed `case/parameters/checker`.
fn explanations() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let cases = golden_files().into_iter().chain(generated());
    let checkers = |o: &Options| build_all(&CheckerKind::all().collect::<Vec<_>>(), o);
    let sets = [("default", checkers(&Options::default())), ("tight", checkers(&tight()))];
    for (case, h) in cases {
        for (params, set) in &sets {
            for r in run(set, &h) {
                out.insert(format!("{case}/{params}/{}", r.checker), explanation(&r));
            }
        }
    }
    out
}

fn golden_path() -> PathBuf {
    fixtures().join("explanations.json")
}

#[test]
fn every_explanation_is_byte_for_byte_the_recorded_one() {
    let now = explanations();
    let text = serde_json::to_string_pretty(&now).expect("explanations serialize") + "\n";
    if std::env::var_os("SPLITBRAIN_BLESS").is_some() {
        std::fs::write(golden_path(), &text).expect("write fixtures/explanations.json");
        return;
    }
    let golden = std::fs::read_to_string(golden_path()).expect("fixtures/explanations.json");
    // Text against text: parsing the file back would round its floats.
    let first_diff = golden.lines().zip(text.lines()).position(|(a, b)| a != b);
    if let Some(at) = first_diff {
        let key = golden.lines().take(at + 1).filter(|l| l.starts_with("  \"")).last();
        panic!(
            "line {}: {:?} became {:?} (in {})",
            at + 1,
            golden.lines().nth(at),
            text.lines().nth(at),
            key.unwrap_or("?")
        );
    }
    assert_eq!(golden.len(), text.len(), "the corpus changed size");
}

#[test]
fn a_history_streamed_from_its_file_is_explained_as_the_same_history_in_memory() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let checkers = build_all(&CheckerKind::all().collect::<Vec<_>>(), &tight());
    for (case, h) in golden_files().into_iter().chain(generated()) {
        let path = dir.path().join("history.jsonl");
        std::fs::write(&path, support::schedule::to_jsonl(&h.records)).expect("write it");
        let (streamed, read) = run_path(&checkers, &path).expect("it reads");
        assert_eq!(read.records, h.records.len() as u64, "{case}");
        let in_memory = run(&checkers, &h);
        let text = |rs: &[splitbrain_checkers::CheckResult]| {
            rs.iter().map(|r| explanation(r).to_string()).collect::<Vec<_>>()
        };
        assert_eq!(text(&streamed), text(&in_memory), "{case}");
    }
}
