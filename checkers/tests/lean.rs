//! Claims about the streaming reader's lean parse: a line it reads without building a value
//! tree is the record serde_json reads from it, field for field and accessor for accessor, for
//! every shape other tools may write in `value`; a line serde_json refuses is refused with
//! serde_json's message.

use serde_json::Value;
use splitbrain_checkers::reader::for_each_fed;
use splitbrain_checkers::{Fed, Record};
use std::io::Write;

/// One-record lines of every shape the lean parse must agree on.
const LINES: &[&str] = &[
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"token":1}}"#,
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"token":1.0}}"#,
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"token":18446744073709551615}}"#,
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"token":-3}}"#,
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"token":null}}"#,
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"token":"7"}}"#,
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"token":1,"token":2}}"#,
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"x":{"token":5}}}"#,
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"tok\u0065n":5}}"#,
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"ele\u0063ted","value":{"token":4}}"#,
    r#"{"index":0,"time":5,"process":"n\u0031","type":"ok","f":"elected","value":{"token":4}}"#,
    r#"{"index":0,"time":9000000,"process":"nœud","type":"ok","f":"elected","value":{"token":2,"uncertainty_ms":2.5}}"#,
    r#"{"index":0,"time":9000000,"process":"n2","type":"ok","f":"elected","value":{"token":2,"uncertainty_ms":3}}"#,
    r#"{"index":0,"time":9000000,"process":"n2","type":"ok","f":"elected","value":{"uncertainty_ms":"3"}}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"write","value":{"value":7,"token":3,"leader":"n2"},"node":"n1"}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"write","value":{"value":7,"token":3,"leader":"n\"2"},"node":"n1"}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"status","value":{"leader":true,"token":3}}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"status","value":{"leader":false}}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"cas","value":[1,2],"node":null}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"write","value":"text"}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"write","value":{"value": -0}}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"write","value":{"value":1.50}}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"write","value":{"value":123456789012345678901}}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"write","value":{"value":{"b":1, "a":"é"}}}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"write","value":{"value":"x\ty","value":"z"}}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"write","value":{"value":"caf\u00e9"}}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"write","value":{"value":[1e400]}}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"read"}"#,
    r#"{"index":0,"time":5,"process":3,"type":"invoke","f":"read","value":null}"#,
    r#"{"index":0,"time":5,"process":"resource","type":"ok","f":"accept","value":{"token":3,"node":"n2","value":{"a":[1,{"b":null}]}}}"#,
    r#"{"index":0,"time":5,"process":"resource","type":"fail","f":"reject","value":{"token":2,"node":7},"error":"stale-token"}"#,
    r#"{"index":0,"time":5,"process":"nemesis","type":"info","f":"start-partition","value":{"isolated":["n1"],"rest":["n2","n3"]},"extra":{"a":[1,2.5e3]}}"#,
    "{\"index\":0,\"time\":5,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill\",\"value\":\"n1\"}\r",
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"token":1,"big":1e400}}"#,
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"token":1},"f":"again"}"#,
    r#"{"index":-1,"time":5,"process":"n1","type":"ok","f":"elected","value":{"token":1}}"#,
    r#"{"index":0,"time":5,"process":9223372036854775808,"type":"ok","f":"read"}"#,
    r#"{"index":0,"time":5,"process":"n1","type":"ok","f":"elected","value":{"token":1}"#,
];

/// What a checker can read of a record, through the accessors.
type Seen = (Option<i64>, Option<String>, Option<bool>, Option<String>, u64, String, Value);

fn seen_fed(r: &Fed<'_>) -> Seen {
    let leader = r.leader().map(str::to_string);
    let node = r.value_node().map(str::to_string);
    let payload = (r.payload_text().into_owned(), r.payload_value().into_owned());
    (r.token(), leader, r.leads(), node, r.earliest(), payload.0, payload.1)
}

fn seen_record(r: &Record) -> Seen {
    let leads = r.value.get("leader").and_then(Value::as_bool);
    let leader = r.leader().map(str::to_string);
    let node = r.value_node().map(str::to_string);
    let payload = splitbrain_checkers::linear::values::payload(r);
    (r.token(), leader, leads, node, r.earliest(), payload.to_string(), payload.clone())
}

/// The records and accessor readings the streaming reader gives for `line`, or its error.
fn streamed(line: &str) -> Result<Vec<(Record, impl PartialEq + std::fmt::Debug)>, String> {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    writeln!(file, "{line}").expect("it writes");
    let mut out = Vec::new();
    for_each_fed(file.path(), |r| out.push((r.to_record(), seen_fed(r))))
        .map_err(|e| e.to_string())?;
    Ok(out)
}

#[test]
fn a_line_read_lean_is_the_record_serde_reads_with_the_same_accessors() {
    for line in LINES {
        let whole = serde_json::from_str::<Record>(line);
        match (streamed(line), whole) {
            (Ok(got), Ok(want)) => {
                assert_eq!(got.len(), 1, "{line}");
                assert_eq!(got[0].0, want, "{line}");
                assert_eq!(
                    format!("{:?}", got[0].1),
                    format!("{:?}", seen_record(&want)),
                    "{line}"
                );
            }
            (Err(got), Err(_)) => {
                // The message is serde_json's on the whole line, as before the lean parse.
                let want = serde_json::from_str::<Record>(&format!("{line}\n")).unwrap_err();
                let (at, column) = (
                    format!(" at line {} column {}", want.line(), want.column()),
                    format!(" (column {})", want.column()),
                );
                let want = want.to_string().replace(&at, &column);
                assert!(got.ends_with(&format!("not a history record: {want}")), "{line}: {got}");
            }
            (got, want) => {
                panic!("{line}: streamed {:?}, serde_json {want:?}", got.map(|g| g.len()))
            }
        }
    }
}
