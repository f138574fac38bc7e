//! How fast the own electors elect and fail over, with real `splitbrain-node` processes on
//! loopback (5 nodes, default timing). Prints medians over several runs per target; run with
//! `cargo bench -p splitbrain-targets --bench election [-- RUNS]`.
//!
//! Figures include the polling of `status` (every 10 ms), so they are upper bounds.

#[path = "../tests/own_support/mod.rs"]
mod own_support;

use own_support::TestCluster;
use splitbrain_targets::resource::Mode;
use std::time::{Duration, Instant};

fn quantiles(mut xs: Vec<Duration>) -> String {
    xs.sort();
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {:>4} ms  p90 {:>4} ms  max {:>4} ms",
        at(0.5).as_millis(),
        at(0.9).as_millis(),
        at(1.0).as_millis()
    )
}

fn main() {
    let runs: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10);
    for target in ["raft", "bully", "ring"] {
        let (mut first, mut failover) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let mut c = TestCluster::start(target, 5, None, Mode::Fenced);
            let (leader, _) = c.one_leader(Duration::from_secs(5)).expect("a leader");
            first.push(c.started.elapsed());
            std::thread::sleep(Duration::from_millis(300));
            let (leader, _) = c.one_leader(Duration::from_secs(5)).unwrap_or((leader, 0));
            c.kill(leader);
            let killed = Instant::now();
            c.wait_for(Duration::from_secs(5), |c| c.leaders().first().copied())
                .expect("a new leader");
            failover.push(killed.elapsed());
        }
        println!("{target:5}  first leader: {}", quantiles(first));
        println!("{target:5}  failover:     {}", quantiles(failover));
    }
}
