//! Runs that follow or overlap one another: a `--test-count` series builds every run's network
//! (the kernel may still hold the previous run's links) and writes one JUnit of its runs; two
//! `splitbrain test` started at once on one store both work; a run whose network cannot be
//! built names the cause in its summary, results.json and junit.xml.
//!
//! Each trial runs the real `splitbrain` binary in a child process. Trials are ignored, with
//! the reason printed, where the machine cannot build a sandbox. They run one at a time.

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Duration;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

mod support;

fn main() {
    let args = Arguments::from_args();
    let reason = support::sandbox_missing();
    if let Some(r) = &reason {
        eprintln!("series_e2e: ignoring the trials: {r}");
    }
    let trial = |name: &'static str, f: fn() -> Result<(), Failed>| {
        Trial::test(name, move || {
            let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
            f()
        })
        .with_ignored_flag(reason.is_some())
    };
    let trials = vec![
        trial("back_to_back_runs_all_build_their_network_and_share_one_junit", series),
        trial("two_tests_started_at_once_on_one_store_both_work", concurrent),
        trial("a_run_whose_network_cannot_be_built_names_the_cause_everywhere", cannot_start),
    ];
    libtest_mimic::run(&args, trials).exit();
}

/// `splitbrain test` with a short fault-free run into `store`.
fn test_cmd(store: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(support::bin());
    c.args(["test", "--time-limit", "2", "--nemesis", "none", "--store"]).arg(store);
    c.args(extra).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

fn expect_code(out: &Output, code: i32) -> Result<(), Failed> {
    match out.status.code() == Some(code) {
        true => Ok(()),
        false => Err(format!(
            "exit {:?}, expected {code}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into()),
    }
}

/// The run folders of test `name` in `store`, oldest first.
fn run_folders(store: &Path, name: &str) -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(store.join(name))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.is_symlink())
        .collect();
    runs.sort();
    runs
}

fn read_json(path: &Path) -> Result<Value, Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

fn read(path: &Path) -> Result<String, Failed> {
    Ok(std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?)
}

const SERIES: usize = 6;

fn series() -> Result<(), Failed> {
    let store = support::store("series", "back-to-back");
    let count = SERIES.to_string();
    let child = test_cmd(&store, &["--test-count", &count, "--name", "b2b"]).spawn()?;
    let out = support::finish(child, Duration::from_secs(30 * SERIES as u64))?;
    expect_code(&out, 0)?;
    let runs = run_folders(&store, "b2b");
    if runs.len() != SERIES {
        return Err(format!("{} run folders, expected {SERIES}", runs.len()).into());
    }
    for run in &runs {
        let verdict = read_json(&run.join("results.json"))?["verdict"].clone();
        if verdict != "valid" {
            return Err(format!("{}: {verdict}", run.display()).into());
        }
    }
    let first = runs[0].file_name().unwrap_or_default().to_string_lossy().into_owned();
    let junit = store.join("b2b").join(format!("{first}.series.junit.xml"));
    let xml = read(&junit)?;
    let suites = xml.matches("<testsuite ").count();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if suites != SERIES || !stdout.contains(&junit.display().to_string()) {
        return Err(format!("{suites} suites in {}; stdout:\n{stdout}", junit.display()).into());
    }
    let _ = std::fs::remove_dir_all(&store);
    Ok(())
}

fn concurrent() -> Result<(), Failed> {
    let store = support::store("series", "at-once");
    let a = test_cmd(&store, &["--name", "a"]).spawn()?;
    let b = test_cmd(&store, &["--name", "b"]).spawn()?;
    let (a, b) = (
        support::finish(a, Duration::from_secs(60))?,
        support::finish(b, Duration::from_secs(60))?,
    );
    expect_code(&a, 0)?;
    expect_code(&b, 0)?;
    let (ra, rb) = (run_folders(&store, "a"), run_folders(&store, "b"));
    if ra.len() != 1 || rb.len() != 1 {
        return Err(format!("run folders: {ra:?} {rb:?}").into());
    }
    let stamp = |p: &Path| p.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let newest = std::cmp::max((stamp(&ra[0]), "a"), (stamp(&rb[0]), "b"));
    let latest = std::fs::read_link(store.join("latest"))?;
    if latest != Path::new(newest.1).join(&newest.0) {
        return Err(format!("store/latest -> {}, newest is {newest:?}", latest.display()).into());
    }
    let _ = std::fs::remove_dir_all(&store);
    Ok(())
}

/// An `ip` that refuses to build the network as the kernel did when a link name was taken.
const FAKE_IP: &str = "#!/bin/sh
for a in \"$@\"; do [ \"$a\" = -force ] && exec /usr/sbin/ip \"$@\"; [ \"$a\" = -n ] && exec /usr/sbin/ip \"$@\"; done
echo 'RTNETLINK answers: File exists' >&2; echo 'Command failed -:5' >&2; exit 1
";

fn cannot_start() -> Result<(), Failed> {
    if !Path::new("/usr/sbin/ip").is_file() {
        return Err("the fake ip needs /usr/sbin/ip to pass the teardown on".into());
    }
    let store = support::store("series", "cannot-start");
    let bin = store.join("fake-bin");
    std::fs::create_dir_all(&bin)?;
    std::fs::write(bin.join("ip"), FAKE_IP)?;
    let mut perms = std::fs::metadata(bin.join("ip"))?.permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(bin.join("ip"), perms)?;
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = test_cmd(&store, &["--name", "broken", "--test-count", "3"]);
    let out = support::finish(cmd.env("PATH", path).spawn()?, Duration::from_secs(30))?;
    expect_code(&out, 255)?;
    let cause = "the run could not start: building the node network: ";
    let runs = run_folders(&store, "broken");
    let [run] = runs.as_slice() else {
        return Err(format!("the series goes on after a run that could not start: {runs:?}").into());
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = read_json(&run.join("results.json"))?["checks"][0].clone();
    let junit = read(&run.join("junit.xml"))?;
    let one_line = stdout.lines().find(|l| l.contains(cause)).unwrap_or_default();
    let checks = [
        ("summary", one_line.contains("File exists")),
        ("results.json", first["checker"] == "run" && first["verdict"] == "unknown"),
        ("results.json cause", first["summary"].as_str().is_some_and(|s| s.starts_with(cause))),
        ("junit.xml", junit.contains("<testcase name=\"run\"") && junit.contains(cause)),
    ];
    if let Some((what, _)) = checks.iter().find(|(_, ok)| !ok) {
        return Err(format!("{what} does not name the cause\nstdout:\n{stdout}\n{junit}").into());
    }
    let _ = std::fs::remove_dir_all(&store);
    Ok(())
}
