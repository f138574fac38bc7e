//! Lines parsed lean: a line's fields borrowed from its text, and the few fields of `value` the
//! checkers read ([`Facts`]), with no `serde_json::Value` tree and no allocation per record.
//!
//! Neighbours: [`super::parse`] tries this first on every line and falls back on the whole
//! [`Record`] parse, whose errors are the ones reported; [`super::Block`] keeps what this
//! returns and makes [`Fed`] views of it.
//!
//! Design: a line parses lean only when serde_json would read the same record from it: the
//! same field names and types as [`Record`]'s derive, unknown fields ignored, `value` checked
//! to be JSON (`RawValue`). Strings with escapes do not borrow, so such a line (rare) takes the
//! whole parse: whatever the lean parse refuses is read exactly as before.

use crate::fed::{Facts, Leader, Token, Who};
use crate::history::Type;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

/// A line's fields, borrowed from its text.
#[derive(Deserialize)]
pub(super) struct Line<'a> {
    pub index: u64,
    pub time: u64,
    #[serde(borrow)]
    pub process: Proc<'a>,
    #[serde(rename = "type")]
    pub kind: Type,
    pub f: &'a str,
    #[serde(default, borrow)]
    pub value: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub node: Option<&'a str>,
    #[serde(default, borrow)]
    pub error: Option<&'a str>,
}

/// [`Who`], read as [`crate::Process`] reads.
pub(super) struct Proc<'a>(pub Who<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for Proc<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ProcVisitor).map(Proc)
    }
}

struct ProcVisitor;

impl<'de> Visitor<'de> for ProcVisitor {
    type Value = Who<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string without escapes")
    }

    fn visit_i64<E: de::Error>(self, p: i64) -> Result<Who<'de>, E> {
        Ok(Who::Client(p))
    }

    fn visit_u64<E: de::Error>(self, p: u64) -> Result<Who<'de>, E> {
        i64::try_from(p).map(Who::Client).map_err(|_| E::custom("too large"))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Who<'de>, E> {
        Ok(Who::named(s))
    }
}

/// The facts of a `value`'s JSON text: those of its fields, when it is an object. `None` when
/// a field the checkers read is a string with escapes (it cannot be borrowed).
pub(super) fn facts(text: &str) -> Option<Facts<&str>> {
    serde_json::from_str::<FactsOf<'_>>(text).ok().map(|f| f.0)
}

struct FactsOf<'a>(Facts<&'a str>);

impl<'de: 'a, 'a> Deserialize<'de> for FactsOf<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FactsVisitor).map(FactsOf)
    }
}

struct FactsVisitor;

impl<'de> Visitor<'de> for FactsVisitor {
    type Value = Facts<&'de str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut facts = Facts { object: true, ..Facts::default() };
        // A repeated key: the last one counts, as in a `serde_json::Map`.
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "token" => facts.token = map.next_value::<Scalar<'de>>()?.token(),
                "leader" => facts.leader = map.next_value::<Scalar<'de>>()?.leader(),
                "node" => facts.node = map.next_value::<Scalar<'de>>()?.text(),
                "uncertainty_ms" => {
                    facts.uncertainty_ms = map.next_value::<Scalar<'de>>()?.number()
                }
                "value" => facts.payload = Some(checked(map.next_value::<&'de RawValue>()?)?),
                _ => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(facts)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Facts::default())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Facts::default())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Facts::default())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Facts::default())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Facts::default())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Facts::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Facts::default())
    }
}

/// The text of `raw`, once it is known to read as a `Value` (a `RawValue` is lenient with
/// numbers out of range, which a `Value` refuses).
fn checked<E: de::Error>(raw: &RawValue) -> Result<&str, E> {
    serde_json::from_str::<Skip>(raw.get()).map_err(E::custom)?;
    Ok(raw.get())
}

/// A field's value as far as the facts need it: a scalar, or `Other` for an array or object.
enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Big(u64),
    Float(f64),
    Str(&'a str),
    Other,
}

impl<'a> Scalar<'a> {
    /// As `Value::as_i64` reads it, or null.
    fn token(self) -> Token {
        match self {
            Scalar::Null => Token::Null,
            Scalar::Int(t) => Token::Int(t),
            Scalar::Big(t) => i64::try_from(t).map_or(Token::Other, Token::Int),
            _ => Token::Other,
        }
    }

    fn leader(self) -> Leader<&'a str> {
        match self {
            Scalar::Str(s) => Leader::Name(s),
            Scalar::Bool(b) => Leader::Bool(b),
            _ => Leader::None,
        }
    }

    fn text(self) -> Option<&'a str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// As `Value::as_f64` reads it.
    fn number(self) -> Option<f64> {
        match self {
            Scalar::Int(n) => Some(n as f64),
            Scalar::Big(n) => Some(n as f64),
            Scalar::Float(x) => Some(x),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value with strings without escapes")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Int(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Big(n))
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Float(x))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(s))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Scalar::Other)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// Any JSON, read and dropped. Unlike `IgnoredAny` it reads numbers as a `Value` does (one out
/// of `f64`'s range is an error), so the lean parse refuses what the whole parse refuses.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
}
