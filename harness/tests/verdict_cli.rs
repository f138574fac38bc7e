//! Honest verdicts from the outside: a checker that does not apply says so and does not pull
//! the verdict down; a history that tested nothing is unknown; a run that could test nothing
//! (faults that reach the target nowhere, a fence without tokens) is refused before it starts.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn splitbrain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run splitbrain")
}

fn fixture(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.join("checkers/fixtures").join(name).display().to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A history file of `lines` in a fresh temporary folder (gone when the value is dropped).
fn history(name: &str, lines: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir =
        tempfile::Builder::new().prefix("splitbrain-verdict-cli-").tempdir().expect("a temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write history");
    (dir, path)
}

#[test]
fn a_healthy_history_without_tokens_exits_0_with_the_token_checkers_not_applicable() {
    let out = splitbrain(&["check", &fixture("dual-writer-no-tokens-handover.jsonl")]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for name in ["election-safety", "fencing"] {
        let line = stdout.lines().find(|l| l.starts_with(name)).expect("a line per checker");
        assert!(line.contains("  not applicable: no "), "{line}");
    }
    assert!(stdout.contains("verdict: valid"), "{stdout}");
    let out = splitbrain(&["check", &fixture("dual-writer-no-tokens-handover.jsonl"), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        (v["verdict"].as_str(), v["results"][0]["verdict"].as_str()),
        (Some("valid"), Some("not-applicable"))
    );
}

#[test]
fn a_history_with_a_leader_but_no_completed_write_is_unknown_saying_nothing_was_tested() {
    let (_dir, path) = history(
        "no-write.jsonl",
        &[
            r#"{"index":0,"time":1,"process":"n1","type":"ok","f":"elected","value":{"token":1}}"#,
            r#"{"index":1,"time":2,"process":0,"type":"invoke","f":"write","value":{"value":1},"node":"n1"}"#,
            r#"{"index":2,"time":3,"process":0,"type":"fail","f":"write","value":{"value":1},"error":"not-leader"}"#,
        ],
    );
    let out = splitbrain(&["check", &path.display().to_string()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("verdict: unknown: the clients completed no write: nothing was tested"),
        "{stdout}"
    );
    let out = splitbrain(&["check", &path.display().to_string(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["nothing_tested"], "the clients completed no write: nothing was tested");
}

#[test]
fn a_run_that_could_test_nothing_is_refused_with_254_and_one_line() {
    let table: &[(&[&str], &str)] = &[
        (
            &["--target", "redis-naive", "--resource", "fenced"],
            "--resource fenced: target redis-naive gives no fencing token, so there is nothing to fence; use --resource open",
        ),
        (
            &["--bug", "no-fencing", "--resource", "fenced"],
            "--resource fenced: --bug no-fencing takes the fencing tokens off the writes, so there is nothing to fence; use --resource open",
        ),
        (&["--target", "etcd", "--nemesis", "clock"], "--nemesis clock: no fault asked for reaches etcd (clock on etcd servers: etcd is a Go program"),
    ];
    let tmp =
        tempfile::Builder::new().prefix("splitbrain-verdict-store-").tempdir().expect("a temp dir");
    let store = tmp.path().join("store");
    for (args, says) in table {
        let mut all = vec!["test", "--store", store.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = splitbrain(&all);
        let err = text(&out.stderr);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(out.status.code(), Some(254), "{args:?}: {err}");
        assert_eq!(lines.len(), 1, "{args:?}: {err}");
        assert!(lines[0].contains(says), "{args:?}: {:?} does not say {says:?}", lines[0]);
        assert!(!store.exists(), "{args:?} started a run");
    }
}
