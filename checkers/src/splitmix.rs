//! SplitMix64: the small deterministic generator behind the synthetic histories, the
//! benchmarks' schedules, the tests' proptest-seeded choices and the harness's seed streams.
//!
//! Neighbours: [`crate::linear::synth`] and the harness's `synth` write histories with it; the
//! harness's `controller::seed` mixes names into seeds with [`mix`].
//!
//! Design: one copy. Its outputs are part of what a seed means (a synthetic history of seed 7
//! is the same file on every build), so the constants live in one place only.

/// The golden-ratio increment of each step.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's finaliser of `z + GAMMA`: a well-mixed 64-bit word of `z`.
pub fn mix(z: u64) -> u64 {
    let mut z = z.wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The generator: its state is the seed, stepped by [`GAMMA`].
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let z = mix(self.0);
        self.0 = self.0.wrapping_add(GAMMA);
        z
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference outputs of SplitMix64 from seed 1234567 (Vigna's splitmix64.c).
    #[test]
    fn the_outputs_are_splitmix64_s() {
        let mut g = SplitMix64(1234567);
        let first: Vec<u64> = (0..3).map(|_| g.next_u64()).collect();
        assert_eq!(first, [6457827717110365317, 3203168211198807973, 9817491932198370423]);
    }
}
