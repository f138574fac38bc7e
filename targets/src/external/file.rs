//! A target file: a setup described by data (TOML). Which servers run on which nodes, which
//! candidate command runs where, whether the election gives fencing tokens, whose clock
//! decides a lease. PROTOCOL.md ("Target files") lists every key; this module reads them.
//!
//! Neighbours: [`super::section`] reads each key with errors naming the file, the line and
//! what to write instead; [`super::target`] turns a [`TargetFile`] into process plans.
//!
//! Design: everything that can be checked without knowing the run (types, known keys, known
//! template fields, server names, ports) is checked here, so a bad file fails before the
//! sandbox is entered; what depends on the run (node names against `--nodes`) is checked when
//! the run is planned, with the same kind of message.

use super::section::{span_of, Section, Source};
use super::template::{self, FIELDS};
use crate::thirdparty::catalog::ClockAim;
use std::path::{Path, PathBuf};

/// A mistake in a target file: `FILE:LINE: what is wrong and what to write instead`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {msg}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct FileError {
    /// The target file.
    pub file: PathBuf,
    /// The line (1-based), where the mistake has one.
    pub line: Option<usize>,
    /// What is wrong and what to write instead.
    pub msg: String,
}

/// The faults a `faults` list may name.
pub const FAULTS: [&str; 5] = ["partition", "pause", "kill", "clock", "loss"];

/// Which nodes a table's processes run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeSet {
    /// `nodes = 3`: n1…n3.
    Count(usize),
    /// `nodes = ["n1", "n4"]`.
    List(Vec<String>),
    /// `nodes = "all"` (a candidate only).
    All,
    /// `nodes = "others"`: the nodes without a server (a candidate only).
    Others,
}

impl std::fmt::Display for NodeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeSet::Count(1) => write!(f, "n1"),
            NodeSet::Count(k) => write!(f, "n1…n{k}"),
            NodeSet::List(l) => write!(f, "{}", l.join(", ")),
            NodeSet::All => write!(f, "every node"),
            NodeSet::Others => write!(f, "the nodes without a server"),
        }
    }
}

/// What a process table says beside its nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// Its command, a template (see [`template`]).
    pub command: String,
    /// `clock_shim`; `None`: on where the program is dynamically linked (and not Go).
    pub clock_shim: Option<bool>,
    /// `faults`: the faults that reach it; `None`: every fault.
    pub faults: Option<Vec<String>>,
    /// Where it is in the file (for errors found when the run is planned).
    pub line: usize,
}

/// A `[[servers]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Servers {
    /// `name` (default `server`, `server2`, … by position); `{servers:NAME}` picks it.
    pub name: String,
    /// `nodes`: a count or a list.
    pub nodes: NodeSet,
    /// `ready_port`: a TCP port on the node's address that accepts once the server is up.
    pub ready_port: u16,
    /// The command and its options.
    pub process: Process,
}

/// The `[candidate]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// `nodes` (default `"all"`).
    pub nodes: NodeSet,
    /// `confirm_writes`: confirm leadership before each write as well as each read.
    pub confirm_writes: bool,
    /// `register`: the clients' register is the candidate's system, not the resource.
    pub register: bool,
    /// The command and its options.
    pub process: Process,
}

/// A whole target file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFile {
    /// The file, as given.
    pub path: PathBuf,
    /// Its folder: relative paths and commands run from there.
    pub dir: PathBuf,
    /// `name` (default: the file's stem).
    pub name: String,
    /// `about`, one line (default: the file's path).
    pub about: String,
    /// `nodes`: the run's node count unless `--nodes` says otherwise.
    pub nodes: Option<usize>,
    /// `tokens`: whether the election gives fencing tokens (default true).
    pub tokens: bool,
    /// `lease_ms`: `{lease_ms}` unless `--lease` says otherwise.
    pub lease_ms: Option<u64>,
    /// `clock_aim`: whose clock decides a lease; `None` (`"anywhere"`): wherever the deck deals.
    pub clock_aim: Option<ClockAim>,
    /// `requires`: programs that must be in `PATH` for the target to run here.
    pub requires: Vec<String>,
    /// The `[[servers]]` tables, in order.
    pub servers: Vec<Servers>,
    /// The `[candidate]` table.
    pub candidate: Candidate,
}

const TOP: [&str; 9] = [
    "name",
    "about",
    "nodes",
    "tokens",
    "lease_ms",
    "clock_aim",
    "requires",
    "servers",
    "candidate",
];
const SERVER_KEYS: [&str; 6] = ["name", "nodes", "command", "ready_port", "clock_shim", "faults"];
const CANDIDATE_KEYS: [&str; 6] =
    ["nodes", "command", "clock_shim", "confirm_writes", "register", "faults"];

impl TargetFile {
    /// Reads and checks the target file at `path`.
    pub fn load(path: &Path) -> Result<TargetFile, FileError> {
        let raw = std::fs::read_to_string(path).map_err(|e| FileError {
            file: path.into(),
            line: None,
            msg: format!("cannot read it: {e}; give the path of a target file (TOML)"),
        })?;
        TargetFile::parse(path, &raw)
    }

    /// Reads and checks `raw`, the text of the target file at `path`.
    pub fn parse(path: &Path, raw: &str) -> Result<TargetFile, FileError> {
        let src = Source { path, raw };
        let doc = toml_edit::Document::parse(raw).map_err(|e| {
            let msg = e.message().trim().replace('\n', " ");
            src.error(e.span(), format!("not valid TOML: {msg}"))
        })?;
        let top = Section { src: &src, table: doc.as_table(), name: "the file".into() };
        top.only(&TOP)?;
        let servers = servers(&top)?;
        let candidate = candidate(&top, &servers)?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Ok(TargetFile {
            path: path.into(),
            dir: std::path::absolute(dir).unwrap_or_else(|_| dir.into()),
            name: top
                .string("name", "name = \"my-election\"")?
                .map(String::from)
                .or(stem)
                .unwrap_or_default(),
            about: top
                .string("about", "about = \"…\"")?
                .map_or_else(|| path.display().to_string(), String::from),
            nodes: top
                .number("nodes", 1..(splitbrain_nemesis::net::MAX_NODES as i64 + 1), "nodes = 5")?
                .map(|n| n as usize),
            tokens: top.flag("tokens")?.unwrap_or(true),
            lease_ms: top.number("lease_ms", 1..3_600_001, "lease_ms = 2000")?,
            clock_aim: clock_aim(&top)?,
            requires: top
                .strings("requires", "requires = [\"etcd\"]")?
                .unwrap_or_default()
                .into_iter()
                .map(String::from)
                .collect(),
            servers,
            candidate,
        })
    }
}

fn clock_aim(top: &Section<'_>) -> Result<Option<ClockAim>, FileError> {
    let hint = "clock_aim = \"servers\" (or \"followers\", \"nowhere\", \"anywhere\")";
    match top.string("clock_aim", hint)? {
        None | Some("anywhere") => Ok(None),
        Some("servers") => Ok(Some(ClockAim::Servers)),
        Some("followers") => Ok(Some(ClockAim::Followers)),
        Some("nowhere") => Ok(Some(ClockAim::Nowhere)),
        Some(other) => {
            Err(top.error("clock_aim", format!("clock_aim {other:?} is not known: write {hint}")))
        }
    }
}

fn servers(top: &Section<'_>) -> Result<Vec<Servers>, FileError> {
    let Some(item) = top.get("servers") else { return Ok(Vec::new()) };
    let tables = item.as_array_of_tables().ok_or_else(|| {
        top.error(
            "servers",
            "servers must be [[servers]] tables, each with nodes, command and ready_port",
        )
    })?;
    let mut out: Vec<Servers> = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        let s = Section { src: top.src, table, name: format!("[[servers]] #{}", i + 1) };
        s.only(&SERVER_KEYS)?;
        let default = if i == 0 { "server".to_string() } else { format!("server{}", i + 1) };
        let name = s.string("name", "name = \"etcd\"")?.map_or(default, String::from);
        if out.iter().any(|o| o.name == name) {
            return Err(s.error(
                "name",
                format!(
                    "two [[servers]] tables are named {name:?}: give each its own name = \"…\""
                ),
            ));
        }
        let port = s.number("ready_port", 1..65536, "ready_port = 2379")?;
        let port = port.ok_or_else(|| s.error("ready_port", format!("{} needs ready_port, the TCP port that accepts once the server is up: add e.g. ready_port = 2379", s.name)))?;
        let nodes = nodes(&s, false)?.ok_or_else(|| {
            s.error(
                "nodes",
                format!("{} needs nodes: add e.g. nodes = 3 (n1…n3) or nodes = [\"n1\"]", s.name),
            )
        })?;
        let process = process(&s, &[])?;
        out.push(Servers { name, nodes, ready_port: port as u16, process });
    }
    Ok(out)
}

fn candidate(top: &Section<'_>, servers: &[Servers]) -> Result<Candidate, FileError> {
    let Some(item) = top.get("candidate") else {
        return Err(top.src.error(None, "no [candidate] table: add one with command = \"…\" (the program that elects; see PROTOCOL.md)"));
    };
    let table = item.as_table().ok_or_else(|| {
        top.error("candidate", "candidate must be a [candidate] table with command = \"…\"")
    })?;
    let c = Section { src: top.src, table, name: "[candidate]".into() };
    c.only(&CANDIDATE_KEYS)?;
    let nodes = nodes(&c, true)?.unwrap_or(NodeSet::All);
    if nodes == NodeSet::Others && servers.is_empty() {
        return Err(c.error("nodes", "nodes = \"others\" means the nodes without a server, but there are no [[servers]]: write nodes = \"all\""));
    }
    let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
    Ok(Candidate {
        nodes,
        confirm_writes: c.flag("confirm_writes")?.unwrap_or(false),
        register: c.flag("register")?.unwrap_or(false),
        process: process(&c, &names)?,
    })
}

/// `command`, `clock_shim`, `faults` of a process table; `servers` names the server tables
/// `{servers:NAME}` may pick (none for a server's own command).
fn process(s: &Section<'_>, servers: &[&str]) -> Result<Process, FileError> {
    let command = s.required("command", "command = \"python3 candidate.py\"")?;
    check_fields(s, command, servers)?;
    let faults = s.strings("faults", "faults = [\"partition\", \"kill\"]")?;
    if let Some(bad) = faults.iter().flatten().find(|f| !FAULTS.contains(f)) {
        return Err(s.error(
            "faults",
            format!("unknown fault {bad:?} in faults: use any of {}", FAULTS.join(", ")),
        ));
    }
    let line = s.table.span().map_or(1, |sp| s.src.raw[..sp.start].matches('\n').count() + 1);
    Ok(Process {
        command: command.into(),
        clock_shim: s.flag("clock_shim")?,
        faults: faults.map(|f| f.into_iter().map(String::from).collect()),
        line,
    })
}

fn check_fields(s: &Section<'_>, command: &str, servers: &[&str]) -> Result<(), FileError> {
    for (name, arg) in template::fields(command) {
        let known = FIELDS.contains(&name);
        let msg = match (name, arg) {
            _ if !known => format!("{{{name}}} in command is not a field: use one of {}; write {{{{ and }}}} for literal braces", FIELDS.map(|f| format!("{{{f}}}")).join(", ")),
            ("servers", _) if servers.is_empty() => "{servers} in a server's own command: a server gets its own address as {addr} and port as {port}".into(),
            ("servers", Some(n)) if !servers.contains(&n) => format!("{{servers:{n}}}: no [[servers]] table has name = {n:?}; the names are {}", servers.join(", ")),
            ("addr" | "servers", _) | (_, None) => continue,
            (_, Some(a)) => format!("{{{name}:{a}}}: {{{name}}} takes no argument; write {{{name}}}"),
        };
        return Err(s.error("command", msg));
    }
    Ok(())
}

fn nodes(s: &Section<'_>, candidate: bool) -> Result<Option<NodeSet>, FileError> {
    let Some(item) = s.get("nodes") else { return Ok(None) };
    let hint = match candidate {
        true => "nodes = \"all\", \"others\" (the nodes without a server), or a list such as [\"n4\", \"n5\"]",
        false => "nodes = 3 (n1…n3) or a list such as [\"n1\", \"n2\"]",
    };
    let bad = || s.src.error(span_of(item), format!("nodes in {}: write {hint}", s.name));
    let max = splitbrain_nemesis::net::MAX_NODES as i64;
    match item.as_value() {
        Some(v) if !candidate && v.as_integer().is_some_and(|n| (1..=max).contains(&n)) => {
            Ok(Some(NodeSet::Count(v.as_integer().unwrap_or(1) as usize)))
        }
        Some(v) if candidate && v.as_str() == Some("all") => Ok(Some(NodeSet::All)),
        Some(v) if candidate && v.as_str() == Some("others") => Ok(Some(NodeSet::Others)),
        Some(v) if v.is_array() => {
            let list = s.strings("nodes", hint)?.unwrap_or_default();
            if list.is_empty() || !list.iter().all(|n| valid_node(n)) {
                return Err(bad());
            }
            Ok(Some(NodeSet::List(list.into_iter().map(String::from).collect())))
        }
        _ => Err(bad()),
    }
}

fn valid_node(name: &str) -> bool {
    name.strip_prefix('n').and_then(|i| i.parse::<usize>().ok()).is_some_and(|i| i >= 1)
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
