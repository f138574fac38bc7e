//! Readers of histories written by other tools, into splitbrain's [`History`], so that
//! splitbrain and those tools can be run on the same input.
//!
//! - [`Format::JepsenLog`]: the operation lines of a Jepsen log (`INFO  jepsen.util - 3\t:ok\t:read\t4`),
//!   as Porcupine ships its etcd test data.
//! - [`Format::JepsenEdn`]: a Jepsen/Knossos `history.edn`: op maps, one per line or in a vector.
//! - [`Format::PorcupineKv`]: Porcupine's key-value logs (op maps with a `:key`).
//!
//! Neighbours: [`edn`] reads the EDN; [`crate::linear`] checks the result; the `history`
//! format itself (history.jsonl) is [`crate::reader`]'s.
//!
//! Design: records get `index` in file order (an op's `:index` is not trusted to be gapless)
//! and `time` from `:time` when given, else the index. A map's keys other than the standard
//! ones (`:process :type :f :value :time :index :error :node`) go into `value` beside
//! `"value"`: `{:f :put, :key "k", :value "v"}` becomes `value: {"key": "k", "value": "v"}`,
//! which is how [`crate::linear::kv`] reads keys. Errors name the line and what is wrong.

pub mod edn;
pub mod jepsen_edn;
pub mod jepsen_log;

use crate::History;
use std::str::FromStr;

/// A foreign history format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Operation lines of a Jepsen log.
    JepsenLog,
    /// A Jepsen `history.edn`.
    JepsenEdn,
    /// Porcupine's key-value logs.
    PorcupineKv,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "jepsen-log" => Ok(Format::JepsenLog),
            "jepsen-edn" => Ok(Format::JepsenEdn),
            "porcupine-kv" => Ok(Format::PorcupineKv),
            _ => Err(format!(
                "unknown format {s:?}: use history, jepsen-log, jepsen-edn or porcupine-kv"
            )),
        }
    }
}

/// A line of a foreign history that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {what}")]
pub struct FormatError {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong there.
    pub what: String,
}

/// Reads `text` in `format` into a history.
pub fn parse(format: Format, text: &str) -> Result<History, FormatError> {
    match format {
        Format::JepsenLog => jepsen_log::parse(text),
        Format::JepsenEdn => jepsen_edn::parse(text, false),
        Format::PorcupineKv => jepsen_edn::parse(text, true),
    }
}
