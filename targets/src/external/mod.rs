//! Bring your own election: a user's candidate program, in any language, hosted in a node
//! like a built-in elector (the candidate protocol, PROTOCOL.md at the repository root), and
//! target files that say which servers and which candidate run on which nodes.
//!
//! - [`wire`]: the protocol's lines; [`host`] and [`listen`]: the candidate host, the node's
//!   elector `external`.
//! - [`mod@file`]: a target file (TOML) read into a [`file::TargetFile`], with every error naming
//!   the file, the line and what to write instead; [`template`]: the commands' `{…}` fields.
//! - [`target`]: a target file as a [`crate::launch::Target`] the controller runs; [`bundled`]:
//!   the target files built into the binary (`--target zookeeper`).
//!
//! Neighbours: [`crate::node::electors::build`] calls [`build`] for `--elector external`; the
//! controller (`harness`) reads a target file through [`target::FileTarget::load`].

pub mod bundled;
pub mod file;
pub mod host;
pub mod listen;
pub mod program;
pub mod section;
pub mod target;
pub mod template;
pub mod wire;

use crate::elector::Elector;
use crate::node::{NodeConfig, NodeError};
use host::{Host, HostOptions};

/// The `--elector-opt` keys of `external`.
pub const KEYS: [&str; 6] =
    ["command", "cwd", "clock-shim", "confirm-writes", "lease-ms", "register"];

/// The elector `external` for the node `cfg` describes: a [`Host`] of the candidate that
/// `--elector-opt command=…` names, with the protocol's environment.
pub fn build(cfg: &NodeConfig) -> Result<Box<dyn Elector>, NodeError> {
    let get = |key: &str| cfg.elector_opts.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
    if let Some((k, _)) = cfg.elector_opts.iter().find(|(k, _)| !KEYS.contains(&k.as_str())) {
        return Err(bad(format!("unknown key {k:?}; it takes {}", KEYS.join(", "))));
    }
    let command = get("command").filter(|c| !c.trim().is_empty());
    let command = command.ok_or_else(|| bad("command=… is required".into()))?;
    let mut env = vec![
        ("SPLITBRAIN_NODE".to_string(), cfg.id.clone()),
        ("SPLITBRAIN_NODES".to_string(), names(cfg)),
        ("SPLITBRAIN_ADDR".to_string(), cfg.listen.ip().to_string()),
        ("SPLITBRAIN_RESOURCE".to_string(), cfg.resource.to_string()),
        ("SPLITBRAIN_DATA".to_string(), cfg.data_dir.display().to_string()),
    ];
    if let Some(ms) = get("lease-ms") {
        env.push(("SPLITBRAIN_LEASE_MS".to_string(), ms.clone()));
    }
    let opts = HostOptions {
        command: command.clone(),
        cwd: get("cwd").map(Into::into),
        env,
        clock_shim: flag(get("clock-shim"), "clock-shim", true)?,
        confirm_writes: flag(get("confirm-writes"), "confirm-writes", false)?,
        register: flag(get("register"), "register", false)?,
    };
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| bad(format!("cannot create {}: {e}", cfg.data_dir.display())))?;
    Ok(Box::new(Host::new(&cfg.id, opts, host::stdout_notes())))
}

fn names(cfg: &NodeConfig) -> String {
    cfg.peers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(" ")
}

fn flag(value: Option<&String>, key: &str, default: bool) -> Result<bool, NodeError> {
    match value.map(String::as_str) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(bad(format!("{key}: expected true or false, got {other:?}"))),
    }
}

fn bad(msg: String) -> NodeError {
    NodeError::BadConfig(format!("--elector-opt for external: {msg}"))
}
