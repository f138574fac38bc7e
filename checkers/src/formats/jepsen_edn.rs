//! Jepsen's `history.edn` (and Porcupine's key-value logs, the same op maps with a `:key`):
//! each op a map `{:type :invoke, :f :write, :value 3, :process 0, :time 12, :index 0}`, one
//! per line, or all in one vector.
//!
//! Neighbours: [`super::edn`] reads the text; the records go to [`crate::linear`].

use super::edn::{read_all, Edn};
use super::FormatError;
use crate::{History, Process, Record, Type};
use serde_json::{Map, Value};

const STANDARD: [&str; 8] = ["process", "type", "f", "value", "time", "index", "error", "node"];

/// Reads a history of op maps; with `need_key`, each must have a `:key` (Porcupine's kv logs).
pub fn parse(text: &str, need_key: bool) -> Result<History, FormatError> {
    let values = read_all(text)?;
    let ops: Vec<(usize, Edn)> = match values.as_slice() {
        [(line, Edn::Seq(items))] => items.iter().map(|v| (*line, v.clone())).collect(),
        _ => values,
    };
    let mut records = Vec::with_capacity(ops.len());
    for (line, op) in ops {
        let r = record(records.len() as u64, &op).map_err(|what| FormatError { line, what })?;
        if need_key && op.get("key").is_none() {
            return Err(FormatError { line, what: "a key-value op needs a :key".into() });
        }
        records.push(r);
    }
    Ok(History::new(records))
}

/// The record of one op map, given its index.
pub fn record(index: u64, op: &Edn) -> Result<Record, String> {
    let Edn::Map(entries) = op else {
        return Err(format!("expected an op map {{:type …}}, found {}", op.to_json()));
    };
    let kind = match op.get("type") {
        Some(Edn::Keyword(t)) => type_of(t)?,
        Some(other) => {
            return Err(format!(
                ":type must be :invoke, :ok, :fail or :info, not {}",
                other.to_json()
            ))
        }
        None => return Err("the op map has no :type".into()),
    };
    let f = op.get("f").ok_or("the op map has no :f")?.as_text();
    let process = process_of(op.get("process").ok_or("the op map has no :process")?)?;
    let time = match op.get("time") {
        Some(Edn::Int(t)) if *t >= 0 => *t as u64,
        Some(other) => {
            return Err(format!(":time must be a non-negative integer, not {}", other.to_json()))
        }
        None => index,
    };
    let mut value = op.get("value").map(Edn::to_json).unwrap_or(Value::Null);
    let extra: Map<String, Value> = entries
        .iter()
        .filter(|(k, _)| !matches!(k, Edn::Keyword(n) if STANDARD.contains(&n.as_str())))
        .map(|(k, v)| (k.as_text(), v.to_json()))
        .collect();
    if !extra.is_empty() {
        let mut map = extra;
        map.insert("value".into(), value);
        value = Value::Object(map);
    }
    let text = |k: &str| op.get(k).map(Edn::as_text);
    Ok(Record { index, time, process, kind, f, value, node: text("node"), error: text("error") })
}

/// The type a keyword names.
pub fn type_of(t: &str) -> Result<Type, String> {
    match t {
        "invoke" => Ok(Type::Invoke),
        "ok" => Ok(Type::Ok),
        "fail" => Ok(Type::Fail),
        "info" => Ok(Type::Info),
        _ => Err(format!(":type must be :invoke, :ok, :fail or :info, not :{t}")),
    }
}

/// The process an op names: an integer is a client, `:nemesis` the nemesis, else a node.
pub fn process_of(p: &Edn) -> Result<Process, String> {
    match p {
        Edn::Int(i) => Ok(Process::Client(*i)),
        Edn::Keyword(s) | Edn::Str(s) | Edn::Symbol(s) => Ok(Process::from_name(s.clone())),
        other => Err(format!(":process must be an integer or a name, not {}", other.to_json())),
    }
}
