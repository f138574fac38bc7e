//! One seed feeds every random choice of a run: the clients' choices of operation, the fault
//! schedule, and each node's own `--seed`. Each consumer gets its own stream derived from the
//! seed and a name, so adding a consumer never shifts the choices of another.
//!
//! Neighbours: [`super::clients`] and [`super::nemesis`] take their generators from here;
//! [`super::options`] draws a fresh seed when the user gave none.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use splitbrain_checkers::splitmix::mix as splitmix;

/// The generator of stream `name`, number `i`, of a run with `seed`.
pub fn stream(seed: u64, name: &str, i: u64) -> ChaCha8Rng {
    let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
    for b in name.bytes().chain(i.to_le_bytes()) {
        h = splitmix(h ^ u64::from(b));
    }
    ChaCha8Rng::seed_from_u64(h)
}

/// A seed for a run the user gave none for: the clock and the process id, mixed.
pub fn fresh() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    // Small enough to type back in from the summary.
    splitmix(now ^ u64::from(std::process::id()).rotate_left(32)) % 1_000_000_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct_by_name_and_number() {
        let draw = |name, i| stream(7, name, i).gen::<u64>();
        assert_eq!(draw("clients", 0), draw("clients", 0));
        assert_ne!(draw("clients", 0), draw("clients", 1));
        assert_ne!(draw("clients", 0), draw("nemesis", 0));
    }
}
