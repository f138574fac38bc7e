//! Benchmarks of the link faults: what the switch costs (round trip and packets per second
//! between two nodes, with the kernel's bridge and with the switch carrying the link at no
//! delay), and how exact a delay is (the added latency against the asked one, one way and on
//! the controller's link, as client latency sees it). Prints medians and 99th percentiles.
//!
//! Run: `cargo bench -p splitbrain-nemesis --bench links` (needs root, or user namespaces).
//! Goals on the project's 2-core machine: a delay's added latency within 2 ms of the asked
//! one at the median, within 10 ms at the 99th percentile.

use splitbrain_nemesis::link::{self, LinkFault};
use splitbrain_nemesis::shaper::Spread;
use splitbrain_nemesis::{Net, Sandbox};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let sandbox = Sandbox::enter().expect("sandbox");
    let net = Net::up(&sandbox, 3).expect("net");
    let echo = Echo::start(&net, "n2");
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| echo.serve(&stop));
        overhead(&net, echo.addr);
        accuracy(&net, echo.addr);
        stop.store(true, Ordering::Relaxed);
    });
    println!("rootless: {}", sandbox.rootless());
}

/// A UDP echo server on a node.
struct Echo {
    sock: UdpSocket,
    addr: SocketAddr,
}

impl Echo {
    fn start(net: &Net, node: &str) -> Echo {
        let ip = net.node(node).expect("node").addr;
        let sock = net.run_in(node, || UdpSocket::bind((ip, 7000))).expect("in").expect("bind");
        sock.set_read_timeout(Some(Duration::from_millis(20))).expect("timeout");
        Echo { addr: sock.local_addr().expect("addr"), sock }
    }

    fn serve(&self, stop: &AtomicBool) {
        let mut buf = [0u8; 2048];
        while !stop.load(Ordering::Relaxed) {
            if let Ok((n, from)) = self.sock.recv_from(&mut buf) {
                let _ = self.sock.send_to(&buf[..n], from);
            }
        }
    }
}

fn zero() -> LinkFault {
    LinkFault::Delay { delay: Duration::ZERO, jitter: Duration::ZERO, spread: Spread::Normal }
}

fn delay(ms: u64) -> LinkFault {
    LinkFault::Delay {
        delay: Duration::from_millis(ms),
        jitter: Duration::ZERO,
        spread: Spread::Normal,
    }
}

/// Round trip and packets per second n1 → n2, without and with the switch on both ways.
fn overhead(net: &Net, echo: SocketAddr) {
    let client = client_on(net, Some("n1"));
    for carried in [false, true] {
        if carried {
            link::start(net, &link::between(&["n1"], &["n2"]), zero(), 1).expect("switch");
        }
        let label = if carried { "with the switch" } else { "kernel bridge  " };
        let rtts = ping_pong(&client, echo, 2000);
        let (m, p99) = stats(rtts);
        let pps = blast(net, echo, Duration::from_secs(1));
        println!("n1⇄n2 {label}: round trip median {:.3} ms, p99 {:.3} ms; {pps:.0} packets/s one way (64-byte UDP, sent as fast as one thread can)", m, p99);
        if carried {
            println!("  switch counts [taken, sent, dropped]: {:?}", link::carried(net));
            link::stop(net).expect("stop");
        }
    }
}

/// The added latency of one-way delays (n1 → n2) and of a delay on n2's egress seen from
/// the controller (as a client sees it), against the asked delay.
fn accuracy(net: &Net, echo: SocketAddr) {
    let n1 = client_on(net, Some("n1"));
    let controller = client_on(net, None);
    let base_n1 = stats(ping_pong(&n1, echo, 500)).0;
    let base_c = stats(ping_pong(&controller, echo, 500)).0;
    for ms in [50, 200, 500] {
        link::start(net, &link::one_way(&["n1"], &["n2"]), delay(ms), 7).expect("delay");
        report(&format!("one-way delay n1→n2 of {ms} ms"), &n1, echo, base_n1, ms);
        link::stop(net).expect("stop");
        link::start(net, &link::egress(net, &["n2"]), delay(ms), 7).expect("delay");
        report(
            &format!("n2's egress delay of {ms} ms, from the controller"),
            &controller,
            echo,
            base_c,
            ms,
        );
        link::stop(net).expect("stop");
    }
}

fn report(what: &str, sock: &UdpSocket, echo: SocketAddr, base: f64, asked: u64) {
    let added: Vec<f64> = paced_pings(sock, echo, 600).into_iter().map(|r| r - base).collect();
    let errors: Vec<f64> = added.iter().map(|a| (a - asked as f64).abs()).collect();
    let (m, _) = stats(added);
    let (em, ep99) = stats(errors);
    println!("{what}: added median {m:.2} ms; error median {em:.2} ms, p99 {ep99:.2} ms");
}

fn client_on(net: &Net, node: Option<&str>) -> UdpSocket {
    let bind = || UdpSocket::bind("0.0.0.0:0");
    let sock = match node {
        Some(n) => net.run_in(n, bind).expect("in").expect("bind"),
        None => bind().expect("bind"),
    };
    sock.set_read_timeout(Some(Duration::from_secs(2))).expect("timeout");
    sock
}

/// `n` round trips one after another, in ms.
fn ping_pong(sock: &UdpSocket, to: SocketAddr, n: usize) -> Vec<f64> {
    let mut buf = [0u8; 64];
    (0..n)
        .filter_map(|_| {
            let t = Instant::now();
            sock.send_to(&[0u8; 64], to).ok()?;
            sock.recv(&mut buf).ok()?;
            Some(t.elapsed().as_secs_f64() * 1e3)
        })
        .collect()
}

/// `n` pings 2 ms apart, each carrying its send time; their round trips in ms.
fn paced_pings(sock: &UdpSocket, to: SocketAddr, n: usize) -> Vec<f64> {
    let base = Instant::now();
    let mut out = Vec::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..n {
                let ns = base.elapsed().as_nanos() as u64;
                let _ = sock.send_to(&ns.to_le_bytes(), to);
                std::thread::sleep(
                    (base + Duration::from_millis(2 * i as u64 + 2)) - Instant::now(),
                );
            }
        });
        let mut buf = [0u8; 64];
        while out.len() < n {
            let Ok(8) = sock.recv(&mut buf) else { break };
            let sent = u64::from_le_bytes(buf[..8].try_into().expect("8"));
            out.push((base.elapsed().as_nanos() as u64 - sent) as f64 / 1e6);
        }
    });
    out
}

/// Datagrams per second n1 → n2 that arrive, sending as fast as one thread can for `d`.
fn blast(net: &Net, echo: SocketAddr, d: Duration) -> f64 {
    let ip = net.node("n2").expect("n2").addr;
    let sink = net.run_in("n2", || UdpSocket::bind((ip, 7001))).expect("in").expect("bind");
    sink.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
    let to = SocketAddr::new(echo.ip(), 7001);
    let src = client_on(net, Some("n1"));
    let mut got = 0u64;
    std::thread::scope(|s| {
        s.spawn(|| {
            let end = Instant::now() + d;
            while Instant::now() < end {
                let _ = src.send_to(&[0u8; 64], to);
            }
        });
        let mut buf = [0u8; 64];
        while sink.recv(&mut buf).is_ok() {
            got += 1;
        }
    });
    got as f64 / d.as_secs_f64()
}

/// (median, 99th percentile).
fn stats(mut v: Vec<f64>) -> (f64, f64) {
    assert!(!v.is_empty(), "no samples: the link carried nothing");
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[(v.len() * 99 / 100).min(v.len() - 1)])
}
