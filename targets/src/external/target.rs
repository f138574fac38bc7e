//! A target file as a [`Target`]: per node, its `[[servers]]` (each `/bin/sh -c` its filled-in
//! command, from the file's folder) and a `splitbrain-node` with the elector `external`
//! hosting the `[candidate]` command.
//!
//! Neighbours: the controller loads one with [`FileTarget::load`] for `--target FILE`, and
//! then finds it by name like any target ([`crate::launch::find`] asks [`loaded`]);
//! [`super::file`] reads the file, [`super::template`] fills the commands,
//! [`super::program`] says whether the clock shim reaches each program.
//!
//! Design: a loaded target lives for the rest of the process (it is leaked once per file
//! read), because targets are `&'static` to the controller like the built-in ones.

use super::file::{FileError, NodeSet, Process, TargetFile};
use super::program::{self, Reach};
use super::template;
use crate::launch::{
    check_bug, node_args, peer_list, Cluster, LaunchError, LayoutOptions, NodeAddr, NodePlan,
    ProcessSpec, Target,
};
use crate::thirdparty::catalog::ClockAim;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// A target described by a target file.
#[derive(Debug)]
pub struct FileTarget {
    file: TargetFile,
    name: &'static str,
    about: &'static str,
    /// What `--target` says to run it again: the file's path, or a built-in one's name.
    argument: Option<&'static str>,
}

static LOADED: Mutex<Vec<&'static FileTarget>> = Mutex::new(Vec::new());

/// The file targets loaded so far in this process.
pub fn loaded() -> Vec<&'static FileTarget> {
    LOADED.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

impl FileTarget {
    /// Whether a `--target` argument names a file rather than a built-in target.
    pub fn names_a_file(arg: &str) -> bool {
        arg.contains('/') || arg.ends_with(".toml") || Path::new(arg).is_file()
    }

    /// Reads the target file at `path` and keeps it for the rest of the process.
    pub fn load(path: &Path) -> Result<&'static FileTarget, FileError> {
        Self::load_as(path, None)
    }

    /// [`FileTarget::load`], for a file that `--target argument` names rather than its path.
    pub(super) fn load_as(
        path: &Path,
        argument: Option<&'static str>,
    ) -> Result<&'static FileTarget, FileError> {
        let file = TargetFile::load(path)?;
        let builtin = crate::launch::builtin().into_iter().any(|t| t.name() == file.name);
        if builtin {
            let msg = format!("name = {:?} is a built-in target's name: choose another", file.name);
            return Err(FileError { file: path.into(), line: None, msg });
        }
        let name: &'static str = Box::leak(file.name.clone().into_boxed_str());
        let about: &'static str = Box::leak(file.about.clone().into_boxed_str());
        let target: &'static FileTarget =
            Box::leak(Box::new(FileTarget { file, name, about, argument }));
        let mut all = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
        all.retain(|t| t.name != name);
        all.push(target);
        Ok(target)
    }

    /// What the file says.
    pub fn file(&self) -> &TargetFile {
        &self.file
    }

    fn bad(&self, p: &Process, msg: String) -> LaunchError {
        LaunchError::BadCluster(format!("{}:{}: {msg}", self.file.path.display(), p.line))
    }

    /// The nodes of `set`, checked against the run's.
    fn nodes_of<'c>(
        &self,
        set: &NodeSet,
        p: &Process,
        what: &str,
        cluster: &'c Cluster,
    ) -> Result<Vec<&'c NodeAddr>, LaunchError> {
        let servers = self.server_nodes(&cluster.nodes);
        let picked: Vec<&NodeAddr> = match set {
            NodeSet::Count(k) if *k > cluster.nodes.len() => {
                return Err(self.bad(p, format!("{what} runs on {k} nodes but the run has {} (--nodes): give --nodes {k} or more", cluster.nodes.len())))
            }
            NodeSet::Count(k) => cluster.nodes.iter().take(*k).collect(),
            NodeSet::List(names) => {
                if let Some(n) = names.iter().find(|n| !cluster.nodes.iter().any(|c| &c.name == *n)) {
                    return Err(self.bad(p, format!("{what} names {n}, but the run's nodes are n1…n{} (--nodes)", cluster.nodes.len())));
                }
                cluster.nodes.iter().filter(|c| names.contains(&c.name)).collect()
            }
            NodeSet::All => cluster.nodes.iter().collect(),
            NodeSet::Others => cluster.nodes.iter().filter(|c| !servers.contains(&c.name)).collect(),
        };
        match picked.is_empty() {
            true => Err(self.bad(p, format!("{what} runs on no node of this run: every node has a server; give --nodes above {}", servers.len()))),
            false => Ok(picked),
        }
    }

    /// The names of the nodes that run a server, given the run's nodes.
    fn server_nodes(&self, nodes: &[NodeAddr]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.file.servers {
            let names: Vec<String> = match &s.nodes {
                NodeSet::Count(k) => nodes.iter().take(*k).map(|n| n.name.clone()).collect(),
                NodeSet::List(l) => l.clone(),
                NodeSet::All | NodeSet::Others => Vec::new(),
            };
            out.extend(names.into_iter().filter(|n| !out.contains(n)).collect::<Vec<_>>());
        }
        out
    }

    /// `addr:port` of every server of table `name` (every table when `None`), comma-separated.
    fn server_addrs(&self, name: Option<&str>, cluster: &Cluster) -> Result<String, LaunchError> {
        let mut addrs = Vec::new();
        for s in self.file.servers.iter().filter(|s| name.is_none_or(|n| s.name == n)) {
            for node in
                self.nodes_of(&s.nodes, &s.process, &format!("[[servers]] {}", s.name), cluster)?
            {
                addrs.push(SocketAddr::new(node.ip, s.ready_port).to_string());
            }
        }
        Ok(addrs.join(","))
    }

    /// `p`'s command with every field filled in for `node`.
    fn command(
        &self,
        p: &Process,
        node: &NodeAddr,
        port: Option<u16>,
        data: &Path,
        cluster: &Cluster,
    ) -> Result<String, LaunchError> {
        let value = |name: &str, arg: Option<&str>| -> Result<String, String> {
            Ok(match (name, arg) {
                ("node", _) => node.name.clone(),
                ("addr", None) => node.ip.to_string(),
                ("addr", Some(other)) => match cluster.nodes.iter().find(|n| n.name == other) {
                    Some(n) => n.ip.to_string(),
                    None => return Err(format!("{{addr:{other}}}: the run has no node {other} (its nodes are n1…n{})", cluster.nodes.len())),
                },
                ("nodes", _) => cluster.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(" "),
                ("data", _) => data.display().to_string(),
                ("dir", _) => self.file.dir.display().to_string(),
                ("port", _) => match port {
                    Some(port) => port.to_string(),
                    None => return Err("{port} is a server's ready_port; a candidate has none (it reaches servers through {servers})".into()),
                },
                ("servers", which) => self.server_addrs(which, cluster).map_err(|e| e.to_string())?,
                ("lease_ms", _) => match self.lease_ms(cluster) {
                    Some(ms) => ms.to_string(),
                    None => return Err("{lease_ms} is used, but neither --lease nor lease_ms in the file gives a lease: add e.g. lease_ms = 2000".into()),
                },
                (other, _) => return Err(format!("{{{other}}} is not a field")),
            })
        };
        template::fill(&p.command, value).map_err(|msg| self.bad(p, msg))
    }

    /// `--lease` in ms if given, else the file's `lease_ms`.
    pub fn lease_ms(&self, cluster: &Cluster) -> Option<u64> {
        cluster.layout.lease.map(|d| d.as_millis() as u64).or(self.file.lease_ms)
    }

    /// Whether the clock shim goes into `p`, by its `clock_shim` or by what its program is.
    fn shim(&self, p: &Process) -> bool {
        p.clock_shim.unwrap_or_else(|| program::reach(&p.command, &self.file.dir) != Reach::Cannot)
    }

    fn server_specs(
        &self,
        node: &NodeAddr,
        cluster: &Cluster,
    ) -> Result<Vec<ProcessSpec>, LaunchError> {
        let mut specs = Vec::new();
        for s in &self.file.servers {
            let on =
                self.nodes_of(&s.nodes, &s.process, &format!("[[servers]] {}", s.name), cluster)?;
            if !on.iter().any(|n| n.name == node.name) {
                continue;
            }
            let data = cluster.data_root.join(&node.name).join(&s.name);
            let command = self.command(&s.process, node, Some(s.ready_port), &data, cluster)?;
            specs.push(ProcessSpec {
                node: node.name.clone(),
                role: s.name.clone(),
                program: PathBuf::from("/bin/sh"),
                args: vec!["-c".into(), in_dir(&self.file.dir, &command)],
                env: vec![("SPLITBRAIN_DATA".into(), data.display().to_string())],
                clock_shim: self.shim(&s.process),
                ready_addr: Some(SocketAddr::new(node.ip, s.ready_port)),
                dirs: vec![data],
                go: false,
            });
        }
        Ok(specs)
    }

    fn candidate_spec(
        &self,
        node: &NodeAddr,
        cluster: &Cluster,
    ) -> Result<ProcessSpec, LaunchError> {
        let c = &self.file.candidate;
        let data = cluster.data_root.join(&node.name).join("candidate");
        let command = self.command(&c.process, node, None, &data, cluster)?;
        let mut args = node_args("external", cluster, node, &peer_list(cluster), &data);
        let shim = self.shim(&c.process);
        let mut opts = vec![
            format!("command={command}"),
            format!("cwd={}", self.file.dir.display()),
            format!("confirm-writes={}", c.confirm_writes),
            format!("register={}", c.register),
            format!("clock-shim={shim}"),
        ];
        opts.extend(self.lease_ms(cluster).map(|ms| format!("lease-ms={ms}")));
        args.extend(opts.into_iter().flat_map(|o| ["--elector-opt".to_string(), o]));
        let addr = SocketAddr::new(node.ip, cluster.port);
        Ok(ProcessSpec {
            node: node.name.clone(),
            role: "candidate".into(),
            program: cluster.node_program.program.clone(),
            args: cluster.node_program.args(args),
            env: Vec::new(),
            clock_shim: shim,
            ready_addr: Some(addr),
            dirs: vec![data],
            go: false,
        })
    }
}

/// `command` run from `dir` (a `{ … }` group, so any command list works).
fn in_dir(dir: &Path, command: &str) -> String {
    let quoted = dir.display().to_string().replace('\'', "'\\''");
    format!("cd -- '{quoted}' && {{ {command}\n}}")
}

impl Target for FileTarget {
    fn name(&self) -> &'static str {
        self.name
    }

    fn folder(&self) -> Option<&Path> {
        Some(&self.file.dir)
    }

    fn doc(&self) -> &'static str {
        self.about
    }

    fn available(&self) -> Result<(), String> {
        let missing: Vec<&str> = self
            .file
            .requires
            .iter()
            .map(String::as_str)
            .filter(|p| !program::on_path(p))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "{} not found in PATH (requires in {})",
                missing.join(", "),
                self.file.path.display()
            ));
        }
        Ok(())
    }

    fn plan(&self, cluster: &Cluster) -> Result<Vec<NodePlan>, LaunchError> {
        check_bug(self, cluster.bug)?;
        for s in &self.file.servers {
            self.nodes_of(&s.nodes, &s.process, &format!("[[servers]] {}", s.name), cluster)?;
        }
        let c = &self.file.candidate;
        let candidates = self.nodes_of(&c.nodes, &c.process, "[candidate]", cluster)?;
        let mut plans = Vec::new();
        for node in &cluster.nodes {
            let servers = self.server_specs(node, cluster)?;
            let candidate = match candidates.iter().any(|n| n.name == node.name) {
                true => Some(self.candidate_spec(node, cluster)?),
                false => None,
            };
            let client_addr = candidate.as_ref().map(|_| SocketAddr::new(node.ip, cluster.port));
            plans.push(NodePlan { node: node.name.clone(), servers, candidate, client_addr });
        }
        Ok(plans)
    }

    fn unreachable_faults(&self) -> Vec<String> {
        let c = &self.file.candidate;
        let tables =
            self.file.servers.iter().map(|s| (format!("the {} servers", s.name), &s.process));
        let all = tables.chain([("the candidates".to_string(), &c.process)]);
        all.flat_map(|(what, p)| self.process_notes(&what, p)).collect()
    }

    fn argument(&self) -> String {
        self.argument.map_or_else(|| self.file.path.display().to_string(), Into::into)
    }

    fn gives_tokens(&self, _bug: Option<crate::bugs::Bug>) -> bool {
        self.file.tokens
    }

    fn servers_on(&self, nodes: &[String]) -> Vec<String> {
        self.server_nodes(&stand_ins(nodes))
    }

    fn check_layout(&self, _nodes: usize, options: &LayoutOptions) -> Result<(), LaunchError> {
        let file = self.argument();
        let refuse = |msg: String| Err(LaunchError::BadCluster(msg));
        match (options.placement, options.durable) {
            (Some(_), _) => refuse(format!("--candidates: the target file {file} says where its candidates run ([candidate] nodes); leave --candidates out")),
            (None, true) => refuse(format!("--durable is for the built-in Redis targets: the target file {file} says how its servers run; leave --durable out")),
            (None, false) => Ok(()),
        }
    }

    fn clock_aim(&self, nodes: &[String]) -> Option<(ClockAim, Vec<String>)> {
        self.file.clock_aim.map(|aim| (aim, self.servers_on(nodes)))
    }
}

/// `nodes` as addresses where only the names matter.
fn stand_ins(nodes: &[String]) -> Vec<NodeAddr> {
    nodes.iter().map(|n| NodeAddr { name: n.clone(), ip: [0, 0, 0, 0].into() }).collect()
}

impl FileTarget {
    fn process_notes(&self, what: &str, p: &Process) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(listed) = &p.faults {
            let left_out = super::file::FAULTS.iter().filter(|f| !listed.iter().any(|l| l == *f));
            notes
                .extend(left_out.map(|f| {
                    format!("{f} on {what}: the target file's faults list leaves it out")
                }));
        }
        if p.clock_shim.is_none() {
            if let Some(why) = program::why_unreachable(&p.command, &self.file.dir) {
                notes.push(format!("clock on {what}: {why}"));
            }
        } else if p.clock_shim == Some(false) {
            notes.push(format!("clock on {what}: clock_shim = false in the target file"));
        }
        notes
    }
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
