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
