//! Helpers shared by the integration tests: schedule-built histories and verdict shorthands.

#![allow(dead_code)]

pub mod schedule;

use proptest::prelude::*;
use splitbrain_checkers::linear::{check_operations, verdict, Model, Operation, Options};
use splitbrain_checkers::registry::{by_name, run_one};
// Not every test binary that includes this module draws random choices.
#[allow(unused_imports)]
pub use splitbrain_checkers::splitmix::SplitMix64 as Rng;
use splitbrain_checkers::Verdict;
use splitbrain_checkers::{CheckResult, History};

/// Runs the checker called `name` on `h`.
pub fn check(name: &str, h: &History) -> CheckResult {
    let checker = by_name(name).unwrap_or_else(|| panic!("no checker called {name}"));
    run_one(checker.as_ref(), h)
}

/// Reads a history from JSONL text, panicking with the reader's message if it is unreadable.
pub fn history(text: &str) -> History {
    splitbrain_checkers::reader::read_str(text).unwrap_or_else(|e| panic!("{e}"))
}

pub mod mk {
    //! Record builders for tests: `hist(vec![elected("n1", Some(1)), accept("n1", Some(1))])`.
    //! Times are 100 ms apart unless a record is given one with [`at`].

    use serde_json::{json, Value};
    use splitbrain_checkers::{History, Process, Record, Type};

    fn rec(process: Process, kind: Type, f: &str, value: Value) -> Record {
        Record { index: 0, time: 0, process, kind, f: f.into(), value, node: None, error: None }
    }

    /// A history of `records`, indexed in order, 100 ms apart where no time was set.
    pub fn hist(mut records: Vec<Record>) -> History {
        let mut time = 0;
        for (i, r) in records.iter_mut().enumerate() {
            r.index = i as u64;
            time = if r.time == 0 { time + 100_000_000 } else { r.time };
            r.time = time;
        }
        History::new(records)
    }

    /// `r` at `secs` seconds.
    pub fn at(secs: f64, mut r: Record) -> Record {
        r.time = (secs * 1e9) as u64;
        r
    }

    /// Node `n` reports it leads under `token`.
    pub fn elected(n: &str, token: Option<i64>) -> Record {
        rec(Process::Node(n.into()), Type::Ok, "elected", json!({"token": token}))
    }

    /// Node `n` reports it stopped leading under `token`.
    pub fn stepdown(n: &str, token: Option<i64>) -> Record {
        rec(
            Process::Node(n.into()),
            Type::Ok,
            "stepdown",
            json!({"token": token, "reason": "test"}),
        )
    }

    /// The resource applied a write by `n` under `token`.
    pub fn accept(n: &str, token: Option<i64>) -> Record {
        rec(Process::Resource, Type::Ok, "accept", json!({"token": token, "node": n, "value": 1}))
    }

    /// The resource refused a write by `n` under `token` as stale.
    pub fn reject(n: &str, token: Option<i64>) -> Record {
        let mut r = rec(
            Process::Resource,
            Type::Fail,
            "reject",
            json!({"token": token, "node": n, "value": 1}),
        );
        r.error = Some("stale-token".into());
        r
    }

    /// Client `p` invokes `f` on node `n`.
    pub fn invoke(p: i64, f: &str, value: Value, n: &str) -> Record {
        let mut r = rec(Process::Client(p), Type::Invoke, f, value);
        r.node = Some(n.into());
        r
    }

    /// Client `p`'s `f` completes as `kind` with `value`.
    pub fn done(p: i64, kind: Type, f: &str, value: Value) -> Record {
        rec(Process::Client(p), kind, f, value)
    }

    /// Client `p`'s write completes `ok`: written by `leader` under `token`.
    pub fn write_ok(p: i64, token: Option<i64>, leader: &str) -> Record {
        done(p, Type::Ok, "write", json!({"value": 1, "token": token, "leader": leader}))
    }

    /// Client `p`'s status answer.
    pub fn status(p: i64, leads: bool) -> Record {
        done(p, Type::Ok, "status", json!({"leader": leads}))
    }

    /// A nemesis record.
    pub fn nemesis(f: &str, value: Value) -> Record {
        rec(Process::Nemesis, Type::Info, f, value)
    }
}

/// A history from compact lines `process type f value` (value as EDN, `nil` when left out), one
/// per record, read as a Jepsen EDN history: the linearizability tests' shorthand.
pub fn edn(lines: &[&str]) -> History {
    let text: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut p = l.splitn(4, ' ');
            let (process, kind, f) = (p.next().unwrap(), p.next().unwrap(), p.next().unwrap());
            let value = p.next().unwrap_or("nil");
            format!("{{:process {process}, :type :{kind}, :f :{f}, :value {value}}}")
        })
        .collect();
    let format = splitbrain_checkers::formats::Format::JepsenEdn;
    splitbrain_checkers::formats::parse(format, &text.join("\n")).unwrap()
}

/// Brute force: tries every order in which each next operation is one whose predecessors in
/// real time are placed; operations of unknown outcome may also never be placed.
pub fn brute<M: Model>(model: &mut M, ops: &[Operation<M::Input, M::Output>]) -> bool {
    fn go<M: Model>(
        model: &mut M,
        ops: &[Operation<M::Input, M::Output>],
        placed: &mut Vec<bool>,
        s: M::State,
    ) -> bool {
        if ops.iter().zip(placed.iter()).all(|(o, &p)| p || !o.is_required()) {
            return true;
        }
        for j in 0..ops.len() {
            let ready = !placed[j]
                && (0..ops.len()).all(|k| {
                    placed[k] || !ops[k].is_required() || ops[k].return_time >= ops[j].call
                });
            if !ready {
                continue;
            }
            if let Some(next) = model.step(s, &ops[j].input, ops[j].output.as_ref()) {
                placed[j] = true;
                let ok = go(model, ops, placed, next);
                placed[j] = false;
                if ok {
                    return true;
                }
            }
        }
        false
    }
    let init = model.init();
    go(model, ops, &mut vec![false; ops.len()], init)
}

/// Brute force part by part ([`Model::partition`], a key of the key-value model): the
/// operations are linearizable when every part's are.
pub fn brute_by_part<M: Model>(model: &mut M, ops: &[Operation<M::Input, M::Output>]) -> bool
where
    M::Input: Clone,
    M::Output: Clone,
{
    let mut parts: std::collections::BTreeMap<u32, Vec<_>> = Default::default();
    for op in ops {
        parts.entry(model.partition(&op.input)).or_default().push(op.clone());
    }
    parts.values().all(|part| brute(model, part))
}

/// The checker, both ways, gives the verdict brute force gives on `ops`.
pub fn agrees_with_brute_force<M: Model>(
    model: &mut M,
    ops: &[Operation<M::Input, M::Output>],
) -> Result<(), TestCaseError>
where
    M::Input: Clone,
    M::Output: Clone,
{
    let want = if brute_by_part(model, ops) { Verdict::Valid } else { Verdict::Invalid };
    both_say(model, ops, want)
}

/// Both ways of checking `ops` (the verdict alone, and the check with its witness) say `want`.
pub fn both_say<M: Model>(
    model: &mut M,
    ops: &[Operation<M::Input, M::Output>],
    want: Verdict,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(verdict(model, ops, None), want, "verdict() on {:#?}", ops);
    if ops.iter().any(|o| o.is_required()) {
        let full = check_operations(model, ops, &Options::default());
        prop_assert_eq!(full.verdict, want, "check_operations() on {:#?}", ops);
    }
    Ok(())
}
