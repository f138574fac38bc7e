//! `splitbrain sandbox` and `splitbrain node-exec`: a live node network to poke at by hand.
//!
//! `sandbox --nodes N [-- COMMAND…]` enters a sandbox, builds N nodes, prints their names and
//! addresses, and runs COMMAND (default: `$SHELL`) in the controller's namespace; when it ends,
//! everything goes. `node-exec NODE -- COMMAND…` (from inside) runs COMMAND in a node's network
//! namespace, so `splitbrain sandbox --nodes 3 -- splitbrain node-exec n2 -- ping n3` works.
//!
//! Neighbours: everything real lives in `splitbrain-nemesis` (`Sandbox`, `Net`).

use crate::cmd::values::whole;
use crate::exit::{bad_input, printed};
use splitbrain_nemesis::{net, tools::Tools, Net, Sandbox};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;

/// Arguments of `splitbrain sandbox`.
#[derive(clap::Args)]
pub struct Args {
    /// How many nodes (n1…nN), 1 to 250.
    #[arg(long, default_value_t = 3, allow_hyphen_values = true, value_parser = whole::<usize>)]
    pub nodes: usize,
    /// The command to run in the controller's namespace (default: your shell).
    #[arg(last = true)]
    pub command: Vec<OsString>,
}

/// Arguments of `splitbrain node-exec`.
#[derive(clap::Args)]
pub struct NodeExecArgs {
    /// The node (n1, n2, …) of the sandbox this runs in.
    pub node: String,
    /// The command to run inside the node (default: your shell).
    #[arg(last = true)]
    pub command: Vec<OsString>,
}

fn nemesis_error(e: splitbrain_nemesis::Error) -> anyhow::Error {
    if e.is_bad_input() {
        bad_input(e.to_string())
    } else {
        anyhow::Error::new(e)
    }
}

/// The command to run: the given one, or the user's shell.
fn command_of(argv: &[OsString]) -> Command {
    match argv.split_first() {
        Some((prog, rest)) => {
            let mut c = Command::new(prog);
            c.args(rest);
            c
        }
        None => Command::new(std::env::var_os("SHELL").unwrap_or_else(|| "/bin/sh".into())),
    }
}

/// Runs `sandbox`: must be called before the process starts any thread.
pub fn run(args: Args) -> anyhow::Result<u8> {
    if args.nodes == 0 || args.nodes > net::MAX_NODES {
        return Err(bad_input(format!(
            "--nodes {}: a sandbox holds 1 to {} nodes",
            args.nodes,
            net::MAX_NODES
        )));
    }
    Tools::find().map_err(nemesis_error)?;
    let sandbox = Sandbox::enter().map_err(nemesis_error)?;
    let net = Net::up(&sandbox, args.nodes).map_err(nemesis_error)?;
    printed(print_nodes(&net))?;
    eprintln!(
        "splitbrain: sandbox up; `splitbrain node-exec NODE -- COMMAND` runs COMMAND on a node"
    );
    let mut cmd = command_of(&args.command);
    cmd.env("SPLITBRAIN_NODES", net.names().join(" ")).env("PATH", path_with_self());
    let mut child = cmd.spawn().map_err(|e| bad_input(format!("{}: {e}", shown(&args.command))))?;
    let status = splitbrain_targets::stop::ignoring_interrupts(|| child.wait())?;
    drop(net);
    Ok(status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)) as u8)
}

/// The nodes' names and addresses, one a line, then the controller's.
fn print_nodes(net: &Net) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for n in net.nodes() {
        writeln!(out, "{}\t{}", n.name, n.addr)?;
    }
    writeln!(out, "controller\t{}", net.controller_addr())
}

/// Runs `node-exec`: replaces this process with the command, inside the node.
pub fn node_exec(args: NodeExecArgs) -> anyhow::Result<u8> {
    net::enter_node(&args.node).map_err(nemesis_error)?;
    let err = command_of(&args.command).env("SPLITBRAIN_NODE", &args.node).exec();
    Err(bad_input(format!("{}: {err}", shown(&args.command))))
}

fn shown(argv: &[OsString]) -> String {
    argv.first().map_or("the shell".into(), |p| p.to_string_lossy().into_owned())
}

/// `$PATH` with this executable's directory first, so `splitbrain` works inside.
fn path_with_self() -> OsString {
    let mut dirs: Vec<_> = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|p| p.to_path_buf()))
        .into_iter()
        .collect();
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(dirs).unwrap_or_default()
}
