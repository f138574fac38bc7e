//! Every history Porcupine ships in its test data gets the verdict Porcupine's own tests
//! expect (shared/porcupine-data/jepsen/EXPECTED; kv `-ok`/`-bad` by name).
//!
//! The data lives in `shared/` beside the repository (`../shared` from its root); set
//! `SPLITBRAIN_SHARED` to point elsewhere. Missing data fails these tests: it is never skipped.

use splitbrain_checkers::formats::{parse, Format};
use splitbrain_checkers::linear::{check_history, FailedCas, ModelKind, Options};
use splitbrain_checkers::Verdict;
use std::path::PathBuf;

fn data() -> PathBuf {
    let shared = std::env::var_os("SPLITBRAIN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let dir = shared.join("porcupine-data");
    assert!(
        dir.join("jepsen/EXPECTED").is_file(),
        "Porcupine's test data is missing: expected {} (shared/ beside the repository, or set SPLITBRAIN_SHARED)",
        dir.display()
    );
    dir
}

fn check(path: &PathBuf, format: Format, model: ModelKind) -> splitbrain_checkers::CheckResult {
    let text = std::fs::read_to_string(path).unwrap();
    let history = parse(format, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    check_history(&history, model, FailedCas::FoundOtherValue, &Options::default()).unwrap()
}

#[test]
fn every_jepsen_etcd_history_gets_porcupines_verdict() {
    let dir = data().join("jepsen");
    let expected = std::fs::read_to_string(dir.join("EXPECTED")).unwrap();
    let mut wrong = Vec::new();
    let mut count = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let (file, verdict) = line.split_once(' ').unwrap();
        let want = match verdict.trim() {
            "linearizable" => Verdict::Valid,
            "not-linearizable" => Verdict::Invalid,
            other => panic!("EXPECTED: unknown verdict {other:?}"),
        };
        let got = check(&dir.join(file), Format::JepsenLog, ModelKind::CasRegister);
        if got.verdict != want {
            wrong.push(format!("{file}: expected {want}, got {} ({})", got.verdict, got.summary));
        }
        count += 1;
    }
    assert_eq!(count, 102, "EXPECTED should list 102 histories");
    assert!(wrong.is_empty(), "{} of {count} wrong:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn the_empty_etcd_history_has_nothing_to_judge() {
    let got = check(&data().join("jepsen/etcd_095.log"), Format::JepsenLog, ModelKind::CasRegister);
    assert_eq!(got.verdict, Verdict::Unknown);
}

#[test]
fn every_porcupine_kv_history_gets_its_verdict() {
    let dir = data().join("kv");
    for name in ["c01", "c10", "c50"] {
        for (suffix, want) in [("ok", Verdict::Valid), ("bad", Verdict::Invalid)] {
            let file = dir.join(format!("{name}-{suffix}.txt"));
            let got = check(&file, Format::PorcupineKv, ModelKind::Kv);
            assert_eq!(got.verdict, want, "{}: {}", file.display(), got.summary);
        }
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
