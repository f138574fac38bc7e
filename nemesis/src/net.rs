//! The node network: a bridge in the controller's namespace and one network namespace per
//! node (`n1`…`nN`), each with a veth on the bridge, `lo` up and its own address, and a private
//! hosts file so the names resolve. Nothing routes out: the sandbox's network namespace has no
//! interface but `lo` and this bridge.
//!
//! Neighbours: built inside a [`Sandbox`]; `nft.rs` keeps one rule shell per node, driven by
//! `firewall.rs` for the partition and loss faults; `proc.rs` starts processes on nodes;
//! `clock.rs` keeps one clock control file per node.

use crate::bridge;
use crate::clock::{self, ClockFile};
use crate::error::{Error, Result};
use crate::firewall::Firewall;
use crate::nft::NftShell;
use crate::node_clock::NodeClock;
use crate::place::{Place, SandboxPlace};
use crate::proc::ProcTable;
use crate::sandbox::{Sandbox, STATE_DIR};
use crate::sys;
use crate::tools::{self, Tools};
use serde::Serialize;
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most nodes one sandbox holds (their addresses are 10.99.0.1 to 10.99.0.250).
pub const MAX_NODES: usize = 250;
/// The bridge's name, in the controller's namespace.
pub const BRIDGE: &str = "sb0";
/// The controller's address on the bridge.
pub const CONTROLLER_ADDR: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 254);
const PREFIX: u8 = 24;

/// Only one node network at a time per sandbox: node names and addresses are fixed.
pub(crate) static UP: AtomicBool = AtomicBool::new(false);
/// How many node networks this sandbox has built: each names its veths after its number.
static BUILT: AtomicU32 = AtomicU32::new(0);

/// One node: its name (`n3`) and address (10.99.0.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Node {
    /// `n1` … `nN`, resolvable inside the sandbox.
    pub name: String,
    /// Its address on the bridge.
    pub addr: Ipv4Addr,
}

/// The live node network. Dropping it kills every process on its nodes and removes the
/// namespaces, links, rules and files it made (the sandbox's end would too; this lets one
/// sandbox build several networks in turn).
pub struct Net {
    pub(crate) nodes: Vec<Node>,
    /// The controller-side end of each node's veth, in node order (none for remote hosts).
    pub(crate) veths: Vec<String>,
    /// The controller's own veth (with its address) and its peer, the bridge port (empty for
    /// remote hosts).
    pub(crate) controller_veth: [String; 2],
    pub(crate) tools: Option<Tools>,
    pub(crate) netns: Vec<OwnedFd>,
    pub(crate) place: Arc<dyn Place>,
    pub(crate) firewall: Mutex<Firewall>,
    pub(crate) procs: ProcTable,
    pub(crate) clocks: Vec<Mutex<NodeClock>>,
    pub(crate) links: Mutex<crate::link::Links>,
    pub(crate) shim: PathBuf,
    pub(crate) controller: Ipv4Addr,
    pub(crate) hosts_mounted: bool,
    /// For remote hosts: how to reach each (clock offsets); none in the sandbox.
    pub(crate) remote: Option<crate::remote::Remote>,
}

impl Net {
    /// Builds a network of `n` nodes (1 to [`MAX_NODES`]) and waits until the controller
    /// reaches every node. On any error nothing of it is left behind.
    pub fn up(_sandbox: &Sandbox, n: usize) -> Result<Net> {
        if n == 0 || n > MAX_NODES {
            return Err(Error::BadInput(format!(
                "{n} nodes: a sandbox holds 1 to {MAX_NODES} nodes"
            )));
        }
        let tools = Tools::find()?;
        if UP.swap(true, Ordering::SeqCst) {
            return Err(Error::BadInput(
                "a node network is already up in this sandbox: drop it first".into(),
            ));
        }
        let nodes = (1..=n)
            .map(|i| Node { name: format!("n{i}"), addr: Ipv4Addr::new(10, 99, 0, i as u8) })
            .collect();
        let built = BUILT.fetch_add(1, Ordering::SeqCst);
        let mut net = Net {
            nodes,
            veths: veth_names(built, n),
            controller_veth: controller_veth(built),
            tools: Some(tools),
            netns: Vec::new(),
            place: Arc::new(SandboxPlace { netns: Vec::new() }),
            firewall: Mutex::new(Firewall::default()),
            procs: ProcTable::default(),
            clocks: Vec::new(),
            links: Mutex::default(),
            shim: PathBuf::new(),
            controller: CONTROLLER_ADDR,
            hosts_mounted: false,
            remote: None,
        };
        net.build()?;
        Ok(net)
    }

    fn build(&mut self) -> Result<()> {
        tools::run(&self.tools().ip, &["-batch", "-"], &self.links_batch())?;
        self.netns = self.nodes.iter().map(|n| open_netns(&n.name)).collect::<Result<_>>()?;
        let dup = |fd: &OwnedFd| {
            fd.try_clone().map_err(|e| Error::os("duplicating a namespace descriptor", e))
        };
        let netns = self.netns.iter().map(dup).collect::<Result<_>>()?;
        self.place = Arc::new(SandboxPlace { netns });
        self.configure_nodes()?;
        self.firewall = Mutex::new(Firewall::new(self.shells()?));
        self.write_hosts()?;
        let dir = Path::new(STATE_DIR);
        self.shim = clock::install_shim(dir)?;
        self.clocks = self
            .nodes
            .iter()
            .map(|n| ClockFile::create(&dir.join("clock").join(&n.name)))
            .map(|c| c.map(|c| Mutex::new(NodeClock::Here(c))))
            .collect::<Result<_>>()?;
        self.wait_reachable(Duration::from_secs(5))
    }

    /// One `ip -batch` for the namespaces, the bridge and the veths. The controller's address
    /// is on a veth port of the bridge, not on the bridge itself, so that its traffic crosses
    /// the link switch like a node's (`link.rs`); every port has a fixed MAC (`bridge.rs`).
    fn links_batch(&self) -> String {
        let n = self.nodes.len();
        let [c, port] = &self.controller_veth;
        let mut b = format!("link add {BRIDGE} type bridge\nlink set {BRIDGE} up\n");
        b.push_str(&format!(
            "link add {c} address {} type veth peer name {port}\n",
            bridge::mac_text(n, n)
        ));
        b.push_str(&format!("link set {port} master {BRIDGE}\nlink set {port} up\n"));
        b.push_str(&format!("addr add {CONTROLLER_ADDR}/{PREFIX} dev {c}\nlink set {c} up\n"));
        for (i, (n, v)) in self.nodes.iter().zip(&self.veths).enumerate() {
            let mac = bridge::mac_text(i, self.nodes.len());
            b.push_str(&format!(
                "netns add {0}\nlink add {v} type veth peer name eth0 address {mac} netns {0}\n",
                n.name
            ));
            b.push_str(&format!("link set {v} master {BRIDGE}\nlink set {v} up\n"));
        }
        b
    }

    /// Deletes the veths first, by name: deleting one end takes its peer with it at once,
    /// whereas a namespace's own links go only when the kernel frees the namespace, which is
    /// asynchronous (and waits for its last process to be gone), so the next network's veths
    /// would meet them.
    fn teardown_batch(&self) -> String {
        let mut batch: String = self.veths.iter().map(|v| format!("link del {v}\n")).collect();
        batch.push_str(&format!("link del {}\n", self.controller_veth[1]));
        batch.extend(self.nodes.iter().map(|n| format!("netns del {}\n", n.name)));
        batch.push_str(&format!("link del {BRIDGE}\n"));
        batch
    }

    /// Inside each node: lo up, the address, eth0 up (one `ip -n NODE -batch` each, in parallel).
    fn configure_nodes(&self) -> Result<()> {
        std::thread::scope(|s| {
            let jobs: Vec<_> = self
                .nodes
                .iter()
                .map(|n| {
                    let batch = format!(
                        "link set lo up\naddr add {}/{PREFIX} dev eth0\nlink set eth0 up\n",
                        n.addr
                    );
                    s.spawn(move || {
                        tools::run(&self.tools().ip, &["-n", &n.name, "-batch", "-"], &batch)
                    })
                })
                .collect();
            jobs.into_iter().try_for_each(|j| j.join().expect("ip thread"))
        })
    }

    fn shells(&self) -> Result<Vec<NftShell>> {
        std::thread::scope(|s| {
            let jobs: Vec<_> = self
                .nodes
                .iter()
                .zip(&self.netns)
                .map(|(n, fd)| {
                    s.spawn(move || NftShell::start(&self.tools().nft, &n.name, fd.as_fd()))
                })
                .collect();
            jobs.into_iter().map(|j| j.join().expect("nft thread")).collect()
        })
    }

    /// The machine's hosts file plus the nodes and the controller, bind-mounted over
    /// /etc/hosts in the sandbox's own mount namespace only.
    fn write_hosts(&mut self) -> Result<()> {
        let mut text = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
        text.push_str(&format!("\n# splitbrain sandbox\n{CONTROLLER_ADDR} controller\n"));
        for n in &self.nodes {
            text.push_str(&format!("{} {}\n", n.addr, n.name));
        }
        let path = Path::new(STATE_DIR).join("hosts");
        std::fs::write(&path, text)
            .map_err(|e| Error::os(format!("writing {}", path.display()), e))?;
        sys::mount(
            Some(&path.to_string_lossy()),
            "/etc/hosts",
            None,
            nix::mount::MsFlags::MS_BIND,
            None,
        )?;
        self.hosts_mounted = true;
        Ok(())
    }

    /// Waits until a TCP connect from the controller to every node is answered (a refusal is an
    /// answer: nothing listens yet).
    fn wait_reachable(&self, limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        for n in &self.nodes {
            while !answers(SocketAddr::from((n.addr, 9)), Duration::from_millis(200)) {
                if Instant::now() > deadline {
                    return Err(Error::Command {
                        command: format!("connect {}:9", n.addr),
                        message: format!("{} does not answer the controller", n.name),
                    });
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        Ok(())
    }

    /// The nodes, in order n1…nN.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node names, in order.
    pub fn names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }

    /// The node called `name`, or a bad-input error listing the nodes there are.
    pub fn node(&self, name: &str) -> Result<&Node> {
        self.index(name).map(|i| &self.nodes[i])
    }

    pub(crate) fn index(&self, name: &str) -> Result<usize> {
        self.nodes.iter().position(|n| n.name == name).ok_or_else(|| {
            Error::BadInput(format!(
                "no node {name:?}: this network has n1 to n{}",
                self.nodes.len()
            ))
        })
    }

    /// Checks every name; returns their indices.
    pub(crate) fn indices<S: AsRef<str>>(&self, names: &[S]) -> Result<Vec<usize>> {
        names.iter().map(|n| self.index(n.as_ref())).collect()
    }

    /// The controller's address on the bridge (every node reaches it; it reaches every node);
    /// for remote hosts, the controller's address on the way to them.
    pub fn controller_addr(&self) -> Ipv4Addr {
        self.controller
    }

    /// The sandbox's tools (only a sandbox network has them).
    pub(crate) fn tools(&self) -> &Tools {
        self.tools.as_ref().expect("a sandbox network has its tools")
    }

    /// The path of the node's network namespace (`/run/netns/NAME`), for `setns` or `ip -n`.
    pub fn netns_path(&self, name: &str) -> Result<PathBuf> {
        self.index(name).map(|_| Path::new("/run/netns").join(name))
    }

    pub(crate) fn netns_fd(&self, i: usize) -> BorrowedFd<'_> {
        self.netns[i].as_fd()
    }

    /// The bridge-side end of each node's veth, in node order.
    pub(crate) fn veths(&self) -> &[String] {
        &self.veths
    }

    /// The controller's interface (it has the controller's address).
    pub(crate) fn controller_iface(&self) -> &str {
        &self.controller_veth[0]
    }

    /// The controller's port on the bridge (its interface's peer).
    pub(crate) fn controller_port(&self) -> &str {
        &self.controller_veth[1]
    }

    /// The installed clock shim (see [`crate::clock`]).
    pub fn shim_path(&self) -> &Path {
        &self.shim
    }

    /// Runs `f` on a new thread inside the network namespace of node `name` and returns its
    /// result: sockets it opens belong to that node (the way to probe from a node, or to act as
    /// a client that lives on one).
    pub fn run_in<T: Send>(&self, name: &str, f: impl FnOnce() -> T + Send) -> Result<T> {
        let i = self.index(name)?;
        if self.netns.is_empty() {
            return Err(Error::BadInput(format!(
                "{name} is a remote host: only a sandbox node has a namespace to run in"
            )));
        }
        let fd = self.netns_fd(i);
        std::thread::scope(|s| {
            s.spawn(|| {
                sys::setns_net(fd)
                    .map_err(|e| Error::os(format!("entering the namespace of {name}"), e))?;
                Ok(f())
            })
            .join()
            .expect("run_in thread panicked")
        })
    }

    /// Inode numbers of the node namespaces, to find every process living in one.
    fn netns_inodes(&self) -> Vec<u64> {
        self.netns
            .iter()
            .filter_map(|fd| File::from(fd.try_clone().ok()?).metadata().ok())
            .map(|m| m.ino())
            .collect()
    }
}

/// Moves the calling thread into the network namespace of node `name` of the sandbox this
/// process runs in (for `splitbrain node-exec`, which then execs its command).
pub fn enter_node(name: &str) -> Result<()> {
    let path = Path::new("/run/netns").join(name);
    if !crate::Sandbox::inside() {
        return Err(Error::BadInput(format!("no node {name}: node-exec works inside a sandbox, e.g. `splitbrain sandbox --nodes 3 -- splitbrain node-exec n2 -- ping n3`")));
    }
    let fd = File::open(&path).map_err(|_| {
        let mut names: Vec<String> = std::fs::read_dir("/run/netns")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort_by_key(|n| (n.len(), n.clone()));
        Error::BadInput(format!(
            "no node {name:?} in this sandbox: its nodes are {}",
            names.join(" ")
        ))
    })?;
    sys::setns_net(fd.as_fd())
        .map_err(|e| Error::os(format!("entering the namespace of {name}"), e))
}

/// The controller-side veth names of network number `built` of this sandbox (`sbv0-1`,
/// `sbv1-1`, …): unique per network, so a veth the kernel still holds from an earlier network
/// cannot collide with the next one's. At most 12 characters (the kernel allows 15).
fn veth_names(built: u32, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("sbv{}-{i}", built % 100_000)).collect()
}

/// The controller's veth of network number `built` and its peer on the bridge.
fn controller_veth(built: u32) -> [String; 2] {
    let b = built % 100_000;
    [format!("sbc{b}"), format!("sbv{b}-c")]
}

/// True when a TCP connect to `addr` gets any answer (accepted or refused) within `limit`.
pub(crate) fn answers(addr: SocketAddr, limit: Duration) -> bool {
    match TcpStream::connect_timeout(&addr, limit) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionRefused,
    }
}

fn open_netns(name: &str) -> Result<OwnedFd> {
    let path = Path::new("/run/netns").join(name);
    File::open(&path)
        .map(OwnedFd::from)
        .map_err(|e| Error::os(format!("opening {}", path.display()), e))
}

/// Every process whose network namespace is one of `inodes` (this sandbox has its own /proc).
fn processes_in(inodes: &[u64]) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::metadata(format!("/proc/{pid}/ns/net"))
                .is_ok_and(|m| inodes.contains(&m.ino()))
        })
        .collect()
}

impl Drop for Net {
    fn drop(&mut self) {
        *self.links.get_mut().unwrap_or_else(|e| e.into_inner()) = Default::default();
        self.procs.kill_all();
        self.place.close();
        for pid in processes_in(&self.netns_inodes()) {
            sys::kill_pid(pid, nix::sys::signal::Signal::SIGKILL);
        }
        *self.firewall.get_mut().unwrap_or_else(|e| e.into_inner()) = Firewall::default();
        self.netns.clear();
        if let Some(t) = self.tools.as_ref().filter(|_| !self.veths.is_empty()) {
            let _ = tools::run(&t.ip, &["-force", "-batch", "-"], &self.teardown_batch());
        }
        if self.hosts_mounted {
            let _ = sys::umount(Path::new("/etc/hosts"));
        }
        if self.remote.is_none() {
            let _ = std::fs::remove_dir_all(Path::new(STATE_DIR).join("clock"));
        }
        UP.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn veth_names_differ_between_networks_and_fit_the_kernel_s_limit() {
        let first = super::veth_names(0, 3);
        assert_eq!(first, ["sbv0-1", "sbv0-2", "sbv0-3"]);
        assert!(super::veth_names(1, 3).iter().all(|v| !first.contains(v)));
        let longest = super::veth_names(u32::MAX, super::MAX_NODES);
        assert!(longest.iter().all(|v| v.len() <= 15), "{:?}", longest.last());
    }

    #[test]
    fn a_net_and_its_processes_can_be_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<super::Net>();
        shared::<crate::Proc>();
    }
}
