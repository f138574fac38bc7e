//! A drill file (TOML): the drill's name, how long its nights are kept, its trend rules, the
//! options every scenario shares, and its scenarios, read with errors that name the file, the
//! line and what to write instead.
//!
//! Neighbours: [`super::scenario`] turns each [`ScenarioSpec`] into the plans of its runs;
//! reading goes through the target files' helpers (`splitbrain_targets::external::section`).
//!
//! Design: a scenario's test options stay TOML items here, with their lines, so that what
//! `test`'s own parser later refuses can still be pinned to a line of this file.

use splitbrain_results::drill::{BoundKind, Expect, Figure, TrendRules};
use splitbrain_targets::external::file::FileError;
use splitbrain_targets::external::section::{span_of, Section, Source};
use std::path::{Path, PathBuf};
use toml_edit::{Item, Table};

/// The keys of the file's top level.
const TOP: [&str; 5] = ["name", "keep_nights", "trends", "defaults", "scenario"];
/// The keys of `[trends]`.
const TRENDS: [&str; 3] = ["min_nights", "window", "threshold"];
/// The drill's own keys of a scenario (the rest are `test`'s options).
pub const DRILL_KEYS: [&str; 7] =
    ["name", "expect", "seeds", "repeat", "max_failover", "max_leaderless", "min_availability"];

/// A whole drill file.
pub struct DrillFile {
    /// The file as given.
    pub path: PathBuf,
    /// `name` (default: the file's stem).
    pub name: String,
    /// `keep_nights`: nights kept in the store, tonight's included (`None`: all).
    pub keep_nights: Option<usize>,
    /// `[trends]`.
    pub rules: TrendRules,
    /// `[[scenario]]`, in order.
    pub scenarios: Vec<ScenarioSpec>,
}

/// Which seeds a scenario runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seeds {
    /// `seeds = [1, 2]`.
    List(Vec<u64>),
    /// `repeat = N` (default 1): from `seed` if given, else from the drill's seed.
    Repeat(u32),
}

/// One `[[scenario]]`.
pub struct ScenarioSpec {
    /// Its unique name.
    pub name: String,
    /// The line of its table.
    pub line: usize,
    /// `expect` (default valid).
    pub expect: Expect,
    /// Its seeds.
    pub seeds: Seeds,
    /// Its bounds, in ms or as a share.
    pub bounds: Vec<(BoundKind, f64)>,
    /// Its `test` options, `[defaults]` first: (key, value, line).
    pub options: Vec<(String, Item, usize)>,
}

/// A file error at a line.
pub fn error_at(file: &Path, line: Option<usize>, msg: impl Into<String>) -> FileError {
    FileError { file: file.to_path_buf(), line, msg: msg.into() }
}

impl DrillFile {
    /// Reads and checks the drill file at `path`.
    pub fn load(path: &Path) -> Result<DrillFile, FileError> {
        let raw = std::fs::read_to_string(path).map_err(|e| {
            error_at(
                path,
                None,
                format!("cannot read it: {e}; give the path of a drill file (TOML)"),
            )
        })?;
        let raw = raw.strip_prefix('\u{feff}').unwrap_or(&raw);
        let src = Source { path, raw };
        let doc = toml_edit::Document::parse(raw).map_err(|e| {
            let msg = e.message().trim().replace('\n', " ");
            src.error(e.span(), format!("not valid TOML: {msg}"))
        })?;
        let top = Section { src: &src, table: doc.as_table(), name: "the file".into() };
        top.only(&TOP)?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = top.string("name", "name = \"nightly\"")?.map_or(stem, String::from);
        if let Err(e) = splitbrain_results::store::check_name("drill", &name) {
            return Err(top.error("name", format!("{e}; set name = \"nightly\" in the file")));
        }
        let rules = rules(&top)?;
        let keep_nights = top.number("keep_nights", 1..100_001, "keep_nights = 30")?;
        let keep_nights = keep_nights.map(|n| n as usize);
        if let Some(k) = keep_nights.filter(|k| *k < rules.window.max(rules.min_nights)) {
            let msg = format!("keep_nights {k} is fewer than the nights the trends need (window {}, min_nights {}); keep at least {}", rules.window, rules.min_nights, rules.window.max(rules.min_nights));
            return Err(top.error("keep_nights", msg));
        }
        let defaults = table(&top, "defaults", "[defaults]")?;
        let scenarios = scenarios(&top, defaults)?;
        Ok(DrillFile { path: path.to_path_buf(), name, keep_nights, rules, scenarios })
    }
}

/// The table at `key`, if given; an error if it is something else.
fn table<'a>(top: &Section<'a>, key: &str, hint: &str) -> Result<Option<&'a Table>, FileError> {
    match top.get(key) {
        None => Ok(None),
        Some(Item::Table(t)) => Ok(Some(t)),
        Some(_) => {
            Err(top.error(key, format!("{key} must be a table: write {hint} on a line of its own")))
        }
    }
}

fn rules(top: &Section<'_>) -> Result<TrendRules, FileError> {
    let mut rules = TrendRules::default();
    let Some(t) = table(top, "trends", "[trends]")? else { return Ok(rules) };
    let s = Section { src: top.src, table: t, name: "[trends]".into() };
    s.only(&TRENDS)?;
    if let Some(n) = s.number("min_nights", 1..1001, "min_nights = 3")? {
        rules.min_nights = n as usize;
    }
    if let Some(n) = s.number("window", 1..1001, "window = 7")? {
        rules.window = n as usize;
    }
    if rules.window < rules.min_nights {
        let msg = format!("window {} is smaller than min_nights {}: a figure could never gate; make window at least min_nights", rules.window, rules.min_nights);
        return Err(s.error("window", msg));
    }
    rules.thresholds = thresholds(&s)?;
    Ok(rules)
}

/// `threshold = 0.5` (every figure) or `threshold = { failover_p99_ms = 0.5, … }`.
fn thresholds(s: &Section<'_>) -> Result<std::collections::BTreeMap<Figure, f64>, FileError> {
    let Some(item) = s.get("threshold") else { return Ok(Default::default()) };
    let names: Vec<&str> = Figure::ALL.iter().map(|f| f.name()).collect();
    let hint = format!("threshold = 0.5 (a relative change: +50 %), or threshold = {{ failover_p99_ms = 0.5 }} with figures among {}", names.join(", "));
    let bad = || s.error("threshold", format!("threshold must be a number above 0, e.g. {hint}"));
    let share = |v: &toml_edit::Value| number(v).filter(|x| *x > 0.0 && x.is_finite());
    if let Some(v) = item.as_value().and_then(share) {
        return Ok(Figure::ALL.into_iter().map(|f| (f, v)).collect());
    }
    let table = item.as_table_like().ok_or_else(bad)?;
    let mut out = std::collections::BTreeMap::new();
    for (key, value) in table.iter() {
        let figure = Figure::parse(key).ok_or_else(|| {
            s.error(
                "threshold",
                format!("threshold: unknown figure {key:?}; use one of {}", names.join(", ")),
            )
        })?;
        out.insert(figure, value.as_value().and_then(share).ok_or_else(bad)?);
    }
    Ok(out)
}

/// An integer or a float.
pub fn number(v: &toml_edit::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

fn scenarios(top: &Section<'_>, defaults: Option<&Table>) -> Result<Vec<ScenarioSpec>, FileError> {
    let hint =
        "[[scenario]] tables, e.g.\n[[scenario]]\nname = \"raft-partition\"\ntarget = \"raft\"";
    let tables = match top.get("scenario") {
        None => {
            return Err(top
                .src
                .error(None, format!("no scenarios: add {}", hint.replace('\n', " "))))
        }
        Some(Item::ArrayOfTables(a)) => a,
        Some(_) => {
            return Err(top.error(
                "scenario",
                "scenario must be [[scenario]] tables (double brackets), one per scenario",
            ))
        }
    };
    let mut specs: Vec<ScenarioSpec> = Vec::new();
    for t in tables.iter() {
        let spec = super::scenario::read(top.src, t, defaults)?;
        if let Some(first) = specs.iter().find(|s| s.name == spec.name) {
            let msg = format!("scenario name {:?} is used twice (first at line {}); give each scenario its own name (trends join on it)", spec.name, first.line);
            return Err(top.src.error(t.span(), msg));
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// The line of `item`, else of `table`.
pub fn line_of(src: &Source<'_>, item: Option<&Item>, table: &Table) -> usize {
    let span = item.and_then(span_of).or_else(|| table.span());
    src.error(span, "").line.unwrap_or(1)
}
