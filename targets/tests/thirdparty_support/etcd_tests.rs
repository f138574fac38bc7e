//! etcd's election API on a real 3-member cluster on loopback.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use libtest_mimic::Trial;
use splitbrain_targets::thirdparty::etcd::{EtcdElector, EtcdOptions};
use splitbrain_targets::thirdparty::etcd_launch::{EtcdCluster, LocalEtcd};
use splitbrain_targets::thirdparty::{ThirdPartyElector, Token};

use super::{ensure, fail, next, Scratch};

pub fn trials() -> Vec<Trial> {
    vec![crate::needs(
        "etcd",
        "etcd_three_members_elect_one_of_three_candidates_and_resign_hands_over_with_a_higher_revision",
        elect_and_hand_over,
    )]
}

/// What a candidate thread tells the test: who won, the token, the lease.
type Won = (String, Token, i64);

fn elect_and_hand_over() -> Result<(), String> {
    let scratch = Scratch::new("etcd-election");
    let cluster = EtcdCluster::loopback(3, scratch.path()).map_err(fail)?;
    let etcd = LocalEtcd::start(cluster, Duration::from_secs(20)).map_err(fail)?;
    let endpoints = etcd.cluster.client_endpoints();
    let stop = AtomicBool::new(false);
    let resign: Vec<AtomicBool> = (0..3).map(|_| AtomicBool::new(false)).collect();
    let (won_tx, won) = mpsc::channel::<Won>();
    let (lost_tx, lost) = mpsc::channel::<(String, String)>();
    std::thread::scope(|s| {
        for i in 0..3 {
            let (won_tx, lost_tx) = (won_tx.clone(), lost_tx.clone());
            let (stop, resign, endpoints) = (&stop, &resign[i], endpoints.clone());
            s.spawn(move || {
                candidate(&format!("n{}", i + 1), endpoints, stop, resign, won_tx, lost_tx)
            });
        }
        let checked = check_handover(&endpoints, &won, &lost, &resign);
        stop.store(true, Ordering::SeqCst);
        checked
    })
}

fn candidate(
    id: &str,
    endpoints: Vec<String>,
    stop: &AtomicBool,
    resign: &AtomicBool,
    won: mpsc::Sender<Won>,
    lost: mpsc::Sender<(String, String)>,
) {
    let Ok(mut e) = EtcdElector::new(id, EtcdOptions::new(endpoints)) else { return };
    let give_up = || stop.load(Ordering::SeqCst);
    while !give_up() {
        let Ok(Some(token)) = e.campaign(Duration::from_secs(10), &give_up) else { continue };
        let lease = e.leader_key().map(|k| k.lease()).unwrap_or_default();
        let _ = won.send((id.into(), token, lease));
        while !give_up() && !resign.load(Ordering::SeqCst) {
            if let Some(reason) = e.wait_lost(Duration::from_millis(20)) {
                let _ = lost.send((id.into(), reason));
                break;
            }
        }
        if resign.load(Ordering::SeqCst) {
            let _ = e.resign();
            return;
        }
    }
    let _ = e.resign();
}

fn check_handover(
    endpoints: &[String],
    won: &mpsc::Receiver<Won>,
    lost: &mpsc::Receiver<(String, String)>,
    resign: &[AtomicBool],
) -> Result<(), String> {
    let (first, t1, _) = next(won, Duration::from_secs(10), "first leader")?;
    // Held past the 2 s TTL: the keep-alives work, and nobody else is elected meanwhile.
    ensure(
        won.recv_timeout(Duration::from_secs(3)).is_err(),
        "a second leader while the first held its lease",
    )?;
    ensure(lost.try_recv().is_err(), "the first leader lost its lease while keeping it alive")?;
    let (who, held) = leader(endpoints)?;
    ensure(
        who == first && held == t1,
        format!("etcd says {who} leads under {held:?}; {first} claimed {t1:?}"),
    )?;
    resign[index(&first)].store(true, Ordering::SeqCst);
    let (second, t2, lease2) = next(won, Duration::from_secs(5), "leader after resign")?;
    ensure(second != first, "the resigned candidate was elected again")?;
    ensure(t2 > t1, format!("token after resign {t2:?} is not above {t1:?}"))?;
    revoke_behind_its_back(endpoints, lease2)?;
    let (who, reason) = next(lost, Duration::from_secs(3), "loss after the lease was revoked")?;
    ensure(who == second, format!("{who} reported a loss, not {second}"))?;
    ensure(reason.starts_with("lease-expired") || reason.starts_with("other-leader"), reason)?;
    let (third, t3, _) = next(won, Duration::from_secs(5), "leader after revoke")?;
    ensure(third != first && third != second, format!("{third} won again"))?;
    ensure(t3 > t2, format!("token after revoke {t3:?} is not above {t2:?}"))
}

fn index(id: &str) -> usize {
    id.trim_start_matches('n').parse::<usize>().unwrap_or(1) - 1
}

fn leader(endpoints: &[String]) -> Result<(String, Token), String> {
    let probe = EtcdElector::new("probe", EtcdOptions::new(endpoints.to_vec())).map_err(fail)?;
    let confirmer = probe.confirmer().map_err(fail)?;
    confirmer
        .leader(Duration::from_secs(2))
        .map_err(fail)?
        .ok_or_else(|| "etcd names no leader".into())
}

/// Revokes a lease as an operator (or an expiry) would, without the holder knowing.
fn revoke_behind_its_back(endpoints: &[String], lease: i64) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(fail)?;
    let started = Instant::now();
    rt.block_on(async {
        let mut c = etcd_client::Client::connect(endpoints, None).await.map_err(fail)?;
        c.lease_revoke(lease).await.map_err(fail).map(drop)
    })?;
    ensure(started.elapsed() < Duration::from_secs(5), "revoke took too long")
}
