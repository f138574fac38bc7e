//! `splitbrain drill` end to end: the CI drill (a correct target and a planted bug) passes
//! with one JUnit and one page; a bound tighter than the measured figure fails the drill and
//! names the figure; nights add up to trends, a regression against earlier nights fails the
//! drill naming the figure and the nights, and `keep_nights` deletes the oldest.
//!
//! Each trial runs the real `splitbrain` binary in a child process, one trial at a time. They
//! are ignored, with the reason printed, where the machine cannot build a sandbox.

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod support;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn main() {
    let args = Arguments::from_args();
    let reason = support::sandbox_missing();
    if let Some(r) = &reason {
        eprintln!("drill_e2e: ignoring the trials: {r}");
    }
    let trial = |name: &'static str, f: fn() -> Result<(), Failed>| {
        Trial::test(name, move || {
            let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
            f()
        })
        .with_ignored_flag(reason.is_some())
    };
    let trials = vec![
        trial("the_ci_drill_passes_with_one_junit_and_one_page", ci_drill),
        trial("a_bound_tighter_than_the_figure_fails_the_drill_naming_it", tight_bound),
        trial("nights_make_trends_and_a_regression_fails_naming_figure_and_nights", nights),
        trial("ctrl_c_stops_the_drill_and_judges_what_ran", interrupted),
    ];
    libtest_mimic::run(&args, trials).exit();
}

/// `splitbrain drill FILE --store STORE`, bounded by `limit`.
fn drill(file: &Path, store: &Path, limit: Duration) -> Result<Output, Failed> {
    support::finish(spawn(file, store)?, limit)
}

fn spawn(file: &Path, store: &Path) -> std::io::Result<std::process::Child> {
    Command::new(support::bin())
        .arg("drill")
        .arg(file)
        .arg("--store")
        .arg(store)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

fn expect_code(out: &Output, code: i32) -> Result<String, Failed> {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    match out.status.code() == Some(code) {
        true => Ok(stdout),
        false => Err(format!(
            "exit {:?}, expected {code}\nstdout:\n{stdout}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
        .into()),
    }
}

/// The night folders of drill `name`, oldest first.
fn night_folders(store: &Path, name: &str) -> Vec<PathBuf> {
    let mut n: Vec<PathBuf> = std::fs::read_dir(store.join("drills").join(name))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    n.sort();
    n
}

fn record(night: &Path) -> Result<Value, Failed> {
    Ok(serde_json::from_str(&std::fs::read_to_string(night.join("drill.json"))?)?)
}

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/drills")
}

fn ci_drill() -> Result<(), Failed> {
    let store = support::store("drill", "ci");
    let out = drill(&examples().join("ci.toml"), &store, Duration::from_secs(150))?;
    let stdout = expect_code(&out, 0)?;
    let nights = night_folders(&store, "ci");
    let [night] = nights.as_slice() else { return Err(format!("nights: {nights:?}").into()) };
    let r = record(night)?;
    let scenarios = r["scenarios"].as_array().cloned().unwrap_or_default();
    let got: Vec<(&str, &str)> = scenarios
        .iter()
        .map(|s| (s["expect"].as_str().unwrap_or(""), s["got"].as_str().unwrap_or("")))
        .collect();
    if r["outcome"] != "passed" || got != [("valid", "valid"), ("invalid", "invalid")] {
        return Err(format!("outcome {}, scenarios {got:?}", r["outcome"]).into());
    }
    let junit = std::fs::read_to_string(night.join("junit.xml"))?;
    let html = std::fs::read_to_string(night.join("drill.html"))?;
    let runs = ["runs/raft-faults/3/report.html", "runs/raft-no-stepdown/5/report.html"];
    let checks = [
        (junit.matches("<testsuite ").count() == 2, "junit: one testsuite per scenario"),
        (
            junit.contains("name=\"max_failover\"") && junit.contains("name=\"linearizable\""),
            "junit: a case per bound and per checker",
        ),
        (!junit.contains("<failure") && !junit.contains("<error"), "junit: nothing fails"),
        (
            runs.iter().all(|r| html.contains(r) && night.join(r).is_file()),
            "drill.html links each run's report",
        ),
        (
            !html.contains("<script") && html.contains("<svg"),
            "drill.html is self-contained, with plots",
        ),
        (
            stdout.contains("expected invalid got invalid") && stdout.contains("drill passed"),
            "the stdout summary",
        ),
    ];
    let failed: Vec<&str> = checks.iter().filter(|(ok, _)| !ok).map(|(_, what)| *what).collect();
    match failed.is_empty() {
        true => Ok(()),
        false => Err(format!("{failed:?}\nstdout:\n{stdout}").into()),
    }
}

/// A one-scenario drill of correct Raft with pauses, with `extra` lines.
fn short_drill(dir: &Path, name: &str, extra: &str, scenario_extra: &str) -> PathBuf {
    let text = format!(
        "name = \"{name}\"\n{extra}\n[[scenario]]\nname = \"raft-pause\"\ntarget = \"raft\"\nnemesis = \"pause\"\nnemesis_interval = \"1.5s\"\ntime_limit = \"6s\"\nseeds = [2]\n{scenario_extra}\n"
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("writing the drill file");
    path
}

fn tight_bound() -> Result<(), Failed> {
    let store = support::store("drill", "bound");
    std::fs::create_dir_all(&*store)?;
    let file = short_drill(&store, "bound", "", "max_leaderless = 1");
    let stdout = expect_code(&drill(&file, &store, Duration::from_secs(90))?, 1)?;
    let named = stdout.contains("FAILED raft-pause: max_leaderless 1 ms: leaderless_ms was");
    let junit = std::fs::read_to_string(night_folders(&store, "bound")[0].join("junit.xml"))?;
    match named
        && junit.contains("<testcase name=\"max_leaderless\"")
        && junit.contains("<failure message=\"max_leaderless 1 ms")
    {
        true => Ok(()),
        false => Err(format!("stdout:\n{stdout}\njunit:\n{junit}").into()),
    }
}

fn nights() -> Result<(), Failed> {
    let store = support::store("drill", "nights");
    std::fs::create_dir_all(&*store)?;
    let rules = "keep_nights = 5\n[trends]\nmin_nights = 2\nwindow = 5\nthreshold = { leaderless_ms = 0.5 }\n";
    let file = short_drill(&store, "nightly", rules, "");
    for _ in 0..2 {
        expect_code(&drill(&file, &store, Duration::from_secs(90))?, 0)?;
    }
    let [n1, n2] = night_folders(&store, "nightly").try_into().map_err(|n| format!("{n:?}"))?;
    let stamp = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    let previous = &record(&n2)?["scenarios"][0]["trends"][2];
    if previous["previous"][0]["night"] != stamp(&n1) || previous["state"] != "too-few-nights" {
        return Err(format!("night 2's leaderless trend: {previous}").into());
    }
    // Three more nights as if the figure had been far lower: the median falls to 0.001 ms.
    for i in 1..=3 {
        let mut r = record(&n2)?;
        let fake = format!("{}-{i}", stamp(&n2));
        r["night"] = Value::from(fake.clone());
        r["scenarios"][0]["figures"]["leaderless_ms"] = Value::from(0.001);
        std::fs::create_dir_all(n2.with_file_name(&fake))?;
        std::fs::write(n2.with_file_name(&fake).join("drill.json"), r.to_string())?;
    }
    let stdout = expect_code(&drill(&file, &store, Duration::from_secs(90))?, 1)?;
    let left = night_folders(&store, "nightly");
    let n3 = left.last().cloned().unwrap_or_default();
    let html = std::fs::read_to_string(n3.join("drill.html"))?;
    let checks = [
        (
            stdout.contains("FAILED raft-pause: regression: leaderless_ms"),
            "stdout names the regressed figure",
        ),
        (
            stdout.contains(&format!("{} to {}-3", stamp(&n1), stamp(&n2))),
            "stdout names the nights",
        ),
        (
            html.contains(&stamp(&n1)) && html.contains(&stamp(&n2)) && html.contains("REGRESSED"),
            "drill.html shows the earlier nights",
        ),
        (left.len() == 5 && !n1.exists(), "keep_nights = 5 deleted the oldest night"),
    ];
    let failed: Vec<&str> = checks.iter().filter(|(ok, _)| !ok).map(|(_, what)| *what).collect();
    match failed.is_empty() {
        true => Ok(()),
        false => Err(format!("{failed:?}\nstdout:\n{stdout}\nnights left: {left:?}").into()),
    }
}

fn interrupted() -> Result<(), Failed> {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    let store = support::store("drill", "sigint");
    let child = spawn(&examples().join("ci.toml"), &store)?;
    // Interrupt the first scenario once its clients have been at work for a few seconds.
    let deadline = Instant::now() + Duration::from_secs(30);
    let history = || {
        let night = night_folders(&store, "ci").pop()?;
        std::fs::metadata(night.join("runs/raft-faults/3/history.jsonl")).ok()
    };
    while history().is_none_or(|m| m.len() < 300_000) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT)?;
    // The cut run skips its final status round, so its convergence and verdict are unknown;
    // the second scenario never ran: nothing could be judged, 2.
    let stdout = expect_code(&support::finish(child, Duration::from_secs(30))?, 2)?;
    let night = night_folders(&store, "ci").pop().unwrap_or_default();
    let r = record(&night)?;
    let second = &r["scenarios"][1];
    let html = std::fs::read_to_string(night.join("drill.html"))?;
    let ok = r["interrupted"] == true
        && r["scenarios"][0]["seeds"][0]["note"].to_string().contains("interrupted")
        && second["got"].is_null()
        && html.contains("not run")
        && stdout.contains("FAILED raft-no-stepdown: not run");
    match ok {
        true => Ok(()),
        false => Err(format!("drill.json: {r}\nstdout:\n{stdout}").into()),
    }
}
