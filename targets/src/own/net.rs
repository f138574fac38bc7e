//! The peer network of the own electors: UDP datagrams between the nodes, on the same address
//! and port number as the client protocol's TCP listener (TCP and UDP ports are separate, so
//! `--listen 10.0.0.2:7000` means clients on TCP 7000 and peers on UDP 7000).
//!
//! Neighbours: [`super::driver`] sends what a machine asks and feeds it what arrives.
//!
//! Design: election messages are small, idempotent and resent by the protocols' own timers
//! (heartbeats, retried votes), so datagrams fit them: a partition drops them like any packet,
//! no connection outlives a fault, and a send never blocks. Each datagram is one JSON envelope
//! `{"from":"n1","to":"n2","msg":{…}}`; one addressed to another name is dropped, so a stray
//! node of an earlier run on a reused address cannot take part.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Mutex;
use std::time::Duration;

/// How long a receive waits before looking at the stop flag again.
const POLL: Duration = Duration::from_millis(50);

#[derive(Serialize)]
struct Outgoing<'a, M> {
    from: &'a str,
    to: &'a str,
    msg: &'a M,
}

#[derive(Deserialize)]
struct Incoming<M> {
    from: String,
    to: String,
    msg: M,
}

/// A bound UDP socket and the address of every peer.
#[derive(Debug)]
pub struct PeerNet {
    me: String,
    socket: UdpSocket,
    peers: BTreeMap<String, SocketAddr>,
    failing: Mutex<BTreeSet<String>>,
}

impl PeerNet {
    /// Binds UDP on `listen` for node `me`; `peers` names every node's address (this one's too).
    pub fn bind(me: &str, listen: SocketAddr, peers: &[(String, SocketAddr)]) -> io::Result<Self> {
        let socket = UdpSocket::bind(listen)?;
        socket.set_read_timeout(Some(POLL))?;
        let peers = peers.iter().filter(|(n, _)| n != me).cloned().collect();
        Ok(PeerNet { me: me.to_string(), socket, peers, failing: Mutex::default() })
    }

    /// Sends `msg` to `to`. A failure (no route, a partition's reject rule) is logged once per
    /// peer until a send to it succeeds again, and otherwise ignored: the protocols resend.
    pub fn send<M: Serialize>(&self, to: &str, msg: &M) {
        let Some(addr) = self.peers.get(to) else {
            eprintln!("splitbrain-node: no address for peer {to}");
            return;
        };
        let envelope = Outgoing { from: &self.me, to, msg };
        let bytes = serde_json::to_vec(&envelope).expect("messages serialize");
        let sent = self.socket.send_to(&bytes, addr);
        let mut failing = self.failing.lock().unwrap_or_else(|p| p.into_inner());
        match sent {
            Ok(_) => {
                failing.remove(to);
            }
            Err(e) if failing.insert(to.to_string()) => {
                eprintln!("splitbrain-node: send to {to} at {addr} failed: {e}")
            }
            Err(_) => {}
        }
    }

    /// Receives while `running()` holds (it is asked at least every 50 ms), handing each
    /// well-formed message addressed to this node to `deliver` with its sender's name; returns
    /// early when `deliver` returns false.
    pub fn receive_loop<M: DeserializeOwned>(
        &self,
        running: impl Fn() -> bool,
        mut deliver: impl FnMut(String, M) -> bool,
    ) {
        let mut buf = vec![0u8; 64 * 1024];
        while running() {
            let Ok((n, _)) = self.socket.recv_from(&mut buf) else { continue };
            match serde_json::from_slice::<Incoming<M>>(&buf[..n]) {
                Ok(e) if e.to == self.me && self.peers.contains_key(&e.from) => {
                    if !deliver(e.from, e.msg) {
                        return;
                    }
                }
                Ok(e) => {
                    eprintln!("splitbrain-node: dropped a message from {} to {}", e.from, e.to)
                }
                Err(e) => eprintln!("splitbrain-node: dropped a malformed datagram: {e}"),
            }
        }
    }
}
