//! `splitbrain targets`: every target, whether it can run on this machine (and if not, what to
//! install), its planted bugs, and the faults that cannot reach it.
//!
//! Neighbours: the targets and their availability come from `splitbrain_targets::launch`; the
//! third-party targets' notes on faults from `splitbrain_targets::thirdparty::catalog`.

use crate::exit::printed;
use splitbrain_targets::launch::{self, Target};
use splitbrain_targets::thirdparty::catalog;
use std::io::Write;

/// Arguments of `splitbrain targets`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// What the clock shim does to the own electors, which time everything on the monotonic clock.
const OWN_CLOCK_NOTE: &str = "clock: reaches the candidate but changes nothing: it times its election on the monotonic clock (which is the point to check)";

/// Runs `targets`; exit status 0.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    printed(list(&mut std::io::stdout().lock()))?;
    Ok(0)
}

fn list(out: &mut dyn Write) -> std::io::Result<()> {
    let listed = launch::targets();
    for t in &listed {
        describe(out, *t)?;
    }
    for tp in catalog::ALL.iter().filter(|tp| !listed.iter().any(|t| t.name() == tp.name)) {
        writeln!(out, "{}  not in this build's launcher yet\n    {}", tp.name, tp.about)?;
        fault_notes(out, tp.name)?;
    }
    Ok(())
}

fn describe(out: &mut dyn Write, t: &dyn Target) -> std::io::Result<()> {
    let state = match t.available() {
        Ok(()) => "ready".to_string(),
        Err(missing) => format!("cannot run here: {missing}"),
    };
    writeln!(out, "{}  {state}\n    {}", t.name(), t.doc())?;
    let bugs = t.bugs();
    if bugs.is_empty() {
        writeln!(out, "    bugs: none")?;
    }
    for (name, doc) in bugs {
        writeln!(out, "    --bug {name}: {doc}")?;
    }
    if catalog::by_name(t.name()).is_some() {
        fault_notes(out, t.name())
    } else {
        writeln!(out, "    faults: partition, pause, kill, loss reach it; {OWN_CLOCK_NOTE}")
    }
}

fn fault_notes(out: &mut dyn Write, name: &str) -> std::io::Result<()> {
    let Some(tp) = catalog::by_name(name) else { return Ok(()) };
    if let catalog::Availability::Missing { programs, install } = tp.availability() {
        writeln!(out, "    missing: {} — {install}", programs.join(", "))?;
    }
    writeln!(out, "    token: {}", tp.token)?;
    writeln!(out, "    {}", tp.clock_aim.describe())?;
    writeln!(out, "    defaults: {}", tp.layout_defaults)?;
    for f in tp.unreachable_faults() {
        writeln!(out, "    does not reach it: {}: {}", f.fault, f.note)?;
    }
    Ok(())
}
