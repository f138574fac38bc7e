//! The operation lines of a Jepsen log, as Porcupine ships its etcd test histories:
//! `INFO  jepsen.util - <process>\t<type>\t<f>\t<value>` (tabs or spaces), e.g. `INFO  jepsen.util - 3\t:ok\t:cas\t[1 4]`.
//!
//! Neighbours: [`super::edn`] reads each field; the records go to [`crate::linear`].
//!
//! Lines without `jepsen.util - ` (other log output) are skipped; a line with it that is not an
//! operation is an error, and so is a file with text but no such line (another format). An
//! empty file is an empty history. The value is kept as Jepsen wrote it (`[1 4]` → `[1, 4]`,
//! `:timed-out` → `"timed-out"`); time is the line's position.

use super::edn::{read_all, Edn};
use super::jepsen_edn::{process_of, type_of};
use super::FormatError;
use crate::{History, Record};

const MARK: &str = "jepsen.util - ";

/// Reads the operation lines of a Jepsen log.
pub fn parse(text: &str) -> Result<History, FormatError> {
    let mut records = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Some(at) = line.find(MARK) else { continue };
        let index = records.len() as u64;
        let r = record(index, &line[at + MARK.len()..])
            .map_err(|what| FormatError { line: n + 1, what })?;
        records.push(r);
    }
    if records.is_empty() && !text.trim().is_empty() {
        let what = "no Jepsen log operation lines (`INFO  jepsen.util - <process> <type> <f> <value>`) in the file".to_string();
        return Err(FormatError { line: 1, what });
    }
    Ok(History::new(records))
}

fn record(index: u64, fields: &str) -> Result<Record, String> {
    let parts: Vec<&str> = fields.split_whitespace().collect();
    let [process, kind, f, value @ ..] = &parts[..] else {
        return Err(format!("expected <process> <type> <f> <value>, found {fields:?}"));
    };
    if value.is_empty() {
        return Err(format!("expected <process> <type> <f> <value>, found {fields:?}"));
    }
    let value = value.join(" ");
    let process = process_of(&one(process)?)?;
    let kind = match one(kind)? {
        Edn::Keyword(t) => type_of(&t)?,
        other => {
            return Err(format!("the type must be a keyword like :ok, not {}", other.to_json()))
        }
    };
    let f = one(f)?.as_text();
    let value = one(&value)?.to_json();
    Ok(Record { index, time: index, process, kind, f, value, node: None, error: None })
}

fn one(field: &str) -> Result<Edn, String> {
    let mut values = read_all(field).map_err(|e| e.what)?;
    match values.len() {
        1 => Ok(values.remove(0).1),
        0 => Err("a field is empty".into()),
        _ => Err(format!("the field {field:?} holds more than one value")),
    }
}
