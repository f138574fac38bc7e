//! Hash-consed strings for the key-value model: every distinct string gets one `u32` id, and
//! an append makes a new id without copying the string.
//!
//! Neighbours: [`super::kv`] keeps one [`Strings`]; its states are ids.
//!
//! Design: a string is a leaf (a text from the history) or the concatenation of two ids, with
//! its length and a polynomial hash modulo 2^61−1, so the hash of a concatenation comes from
//! its parts in O(1). Ids are canonical: a new string is looked up by (hash, length) and, on a
//! match, compared character by character, so two ids are equal exactly when their strings are.
//! The search compares states by id; the texts are only built for the witness.

use super::cache::FxBuild;
use std::collections::HashMap;

const P: u64 = (1 << 61) - 1;
const BASE: u64 = 0x1f3d_5b79_a3c1_e5f7 % P;

#[derive(Debug, Clone, Copy)]
enum Shape {
    Leaf(u32),
    Concat(u32, u32),
}

#[derive(Debug, Clone, Copy)]
struct Node {
    hash: u64,
    len: u64,
    pow: u64,
    shape: Shape,
    /// The next id with the same (hash, length), or `u32::MAX`.
    same: u32,
}

/// A set of hash-consed strings.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    nodes: Vec<Node>,
    texts: Vec<String>,
    by_hash: HashMap<(u64, u64), u32, FxBuild>,
    appended: HashMap<(u32, u32), u32, FxBuild>,
    /// Prefix hashes of leaf texts (by text), made on demand for [`Strings::is_prefix`].
    prefixes: HashMap<u32, Vec<u64>, FxBuild>,
    /// How many prefix hashes are kept in all; bounded by [`PREFIX_BUDGET`].
    prefix_count: usize,
}

/// The most prefix hashes kept (8 bytes each): beyond it, [`Strings::is_prefix`] answers
/// "maybe" for texts it has not hashed, which only costs pruning, never a verdict.
const PREFIX_BUDGET: usize = 1 << 24;

fn powmod(mut e: u64) -> u64 {
    let (mut base, mut acc) = (BASE, 1);
    while e > 0 {
        if e & 1 == 1 {
            acc = mulmod(acc, base);
        }
        base = mulmod(base, base);
        e >>= 1;
    }
    acc
}

fn mulmod(a: u64, b: u64) -> u64 {
    let x = a as u128 * b as u128;
    let r = ((x >> 61) as u64) + ((x as u64) & P);
    if r >= P {
        r - P
    } else {
        r
    }
}

fn addmod(a: u64, b: u64) -> u64 {
    let r = a + b;
    if r >= P {
        r - P
    } else {
        r
    }
}

impl Strings {
    /// The id of a text.
    pub fn id(&mut self, text: &str) -> u32 {
        let (mut hash, mut pow) = (0, 1);
        for &b in text.as_bytes() {
            hash = addmod(mulmod(hash, BASE), b as u64 + 1);
            pow = mulmod(pow, BASE);
        }
        let node = Node {
            hash,
            len: text.len() as u64,
            pow,
            shape: Shape::Leaf(self.texts.len() as u32),
            same: u32::MAX,
        };
        if let Some(id) = self.find(&node, text.as_bytes()) {
            return id;
        }
        self.texts.push(text.to_string());
        self.add(node)
    }

    /// The id of `a` followed by `b`.
    pub fn concat(&mut self, a: u32, b: u32) -> u32 {
        if let Some(&id) = self.appended.get(&(a, b)) {
            return id;
        }
        let (x, y) = (self.nodes[a as usize], self.nodes[b as usize]);
        let node = Node {
            hash: addmod(mulmod(x.hash, y.pow), y.hash),
            len: x.len + y.len,
            pow: mulmod(x.pow, y.pow),
            shape: Shape::Concat(a, b),
            same: u32::MAX,
        };
        let id = match self.by_hash.contains_key(&(node.hash, node.len)) {
            true => {
                let text = [self.bytes(a), self.bytes(b)].concat();
                self.find(&node, &text)
            }
            false => None,
        };
        let id = id.unwrap_or_else(|| self.add(node));
        self.appended.insert((a, b), id);
        id
    }

    /// Whether `a` may be a prefix of `b`: false only when it certainly is not (equal hashes
    /// of `a` and of `b`'s prefix are taken as a yes; so is a prefix too long to hash within
    /// the budget). The key-value search prunes on a false, so a wrong "maybe" costs time only.
    pub fn is_prefix(&mut self, a: u32, b: u32) -> bool {
        let (x, y) = (self.nodes[a as usize], self.nodes[b as usize]);
        match x.len.cmp(&y.len) {
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => a == b,
            std::cmp::Ordering::Less => self.prefix_hash(b, x.len).is_none_or(|h| h == x.hash),
        }
    }

    /// The hash of the first `k` bytes of `id`, walking down its concatenations.
    fn prefix_hash(&mut self, mut id: u32, mut k: u64) -> Option<u64> {
        let mut acc = 0;
        loop {
            let node = self.nodes[id as usize];
            let rest = if k == node.len {
                node.hash
            } else {
                match node.shape {
                    Shape::Leaf(t) => self.leaf_prefix(t, k as usize)?,
                    Shape::Concat(l, r) => {
                        let left = self.nodes[l as usize];
                        if k <= left.len {
                            id = l;
                        } else {
                            acc = addmod(mulmod(acc, left.pow), left.hash);
                            (id, k) = (r, k - left.len);
                        }
                        continue;
                    }
                }
            };
            return Some(addmod(mulmod(acc, powmod(k)), rest));
        }
    }

    /// The hash of the first `k` bytes of leaf text `t`, from its prefix hashes (made on first
    /// use, within the budget).
    fn leaf_prefix(&mut self, t: u32, k: usize) -> Option<u64> {
        if !self.prefixes.contains_key(&t) {
            let text = self.texts[t as usize].as_bytes();
            if self.prefix_count + text.len() > PREFIX_BUDGET {
                return None;
            }
            let mut hashes = Vec::with_capacity(text.len() + 1);
            hashes.push(0);
            for &b in text {
                let last = *hashes.last().unwrap_or(&0);
                hashes.push(addmod(mulmod(last, BASE), b as u64 + 1));
            }
            self.prefix_count += hashes.len();
            self.prefixes.insert(t, hashes);
        }
        self.prefixes.get(&t).and_then(|h| h.get(k).copied())
    }

    /// The text of an id.
    pub fn text(&self, id: u32) -> String {
        String::from_utf8_lossy(&self.bytes(id)).into_owned()
    }

    fn bytes(&self, id: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.nodes[id as usize].len as usize);
        let mut todo = vec![id];
        while let Some(k) = todo.pop() {
            match self.nodes[k as usize].shape {
                Shape::Leaf(t) => out.extend_from_slice(self.texts[t as usize].as_bytes()),
                Shape::Concat(a, b) => todo.extend([b, a]),
            }
        }
        out
    }

    fn find(&self, node: &Node, text: &[u8]) -> Option<u32> {
        let mut id = *self.by_hash.get(&(node.hash, node.len))?;
        while id != u32::MAX {
            if self.bytes(id) == text {
                return Some(id);
            }
            id = self.nodes[id as usize].same;
        }
        None
    }

    fn add(&mut self, mut node: Node) -> u32 {
        let id = self.nodes.len() as u32;
        if let Some(first) = self.by_hash.insert((node.hash, node.len), id) {
            node.same = first;
        }
        self.nodes.push(node);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_prefix_agrees_with_the_texts_for_leaves_and_concatenations_alike() {
        let mut s = Strings::default();
        let mut ids: Vec<u32> =
            ["", "a", "ab", "abc", "b", "ba", "abcab", "x"].iter().map(|t| s.id(t)).collect();
        let (a, b, c) = (s.id("a"), s.id("b"), s.id("c"));
        let ab = s.concat(a, b);
        let abc = s.concat(ab, c);
        let abca = s.concat(abc, a);
        let abcab = s.concat(abca, b);
        let x = s.id("x");
        let xa = s.concat(x, a);
        let xab = s.concat(xa, b);
        let xabx = s.concat(xab, x);
        ids.extend([ab, abc, abca, abcab, s.concat(b, a), xa, xab, xabx, s.concat(xa, xab)]);
        for &x in &ids {
            for &y in &ids {
                let want = s.text(y).starts_with(&s.text(x));
                assert_eq!(s.is_prefix(x, y), want, "{:?} prefix of {:?}", s.text(x), s.text(y));
            }
        }
    }
}
