//! The golden histories under `checkers/fixtures/`: each file is judged as its row in
//! `fixtures/README.md` says.

mod support;

use splitbrain_checkers::reader::{read_path, ReadError};
use splitbrain_checkers::Verdict;
use std::path::{Path, PathBuf};

/// One row of the README table.
struct Row {
    file: String,
    expected: Vec<String>,
}

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn rows() -> Vec<Row> {
    let readme = std::fs::read_to_string(folder().join("README.md")).expect("fixtures/README.md");
    readme
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(".jsonl"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            Row {
                file: cells[1].to_string(),
                expected: cells[2].split_whitespace().map(String::from).collect(),
            }
        })
        .collect()
}

fn parse_verdict(s: &str) -> Verdict {
    match s {
        "valid" => Verdict::Valid,
        "invalid" => Verdict::Invalid,
        "unknown" => Verdict::Unknown,
        "not-applicable" => Verdict::NotApplicable,
        other => panic!("README: {other:?} is not a verdict"),
    }
}

/// Checks one expectation (`checker=verdict[@i,j]`, `warnings=N`, `read-error@L`) on a file.
fn expect(path: &Path, want: &str) -> Result<(), String> {
    if let Some(line) = want.strip_prefix("read-error@") {
        return match read_path(path) {
            Err(ReadError::Rule { line: at, .. }) if at.to_string() == line => Ok(()),
            Err(e) => Err(format!("wanted a read error at line {line}, got: {e}")),
            Ok(_) => Err(format!("wanted a read error at line {line}, it read")),
        };
    }
    let h = read_path(path).map_err(|e| e.to_string())?;
    let (key, value) = want.split_once('=').ok_or(format!("README: {want:?} is not key=value"))?;
    if key == "warnings" {
        let n: usize = value.parse().map_err(|_| format!("README: {value:?}"))?;
        return (h.warnings.len() == n).then_some(()).ok_or(format!("warnings: {:?}", h.warnings));
    }
    let (verdict, evidence) = value.split_once('@').map_or((value, None), |(v, e)| (v, Some(e)));
    let r = support::check(key, &h);
    if r.verdict != parse_verdict(verdict) {
        return Err(format!("{key}: {} ({})", r.verdict, r.summary));
    }
    match evidence {
        Some(e) => {
            let want: Vec<u64> = e.split(',').map(|x| x.parse().expect("an index")).collect();
            (r.evidence == want)
                .then_some(())
                .ok_or(format!("{key}: evidence {:?}, wanted {want:?} ({})", r.evidence, r.summary))
        }
        None => Ok(()),
    }
}

#[test]
fn every_golden_history_gets_the_verdicts_its_readme_row_states() {
    let mut failures = Vec::new();
    for row in rows() {
        for want in &row.expected {
            if let Err(why) = expect(&folder().join(&row.file), want) {
                failures.push(format!("{}: {want}: {why}", row.file));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_fixture_file_has_a_readme_row_and_every_row_a_file() {
    let listed: Vec<String> = rows().into_iter().map(|r| r.file).collect();
    let mut files: Vec<String> = std::fs::read_dir(folder())
        .expect("fixtures folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".jsonl"))
        .collect();
    files.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(files, sorted);
}

#[test]
fn every_safety_checker_has_a_valid_and_an_invalid_golden_history() {
    let rows = rows();
    let mut kinds = splitbrain_checkers::registry::safety_defaults();
    kinds.push(splitbrain_checkers::CheckerKind::Convergence);
    for name in kinds.iter().map(|k| k.name()) {
        for verdict in ["valid", "invalid"] {
            let found = rows
                .iter()
                .any(|r| r.expected.iter().any(|e| e.starts_with(&format!("{name}={verdict}"))));
            assert!(found, "no fixture shows {name} {verdict}");
        }
    }
}
