//! The hosts file of `splitbrain test --hosts`: which real host each node is, how `ssh` reaches
//! it, its data-plane address, and whether the host agent needs `sudo`. A mistake is one line
//! naming the file, the line and what to write.
//!
//! Neighbours: `cmd/test.rs` reads it before anything starts; `splitbrain_nemesis::remote`
//! holds what it becomes.
//!
//! Design: `toml_edit`, for the spans that give each error its line; node names must be
//! `n1`…`nN`, as in the sandbox, so targets, aims and reports need not know where nodes live.

use crate::exit::bad_input;
use splitbrain_nemesis::remote::{Host, Hosts};
use std::net::Ipv4Addr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml_edit::{Item, Table};

const TOP_KEYS: [&str; 4] = ["nodes", "ssh_config", "controller", "run_root"];
const NODE_KEYS: [&str; 3] = ["ssh", "addr", "sudo"];

/// `--hosts FILE` (with `--nodes N`, which must then agree): the file and its hosts.
pub fn resolve(
    file: Option<&Path>,
    nodes: Option<usize>,
) -> anyhow::Result<Option<(PathBuf, Hosts)>> {
    let Some(file) = file else { return Ok(None) };
    let hosts = read(file)?;
    match nodes {
        Some(n) if n != hosts.hosts.len() => Err(bad_input(format!(
            "--nodes {n}: the hosts file has {} hosts; leave out --nodes with --hosts",
            hosts.hosts.len()
        ))),
        _ => Ok(Some((file.to_path_buf(), hosts))),
    }
}

/// Reads the hosts file at `path`.
pub fn read(path: &Path) -> anyhow::Result<Hosts> {
    let raw = std::fs::read_to_string(path).map_err(|e| {
        bad_input(format!(
            "--hosts {}: {e}: give a hosts file (see README, \"Running against real hosts\")",
            path.display()
        ))
    })?;
    let src = Src { path, raw: &raw };
    let doc = toml_edit::Document::parse(raw.as_str())
        .map_err(|e| src.err(e.span(), format!("not valid TOML: {}", e.message())))?;
    let top = doc.as_table();
    src.known(top, &TOP_KEYS, "the top level")?;
    let Some(nodes) = top.get("nodes").and_then(Item::as_table) else {
        return Err(src.err(None, "no [nodes.n1] table: write one per host, e.g. [nodes.n1] ssh = \"root@10.0.0.1\" addr = \"10.0.0.1\""));
    };
    let mut hosts = nodes
        .iter()
        .map(|(name, item)| src.host(name, item))
        .collect::<anyhow::Result<Vec<_>>>()?;
    hosts.sort_by_key(|h| h.name[1..].parse::<usize>().unwrap_or(0));
    for (i, h) in hosts.iter().enumerate() {
        if h.name != format!("n{}", i + 1) {
            return Err(src.err(
                span(nodes.get(&h.name)),
                format!("[nodes.{}]: name the nodes n1 to n{} without gaps", h.name, hosts.len()),
            ));
        }
    }
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(Hosts {
        hosts,
        ssh_config: src.string(top, "ssh_config")?.map(|p| base.join(p)),
        controller: src.addr(top, "controller")?,
        run_root: src.string(top, "run_root")?.map_or(PathBuf::from("/tmp"), PathBuf::from),
    })
}

struct Src<'a> {
    path: &'a Path,
    raw: &'a str,
}

impl Src<'_> {
    fn err(&self, span: Option<Range<usize>>, msg: impl std::fmt::Display) -> anyhow::Error {
        let line =
            span.map_or(1, |s| self.raw[..s.start.min(self.raw.len())].matches('\n').count() + 1);
        bad_input(format!("{}:{line}: {msg}", self.path.display()))
    }

    fn known(&self, t: &Table, keys: &[&str], what: &str) -> anyhow::Result<()> {
        match t.iter().find(|(k, _)| !keys.contains(k)) {
            Some((k, item)) => Err(self.err(
                span(Some(item)),
                format!("unknown key {k:?} in {what}: the keys are {}", keys.join(", ")),
            )),
            None => Ok(()),
        }
    }

    fn host(&self, name: &str, item: &Item) -> anyhow::Result<Host> {
        let Some(t) = item.as_table() else {
            return Err(self.err(
                span(Some(item)),
                format!("nodes.{name}: write a table [nodes.{name}] with ssh and addr"),
            ));
        };
        self.known(t, &NODE_KEYS, &format!("[nodes.{name}]"))?;
        let missing =
            |k: &str| self.err(t.span(), format!("[nodes.{name}] has no {k}: add {k} = \"…\""));
        let ssh = self.string(t, "ssh")?.ok_or_else(|| missing("ssh"))?;
        let addr = self.addr(t, "addr")?.ok_or_else(|| missing("addr"))?;
        let sudo = match t.get("sudo") {
            None => false,
            Some(v) => {
                v.as_bool().ok_or_else(|| self.err(span(Some(v)), "sudo: write true or false"))?
            }
        };
        Ok(Host { name: name.to_string(), ssh: ssh.to_string(), addr, sudo })
    }

    fn string<'t>(&self, t: &'t Table, key: &str) -> anyhow::Result<Option<&'t str>> {
        match t.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| self.err(span(Some(v)), format!("{key}: write a string in quotes"))),
        }
    }

    fn addr(&self, t: &Table, key: &str) -> anyhow::Result<Option<Ipv4Addr>> {
        let Some(s) = self.string(t, key)? else { return Ok(None) };
        s.parse().map(Some).map_err(|_| {
            self.err(
                span(t.get(key)),
                format!("{key} = {s:?}: write an IPv4 address, e.g. \"10.0.0.1\""),
            )
        })
    }
}

fn span(item: Option<&Item>) -> Option<Range<usize>> {
    match item? {
        Item::Value(v) => v.span(),
        Item::Table(t) => t.span(),
        Item::ArrayOfTables(a) => a.span(),
        Item::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> anyhow::Result<Hosts> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts.toml");
        std::fs::write(&path, text).unwrap();
        read(&path).map_err(|e| {
            anyhow::anyhow!("{}", e.to_string().replace(&*path.to_string_lossy(), "F"))
        })
    }

    #[test]
    fn a_hosts_file_gives_its_hosts_in_node_order() {
        let h = read_text("[nodes.n2]\nssh = \"b\"\naddr = \"10.0.0.2\"\nsudo = true\n[nodes.n1]\nssh = \"root@a:2222\"\naddr = \"10.0.0.1\"\n").unwrap();
        assert_eq!(h.hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(), ["n1", "n2"]);
        assert!(h.hosts[1].sudo && !h.hosts[0].sudo);
        assert_eq!(h.run_root, PathBuf::from("/tmp"));
    }

    #[test]
    fn mistakes_name_the_file_and_line() {
        let table = [
            ("[nodes.n1]\nssh = \"a\"\naddr = \"300.0.0.1\"\n", "F:3: addr"),
            ("[nodes.n1]\nssh = \"a\"\naddr = \"10.0.0.1\"\nport = 2\n", "F:4: unknown key \"port\""),
            ("[nodes.n1]\naddr = \"10.0.0.1\"\n", "F:1: [nodes.n1] has no ssh"),
            ("[nodes.n1]\nssh = \"a\"\naddr = \"10.0.0.1\"\n[nodes.n3]\nssh = \"a\"\naddr = \"10.0.0.3\"\n", "F:4: [nodes.n3]: name the nodes"),
            ("x = [", "F:1: not valid TOML"),
        ];
        for (text, want) in table {
            let got = read_text(text).unwrap_err().to_string();
            assert!(got.starts_with(want), "{text:?}: {got}");
        }
    }
}
