//! The fault schedule: when each fault window opens and which kind of fault it gets, fixed
//! from the seed and the time limit before the first fault.
//!
//! Neighbours: [`super::Nemesis::run`] follows it; the kinds come from a [`Deck`].
//!
//! Design: one quiet interval, then one fault interval, and so on, so window `j` (from 0) opens
//! at `(2j + 1) × interval` and only windows that open before the time limit happen. The kinds
//! are dealt from a deck on a random stream of their own, so the first `k` windows get the `k`
//! kinds once each, whatever the other choices of those windows drew (cuts, aims, kill modes
//! share the nemesis's stream). Hence the rule the README states: a run whose time limit is at
//! least `2 × kinds × interval` ([`covering_limit`]) sees every kind at least once.

use super::deck::Deck;
use super::FaultKind;
use crate::controller::seed;
use std::time::Duration;

/// One fault window: when it opens (from the start of the clients and faults) and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Its opening, from the start of the schedule; it lasts one interval or to the limit.
    pub at: Duration,
    /// The kind of fault it starts.
    pub kind: FaultKind,
}

/// The windows of a run with these `kinds`, `interval` and time `limit`, dealt from `seed`.
pub fn plan(kinds: &[FaultKind], interval: Duration, limit: Duration, seed: u64) -> Vec<Window> {
    let mut deck = Deck::new(kinds.to_vec());
    let mut rng = seed::stream(seed, "nemesis-kinds", 0);
    openings(interval, limit)
        .map_while(|at| deck.deal(&mut rng).map(|kind| Window { at, kind }))
        .collect()
}

/// When the windows open: `(2j + 1) × interval`, for every one before `limit`.
pub fn openings(interval: Duration, limit: Duration) -> impl Iterator<Item = Duration> {
    let step = interval.max(Duration::from_nanos(1));
    (0u32..).map(move |j| step * (2 * j + 1)).take_while(move |&at| at < limit)
}

/// The shortest time limit from which a run of `kinds` kinds sees every one of them.
pub fn covering_limit(kinds: usize, interval: Duration) -> Duration {
    interval * 2 * kinds as u32
}

/// When a run has fewer windows than kinds (some kind never runs): what to give instead.
pub fn shortfall(kinds: usize, windows: usize, interval: Duration) -> Option<String> {
    (windows < kinds).then(|| {
        format!(
            "{windows} fault window(s) for {kinds} kinds: a run sees every kind from --time-limit {} s on",
            covering_limit(kinds, interval).as_secs_f64()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every non-empty set of the first five kinds, then every longer prefix of them all, in
    /// `--nemesis` order (the schedule depends on how many kinds there are, not which: all
    /// 511 sets of nine would only repeat these counts, at 16 times the cost).
    fn kind_sets() -> Vec<Vec<FaultKind>> {
        let all = FaultKind::ALL;
        let small = (1u32..1 << 5)
            .map(|mask| (0..5).filter(|i| mask & (1 << i) != 0).map(|i| all[i]).collect());
        small.chain((6..=all.len()).map(|n| all[..n].to_vec())).collect()
    }

    const INTERVALS_MS: [u64; 4] = [1, 500, 5_000, 7_300];

    #[test]
    fn a_run_of_the_covering_limit_sees_every_kind_for_every_seed_and_kind_set() {
        for kinds in kind_sets() {
            for ms in INTERVALS_MS {
                let interval = Duration::from_millis(ms);
                let limit = covering_limit(kinds.len(), interval);
                for seed in 0..300 {
                    let windows = plan(&kinds, interval, limit, seed);
                    let missing: Vec<_> =
                        kinds.iter().filter(|k| !windows.iter().any(|w| w.kind == **k)).collect();
                    assert!(missing.is_empty(), "{kinds:?} {ms} ms seed {seed}: {missing:?}");
                }
            }
        }
    }

    #[test]
    fn every_window_of_a_covering_run_lasts_a_whole_interval_after_a_quiet_one() {
        for kinds in kind_sets() {
            let interval = Duration::from_secs(5);
            let limit = covering_limit(kinds.len(), interval);
            let windows = plan(&kinds, interval, limit, 11);
            for (j, w) in windows.iter().enumerate() {
                assert_eq!(w.at, interval * (2 * j as u32 + 1), "{kinds:?}");
                assert!(w.at + interval <= limit, "{kinds:?}: window {j} is cut short");
            }
        }
    }

    #[test]
    fn a_run_one_interval_short_of_the_covering_limit_misses_a_window() {
        for n in 1..=FaultKind::ALL.len() {
            let interval = Duration::from_secs(5);
            let short = covering_limit(n, interval) - interval;
            assert_eq!(openings(interval, short).count(), n - 1, "{n} kinds");
        }
    }

    #[test]
    fn the_default_faults_need_30_s_at_the_default_interval_and_20_s_has_two_windows() {
        let interval = Duration::from_secs(5);
        assert_eq!(covering_limit(3, interval), Duration::from_secs(30));
        let windows = openings(interval, Duration::from_secs(20)).count();
        assert_eq!(windows, 2);
        assert_eq!(
            shortfall(3, windows, interval).as_deref(),
            Some("2 fault window(s) for 3 kinds: a run sees every kind from --time-limit 30 s on")
        );
        assert_eq!(shortfall(3, 3, interval), None);
    }

    #[test]
    fn the_schedule_is_the_seed_s_and_later_windows_cycle_through_the_kinds_again() {
        let kinds = FaultKind::ALL.to_vec();
        let (interval, limit) = (Duration::from_secs(1), Duration::from_secs(72));
        let a = plan(&kinds, interval, limit, 5);
        assert_eq!(a, plan(&kinds, interval, limit, 5));
        assert_eq!(a.len(), 36);
        let mut all: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        all.sort();
        for cycle in a.chunks(kinds.len()) {
            let mut got: Vec<&str> = cycle.iter().map(|w| w.kind.name()).collect();
            got.sort();
            assert_eq!(got, all);
        }
        assert!(plan(&[], interval, limit, 5).is_empty());
    }
}
