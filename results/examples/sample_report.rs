//! Writes a sample run folder (the synthetic dual-writer run of `splitbrain_results::sample`)
//! with results.json, junit.xml and report.html, and prints the terminal summary.
//!
//! `cargo run -p splitbrain-results --example sample_report -- [STORE_DIR] [--seconds N]
//! [--ops-per-second N] [--clients N] [--seed N] [--fenced]`; the run goes to `STORE_DIR/<test>/<timestamp>/` (default
//! `/tmp/splitbrain-sample-store`), and the last line printed is the report's path.

use splitbrain_results::sample::{dual_writer_run, SampleOptions};
use splitbrain_results::{output, terminal, RunResults, Store};
use std::time::SystemTime;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = SampleOptions::default();
    let mut store = "/tmp/splitbrain-sample-store".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = || -> Result<u64, Box<dyn std::error::Error>> {
            Ok(it.next().ok_or(format!("{a} needs a number"))?.parse()?)
        };
        match a.as_str() {
            "--seconds" => opts.seconds = num()?,
            "--ops-per-second" => opts.ops_per_second = num()?,
            "--seed" => opts.seed = num()?,
            "--clients" => opts.clients = num()? as i64,
            "--fenced" => opts.fenced = true,
            other if !other.starts_with('-') => store = other.to_string(),
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let sample = dual_writer_run(&opts);
    let run = Store::new(&store).create_run(&sample.meta.test, SystemTime::now())?;
    std::fs::write(run.history(), history_text(&sample.history))?;
    let results = RunResults::new(sample.meta, sample.checks, &sample.history);
    let digest = splitbrain_results::digest::Digest::whole(sample.history);
    let written = output::write_results(&run, &results, &digest)?;
    let style = terminal::Style::stderr();
    terminal::print_summary(
        &mut std::io::stderr(),
        &results,
        &digest.kept,
        Some(&written.report),
        style,
    )?;
    println!("{}", written.report.display());
    Ok(())
}

fn history_text(h: &splitbrain_checkers::History) -> String {
    h.records.iter().map(|r| splitbrain_results::evidence::line(r) + "\n").collect()
}
