//! The checker agrees with brute force: on many random small histories of a register and a
//! compare-and-set register, with and without operations of unknown outcome, the search says
//! linearizable exactly when some order of the operations (each between its call and return,
//! unknown ones anywhere after their call or not at all) is legal for the model.

mod support;

use proptest::prelude::*;
use serde_json::{json, Value};
use splitbrain_checkers::linear::register::{RegisterInput, RegisterOutput};
use splitbrain_checkers::linear::{
    check_operations, from_history, verdict, FailedCas, Fate, Model, Operation, Options, Register,
    NEVER,
};
use splitbrain_checkers::{History, Process, Record, Type, Verdict};

#[derive(Clone)]
struct Pending {
    process: i64,
    f: &'static str,
    arg: Value,
    result: Option<Value>,
    applied: bool,
}

/// The values a history draws from: a few shared ones, or (as splitbrain's clients write)
/// a fresh one per write, so that a read names the write it saw.
struct Values {
    unique: bool,
    written: u64,
}

impl Values {
    /// A value to write (or to set by cas).
    fn write(&mut self, rng: &mut Rng) -> Value {
        if !self.unique {
            return self.any(rng);
        }
        self.written += 1;
        json!(self.written)
    }

    /// A value to expect or to return wrongly: nil or one written so far (or soon).
    fn any(&self, rng: &mut Rng) -> Value {
        match rng.below(if self.unique { self.written + 2 } else { 4 }) {
            0 => Value::Null,
            v => json!(v),
        }
    }
}

/// A random history: clients run operations against a true register, each taking effect at a
/// random moment between its invocation and completion; some outputs are then corrupted, some
/// operations end `info` (taking effect later or never) or never complete.
fn history(seed: u64, cas: bool, info: bool, unique: bool) -> History {
    let mut rng = Rng(seed);
    let mut values = Values { unique, written: 0 };
    let mut truth = Value::Null;
    let mut records: Vec<Record> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut ghosts: Vec<Pending> = Vec::new();
    let mut budget = 1 + rng.below(8);
    let mut next_process = 0i64;
    let mut idle: Vec<i64> = (0..1 + rng.below(3) as i64).collect();
    next_process += idle.len() as i64;
    let push = |records: &mut Vec<Record>, process: i64, kind: Type, f: &str, v: Value| {
        let index = records.len() as u64;
        records.push(Record {
            index,
            time: index,
            process: Process::Client(process),
            kind,
            f: f.into(),
            value: v,
            node: None,
            error: None,
        });
    };
    while budget > 0 || !pending.is_empty() {
        match rng.below(4) {
            0 if budget > 0 && !idle.is_empty() => {
                budget -= 1;
                let process = idle.swap_remove(rng.below(idle.len() as u64) as usize);
                let (f, arg) = match rng.below(if cas { 3 } else { 2 }) {
                    0 => ("read", Value::Null),
                    1 => ("write", values.write(&mut rng)),
                    _ => ("cas", json!([values.any(&mut rng), values.write(&mut rng)])),
                };
                let shown = if f == "write" { json!({ "value": arg }) } else { arg.clone() };
                push(&mut records, process, Type::Invoke, f, shown);
                pending.push(Pending { process, f, arg, result: None, applied: false });
            }
            1 if !pending.is_empty() => {
                let i = rng.below(pending.len() as u64) as usize;
                if !pending[i].applied {
                    let p = &mut pending[i];
                    p.result = Some(apply(&mut truth, p.f, &p.arg));
                    p.applied = true;
                }
            }
            2 if !ghosts.is_empty() => {
                let g = ghosts.swap_remove(rng.below(ghosts.len() as u64) as usize);
                if rng.chance(50) {
                    apply(&mut truth, g.f, &g.arg);
                }
            }
            _ if !pending.is_empty() => {
                let i = rng.below(pending.len() as u64) as usize;
                if info && rng.chance(25) {
                    let p = pending.swap_remove(i);
                    // Sometimes it never completes at all; either way its thread goes on under
                    // a new process number.
                    if rng.chance(70) {
                        push(&mut records, p.process, Type::Info, p.f, Value::Null);
                    }
                    if !p.applied {
                        ghosts.push(p);
                    }
                    idle.push(next_process);
                    next_process += 1;
                } else if pending[i].applied {
                    let p = pending.swap_remove(i);
                    complete(&mut rng, &values, &mut records, &p, &push);
                    idle.push(p.process);
                }
            }
            _ => {}
        }
    }
    History::new(records)
}

type Push = dyn Fn(&mut Vec<Record>, i64, Type, &str, Value);

fn complete(rng: &mut Rng, values: &Values, records: &mut Vec<Record>, p: &Pending, push: &Push) {
    let mut result = p.result.clone().unwrap_or(Value::Null);
    if rng.chance(30) {
        result = match p.f {
            "read" => values.any(rng),
            "cas" => json!(rng.chance(50)),
            _ => result,
        };
    }
    match p.f {
        "read" => push(records, p.process, Type::Ok, "read", json!({ "value": result })),
        "write" => push(records, p.process, Type::Ok, "write", json!({ "value": p.arg })),
        _ if result == json!(true) => push(records, p.process, Type::Ok, "cas", p.arg.clone()),
        _ => push(records, p.process, Type::Fail, "cas", p.arg.clone()),
    }
}

/// Applies an operation to the true register; what it returns (`true`/`false` for a cas).
fn apply(truth: &mut Value, f: &str, arg: &Value) -> Value {
    match f {
        "read" => truth.clone(),
        "write" => {
            *truth = arg.clone();
            Value::Null
        }
        _ if *truth == arg[0] => {
            *truth = arg[1].clone();
            json!(true)
        }
        _ => json!(false),
    }
}

use support::{brute, Rng};

fn agree(seed: u64, cas: bool, info: bool, unique: bool) -> Result<(), TestCaseError> {
    let h = history(seed, cas, info, unique);
    let mut model =
        if cas { Register::with_cas(FailedCas::FoundOtherValue) } else { Register::plain() };
    let ops = from_history(&mut model, &h).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let want = if brute(&mut model, &ops) { Verdict::Valid } else { Verdict::Invalid };
    let fast = verdict(&mut model, &ops, None);
    prop_assert_eq!(fast, want, "verdict() on {:#?}", ops);
    if ops.iter().any(|o| o.is_required()) {
        let full = check_operations(&mut model, &ops, &Options::default());
        prop_assert_eq!(full.verdict, want, "check_operations() on {:#?}", ops);
        if want == Verdict::Invalid {
            prop_assert!(
                !full.evidence.is_empty() && full.summary.contains("cannot be linearized")
            );
            let kept = witness(&mut model, &ops, &full.details);
            prop_assert!(!brute(&mut model, &kept), "the witness can be linearized: {:#?}", kept);
        }
    }
    Ok(())
}

/// The witness as a history of its own: the shortest failing prefix (operations open at its
/// end of unknown outcome), where only the culprit and its conflicts happened as recorded and
/// every other operation is freed (a read left out, anything else of unknown outcome). The
/// witness claims this cannot be linearized.
fn witness(
    model: &mut Register,
    ops: &[Operation<RegisterInput, RegisterOutput>],
    details: &Value,
) -> Vec<Operation<RegisterInput, RegisterOutput>> {
    let end = details["prefix_end_index"].as_u64().expect("the culprit returned");
    let conflicts = details["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len() as u64, details["conflicts_total"].as_u64().unwrap());
    let call = |v: &Value| v["call_index"].as_u64().unwrap();
    let kept: Vec<u64> = conflicts.iter().chain([&details["culprit"]]).map(call).collect();
    let free = |o: &mut Operation<_, _>| {
        o.output = None;
        o.return_time = NEVER;
    };
    let mut out = Vec::new();
    for op in ops.iter().filter(|o| o.call <= end) {
        let mut op = op.clone();
        if op.return_time > end {
            free(&mut op);
        }
        if !kept.contains(&op.call_index) {
            if model.is_read_only(&op.input, op.output.as_ref()) {
                continue;
            }
            free(&mut op);
        }
        out.push(op);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn the_register_checker_agrees_with_brute_force(seed in any::<u64>()) {
        agree(seed, false, false, false)?;
    }

    #[test]
    fn the_register_checker_agrees_with_brute_force_with_unknown_outcomes(seed in any::<u64>()) {
        agree(seed, false, true, false)?;
    }

    #[test]
    fn the_cas_register_checker_agrees_with_brute_force(seed in any::<u64>()) {
        agree(seed, true, false, false)?;
    }

    #[test]
    fn the_cas_register_checker_agrees_with_brute_force_with_unknown_outcomes(seed in any::<u64>()) {
        agree(seed, true, true, false)?;
    }

    #[test]
    fn the_register_checker_agrees_with_brute_force_on_unique_values_with_unknown_writes(seed in any::<u64>()) {
        agree(seed, false, true, true)?;
    }

    #[test]
    fn the_cas_register_checker_agrees_with_brute_force_on_unique_values_with_unknown_outcomes(seed in any::<u64>()) {
        agree(seed, true, true, true)?;
    }
}

#[test]
fn the_random_histories_are_both_valid_and_invalid_often() {
    let mut counts = [0usize; 2];
    for seed in 0..2000 {
        let h = history(seed, true, true, false);
        let mut model = Register::with_cas(FailedCas::FoundOtherValue);
        let ops = from_history(&mut model, &h).unwrap();
        counts[brute(&mut model, &ops) as usize] += 1;
    }
    assert!(counts[0] > 200 && counts[1] > 200, "invalid/valid: {counts:?}");
}

/// The unique-value histories exercise both fates of writes of unknown outcome (left out
/// unseen; bound by the read that saw them) and give both verdicts.
#[test]
fn unique_value_histories_exercise_every_fate_of_an_unknown_write() {
    let (mut unseen, mut bound, mut verdicts) = (0, 0, [0usize; 2]);
    for seed in 0..2000 {
        let h = history(seed, false, true, true);
        let mut model = Register::plain();
        let ops = from_history(&mut model, &h).unwrap();
        for fate in model.fates(&ops) {
            match fate {
                Fate::Unseen => unseen += 1,
                Fate::By(_) => bound += 1,
                Fate::Open => {}
            }
        }
        verdicts[brute(&mut model, &ops) as usize] += 1;
    }
    assert!(unseen > 200 && bound > 100, "unseen {unseen}, bound {bound}");
    eprintln!("unseen {unseen}, bound {bound}, invalid/valid {verdicts:?}");
    assert!(verdicts[0] > 200 && verdicts[1] > 200, "invalid/valid: {verdicts:?}");
}
