//! The Redis lease recipes on a real redis-server on loopback.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use libtest_mimic::Trial;
use splitbrain_targets::seat::Seat;
use splitbrain_targets::stop::Stop;
use splitbrain_targets::thirdparty::adapter::Hosted;
use splitbrain_targets::thirdparty::redis::{Recipe, RedisElector, RedisOptions};
use splitbrain_targets::thirdparty::redis_launch::{LocalRedis, RedisServer};
use splitbrain_targets::thirdparty::ThirdPartyElector;
use splitbrain_targets::Elector;

use super::{ensure, fail, next, Scratch};

pub fn trials() -> Vec<Trial> {
    let t = |name, f| crate::needs("redis-server", name, f);
    vec![
        t("redis_naive_elects_exactly_one_of_three", || one_of_three(Recipe::Naive)),
        t("redis_cas_elects_exactly_one_of_three", || one_of_three(Recipe::Cas)),
        t(
            "redis_naive_renewal_overwrites_the_key_of_the_holder_that_replaced_it",
            naive_overwrites,
        ),
        t("redis_cas_refuses_to_renew_a_key_it_no_longer_owns_and_tokens_rise", cas_refuses),
        t("a_hosted_redis_cas_candidate_reports_elected_then_stepdown_on_stop", hosted_reports),
        t(
            "a_forward_clock_bump_on_the_shimmed_server_hands_a_live_cas_lease_to_another",
            clock_bump,
        ),
    ]
}

fn start(name: &str) -> Result<(Scratch, LocalRedis), String> {
    let scratch = Scratch::new(name);
    let server = RedisServer::loopback(scratch.path()).map_err(fail)?;
    let redis = LocalRedis::start(server, &[], Duration::from_secs(10)).map_err(fail)?;
    Ok((scratch, redis))
}

fn elector(redis: &LocalRedis, id: &str, recipe: Recipe) -> Result<RedisElector, String> {
    RedisElector::new(id, recipe, RedisOptions::new(&redis.server.url())).map_err(fail)
}

fn raw(redis: &LocalRedis) -> Result<redis::Connection, String> {
    let client = redis::Client::open(redis.server.url()).map_err(fail)?;
    client.get_connection_with_timeout(Duration::from_secs(2)).map_err(fail)
}

fn never(_: ()) -> bool {
    false
}

fn one_of_three(recipe: Recipe) -> Result<(), String> {
    let (_scratch, redis) = start(&format!("redis-one-{recipe:?}"))?;
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        for i in 1..=3 {
            let (tx, stop) = (tx.clone(), &stop);
            let mut e = elector(&redis, &format!("n{i}"), recipe)?;
            s.spawn(move || {
                let give_up = || stop.load(Ordering::SeqCst);
                while !give_up() {
                    if let Ok(Some(token)) = e.campaign(Duration::from_millis(300), &give_up) {
                        let _ = tx.send((i, token));
                        while !give_up() && e.wait_lost(Duration::from_millis(50)).is_none() {}
                    }
                }
                let _ = e.resign();
            });
        }
        let first = next(&rx, Duration::from_secs(3), "a leader");
        // Three TTLs: renewals keep the one lease, nobody else acquires.
        let second = rx.recv_timeout(Duration::from_secs(3));
        stop.store(true, Ordering::SeqCst);
        let (_, token) = first?;
        ensure(second.is_err(), format!("a second leader: {second:?}"))?;
        let want = if recipe == Recipe::Cas { Some(1) } else { None };
        ensure(token == want, format!("first token {token:?}, want {want:?}"))
    })
}

/// Ends a holder's key early, as a forward clock jump on the server or a long pause would.
fn expire_now(redis: &LocalRedis) -> Result<(), String> {
    let mut con = raw(redis)?;
    redis::cmd("PEXPIRE").arg("splitbrain:leader").arg(1).query::<i64>(&mut con).map_err(fail)?;
    std::thread::sleep(Duration::from_millis(20));
    Ok(())
}

fn holder(redis: &LocalRedis) -> Result<Option<String>, String> {
    redis::cmd("GET").arg("splitbrain:leader").query(&mut raw(redis)?).map_err(fail)
}

fn naive_overwrites() -> Result<(), String> {
    let (_scratch, redis) = start("redis-naive-bug")?;
    let (mut a, mut b) =
        (elector(&redis, "a", Recipe::Naive)?, elector(&redis, "b", Recipe::Naive)?);
    let won_a = a.campaign(Duration::from_secs(1), &|| never(())).map_err(fail)?;
    ensure(won_a == Some(None), "a did not acquire the free key")?;
    expire_now(&redis)?;
    let won_b = b.campaign(Duration::from_secs(1), &|| never(())).map_err(fail)?;
    ensure(won_b == Some(None), "b did not acquire the expired key")?;
    // a's next renewal (every ttl/3) runs `SET key a XX PX ttl`: it succeeds over b's key.
    std::thread::sleep(Duration::from_millis(600));
    let notes = a.notes();
    ensure(
        notes.iter().any(|n| n.f == "renew" && n.value["overwrote"] == "b"),
        format!("a's notes: {notes:?}"),
    )?;
    ensure(
        a.lost().is_none() && b.lost().is_none(),
        "both must still believe they lead: that is the bug",
    )?;
    let now = holder(&redis)?;
    ensure(now.is_some(), "the key vanished")?;
    let _ = (a.resign(), b.resign());
    Ok(())
}

fn cas_refuses() -> Result<(), String> {
    let (_scratch, redis) = start("redis-cas-refuses")?;
    let (mut a, mut b) = (elector(&redis, "a", Recipe::Cas)?, elector(&redis, "b", Recipe::Cas)?);
    let t1 = a.campaign(Duration::from_secs(1), &|| never(())).map_err(fail)?;
    expire_now(&redis)?;
    let t2 = b.campaign(Duration::from_secs(1), &|| never(())).map_err(fail)?;
    ensure(
        t1 == Some(Some(1)) && t2 == Some(Some(2)),
        format!("tokens {t1:?} then {t2:?}, want 1 then 2"),
    )?;
    let reason = a.wait_lost(Duration::from_secs(1)).ok_or("a never noticed it lost the key")?;
    ensure(reason.starts_with("renewal-refused"), format!("a stepped down for {reason}"))?;
    ensure(holder(&redis)? == Some("b".into()), "a's renewal touched b's key")?;
    ensure(b.lost().is_none(), "b lost its lease")?;
    a.resign().map_err(fail)?;
    ensure(holder(&redis)? == Some("b".into()), "a's release deleted b's key")?;
    b.resign().map_err(fail)?;
    ensure(holder(&redis)?.is_none(), "b's release left the key")?;
    let t3 = a.campaign(Duration::from_secs(1), &|| never(())).map_err(fail)?;
    ensure(t3 == Some(Some(3)), format!("the third acquisition's token is {t3:?}, want 3"))
}

fn hosted_reports() -> Result<(), String> {
    let (_scratch, redis) = start("redis-hosted")?;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let seat = Seat::new("n1", Box::new(move |r| sink.lock().unwrap().push(r.to_json())));
    let hosted = Hosted::new("n1", Box::new(elector(&redis, "n1", Recipe::Cas)?)).map_err(fail)?;
    let stop = Stop::new();
    let ran = std::thread::scope(|s| {
        let run = s.spawn(|| hosted.run(&seat, &stop));
        let mut led = false;
        for _ in 0..100 {
            if seat.tenure().is_some() {
                led = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let confirmed = hosted.confirm(Some(1), std::time::Instant::now() + Duration::from_secs(1));
        stop.stop();
        let ran = run.join().map_err(|_| "run panicked".to_string())?;
        ensure(led, "no tenure within 2 s")?;
        ensure(confirmed.is_ok(), format!("confirm: {confirmed:?}"))?;
        ran.map_err(fail)
    });
    ran?;
    let lines = lines.lock().unwrap().clone();
    let fs: Vec<String> = lines.iter().map(|l| l["f"].as_str().unwrap_or("").to_string()).collect();
    ensure(fs == ["elected", "stepdown"], format!("reports: {lines:?}"))?;
    ensure(
        lines[0]["value"]["token"] == 1 && lines[1]["value"]["reason"] == "shutdown",
        format!("{lines:?}"),
    )?;
    ensure(holder(&redis)?.is_none(), "the key outlived the resignation")
}

/// The clock shim hook: redis-server started with the shim's environment; a forward bump of
/// its clock expires the key at once, a second candidate acquires it (under a higher token)
/// while the first still believes it leads, until its next renewal is refused.
fn clock_bump() -> Result<(), String> {
    use splitbrain_nemesis::clock::{install_shim, ClockFile, ClockState, ENV_FILE};
    let scratch = Scratch::new("redis-clock");
    let shim = install_shim(scratch.path()).map_err(fail)?;
    let mut clock = ClockFile::create(&scratch.path().join("clock-n1")).map_err(fail)?;
    let env = [
        ("LD_PRELOAD".to_string(), shim.display().to_string()),
        (ENV_FILE.to_string(), clock.path().display().to_string()),
    ];
    let server = RedisServer::loopback(scratch.path()).map_err(fail)?;
    let redis = LocalRedis::start(server, &env, Duration::from_secs(10)).map_err(fail)?;
    let mut opts = RedisOptions::new(&redis.server.url());
    opts.ttl = Duration::from_secs(6); // renewals every 2 s: the bump lands between two
    let mut a = RedisElector::new("a", Recipe::Cas, opts.clone()).map_err(fail)?;
    let mut b = RedisElector::new("b", Recipe::Cas, opts).map_err(fail)?;
    ensure(
        a.campaign(Duration::from_secs(1), &|| never(())).map_err(fail)? == Some(Some(1)),
        "a leads",
    )?;
    let before = server_time(&redis)?;
    clock.set(ClockState { offset_ns: 30_000_000_000, ..ClockState::default() });
    let jumped = server_time(&redis)? - before;
    ensure((29..40).contains(&jumped), format!("the server's TIME moved {jumped} s, not ~30 s"))?;
    let tb = b.campaign(Duration::from_secs(1), &|| never(())).map_err(fail)?;
    ensure(
        tb == Some(Some(2)),
        format!("b should take the expired key under token 2, got {tb:?}"),
    )?;
    ensure(
        a.lost().is_none(),
        "a noticed before its renewal: then the window this test shows is gone",
    )?;
    let reason = a.wait_lost(Duration::from_secs(3)).ok_or("a never noticed")?;
    ensure(reason.starts_with("renewal-refused"), reason)
}

fn server_time(redis: &LocalRedis) -> Result<i64, String> {
    let (secs, _): (i64, i64) = redis::cmd("TIME").query(&mut raw(redis)?).map_err(fail)?;
    Ok(secs)
}
