//! Five sshd "hosts" for the remote path, made by the test outside any controller: a lab
//! network namespace with a bridge (the controller runs there), and per host a network
//! namespace on that bridge and a mount namespace with its own /tmp, where the run folder goes.
//! Host keys and the client's key are made for the lab; hosts listed in `skewed` run their
//! sessions under the clock shim with a fixed offset. A lab made with [`Lab::up_faking_tc`]
//! puts a recording `tc` first on its sessions' PATH (sshd's `SetEnv PATH=…`): it appends its
//! arguments to that host's [`Lab::tc_log`] and succeeds, so the netem plumbing can be tested
//! on a kernel without netem (netem's effect itself is not tested here).
//!
//! Neighbours: `main.rs` runs the trials against it.

use splitbrain_nemesis::clock::{install_shim, ClockFile, ClockState};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The offset the skewed hosts' sessions see.
pub const SKEW_NS: i64 = 30_000_000_000;

pub struct Lab {
    pub name: String,
    pub dir: tempfile::TempDir,
    pub n: usize,
    sshd: Vec<Child>,
    fake_tc: bool,
}

impl Lab {
    /// Builds the lab and waits until every sshd accepts connections.
    pub fn up(n: usize, skewed: &[usize]) -> Result<Lab, String> {
        Self::build(n, skewed, false)
    }

    /// A lab whose hosts run the recording `tc` (see the module doc) instead of the real one.
    pub fn up_faking_tc(n: usize, skewed: &[usize]) -> Result<Lab, String> {
        Self::build(n, skewed, true)
    }

    fn build(n: usize, skewed: &[usize], fake_tc: bool) -> Result<Lab, String> {
        let name = format!("sbt{}", std::process::id() % 100_000);
        let dir = tempfile::Builder::new()
            .prefix("hosts-lab-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .map_err(|e| e.to_string())?;
        let mut lab = Lab { name, dir, n, sshd: Vec::new(), fake_tc };
        lab.network()?;
        lab.keys()?;
        for i in 1..=n {
            let child = lab.sshd(i, skewed.contains(&i))?;
            lab.sshd.push(child);
        }
        lab.files()?;
        lab.wait_listening()?;
        Ok(lab)
    }

    pub fn host(&self, i: usize) -> String {
        format!("{}h{i}", self.name)
    }

    pub fn path(&self, f: &str) -> PathBuf {
        self.dir.path().join(f)
    }

    /// What the recording `tc` of host `i` was asked, one call a line (empty: never called).
    pub fn tc_log(&self, i: usize) -> String {
        std::fs::read_to_string(self.path(&format!("tc{i}.log"))).unwrap_or_default()
    }

    /// What host `i`'s recording `tc` answers to `tc qdisc show` from now on.
    pub fn plant_qdisc_listing(&self, i: usize, listing: &str) -> Result<(), String> {
        write(&self.path(&format!("tc{i}.show")), listing)
    }

    /// From now on host `i`'s recording `tc` fails every netem qdisc but the probe's.
    pub fn refuse_netem(&self, i: usize) -> Result<(), String> {
        write(&self.path(&format!("tc{i}.fail")), "")
    }

    /// The `PATH=…` that puts host `i`'s recording `tc` first.
    fn fake_tc_path(&self, i: usize) -> Result<String, String> {
        use std::os::unix::fs::PermissionsExt;
        let dir = self.path(&format!("faketc{i}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let log = self.path(&format!("tc{i}.log"));
        let tc = dir.join("tc");
        // `tc qdisc show` prints the host's planted listing, if any (`plant_qdisc_listing`);
        // once `refuse_netem` is called, a netem qdisc on any interface but `lo` fails.
        let (show, fail) = (self.path(&format!("tc{i}.show")), self.path(&format!("tc{i}.fail")));
        let script = format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\n[ \"$1 $2\" = 'qdisc show' ] && cat '{}' 2>/dev/null\n\
             case \"$*\" in *'dev lo '*) ;; *netem*) [ -e '{}' ] && {{ echo 'Error: Specified qdisc kind is unknown.' >&2; exit 2; }};; esac\nexit 0\n",
            log.display(),
            show.display(),
            fail.display()
        );
        write(&tc, &script)?;
        let exec = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(&tc, exec).map_err(|e| e.to_string())?;
        Ok(format!(
            "PATH={}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            dir.display()
        ))
    }

    fn network(&self) -> Result<(), String> {
        let l = &self.name;
        let mut b = format!("netns add {l}\n");
        for i in 1..=self.n {
            b.push_str(&format!("netns add {}\n", self.host(i)));
        }
        ip(&b)?;
        let mut b = String::from("link set lo up\nlink add br0 type bridge\nlink set br0 up\naddr add 10.97.0.254/24 dev br0\n");
        for i in 1..=self.n {
            let h = self.host(i);
            b.push_str(&format!("link add v{i} type veth peer name eth0 netns {h}\nlink set v{i} master br0\nlink set v{i} up\n"));
        }
        ip_in(l, &b)?;
        for i in 1..=self.n {
            ip_in(
                &self.host(i),
                &format!("link set lo up\naddr add 10.97.0.{i}/24 dev eth0\nlink set eth0 up\n"),
            )?;
        }
        Ok(())
    }

    fn keys(&self) -> Result<(), String> {
        keygen(&self.path("id"))?;
        std::fs::copy(self.path("id.pub"), self.path("authorized_keys"))
            .map_err(|e| e.to_string())?;
        let mut known = String::new();
        for i in 1..=self.n {
            let key = self.path(&format!("hostkey{i}"));
            keygen(&key)?;
            let public =
                std::fs::read_to_string(key.with_extension("pub")).map_err(|e| e.to_string())?;
            known.push_str(&format!("10.97.0.{i} {public}"));
        }
        write(&self.path("known_hosts"), &known)
    }

    fn sshd(&self, i: usize, skewed: bool) -> Result<Child, String> {
        let d = self.dir.path().display();
        let mut conf = format!("ListenAddress 10.97.0.{i}\nHostKey {d}/hostkey{i}\nAuthorizedKeysFile {d}/authorized_keys\nPermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nPidFile none\n");
        // sshd takes the first SetEnv line only: every variable goes on one.
        let mut env = Vec::new();
        if self.fake_tc {
            env.push(self.fake_tc_path(i)?);
        }
        if skewed {
            let shim = install_shim(&self.path("shim")).map_err(|e| e.to_string())?;
            let file = self.path(&format!("clock{i}"));
            let mut clock = ClockFile::create(&file).map_err(|e| e.to_string())?;
            clock.set(ClockState { offset_ns: SKEW_NS, ..ClockState::default() });
            env.push(format!("LD_PRELOAD={}", shim.display()));
            env.push(format!("SPLITBRAIN_CLOCK_FILE={}", file.display()));
        }
        if !env.is_empty() {
            conf.push_str(&format!("SetEnv {}\n", env.join(" ")));
        }
        let conf_path = self.path(&format!("sshd{i}.conf"));
        write(&conf_path, &conf)?;
        let _ = std::fs::create_dir_all("/run/sshd");
        let log =
            std::fs::File::create(self.path(&format!("sshd{i}.log"))).map_err(|e| e.to_string())?;
        let script = format!(
            "mount -t tmpfs lab-tmp /tmp && exec /usr/sbin/sshd -D -e -f {}",
            conf_path.display()
        );
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.host(i),
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                &script,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting sshd: {e}"))
    }

    /// The client's ssh configuration and the hosts file.
    fn files(&self) -> Result<(), String> {
        let d = self.dir.path().display();
        write(&self.path("ssh_config"), &format!("Host *\n  User root\n  IdentityFile {d}/id\n  UserKnownHostsFile {d}/known_hosts\n  StrictHostKeyChecking yes\n"))?;
        let mut hosts = String::from("ssh_config = \"ssh_config\"\n");
        for i in 1..=self.n {
            hosts.push_str(&format!(
                "[nodes.n{i}]\nssh = \"root@10.97.0.{i}:22\"\naddr = \"10.97.0.{i}\"\n"
            ));
        }
        write(&self.path("hosts.toml"), &hosts)
    }

    fn wait_listening(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        for i in 1..=self.n {
            while !std::fs::read_to_string(self.path(&format!("sshd{i}.log")))
                .unwrap_or_default()
                .contains("listening")
            {
                if Instant::now() > deadline {
                    return Err(format!(
                        "sshd of host {i} did not start (see {})",
                        self.path(&format!("sshd{i}.log")).display()
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }

    /// The pid of host `i`'s sshd (its mount namespace is the host's).
    pub fn sshd_pid(&self, i: usize) -> u32 {
        self.sshd[i - 1].id()
    }

    /// What of a run is left on host `i`: processes beside sshd, the rule table, splitbrain's
    /// qdisc (a real one: where netem exists), run folders.
    pub fn leftovers(&self, i: usize) -> Vec<String> {
        let h = self.host(i);
        let mut left = Vec::new();
        let pids = output("ip", &["netns", "pids", &h]);
        let sshd = self.sshd_pid(i).to_string();
        for pid in pids.split_whitespace().filter(|p| *p != sshd) {
            let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            left.push(format!("process {pid}: {}", cmd.replace('\0', " ")));
        }
        if Command::new("ip")
            .args(["netns", "exec", &h, "nft", "list", "table", "inet", "splitbrain"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            left.push("nft table inet splitbrain".into());
        }
        let qdiscs = output("ip", &["netns", "exec", &h, "tc", "qdisc", "show"]);
        if let Some(q) = qdiscs.lines().find(|l| l.contains(" 5b17: ")) {
            left.push(format!("tc {q}"));
        }
        let tmp = output("nsenter", &["-t", &sshd, "-m", "ls", "-A", "/tmp"]);
        left.extend(tmp.split_whitespace().map(|f| format!("/tmp/{f}")));
        left
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for i in 1..=self.n {
            for pid in output("ip", &["netns", "pids", &self.host(i)]).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        }
        for c in &mut self.sshd {
            let _ = c.kill();
            let _ = c.wait();
        }
        let mut b = String::new();
        for i in 1..=self.n {
            b.push_str(&format!("netns del {}\n", self.host(i)));
        }
        b.push_str(&format!("netns del {}\n", self.name));
        let _ = Command::new("ip")
            .args(["-force", "-batch", "-"])
            .stdin(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().expect("piped").write_all(b.as_bytes())?;
                c.wait()
            });
    }
}

fn ip(batch: &str) -> Result<(), String> {
    feed("ip", &["-batch", "-"], batch)
}

fn ip_in(ns: &str, batch: &str) -> Result<(), String> {
    feed("ip", &["-n", ns, "-batch", "-"], batch)
}

fn feed(program: &str, args: &[&str], input: &str) -> Result<(), String> {
    use std::io::Write;
    let mut c = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    c.stdin.take().expect("piped").write_all(input.as_bytes()).map_err(|e| e.to_string())?;
    let out = c.wait_with_output().map_err(|e| e.to_string())?;
    match out.status.success() {
        true => Ok(()),
        false => {
            Err(format!("{program} {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)))
        }
    }
}

fn keygen(path: &Path) -> Result<(), String> {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("ssh-keygen for {} failed", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}
