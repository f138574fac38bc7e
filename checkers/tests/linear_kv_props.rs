//! The key-value model agrees with brute force: on many random small histories of one or two
//! keys with `get`, `put` and `append`, with and without operations of unknown outcome, the
//! checker says linearizable exactly when every key's operations have a legal order (each
//! between its call and return; unknown ones anywhere after their call, or not at all).
//!
//! Appends are where the search works hardest (each order of concurrent appends makes a
//! different string), so they are half the writes here.

mod support;

use proptest::prelude::*;
use serde_json::{json, Value};
use splitbrain_checkers::linear::kv::{KvInput, KvOutput};
use splitbrain_checkers::linear::{from_history, Kv, Operation};
use splitbrain_checkers::{History, Process, Record, Type};
use std::collections::BTreeMap;
use support::{agrees_with_brute_force, brute_by_part, Rng};

/// An operation in flight: what it does, and what a `get` saw once it took effect.
#[derive(Clone)]
struct Pending {
    process: i64,
    f: &'static str,
    key: String,
    arg: String,
    seen: Option<String>,
}

/// The true map, and the records of the history being written.
struct Run {
    rng: Rng,
    truth: BTreeMap<String, String>,
    records: Vec<Record>,
}

impl Run {
    fn push(&mut self, process: i64, kind: Type, f: &str, value: Value) {
        let index = self.records.len() as u64;
        let process = Process::Client(process);
        let (f, node, error) = (f.to_string(), None, None);
        self.records.push(Record { index, time: index, process, kind, f, value, node, error });
    }

    /// Applies `p` to the true map; a `get` remembers what it saw.
    fn apply(&mut self, p: &mut Pending) {
        let value = self.truth.entry(p.key.clone()).or_default();
        match p.f {
            "get" => p.seen = Some(value.clone()),
            "put" => *value = p.arg.clone(),
            _ => value.push_str(&p.arg),
        }
    }

    /// A `get`'s answer: what it saw, or now and then a wrong string.
    fn answer(&mut self, p: &Pending) -> String {
        let seen = p.seen.clone().unwrap_or_default();
        match self.rng.below(10) {
            0 | 1 => format!("{seen}x"),
            2 => seen.chars().skip(1).collect(),
            3 => String::new(),
            _ => seen,
        }
    }
}

/// A random history: a few clients run operations against a true map, each taking effect at
/// a random moment between its invocation and completion; some `get` answers are corrupted;
/// with `info`, some operations end `info` (taking effect later, or never) or never complete.
fn history(seed: u64, info: bool) -> History {
    let mut run = Run { rng: Rng(seed), truth: BTreeMap::new(), records: Vec::new() };
    let keys = 1 + run.rng.below(2);
    let mut budget = 2 + run.rng.below(8);
    let mut idle: Vec<i64> = (0..2 + run.rng.below(3) as i64).collect();
    let mut next_process = idle.len() as i64;
    let (mut pending, mut ghosts): (Vec<(Pending, bool)>, Vec<Pending>) = (vec![], vec![]);
    while budget > 0 || !pending.is_empty() {
        match run.rng.below(4) {
            0 if budget > 0 && !idle.is_empty() => {
                budget -= 1;
                let process = idle.swap_remove(run.rng.below(idle.len() as u64) as usize);
                let p = invoke(&mut run, process, keys);
                pending.push((p, false));
            }
            1 if !pending.is_empty() => {
                let i = run.rng.below(pending.len() as u64) as usize;
                if !pending[i].1 {
                    run.apply(&mut pending[i].0);
                    pending[i].1 = true;
                }
            }
            2 if !ghosts.is_empty() => {
                let mut g = ghosts.swap_remove(run.rng.below(ghosts.len() as u64) as usize);
                if run.rng.chance(50) {
                    run.apply(&mut g);
                }
            }
            _ if !pending.is_empty() => {
                let i = run.rng.below(pending.len() as u64) as usize;
                if info && run.rng.chance(25) {
                    let (p, applied) = pending.swap_remove(i);
                    if run.rng.chance(70) {
                        run.push(p.process, Type::Info, p.f, json!({"key": p.key, "value": null}));
                    }
                    if !applied {
                        ghosts.push(p);
                    }
                    idle.push(next_process);
                    next_process += 1;
                } else if pending[i].1 {
                    let (p, _) = pending.swap_remove(i);
                    complete(&mut run, &p);
                    idle.push(p.process);
                }
            }
            _ => {}
        }
    }
    History::new(run.records)
}

fn invoke(run: &mut Run, process: i64, keys: u64) -> Pending {
    let key = format!("k{}", run.rng.below(keys));
    let f = ["get", "put", "append", "append"][run.rng.below(4) as usize];
    let arg = ["a", "b", "c"][run.rng.below(3) as usize].to_string();
    let shown = if f == "get" { Value::Null } else { json!(arg) };
    run.push(process, Type::Invoke, f, json!({"key": key, "value": shown}));
    Pending { process, f, key, arg, seen: None }
}

fn complete(run: &mut Run, p: &Pending) {
    let value = if p.f == "get" { json!(run.answer(p)) } else { json!(p.arg) };
    run.push(p.process, Type::Ok, p.f, json!({"key": p.key, "value": value}));
}

fn agree(seed: u64, info: bool) -> Result<(), TestCaseError> {
    let mut model = Kv::new();
    let ops = from_history(&mut model, &history(seed, info))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    agrees_with_brute_force(&mut model, &ops)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_kv_checker_agrees_with_brute_force(seed in any::<u64>()) {
        agree(seed, false)?;
    }

    #[test]
    fn the_kv_checker_agrees_with_brute_force_with_unknown_outcomes(seed in any::<u64>()) {
        agree(seed, true)?;
    }
}

/// The random histories give both verdicts often, and use appends of unknown outcome, so the
/// agreement above is not a claim about trivial histories.
#[test]
fn the_random_kv_histories_are_both_valid_and_invalid_often() {
    let (mut verdicts, mut unknown_appends) = ([0usize; 2], 0);
    for seed in 0..2000 {
        let h = history(seed, true);
        let mut model = Kv::new();
        let ops = from_history(&mut model, &h).unwrap();
        verdicts[brute_by_part(&mut model, &ops) as usize] += 1;
        let append = |o: &&Operation<KvInput, KvOutput>| {
            o.input.op == splitbrain_checkers::linear::kv::KvOp::Append && !o.is_required()
        };
        unknown_appends += ops.iter().filter(append).count();
    }
    eprintln!("invalid/valid: {verdicts:?}; appends of unknown outcome: {unknown_appends}");
    assert!(verdicts[0] > 200 && verdicts[1] > 200, "invalid/valid: {verdicts:?}");
    assert!(unknown_appends > 500, "appends of unknown outcome: {unknown_appends}");
}
