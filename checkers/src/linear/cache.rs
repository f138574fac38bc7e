//! The search's memory of configurations already explored: pairs of (set of linearized
//! operations, model state), as in Lowe's improvement of Wing & Gong's algorithm.
//!
//! Neighbours: [`super::search`] asks `Cache::insert` before it linearizes an operation.
//!
//! Design, for speed: the set is a fixed-width bitset stored in one arena (`words` u64s per
//! entry), the table is open addressing over `u64` slots that hold a 32-bit tag of the hash
//! beside the entry number, so a miss rarely touches an entry. The set's hash is Zobrist's: the
//! XOR of one random word per operation in the set, kept up to date by the search with one XOR
//! per linearize or undo, so hashing never walks the bitset. The state's hash is FxHash's.
//! Sets wider than 1024 operations are stored run-length encoded (see `RAW_WORDS`).

use std::hash::{Hash, Hasher};

/// FxHash (rustc's hasher): one multiply per word, good enough for small states.
#[derive(Default)]
pub struct FxHasher(u64);

const FX: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.write_u64(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.write_u64(u64::from_le_bytes(tail) ^ bytes.len() as u64);
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(FX);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` builder that uses [`FxHasher`].
pub type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

/// The FxHash of a value.
pub(crate) fn fx<T: Hash>(t: &T) -> u64 {
    let mut h = FxHasher::default();
    t.hash(&mut h);
    h.finish()
}

/// Operation `id`'s random word for Zobrist hashing: the `id + 1`-th output of SplitMix64 from
/// a fixed seed, so runs repeat. Computed when needed (a few multiplications) rather than kept:
/// a table would be 8 bytes per operation for the whole search.
#[inline]
pub(crate) fn zobrist(id: usize) -> u64 {
    let mut z = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(id as u64 + 2);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hash of a configuration from its set's Zobrist hash and its state's hash.
#[inline]
pub(crate) fn mix(set: u64, state: u64) -> u64 {
    let x = set ^ state.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (x ^ (x >> 32)).wrapping_mul(0xd6e8_feb8_6659_fd93)
}

/// The set of configurations seen.
pub(crate) struct Cache<S> {
    words: usize,
    /// Each used slot holds an entry's hash's high 32 bits (over the bits that pick its slot,
    /// so growing the table needs no other copy of the hashes) and its number plus one.
    slots: Vec<u64>,
    shift: u32,
    states: Vec<S>,
    bits: Vec<u64>,
    /// Sets of more than [`RAW_WORDS`] words are stored run-length encoded: entry `e`'s code
    /// is `bits[starts[e]..starts[e + 1]]` (`u32`: a code is a few words, and four billion
    /// words of codes would be far beyond any memory this runs in).
    starts: Vec<u32>,
    scratch: Vec<u64>,
}

/// The high half of a slot: the tag.
const TAG: u64 = 0xffff_ffff_0000_0000;

/// The widest set stored word for word (1024 operations); wider ones are encoded, since a
/// set is mostly a run of ones (the operations long done) and a run of zeros (those to come),
/// and storing them whole would take memory quadratic in the length of the history.
const RAW_WORDS: usize = 16;

/// A set of operations as a bitset that knows its shape: the words before `full` are all ones
/// and those from `used` on all zeros (a search's set is mostly a run of ones, the operations
/// long done, and a run of zeros, those to come), so encoding it looks only at the words
/// between.
pub(crate) struct BitSet {
    pub(crate) words: Vec<u64>,
    full: usize,
    used: usize,
}

impl BitSet {
    /// The empty set of `n` operations.
    pub(crate) fn new(n: usize) -> BitSet {
        BitSet { words: vec![0; n.div_ceil(64).max(1)], full: 0, used: 0 }
    }

    #[inline]
    pub(crate) fn has(&self, bit: u32) -> bool {
        self.words[bit as usize / 64] & (1 << (bit % 64)) != 0
    }

    /// Adds or removes `bit`, keeping `full` and `used` exact.
    #[inline]
    pub(crate) fn flip(&mut self, bit: u32) {
        let w = bit as usize / 64;
        self.words[w] ^= 1 << (bit % 64);
        let x = self.words[w];
        if x != !0 && w < self.full {
            self.full = w;
        }
        while self.full < self.words.len() && self.words[self.full] == !0 {
            self.full += 1;
        }
        if x != 0 && w >= self.used {
            self.used = w + 1;
        }
        while self.used > 0 && self.words[self.used - 1] == 0 {
            self.used -= 1;
        }
    }
}

/// Writes the canonical run-length code of `set` ∪ {bit `add`} into `out`: maximal runs of
/// all-zero or all-one words as one header each (bit 62 set, bit 63 the run's bit, the low
/// bits its length), other words as a header (bit 62 clear, the count) and the words, but for
/// a last run of zeros. Only the words between the set's leading ones and trailing zeros are
/// read.
fn encode(set: &BitSet, add: usize, out: &mut Vec<u64>) {
    out.clear();
    let words = &set.words;
    let (aw, ab) = (add / 64, 1u64 << (add % 64));
    let word = |i: usize| if i == aw { words[i] | ab } else { words[i] };
    let special = |w: u64| w == 0 || w == !0;
    let run = |bit: u64, len: usize| (bit << 63) | (1 << 62) | len as u64;
    let mut i = set.full.min(aw);
    while i < words.len() && word(i) == !0 {
        i += 1;
    }
    if i > 0 {
        out.push(run(1, i));
    }
    let end = set.used.max(aw + 1).max(i);
    while i < end {
        let w = word(i);
        let mut j = i + 1;
        if special(w) {
            while j < end && word(j) == w {
                j += 1;
            }
            if w == 0 && j == end {
                break; // joins the trailing zeros
            }
            out.push(run(w & 1, j - i));
        } else {
            while j < end && !special(word(j)) {
                j += 1;
            }
            out.push((j - i) as u64);
            out.extend((i..j).map(word));
        }
        i = j;
    }
    // The trailing zeros go unwritten: every set of a cache has the same length, so the code
    // before them says how many there are (8 bytes less per configuration).
}

impl<S: Copy + Eq> Cache<S> {
    /// An empty cache for sets of `n` operations.
    pub(crate) fn new(n: usize) -> Cache<S> {
        let words = n.div_ceil(64).max(1);
        Cache {
            words,
            slots: vec![0; 1024],
            shift: 64 - 10,
            states: vec![],
            bits: vec![],
            starts: vec![0],
            scratch: vec![],
        }
    }

    /// Records (`set` ∪ {`add`}, `state`) with hash `h`; false when it was already there.
    #[inline]
    pub(crate) fn insert(&mut self, h: u64, state: S, set: &BitSet, add: usize) -> bool {
        let encoded = self.words > RAW_WORDS;
        if encoded {
            encode(set, add, &mut self.scratch);
        }
        let tag = h & TAG;
        let mask = self.slots.len() - 1;
        let mut i = (h >> self.shift) as usize;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            if slot & TAG == tag {
                let e = (slot as u32 - 1) as usize;
                let same = match encoded {
                    true => self.code(e) == &self.scratch[..],
                    false => self.same_set(e, &set.words, add),
                };
                if self.states[e] == state && same {
                    return false;
                }
            }
            i = (i + 1) & mask;
        }
        let e = self.states.len();
        self.slots[i] = tag | (e as u64 + 1);
        self.states.push(state);
        if encoded {
            self.bits.extend_from_slice(&self.scratch);
            self.starts.push(u32::try_from(self.bits.len()).expect("cache codes past 2^32 words"));
        } else {
            self.bits.extend_from_slice(&set.words);
            self.bits[e * self.words + add / 64] |= 1 << (add % 64);
        }
        if self.states.len() * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    fn code(&self, e: usize) -> &[u64] {
        &self.bits[self.starts[e] as usize..self.starts[e + 1] as usize]
    }

    fn same_set(&self, e: usize, set: &[u64], add: usize) -> bool {
        let stored = &self.bits[e * self.words..(e + 1) * self.words];
        let (aw, ab) = (add / 64, 1u64 << (add % 64));
        stored
            .iter()
            .zip(set)
            .enumerate()
            .all(|(w, (&s, &c))| s == if w == aw { c | ab } else { c })
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        self.shift -= 1;
        // The slot's index comes from the tag's bits: the table has at most 2^32 slots.
        assert!(self.shift >= 32, "the cache outgrew 2^32 slots");
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        for slot in old.into_iter().filter(|&s| s != 0) {
            let mut i = (slot >> self.shift) as usize;
            while self.slots[i] != 0 {
                i = (i + 1) & (size - 1);
            }
            self.slots[i] = slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code of `set` ∪ {`add`}, reading every word (what `encode` must equal).
    fn reference(set: &[u64], add: usize) -> Vec<u64> {
        let mut all = set.to_vec();
        all[add / 64] |= 1 << (add % 64);
        let mut out = Vec::new();
        let special = |w: u64| w == 0 || w == !0;
        let mut i = 0;
        while i < all.len() {
            let mut j = i + 1;
            if special(all[i]) {
                while j < all.len() && all[j] == all[i] {
                    j += 1;
                }
                if all[i] == 0 && j == all.len() {
                    break; // the trailing zeros are implied
                }
                out.push(((all[i] & 1) << 63) | (1 << 62) | (j - i) as u64);
            } else {
                while j < all.len() && !special(all[j]) {
                    j += 1;
                }
                out.push((j - i) as u64);
                out.extend_from_slice(&all[i..j]);
            }
            i = j;
        }
        out
    }

    #[test]
    fn the_shape_aware_code_equals_the_code_of_every_word() {
        let n = 64 * 24;
        let mut set = BitSet::new(n);
        let mut plain = vec![0u64; n / 64];
        let (mut x, mut out, mut leading_ones) = (0x2545_f491_4f6c_dd1d_u64, Vec::new(), 0);
        for step in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mostly near a moving frontier, as a search's sets are; sometimes anywhere.
            let front = (step as usize / 100) % n;
            let fill = (1..=15).contains(&(x % 32));
            let bit = match x % 32 {
                0 => (x >> 8) as usize % n,
                _ if fill => (x >> 8) as usize % (front + 1), // fills in behind the frontier
                _ => (front + (x >> 8) as usize % 130).saturating_sub(65).min(n - 1),
            };
            if !fill || !set.has(bit as u32) {
                set.flip(bit as u32);
                plain[bit / 64] ^= 1 << (bit % 64);
            }
            let add = (x >> 32) as usize % n;
            encode(&set, add, &mut out);
            assert_eq!(out, reference(&plain, add), "step {step}");
            leading_ones += (out[0] >> 62 == 3 && out[0] & 0xffff > 2) as usize;
        }
        assert!(leading_ones > 1_000, "the sets rarely had a run of ones first: {leading_ones}");
    }
}
