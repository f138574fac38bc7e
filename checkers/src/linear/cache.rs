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

/// `n` random words for Zobrist hashing, from a fixed seed (SplitMix64), so runs repeat.
pub(crate) fn zobrist(n: usize) -> Vec<u64> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        })
        .collect()
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
    slots: Vec<u64>,
    shift: u32,
    hashes: Vec<u64>,
    states: Vec<S>,
    bits: Vec<u64>,
    /// Sets of more than [`RAW_WORDS`] words are stored run-length encoded: entry `e`'s code
    /// is `bits[starts[e]..starts[e + 1]]`.
    starts: Vec<usize>,
    scratch: Vec<u64>,
}

/// The widest set stored word for word (1024 operations); wider ones are encoded, since a
/// set is mostly a run of ones (the operations long done) and a run of zeros (those to come),
/// and storing them whole would take memory quadratic in the length of the history.
const RAW_WORDS: usize = 16;

/// Writes the canonical run-length code of `set` ∪ {bit `add`} into `out`: maximal runs of
/// all-zero or all-one words as one header each (bit 62 set, bit 63 the run's bit, the low
/// bits its length), other words as a header (bit 62 clear, the count) and the words.
fn encode(set: &[u64], add: usize, out: &mut Vec<u64>) {
    out.clear();
    let (aw, ab) = (add / 64, 1u64 << (add % 64));
    let word = |i: usize| if i == aw { set[i] | ab } else { set[i] };
    let special = |w: u64| w == 0 || w == !0;
    let mut i = 0;
    while i < set.len() {
        let w = word(i);
        let mut j = i + 1;
        if special(w) {
            while j < set.len() && word(j) == w {
                j += 1;
            }
            out.push(((w & 1) << 63) | (1 << 62) | (j - i) as u64);
        } else {
            while j < set.len() && !special(word(j)) {
                j += 1;
            }
            out.push((j - i) as u64);
            out.extend((i..j).map(word));
        }
        i = j;
    }
}

impl<S: Copy + Eq> Cache<S> {
    /// An empty cache for sets of `n` operations.
    pub(crate) fn new(n: usize) -> Cache<S> {
        let words = n.div_ceil(64).max(1);
        Cache {
            words,
            slots: vec![0; 1024],
            shift: 64 - 10,
            hashes: vec![],
            states: vec![],
            bits: vec![],
            starts: vec![0],
            scratch: vec![],
        }
    }

    /// Records (`set` ∪ {`add`}, `state`) with hash `h`; false when it was already there.
    #[inline]
    pub(crate) fn insert(&mut self, h: u64, state: S, set: &[u64], add: usize) -> bool {
        let encoded = self.words > RAW_WORDS;
        if encoded {
            encode(set, add, &mut self.scratch);
        }
        let tag = h << 32;
        let mask = self.slots.len() - 1;
        let mut i = (h >> self.shift) as usize;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            if slot & 0xffff_ffff_0000_0000 == tag {
                let e = (slot as u32 - 1) as usize;
                let same = match encoded {
                    true => self.bits[self.starts[e]..self.starts[e + 1]] == self.scratch[..],
                    false => self.same_set(e, set, add),
                };
                if self.states[e] == state && same {
                    return false;
                }
            }
            i = (i + 1) & mask;
        }
        let e = self.states.len();
        self.slots[i] = tag | (e as u64 + 1);
        self.hashes.push(h);
        self.states.push(state);
        if encoded {
            self.bits.extend_from_slice(&self.scratch);
            self.starts.push(self.bits.len());
        } else {
            self.bits.extend_from_slice(set);
            self.bits[e * self.words + add / 64] |= 1 << (add % 64);
        }
        if self.states.len() * 2 > self.slots.len() {
            self.grow();
        }
        true
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
        self.slots = vec![0; size];
        for (e, &h) in self.hashes.iter().enumerate() {
            let mut i = (h >> self.shift) as usize;
            while self.slots[i] != 0 {
                i = (i + 1) & (size - 1);
            }
            self.slots[i] = (h << 32) | (e as u64 + 1);
        }
    }
}
