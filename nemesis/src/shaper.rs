//! What a faulted link does to each frame: when it leaves (delay and jitter, a bandwidth cap),
//! whether it jumps the queue (reordering) and whether it leaves twice (duplication). Pure:
//! time comes in as an argument, randomness from the link's own seeded stream.
//!
//! Neighbours: `switch.rs` asks a [`Shaper`] per directed link for every frame it carries;
//! `link.rs` makes the [`Shaping`] from a fault.
//!
//! Design (netem's model): each frame's delay is drawn on its own, so with jitter a later
//! frame may overtake an earlier one, as under netem (a FIFO link with jitter would instead
//! push every frame towards the largest recent delay at high packet rates). A reordering link
//! sends a share of its frames at once, ahead of the delayed rest (netem's `reorder P`). A
//! capped link serialises frames at its rate, in order, and drops what would wait more than
//! [`BACKLOG`] (netem's queue limit).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

/// The longest a frame waits behind others on a capped link before it is dropped instead.
pub const BACKLOG: Duration = Duration::from_secs(1);

/// How a delay's jitter is spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spread {
    /// Uniform within ± jitter.
    Uniform,
    /// Normal, with jitter as its standard deviation (netem's `distribution normal`).
    Normal,
}

/// What one faulted link does; every part is optional (zero is "not this").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shaping {
    /// Added to every frame (the mean).
    pub delay: Duration,
    /// How far a frame's delay strays from the mean.
    pub jitter: Duration,
    /// How it strays.
    pub spread: Spread,
    /// Share of frames sent at once, ahead of delayed ones (0 to 1).
    pub reorder: f64,
    /// Share of frames sent twice (0 to 1).
    pub duplicate: f64,
    /// A bandwidth cap in bits per second (0: none).
    pub rate: u64,
}

impl Shaping {
    /// A link that does nothing to its frames (the base the faults add to).
    pub const NONE: Shaping = Shaping {
        delay: Duration::ZERO,
        jitter: Duration::ZERO,
        spread: Spread::Normal,
        reorder: 0.0,
        duplicate: 0.0,
        rate: 0,
    };
}

/// One directed link's state: its shaping, its random stream, its queue's tail.
pub struct Shaper {
    shaping: Shaping,
    rng: ChaCha8Rng,
    /// When the last frame on a capped link leaves (the next one's turn starts there).
    tail: Option<Instant>,
}

impl Shaper {
    /// A link shaped by `shaping`, its choices drawn from `rng`.
    pub fn new(shaping: Shaping, rng: ChaCha8Rng) -> Shaper {
        Shaper { shaping, rng, tail: None }
    }

    /// When the copies of a frame of `len` bytes that arrived at `now` leave: none (dropped
    /// at a full cap), one, or two (duplicated).
    pub fn schedule(&mut self, now: Instant, len: usize) -> Vec<Instant> {
        let s = self.shaping;
        if s.reorder > 0.0 && self.rng.gen_bool(s.reorder) {
            return self.copies(now);
        }
        let mut due = now + self.delay();
        if let Some(ns) = (len as u64 * 8 * 1_000_000_000).checked_div(s.rate) {
            due = due.max(self.tail.unwrap_or(due)) + Duration::from_nanos(ns);
            if due.saturating_duration_since(now) > s.delay + s.jitter * 3 + BACKLOG {
                return Vec::new();
            }
            self.tail = Some(due);
        }
        self.copies(due)
    }

    fn copies(&mut self, due: Instant) -> Vec<Instant> {
        let d = self.shaping.duplicate;
        match d > 0.0 && self.rng.gen_bool(d) {
            true => vec![due, due],
            false => vec![due],
        }
    }

    /// One frame's delay: the mean plus its jitter, never below zero.
    fn delay(&mut self) -> Duration {
        let s = self.shaping;
        if s.jitter.is_zero() {
            return s.delay;
        }
        let unit = match s.spread {
            Spread::Uniform => self.rng.gen_range(-1.0..=1.0),
            Spread::Normal => self.standard_normal(),
        };
        let ns = s.delay.as_nanos() as f64 + unit * s.jitter.as_nanos() as f64;
        Duration::from_nanos(ns.max(0.0) as u64)
    }

    /// Box–Muller: one standard normal draw from two uniform ones.
    fn standard_normal(&mut self) -> f64 {
        let u1: f64 = 1.0 - self.rng.gen::<f64>();
        let u2: f64 = self.rng.gen();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn shaper(s: Shaping) -> Shaper {
        Shaper::new(s, ChaCha8Rng::seed_from_u64(1))
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_delayed_link_adds_its_delay_at_the_median_and_spreads_it_by_its_jitter() {
        let mut s = shaper(Shaping { delay: ms(100), jitter: ms(30), ..Shaping::NONE });
        let t0 = Instant::now();
        let dues: Vec<Instant> =
            (0..1000).map(|i| s.schedule(t0 + Duration::from_micros(i * 100), 100)[0]).collect();
        let mut lat: Vec<f64> = dues
            .iter()
            .enumerate()
            .map(|(i, d)| (*d - (t0 + Duration::from_micros(i as u64 * 100))).as_secs_f64())
            .collect();
        lat.sort_by(f64::total_cmp);
        let median = lat[lat.len() / 2];
        assert!((0.097..0.103).contains(&median), "median delay {median}");
        let (p16, p84) = (lat[160], lat[840]);
        assert!((0.065..0.075).contains(&p16) && (0.125..0.135).contains(&p84), "{p16} {p84}");
    }

    #[test]
    fn the_same_seed_gives_the_same_delays() {
        let s = Shaping { delay: ms(50), jitter: ms(10), spread: Spread::Uniform, ..Shaping::NONE };
        let t0 = Instant::now();
        let run = || {
            let mut sh = shaper(s);
            (0..50).map(|i| sh.schedule(t0 + ms(i * 100), 10)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn a_reordering_link_sends_its_share_at_once_ahead_of_the_delayed_frames() {
        let mut s = shaper(Shaping { delay: ms(40), reorder: 0.25, ..Shaping::NONE });
        let t0 = Instant::now();
        let at_once = (0..4000).filter(|_| s.schedule(t0, 10)[0] == t0).count();
        assert!((800..1200).contains(&at_once), "{at_once} of 4000 sent at once");
    }

    #[test]
    fn a_duplicating_link_sends_its_share_twice() {
        let mut s = shaper(Shaping { duplicate: 0.1, ..Shaping::NONE });
        let t0 = Instant::now();
        let twice = (0..5000).filter(|_| s.schedule(t0, 10).len() == 2).count();
        assert!((400..600).contains(&twice), "{twice} of 5000 sent twice");
    }

    #[test]
    fn a_capped_link_spaces_frames_at_its_rate_and_drops_what_would_wait_too_long() {
        let mut s = shaper(Shaping { rate: 1_000_000, ..Shaping::NONE });
        let t0 = Instant::now();
        let first = s.schedule(t0, 1250)[0];
        let second = s.schedule(t0, 1250)[0];
        assert_eq!(second - first, ms(10), "1250 bytes at 1 Mbit/s take 10 ms");
        let kept = (0..200).filter(|_| !s.schedule(t0, 1250).is_empty()).count();
        assert!((95..=100).contains(&kept), "{kept} frames kept of a 1 s backlog");
    }
}
