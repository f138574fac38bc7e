//! The link-fault scenarios: each measures from the nodes (and the controller) what a link
//! fault does to real traffic.

use splitbrain_nemesis::link::{self, LinkFault};
use splitbrain_nemesis::partition::{self, Grudge};
use splitbrain_nemesis::shaper::Spread;
use splitbrain_nemesis::{heal, Net};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

type Check = Result<(), String>;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

fn delay(ms: u64) -> LinkFault {
    LinkFault::Delay {
        delay: Duration::from_millis(ms),
        jitter: Duration::ZERO,
        spread: Spread::Normal,
    }
}

/// A UDP socket on `node` (or in the controller's namespace for `None`).
fn udp(net: &Net, node: Option<&str>, port: u16) -> Result<UdpSocket, String> {
    let ip = node.map_or(net.controller_addr(), |n| net.node(n).expect("node").addr);
    let bind = || UdpSocket::bind((ip, port));
    let s = match node {
        Some(n) => ok(net.run_in(n, bind), "entering")?,
        None => bind(),
    };
    let s = ok(s, "bind")?;
    ok(s.set_read_timeout(Some(Duration::from_millis(50))), "timeout")?;
    Ok(s)
}

/// Runs `f` while `server` echoes every datagram back.
fn with_echo<T: Send>(server: &UdpSocket, f: impl FnOnce() -> T + Send) -> T {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut buf = [0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                if let Ok((n, from)) = server.recv_from(&mut buf) {
                    let _ = server.send_to(&buf[..n], from);
                }
            }
        });
        let out = f();
        stop.store(true, Ordering::Relaxed);
        out
    })
}

/// The median round trip (ms) of 20 pings 5 ms apart; `None` when fewer than 15 came back.
fn median_rtt(client: &UdpSocket, to: SocketAddr) -> Option<f64> {
    let mut rtts = Vec::new();
    let mut buf = [0u8; 16];
    for i in 0u64..20 {
        let t = Instant::now();
        let _ = client.send_to(&i.to_le_bytes(), to);
        let deadline = t + Duration::from_millis(1500);
        while Instant::now() < deadline {
            if matches!(client.recv(&mut buf), Ok(8) if buf[..8] == i.to_le_bytes()) {
                rtts.push(t.elapsed().as_secs_f64() * 1e3);
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    rtts.sort_by(f64::total_cmp);
    (rtts.len() >= 15).then(|| rtts[rtts.len() / 2])
}

fn within(what: &str, got: Option<f64>, want: f64, tol: f64) -> Check {
    match got {
        Some(g) if (g - want).abs() <= tol => Ok(()),
        _ => Err(format!("{what}: round trip {got:?} ms, want {want} ± {tol}")),
    }
}

/// A one-way delay adds to one direction only; a node's egress delay shows from the
/// controller (client latency); a partition still cuts a delayed link; stop ends it.
pub fn delays(net: &Net) -> Check {
    let echo = udp(net, Some("n2"), 7100)?;
    let to = echo.local_addr().expect("addr");
    let (n1, n3, ctl) = (udp(net, Some("n1"), 0)?, udp(net, Some("n3"), 0)?, udp(net, None, 0)?);
    with_echo(&echo, || {
        within("no fault", median_rtt(&n1, to), 0.0, 5.0)?;
        let ev = ok(link::start(net, &link::one_way(&["n1"], &["n2"]), delay(100), 3), "start")?;
        if ev.f != "start-delay"
            || ev.value["delay_ms"] != 100.0
            || ev.value["nodes"][0] != "n1"
            || ev.value["links"][0][1] != "n2"
        {
            return Err(format!("start record {ev:?}"));
        }
        within("n1→n2 delayed 100 ms one way", median_rtt(&n1, to), 100.0, 5.0)?;
        within("n3, not faulted", median_rtt(&n3, to), 0.0, 5.0)?;
        ok(link::stop(net), "stop")?;
        ok(link::start(net, &link::egress(net, &["n2"]), delay(80), 3), "egress")?;
        within("n2's egress delayed 80 ms, from the controller", median_rtt(&ctl, to), 80.0, 5.0)?;
        let cut = Grudge([("n2".to_string(), ["n1".to_string()].into())].into());
        ok(partition::apply(net, cut), "partition")?;
        if median_rtt(&n1, to).is_some() {
            return Err("a partition did not cut a delayed link".into());
        }
        ok(partition::heal(net), "heal")?;
        within("n1 after the heal, n2 still delayed", median_rtt(&n1, to), 80.0, 5.0)?;
        let fs: Vec<&str> = ok(heal::all(net), "heal all")?.iter().map(|e| e.f).collect();
        if fs != ["stop-delay"] || link::in_force(net) {
            return Err(format!("heal-all gave {fs:?}"));
        }
        within("after heal-all", median_rtt(&ctl, to), 0.0, 5.0)
    })
}

/// Datagrams numbered 0…n-1 sent from n1 to n2 `gap` apart; the numbers in arrival order.
fn arrivals(net: &Net, n: u32, size: usize, gap: Duration) -> Result<Vec<(u32, Instant)>, String> {
    let (tx, rx) = (udp(net, Some("n1"), 0)?, udp(net, Some("n2"), 7101)?);
    let to = rx.local_addr().expect("addr");
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..n {
                let mut d = vec![0u8; size];
                d[..4].copy_from_slice(&i.to_le_bytes());
                let _ = tx.send_to(&d, to);
                std::thread::sleep(gap);
            }
        });
        let mut got = Vec::new();
        let mut buf = vec![0u8; 2048];
        let mut quiet = Instant::now();
        while quiet.elapsed() < Duration::from_millis(1500) {
            if let Ok(k) = rx.recv(&mut buf) {
                got.push((u32::from_le_bytes(buf[..4].try_into().expect("4")), Instant::now()));
                quiet = Instant::now();
                let _ = k;
            }
        }
        Ok(got)
    })
}

/// Reordering sends some datagrams ahead of earlier ones; duplication delivers some twice;
/// a bandwidth cap spaces them at its rate.
pub fn reorder_duplicate_slow(net: &Net) -> Check {
    let n1n2 = link::one_way(&["n1"], &["n2"]);
    let fault = LinkFault::Reorder { delay: Duration::from_millis(30), share: 0.3 };
    ok(link::start(net, &n1n2, fault, 9), "reorder")?;
    let got = arrivals(net, 200, 64, Duration::from_millis(1))?;
    ok(link::stop(net), "stop")?;
    let overtaken = got.windows(2).filter(|w| w[1].0 < w[0].0).count();
    if got.len() != 200 || !(10..=120).contains(&overtaken) {
        return Err(format!("reorder 30%: {} of 200 arrived, {overtaken} out of order", got.len()));
    }
    ok(link::start(net, &n1n2, LinkFault::Duplicate { share: 0.5 }, 9), "duplicate")?;
    let got = arrivals(net, 400, 64, Duration::from_micros(500))?;
    ok(link::stop(net), "stop")?;
    if !(520..=680).contains(&got.len()) {
        return Err(format!("duplicate 50%: {} arrived of 400 sent (want ~600)", got.len()));
    }
    ok(link::start(net, &n1n2, LinkFault::Slow { rate: 800_000 }, 9), "slow")?;
    let got = arrivals(net, 50, 1000, Duration::ZERO)?;
    ok(link::stop(net), "stop")?;
    let spread = match (got.first(), got.last()) {
        (Some(a), Some(b)) if got.len() == 50 => (b.1 - a.1).as_secs_f64(),
        _ => return Err(format!("slow: {} of 50 arrived", got.len())),
    };
    // 49 frames of 1042 bytes after the first at 800 kbit/s: 0.51 s.
    if !(0.45..0.65).contains(&spread) {
        return Err(format!(
            "slow 800 kbit/s: 50 datagrams of 1000 bytes spread over {spread:.3} s"
        ));
    }
    Ok(())
}

/// Impossible link faults are refused with a one-line error the user can act on.
pub fn bad_links(net: &Net) -> Check {
    let errs = [
        link::start(net, &[("n1", "n9")], delay(10), 0),
        link::start(net, &[("n1", "n1")], delay(10), 0),
        link::start(net, &[("n1", "n2")], delay(60_000), 0),
        link::start(net, &[("n1", "n2")], LinkFault::Duplicate { share: 1.5 }, 0),
        link::start(net, &[("n1", "n2")], LinkFault::Slow { rate: 10 }, 0),
    ];
    for (i, e) in errs.into_iter().enumerate() {
        let e = e.err().ok_or(format!("bad link fault #{i} was accepted"))?;
        if e.to_string().contains('\n') || !e.is_bad_input() {
            return Err(format!("bad link fault #{i}: {e} (bad input: {})", e.is_bad_input()));
        }
    }
    match link::in_force(net) {
        true => Err("a refused link fault is in force".into()),
        false => Ok(()),
    }
}
