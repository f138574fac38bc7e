//! Benchmarks of the sandbox: how long until N nodes are up and reachable (a fresh process per
//! run, timed from spawn to "every node answers the controller"), and how long a partition and
//! a heal take from the call to the moment a probe sees them. Prints medians.
//!
//! Run: `cargo bench -p splitbrain-nemesis --bench sandbox` (needs root, or user namespaces).
//! Goals on the project's 2-core machine: 5 nodes < 1 s, 25 nodes < 5 s, partition and heal
//! < 20 ms for 5 nodes.

use rand::SeedableRng;
use splitbrain_nemesis::partition::{self, Shape};
use splitbrain_nemesis::{Net, Sandbox};
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() {
    if let Ok(n) = std::env::var("SB_BENCH_UP") {
        let sandbox = Sandbox::enter().expect("sandbox");
        let _net = Net::up(&sandbox, n.parse().expect("count")).expect("net");
        println!("READY");
        return;
    }
    if std::env::var("SB_BENCH_FAULTS").is_ok() {
        faults();
        return;
    }
    for (n, runs) in [(5, 9), (25, 5)] {
        let times: Vec<f64> = (0..runs).map(|_| up_once(n)).collect();
        report(&format!("sandbox with {n} nodes up and reachable"), times);
    }
    let st = Command::new(std::env::current_exe().expect("exe"))
        .env("SB_BENCH_FAULTS", "1")
        .status()
        .expect("faults child");
    assert!(st.success(), "fault benchmark failed");
}

fn report(what: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let shown: Vec<String> = ms.iter().map(|t| format!("{t:.1}")).collect();
    println!(
        "{what}: median {:.1} ms over {} runs (sorted: {})",
        ms[ms.len() / 2],
        ms.len(),
        shown.join(" ")
    );
}

/// Spawn → READY of a child that enters a sandbox and builds `n` nodes, in ms.
fn up_once(n: usize) -> f64 {
    let t = Instant::now();
    let mut c = Command::new(std::env::current_exe().expect("exe"))
        .env("SB_BENCH_UP", n.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let line = BufReader::new(c.stdout.take().expect("piped")).lines().next().and_then(|l| l.ok());
    let ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(line.as_deref(), Some("READY"), "the sandbox did not come up");
    c.wait().expect("wait");
    ms
}

/// Partition and heal of 5 nodes, timed by a stream of UDP datagrams from n2 to n1, each
/// carrying its send time: the cut is seen by the last datagram that still arrives, the heal by
/// the first one that arrives again.
fn faults() {
    let sandbox = Sandbox::enter().expect("sandbox");
    let net = Net::up(&sandbox, 5).expect("net");
    let rx = net.run_in("n1", || UdpSocket::bind("10.99.0.1:0")).expect("n1").expect("bind");
    let tx = net.run_in("n2", || UdpSocket::bind("10.99.0.2:0")).expect("n2").expect("bind");
    rx.set_read_timeout(Some(Duration::from_millis(5))).expect("timeout");
    let dest = rx.local_addr().expect("addr");
    let base = Instant::now();
    let ns = || base.elapsed().as_nanos() as u64;
    let (stop, last, mark, first) =
        (AtomicBool::new(false), AtomicU64::new(0), AtomicU64::new(u64::MAX), AtomicU64::new(0));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let (mut calls, mut cuts, mut heal_calls, mut heals) = (vec![], vec![], vec![], vec![]);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let _ = tx.send_to(&ns().to_le_bytes(), dest);
                std::thread::sleep(Duration::from_micros(100));
            }
        });
        s.spawn(|| {
            let mut buf = [0u8; 8];
            while !stop.load(Ordering::Relaxed) {
                if let Ok(8) = rx.recv(&mut buf) {
                    let sent = u64::from_le_bytes(buf);
                    last.fetch_max(sent, Ordering::Relaxed);
                    if sent > mark.load(Ordering::Relaxed) {
                        let _ =
                            first.compare_exchange(0, sent, Ordering::Relaxed, Ordering::Relaxed);
                    }
                }
            }
        });
        for _ in 0..21 {
            std::thread::sleep(Duration::from_millis(20));
            let t0 = ns();
            partition::start(&net, &Shape::Isolate(Some("n1".into())), &mut rng)
                .expect("partition");
            calls.push((ns() - t0) as f64 / 1e6);
            std::thread::sleep(Duration::from_millis(30));
            cuts.push(last.load(Ordering::Relaxed).saturating_sub(t0) as f64 / 1e6);
            first.store(0, Ordering::Relaxed);
            let t1 = ns();
            mark.store(t1, Ordering::Relaxed);
            partition::heal(&net).expect("heal");
            heal_calls.push((ns() - t1) as f64 / 1e6);
            let deadline = Instant::now() + Duration::from_secs(2);
            while first.load(Ordering::Relaxed) == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(50));
            }
            heals.push(first.load(Ordering::Relaxed).saturating_sub(t1) as f64 / 1e6);
            mark.store(u64::MAX, Ordering::Relaxed);
        }
        stop.store(true, Ordering::Relaxed);
    });
    report("partition (isolate n1 of 5): the call", calls);
    report("partition: from the call to the last datagram that got through", cuts);
    report("heal: the call", heal_calls);
    report("heal: from the call to the first datagram through again", heals);
}
