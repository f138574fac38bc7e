//! A small EDN reader for the subset Jepsen writes: maps, vectors, lists, sets, keywords,
//! symbols, strings, integers, floats, `nil`, `true`/`false`, comments, and tagged values
//! (`#jepsen.history.Op{…}` reads as its map).
//!
//! Neighbours: [`super::jepsen_edn`] and [`super::jepsen_log`] read operations with it.
//!
//! Design: values carry the line they start on, so an error about an operation can name its
//! line; errors say what was expected and what was found.

use super::FormatError;

/// An EDN value.
#[derive(Debug, Clone, PartialEq)]
pub enum Edn {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A keyword, without its colon.
    Keyword(String),
    /// A symbol.
    Symbol(String),
    /// A vector, list or set, in order.
    Seq(Vec<Edn>),
    /// A map, in order.
    Map(Vec<(Edn, Edn)>),
}

impl Edn {
    /// The value under keyword `key`, when this is a map that has it.
    pub fn get(&self, key: &str) -> Option<&Edn> {
        match self {
            Edn::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Edn::Keyword(n) if n == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// This value as JSON: keywords and symbols become strings (without the colon), maps with
    /// non-string keys use the keys' JSON text.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Edn::Nil => Value::Null,
            Edn::Bool(b) => Value::Bool(*b),
            Edn::Int(i) => Value::from(*i),
            Edn::Float(f) => Value::from(*f),
            Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => Value::String(s.clone()),
            Edn::Seq(items) => Value::Array(items.iter().map(Edn::to_json).collect()),
            Edn::Map(entries) => {
                Value::Object(entries.iter().map(|(k, v)| (k.as_text(), v.to_json())).collect())
            }
        }
    }

    /// A keyword's or string's name, else the JSON text.
    pub fn as_text(&self) -> String {
        match self {
            Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => s.clone(),
            other => other.to_json().to_string(),
        }
    }
}

/// Reads every top-level value of `text`, each with the line (1-based) it starts on.
pub fn read_all(text: &str) -> Result<Vec<(usize, Edn)>, FormatError> {
    let mut r = Reader { s: text.as_bytes(), at: 0, line: 1 };
    let mut out = Vec::new();
    loop {
        r.skip_space();
        if r.at >= r.s.len() {
            return Ok(out);
        }
        let line = r.line;
        out.push((line, r.value()?));
    }
}

struct Reader<'a> {
    s: &'a [u8],
    at: usize,
    line: usize,
}

impl Reader<'_> {
    fn err<T>(&self, what: impl Into<String>) -> Result<T, FormatError> {
        Err(FormatError { line: self.line, what: what.into() })
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b'\n' => self.line += 1,
                b';' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.at += 1;
                    }
                    continue;
                }
                c if c.is_ascii_whitespace() || c == b',' => {}
                _ => return,
            }
            self.at += 1;
        }
    }

    fn value(&mut self) -> Result<Edn, FormatError> {
        self.skip_space();
        let Some(c) = self.peek() else {
            return self.err("the text ends where a value was expected");
        };
        match c {
            b'{' => self.map(),
            b'[' => self.seq(b']'),
            b'(' => self.seq(b')'),
            b'"' => self.string(),
            b'#' => self.hash(),
            b':' => {
                self.at += 1;
                Ok(Edn::Keyword(self.token()))
            }
            b']' | b'}' | b')' => self.err(format!("unexpected '{}'", c as char)),
            _ => self.atom(),
        }
    }

    fn token(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(|c| !c.is_ascii_whitespace() && !b",{}[]()\";".contains(&c)) {
            self.at += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.at]).into_owned()
    }

    fn atom(&mut self) -> Result<Edn, FormatError> {
        let t = self.token();
        Ok(match t.as_str() {
            "nil" => Edn::Nil,
            "true" => Edn::Bool(true),
            "false" => Edn::Bool(false),
            _ if looks_numeric(&t) => number(&t).ok_or_else(|| FormatError {
                line: self.line,
                what: format!("{t:?} is not a number"),
            })?,
            _ => Edn::Symbol(t),
        })
    }

    fn string(&mut self) -> Result<Edn, FormatError> {
        let line = self.line;
        self.at += 1;
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.at += 1;
            match c {
                b'"' => return Ok(Edn::Str(String::from_utf8_lossy(&out).into_owned())),
                b'\\' => {
                    let e = self.peek().unwrap_or(b'\\');
                    self.at += 1;
                    out.push(match e {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        other => other,
                    });
                }
                b'\n' => {
                    self.line += 1;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        Err(FormatError {
            line,
            what: "a string starting here never ends (no closing '\"')".into(),
        })
    }

    fn items(&mut self, close: u8) -> Result<Vec<Edn>, FormatError> {
        let line = self.line;
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some(c) if c == close => {
                    self.at += 1;
                    return Ok(items);
                }
                Some(_) => items.push(self.value()?),
                None => {
                    let what = format!("'{}' opened here is never closed", open_of(close));
                    return Err(FormatError { line, what });
                }
            }
        }
    }

    fn seq(&mut self, close: u8) -> Result<Edn, FormatError> {
        Ok(Edn::Seq(self.items(close)?))
    }

    fn map(&mut self) -> Result<Edn, FormatError> {
        let line = self.line;
        let items = self.items(b'}')?;
        if items.len() % 2 == 1 {
            return Err(FormatError { line, what: "a map has a key without a value".into() });
        }
        let mut it = items.into_iter();
        let mut entries = Vec::new();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            entries.push((k, v));
        }
        Ok(Edn::Map(entries))
    }

    fn hash(&mut self) -> Result<Edn, FormatError> {
        self.at += 1;
        match self.peek() {
            Some(b'{') => self.seq(b'}'),
            Some(b'_') => {
                self.at += 1;
                self.value()?;
                self.value()
            }
            _ => {
                self.token();
                self.value()
            }
        }
    }
}

fn open_of(close: u8) -> char {
    match close {
        b']' => '[',
        b')' => '(',
        _ => '{',
    }
}

fn number(t: &str) -> Option<Edn> {
    let t = t.trim_end_matches(['N', 'M']);
    t.parse::<i64>().map(Edn::Int).ok().or_else(|| t.parse::<f64>().ok().map(Edn::Float))
}

fn looks_numeric(t: &str) -> bool {
    let b = t.as_bytes();
    b.first().is_some_and(u8::is_ascii_digit)
        || (matches!(b.first(), Some(b'-' | b'+')) && b.get(1).is_some_and(u8::is_ascii_digit))
}
