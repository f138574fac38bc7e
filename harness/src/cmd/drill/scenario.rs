//! One scenario of a drill file: its own keys read ([`read`]), then its `test` options turned
//! into the arguments of `splitbrain test` and planned by exactly the code `test` plans with
//! ([`plan`]), so a scenario means what the same flags mean on the command line.
//!
//! Neighbours: [`super::file`] reads the file and calls [`read`] per `[[scenario]]`;
//! `crate::cmd::test` parses and plans; [`super::night`] runs the [`Planned`] scenarios.
//!
//! Design: a key is a `test` long flag with `-` written `_`, its value the flag's value (a
//! string, a number, a list joined with commas; `true` for a switch). Whatever `test` would
//! refuse is refused here too, pinned to the key's line, before any run starts.

use super::file::{error_at, line_of, number, ScenarioSpec, Seeds, DRILL_KEYS};
use crate::cmd::test::{self, Args};
use crate::controller::options::Plan;
use clap::{ArgAction, Args as _, FromArgMatches};
use splitbrain_results::drill::{BoundKind, Expect};
use splitbrain_targets::external::file::FileError;
use splitbrain_targets::external::section::{Section, Source};
use std::path::{Path, PathBuf};
use toml_edit::{Item, Table, Value};

/// `test` options a scenario may not set, and what to write instead.
const REFUSED: [(&str, &str); 2] = [
    ("store", "the drill keeps its runs in its night's folder; give --store to `splitbrain drill`"),
    ("test_count", "write repeat = N (or seeds = [..]) for several seeds"),
];

/// Reads a `[[scenario]]` table, with `[defaults]` under it.
pub fn read(
    src: &Source<'_>,
    t: &Table,
    defaults: Option<&Table>,
) -> Result<ScenarioSpec, FileError> {
    let s = Section { src, table: t, name: "[[scenario]]".into() };
    let name = s.required("name", "name = \"raft-partition\"")?.to_string();
    let s = Section { name: format!("scenario {name:?}"), ..s };
    let line = line_of(src, None, t);
    if let Err(e) = splitbrain_results::store::check_name("test", &name) {
        return Err(s.error("name", format!("scenario name: {e}")));
    }
    let mut options = Vec::new();
    if let Some(d) = defaults {
        let ds = Section { src, table: d, name: "[defaults]".into() };
        collect(&ds, &mut options, true)?;
    }
    collect(&s, &mut options, false)?;
    Ok(ScenarioSpec {
        name,
        line,
        expect: expect(&s)?,
        seeds: seeds(&s)?,
        bounds: bounds(&s)?,
        options,
    })
}

/// The `test` options of a table (a scenario's replace the defaults' of the same key).
fn collect(
    s: &Section<'_>,
    out: &mut Vec<(String, Item, usize)>,
    defaults: bool,
) -> Result<(), FileError> {
    let flags = flags();
    for (key, item) in s.table.iter() {
        if !defaults && DRILL_KEYS.contains(&key) {
            continue;
        }
        let line = line_of(s.src, Some(item), s.table);
        if let Some((_, instead)) = REFUSED.iter().find(|(k, _)| *k == key) {
            return Err(error_at(
                s.src.path,
                Some(line),
                format!("{key} in {}: {instead}", s.name),
            ));
        }
        if !flags.iter().any(|(f, _)| f == key) {
            return Err(error_at(
                s.src.path,
                Some(line),
                unknown_key(key, &s.name, &flags, defaults),
            ));
        }
        out.retain(|(k, _, _)| k != key);
        out.push((key.to_string(), item.clone(), line));
    }
    Ok(())
}

fn unknown_key(key: &str, table: &str, flags: &[(String, bool)], defaults: bool) -> String {
    let mut known: Vec<&str> = flags.iter().map(|(f, _)| f.as_str()).collect();
    if !defaults {
        known.extend(DRILL_KEYS);
    }
    let near = known.iter().find(|k| close(k, key));
    let hint = near.map_or(String::new(), |k| format!("did you mean {k}? "));
    format!("unknown key {key:?} in {table}: {hint}keys are `splitbrain test`'s long flags with - written _ (see `splitbrain test --help`), or {}", DRILL_KEYS.join(", "))
}

/// Whether two keys differ by at most two edits (a typo).
fn close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + usize::from(ca != cb));
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()] <= 2
}

/// `test`'s long flags as keys (`time_limit`), and whether each is a switch.
fn flags() -> Vec<(String, bool)> {
    let cmd = Args::augment_args(clap::Command::new("test"));
    cmd.get_arguments()
        .filter_map(|a| {
            Some((a.get_long()?.replace('-', "_"), matches!(a.get_action(), ArgAction::SetTrue)))
        })
        .filter(|(k, _)| !REFUSED.iter().any(|(r, _)| r == k) && k != "name" && k != "max_failover")
        .collect()
}

fn expect(s: &Section<'_>) -> Result<Expect, FileError> {
    match s.string("expect", "expect = \"invalid\"")? {
        None | Some("valid") => Ok(Expect::Valid),
        Some("invalid") => Ok(Expect::Invalid),
        Some(other) => Err(s.error("expect", format!("expect {other:?} in {}: write expect = \"valid\" (every seed valid) or expect = \"invalid\" (a planted bug or finding: at least one seed invalid)", s.name))),
    }
}

fn seeds(s: &Section<'_>) -> Result<Seeds, FileError> {
    let repeat = s.number("repeat", 1..1001, "repeat = 3")?;
    let Some(item) = s.get("seeds") else { return Ok(Seeds::Repeat(repeat.unwrap_or(1) as u32)) };
    let both = |k: &str| format!("seeds and {k} in {}: give one (seeds lists every seed)", s.name);
    if repeat.is_some() || s.get("seed").is_some() {
        return Err(s.error("seeds", both(if repeat.is_some() { "repeat" } else { "seed" })));
    }
    let bad = || {
        s.error(
            "seeds",
            format!(
                "seeds in {} must be a list of whole numbers of 0 or more, e.g. seeds = [1, 2, 3]",
                s.name
            ),
        )
    };
    let list = item.as_array().ok_or_else(bad)?;
    let seeds: Vec<u64> = list
        .iter()
        .map(|v| v.as_integer().and_then(|i| u64::try_from(i).ok()))
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    if seeds.is_empty() {
        return Err(bad());
    }
    if let Some(d) = seeds.iter().enumerate().find(|(i, x)| seeds[..*i].contains(x)) {
        return Err(s.error(
            "seeds",
            format!("seeds in {}: seed {} is listed twice; list each seed once", s.name, d.1),
        ));
    }
    Ok(Seeds::List(seeds))
}

fn bounds(s: &Section<'_>) -> Result<Vec<(BoundKind, f64)>, FileError> {
    let mut out = Vec::new();
    for b in BoundKind::ALL {
        let Some(item) = s.get(b.key()) else { continue };
        let v = item.as_value();
        let value = match b {
            BoundKind::MinAvailability => v.and_then(number).filter(|x| *x > 0.0 && *x <= 1.0),
            _ => v.and_then(millis).filter(|x| *x > 0.0),
        };
        let hint = match b {
            BoundKind::MinAvailability => {
                "a share of writes above 0 and at most 1, e.g. min_availability = 0.95"
            }
            BoundKind::MaxFailover => {
                "a positive time in ms or a duration, e.g. max_failover = 2000 or \"2s\""
            }
            BoundKind::MaxLeaderless => {
                "a positive time in ms or a duration, e.g. max_leaderless = 5000 or \"5s\""
            }
        };
        let value = value
            .ok_or_else(|| s.error(b.key(), format!("{} in {} must be {hint}", b.key(), s.name)))?;
        out.push((b, value));
    }
    Ok(out)
}

/// ms from a number, or from a duration text (`"2s"`, `"500ms"`).
fn millis(v: &Value) -> Option<f64> {
    number(v)
        .or_else(|| crate::cmd::values::duration(v.as_str()?).ok().map(|d| d.as_secs_f64() * 1e3))
}

/// A scenario ready to run: its template plan and its seeds.
pub struct Planned {
    /// The file's spec.
    pub spec: ScenarioSpec,
    /// The plan of its first seed (the others differ by seed and folder).
    pub plan: Plan,
    /// Its seeds in order.
    pub seeds: Vec<u64>,
}

impl Planned {
    /// The plan of seed `seed`, into `runs/<scenario>/<seed>/`.
    pub fn for_seed(&self, seed: u64) -> Plan {
        let folder = self.plan.store.join(&self.spec.name).join(seed.to_string());
        Plan { seed, test_count: 1, run_folder: Some(folder), ..self.plan.clone() }
    }
}

/// Plans `spec` as `splitbrain test` would with its options, its runs under `runs`.
pub fn plan(
    file: &Path,
    spec: ScenarioSpec,
    runs: &Path,
    drill_seed: u64,
) -> anyhow::Result<Planned> {
    let mut argv: Vec<String> = vec!["splitbrain test".into()];
    for (key, item, line) in &spec.options {
        argv.extend(arguments(file, key, item, *line)?);
    }
    argv.extend(["--store".into(), runs.display().to_string(), "--name".into(), spec.name.clone()]);
    let cmd = Args::augment_args(clap::Command::new("test").no_binary_name(false));
    let matches = cmd.try_get_matches_from(&argv).map_err(|e| clap_error(file, &spec, &e))?;
    let args = Args::from_arg_matches(&matches).map_err(|e| clap_error(file, &spec, &e))?;
    let plan = test::plan(&args).map_err(|e| planned_error(file, &spec, &e))?;
    let seeds = match &spec.seeds {
        Seeds::List(v) => v.clone(),
        Seeds::Repeat(n) => {
            let base = if spec.options.iter().any(|(k, _, _)| k == "seed") {
                plan.seed
            } else {
                drill_seed
            };
            (0..u64::from(*n)).map(|i| base.wrapping_add(i)).collect()
        }
    };
    Ok(Planned { spec, plan, seeds })
}

/// The command-line arguments of one key.
fn arguments(file: &Path, key: &str, item: &Item, line: usize) -> anyhow::Result<Vec<String>> {
    let flag = format!("--{}", key.replace('_', "-"));
    let switch = flags().iter().any(|(k, s)| k == key && *s);
    let bad = |msg: String| crate::exit::bad_input(error_at(file, Some(line), msg).to_string());
    let v = item.as_value().ok_or_else(|| bad(format!("{key} must be a value, not a table")))?;
    if switch {
        return match v.as_bool() {
            Some(true) => Ok(vec![flag]),
            Some(false) => Ok(vec![]),
            None => Err(bad(format!("{key} is a switch: write {key} = true or leave it out"))),
        };
    }
    let text = match v {
        Value::String(s) => s.value().clone(),
        Value::Integer(i) => i.value().to_string(),
        Value::Float(f) => f.value().to_string(),
        Value::Array(a) => {
            let parts: Option<Vec<&str>> = a.iter().map(Value::as_str).collect();
            parts.ok_or_else(|| bad(format!("{key}: a list must hold strings, e.g. {key} = [\"partition\", \"kill\"]")))?.join(",")
        }
        _ => return Err(bad(format!("{key} must be a string or a number, e.g. {key} = \"…\" (the value `splitbrain test {flag}` takes)"))),
    };
    Ok(vec![flag, text])
}

/// `test`'s parser refused a value: the same words, with the key and its line.
fn clap_error(file: &Path, spec: &ScenarioSpec, e: &clap::Error) -> anyhow::Error {
    let text = crate::exit::clap_line(e);
    pinned(file, spec, &text)
}

/// `test`'s planning refused the options: the same words, with the key and its line.
fn planned_error(file: &Path, spec: &ScenarioSpec, e: &anyhow::Error) -> anyhow::Error {
    if !e.chain().any(|c| c.is::<crate::exit::BadInput>()) {
        return anyhow::anyhow!("scenario {:?}: {e:#}", spec.name);
    }
    pinned(file, spec, &crate::exit::one_line_chain(e))
}

/// `FILE:LINE: scenario "x": key …` for a message that starts with `--key`.
fn pinned(file: &Path, spec: &ScenarioSpec, text: &str) -> anyhow::Error {
    let flag = text.split([' ', ':']).next().filter(|w| w.starts_with("--")).unwrap_or("");
    let key = flag.trim_start_matches("--").replace('-', "_");
    let at = spec.options.iter().find(|(k, _, _)| *k == key).map_or(spec.line, |o| o.2);
    let text = match flag.is_empty() {
        true => text.to_string(),
        false => format!("{key}{}", &text[flag.len()..]),
    };
    let msg = format!("scenario {:?}: {text}", spec.name);
    crate::exit::bad_input(error_at(file, Some(at), msg).to_string())
}

/// The store folder the drill's runs of night `night` go to.
pub fn runs_folder(night: &Path) -> PathBuf {
    night.join(splitbrain_results::drill::nights::files::RUNS)
}
