//! client-go's lease election on a real etcd (one member: the record needs no more).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use libtest_mimic::Trial;
use splitbrain_targets::thirdparty::etcd_launch::{EtcdCluster, LocalEtcd};
use splitbrain_targets::thirdparty::k8s_lease::{K8sLeaseElector, K8sLeaseOptions};
use splitbrain_targets::thirdparty::{ThirdPartyElector, Token};

use super::{ensure, fail, next, Scratch};

pub fn trials() -> Vec<Trial> {
    vec![crate::needs(
        "etcd",
        "k8s_lease_elects_one_and_hands_over_one_lease_duration_after_the_holder_stops_renewing",
        elect_and_expire,
    )]
}

fn elect_and_expire() -> Result<(), String> {
    let scratch = Scratch::new("k8s-lease");
    let cluster = EtcdCluster::loopback(1, scratch.path()).map_err(fail)?;
    let etcd = LocalEtcd::start(cluster, Duration::from_secs(20)).map_err(fail)?;
    let opts = K8sLeaseOptions::new(etcd.cluster.client_endpoints());
    let stop = AtomicBool::new(false);
    let crash: Vec<AtomicBool> = (0..3).map(|_| AtomicBool::new(false)).collect();
    let (won_tx, won) = mpsc::channel::<(usize, Token, Instant)>();
    std::thread::scope(|s| {
        for (i, crash) in crash.iter().enumerate() {
            let (won_tx, opts, stop) = (won_tx.clone(), opts.clone(), &stop);
            s.spawn(move || candidate(i, opts, stop, crash, won_tx));
        }
        let checked = check(&opts, &won, &crash);
        stop.store(true, Ordering::SeqCst);
        checked
    })
}

/// Campaigns and leads; when `crash` is raised while leading, stops renewing without releasing
/// (the elector is dropped, as a killed process would vanish), and leaves the election.
fn candidate(
    i: usize,
    opts: K8sLeaseOptions,
    stop: &AtomicBool,
    crash: &AtomicBool,
    won: mpsc::Sender<(usize, Token, Instant)>,
) {
    let Ok(mut e) = K8sLeaseElector::new(&format!("n{}", i + 1), opts) else { return };
    let give_up = || stop.load(Ordering::SeqCst);
    while !give_up() {
        let Ok(Some(token)) = e.campaign(Duration::from_secs(10), &give_up) else { continue };
        let _ = won.send((i, token, Instant::now()));
        while !give_up()
            && !crash.load(Ordering::SeqCst)
            && e.wait_lost(Duration::from_millis(20)).is_none()
        {}
        if crash.load(Ordering::SeqCst) {
            return drop(e);
        }
    }
    let _ = e.resign();
}

fn check(
    opts: &K8sLeaseOptions,
    won: &mpsc::Receiver<(usize, Token, Instant)>,
    crash: &[AtomicBool],
) -> Result<(), String> {
    let (first, t1, _) = next(won, Duration::from_secs(5), "first holder")?;
    ensure(t1 == Some(0), format!("the first holder's leaderTransitions is {t1:?}, not 0"))?;
    let hold = 2 * opts.lease_duration;
    ensure(won.recv_timeout(hold).is_err(), "a second holder while the first kept renewing")?;
    crash[first].store(true, Ordering::SeqCst);
    let stopped = Instant::now();
    let (second, t2, at) =
        next(won, Duration::from_secs(6), "holder after the first stopped renewing")?;
    let waited = at.duration_since(stopped);
    ensure(second != first, "the stopped holder came back")?;
    ensure(t2 == Some(1), format!("one change of holder must count one transition, got {t2:?}"))?;
    // The others saw the record change until the crash, then waited a lease duration (less at
    // most one retry period they had already slept).
    let earliest = opts.lease_duration - opts.retry_period.mul_f64(2.2);
    ensure(
        waited >= earliest,
        format!("taken over after {waited:?}, before the lease could pass"),
    )?;
    ensure(waited <= opts.lease_duration * 3, format!("taken over only after {waited:?}"))
}
