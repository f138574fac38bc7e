//! The sample report opened in a real browser (headless Chromium): it loads offline, its
//! violation flags are in the rendered page, and a screenshot comes out. Ignored at run time,
//! with the reason printed, where no Chromium is installed (`apt-get install chromium`).
//! `harness = false` (libtest-mimic), so the trial can say why it is ignored.

mod common;

use common::TempDir;
use libtest_mimic::{Arguments, Failed, Trial};
use splitbrain_results::sample::{dual_writer_run, SampleOptions};
use splitbrain_results::{report, RunResults};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let args = Arguments::from_args();
    let name = "the_sample_report_renders_offline_in_headless_chromium";
    let trial = match browser() {
        Some(b) => Trial::test(name, move || renders(&b)),
        None => {
            eprintln!("{name}: ignored: no chromium on PATH (apt-get install chromium)");
            Trial::test(name, || Ok(())).with_ignored_flag(true)
        }
    };
    libtest_mimic::run(&args, vec![trial]).exit();
}

fn browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let names = ["chromium", "chromium-browser", "google-chrome"];
    std::env::split_paths(&path).flat_map(|d| names.map(|n| d.join(n))).find(|p| p.is_file())
}

fn renders(browser: &Path) -> Result<(), Failed> {
    let dir = TempDir::new("browser");
    let sample = dual_writer_run(&SampleOptions::default());
    let results = RunResults::new(sample.meta, sample.checks, &sample.history);
    let page = dir.path().join("report.html");
    std::fs::write(&page, report::render(&results, &sample.history))?;
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");
    let png = dir.path().join("shot.png");
    let dom_file = dir.path().join("dom.html");
    run(browser, &profile, &["--dump-dom", &url], Some(&dom_file))?;
    let dom = std::fs::read_to_string(&dom_file)?;
    if !dom.contains("violation-1") || !dom.contains("class=\"timeline\"") {
        return Err(format!(
            "the rendered page lacks the timeline or its flags ({} bytes)",
            dom.len()
        )
        .into());
    }
    let shot = format!("--screenshot={}", png.display());
    run(browser, &profile, &[&shot, "--window-size=1400,1600", &url], None)?;
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    if size < 20_000 {
        return Err(format!("the screenshot is {size} bytes: a blank page?").into());
    }
    Ok(())
}

/// Runs headless Chromium with the given arguments, for at most 60 s; its stdout goes to
/// `out` (a file, so a large page cannot fill a pipe nobody reads while we wait).
fn run(browser: &Path, profile: &Path, args: &[&str], out: Option<&Path>) -> Result<(), Failed> {
    let stdout = match out {
        Some(path) => Stdio::from(std::fs::File::create(path)?),
        None => Stdio::null(),
    };
    let mut cmd = Command::new(browser);
    cmd.args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(stdout)
        .stderr(Stdio::null());
    let mut child = cmd.spawn()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            child.kill()?;
            child.wait()?;
            return Err("chromium did not finish within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
