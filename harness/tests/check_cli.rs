//! `splitbrain check` from the outside: the built binary's output and exit status on the golden
//! histories of `checkers/fixtures/` and on bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.join("checkers/fixtures").join(name).display().to_string()
}

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .arg("check")
        .args(args)
        .output()
        .expect("run splitbrain")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_valid_history_exits_0_with_one_line_per_safety_checker() {
    let out = check(&[&fixture("healthy-failover.jsonl")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for (line, name) in lines.iter().zip(["election-safety", "fencing", "dual-writer"]) {
        assert!(line.starts_with(name) && line.contains(" valid "), "{line}");
    }
    assert!(lines[3].starts_with("verdict: valid"), "{stdout}");
}

#[test]
fn an_invalid_history_exits_1_and_prints_the_witness() {
    let out = check(&[&fixture("election-safety-two-nodes-one-token.jsonl")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout)
        .contains("token 4 was claimed by n1 (line 0, elected) and n3 (line 5, elected)"));
}

#[test]
fn an_undecidable_history_exits_2() {
    let out = check(&[&fixture("convergence-fault-never-ended.jsonl"), "--checker", "convergence"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
}

#[test]
fn a_liveness_bound_turns_a_slow_failover_into_exit_1() {
    let path = fixture("liveness-slow-failover.jsonl");
    assert_eq!(check(&[&path, "--checker", "liveness"]).status.code(), Some(0));
    let out = check(&[&path, "--checker", "liveness", "--max-failover", "5"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

#[test]
fn json_output_is_one_object_with_the_merged_verdict_and_every_result() {
    let out = check(&[&fixture("fencing-open-resource-accepts-stale.jsonl"), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["verdict"], "invalid");
    assert_eq!(v["records"], 20);
    assert_eq!(v["results"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["results"][1]["checker"], "fencing");
    assert_eq!(v["results"][1]["evidence"], serde_json::json!([10, 14]));
}

#[test]
fn a_cut_off_last_line_is_a_warning_not_an_error() {
    let out = check(&[&fixture("truncated-last-line.jsonl")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains(":27: the last line was cut off mid-write"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_missing_file_exits_254_with_one_line() {
    let out = check(&["/nonexistent/history.jsonl"]);
    assert_eq!(out.status.code(), Some(254));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/history.jsonl: no such file"), "{err}");
}

#[test]
fn an_unreadable_line_exits_254_naming_file_and_line() {
    let out = check(&[&fixture("bad-time-goes-backwards.jsonl")]);
    assert_eq!(out.status.code(), Some(254));
    let err = text(&out.stderr);
    assert!(err.contains("bad-time-goes-backwards.jsonl:5: time goes backwards"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn an_unknown_checker_exits_254_listing_the_known_ones() {
    let out = check(&[&fixture("healthy-failover.jsonl"), "--checker", "fencing,split-brain"]);
    assert_eq!(out.status.code(), Some(254));
    let err = text(&out.stderr);
    assert!(err.contains("--checker split-brain: no such checker; use a comma list of election-safety, fencing, dual-writer"), "{err}");
}

#[test]
fn the_bundled_example_history_is_valid() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/history.jsonl");
    let out = check(&[&example.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn a_runs_folder_is_read_through_its_history_file() {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let out = check(&[&folder.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// A history of Porcupine's test data, vendored in `checkers/fixtures/porcupine`.
fn porcupine(name: &str) -> String {
    fixture(&format!("porcupine/{name}"))
}

#[test]
fn a_jepsen_log_and_a_porcupine_kv_log_get_porcupines_verdicts() {
    let etcd = porcupine("jepsen/etcd_000.log");
    let out = check(&[&etcd, "--model", "cas-register", "--format", "jepsen-log"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let kv = porcupine("kv/c10-ok.txt");
    let out = check(&[&kv, "--model", "kv", "--format", "porcupine-kv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn bad_linearizability_input_exits_254_with_one_line_naming_what_to_do() {
    let (etcd, kv) = (porcupine("jepsen/etcd_000.log"), porcupine("kv/c01-ok.txt"));
    let lin = ["--checker", "linearizable"];
    let cases: [(Vec<&str>, &str); 6] = [
        (vec![&etcd, "--model", "regsiter"], "use register, cas-register, kv or mutex"),
        (
            vec![&etcd, "--format", "jepsen-lg"],
            "use history, jepsen-log, jepsen-edn or porcupine-kv",
        ),
        (vec![&kv, "--format", "jepsen-log"], "is --format right?"),
        (vec![&etcd, "--format", "porcupine-kv", "--model", "cas-register"], "is --format right?"),
        (vec![&kv, "--format", "porcupine-kv"], "give --model kv"),
        (vec![&etcd, "--format", "jepsen-log"], "give --model cas-register"),
    ];
    for (args, hint) in cases {
        let out = check(&[&lin[..], &args].concat());
        assert_eq!(out.status.code(), Some(254), "{args:?}: {}", text(&out.stdout));
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(hint), "{args:?}: {err}");
    }
}
