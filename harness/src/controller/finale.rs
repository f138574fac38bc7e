//! The final phase of a run: heal everything, let the cluster settle, ask every node for its
//! `status` until exactly one leads (or the convergence bound passes), read the register
//! through every node, then stop the nodes.
//!
//! Neighbours: the faults' undo is `splitbrain_nemesis::heal` plus `crash::restart` of the
//! nodes that are down; the operations go through [`super::clients::Session`]; the
//! `convergence` checker judges the status answers recorded here (HISTORY.md: the final
//! `status` of every node shows exactly one leader).
//!
//! Design: the status rounds stop at the first round in which every node answered and exactly
//! one said it leads. That is the checker's own condition, asked no longer than its bound
//! allows, so a cluster that converges quickly ends the run quickly, and one that never
//! converges (a deposed leader that never learns) is asked until the bound and caught.

use super::clients::Session;
use super::nemesis::Parts;
use super::recorder::Recorder;
use splitbrain_nemesis::{crash, heal};
use splitbrain_results::Event;
use splitbrain_targets::client::{ClientError, Reply};
use splitbrain_targets::lines::Timeouts;
use splitbrain_targets::protocol::Request;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Time between two status rounds.
const ROUND_GAP: Duration = Duration::from_millis(100);

/// Ends every fault in force and starts again every process that is down; records each end.
pub fn heal_all(parts: Parts<'_>) {
    let Parts { net, cluster, recorder, readers, log } = parts;
    match heal::all(net) {
        Ok(events) => events.into_iter().for_each(|ev| {
            log.info(format!("heal: {} {}", ev.f, ev.value));
            recorder.record(Event::nemesis(ev.f, ev.value));
        }),
        Err(e) => log.info(format!("healing failed: {e}")),
    }
    let down = cluster.down();
    if down.is_empty() {
        return;
    }
    match crash::restart(net, &down) {
        Ok(ev) => {
            cluster.restarted(&down, readers);
            log.info(format!("heal: {} {}", ev.f, ev.value));
            recorder.record(Event::nemesis(ev.f, ev.value));
        }
        Err(e) => log.info(format!("restarting {} failed: {e}", down.join(" "))),
    }
}

/// What the status rounds found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converged {
    /// The rounds asked.
    pub rounds: u32,
    /// The nodes that said they lead in the last round.
    pub leaders: Vec<String>,
    /// Nodes that gave no answer in the last round.
    pub silent: Vec<String>,
}

impl Converged {
    /// True when the last round had every node's answer and exactly one leader.
    pub fn ok(&self) -> bool {
        self.leaders.len() == 1 && self.silent.is_empty()
    }
}

/// Status rounds until exactly one node leads and every node answered, or `deadline`.
pub fn status_rounds(
    nodes: &[(String, SocketAddr)],
    recorder: &Recorder,
    timeouts: Timeouts,
    deadline: Instant,
) -> Converged {
    let mut sessions: Vec<Session<'_>> =
        nodes.iter().map(|_| Session::new(recorder, recorder.new_process(), timeouts)).collect();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let answers = round(nodes, &mut sessions, &Request::Status);
        let mut c = Converged { rounds, leaders: Vec::new(), silent: Vec::new() };
        for ((node, _), a) in nodes.iter().zip(&answers) {
            match a {
                Ok(r) if r.ok() && r.is_leader() => c.leaders.push(node.clone()),
                Ok(r) if r.ok() => {}
                _ => c.silent.push(node.clone()),
            }
        }
        if c.ok() || Instant::now() + ROUND_GAP >= deadline {
            return c;
        }
        std::thread::sleep(ROUND_GAP);
    }
}

/// One read of the register through every node.
pub fn final_reads(nodes: &[(String, SocketAddr)], recorder: &Recorder, timeouts: Timeouts) {
    let mut sessions: Vec<Session<'_>> =
        nodes.iter().map(|_| Session::new(recorder, recorder.new_process(), timeouts)).collect();
    round(nodes, &mut sessions, &Request::Read);
}

/// `req` to every node at once, one session each; the outcomes in node order.
fn round(
    nodes: &[(String, SocketAddr)],
    sessions: &mut [Session<'_>],
    req: &Request,
) -> Vec<Result<Reply, ClientError>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = nodes
            .iter()
            .zip(sessions.iter_mut())
            .map(|((node, addr), session)| s.spawn(move || session.call(node, *addr, req)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or(Err(ClientError::Protocol("client thread panicked".into())))
            })
            .collect()
    })
}
