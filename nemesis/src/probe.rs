//! Probes that show what the network really does between nodes: TCP connects and UDP datagrams
//! sent from inside one node's namespace to another. The tests prove the faults with them, the
//! benchmark times them, and a controller may use them as a health check.
//!
//! Neighbours: sockets are opened inside nodes with [`crate::net::Net::run_in`].

use crate::error::{Error, Result};
use crate::net::Net;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
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
    // SAFETY: plain socket calls on a descriptor we own; sockaddr_in is fully initialised.
    unsafe {
        let fd = libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        );
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let owned = OwnedFd::from_raw_fd(fd);
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as libc::sa_family_t;
        sa.sin_port = v4.port().to_be();
        sa.sin_addr.s_addr = u32::from(*v4.ip()).to_be();
        let r = libc::connect(
            fd,
            &sa as *const _ as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_in>() as u32,
        );
        let e = std::io::Error::last_os_error();
        if r < 0 && e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
        Ok(owned)
    }
}

/// True when the connect on `fd` finished without error.
fn connected(fd: &OwnedFd) -> bool {
    let mut err: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: err and len are valid out-pointers of the right size.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            &mut err as *mut _ as *mut libc::c_void,
            &mut len,
        )
    };
    r == 0 && err == 0
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
        let mut polls: Vec<libc::pollfd> = pending
            .iter()
            .map(|(_, _, fd)| libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLOUT,
                revents: 0,
            })
            .collect();
        let ms = deadline.saturating_duration_since(Instant::now()).as_millis().max(1) as i32;
        // SAFETY: polls is a valid array of pollfds.
        unsafe { libc::poll(polls.as_mut_ptr(), polls.len() as libc::nfds_t, ms) };
        for (k, p) in polls.iter().enumerate() {
            done[k] |= p.revents != 0;
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
