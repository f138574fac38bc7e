//! The crash storm: for one fault window, every node crash-loops on its own. While up, a node
//! is killed after an exponential wait (mean [`MEAN_UP`]); once down, it is started again with
//! its data after 20–400 ms, as a supervisor would. Each kill and restart is its own history
//! record.
//!
//! Why independent loops rather than one node at a time: a lost vote (a node that does not
//! persist it) only shows when a node that missed an election (down throughout) comes back
//! after that term's leader died and campaigns in the same term, and the voters it asks
//! restarted since they voted. That needs downtimes that overlap. Checked on the Raft machine
//! in a simulated network (5 nodes, 60 s, three storm windows, 40 seeds): held kills and kills
//! of one set at a time exposed `forget-vote` in 0 runs, independent loops with these rates in
//! 38.
//!
//! Neighbours: called by [`super::Nemesis`] for a kill window dealt as a storm.

use super::{record, restart, Parts};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use splitbrain_nemesis::crash;
use splitbrain_targets::stop::Stop;
use std::time::{Duration, Instant};

/// Mean time a node stays up between crashes during a storm.
pub const MEAN_UP: Duration = Duration::from_millis(170);
/// Shortest and longest downtime.
pub const DOWN_MS: (u64, u64) = (20, 400);

/// Runs the storm on `nodes` until `end` (or `stop`), then starts every node it left down.
pub fn run(parts: Parts<'_>, nodes: &[String], end: Instant, stop: &Stop, rng: &mut ChaCha8Rng) {
    parts.log.info(format!(
        "nemesis: crash storm on {} for {:.1} s",
        nodes.join(" "),
        end.saturating_duration_since(Instant::now()).as_secs_f64()
    ));
    // Per node: is it down, and when does it change next.
    let mut state: Vec<(bool, Instant)> =
        nodes.iter().map(|_| (false, Instant::now() + up_time(rng))).collect();
    loop {
        let Some((i, at)) =
            state.iter().enumerate().map(|(i, s)| (i, s.1)).min_by_key(|(_, at)| *at)
        else {
            return;
        };
        if at >= end || stop.sleep_until(at) {
            break;
        }
        let node = std::slice::from_ref(&nodes[i]);
        let (down, _) = state[i];
        let result = match down {
            false => crash::kill(parts.net, node),
            true => restart(parts, node),
        };
        match result {
            Ok(ev) => record(parts, ev, false),
            Err(e) => parts.log.info(format!("crash storm on {}: {e}", nodes[i])),
        }
        let next = match down {
            false => Duration::from_millis(rng.gen_range(DOWN_MS.0..=DOWN_MS.1)),
            true => up_time(rng),
        };
        state[i] = (!down, Instant::now() + next);
    }
    let left: Vec<String> =
        nodes.iter().zip(&state).filter(|(_, s)| s.0).map(|(n, _)| n.clone()).collect();
    if !left.is_empty() {
        match restart(parts, &left) {
            Ok(ev) => record(parts, ev, false),
            Err(e) => parts.log.info(format!("crash storm: restarting {}: {e}", left.join(" "))),
        }
    }
    parts.log.info("nemesis: crash storm over");
}

fn up_time(rng: &mut ChaCha8Rng) -> Duration {
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    Duration::from_secs_f64((-u.ln() * MEAN_UP.as_secs_f64()).min(5.0))
}
