//! The scenarios, each run inside its own sandbox by a child of the test binary.

use rand::SeedableRng;
use splitbrain_nemesis::partition::{self, Grudge, Shape};
use splitbrain_nemesis::{clock, heal, loss, pause, probe, Error, Net, Output, ProcSpec, Sandbox};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[path = "link_scenarios.rs"]
mod links;

type Check = Result<(), String>;
/// A scenario's name and body.
type Scenario = (&'static str, fn(&Net) -> Check);

/// Every scenario, by name.
pub const ALL: &[Scenario] = &[
    ("every_partition_shape_cuts_exactly_its_grudge_and_heals", partitions),
    ("a_paused_process_is_stopped_and_silent_until_resumed", paused),
    ("the_shim_moves_a_childs_clock_by_bump_drift_and_strobe_and_reset_undoes_it", clocks),
    ("redis_time_follows_the_shim", redis),
    ("half_the_packets_are_lost_at_a_50_percent_loss_rate", lossy),
    ("bad_input_is_refused_with_a_clear_error", bad_input),
    ("heal_all_undoes_everything_and_is_idempotent", heal_all),
    ("a_link_delay_adds_what_was_asked_where_asked_and_composes_with_partitions", links::delays),
    ("link_reorder_duplicate_and_slow_do_what_they_say", links::reorder_duplicate_slow),
    ("impossible_link_faults_are_refused_with_a_clear_error", links::bad_links),
];

/// Enters a sandbox, builds 5 nodes, runs the scenario; the exit status of the child.
pub fn run(name: &str) -> i32 {
    let sandbox = match Sandbox::enter() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("entering the sandbox: {e}");
            return 3;
        }
    };
    if name == "linger" {
        return linger(&sandbox);
    }
    if name == REBUILD {
        return exit_status(rebuild(&sandbox));
    }
    let Some((_, f)) = ALL.iter().find(|(n, _)| *n == name) else { return 4 };
    let net = match Net::up(&sandbox, 5) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("building 5 nodes: {e}");
            return 5;
        }
    };
    exit_status(f(&net))
}

fn exit_status(check: Check) -> i32 {
    match check {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

/// The scenario that builds networks itself, one after another in one sandbox.
pub const REBUILD: &str = "networks_built_back_to_back_come_up_and_leave_no_links_behind";

/// Ten networks in turn, each with a process on every node when it is dropped (so its
/// namespaces outlive the drop for a moment, as a run's do): each comes up, and the
/// controller's namespace holds no veth of an earlier one.
fn rebuild(sandbox: &Sandbox) -> Check {
    for round in 0..10 {
        let net = ok(Net::up(sandbox, 5), &format!("network {round}"))?;
        let sleepers: Vec<_> = net
            .names()
            .iter()
            .map(|n| ok(net.spawn(n, ProcSpec::new("sleep").args(["60"])), "sleep"))
            .collect::<Result<_, _>>()?;
        drop(net);
        drop(sleepers);
        let links = std::process::Command::new("ip").args(["-o", "link", "show"]).output();
        let links = String::from_utf8_lossy(&links.map_err(|e| format!("ip link: {e}"))?.stdout)
            .into_owned();
        if let Some(left) = links.lines().find(|l| l.contains(": sbv")) {
            return Err(format!("after network {round}: {left}"));
        }
    }
    Ok(())
}

fn ok<T>(r: Result<T, Error>, what: &str) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// The node program: answers every connection with "<wall clock ns>\n".
pub fn serve(addr: &str) -> ! {
    let l = TcpListener::bind(addr).expect("bind");
    for s in l.incoming().flatten() {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let mut s = s;
        let _ = writeln!(s, "{now}");
    }
    std::process::exit(0)
}

fn server(
    net: &Net,
    node: &str,
    port: u16,
    shim: bool,
) -> Result<splitbrain_nemesis::Proc, String> {
    let addr = SocketAddr::from((net.node(node).unwrap().addr, port));
    let exe = std::env::current_exe().unwrap();
    let mut spec = ProcSpec::new(exe)
        .env("SB_TEST_SERVE", addr.to_string())
        .output(Output::Null, Output::Inherit);
    if shim {
        spec = spec.clock_shim();
    }
    let p = ok(net.spawn(node, spec), "spawning the test server")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while ask(addr, Duration::from_millis(200)).is_none() {
        if Instant::now() > deadline {
            return Err(format!("the test server on {node} never answered"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(p)
}

/// The server's clock in ns, or None when it does not answer within `limit`.
fn ask(addr: SocketAddr, limit: Duration) -> Option<i128> {
    let mut s = TcpStream::connect_timeout(&addr, limit).ok()?;
    s.set_read_timeout(Some(limit)).ok()?;
    let mut line = String::new();
    BufReader::new(&mut s).read_line(&mut line).ok()?;
    line.trim().parse().ok()
}

fn real() -> i128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as i128
}

fn partitions(net: &Net) -> Check {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let shapes = [
        Shape::Isolate(Some("n3".into())),
        Shape::Isolate(None),
        Shape::Halves,
        Shape::RandomHalves,
        Shape::MajoritiesRing,
        Shape::Bridge,
        Shape::Set(n(&["n2", "n4"])),
        Shape::OneWay { from: n(&["n1"]), to: n(&["n2", "n3"]) },
        Shape::OneWay { from: vec![], to: vec![] },
    ];
    for shape in &shapes {
        let ev = ok(partition::start(net, shape, &mut rng), "partitioning")?;
        let g = partition::current(net);
        if g.is_empty() || ev.f != "start-partition" {
            return Err(format!("{}: empty grudge or wrong event {ev:?}", shape.name()));
        }
        expect(net, &g, shape.name())?;
        ok(partition::heal(net), "healing")?;
        expect(net, &Grudge::default(), &format!("{} healed", shape.name()))?;
    }
    Ok(())
}

/// UDP gets through exactly where the grudge doesn't block; TCP needs both directions.
fn expect(net: &Net, g: &Grudge, what: &str) -> Check {
    let udp = ok(probe::udp_matrix(net, Duration::from_millis(60)), "udp probe")?;
    let tcp = ok(probe::tcp_matrix(net, Duration::from_millis(300)), "tcp probe")?;
    for ((a, b), got) in &udp {
        if *got == g.blocks(a, b) {
            return Err(format!("{what}: UDP {a}->{b} got through={got}, grudge {g:?}"));
        }
    }
    for ((a, b), got) in &tcp {
        let want = !g.blocks(a, b) && !g.blocks(b, a);
        if *got != want {
            return Err(format!(
                "{what}: TCP connect {a}->{b} got {got}, want {want}, grudge {g:?}"
            ));
        }
    }
    if udp.len() != 20 || tcp.len() != 20 {
        return Err(format!("{what}: probed {} and {} pairs, want 20", udp.len(), tcp.len()));
    }
    Ok(())
}

fn paused(net: &Net) -> Check {
    let p = server(net, "n1", 7000, false)?;
    let addr = SocketAddr::from((net.node("n1").unwrap().addr, 7000));
    let ev = ok(pause::pause(net, &["n1"]), "pausing")?;
    if ev.value["processes"] != 1 {
        return Err(format!("pause event {ev:?}"));
    }
    std::thread::sleep(Duration::from_millis(50));
    if p.state() != Some('T') {
        return Err(format!("paused process is in state {:?}, want T", p.state()));
    }
    if let Some(t) = ask(addr, Duration::from_millis(500)) {
        return Err(format!("a paused process answered {t}"));
    }
    ok(pause::resume(net, &["n1"]), "resuming")?;
    if ask(addr, Duration::from_secs(2)).is_none() {
        return Err("the resumed process does not answer".into());
    }
    ok(splitbrain_nemesis::crash::kill(net, &["n1"]), "killing")?;
    if p.is_running() || ask(addr, Duration::from_millis(300)).is_some() {
        return Err("a killed process still runs".into());
    }
    ok(splitbrain_nemesis::crash::restart(net, &["n1"]), "restarting")?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while ask(addr, Duration::from_millis(200)).is_none() {
        if Instant::now() > deadline {
            return Err("the restarted process does not answer".into());
        }
    }
    Ok(())
}

/// The node's clock minus real time, in seconds.
fn skew(addr: SocketAddr) -> Result<f64, String> {
    let before = real();
    let t = ask(addr, Duration::from_secs(2)).ok_or("the clock server does not answer")?;
    Ok((t - (before + real()) / 2) as f64 / 1e9)
}

fn near(what: &str, got: f64, want: f64, tol: f64) -> Check {
    if (got - want).abs() > tol {
        return Err(format!("{what}: skew {got:.3} s, want {want} ± {tol}"));
    }
    Ok(())
}

fn clocks(net: &Net) -> Check {
    let _p = server(net, "n2", 7001, true)?;
    let addr = SocketAddr::from((net.node("n2").unwrap().addr, 7001));
    near("before", skew(addr)?, 0.0, 0.5)?;
    ok(clock::bump(net, &["n2"], 3_600_000_000_000), "bump")?;
    near("after +1h", skew(addr)?, 3600.0, 0.5)?;
    ok(clock::bump(net, &["n2"], -7_200_000_000_000), "bump back")?;
    near("after -2h", skew(addr)?, -3600.0, 0.5)?;
    ok(clock::reset(net, &["n2"]), "reset")?;
    near("after reset", skew(addr)?, 0.0, 0.5)?;
    let since = Instant::now();
    ok(clock::drift(net, &["n2"], 11.0), "drift")?;
    std::thread::sleep(Duration::from_millis(500));
    let got = skew(addr)?;
    // At 11x the clock gains 10 s per real second since the drift began.
    near("at 11x", got, 10.0 * since.elapsed().as_secs_f64(), 0.3)?;
    ok(clock::reset(net, &["n2"]), "reset")?;
    ok(
        clock::strobe(
            net,
            &["n2"],
            100_000_000_000,
            Duration::from_millis(40),
            Duration::from_secs(2),
        ),
        "strobe",
    )?;
    let samples: Vec<f64> = (0..30)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(13));
            skew(addr)
        })
        .collect::<Result<_, _>>()?;
    let (hi, lo) = (
        samples.iter().filter(|s| (**s - 100.0).abs() < 1.0).count(),
        samples.iter().filter(|s| s.abs() < 1.0).count(),
    );
    if hi < 3 || lo < 3 || hi + lo != samples.len() {
        return Err(format!("strobe: {hi} samples at +100 s, {lo} at 0, of {samples:?}"));
    }
    ok(clock::reset(net, &["n2"]), "reset")?;
    near("after strobe reset", skew(addr)?, 0.0, 0.5)?;
    let go = net.spawn("n3", ProcSpec::new("sleep").args(["30"]).go().clock_shim());
    if !matches!(go, Err(Error::ClockUnreachable(_))) {
        return Err("a Go program was given the shim".into());
    }
    let _etcd = ok(net.spawn("n3", ProcSpec::new("sleep").args(["30"]).go()), "spawning")?;
    match clock::bump(net, &["n3"], 1) {
        Err(Error::ClockUnreachable(m)) if m.contains("Go") => Ok(()),
        other => Err(format!("a clock fault on a Go-only node gave {other:?}")),
    }
}

/// One RESP command to redis, the reply's raw text.
fn redis_cmd(addr: SocketAddr, args: &[&str]) -> Result<String, String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("redis: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut req = format!("*{}\r\n", args.len());
    for a in args {
        req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).map_err(|e| format!("redis read: {e}"))?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn redis_skew(addr: SocketAddr) -> Result<f64, String> {
    let r = redis_cmd(addr, &["TIME"])?;
    let nums: Vec<i128> = r.split("\r\n").filter_map(|l| l.parse().ok()).collect();
    let [secs, micros] = nums[..] else { return Err(format!("TIME said {r:?}")) };
    Ok((secs * 1_000_000_000 + micros * 1000 - real()) as f64 / 1e9)
}

fn redis(net: &Net) -> Check {
    let dir = std::path::Path::new("/run/splitbrain/redis");
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let spec = ProcSpec::new("redis-server")
        .args([
            "--port",
            "6379",
            "--bind",
            "10.99.0.2",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
        ])
        .cwd(dir)
        .output(Output::File(dir.join("log")), Output::File(dir.join("log")))
        .clock_shim();
    let _r = ok(net.spawn("n2", spec), "starting redis")?;
    let addr: SocketAddr = "10.99.0.2:6379".parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while redis_cmd(addr, &["PING"]).is_err() {
        if Instant::now() > deadline {
            return Err(format!(
                "redis never answered: {}",
                std::fs::read_to_string(dir.join("log")).unwrap_or_default()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    near("redis before", redis_skew(addr)?, 0.0, 0.5)?;
    redis_cmd(addr, &["SET", "k", "v", "PX", "20000"])?;
    ok(clock::bump(net, &["n2"], 30_000_000_000), "bump")?;
    near("redis after +30 s", redis_skew(addr)?, 30.0, 0.5)?;
    let pttl = redis_cmd(addr, &["PTTL", "k"])?;
    if pttl.trim() != ":-2" {
        return Err(format!("a 20 s key survived a 30 s jump: PTTL {pttl:?}"));
    }
    ok(clock::reset(net, &["n2"]), "reset")?;
    near("redis after reset", redis_skew(addr)?, 0.0, 0.5)
}

fn lossy(net: &Net) -> Check {
    let base = ok(probe::udp_count(net, "n1", "n2", 1000), "baseline")?;
    if base < 990 {
        return Err(format!("only {base} of 1000 datagrams arrived without loss"));
    }
    let ev = ok(loss::start(net, &["n1"], &["n2"], 0.5), "start loss")?;
    let got = ok(probe::udp_count(net, "n1", "n2", 1000), "lossy count")?;
    let back = ok(probe::udp_count(net, "n2", "n1", 1000), "reverse count")?;
    ok(loss::stop(net), "stop loss")?;
    let after = ok(probe::udp_count(net, "n1", "n2", 1000), "after")?;
    if !(350..=650).contains(&got) || back < 990 || after < 990 {
        return Err(format!("50% loss n1->n2: {got} of 1000 arrived (want 350..650); n2->n1 {back}; after stop {after}; {ev:?}"));
    }
    Ok(())
}

fn bad_input(net: &Net) -> Check {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let errs = [
        partition::start(net, &Shape::Isolate(Some("n9".into())), &mut rng).map(|_| ()),
        pause::pause(net, &["n6"]).map(|_| ()),
        loss::start(net, &["n1"], &["n2"], 1.5).map(|_| ()),
        clock::bump(net, &["n1"], 1).map(|_| ()),
        net.spawn("n1", ProcSpec::new("/nonexistent/program")).map(|_| ()),
    ];
    for (i, e) in errs.into_iter().enumerate() {
        let e = e.err().ok_or(format!("bad input #{i} was accepted"))?;
        if e.to_string().contains('\n') || (i < 4 && !e.is_bad_input()) {
            return Err(format!("bad input #{i}: {e} (bad input: {})", e.is_bad_input()));
        }
    }
    if "diagonal".parse::<Shape>().is_ok() {
        return Err("an unknown shape parsed".into());
    }
    Ok(())
}

fn heal_all(net: &Net) -> Check {
    let _a = server(net, "n1", 7002, true)?;
    let _b = server(net, "n2", 7002, true)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    ok(partition::start(net, &Shape::Halves, &mut rng), "partition")?;
    ok(loss::between(net, &["n3", "n4"], 0.3), "loss")?;
    ok(pause::pause(net, &["n1"]), "pause")?;
    ok(clock::bump(net, &["n2"], 5_000_000_000), "bump")?;
    let evs = ok(heal::all(net), "heal all")?;
    let fs: Vec<&str> = evs.iter().map(|e| e.f).collect();
    if fs != ["resume", "stop-partition", "stop-loss", "clock-reset"] {
        return Err(format!("heal-all events {fs:?}"));
    }
    let again = ok(heal::all(net), "heal all again")?;
    if !again.is_empty() {
        return Err(format!("a second heal-all did {again:?}"));
    }
    expect(net, &Grudge::default(), "after heal-all")?;
    near(
        "clock after heal-all",
        skew(SocketAddr::from((net.node("n2").unwrap().addr, 7002)))?,
        0.0,
        0.5,
    )?;
    if ask(SocketAddr::from((net.node("n1").unwrap().addr, 7002)), Duration::from_secs(2)).is_none()
    {
        return Err("n1 was not resumed".into());
    }
    Ok(())
}

/// For the leftovers test: 5 nodes, a sleeper on each, a partition, then wait to be killed.
fn linger(sandbox: &Sandbox) -> i32 {
    let mark = std::env::var("SB_TEST_MARK").unwrap_or_else(|_| "987654".into());
    let net = Net::up(sandbox, 5).expect("5 nodes");
    let procs: Vec<_> = net
        .names()
        .iter()
        .map(|n| net.spawn(n, ProcSpec::new("sleep").args([&mark])).expect("sleep"))
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    partition::start(&net, &Shape::Halves, &mut rng).expect("partition");
    println!("READY");
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(60));
    drop(procs);
    2
}
