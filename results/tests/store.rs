//! The run store: folder layout, the `latest` links, unique names, listing, bad names.

mod common;

use common::TempDir;
use splitbrain_results::store::{RunDir, Store, StoreError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[test]
fn a_new_run_gets_its_folder_and_both_latest_links_point_at_it() {
    let dir = TempDir::new("store");
    let store = Store::new(dir.path());
    let first = store.create_run("raft", at(1_777_303_812)).expect("run");
    assert!(first.path().ends_with("raft/20260427T153012.000Z"));
    assert!(first.nodes().is_dir());
    let second = store.create_run("bully", at(1_777_303_900)).expect("run");
    let latest = std::fs::read_link(dir.path().join("latest")).expect("latest link");
    assert_eq!(latest, std::path::Path::new("bully/20260427T153140.000Z"), "relative link");
    assert_eq!(
        store.latest().map(|r| r.path().canonicalize().unwrap()),
        Some(second.path().canonicalize().unwrap())
    );
    let per_test = std::fs::read_link(dir.path().join("raft/latest")).expect("per-test link");
    assert_eq!(per_test, std::path::Path::new("20260427T153012.000Z"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary links left behind: {leftovers:?}");
}

#[test]
fn runs_in_the_same_millisecond_get_distinct_folders_and_list_newest_first() {
    let dir = TempDir::new("store-list");
    let store = Store::new(dir.path());
    let a = store.create_run("raft", at(1000)).expect("run");
    let b = store.create_run("raft", at(1000)).expect("run");
    let c = store.create_run("etcd", at(2000)).expect("run");
    assert_ne!(a.path(), b.path());
    assert!(b.path().to_string_lossy().ends_with("Z-1"), "{}", b.path().display());
    let runs = store.runs().expect("list");
    let names: Vec<(String, String)> =
        runs.iter().map(|r| (r.test.clone(), r.stamp.clone())).collect();
    assert_eq!(
        names,
        [
            ("etcd".into(), "19700101T003320.000Z".into()),
            ("raft".into(), "19700101T001640.000Z-1".into()),
            ("raft".into(), "19700101T001640.000Z".into()),
        ]
    );
    assert_eq!(runs[0].dir, c);
    assert_eq!(runs[0].verdict(), None, "no results.json yet");
    std::fs::write(c.results(), r#"{"verdict": "invalid", "anything": 1}"#).unwrap();
    assert_eq!(runs[0].verdict(), Some(splitbrain_checkers::Verdict::Invalid));
}

#[test]
fn an_empty_or_missing_store_lists_no_runs() {
    let dir = TempDir::new("store-empty");
    assert!(Store::new(dir.path().join("nothing")).runs().expect("list").is_empty());
    assert!(Store::new(dir.path()).latest().is_none());
}

#[test]
fn names_that_are_not_one_safe_folder_are_refused_with_the_reason() {
    let dir = TempDir::new("store-names");
    let store = Store::new(dir.path());
    for bad in ["", "a/b", "..", ".hidden", "latest", "sp ace", "x".repeat(101).as_str()] {
        let err = store.create_run(bad, at(0)).expect_err(bad);
        assert!(matches!(err, StoreError::BadName { .. }), "{bad}: {err}");
        assert!(err.to_string().contains("invalid test name"), "{err}");
    }
    let run = store.create_run("ok-name_1.2", at(0)).expect("good name");
    assert!(run.node_dir("../escape").is_err());
    assert!(run.node_dir("n1").expect("node dir").is_dir());
}

#[test]
fn open_accepts_a_run_folder_and_refuses_anything_else() {
    let dir = TempDir::new("store-open");
    let run = Store::new(dir.path()).create_run("raft", at(0)).expect("run");
    assert!(matches!(RunDir::open(run.path()), Err(StoreError::NotARun(_))));
    std::fs::write(run.history(), "").unwrap();
    assert_eq!(RunDir::open(run.path()).expect("a run"), run);
    assert!(matches!(RunDir::open(dir.path().join("missing")), Err(StoreError::Io { .. })));
}

#[test]
fn atomic_writes_replace_the_file_whole() {
    let dir = TempDir::new("store-atomic");
    let run = Store::new(dir.path()).create_run("raft", at(0)).expect("run");
    run.write_atomic("results.json", b"one").unwrap();
    let path = run.write_atomic("results.json", b"two").unwrap();
    assert_eq!(std::fs::read(path).unwrap(), b"two");
    let names: Vec<_> =
        std::fs::read_dir(run.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "only nodes/ and results.json: {names:?}");
}

#[test]
fn the_index_page_lists_every_run_with_its_verdict_and_relative_links() {
    let dir = TempDir::new("store-index");
    let store = Store::new(dir.path());
    let a = store.create_run("raft", at(1000)).expect("run");
    store.create_run("etcd<x>", at(2000)).expect_err("bad name");
    std::fs::write(a.results(), r#"{"verdict": "valid"}"#).unwrap();
    std::fs::write(a.report(), "<html></html>").unwrap();
    store.create_run("bully", at(3000)).expect("run");
    let html = splitbrain_results::report::index::render("store", &store.runs().unwrap());
    assert!(
        html.contains("2 runs · 1 valid · 0 invalid · 0 unknown · 1 without results"),
        "{html}"
    );
    assert!(html.contains(r#"href="raft/19700101T001640.000Z/report.html""#));
    assert!(html.find("bully").unwrap() < html.find("raft").unwrap(), "newest first");
    assert!(!html.to_lowercase().contains("http"));
}
