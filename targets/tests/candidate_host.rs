//! Protocol conformance of the candidate host (PROTOCOL.md): what a candidate says on stdout
//! becomes the node's reports as said, confirmations go round its stdin with a bound, and the
//! host survives candidates that garble, lie, ignore stdin, exit at once, or flood stdout.
//! Each test runs a small `/bin/sh` candidate under a [`Host`] with a recording seat.

use serde_json::{json, Value};
use splitbrain_targets::elector::{RegisterAnswer, RegisterOp};
use splitbrain_targets::external::host::{Host, HostOptions, GRACE};
use splitbrain_targets::stop::Stop;
use splitbrain_targets::{Elector, Seat, Unconfirmed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Lines = Arc<Mutex<Vec<Value>>>;

struct Hosted {
    host: Host,
    seat: Seat,
    reports: Lines,
    notes: Lines,
}

fn hosted(command: &str) -> Hosted {
    hosted_as(command, false)
}

/// [`hosted`], with `register` as the target file's key says.
fn hosted_as(command: &str, register: bool) -> Hosted {
    let (reports, notes): (Lines, Lines) = Default::default();
    let sink = reports.clone();
    let seat = Seat::new("n1", Box::new(move |r| sink.lock().unwrap().push(r.to_json())));
    let opts = HostOptions {
        command: command.into(),
        cwd: None,
        env: vec![("SPLITBRAIN_NODE".into(), "n1".into())],
        clock_shim: false,
        confirm_writes: false,
        register,
    };
    let sink = notes.clone();
    let host = Host::new("n1", opts, Box::new(move |n| sink.lock().unwrap().push(n)));
    Hosted { host, seat, reports, notes }
}

/// Runs `command` hosted for `run_for` while `during` acts on the host; returns once the
/// host's run has ended after stop, with how long that took.
fn run(h: &Hosted, run_for: Duration, during: impl FnOnce(&Host) + Send) -> Duration {
    let stop = Stop::new();
    std::thread::scope(|s| {
        let runner = s.spawn(|| h.host.run(&h.seat, &stop));
        during(&h.host);
        std::thread::sleep(run_for);
        let stopped = Instant::now();
        stop.stop();
        runner.join().unwrap().unwrap();
        stopped.elapsed()
    })
}

fn reports(h: &Hosted) -> Vec<Value> {
    h.reports.lock().unwrap().clone()
}

fn wait_until(limit: Duration, f: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !f() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

const ANSWERS: &str = r#"echo '{"type":"elected","token":7}'
while read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  echo "{\"type\":\"$ANSWER\",\"id\":$id}"
done"#;

#[test]
fn malformed_lines_are_skipped_and_the_reports_between_them_count() {
    let h = hosted(
        r#"echo 'starting up'; echo '{"type":"elected","token":3}'; echo '[1]'; echo '{"type":"leading"}'
           echo '{"type":"elected","token":"four"}'; echo '{"type":"stepdown","token":3,"reason":"lease lost"}'
           echo '{"type":"follower","leader":"n2"}'; exec sleep 5"#,
    );
    run(&h, Duration::from_millis(500), |_| {});
    let want = vec![
        json!({"type":"ok","f":"elected","value":{"token":3}}),
        json!({"type":"ok","f":"stepdown","value":{"token":3,"reason":"lease lost"}}),
    ];
    assert_eq!(reports(&h), want);
    assert_eq!(h.seat.view().leader.as_deref(), Some("n2"));
}

#[test]
fn a_lying_token_is_reported_as_said_for_the_checkers_to_judge() {
    let h = hosted(
        r#"echo '{"type":"elected","token":5}'; echo '{"type":"elected","token":5}'
           echo '{"type":"elected","token":3}'; echo '{"type":"elected","token":null}'; exec sleep 5"#,
    );
    run(&h, Duration::from_millis(500), |_| {});
    let fs: Vec<(Value, Value)> =
        reports(&h).iter().map(|r| (r["f"].clone(), r["value"]["token"].clone())).collect();
    let want = [("elected", json!(5)), ("stepdown", json!(5)), ("elected", json!(3))];
    let mut want: Vec<(Value, Value)> = want.iter().map(|(f, t)| (json!(f), t.clone())).collect();
    want.extend([(json!("stepdown"), json!(3)), (json!("elected"), Value::Null)]);
    want.push((json!("stepdown"), Value::Null));
    assert_eq!(fs, want, "a renewal is silent, a lower or missing token is a new tenure");
}

#[test]
fn confirmations_go_round_stdin_and_are_answered_by_id() {
    for (answer, want) in
        [("confirm_ok", Ok(())), ("confirm_fail", Err(Unconfirmed::NotLeader(None)))]
    {
        let h = hosted(&format!("ANSWER={answer}\n{ANSWERS}"));
        run(&h, Duration::ZERO, |host| {
            assert!(wait_until(Duration::from_secs(5), || h.seat.tenure().is_some()));
            for _ in 0..20 {
                let deadline = Instant::now() + Duration::from_secs(2);
                assert_eq!(host.confirm(Some(7), deadline), want, "{answer}");
            }
        });
    }
}

/// A candidate keeping the register in a shell variable: `write` stores, `read` answers it.
const REGISTER: &str = r#"echo '{"type":"elected","token":1}'
v=null
while read -r line; do
  id=$(echo "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  case "$line" in
    *'"type":"write"'*) v=$(echo "$line" | sed -n 's/.*"value":\([0-9]*\).*/\1/p')
      echo "{\"type\":\"write_ok\",\"id\":$id}" ;;
    *'"type":"read"'*) echo "{\"type\":\"read_ok\",\"id\":$id,\"value\":$v}" ;;
  esac
done"#;

#[test]
fn register_requests_go_round_stdin_only_with_register_and_are_answered_by_id() {
    for register in [true, false] {
        let h = hosted_as(REGISTER, register);
        run(&h, Duration::ZERO, |host| {
            assert!(wait_until(Duration::from_secs(5), || h.seat.tenure().is_some()));
            let deadline = || Instant::now() + Duration::from_secs(2);
            let written = host.register(RegisterOp::Write(&json!(5)), Some(1), deadline());
            let read = host.register(RegisterOp::Read, Some(1), deadline());
            let want = |a: RegisterAnswer| if register { Some(a) } else { None };
            assert_eq!(written, want(RegisterAnswer::Written));
            assert_eq!(read, want(RegisterAnswer::Read(json!(5))));
        });
    }
}

#[test]
fn a_candidate_that_never_reads_stdin_fails_every_confirmation_within_its_bound() {
    let h = hosted(r#"echo '{"type":"elected","token":1}'; exec sleep 30"#);
    run(&h, Duration::ZERO, |host| {
        assert!(wait_until(Duration::from_secs(5), || h.seat.tenure().is_some()));
        let asked = Instant::now();
        let bound = Duration::from_millis(50);
        assert_eq!(host.confirm(Some(1), asked + bound), Err(Unconfirmed::TimedOut));
        assert!(asked.elapsed() < bound + Duration::from_millis(100), "{:?}", asked.elapsed());
        let flood = Instant::now();
        for _ in 0..3000 {
            let r = host.confirm(Some(1), Instant::now() + Duration::from_micros(200));
            assert_eq!(r, Err(Unconfirmed::TimedOut));
        }
        assert!(
            flood.elapsed() < Duration::from_secs(10),
            "a full stdin pipe blocked a confirmation"
        );
    });
}

#[test]
fn a_candidate_that_exits_at_once_is_restarted_with_a_growing_backoff_and_each_exit_noted() {
    let h = hosted("exit 3");
    run(&h, Duration::from_millis(1200), |_| {});
    let notes = h.notes.lock().unwrap().clone();
    assert!(notes.len() >= 3, "{notes:?}");
    assert!(notes.iter().all(|n| n["f"] == "candidate-exit" && n["value"]["status"] == "exit 3"));
    let delays: Vec<u64> =
        notes.iter().map(|n| n["value"]["restart_in_ms"].as_u64().unwrap()).collect();
    assert!(delays.windows(2).all(|w| w[1] > w[0]), "{delays:?}");
    assert!(reports(&h).is_empty());
}

#[test]
fn an_exit_ends_the_tenure_and_the_next_life_reports_again() {
    let h = hosted(r#"echo '{"type":"elected","token":2}'; sleep 0.2; exit 1"#);
    run(&h, Duration::from_millis(700), |_| {});
    let fs: Vec<Value> = reports(&h).iter().map(|r| r["f"].clone()).collect();
    assert!(
        fs.len() >= 4
            && fs[..4]
                == [json!("elected"), json!("stepdown"), json!("elected"), json!("stepdown")],
        "{fs:?}"
    );
    assert_eq!(reports(&h)[1]["value"]["reason"], "candidate-exited");
}

#[test]
fn a_flood_on_stdout_neither_hides_reports_nor_delays_the_stop() {
    let h = hosted(
        r#"head -c 300000 /dev/zero | tr '\0' x; echo; echo '{"type":"elected","token":9}'; exec yes 'not a report'"#,
    );
    let took = run(&h, Duration::from_millis(800), |_| {
        assert!(wait_until(Duration::from_secs(5), || h.seat.tenure().is_some()));
    });
    assert_eq!(reports(&h)[0], json!({"type":"ok","f":"elected","value":{"token":9}}));
    assert!(took < 3 * GRACE + Duration::from_secs(1), "stop took {took:?}");
}

#[test]
fn at_the_end_stdin_closes_first_and_a_candidate_deaf_to_it_and_to_sigterm_is_killed() {
    let polite = hosted(
        r#"echo '{"type":"elected","token":1}'; cat > /dev/null; echo '{"type":"stepdown","token":1,"reason":"stdin closed"}'"#,
    );
    let took = run(&polite, Duration::from_millis(300), |_| {});
    assert!(took < GRACE, "a candidate that ends on end of stdin is not signalled: {took:?}");
    assert_eq!(reports(&polite).last().unwrap()["value"]["reason"], "stdin closed");
    let deaf = hosted(
        r#"trap '' TERM; echo '{"type":"elected","token":1}'; while :; do sleep 0.05; done"#,
    );
    let took = run(&deaf, Duration::from_millis(300), |_| {});
    assert!(took >= 2 * GRACE && took < 2 * GRACE + Duration::from_secs(1), "{took:?}");
    assert_eq!(reports(&deaf).last().unwrap()["value"]["reason"], "shutdown");
}
