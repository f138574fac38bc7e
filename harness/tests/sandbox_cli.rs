//! `splitbrain sandbox` and `splitbrain node-exec` from the outside: nodes resolve by name and
//! reach each other, the command's exit status comes back, bad input exits 254. Needs root or
//! unprivileged user namespaces; ignored with the reason otherwise.

use libtest_mimic::{Arguments, Failed, Trial};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_splitbrain");

/// One CLI check; the runner marks it ignored when the machine cannot open a sandbox.
type Check = fn() -> Result<(), Failed>;

fn main() {
    let args = Arguments::from_args();
    let reason = ignore_reason();
    if let Some(r) = &reason {
        eprintln!("ignoring the sandbox CLI tests: {r}");
    }
    let tests: [(&str, Check); 3] = [
        ("nodes_resolve_by_name_and_reach_each_other_through_node_exec", nodes_reach_each_other),
        ("the_sandbox_exits_with_its_commands_status", exit_status),
        ("bad_node_counts_and_unknown_nodes_exit_254", bad_input),
    ];
    let trials =
        tests.into_iter().map(|(n, f)| Trial::test(n, f).with_ignored_flag(reason.is_some()));
    libtest_mimic::run(&args, trials.collect()).exit();
}

fn ignore_reason() -> Option<String> {
    let ok = |argv: &[&str]| {
        Command::new(argv[0])
            .args(&argv[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ok(&["sh", "-c", "command -v ip || test -x /usr/sbin/ip || test -x /sbin/ip"])
        || !ok(&["sh", "-c", "command -v nft || test -x /usr/sbin/nft"])
    {
        return Some("ip or nft is missing: run scripts/setup".into());
    }
    if !ok(&["unshare", "--user", "--map-root-user", "--net", "true"])
        && !ok(&["unshare", "--net", "true"])
    {
        return Some("neither root nor user namespaces here".into());
    }
    None
}

/// Runs splitbrain with `args`; (exit code, stdout, stderr), bounded to 60 s.
fn splitbrain(args: &[&str]) -> (i32, String, String) {
    let mut c = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn splitbrain");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = c.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = c.kill();
            break c.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (mut out, mut err) = (String::new(), String::new());
    let _ = c.stdout.take().expect("piped").read_to_string(&mut out);
    let _ = c.stderr.take().expect("piped").read_to_string(&mut err);
    (status.code().unwrap_or(-1), out, err)
}

fn nodes_reach_each_other() -> Result<(), Failed> {
    let script = r#"[ "$SPLITBRAIN_NODE" = n2 ] && getent hosts n3 | grep -q 10.99.0.3 && ip -br addr show eth0 | grep -q 10.99.0.2/24 && bash -c 'exec 3<>/dev/tcp/n3/9' 2>&1 | grep -q refused"#;
    let (code, out, err) = splitbrain(&[
        "sandbox",
        "--nodes",
        "3",
        "--",
        "splitbrain",
        "node-exec",
        "n2",
        "--",
        "sh",
        "-c",
        script,
    ]);
    if code != 0 || !out.contains("n1\t10.99.0.1") || !out.contains("n3\t10.99.0.3") {
        return Err(format!("exit {code}\n{out}{err}").into());
    }
    Ok(())
}

fn exit_status() -> Result<(), Failed> {
    let (code, out, err) = splitbrain(&["sandbox", "--nodes", "1", "--", "sh", "-c", "exit 7"]);
    if code != 7 {
        return Err(format!("want exit 7, got {code}\n{out}{err}").into());
    }
    Ok(())
}

fn bad_input() -> Result<(), Failed> {
    let cases: [(&[&str], &str); 4] = [
        (&["sandbox", "--nodes", "0"], "1 to 250 nodes"),
        (&["sandbox", "--nodes", "251"], "1 to 250 nodes"),
        (
            &["sandbox", "--nodes", "2", "--", "splitbrain", "node-exec", "n5", "--", "true"],
            "its nodes are n1 n2",
        ),
        (&["node-exec", "n1", "--", "true"], "works inside a sandbox"),
    ];
    for (args, says) in cases {
        let (code, _, err) = splitbrain(args);
        if code != 254 || !err.contains(says) {
            return Err(
                format!("{args:?}: exit {code}, stderr {err:?}, want 254 and {says:?}").into()
            );
        }
    }
    Ok(())
}
