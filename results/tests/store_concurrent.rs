//! Runs created at once (two `splitbrain test` on one store, or a `--test-count` series):
//! every run gets its own folder, and the `latest` links only move forward in time.

mod common;

use common::TempDir;
use splitbrain_results::store::Store;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[test]
fn latest_stays_on_a_later_run_when_an_earlier_one_is_created_after_it() {
    let dir = TempDir::new("store-forward");
    let store = Store::new(dir.path());
    let later = store.create_run("raft", at(1_777_303_900)).expect("run");
    let earlier = store.create_run("bully", at(1_777_303_812)).expect("run");
    let link = |p: &str| std::fs::read_link(dir.path().join(p)).expect("link");
    assert_eq!(link("latest"), Path::new("raft").join(later.path().file_name().unwrap()));
    assert_eq!(link("bully/latest"), Path::new(earlier.path().file_name().unwrap()));
    let older_same_test = store.create_run("raft", at(1_777_303_800)).expect("run");
    assert!(older_same_test.path().is_dir());
    assert_eq!(link("raft/latest"), Path::new(later.path().file_name().unwrap()));
}

#[test]
fn runs_created_at_once_all_get_folders_and_latest_names_the_newest() {
    let dir = TempDir::new("store-race");
    let store = Store::new(dir.path());
    let made: Vec<PathBuf> = std::thread::scope(|s| {
        let jobs: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                s.spawn(move || {
                    let test = format!("t{}", t % 2);
                    (0..10)
                        .map(|_| store.create_run(&test, SystemTime::now()).expect("run"))
                        .map(|r| r.path().to_path_buf())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        jobs.into_iter().flat_map(|j| j.join().expect("thread")).collect()
    });
    let mut unique = made.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 80, "every run has a folder of its own");
    let stamp = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    let newest = made.iter().map(|p| stamp(p)).max().unwrap();
    let latest = store.latest().expect("latest");
    assert_eq!(stamp(latest.path()), newest);
    for test in ["t0", "t1"] {
        let mine = made.iter().filter(|p| p.parent().unwrap().ends_with(test));
        let newest = mine.map(|p| stamp(p)).max().unwrap();
        let link = std::fs::read_link(dir.path().join(test).join("latest")).expect("link");
        assert_eq!(link, Path::new(&newest), "{test}");
    }
}

#[test]
fn a_series_junit_lies_beside_its_first_run() {
    let dir = TempDir::new("store-series");
    let first = Store::new(dir.path()).create_run("raft", at(1_777_303_812)).expect("run");
    assert_eq!(
        Store::series_junit(&first),
        dir.path().join("raft/20260427T153012.000Z.series.junit.xml")
    );
}
