//! The history writer under concurrency: what it writes is exactly what it returned, in index
//! and time order, and the checkers' reader accepts it.

mod common;

use common::TempDir;
use serde_json::json;
use splitbrain_checkers::{reader, Process, Record, Type};
use splitbrain_results::writer::{Event, HistoryWriter, WriteError};
use std::sync::Arc;

fn run_threads(writer: &Arc<HistoryWriter>, threads: i64, per_thread: i64) -> Vec<Record> {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let w = Arc::clone(writer);
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..per_thread {
                    let event = match i % 4 {
                        0 => Event::invoke(t, "write", json!({"value": i})).node("n1"),
                        1 => Event::complete(
                            t,
                            Type::Ok,
                            "write",
                            json!({"value": i - 1, "token": 3, "leader": "n2"}),
                        ),
                        2 => Event::resource(
                            Type::Ok,
                            "accept",
                            json!({"token": 3, "node": "n2", "value": i}),
                        ),
                        _ => Event::nemesis("pause", json!({"nodes": ["n3"]}))
                            .error("why \"quoted\"\n"),
                    };
                    mine.push(w.append(event).expect("append"));
                }
                mine
            })
        })
        .collect();
    handles.into_iter().flat_map(|h| h.join().expect("writer thread")).collect()
}

#[test]
fn concurrent_appends_keep_index_and_time_in_file_order_and_read_back_as_returned() {
    let dir = TempDir::new("writer");
    let path = dir.path().join("history.jsonl");
    let writer = Arc::new(HistoryWriter::create(&path).expect("create"));
    let mut returned = run_threads(&writer, 6, 1500);
    assert_eq!(writer.len(), 9000);
    let history = reader::read_path(&path).expect("the checkers' reader accepts the file");
    assert!(history.warnings.is_empty(), "{:?}", history.warnings);
    assert_eq!(history.records.len(), 9000);
    for pair in history.records.windows(2) {
        assert_eq!(pair[1].index, pair[0].index + 1);
        assert!(pair[1].time >= pair[0].time, "time went backwards at {}", pair[1].index);
    }
    returned.sort_by_key(|r| r.index);
    assert_eq!(returned, history.records, "each returned record is the line at its index");
}

#[test]
fn every_record_is_one_whole_line_with_the_contracts_field_order() {
    let dir = TempDir::new("writer-line");
    let path = dir.path().join("history.jsonl");
    let writer = HistoryWriter::create(&path).expect("create");
    let rec =
        writer.append(Event::node_report("n2", "elected", json!({"token": 5}))).expect("append");
    assert_eq!(
        (rec.index, rec.process.clone(), rec.kind),
        (0, Process::Node("n2".into()), Type::Ok)
    );
    let text = std::fs::read_to_string(&path).expect("read");
    let prefix = format!(
        "{{\"index\":0,\"time\":{},\"process\":\"n2\",\"type\":\"ok\",\"f\":\"elected\"",
        rec.time
    );
    assert!(text.starts_with(&prefix), "{text}");
    assert!(text.ends_with("}\n") && text.lines().count() == 1, "{text:?}");
}

#[test]
fn an_existing_history_is_never_overwritten() {
    let dir = TempDir::new("writer-exists");
    let path = dir.path().join("history.jsonl");
    std::fs::write(&path, "precious\n").expect("write");
    let err = HistoryWriter::create(&path).expect_err("must refuse");
    assert!(matches!(err, WriteError::Create { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "precious\n");
}
