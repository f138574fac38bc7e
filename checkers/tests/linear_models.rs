//! Claims about the models, the reading of histories, the foreign formats and the witness of
//! the `linearizable` checker, each on a small hand-written history.

mod support;

use splitbrain_checkers::formats::{parse, Format};
use splitbrain_checkers::linear::{check_history, FailedCas, ModelKind, Options};
use splitbrain_checkers::{CheckResult, History, Verdict};

/// A history from compact lines `process type f value`, one per record.
fn h(lines: &[&str]) -> History {
    support::edn(lines)
}

fn check(model: ModelKind, lines: &[&str]) -> CheckResult {
    check_history(&h(lines), model, FailedCas::DidNotHappen, &Options::default()).unwrap()
}

fn verdict(model: ModelKind, lines: &[&str]) -> Verdict {
    check(model, lines).verdict
}

#[test]
fn a_read_sees_the_last_completed_write() {
    let ok = ["0 invoke write 1", "0 ok write 1", "1 invoke read", "1 ok read 1"];
    let stale = [
        "0 invoke write 1",
        "0 ok write 1",
        "0 invoke write 2",
        "0 ok write 2",
        "1 invoke read",
        "1 ok read 1",
    ];
    assert_eq!(verdict(ModelKind::Register, &ok), Verdict::Valid);
    assert_eq!(verdict(ModelKind::Register, &stale), Verdict::Invalid);
}

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    for seen in ["nil", "1"] {
        let read = format!("1 ok read {seen}");
        let lines = ["0 invoke write 1", "1 invoke read", read.as_str(), "0 ok write 1"];
        assert_eq!(verdict(ModelKind::Register, &lines), Verdict::Valid, "read of {seen}");
    }
}

#[test]
fn a_register_starts_at_nil() {
    assert_eq!(verdict(ModelKind::Register, &["0 invoke read", "0 ok read nil"]), Verdict::Valid);
    assert_eq!(verdict(ModelKind::Register, &["0 invoke read", "0 ok read 0"]), Verdict::Invalid);
}

#[test]
fn a_failed_write_did_not_happen() {
    let lines = ["0 invoke write 1", "0 fail write 1", "1 invoke read", "1 ok read 1"];
    assert_eq!(verdict(ModelKind::Register, &lines), Verdict::Invalid);
}

#[test]
fn a_write_of_unknown_outcome_may_take_effect_later_or_never() {
    let later = [
        "0 invoke write 1",
        "0 info write",
        "1 invoke read",
        "1 ok read nil",
        "1 invoke read",
        "1 ok read 1",
    ];
    let never = ["0 invoke write 1", "0 info write", "1 invoke read", "1 ok read nil"];
    let unfinished = ["0 invoke write 1", "1 invoke read", "1 ok read 1"];
    for lines in [&later[..], &never[..], &unfinished[..]] {
        assert_eq!(verdict(ModelKind::Register, lines), Verdict::Valid, "{lines:?}");
    }
}

#[test]
fn a_write_of_unknown_outcome_never_takes_effect_before_its_call() {
    let lines = ["1 invoke read", "1 ok read 1", "0 invoke write 1", "0 info write"];
    assert_eq!(verdict(ModelKind::Register, &lines), Verdict::Invalid);
}

#[test]
fn a_read_that_failed_or_timed_out_constrains_nothing() {
    for end in ["1 fail read 7", "1 info read"] {
        assert_eq!(
            verdict(
                ModelKind::Register,
                &["0 invoke write 1", "0 ok write 1", "1 invoke read", end]
            ),
            Verdict::Valid
        );
    }
}

#[test]
fn a_cas_applies_only_when_the_register_holds_its_from_value() {
    let applied = [
        "0 invoke write 1",
        "0 ok write 1",
        "0 invoke cas [1 2]",
        "0 ok cas [1 2]",
        "0 invoke read",
        "0 ok read 2",
    ];
    let impossible = ["0 invoke write 1", "0 ok write 1", "0 invoke cas [3 2]", "0 ok cas [3 2]"];
    assert_eq!(verdict(ModelKind::CasRegister, &applied), Verdict::Valid);
    assert_eq!(verdict(ModelKind::CasRegister, &impossible), Verdict::Invalid);
}

#[test]
fn a_failed_cas_found_another_value_only_when_the_log_says_so() {
    let lines = ["0 invoke write 1", "0 ok write 1", "0 invoke cas [1 2]", "0 fail cas [1 2]"];
    let history = h(&lines);
    let run = |f| {
        check_history(&history, ModelKind::CasRegister, f, &Options::default()).unwrap().verdict
    };
    assert_eq!(run(FailedCas::DidNotHappen), Verdict::Valid);
    assert_eq!(run(FailedCas::FoundOtherValue), Verdict::Invalid);
}

#[test]
fn the_plain_register_refuses_cas_records_as_not_its_operations() {
    let lines = ["0 invoke write 1", "0 ok write 1", "0 invoke cas [3 2]", "0 ok cas [3 2]"];
    assert_eq!(verdict(ModelKind::Register, &lines), Verdict::Valid);
}

#[test]
fn a_mutex_is_never_held_twice() {
    let twice = ["0 invoke acquire", "0 ok acquire", "1 invoke acquire", "1 ok acquire"];
    let handed_over = [
        "0 invoke acquire",
        "0 ok acquire",
        "1 invoke acquire",
        "0 invoke release",
        "0 ok release",
        "1 ok acquire",
    ];
    let unknown_release = [
        "0 invoke acquire",
        "0 ok acquire",
        "0 invoke release",
        "0 info release",
        "1 invoke acquire",
        "1 ok acquire",
    ];
    assert_eq!(verdict(ModelKind::Mutex, &twice), Verdict::Invalid);
    assert_eq!(verdict(ModelKind::Mutex, &handed_over), Verdict::Valid);
    assert_eq!(verdict(ModelKind::Mutex, &unknown_release), Verdict::Valid);
}

fn kv(lines: &[&str]) -> Verdict {
    let text = lines.join("\n");
    let history = parse(Format::PorcupineKv, &text).unwrap();
    check_history(&history, ModelKind::Kv, FailedCas::DidNotHappen, &Options::default())
        .unwrap()
        .verdict
}

#[test]
fn kv_appends_concatenate_per_key_and_keys_start_empty() {
    let ok = [
        r#"{:process 0, :type :invoke, :f :append, :key "a", :value "x"}"#,
        r#"{:process 0, :type :ok, :f :append, :key "a", :value "x"}"#,
        r#"{:process 0, :type :invoke, :f :append, :key "a", :value "y"}"#,
        r#"{:process 0, :type :ok, :f :append, :key "a", :value "y"}"#,
        r#"{:process 1, :type :invoke, :f :get, :key "a", :value nil}"#,
        r#"{:process 1, :type :ok, :f :get, :key "a", :value "xy"}"#,
        r#"{:process 1, :type :invoke, :f :get, :key "b", :value nil}"#,
        r#"{:process 1, :type :ok, :f :get, :key "b", :value ""}"#,
    ];
    assert_eq!(kv(&ok), Verdict::Valid);
    let mut bad = ok;
    bad[5] = r#"{:process 1, :type :ok, :f :get, :key "a", :value "yx"}"#;
    assert_eq!(kv(&bad), Verdict::Invalid);
}

#[test]
fn kv_a_put_equals_the_same_string_built_by_appends() {
    let lines = [
        r#"{:process 0, :type :invoke, :f :append, :key "a", :value "ab"}"#,
        r#"{:process 0, :type :ok, :f :append, :key "a", :value "ab"}"#,
        r#"{:process 0, :type :invoke, :f :append, :key "a", :value "c"}"#,
        r#"{:process 0, :type :ok, :f :append, :key "a", :value "c"}"#,
        r#"{:process 1, :type :invoke, :f :get, :key "a", :value nil}"#,
        r#"{:process 1, :type :ok, :f :get, :key "a", :value "abc"}"#,
        r#"{:process 1, :type :invoke, :f :put, :key "b", :value "a"}"#,
        r#"{:process 1, :type :ok, :f :put, :key "b", :value "a"}"#,
        r#"{:process 1, :type :invoke, :f :append, :key "b", :value "bc"}"#,
        r#"{:process 1, :type :ok, :f :append, :key "b", :value "bc"}"#,
        r#"{:process 1, :type :invoke, :f :get, :key "b", :value nil}"#,
        r#"{:process 1, :type :ok, :f :get, :key "b", :value "abc"}"#,
    ];
    assert_eq!(kv(&lines), Verdict::Valid);
}

#[test]
fn the_witness_names_the_stale_read_and_the_write_it_missed() {
    let lines = [
        "0 invoke write 1",
        "0 ok write 1",
        "0 invoke write 2",
        "0 ok write 2",
        "1 invoke read",
        "1 ok read 1",
    ];
    let r = check(ModelKind::Register, &lines);
    assert_eq!(r.verdict, Verdict::Invalid);
    assert!(
        r.summary.starts_with("read of 1 by process 1 (index 4) cannot be linearized"),
        "{}",
        r.summary
    );
    // Write 1 is kept: freed, it could have taken effect after write 2 and explained the read.
    assert!(
        r.summary.contains(
            "it conflicts with write 1 by process 0 (index 0), write 2 by process 0 (index 2)"
        ),
        "{}",
        r.summary
    );
    assert_eq!(r.evidence, vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(r.details["culprit"]["call_index"], 4);
    assert_eq!(r.details["conflicts"].as_array().unwrap().len(), 2);
    assert_eq!(r.details["longest_linearization"].as_array().unwrap().len(), 2);
}

#[test]
fn on_a_splitbrain_history_the_witness_says_which_node_served_each_operation_under_which_token() {
    let text = [
        r#"{"index":0,"time":1,"process":0,"type":"invoke","f":"write","value":{"value":1},"node":"n1"}"#,
        r#"{"index":1,"time":2,"process":0,"type":"ok","f":"write","value":{"value":1,"token":3,"leader":"n1"},"node":"n1"}"#,
        r#"{"index":2,"time":3,"process":1,"type":"invoke","f":"write","value":{"value":2},"node":"n3"}"#,
        r#"{"index":3,"time":4,"process":1,"type":"ok","f":"write","value":{"value":2,"token":4,"leader":"n2"},"node":"n3"}"#,
        r#"{"index":4,"time":5,"process":2,"type":"invoke","f":"read","value":null,"node":"n1"}"#,
        r#"{"index":5,"time":6,"process":2,"type":"ok","f":"read","value":{"value":1},"node":"n1"}"#,
    ];
    let history = support::history(&text.join("\n"));
    let r =
        check_history(&history, ModelKind::Register, FailedCas::DidNotHappen, &Options::default())
            .unwrap();
    assert_eq!(r.verdict, Verdict::Invalid);
    let said = "read of 1 by process 2 via n1 (index 4) cannot be linearized: it conflicts with \
                write 1 by process 0 via n1 under token 3 (index 0), \
                write 2 by process 1 via n3, written by n2 under token 4 (index 2)";
    assert!(r.summary.starts_with(said), "{}", r.summary);
    assert_eq!(r.details["culprit"]["context"], "via n1");
}

#[test]
fn a_history_with_no_operations_of_the_model_is_unknown_not_valid() {
    assert_eq!(verdict(ModelKind::Register, &["0 invoke status", "0 ok status"]), Verdict::Unknown);
}

#[test]
fn a_completion_without_an_invocation_is_an_error_naming_its_index() {
    let e = check_history(
        &h(&["0 invoke read", "0 ok read nil", "0 ok write 1"]),
        ModelKind::Register,
        FailedCas::DidNotHappen,
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(e.index, 2);
}

#[test]
fn a_zero_budget_gives_unknown_never_valid() {
    // Forty cas operations of unknown outcome that never apply from nil: 2^40 configurations
    // to exhaust before the impossible read is known to be impossible.
    let mut lines = Vec::new();
    for i in 0..40 {
        lines.push(format!("{i} invoke cas [{i} {}]", i + 1));
    }
    for i in 0..40 {
        lines.push(format!("{i} info cas"));
    }
    lines.push("99 invoke read".into());
    lines.push("99 ok read 1000".into());
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let options = Options { budget: Some(std::time::Duration::ZERO), ..Options::default() };
    let r = check_history(&h(&refs), ModelKind::CasRegister, FailedCas::DidNotHappen, &options)
        .unwrap();
    assert_eq!(r.verdict, Verdict::Unknown, "{}", r.summary);
}

#[test]
fn jepsen_log_lines_read_with_tabs_or_spaces_and_skip_other_output() {
    let text = "INFO  jepsen.util - 1\t:invoke\t:cas\t[1 2]\nsome other log line\nINFO  jepsen.util - 1   :fail :cas    [1 2]\n";
    let history = parse(Format::JepsenLog, text).unwrap();
    assert_eq!(history.records.len(), 2);
    assert_eq!(history.records[1].value, serde_json::json!([1, 2]));
    assert_eq!(history.records[1].index, 1);
}

#[test]
fn format_errors_name_the_line_and_what_is_wrong() {
    let cases: [(Format, &str, usize, &str); 5] = [
        (Format::JepsenLog, "INFO  jepsen.util - 1\t:invoke\n", 1, "expected <process>"),
        (Format::JepsenLog, "\nINFO  jepsen.util - 1 :begin :read nil\n", 2, ":type must be"),
        (
            Format::JepsenEdn,
            "{:process 0, :type :invoke, :f :read}\n{:process 0, :f :read}\n",
            2,
            "no :type",
        ),
        (Format::JepsenEdn, "{:process 0, :type :invoke, :f :read\n", 1, "never closed"),
        (
            Format::PorcupineKv,
            "{:process 0, :type :invoke, :f :get, :value nil}\n",
            1,
            "needs a :key",
        ),
    ];
    for (format, text, line, what) in cases {
        let e = parse(format, text).unwrap_err();
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(e.what.contains(what), "{text:?}: {e}");
    }
}

#[test]
fn jepsen_edn_reads_a_vector_of_ops_and_keeps_extra_keys_in_the_value() {
    let text = r#"[{:type :invoke, :f :put, :key "k", :value "v", :process 3, :time 10, :index 0}
                   {:type :ok, :f :put, :key "k", :value "v", :process 3, :time 20, :index 1, :error nil}]"#;
    let history = parse(Format::JepsenEdn, text).unwrap();
    assert_eq!(history.records.len(), 2);
    assert_eq!(history.records[1].time, 20);
    assert_eq!(history.records[0].value, serde_json::json!({"key": "k", "value": "v"}));
}

/// A register history of `n` operations by 5 clients, each taking effect at a random moment
/// between its call and return; with `info`, some writes end `info` (having taken effect).
fn long_register_history(n: usize, seed: u64, info: bool) -> Vec<String> {
    let mut x = seed.max(1);
    let mut rnd = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let (mut truth, mut lines, mut started, mut done) = (0u64, Vec::new(), 0, 0);
    let mut stage = [0u8; 5];
    let mut op = [(false, 0u64, 0u64); 5]; // (is write, value, result)
    let mut process = [0i64, 1, 2, 3, 4];
    while done < n {
        let c = rnd(5) as usize;
        let p = process[c];
        match stage[c] {
            0 if started < n => {
                op[c] = (rnd(2) == 0, 1 + rnd(9), 0);
                let (w, v, _) = op[c];
                lines.push(if w {
                    format!("{p} invoke write {v}")
                } else {
                    format!("{p} invoke read")
                });
                (started, stage[c]) = (started + 1, 1);
            }
            1 => {
                match op[c] {
                    (true, v, _) => truth = v,
                    (false, _, _) => op[c].2 = truth,
                }
                stage[c] = 2;
            }
            2 => {
                let (w, v, r) = op[c];
                if info && w && rnd(20) == 0 {
                    lines.push(format!("{p} info write"));
                    process[c] += 5;
                } else {
                    let r = if r == 0 { "nil".to_string() } else { r.to_string() };
                    lines.push(if w {
                        format!("{p} ok write {v}")
                    } else {
                        format!("{p} ok read {r}")
                    });
                }
                (done, stage[c]) = (done + 1, 0);
            }
            _ => {}
        }
    }
    lines
}

#[test]
fn a_long_history_whose_sets_are_stored_encoded_keeps_its_verdicts() {
    let lines = long_register_history(3000, 11, true);
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_eq!(verdict(ModelKind::Register, &refs), Verdict::Valid);
    // Without unknown outcomes: proving a late read impossible with many unknown writes
    // pending means trying every subset of them, which is slow in any checker.
    let mut bad = long_register_history(3000, 11, false);
    let at = bad.iter().rposition(|l| l.contains(" ok read ")).unwrap();
    let p = bad[at].split(' ').next().unwrap().to_string();
    bad[at] = format!("{p} ok read 10"); // a value no one wrote
    let refs: Vec<&str> = bad.iter().map(String::as_str).collect();
    let r = check(ModelKind::Register, &refs);
    assert_eq!(r.verdict, Verdict::Invalid);
    assert!(r.summary.starts_with("read of 10"), "{}", r.summary);
    assert_eq!(r.details["conflicts"], serde_json::json!([]), "nothing wrote 10");
    assert_eq!(r.details["conflicts_minimal"], true);
}
