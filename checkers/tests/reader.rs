//! Claims about the reader: every file rule of HISTORY.md, the first broken one reported with
//! its line, crash residue dropped with a warning.

mod support;

use splitbrain_checkers::reader::{from_reader, read_str, Problem, ReadError};
use splitbrain_checkers::Type;
use support::schedule::{build, to_jsonl, Schedule};

const ELECTED: &str =
    r#"{"index":0,"time":10,"process":"n1","type":"ok","f":"elected","value":{"token":1}}"#;

fn line(index: u64, time: u64, process: &str, kind: &str, f: &str) -> String {
    format!(
        r#"{{"index":{index},"time":{time},"process":{process},"type":"{kind}","f":"{f}","value":null}}"#
    )
}

fn lines(ls: &[String]) -> String {
    ls.iter().map(|l| format!("{l}\n")).collect()
}

fn error(text: &str) -> (u64, Problem, String) {
    match read_str(text) {
        Err(e @ ReadError::Rule { .. }) => {
            let msg = e.to_string();
            let ReadError::Rule { line, problem, .. } = e else { unreachable!() };
            (line, problem, msg)
        }
        Err(e) => panic!("expected a broken rule, got {e}"),
        Ok(h) => panic!("expected a broken rule, read {} records", h.records.len()),
    }
}

#[test]
fn a_well_formed_history_reads_back_every_record_with_no_warning() {
    let text = format!(
        "{ELECTED}\n{}\n{}\n",
        line(1, 20, "0", "invoke", "write"),
        line(2, 20, "0", "ok", "write")
    );
    let h = read_str(&text).unwrap();
    assert_eq!(h.records.len(), 3);
    assert_eq!(h.records[2].kind, Type::Ok);
    assert!(h.warnings.is_empty());
}

#[test]
fn time_going_backwards_is_reported_with_its_file_line() {
    let text = lines(&[
        line(0, 10, "0", "invoke", "read"),
        line(1, 30, "0", "ok", "read"),
        line(2, 20, "1", "invoke", "read"),
    ]);
    let (at, problem, msg) = error(&text);
    assert_eq!((at, problem), (3, Problem::TimeBackwards { time: 20, previous: 30 }));
    assert_eq!(msg, "history.jsonl:3: time goes backwards (20 ns, after 30 ns on the line before)");
}

#[test]
fn a_gap_in_the_indices_is_reported() {
    let text = lines(&[line(0, 1, "\"n1\"", "ok", "x"), line(2, 2, "\"n1\"", "ok", "x")]);
    let (at, problem, _) = error(&text);
    assert_eq!((at, problem), (2, Problem::Index { found: 2, expected: 1 }));
}

#[test]
fn a_history_must_start_at_index_zero() {
    assert_eq!(
        error(&lines(&[line(1, 1, "\"n1\"", "ok", "x")])).1,
        Problem::Index { found: 1, expected: 0 }
    );
}

#[test]
fn an_unknown_type_is_not_a_record() {
    let (at, problem, msg) = error(&lines(&[line(0, 1, "0", "done", "read")]));
    assert_eq!(at, 1);
    assert!(matches!(problem, Problem::NotARecord(_)));
    assert!(
        msg.contains("unknown variant `done`, expected one of `invoke`, `ok`, `fail`, `info`"),
        "{msg}"
    );
}

#[test]
fn a_missing_field_or_a_wrong_shape_is_not_a_record() {
    for bad in [
        r#"{"index":0,"process":0,"type":"ok","f":"x"}"#,
        r#"{"index":0,"time":-1,"process":0,"type":"ok","f":"x"}"#,
        "[1,2,3]",
        r#"{"index":0,"time":1,"process":1.5,"type":"ok","f":"x"}"#,
    ] {
        let (at, problem, msg) = error(&format!("{bad}\n"));
        assert_eq!(at, 1, "{bad}");
        assert!(matches!(problem, Problem::NotARecord(_)), "{bad}: {msg}");
    }
}

#[test]
fn a_process_has_at_most_one_invocation_outstanding() {
    let text = lines(&[line(0, 1, "3", "invoke", "write"), line(1, 2, "3", "invoke", "read")]);
    let (at, problem, msg) = error(&text);
    assert_eq!(at, 2);
    assert!(matches!(problem, Problem::AlreadyInvoking { process: 3, open_line: 1, .. }));
    assert!(
        msg.contains(
            "process 3 invokes \"read\" while its \"write\" from line 1 is still outstanding"
        ),
        "{msg}"
    );
}

#[test]
fn a_completion_carries_its_invocations_f() {
    let text = lines(&[line(0, 1, "3", "invoke", "write"), line(1, 2, "3", "ok", "read")]);
    assert!(matches!(error(&text).1, Problem::WrongCompletion { process: 3, open_line: 1, .. }));
}

#[test]
fn a_completion_without_an_invocation_is_refused() {
    let text = lines(&[line(0, 1, "3", "ok", "write")]);
    assert_eq!(
        error(&text).1,
        Problem::NoInvocation { process: 3, f: "write".into(), kind: Type::Ok }
    );
}

#[test]
fn a_process_whose_operation_ended_info_never_invokes_again() {
    let text = lines(&[
        line(0, 1, "3", "invoke", "write"),
        line(1, 2, "3", "info", "write"),
        line(2, 3, "3", "invoke", "read"),
    ]);
    assert_eq!(
        error(&text).1,
        Problem::InvokeAfterInfo { process: 3, f: "read".into(), info_line: 2 }
    );
}

#[test]
fn a_process_completes_once_even_after_an_info() {
    let text = lines(&[
        line(0, 1, "3", "invoke", "write"),
        line(1, 2, "3", "info", "write"),
        line(2, 3, "3", "ok", "write"),
    ]);
    assert!(matches!(error(&text).1, Problem::NoInvocation { .. }));
}

#[test]
fn an_invocation_left_open_at_the_end_is_no_error() {
    assert_eq!(read_str(&lines(&[line(0, 1, "3", "invoke", "write")])).unwrap().records.len(), 1);
}

#[test]
fn node_nemesis_and_resource_records_need_no_invocation() {
    let text = lines(&[
        line(0, 1, "\"n1\"", "ok", "elected"),
        line(1, 1, "\"nemesis\"", "info", "kill"),
        line(2, 2, "\"resource\"", "fail", "reject"),
    ]);
    assert_eq!(read_str(&text).unwrap().records.len(), 3);
}

#[test]
fn a_cut_off_last_line_is_dropped_with_a_warning_and_the_rest_is_kept() {
    let text = format!("{ELECTED}\n{{\"index\":1,\"time\":12,\"proc");
    let h = read_str(&text).unwrap();
    assert_eq!(h.records.len(), 1);
    assert_eq!(
        h.warnings,
        vec![
            "history.jsonl:2: the last line was cut off mid-write (crash residue) and was dropped"
        ]
    );
}

#[test]
fn a_cut_off_line_cut_inside_a_utf8_character_is_still_residue() {
    let mut bytes = format!("{ELECTED}\n{{\"index\":1,\"f\":\"").into_bytes();
    bytes.push(0xE2);
    let h = from_reader(&bytes[..], "h.jsonl").unwrap();
    assert_eq!((h.records.len(), h.warnings.len()), (1, 1));
}

#[test]
fn a_cut_off_line_before_more_lines_is_an_error_not_residue() {
    let text = format!(
        "{ELECTED}\n{{\"index\":1,\"time\":12,\"proc\n{}\n",
        line(2, 13, "\"n1\"", "ok", "x")
    );
    let (at, problem, _) = error(&text);
    assert_eq!(at, 2);
    assert!(matches!(problem, Problem::NotARecord(_)));
}

#[test]
fn a_whole_last_record_without_a_newline_is_kept() {
    let h = read_str(ELECTED).unwrap();
    assert_eq!((h.records.len(), h.warnings.len()), (1, 0));
}

#[test]
fn unknown_fields_are_ignored_because_the_contract_grows_by_optional_fields() {
    let text = r#"{"index":0,"time":1,"process":"n1","type":"ok","f":"elected","value":{"token":1},"shard":7}"#;
    assert_eq!(read_str(text).unwrap().records[0].token(), Some(1));
}

#[test]
fn a_blank_line_between_records_is_an_error_but_trailing_blank_lines_only_warn() {
    let (at, problem, _) = error(&format!("{ELECTED}\n\n{}\n", line(1, 20, "\"n1\"", "ok", "x")));
    assert_eq!((at, problem), (2, Problem::Blank));
    let h = read_str(&format!("{ELECTED}\n\n  \n")).unwrap();
    assert_eq!(
        h.warnings,
        vec!["history.jsonl:2: blank lines at the end of the file were ignored"]
    );
}

#[test]
fn a_blank_line_before_a_broken_line_is_the_first_broken_rule() {
    let (at, problem, _) = error(&format!("{ELECTED}\n\n{{oops\n"));
    assert_eq!((at, problem), (2, Problem::Blank));
}

#[test]
fn an_empty_file_is_an_empty_history() {
    let h = read_str("").unwrap();
    assert!(h.records.is_empty() && h.warnings.is_empty());
}

#[test]
fn invalid_utf8_in_a_whole_line_is_an_error() {
    let mut bytes = ELECTED.as_bytes().to_vec();
    let at = bytes.iter().position(|&b| b == b'n').unwrap() + 1;
    bytes[at] = 0xFF;
    bytes.push(b'\n');
    let err = from_reader(&bytes[..], "h.jsonl").unwrap_err();
    assert!(err.to_string().starts_with("h.jsonl:1: not a history record"), "{err}");
}

fn big_history() -> String {
    to_jsonl(&build(&Schedule::random(3, 600, 30)))
}

#[test]
fn a_history_larger_than_a_block_reads_the_same_as_line_by_line() {
    let text = big_history();
    assert!(text.len() > 5 << 20, "the test needs more than one 4 MiB block");
    let expected: Vec<_> = text
        .lines()
        .map(|l| serde_json::from_str::<splitbrain_checkers::Record>(l).unwrap())
        .collect();
    assert_eq!(read_str(&text).unwrap().records, expected);
}

#[test]
fn a_reader_that_hands_over_a_few_bytes_at_a_time_reads_the_same() {
    let text: String = big_history().lines().take(2000).map(|l| format!("{l}\n")).collect();
    let slow = std::io::BufReader::with_capacity(7, text.as_bytes());
    assert_eq!(from_reader(slow, "h").unwrap().records, read_str(&text).unwrap().records);
}

#[test]
fn a_broken_line_deep_in_a_large_file_is_reported_at_its_own_line() {
    let text = big_history();
    let mut ls: Vec<&str> = text.lines().collect();
    let deep = ls.len() - 10;
    ls[deep] = "{not json";
    let (at, problem, _) = error(&(ls.join("\n") + "\n"));
    assert_eq!(at, deep as u64 + 1);
    assert!(matches!(problem, Problem::NotARecord(_)));
}

#[test]
fn a_byte_order_mark_at_the_start_is_skipped() {
    let plain = format!("{ELECTED}\n");
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(plain.as_bytes());
    let h = from_reader(&bytes[..], "h.jsonl").unwrap();
    assert_eq!(h.records, read_str(&plain).unwrap().records);
    assert!(h.warnings.is_empty());
}

#[test]
fn a_byte_order_mark_anywhere_else_is_an_error() {
    let text = format!("{ELECTED}\n\u{feff}{}\n", line(1, 2, "\"n1\"", "ok", "x"));
    let err = from_reader(text.as_bytes(), "h.jsonl").unwrap_err();
    assert!(err.to_string().starts_with("h.jsonl:2: not a history record"), "{err}");
}
