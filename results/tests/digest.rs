//! Claims about a run's digest: a short run's reports are those of its whole history; a long
//! run's are drawn from a bounded sample that keeps every witness and says what it sampled.

use splitbrain_checkers::{reader, History, Process, Type, Verdict};
use splitbrain_results::digest::tally::{Figures, Tally};
use splitbrain_results::digest::{sampler, Digest};
use splitbrain_results::sample::{dual_writer_run, Sample, SampleOptions};
use splitbrain_results::{evidence, report, RunResults};
use std::path::Path;

/// The sample's history written as a history.jsonl, then counted as a run's judge counts it.
fn streamed(sample: &Sample, dir: &Path) -> (std::path::PathBuf, Tally, Figures) {
    let path = dir.join("history.jsonl");
    let text: String = sample.history.records.iter().map(|r| evidence::line(r) + "\n").collect();
    std::fs::write(&path, text).expect("the history is written");
    let mut tally = Tally::default();
    let read = reader::for_each_fed(&path, |r| tally.feed(r)).expect("it reads back");
    let figures = tally.figures(read.records, read.warnings);
    (path, tally, figures)
}

#[test]
fn a_short_runs_digest_is_its_whole_history_and_its_report_is_unchanged() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let sample = dual_writer_run(&SampleOptions::default());
    let (path, tally, figures) = streamed(&sample, dir.path());
    let digest = Digest::read(&path, &sample.checks, &tally.outline()).expect("a digest");
    assert!(digest.sampling.is_none());
    assert_eq!(digest.kept.records, sample.history.records);
    let whole = RunResults::new(sample.meta.clone(), sample.checks.clone(), &sample.history);
    let counted = RunResults::with_figures(sample.meta.clone(), sample.checks.clone(), figures);
    assert_eq!(counted, whole, "the figures counted streaming are the whole history's");
    let page = report::render_digest(&counted, &digest);
    assert_eq!(page, report::render(&whole, &sample.history));
    assert!(!page.contains("sampled evenly"));
}

#[test]
fn a_long_runs_report_samples_keeps_every_witness_and_says_what_it_sampled() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let options = SampleOptions {
        seconds: 300,
        ops_per_second: 500,
        linearizable: false,
        ..Default::default()
    };
    let sample = dual_writer_run(&options);
    let (path, tally, figures) = streamed(&sample, dir.path());
    let digest = Digest::read(&path, &sample.checks, &tally.outline()).expect("a digest");
    let sampling = digest.sampling.clone().expect("a long run is sampled");
    let ops =
        |h: &History| h.records.iter().filter(|r| r.is_client() && r.kind == Type::Invoke).count();
    assert_eq!(sampling.ops.0 as usize, ops(&sample.history));
    assert_eq!(sampling.ops.1 as usize, ops(&digest.kept));
    assert!(
        sampling.ops.1 <= sampler::SAMPLE_OPS + sampler::WITNESS_OPS + sampler::FAULT_OPS + 2_000,
        "{:?}",
        sampling.ops
    );
    let faults = |h: &History| h.records.iter().filter(|r| r.process == Process::Nemesis).count();
    assert_eq!(faults(&digest.kept), faults(&sample.history), "every fault is kept");
    let invalid: Vec<_> = sample.checks.iter().filter(|c| c.verdict == Verdict::Invalid).collect();
    assert!(!invalid.is_empty(), "the sample has a dual write to show");
    for i in invalid.iter().flat_map(|c| c.evidence.iter()) {
        assert!(evidence::record_at(&digest.kept, *i).is_some(), "evidence line {i} is kept");
    }
    let whole = RunResults::new(sample.meta.clone(), sample.checks.clone(), &sample.history);
    let counted = RunResults::with_figures(sample.meta.clone(), sample.checks.clone(), figures);
    assert_eq!(
        counted.operations, whole.operations,
        "counts and quantiles are over every operation"
    );
    let page = report::render_digest(&counted, &digest);
    let says = format!(
        "Showing {} of {} client operations, sampled evenly",
        thousands(sampling.ops.1),
        thousands(sampling.ops.0)
    );
    assert!(page.contains(&says), "the report says what it sampled");
    assert!(
        page.contains("every operation within 1 s of a witness"),
        "every witness window is whole"
    );
    assert!(page.len() < 3_000_000, "report.html stays light: {} bytes", page.len());
}

fn thousands(n: u64) -> String {
    splitbrain_results::digest::thousands(n)
}
