//! The fenced resource over TCP: fenced and open modes, token-less requests, concurrent
//! writers whose decisions reach the sink in the resource's serial order, bad requests, stop.

use serde_json::{json, Value};
use splitbrain_targets::lines::{LineConn, Timeouts};
use splitbrain_targets::resource::register::admits;
use splitbrain_targets::resource::{
    Decision, Mode, Refused, Resource, ResourceClient, REGISTER_KEY,
};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn start(mode: Mode) -> (Resource, Arc<Mutex<Vec<Decision>>>) {
    let decisions = Arc::new(Mutex::new(Vec::new()));
    let sink = decisions.clone();
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let resource =
        Resource::start(any, mode, move |d| sink.lock().unwrap().push(d.clone())).unwrap();
    (resource, decisions)
}

fn client(r: &Resource, node: &str) -> ResourceClient {
    ResourceClient::new(r.addr(), node, Timeouts::ms(500, 2000))
}

fn stale(highest: u64) -> Refused {
    Refused { error: "stale-token".into(), highest: Some(highest) }
}

#[test]
fn fenced_mode_refuses_lower_tokens_for_writes_and_reads_and_passes_tokenless_ones() {
    let (r, decisions) = start(Mode::Fenced);
    let mut old = client(&r, "n1");
    let mut new = client(&r, "n2");
    assert_eq!(new.write(REGISTER_KEY, Some(3), &json!("a")).unwrap(), Ok(()));
    assert_eq!(old.write(REGISTER_KEY, Some(2), &json!("b")).unwrap(), Err(stale(3)));
    assert_eq!(old.read(REGISTER_KEY, Some(2)).unwrap(), Err(stale(3)));
    assert_eq!(new.read(REGISTER_KEY, Some(3)).unwrap(), Ok(json!("a")));
    assert_eq!(old.write(REGISTER_KEY, None, &json!("c")).unwrap(), Ok(()));
    assert_eq!(r.value(REGISTER_KEY), json!("c"));
    let records: Vec<Value> = decisions.lock().unwrap().iter().map(Decision::to_json).collect();
    assert_eq!(
        records,
        vec![
            json!({"type":"ok","f":"accept","value":{"token":3,"node":"n2","value":"a","key":"register"}}),
            json!({"type":"fail","f":"reject","error":"stale-token",
                   "value":{"token":2,"node":"n1","value":"b","key":"register"}}),
            json!({"type":"ok","f":"accept","value":{"token":null,"node":"n1","value":"c","key":"register"}}),
        ]
    );
}

#[test]
fn open_mode_accepts_every_write_and_the_last_one_wins() {
    let (r, decisions) = start(Mode::Open);
    let mut c = client(&r, "n1");
    for (token, value) in [(Some(5), 1), (Some(2), 2), (None, 3), (Some(1), 4)] {
        assert_eq!(c.write(REGISTER_KEY, token, &json!(value)).unwrap(), Ok(()));
    }
    assert_eq!(c.read(REGISTER_KEY, Some(1)).unwrap(), Ok(json!(4)));
    assert!(decisions.lock().unwrap().iter().all(|d| d.accepted));
}

/// Writers on their own threads and connections; each write's token drifts upward with jitter.
fn concurrent_writes(r: &Resource, writers: u64, each: u64) -> Vec<(u64, bool)> {
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..writers)
            .map(|w| {
                s.spawn(move || {
                    let mut c = client(r, &format!("w{w}"));
                    (0..each)
                        .map(|i| {
                            let id = w * 10_000 + i;
                            let token = i / 8 + (id * 7919 % 5);
                            let answer = c.write(REGISTER_KEY, Some(token), &json!(id)).unwrap();
                            (id, answer.is_ok())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
    })
}

#[test]
fn concurrent_writers_in_fenced_mode_get_decisions_that_obey_fencing_in_serial_order() {
    let (r, decisions) = start(Mode::Fenced);
    let answers = concurrent_writes(&r, 8, 150);
    let decisions = decisions.lock().unwrap();
    assert_eq!(decisions.len(), answers.len(), "every write decided exactly once");
    let mut highest = None;
    for d in decisions.iter() {
        let admitted = admits(Mode::Fenced, highest, d.token);
        assert_eq!(d.accepted, admitted, "{d:?} after highest {highest:?}");
        if d.accepted {
            highest = highest.max(d.token);
        }
    }
    for (id, accepted) in &answers {
        let d = decisions.iter().find(|d| d.value == json!(id)).unwrap();
        assert_eq!(d.accepted, *accepted, "the writer was told what the sink saw for {id}");
    }
    let rejected = decisions.iter().filter(|d| !d.accepted).count();
    assert!(rejected > 0 && rejected < decisions.len(), "a real mix: {rejected} rejected");
    let last = decisions.iter().rev().find(|d| d.accepted).unwrap();
    assert_eq!(r.value(REGISTER_KEY), last.value, "the register holds the last accept");
}

#[test]
fn concurrent_writers_in_open_mode_are_all_accepted() {
    let (r, decisions) = start(Mode::Open);
    let answers = concurrent_writes(&r, 8, 100);
    assert!(answers.iter().all(|(_, ok)| *ok));
    assert_eq!(decisions.lock().unwrap().len(), 800);
    assert!(decisions.lock().unwrap().iter().all(|d| d.accepted));
}

#[test]
fn a_line_that_is_not_a_request_gets_bad_request() {
    let (r, decisions) = start(Mode::Fenced);
    let mut conn = LineConn::connect(r.addr(), Duration::from_secs(1)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    conn.send(&json!({"op": "delete", "key": "register"}), deadline).unwrap();
    let answer: Value = serde_json::from_slice(&conn.receive(deadline).unwrap().unwrap()).unwrap();
    assert_eq!(
        (answer["ok"].clone(), answer["error"].clone()),
        (json!(false), json!("bad-request"))
    );
    assert!(decisions.lock().unwrap().is_empty());
}

#[test]
fn dropping_the_resource_stops_it_within_a_second_even_with_a_client_connected() {
    let (r, _) = start(Mode::Fenced);
    let addr = r.addr();
    let mut c = client(&r, "n1");
    c.write(REGISTER_KEY, Some(1), &json!(1)).unwrap().unwrap();
    let dropping = Instant::now();
    drop(r);
    assert!(dropping.elapsed() < Duration::from_secs(1), "{:?}", dropping.elapsed());
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
    assert!(c.write(REGISTER_KEY, Some(1), &json!(2)).is_err());
}
