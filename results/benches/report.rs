//! How long the results of a long run take to render: results.json, junit.xml and report.html
//! of a 60 s run with about 100k client operations (the synthetic dual-writer sample).
//!
//! Run: `cargo bench -p splitbrain-results --bench report`. The history is built once, outside
//! the timing; each trial times `RunResults::new` (operation figures) plus rendering the three
//! files, as the controller does between the time limit and the verdict. Prints the median.

use splitbrain_results::sample::{dual_writer_run, SampleOptions};
use splitbrain_results::{junit, report, RunResults};
use std::time::Instant;

const TRIALS: usize = 7;

fn main() {
    let options = SampleOptions {
        seconds: 60,
        ops_per_second: 3200,
        clients: 30,
        seed: 3,
        fenced: false,
        linearizable: false,
    };
    let sample = dual_writer_run(&options);
    let ops = sample
        .history
        .records
        .iter()
        .filter(|r| r.is_client() && r.kind == splitbrain_checkers::Type::Invoke)
        .count();
    println!(
        "report rendering: {} history lines, {ops} client operations, {TRIALS} trials",
        sample.history.records.len()
    );
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..TRIALS {
        let start = Instant::now();
        let results = RunResults::new(sample.meta.clone(), sample.checks.clone(), &sample.history);
        let json = results.to_json();
        let xml = junit::render(&results, &sample.history);
        let html = report::render(&results, &sample.history);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        size = json.len() + xml.len() + html.len();
        std::hint::black_box((json, xml, html));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "  median {:.1} ms (min {:.1}, max {:.1}); {} bytes written",
        times[TRIALS / 2],
        times[0],
        times[TRIALS - 1],
        size
    );
}
