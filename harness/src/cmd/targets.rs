//! `splitbrain targets`: every target, whether it can run on this machine (and if not, what to
//! install), its planted bugs, and the faults that cannot reach it.
//!
//! Neighbours: the targets come from their three lists: the own electors
//! (`splitbrain_targets::node::electors::ELECTORS`), the third-party catalog
//! (`splitbrain_targets::thirdparty::catalog::ALL`, with its notes on faults) and the target
//! files loaded (`splitbrain_targets::external::target::loaded`).

use crate::exit::printed;
use splitbrain_targets::external::{self, target::FileTarget};
use splitbrain_targets::launch::Target;
use splitbrain_targets::node::electors::ELECTORS;
use splitbrain_targets::thirdparty::catalog::{self, ThirdParty};
use std::io::Write;

/// Arguments of `splitbrain targets`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A target file (TOML) to describe instead of the built-in targets.
    pub file: Option<std::path::PathBuf>,
}

/// What the clock shim does to the own electors, which time everything on the monotonic clock.
const OWN_CLOCK_NOTE: &str = "clock: reaches the candidate but changes nothing: it times its election on the monotonic clock (which is the point to check)";

/// Runs `targets`; exit status 0.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    if let Some(path) = &args.file {
        let target = FileTarget::load(path).map_err(|e| crate::exit::bad_input(e.to_string()))?;
        printed(describe(&mut out, target))?;
        return Ok(0);
    }
    // The built-in target files are listed like the others; one that cannot be read is a bug.
    for name in external::bundled::names() {
        external::bundled::load(name).expect("a built-in name").map_err(anyhow::Error::from)?;
    }
    printed(list(&mut out))?;
    Ok(0)
}

fn list(out: &mut dyn Write) -> std::io::Result<()> {
    for t in ELECTORS {
        heading(out, t)?;
        writeln!(out, "    faults: partition, pause, kill, loss reach it; {OWN_CLOCK_NOTE}")?;
    }
    for tp in catalog::ALL {
        heading(out, tp)?;
        fault_notes(out, tp)?;
    }
    for file in external::target::loaded() {
        describe(out, file)?;
    }
    Ok(())
}

fn describe(out: &mut dyn Write, t: &FileTarget) -> std::io::Result<()> {
    heading(out, t)?;
    file_notes(out, t)
}

/// The name, whether it can run here, what it is, and its planted bugs.
fn heading(out: &mut dyn Write, t: &dyn Target) -> std::io::Result<()> {
    let state = match t.available() {
        Ok(()) => "ready".to_string(),
        Err(missing) => format!("cannot run here: {missing}"),
    };
    writeln!(out, "{}  {state}\n    {}", t.name(), t.doc())?;
    let bugs = t.bugs();
    if bugs.is_empty() {
        writeln!(out, "    bugs: none")?;
    }
    for bug in bugs {
        writeln!(out, "    --bug {bug}: {}", bug.doc())?;
    }
    Ok(())
}

fn fault_notes(out: &mut dyn Write, tp: &ThirdParty) -> std::io::Result<()> {
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

fn file_notes(out: &mut dyn Write, t: &FileTarget) -> std::io::Result<()> {
    let f = t.file();
    writeln!(out, "    file: {} (commands run from {})", f.path.display(), f.dir.display())?;
    let tokens = match f.tokens {
        true => "tokens: the candidate's (default resource: fenced)",
        false => "tokens: none (default resource: open)",
    };
    writeln!(out, "    {tokens}")?;
    let nodes = f.nodes.map_or("5 (no nodes = N in the file)".to_string(), |n| n.to_string());
    writeln!(
        out,
        "    nodes: {nodes}; lease: {}",
        f.lease_ms.map_or("none".into(), |ms| format!("{ms} ms"))
    )?;
    for s in &f.servers {
        writeln!(
            out,
            "    server {} on {}, ready on port {}: {}",
            s.name,
            s.nodes,
            s.ready_port,
            first_line(&s.process.command)
        )?;
    }
    let c = &f.candidate;
    writeln!(out, "    candidate on {}: {}", c.nodes, first_line(&c.process.command))?;
    match f.clock_aim {
        Some(aim) => writeln!(out, "    {}", aim.describe())?,
        None => writeln!(out, "    clock faults: wherever the nemesis deals them")?,
    }
    for note in t.unreachable_faults() {
        writeln!(out, "    does not reach it: {note}")?;
    }
    Ok(())
}

/// A command's first line, with `…` when more follow (a script in the file stays one line here).
fn first_line(command: &str) -> String {
    let mut lines = command.trim().lines();
    let first = lines.next().unwrap_or_default();
    match lines.next() {
        Some(_) => format!("{first} …"),
        None => first.to_string(),
    }
}
