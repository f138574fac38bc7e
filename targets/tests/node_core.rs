//! The node core with a stand-in elector (no network election): how writes and reads reach
//! the resource, and the mechanism of the two planted bugs that live in the core.
//!
//! The stand-in plays a deposed leader: it was elected under token 1 and still believes it,
//! while a newer leader has written under token 2; asked to confirm, it answers as Raft would
//! in a minority (not the leader) or as a leader whose quorum still answers.

use serde_json::{json, Value};
use splitbrain_targets::bugs::{Bug, Bugs};
use splitbrain_targets::client::Client;
use splitbrain_targets::elector::{Elector, ElectorError, Unconfirmed};
use splitbrain_targets::lines::Timeouts;
use splitbrain_targets::node::{Node, NodeConfig};
use splitbrain_targets::resource::{Decision, Mode, Resource, ResourceClient, REGISTER_KEY};
use splitbrain_targets::seat::{Seat, Token};
use splitbrain_targets::stop::Stop;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct StandIn {
    confirms: bool,
}

impl Elector for StandIn {
    fn run(&self, seat: &Seat, stop: &Stop) -> Result<(), ElectorError> {
        seat.elected(Some(1), Some(1));
        while !stop.sleep(Duration::from_millis(20)) {}
        Ok(())
    }

    fn confirm(&self, _token: Option<Token>, _deadline: Instant) -> Result<(), Unconfirmed> {
        match self.confirms {
            true => Ok(()),
            false => Err(Unconfirmed::NotLeader(Some("n2".into()))),
        }
    }
}

/// Runs node n1 (stand-in elector, `bugs`) against a fenced resource and calls `test` with a
/// client of the node, a resource client for "the new leader" n2, and the decisions so far.
fn with_node(
    bugs: &[Bug],
    confirms: bool,
    test: impl FnOnce(&mut Client, &mut ResourceClient, &Mutex<Vec<Decision>>),
) {
    let decisions = Arc::new(Mutex::new(Vec::new()));
    let sink = decisions.clone();
    let local = SocketAddr::from(([127, 0, 0, 1], 0));
    let resource =
        Resource::start(local, Mode::Fenced, move |d| sink.lock().unwrap().push(d.clone()))
            .unwrap();
    let mut cfg = NodeConfig::new("n1", vec![("n1".into(), local)], resource.addr());
    cfg.bugs = Bugs::of(bugs.iter().copied());
    cfg.work_interval = Duration::ZERO;
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let reporter = Box::new(move |r: &splitbrain_targets::seat::Report| {
        sink.lock().unwrap().push(r.to_json())
    });
    let node = Node::bind(cfg, Box::new(StandIn { confirms }), reporter).unwrap();
    let stop = Stop::new();
    std::thread::scope(|s| {
        let running = s.spawn(|| node.run(&stop));
        let deadline = Instant::now() + Duration::from_secs(2);
        while node.seat().tenure().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut client = Client::new(node.addr(), Timeouts::ms(500, 2000));
        let mut newer = ResourceClient::new(resource.addr(), "n2", Timeouts::ms(500, 2000));
        test(&mut client, &mut newer, &decisions);
        stop.stop();
        running.join().unwrap().unwrap();
    });
    let last = reports.lock().unwrap().last().cloned();
    assert_eq!(
        last,
        Some(json!({"type":"ok","f":"stepdown","value":{"token":1,"reason":"shutdown"}}))
    );
}

fn answer(reply: splitbrain_targets::client::Reply) -> Value {
    Value::Object(reply.0)
}

/// n1 writes 1 under token 1, then n2 (the newer leader) writes 2 under token 2.
fn deposed(client: &mut Client, newer: &mut ResourceClient) {
    let first = answer(client.write(json!(1)).unwrap());
    assert_eq!(first, json!({"ok":true,"value":1,"token":1,"leader":"n1"}));
    newer.write(REGISTER_KEY, Some(2), &json!(2)).unwrap().unwrap();
}

#[test]
fn a_deposed_leader_that_cannot_confirm_refuses_reads_and_its_writes_are_fenced() {
    with_node(&[], false, |client, newer, decisions| {
        deposed(client, newer);
        let read = answer(client.read().unwrap());
        assert_eq!(read, json!({"ok":false,"error":"not-leader","definite":true,"leader":"n2"}));
        let write = answer(client.write(json!(3)).unwrap());
        assert_eq!(write, json!({"ok":false,"error":"stale-token","definite":true}));
        assert!(!decisions.lock().unwrap()[2].accepted);
    });
}

#[test]
fn a_leader_that_confirms_reads_the_resource_under_its_token_which_fences_a_stale_read() {
    with_node(&[], true, |client, newer, _| {
        assert_eq!(answer(client.read().unwrap()), json!({"ok":true,"value":null}));
        deposed(client, newer);
        let read = answer(client.read().unwrap());
        assert_eq!(read, json!({"ok":false,"error":"stale-token","definite":true}));
    });
}

#[test]
fn bug_stale_read_a_deposed_leader_answers_from_its_own_copy() {
    with_node(&[Bug::StaleRead], false, |client, newer, _| {
        deposed(client, newer);
        let read = answer(client.read().unwrap());
        assert_eq!(read, json!({"ok":true,"value":1}), "1, though 2 was written after it");
    });
}

#[test]
fn bug_no_fencing_a_deposed_leaders_write_reaches_the_resource_without_a_token() {
    with_node(&[Bug::NoFencing], false, |client, newer, decisions| {
        deposed(client, newer);
        let write = answer(client.write(json!(3)).unwrap());
        assert_eq!(write, json!({"ok":true,"value":3,"token":1,"leader":"n1"}));
        let decisions = decisions.lock().unwrap();
        let last = decisions.last().unwrap();
        assert_eq!((last.accepted, last.token, &last.value), (true, None, &json!(3)));
        assert_eq!(decisions[0].token, None, "every write of n1 went without its token");
    });
}

#[test]
fn a_status_answer_says_who_leads_under_which_token() {
    with_node(&[], true, |client, _, _| {
        let status = answer(client.status().unwrap());
        assert_eq!(
            status,
            json!({"ok":true,"leader":true,"token":1,"term":1,"known_leader":"n1","node":"n1"})
        );
    });
}
