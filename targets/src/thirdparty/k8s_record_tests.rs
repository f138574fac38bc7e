//! client-go's rules, table by table, on an in-memory lock and hand-moved clocks.

use super::*;
use std::sync::{Arc, Mutex};

const LEASE: Duration = Duration::from_millis(1500);

/// A clock the test moves by hand; `rate` scales how far it moves per real step.
#[derive(Clone)]
struct Hand(Arc<Mutex<SystemTime>>);

impl Hand {
    fn new() -> Hand {
        Hand(Arc::new(Mutex::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000))))
    }
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
    fn candidate(&self, id: &str) -> LeaderElector {
        let c = self.0.clone();
        LeaderElector::new(id, LEASE, Box::new(move || *c.lock().unwrap()))
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn the_first_candidate_creates_the_record_and_leads_with_no_transitions() {
    let hand = Hand::new();
    let mut a = hand.candidate("a");
    let mut lock = MemoryLock::default();
    assert!(a.try_acquire_or_renew(&mut lock));
    assert!(a.is_leader());
    assert_eq!(a.transitions(), Some(0));
}

#[test]
fn a_candidate_waits_as_long_as_it_sees_the_record_change() {
    let hand = Hand::new();
    let (mut a, mut b) = (hand.candidate("a"), hand.candidate("b"));
    let mut la = MemoryLock::default();
    let mut lb = la.share();
    assert!(a.try_acquire_or_renew(&mut la));
    for _ in 0..20 {
        hand.advance(ms(1000)); // longer than the retry period, shorter than the lease
        assert!(a.try_acquire_or_renew(&mut la), "the holder renews");
        assert!(!b.try_acquire_or_renew(&mut lb), "the record changed: b must wait");
    }
}

#[test]
fn a_candidate_takes_over_once_the_lease_passes_unchanged_on_its_own_clock() {
    let hand = Hand::new();
    let (mut a, mut b) = (hand.candidate("a"), hand.candidate("b"));
    let mut la = MemoryLock::default();
    let mut lb = la.share();
    assert!(a.try_acquire_or_renew(&mut la));
    // (time since b first saw the record, whether b may take it)
    let table = [(0, false), (1000, false), (1499, false), (1500, true)];
    let mut elapsed = 0;
    for (at, takes) in table {
        hand.advance(ms(at - elapsed));
        elapsed = at;
        assert_eq!(b.try_acquire_or_renew(&mut lb), takes, "at {at} ms");
    }
    assert_eq!(b.transitions(), Some(1), "a change of holder counts one transition");
}

#[test]
fn a_fast_clock_takes_over_while_the_holder_is_inside_its_renew_deadline() {
    // Two clocks: b's runs twice as fast as a's. a last renewed at real 0 and keeps believing
    // it leads until its renew deadline (1 s, real). b takes over at real 0.75 s.
    let (real, fast) = (Hand::new(), Hand::new());
    let mut a = real.candidate("a");
    let mut b = fast.candidate("b");
    let mut la = MemoryLock::default();
    let mut lb = la.share();
    assert!(a.try_acquire_or_renew(&mut la));
    assert!(!b.try_acquire_or_renew(&mut lb));
    let step = ms(250);
    let mut real_elapsed = Duration::ZERO;
    while !b.try_acquire_or_renew(&mut lb) {
        real.advance(step);
        fast.advance(step * 2);
        real_elapsed += step;
    }
    assert_eq!(real_elapsed, ms(750));
    assert!(real_elapsed < Duration::from_secs(1), "inside the holder's renew deadline");
    assert!(a.is_leader(), "a has not noticed: its view changes only when it next renews");
}

#[test]
fn of_two_candidates_racing_for_an_expired_lease_only_one_wins() {
    let hand = Hand::new();
    let (mut a, mut b, mut c) = (hand.candidate("a"), hand.candidate("b"), hand.candidate("c"));
    let mut la = MemoryLock::default();
    let (mut lb, mut lc) = (la.share(), la.share());
    assert!(a.try_acquire_or_renew(&mut la));
    assert!(!b.try_acquire_or_renew(&mut lb));
    assert!(!c.try_acquire_or_renew(&mut lc));
    hand.advance(LEASE);
    // Both read the same record; b writes first, so c's update conflicts.
    let (rec, _) = lc.get().unwrap().unwrap();
    assert!(b.try_acquire_or_renew(&mut lb));
    let mut stale = rec.clone();
    stale.holder_identity = "c".into();
    assert!(lc.update(&stale).is_err(), "an update after another write must conflict");
}

#[test]
fn release_empties_the_holder_and_the_next_holder_counts_a_transition() {
    let hand = Hand::new();
    let (mut a, mut b) = (hand.candidate("a"), hand.candidate("b"));
    let mut la = MemoryLock::default();
    let mut lb = la.share();
    assert!(a.try_acquire_or_renew(&mut la));
    assert!(a.release(&mut la));
    assert!(!a.is_leader());
    assert!(b.try_acquire_or_renew(&mut lb), "an empty holder is free at once");
    assert_eq!(b.transitions(), Some(1));
}

#[test]
fn times_print_as_kubernetes_micro_time() {
    let table = [
        (0, 0, "1970-01-01T00:00:00.000000Z"),
        (951_782_400, 0, "2000-02-29T00:00:00.000000Z"),
        (1_700_000_000, 123_456, "2023-11-14T22:13:20.123456Z"),
    ];
    for (secs, micros, want) in table {
        let t = UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros);
        assert_eq!(rfc3339_micros(t), want);
    }
}
