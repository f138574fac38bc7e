//! Bad input to `splitbrain test` exits 254 with one line on stderr that names the flag and
//! says what to give, and starts nothing: the options are checked before the sandbox is entered
//! (so these run anywhere, without root or namespaces).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `splitbrain test ARGS` against a store that must stay empty; (exit status, stderr).
fn test_with(args: &[&str]) -> (Option<i32>, String) {
    let tmp = tempfile::Builder::new().prefix("splitbrain-test-cli-").tempdir().expect("temp dir");
    let store = tmp.path().join("store");
    let mut child = Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .arg("test")
        .args(args)
        .arg("--store")
        .arg(&store)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running splitbrain");
    // Bad input must be refused at once; a run that starts would take seconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("waiting").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} was not refused within 10 s: it started a run");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("its output");
    assert!(!store.exists(), "{args:?} created the store {}", store.display());
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_options_exit_254_with_one_line_naming_what_is_wrong() {
    let table: &[(&[&str], &str)] = &[
        (&["--target", "zookeeper-x"], "unknown target \"zookeeper-x\": use one of raft"),
        (&["--bug", "nope"], "--bug: unknown bug \"nope\": use one of forget-vote"),
        (
            &["--target", "paxos", "--bug", "forget-vote"],
            "--bug forget-vote: target paxos has no such bug; use one of forget-promise",
        ),
        (&["--target", "bully", "--bug", "forget-vote"], "target bully has no planted bugs"),
        (&["--nemesis", "partition,netem"], "--nemesis: unknown fault \"netem\""),
        (&["--nemesis", ","], "--nemesis: empty"),
        (&["--nodes", "0"], "--nodes 0: give 1 to"),
        (&["--seed", "abc"], "--seed"),
        (&["--seed", "-1"], "--seed must be a whole number from 0 to"),
        (&["--resource", "half"], "--resource: unknown resource mode \"half\""),
        (&["--time-limit", "0"], "--time-limit must be positive: got 0"),
        (&["--time-limit", "5h"], "--time-limit must be a duration such as 5, 5s, 500ms or 2m"),
        (&["--test-count", "0"], "--test-count must be 1 or more: got 0"),
        (&["--election-timeout-ms", "300-150"], "--election-timeout-ms"),
        (&["--no-such-flag"], "unexpected argument"),
        (&["--lease", "2s"], "--lease, --candidates and --durable are for third-party targets"),
        (&["--durable"], "--lease, --candidates and --durable are for third-party targets"),
        (&["--target", "etcd", "--durable"], "--durable is for the Redis targets"),
        (&["--aim", "servers"], "--aim servers: raft runs no servers"),
        (&["--target", "redis-cas", "--aim", "half"], "--aim \"half\": give any"),
        (&["--target", "etcd", "--lease", "0"], "--lease must be positive: got 0"),
        (&["--target", "etcd", "--lease", "50ms"], "--lease 50ms: give 100ms or more"),
        (&["--target", "redis-cas", "--candidates", "both"], "--candidates \"both\": give shared"),
        (&["--target", "redis-cas", "--nodes", "1"], "redis-cas needs at least 2 nodes"),
        (
            &["--target", "k8s-lease", "--nodes", "3", "--candidates", "separate"],
            "k8s-lease needs at least 4 nodes with candidates on nodes of their own",
        ),
    ];
    for (args, says) in table {
        let (code, err) = test_with(args);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(code, Some(254), "{args:?}: stderr {err:?}");
        assert_eq!(lines.len(), 1, "{args:?}: want one line, got {err:?}");
        assert!(lines[0].contains(says), "{args:?}: {:?} does not say {says:?}", lines[0]);
    }
}
