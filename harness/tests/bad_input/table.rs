//! The table of bad inputs: every subcommand, each case with the words its one line of
//! stderr must hold, and the scratch files the cases name.
//!
//! Neighbours: `main.rs` runs each case and checks its exit status and stderr.

use std::path::PathBuf;

/// A scratch folder with the files the table names, removed when dropped.
pub struct Scratch {
    pub dir: PathBuf,
    _owner: tempfile::TempDir,
}

impl Scratch {
    /// Each test its own (they run in parallel).
    pub fn new(test: &str) -> Scratch {
        let owner = tempfile::Builder::new()
            .prefix(&format!("splitbrain-bad-input-{test}-"))
            .tempdir()
            .expect("a scratch folder");
        let dir = owner.path().to_path_buf();
        std::fs::create_dir_all(dir.join("folder")).unwrap();
        std::fs::create_dir_all(dir.join("empty-run")).unwrap();
        std::fs::write(dir.join("empty-run/history.jsonl"), "").unwrap();
        std::fs::create_dir_all(dir.join("broken-run")).unwrap();
        std::fs::write(dir.join("broken-run/history.jsonl"), "{oops\n").unwrap();
        std::fs::write(dir.join("file"), "not a folder\n").unwrap();
        std::fs::write(dir.join("empty.jsonl"), "").unwrap();
        std::fs::copy(example(), dir.join("history.jsonl")).unwrap();
        // Never reached: the cases that name it are refused before any connection.
        let host = "[nodes.n1]\nssh = \"root@10.99.0.1\"\naddr = \"10.99.0.1\"\n";
        std::fs::write(dir.join("hosts.toml"), host).unwrap();
        Scratch { dir, _owner: owner }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

pub fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/history.jsonl")
}

pub fn fixture(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../checkers/fixtures");
    root.join(name).display().to_string()
}

/// Every case, with a port that is already in use for `serve`.
pub fn all(s: &Scratch, port_in_use: u16) -> Vec<Case> {
    let all = [test_cases(s), check_cases(s), drill_cases(s), other_cases(s, port_in_use)];
    all.into_iter().flatten().collect()
}

/// One bad input: the arguments and what the one line on stderr must say.
pub struct Case {
    pub args: Vec<String>,
    pub says: String,
}

fn case(args: &[&str], says: &str) -> Case {
    Case { args: args.iter().map(|a| a.to_string()).collect(), says: says.to_string() }
}

/// `splitbrain test ARGS --store STORE`: the store must stay uncreated.
fn test_case(s: &Scratch, args: &[&str], says: &str) -> Case {
    let store = s.path("store-never-made");
    let mut c = case(&[&["test"], args, &["--store", &store]].concat(), says);
    if args.contains(&"--store") {
        c.args.truncate(c.args.len() - 2);
    }
    c
}

/// What `--rate VALUE` is refused with.
fn rate(value: &str) -> String {
    format!("--rate must be a number of operations per second, 0 (as fast as they go) or from 0.01 to 1000000: got {value}")
}

fn test_cases(s: &Scratch) -> Vec<Case> {
    let t = |args: &[&str], says: &str| test_case(s, args, says);
    let (file, file_x) = (s.path("file"), s.path("file/store"));
    vec![
        t(
            &["--hosts", &s.path("hosts.toml"), "--nemesis", "reorder"],
            "--nemesis reorder: this link fault exists only in the sandbox, not on --hosts; leave it out",
        ),
        t(&["--time-limit", "-5"], "--time-limit must be positive: got -5"),
        t(&["--time-limit", "0"], "--time-limit must be positive: got 0"),
        t(&["--time-limit", "5h"], "--time-limit must be a duration such as 5, 5s, 500ms or 2m"),
        t(&["--nemesis-interval", "0"], "--nemesis-interval must be positive: got 0"),
        t(&["--nemesis-interval", "-1s"], "--nemesis-interval must be positive: got -1s"),
        t(&["--leader-timeout", "0"], "--leader-timeout must be positive: got 0"),
        t(&["--convergence-bound", "0"], "--convergence-bound must be positive: got 0"),
        t(&["--settle", "-1"], "--settle must be 0 or more: got -1"),
        t(&["--max-failover", "0s"], "--max-failover must be positive: got 0s"),
        t(&["--target", "etcd", "--lease", "-2s"], "--lease must be positive: got -2s"),
        t(&["--nodes", "0"], "--nodes 0: give 1 to 250"),
        t(&["--nodes", "-3"], "--nodes must be a whole number: got -3"),
        t(&["--nodes", "300"], "--nodes 300: give 1 to 250"),
        t(&["--concurrency", "0"], "--concurrency 0: give 1 to 1000 workers"),
        t(&["--concurrency", "1001"], "--concurrency 1001: give 1 to 1000 workers"),
        t(&["--rate", "-1"], &rate("-1")),
        t(&["--rate", "NaN"], &rate("NaN")),
        t(&["--rate", "inf"], &rate("inf")),
        t(&["--rate", "1e-300"], &rate("1e-300")),
        t(&["--test-count", "0"], "--test-count must be 1 or more: got 0"),
        t(&["--test-count", "-2"], "--test-count must be a whole number: got -2"),
        t(&["--seed", "abc"], "--seed must be a whole number from 0 to"),
        t(&["--seed", "-1"], "--seed must be a whole number from 0 to"),
        t(&["--election-timeout-ms", "300-150"], "--election-timeout-ms \"300-150\": give MIN-MAX"),
        t(&["--election-timeout-ms", "0-100"], "--election-timeout-ms \"0-100\": give MIN-MAX"),
        t(&["--election-timeout-ms", "-5"], "--election-timeout-ms \"-5\": give MIN-MAX"),
        t(&["--heartbeat-ms", "9999999"], "--heartbeat-ms must be at most 3600000 (an hour)"),
        t(
            &["--election-timeout-ms", "150-9999999"],
            "give MIN-MAX in ms with 0 < MIN <= MAX <= 3600000",
        ),
        t(&["--heartbeat-ms", "0"], "--heartbeat-ms 0: give a heartbeat above 0"),
        t(&["--heartbeat-ms", "500"], "--heartbeat-ms 500: give a heartbeat above 0 and below"),
        t(&["--work-interval-ms", "-1"], "--work-interval-ms must be a whole number: got -1"),
        t(&["--resource-timeout-ms", "0"], "--resource-timeout-ms must be 1 or more: got 0"),
        t(&["--confirm-timeout-ms", "0"], "--confirm-timeout-ms must be 1 or more: got 0"),
        t(
            &["--nemesis", "none,kill"],
            "--nemesis none,kill: none means no faults and cannot be mixed with faults",
        ),
        t(&["--nemesis", "partition,netem"], "--nemesis: unknown fault \"netem\""),
        t(&["--nemesis", ","], "--nemesis: empty"),
        t(&["--target", "zab"], "unknown target \"zab\""),
        t(&["--bug", "nope"], "--bug: unknown bug \"nope\": use one of forget-vote, small-quorum"),
        t(&["--target", "bully", "--bug", "forget-vote"], "target bully has no planted bugs"),
        t(&["--name", "a/b"], "--name: invalid test name \"a/b\""),
        t(&["--name", "latest"], "--name: invalid test name \"latest\""),
        t(
            &["--store", &s.path(""), "--name", "file"],
            &format!("--name file: {file} is a file, not the test's folder; give another --name"),
        ),
        t(&["--lease", "2s"], "--lease, --candidates and --durable are for third-party targets"),
        t(&["--no-such-flag"], "unexpected argument '--no-such-flag'"),
        t(&["--store", &file], &format!("--store {file} is a file, not a folder")),
        t(&["--store", &file_x], &format!("--store {file_x}: {file} is a file, not a folder")),
        t(&["--store", "/proc/splitbrain-nope"], "--store /proc/splitbrain-nope: cannot create it"),
        t(&["--store", "/run/splitbrain-nope"], "/run is private to the sandbox"),
    ]
}

fn check_cases(s: &Scratch) -> Vec<Case> {
    let (h, empty, folder) = (s.path("history.jsonl"), s.path("empty.jsonl"), s.path("folder"));
    let missing = s.path("missing.jsonl");
    vec![
        case(&["check", &missing], &format!("{missing}: no such file")),
        case(&["check", &empty], &format!("{empty}: no records")),
        case(&["check", &folder], &format!("{folder}: is a folder without a history.jsonl")),
        case(&["check", &h, "--checker", "split-brain"], "--checker split-brain: no such checker"),
        case(
            &["check", &h, "--checker", "convergence", "--bound", "0"],
            "--bound must be positive: got 0",
        ),
        case(&["check", &h, "--settle", "-1"], "--settle must be 0 or more: got -1"),
        case(&["check", &h, "--max-failover", "-5"], "--max-failover must be positive: got -5"),
        case(&["check", &h, "--max-failover", "5"], "--max-failover is for the liveness checker"),
        case(
            &["check", &h, "--checker", "fencing", "--model", "kv"],
            "--model is for the linearizable checker",
        ),
        case(&["check", &h, "--model", "nope"], "--model: unknown model \"nope\""),
        case(&["check", &h, "--format", "nope"], "--format: unknown format \"nope\""),
        case(
            &["check", &fixture("bad-time-goes-backwards.jsonl")],
            "bad-time-goes-backwards.jsonl:5: time goes backwards",
        ),
        case(&["check"], "the following required arguments were not provided: <HISTORY>"),
    ]
}

fn other_cases(s: &Scratch, port_in_use: u16) -> Vec<Case> {
    let (file, folder, missing) = (s.path("file"), s.path("folder"), s.path("missing"));
    let empty_run = s.path("empty-run");
    let port = port_in_use.to_string();
    vec![
        case(&["analyze", &missing], &format!("{missing}: no such folder")),
        case(&["analyze", &file], &format!("{file}: is a file; give the run's folder")),
        case(&["analyze", &folder], &format!("{folder} is not a splitbrain run folder")),
        case(&["analyze", &empty_run], "empty-run/history.jsonl: no records"),
        case(
            &["analyze", &s.path("broken-run")],
            "broken-run/history.jsonl:1: not a history record",
        ),
        case(&["serve", "--store", &missing], &format!("--store {missing}: no such folder")),
        case(&["serve", "--store", &file], &format!("--store {file} is a file, not a folder")),
        case(&["serve", "--store", &folder, "--for", "-1"], "--for must be positive: got -1"),
        case(
            &["serve", "--store", &folder, "--for", "inf"],
            "--for must be at most 1e9 s: got inf",
        ),
        case(
            &["serve", "--store", &folder, "--port", "70000"],
            "--port: 70000 is not in 0..=65535",
        ),
        case(&["serve", "--store", &folder, "--port", "abc"], "--port \"abc\": invalid digit"),
        case(
            &["serve", "--store", &folder, "--port", &port],
            &format!("--port {port}: Address already in use"),
        ),
        case(&["bench", "nope"], "bench \"nope\": the benchmarks are `record` and `check`"),
        case(&["bench", "record", "--workers", "0"], "--workers must be 1 or more: got 0"),
        case(&["bench", "record", "--workers", "5000"], "--workers 5000: give 1 to 1000 workers"),
        case(&["bench", "record", "--seconds", "0"], "--seconds must be positive: got 0"),
        case(&["bench", "record", "--seconds", "4000"], "--seconds 4000: give at most 3600"),
        case(&["sandbox", "--nodes", "0"], "--nodes 0: a sandbox holds 1 to 250 nodes"),
        case(&["sandbox", "--nodes", "-1"], "--nodes must be a whole number: got -1"),
        case(&["node-exec", "n1", "--", "true"], "no node n1: node-exec works inside a sandbox"),
        case(&[], "no subcommand given"),
        case(&["nope"], "unrecognized subcommand 'nope'"),
    ]
}

/// `splitbrain drill FILE --store STORE` of a drill file holding `text`: the store must stay
/// uncreated.
fn drill_case(s: &Scratch, file: &str, text: &str, says: &str) -> Case {
    let path = s.path(&format!("{file}.toml"));
    std::fs::write(&path, text).expect("writing the drill file");
    let store = s.path("store-never-made");
    let says = format!("{file}.toml{says}");
    Case { args: ["drill", &path, "--store", &store].map(String::from).to_vec(), says }
}

fn drill_cases(s: &Scratch) -> Vec<Case> {
    let d = |file: &str, text: &str, says: &str| drill_case(s, file, text, says);
    let one = |extra: &str| format!("[[scenario]]\nname = \"a\"\n{extra}\n");
    let missing = s.path("missing.toml");
    vec![
        case(&["drill", &missing], &format!("{missing}: cannot read it")),
        d(
            "typo",
            &one("time_limt = \"5s\""),
            ":3: unknown key \"time_limt\" in scenario \"a\": did you mean time_limit?",
        ),
        d(
            "dup",
            "[[scenario]]\nname = \"a\"\n[[scenario]]\nname = \"a\"\n",
            ":3: scenario name \"a\" is used twice (first at line 1)",
        ),
        d(
            "value",
            &one("time_limit = \"-5\""),
            ":3: scenario \"a\": time_limit must be positive: got -5",
        ),
        d(
            "bug",
            &one("bug = \"nope\""),
            ":3: scenario \"a\": bug: unknown bug \"nope\": use one of",
        ),
        d(
            "expect",
            &one("expect = \"fail\""),
            ":3: expect \"fail\" in scenario \"a\": write expect = \"valid\"",
        ),
        d("none", "name = \"x\"\n", ": no scenarios: add [[scenario]] tables"),
        d("store", &one("store = \"x\""), ":3: store in scenario \"a\": the drill keeps its runs"),
        d("count", &one("test_count = 3"), ":3: test_count in scenario \"a\": write repeat = N"),
        d("seeds", &one("seeds = [1, 1]"), ":3: seeds in scenario \"a\": seed 1 is listed twice"),
        d(
            "both",
            &one("seeds = [1]\nrepeat = 2"),
            ":3: seeds and repeat in scenario \"a\": give one",
        ),
        d(
            "bound",
            &one("max_failover = -3"),
            ":3: max_failover in scenario \"a\" must be a positive time",
        ),
        d(
            "share",
            &one("min_availability = 95"),
            ":3: min_availability in scenario \"a\" must be a share",
        ),
        d(
            "figure",
            &format!("[trends]\nthreshold = {{ p99 = 0.5 }}\n{}", one("")),
            ":2: threshold: unknown figure \"p99\"",
        ),
        d(
            "keep",
            &format!("keep_nights = 2\n{}", one("")),
            ":1: keep_nights 2 is fewer than the nights the trends need",
        ),
        d("toml", "[[scenario]\nname = \"a\"\n", ":1: not valid TOML"),
        d("switch", &one("durable = \"yes\""), ":3: durable is a switch: write durable = true"),
        d("kind", &one("nodes = true"), ":3: nodes must be a string or a number"),
        d(
            "defaults",
            &format!("[defaults]\nexpect = \"valid\"\n{}", one("")),
            ":2: unknown key \"expect\" in [defaults]: its keys are",
        ),
        d("noname", "[[scenario]]\ntarget = \"raft\"\n", ":1: [[scenario]] needs name"),
        d(
            "name",
            &one("").replace("\"a\"", "\"a/b\""),
            ":2: scenario name: invalid test name \"a/b\"",
        ),
    ]
}
