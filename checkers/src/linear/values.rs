//! Interning of the values operations carry, so model states are small `Copy` ids.
//!
//! Neighbours: the models ([`super::register`], [`super::kv`]) own one [`Values`] each and
//! use [`payload`] and [`key_of`] to read a record's value the way HISTORY.md and the foreign
//! formats write it.
//!
//! Design: a value is identified by its canonical JSON text (`serde_json` writes object keys
//! sorted), so `3` and `"3"` are different values, as they are to the system under test.
//! In a JSON interner ([`Values::default`]) id 0 is `null` (nil), the register's initial value.

use super::cache::{fx, FxBuild};
use crate::{Fed, Record};
use serde_json::Value;
use std::collections::HashMap;

/// An interner of values: id 0 is `null`. Every text is kept once, end to end in one string;
/// the map goes from a text's hash to the newest id with that hash, and each id links to the
/// previous one with the same hash, so a value costs its text and a few words, not an
/// allocation of its own (a long history writes millions of distinct values).
#[derive(Debug, Clone)]
pub struct Values {
    ids: HashMap<u64, u32, FxBuild>,
    /// For each id, the previous id with the same hash (`NONE` for the first).
    same_hash: Vec<u32>,
    /// Every text, one after another; `ends[id]` is where the text of `id` ends.
    texts: String,
    ends: Vec<usize>,
}

/// No previous id with the same hash.
const NONE: u32 = u32::MAX;

impl Default for Values {
    /// An interner for JSON values: id 0 is `null`.
    fn default() -> Values {
        let mut v = Values::strings();
        v.intern("null".to_string());
        v
    }
}

impl Values {
    /// An empty interner of plain strings.
    pub fn strings() -> Values {
        Values {
            ids: HashMap::default(),
            same_hash: Vec::new(),
            texts: String::new(),
            ends: Vec::new(),
        }
    }

    /// The id of a JSON value.
    pub fn id(&mut self, value: &Value) -> u32 {
        self.intern(value.to_string())
    }

    /// The id of a text (the key-value model's strings, the value's JSON text otherwise).
    pub fn intern(&mut self, text: String) -> u32 {
        self.intern_str(&text)
    }

    /// [`Values::intern`] of a borrowed text (copied only when new).
    pub fn intern_str(&mut self, text: &str) -> u32 {
        let h = fx(&text);
        if let Some(id) = self.find(h, text) {
            return id;
        }
        let id = self.ends.len() as u32;
        self.texts.push_str(text);
        self.ends.push(self.texts.len());
        self.same_hash.push(self.ids.insert(h, id).unwrap_or(NONE));
        id
    }

    /// The id of a text, when it was interned.
    pub fn get(&self, text: &str) -> Option<u32> {
        self.find(fx(&text), text)
    }

    fn find(&self, h: u64, text: &str) -> Option<u32> {
        let mut id = *self.ids.get(&h)?;
        while id != NONE {
            if self.text(id) == text {
                return Some(id);
            }
            id = self.same_hash[id as usize];
        }
        None
    }

    /// The text of an id.
    pub fn text(&self, id: u32) -> &str {
        let start = match id {
            0 => 0,
            _ => self.ends[id as usize - 1],
        };
        &self.texts[start..self.ends[id as usize]]
    }

    /// The text of a JSON value's id as a person reads it: `nil` for null.
    pub fn show(&self, id: u32) -> &str {
        match self.text(id) {
            "null" => "nil",
            t => t,
        }
    }
}

/// The value a record carries: `value.value` when the value is an object with that field
/// (HISTORY.md's `{"value": V}`), else the whole value (Jepsen's bare values).
pub fn payload(record: &Record) -> &Value {
    match &record.value {
        Value::Object(map) => map.get("value").unwrap_or(&Value::Null),
        other => other,
    }
}

/// The key a record names in `value.key`, as text (strings without quotes).
pub fn key_of(record: &Fed<'_>) -> Option<String> {
    record.value().get("key").map(text_of)
}

/// A JSON value as a string of the key-value model: a string's contents, else its JSON text.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
