//! The checkers as a type: [`CheckerKind`], and the one table that gives each its name (what
//! `--checker` takes and results carry), whether it is a safety property, a line saying what
//! it decides, and how it is built.
//!
//! Neighbours: [`crate::registry`] builds and runs checkers through it; results name their
//! checker by kind ([`crate::Subject`]); the harness parses `--checker` into kinds.
//!
//! Design: one row per checker in `TABLE`, in the order `check` lists them; a new checker is
//! a variant and a row, and every list of names follows.

use crate::convergence::Convergence;
use crate::linear::Linearizable;
use crate::liveness::Liveness;
use crate::registry::{Checker, Options};
use crate::safety::{DualWriter, ElectionSafety, Fencing};
use std::fmt;
use std::str::FromStr;

/// A checker, by what it decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckerKind {
    /// No token is claimed by two nodes.
    ElectionSafety,
    /// The resource never accepts a stale token.
    Fencing,
    /// No tenure of writes resumes after another node's began.
    DualWriter,
    /// After the faults, one leader within the bound.
    Convergence,
    /// The figures of availability; a verdict with a bound.
    Liveness,
    /// The clients' operations are linearizable under a model.
    Linearizable,
}

/// One checker's row.
struct Row {
    kind: CheckerKind,
    name: &'static str,
    safety: bool,
    description: &'static str,
    build: fn(&Options) -> Box<dyn Checker>,
}

/// Every checker, in the order `check` lists them.
const TABLE: [Row; 6] = [
    Row {
        kind: CheckerKind::ElectionSafety,
        name: "election-safety",
        safety: true,
        description: "no fencing token is claimed by two different nodes",
        build: |_| Box::new(ElectionSafety),
    },
    Row {
        kind: CheckerKind::Fencing,
        name: "fencing",
        safety: true,
        description: "the resource's accepted tokens never go down, nor below one it refused",
        build: |_| Box::new(Fencing),
    },
    Row {
        kind: CheckerKind::DualWriter,
        name: "dual-writer",
        safety: true,
        description: "no node's tenure of writes resumes after another node's began",
        build: |_| Box::new(DualWriter),
    },
    Row {
        kind: CheckerKind::Convergence,
        name: "convergence",
        safety: false,
        description: "after the last fault and the settle time, one node leads within the bound",
        build: |o| Box::new(Convergence(o.convergence.clone())),
    },
    Row {
        kind: CheckerKind::Liveness,
        name: "liveness",
        safety: false,
        description: "failover times, time without a leader, write availability; a verdict with --max-failover",
        build: |o| Box::new(Liveness(o.liveness.clone())),
    },
    Row {
        kind: CheckerKind::Linearizable,
        name: "linearizable",
        safety: false,
        description: "the clients' operations have a linearization under the model",
        build: |o| Box::new(Linearizable(o.linear.clone())),
    },
];

/// Every checker's name, in table order (what a bad `--checker` lists).
pub const NAMES: [&str; TABLE.len()] = {
    let mut out = [""; TABLE.len()];
    let mut i = 0;
    while i < TABLE.len() {
        out[i] = TABLE[i].name;
        i += 1;
    }
    out
};

impl CheckerKind {
    /// Every checker, in the order `check` lists them.
    pub fn all() -> impl Iterator<Item = CheckerKind> {
        TABLE.iter().map(|r| r.kind)
    }

    fn row(self) -> &'static Row {
        // Every variant has its row (the table test checks it).
        TABLE.iter().find(|r| r.kind == self).unwrap_or(&TABLE[0])
    }

    /// The name `--checker` takes and results carry.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// What it decides, in a line.
    pub fn description(self) -> &'static str {
        self.row().description
    }

    /// True for a safety property (run by default).
    pub fn is_safety(self) -> bool {
        self.row().safety
    }

    /// The checker, with the given parameters.
    pub fn build(self, options: &Options) -> Box<dyn Checker> {
        (self.row().build)(options)
    }
}

impl FromStr for CheckerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<CheckerKind, String> {
        TABLE.iter().find(|r| r.name == s).map(|r| r.kind).ok_or_else(|| {
            format!("no such checker {s:?}; use a comma list of {}", NAMES.join(", "))
        })
    }
}

impl fmt::Display for CheckerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_row_whose_checker_carries_its_name() {
        for kind in CheckerKind::all() {
            assert_eq!(TABLE.iter().filter(|r| r.kind == kind).count(), 1);
            assert_eq!(kind.build(&Options::default()).kind(), kind);
            assert_eq!(kind.name().parse::<CheckerKind>(), Ok(kind));
        }
        let safety: Vec<_> =
            CheckerKind::all().filter(|k| k.is_safety()).map(|k| k.name()).collect();
        assert_eq!(safety, ["election-safety", "fencing", "dual-writer"]);
    }
}
