//! The candidate protocol's lines (PROTOCOL.md, version 1): what a candidate may say on its
//! stdout, and the confirmation requests the host writes to its stdin.
//!
//! Neighbours: [`super::host`] reads each stdout line through [`parse`] and writes
//! [`confirm_request`] lines.
//!
//! Design: anything that is not a JSON object with a known `type` and well-formed fields is
//! [`Said::Ignored`] with the reason, never an error: chatty programs can be wrapped as they
//! are, and the host logs what it skipped. A report is taken as said; the host does not judge
//! it (a token that goes backwards is the checkers' finding, not the host's).

use crate::elector::{RegisterAnswer, RegisterOp};
use crate::seat::Token;
use serde_json::{json, Map, Value};

/// The version of the protocol the host speaks (`SPLITBRAIN_PROTOCOL`).
pub const VERSION: u32 = 1;

/// The longest line the host reads as a report; a longer one is ignored whole.
pub const MAX_LINE: usize = 64 * 1024;

/// One line of a candidate's stdout, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// `{"type":"elected","token":T}`: leading under `token` (a new token ends the tenure before).
    Elected(Option<Token>),
    /// `{"type":"stepdown","token":T,"reason":"…"}`: no longer leading.
    Stepdown {
        /// The token of the tenure that ended, as the candidate said it.
        token: Option<Token>,
        /// Why, as the candidate said it (`"stepdown"` when it gave none).
        reason: String,
    },
    /// `{"type":"follower","leader":"n1"}`: whom it follows (`None`: nobody known).
    Follower(Option<String>),
    /// `{"type":"confirm_ok","id":N}` or `{"type":"confirm_fail","id":N}`.
    Confirmed {
        /// The request's id.
        id: u64,
        /// Whether leadership was confirmed.
        ok: bool,
    },
    /// `write_ok`, `write_fail`, `read_ok` or `read_fail` with its `id` (`register = true`).
    Register {
        /// The request's id.
        id: u64,
        /// What the candidate's system answered.
        answer: RegisterAnswer,
    },
    /// Not a protocol line: why it was skipped.
    Ignored(String),
}

/// Reads one stdout line (without its newline).
pub fn parse(line: &str) -> Said {
    let Ok(Value::Object(o)) = serde_json::from_str::<Value>(line) else {
        return Said::Ignored("not a JSON object".into());
    };
    match o.get("type").and_then(Value::as_str) {
        Some("elected") => token(&o).map_or_else(Said::Ignored, Said::Elected),
        Some("stepdown") => match token(&o) {
            Ok(token) => Said::Stepdown { token, reason: reason(&o) },
            Err(why) => Said::Ignored(why),
        },
        Some("follower") => match o.get("leader") {
            None | Some(Value::Null) => Said::Follower(None),
            Some(Value::String(s)) => Said::Follower(Some(s.clone())),
            Some(_) => Said::Ignored("\"leader\" must be a node name or null".into()),
        },
        Some(t @ ("confirm_ok" | "confirm_fail")) => match o.get("id").and_then(Value::as_u64) {
            Some(id) => Said::Confirmed { id, ok: t == "confirm_ok" },
            None => Said::Ignored(format!("{t} without a whole-number \"id\"")),
        },
        Some(t @ ("write_ok" | "write_fail" | "read_ok" | "read_fail")) => register(t, &o),
        Some(other) => Said::Ignored(format!("unknown type {other:?}")),
        None => Said::Ignored("no \"type\"".into()),
    }
}

/// A register answer: `{"type":"read_ok","id":N,"value":V}`, `…_fail` with an `error`.
fn register(t: &str, o: &Map<String, Value>) -> Said {
    let Some(id) = o.get("id").and_then(Value::as_u64) else {
        return Said::Ignored(format!("{t} without a whole-number \"id\""));
    };
    let error = || o.get("error").and_then(Value::as_str).unwrap_or("refused").to_string();
    let answer = match t {
        "write_ok" => RegisterAnswer::Written,
        "read_ok" => RegisterAnswer::Read(o.get("value").cloned().unwrap_or(Value::Null)),
        _ => RegisterAnswer::Refused(error()),
    };
    Said::Register { id, answer }
}

/// `"token"`: a whole number from 0 to 2^64-1, or null; absent counts as null.
fn token(o: &Map<String, Value>) -> Result<Option<Token>, String> {
    match o.get("token") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(t) => Ok(Some(t)),
            None => Err(format!("\"token\" must be a whole number 0 or more, or null; got {v}")),
        },
    }
}

fn reason(o: &Map<String, Value>) -> String {
    let given = o.get("reason").and_then(Value::as_str).map(str::trim);
    given.filter(|r| !r.is_empty()).unwrap_or("stepdown").to_string()
}

/// The confirmation request line (with its newline) for request `id` under `token`.
pub fn confirm_request(id: u64, token: Option<Token>) -> String {
    format!("{{\"type\":\"confirm\",\"id\":{id},\"token\":{}}}\n", json!(token))
}

/// What a request waiting on the candidate gets: its answer, or that the candidate is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `confirm_ok` (true) or `confirm_fail`.
    Confirmed(bool),
    /// A register answer.
    Register(RegisterAnswer),
    /// The candidate ended before it answered.
    Gone,
}

/// The register request line (with its newline) for request `id` under `token`.
pub fn register_request(id: u64, op: RegisterOp<'_>, token: Option<Token>) -> String {
    let line = match op {
        RegisterOp::Write(v) => json!({"type": "write", "id": id, "token": token, "value": v}),
        RegisterOp::Read => json!({"type": "read", "id": id, "token": token}),
    };
    format!("{line}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_understood_or_ignored_with_a_reason() {
        let table: [(&str, Said); 14] = [
            (r#"{"type":"elected","token":17}"#, Said::Elected(Some(17))),
            (r#"{"type":"elected","token":null}"#, Said::Elected(None)),
            (r#"{"type":"elected"}"#, Said::Elected(None)),
            (
                r#"{"type":"stepdown","token":17,"reason":"lease lost"}"#,
                Said::Stepdown { token: Some(17), reason: "lease lost".into() },
            ),
            (r#"{"type":"stepdown"}"#, Said::Stepdown { token: None, reason: "stepdown".into() }),
            (r#"{"type":"follower","leader":"n1"}"#, Said::Follower(Some("n1".into()))),
            (r#"{"type":"confirm_ok","id":5}"#, Said::Confirmed { id: 5, ok: true }),
            (r#"{"type":"confirm_fail","id":5}"#, Said::Confirmed { id: 5, ok: false }),
            ("connecting to redis", Said::Ignored("not a JSON object".into())),
            ("[1,2]", Said::Ignored("not a JSON object".into())),
            (r#"{"token":3}"#, Said::Ignored("no \"type\"".into())),
            (r#"{"type":"leader"}"#, Said::Ignored("unknown type \"leader\"".into())),
            (
                r#"{"type":"confirm_ok"}"#,
                Said::Ignored("confirm_ok without a whole-number \"id\"".into()),
            ),
            (
                r#"{"type":"elected","token":-1}"#,
                Said::Ignored("\"token\" must be a whole number 0 or more, or null; got -1".into()),
            ),
        ];
        for (line, want) in table {
            assert_eq!(parse(line), want, "{line}");
        }
    }

    #[test]
    fn register_answers_are_understood_and_requests_are_one_json_line() {
        let table: [(&str, Said); 4] = [
            (
                r#"{"type":"write_ok","id":3}"#,
                Said::Register { id: 3, answer: RegisterAnswer::Written },
            ),
            (
                r#"{"type":"read_ok","id":4,"value":17}"#,
                Said::Register { id: 4, answer: RegisterAnswer::Read(json!(17)) },
            ),
            (
                r#"{"type":"write_fail","id":5,"error":"NOREPLICAS"}"#,
                Said::Register { id: 5, answer: RegisterAnswer::Refused("NOREPLICAS".into()) },
            ),
            (
                r#"{"type":"read_ok"}"#,
                Said::Ignored("read_ok without a whole-number \"id\"".into()),
            ),
        ];
        for (line, want) in table {
            assert_eq!(parse(line), want, "{line}");
        }
        let write = register_request(7, RegisterOp::Write(&json!(9)), Some(2));
        assert_eq!(write, "{\"id\":7,\"token\":2,\"type\":\"write\",\"value\":9}\n");
        assert_eq!(
            register_request(8, RegisterOp::Read, None),
            "{\"id\":8,\"token\":null,\"type\":\"read\"}\n"
        );
    }

    #[test]
    fn a_confirm_request_is_one_json_line() {
        assert_eq!(confirm_request(5, Some(17)), "{\"type\":\"confirm\",\"id\":5,\"token\":17}\n");
        assert_eq!(confirm_request(6, None), "{\"type\":\"confirm\",\"id\":6,\"token\":null}\n");
    }
}
