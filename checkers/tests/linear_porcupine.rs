//! Every history Porcupine ships in its test data gets the verdict Porcupine's own tests
//! expect (`fixtures/porcupine/jepsen/EXPECTED`; kv `-ok`/`-bad` by name), from the copy of
//! that data in this repository (`fixtures/porcupine/README.md` says where it came from).

use splitbrain_checkers::formats::{parse, Format};
use splitbrain_checkers::linear::{check_history, FailedCas, ModelKind, Options};
use splitbrain_checkers::Verdict;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/porcupine");
    assert!(dir.join("jepsen/EXPECTED").is_file(), "missing {}", dir.display());
    dir
}

fn check(path: &Path, format: Format, model: ModelKind) -> splitbrain_checkers::CheckResult {
    let text = std::fs::read_to_string(path).unwrap();
    let history = parse(format, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    check_history(&history, model, FailedCas::FoundOtherValue, &Options::default()).unwrap()
}

/// The files of a folder whose names end in `suffix`, sorted: what the tests must cover.
fn files(dir: &Path, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .collect();
    names.sort();
    names
}

/// EXPECTED's verdicts by file name.
fn expected(dir: &Path) -> BTreeMap<String, Verdict> {
    let text = std::fs::read_to_string(dir.join("EXPECTED")).unwrap();
    let verdict = |v: &str| match v {
        "linearizable" => Verdict::Valid,
        "not-linearizable" => Verdict::Invalid,
        other => panic!("EXPECTED: unknown verdict {other:?}"),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_once(' ').expect("EXPECTED: <file> <verdict>"))
        .map(|(file, v)| (file.to_string(), verdict(v.trim())))
        .collect()
}

/// Every `.log` file in the folder is checked: those EXPECTED lists get its verdict, and the
/// one it leaves out (`etcd_095.log`, empty: that run's cluster never started) has nothing to
/// judge. A file neither listed nor empty fails the test rather than being skipped.
#[test]
fn every_jepsen_etcd_history_gets_porcupines_verdict() {
    let dir = data().join("jepsen");
    let want = expected(&dir);
    let logs = files(&dir, ".log");
    assert_eq!(logs.len(), 103, "the folder should hold 103 etcd logs: {logs:?}");
    assert_eq!(want.len(), 102, "EXPECTED should list 102 histories");
    let (mut wrong, mut counts) = (Vec::new(), HashMap::<Verdict, usize>::new());
    for file in &logs {
        let got = check(&dir.join(file), Format::JepsenLog, ModelKind::CasRegister);
        let expect = match want.get(file) {
            Some(v) => *v,
            None if file == "etcd_095.log" => Verdict::Unknown,
            None => panic!("{file} is not in EXPECTED and has no verdict to compare"),
        };
        if got.verdict != expect {
            wrong.push(format!("{file}: expected {expect}, got {} ({})", got.verdict, got.summary));
        }
        *counts.entry(got.verdict).or_default() += 1;
    }
    assert!(wrong.is_empty(), "{} of {} wrong:\n{}", wrong.len(), logs.len(), wrong.join("\n"));
    let listed: Vec<&String> = want.keys().filter(|f| !logs.contains(f)).collect();
    assert!(listed.is_empty(), "EXPECTED lists files that are missing: {listed:?}");
    let want_counts =
        HashMap::from([(Verdict::Valid, 23), (Verdict::Invalid, 79), (Verdict::Unknown, 1)]);
    assert_eq!(counts, want_counts);
}

#[test]
fn the_empty_etcd_history_has_nothing_to_judge() {
    let got = check(&data().join("jepsen/etcd_095.log"), Format::JepsenLog, ModelKind::CasRegister);
    assert_eq!(got.verdict, Verdict::Unknown);
}

/// Every `.txt` file in the kv folder is checked, its verdict given by its name (`-ok`: valid,
/// `-bad`: invalid); a name with neither fails the test.
#[test]
fn every_porcupine_kv_history_gets_its_verdict() {
    let dir = data().join("kv");
    let logs = files(&dir, ".txt");
    assert_eq!(logs.len(), 6, "the kv folder should hold c01, c10 and c50, ok and bad: {logs:?}");
    for file in &logs {
        let want = match file {
            f if f.ends_with("-ok.txt") => Verdict::Valid,
            f if f.ends_with("-bad.txt") => Verdict::Invalid,
            f => panic!("{f}: the name says neither -ok nor -bad"),
        };
        let got = check(&dir.join(file), Format::PorcupineKv, ModelKind::Kv);
        assert_eq!(got.verdict, want, "{file}: {}", got.summary);
    }
}

#[test]
fn an_invalid_etcd_history_names_its_culprit_and_conflicts() {
    let got = check(&data().join("jepsen/etcd_000.log"), Format::JepsenLog, ModelKind::CasRegister);
    assert_eq!(got.verdict, Verdict::Invalid);
    assert!(got.summary.contains("cannot be linearized"), "{}", got.summary);
    assert!(!got.evidence.is_empty());
    let d = &got.details;
    for field in ["culprit", "conflicts", "longest_linearization", "prefix_end_index"] {
        assert!(!d[field].is_null(), "details lack {field}: {d}");
    }
}
