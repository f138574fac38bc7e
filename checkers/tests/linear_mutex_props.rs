//! The mutex model's search agrees with brute force: on many random small histories of
//! `acquire` and `release`, with and without operations of unknown outcome, the checker says
//! linearizable exactly when some order of the operations is legal for a lock.

mod support;

use proptest::prelude::*;
use serde_json::Value;
use splitbrain_checkers::linear::{from_history, Mutex};
use splitbrain_checkers::{History, Process, Record, Type};
use support::{agrees_with_brute_force, brute, Rng};

/// An operation in flight; `took` once it has taken effect: whether it succeeded on the lock.
struct Pending {
    process: i64,
    f: &'static str,
    took: Option<bool>,
}

fn record(records: &mut Vec<Record>, process: i64, kind: Type, f: &str) {
    let index = records.len() as u64;
    let (f, value, node, error) = (f.to_string(), Value::Null, None, None);
    let process = Process::Client(process);
    records.push(Record { index, time: index, process, kind, f, value, node, error });
}

/// A random history: clients acquire and release one true lock, each operation taking effect
/// at a random moment between its invocation and completion (`fail` when the lock refused it);
/// now and then a refused one is reported `ok` (the bug a checker must see); with `info`, some
/// end `info`, having taken effect or not.
fn history(seed: u64, info: bool) -> History {
    let mut rng = Rng(seed);
    let (mut held, mut records) = (false, Vec::new());
    let mut budget = 2 + rng.below(9);
    let mut idle: Vec<i64> = (0..2 + rng.below(3) as i64).collect();
    let mut next_process = idle.len() as i64;
    let mut pending: Vec<Pending> = Vec::new();
    while budget > 0 || !pending.is_empty() {
        match rng.below(3) {
            0 if budget > 0 && !idle.is_empty() => {
                budget -= 1;
                let process = idle.swap_remove(rng.below(idle.len() as u64) as usize);
                let f = if rng.chance(50) { "acquire" } else { "release" };
                record(&mut records, process, Type::Invoke, f);
                pending.push(Pending { process, f, took: None });
            }
            1 if !pending.is_empty() => {
                let i = rng.below(pending.len() as u64) as usize;
                let p = &mut pending[i];
                if p.took.is_none() {
                    let ok = held == (p.f == "release");
                    held ^= ok;
                    p.took = Some(ok);
                }
            }
            _ if !pending.is_empty() => {
                let i = rng.below(pending.len() as u64) as usize;
                let Some(ok) = pending[i].took else {
                    continue;
                };
                let p = pending.swap_remove(i);
                let kind = match (info && rng.chance(25), ok || rng.chance(15)) {
                    (true, _) => Type::Info,
                    (false, true) => Type::Ok,
                    (false, false) => Type::Fail,
                };
                record(&mut records, p.process, kind, p.f);
                idle.push(if kind == Type::Info { next_process } else { p.process });
                next_process += i64::from(kind == Type::Info);
            }
            _ => {}
        }
    }
    History::new(records)
}

fn agree(seed: u64, info: bool) -> Result<(), TestCaseError> {
    let ops = from_history(&mut Mutex, &history(seed, info))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    agrees_with_brute_force(&mut Mutex, &ops)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_mutex_checker_agrees_with_brute_force(seed in any::<u64>()) {
        agree(seed, false)?;
    }

    #[test]
    fn the_mutex_checker_agrees_with_brute_force_with_unknown_outcomes(seed in any::<u64>()) {
        agree(seed, true)?;
    }
}

/// The random histories give both verdicts often, so the agreement is not about trivia.
#[test]
fn the_random_mutex_histories_are_both_valid_and_invalid_often() {
    let mut verdicts = [0usize; 2];
    for seed in 0..2000 {
        let ops = from_history(&mut Mutex, &history(seed, true)).unwrap();
        verdicts[brute(&mut Mutex, &ops) as usize] += 1;
    }
    eprintln!("invalid/valid: {verdicts:?}");
    assert!(verdicts[0] > 200 && verdicts[1] > 200, "invalid/valid: {verdicts:?}");
}
