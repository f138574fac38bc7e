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
use crate::Record;
use serde_json::Value;
use std::collections::HashMap;

/// An interner of values: id 0 is `null`. Texts are stored once; the map goes from a text's
/// hash to the ids of the texts with that hash.
#[derive(Debug, Clone)]
pub struct Values {
    ids: HashMap<u64, Vec<u32>, FxBuild>,
    texts: Vec<String>,
}

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
        Values { ids: HashMap::default(), texts: Vec::new() }
    }

    /// The id of a JSON value.
    pub fn id(&mut self, value: &Value) -> u32 {
        self.intern(value.to_string())
    }

    /// The id of a text (the key-value model's strings, the value's JSON text otherwise).
    pub fn intern(&mut self, text: String) -> u32 {
        let h = fx(&text.as_str());
        if let Some(id) = self.find(h, &text) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(text);
        self.ids.entry(h).or_default().push(id);
        id
    }

    /// The id of a text, when it was interned.
    pub fn get(&self, text: &str) -> Option<u32> {
        self.find(fx(&text), text)
    }

    fn find(&self, h: u64, text: &str) -> Option<u32> {
        self.ids.get(&h)?.iter().find(|&&id| self.texts[id as usize] == text).copied()
    }

    /// The text of an id.
    pub fn text(&self, id: u32) -> &str {
        &self.texts[id as usize]
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
pub fn key_of(record: &Record) -> Option<String> {
    record.value.get("key").map(text_of)
}

/// A JSON value as a string of the key-value model: a string's contents, else its JSON text.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
