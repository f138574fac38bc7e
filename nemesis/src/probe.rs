//! Probes that show what the network really does between nodes: TCP connects and UDP datagrams
//! sent from inside one node's namespace to another. The tests prove the faults with them, the
//! benchmark times them, and a controller may use them as a health check.
//!
//! Neighbours: sockets are opened inside nodes with [`crate::net::Net::run_in`].

use crate::error::{Error, Result};
use crate::net::Net;
use nix::errno::Errno;
use nix::poll::PollFlags;
use nix::sys::socket::{
    connect, getsockopt, socket, sockopt, AddressFamily, SockFlag, SockType, SockaddrIn,
};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

/// For every ordered pair of distinct nodes (from, to): whether the probe got through.
pub type Matrix = BTreeMap<(String, String), bool>;

fn listeners(net: &Net) -> Result<Vec<TcpListener>> {
    net.nodes()
        .iter()
        .map(|n| {
            net.run_in(&n.name, || TcpListener::bind((n.addr, 0)))?
                .map_err(|e| Error::os(format!("listening on {}", n.name), e))
        })
        .collect()
}

/// A non-blocking TCP socket of the current thread's namespace, connecting to `to`.
fn start_connect(to: SocketAddr) -> std::io::Result<OwnedFd> {
    let SocketAddr::V4(v4) = to else { unreachable!("nodes are IPv4") };
    let flags = SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC;
    let fd = socket(AddressFamily::Inet, SockType::Stream, flags, None)?;
    match connect(fd.as_raw_fd(), &SockaddrIn::from(v4)) {
        Ok(()) | Err(Errno::EINPROGRESS) => Ok(fd),
        Err(e) => Err(e.into()),
    }
}

/// True when the connect on `fd` finished without error.
fn connected(fd: &OwnedFd) -> bool {
    getsockopt(fd, sockopt::SocketError).is_ok_and(|e| e == 0)
}

/// Connects from every node to every other at once; a pair that has not connected within
/// `limit` counts as cut.
pub fn tcp_matrix(net: &Net, limit: Duration) -> Result<Matrix> {
    let ls = listeners(net)?;
    let ports: Vec<SocketAddr> = ls.iter().map(|l| l.local_addr().expect("bound")).collect();
    let mut pending = Vec::new();
    for (i, from) in net.nodes().iter().enumerate() {
        let targets: Vec<(usize, SocketAddr)> =
            ports.iter().copied().enumerate().filter(|(j, _)| *j != i).collect();
        let fds = net.run_in(&from.name, || {
            targets
                .iter()
                .map(|(j, a)| start_connect(*a).map(|fd| (i, *j, fd)))
                .collect::<std::io::Result<Vec<_>>>()
        })?;
        pending.extend(fds.map_err(|e| Error::os(format!("connecting from {}", from.name), e))?);
    }
    let deadline = Instant::now() + limit;
    let mut done = vec![false; pending.len()];
    while Instant::now() < deadline && done.iter().any(|d| !d) {
        let fds: Vec<BorrowedFd<'_>> = pending.iter().map(|(_, _, fd)| fd.as_fd()).collect();
        let ready = crate::wait::ready(&fds, PollFlags::POLLOUT, deadline)
            .map_err(|e| Error::os("waiting for connects", e))?;
        for (d, r) in done.iter_mut().zip(ready) {
            *d |= r;
        }
    }
    let names = net.names();
    Ok(pending
        .iter()
        .zip(done)
        .map(|((i, j, fd), d)| ((names[*i].clone(), names[*j].clone()), d && connected(fd)))
        .collect())
}

fn udp_in(net: &Net, node: usize) -> Result<UdpSocket> {
    let n = &net.nodes()[node];
    let s = net
        .run_in(&n.name, || UdpSocket::bind((n.addr, 0)))?
        .map_err(|e| Error::os(format!("opening a UDP socket on {}", n.name), e))?;
    s.set_nonblocking(true).map_err(|e| Error::os("setting a socket non-blocking", e))?;
    Ok(s)
}

/// Drains `s`, counting datagrams by their first byte (the sender's index), until it has been
/// quiet for `quiet`.
fn drain(s: &UdpSocket, counts: &mut [usize], quiet: Duration) {
    let mut last = Instant::now();
    let mut buf = [0u8; 64];
    while last.elapsed() < quiet {
        match s.recv(&mut buf) {
            Ok(n) if n > 0 => {
                if let Some(c) = counts.get_mut(buf[0] as usize) {
                    *c += 1;
                }
                last = Instant::now();
            }
            _ => std::thread::sleep(Duration::from_micros(200)),
        }
    }
}

/// Sends one UDP datagram from every node to every other; a datagram not received after
/// `quiet` without traffic counts as cut. Unlike TCP, this sees one-way cuts one way.
pub fn udp_matrix(net: &Net, quiet: Duration) -> Result<Matrix> {
    let n = net.nodes().len();
    let socks: Vec<UdpSocket> = (0..n).map(|i| udp_in(net, i)).collect::<Result<_>>()?;
    let addrs: Vec<SocketAddr> = socks.iter().map(|s| s.local_addr().expect("bound")).collect();
    for (i, s) in socks.iter().enumerate() {
        for (j, a) in addrs.iter().enumerate() {
            if i != j {
                let _ = s.send_to(&[i as u8], a);
            }
        }
    }
    let names = net.names();
    let mut m = Matrix::new();
    for (j, s) in socks.iter().enumerate() {
        let mut counts = vec![0; n];
        drain(s, &mut counts, quiet);
        for (i, c) in counts.iter().enumerate().filter(|(i, _)| *i != j) {
            m.insert((names[i].clone(), names[j].clone()), *c > 0);
        }
    }
    Ok(m)
}

/// Sends `count` UDP datagrams from node `from` to node `to` (in batches, so the receiver's
/// buffer never overflows) and returns how many arrived.
pub fn udp_count(net: &Net, from: &str, to: &str, count: usize) -> Result<usize> {
    let (a, b) = (udp_in(net, net.index(from)?)?, udp_in(net, net.index(to)?)?);
    let dest = b.local_addr().map_err(|e| Error::os("reading a socket address", e))?;
    let mut counts = vec![0usize; 1];
    for batch in (0..count).collect::<Vec<_>>().chunks(50) {
        for _ in batch {
            let _ = a.send_to(&[0], dest);
        }
        drain(&b, &mut counts, Duration::from_millis(15));
    }
    Ok(counts[0])
}

/// Sends UDP datagrams from `from` to `to` every `every` until one arrives or `limit` passes;
/// returns how long it took (the heal benchmark's measure).
pub fn udp_until_through(
    net: &Net,
    from: &str,
    to: &str,
    every: Duration,
    limit: Duration,
) -> Result<Option<Duration>> {
    let (a, b) = (udp_in(net, net.index(from)?)?, udp_in(net, net.index(to)?)?);
    let dest = b.local_addr().map_err(|e| Error::os("reading a socket address", e))?;
    let start = Instant::now();
    let mut buf = [0u8; 8];
    while start.elapsed() < limit {
        let _ = a.send_to(&[0], dest);
        std::thread::sleep(every);
        if b.recv(&mut buf).is_ok() {
            return Ok(Some(start.elapsed()));
        }
    }
    Ok(None)
}
