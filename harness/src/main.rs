//! The `splitbrain` command line: parses the arguments, runs one subcommand, and turns its
//! outcome into the exit status in this one place.
//!
//! Exit status (HISTORY.md): 0 valid, 1 invalid, 2 unknown, 254 bad usage or input,
//! 255 the tool itself failed. Subcommands return the status of their verdict, or an error:
//! a [`exit::BadInput`] anywhere in its chain means 254, anything else 255. The hidden `node`
//! and `resource` subcommands are the processes the controller starts from its own executable
//! (so this one binary is all a test needs); they keep the statuses of those programs.

mod cmd;
mod controller;
mod exit;

use clap::{Parser, Subcommand};
use splitbrain_targets::{node, resource};
use std::ffi::OsString;
use std::process::ExitCode;

/// Jepsen-style fault injection and linearizability checking for leader election.
#[derive(Parser)]
#[command(name = "splitbrain", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a test: a cluster in a sandbox, clients and faults, a recorded history, a verdict.
    Test(Box<cmd::test::Args>),
    /// Judge a stored run again and rewrite its results.
    Analyze(cmd::analyze::Args),
    /// List the targets, whether each can run here, their bugs and the faults that miss them.
    Targets(cmd::targets::Args),
    /// Run a drill file: a night's scenarios, one result for the night, trends across nights.
    Drill(cmd::drill::Args),
    /// Browse the stored runs over HTTP on 127.0.0.1.
    Serve(cmd::serve::Args),
    /// Measure the controller (`bench record`: client operations recorded per second).
    Bench(cmd::bench::Args),
    /// Check a recorded history and print the verdict of each checker.
    Check(cmd::check::Args),
    /// Open a sandbox with N nodes and run a command (default: a shell) next to them.
    Sandbox(cmd::sandbox::Args),
    /// Run a command inside a node of the sandbox this runs in.
    NodeExec(cmd::sandbox::NodeExecArgs),
    /// One candidate, as the controller starts it on each node (`splitbrain-node`'s arguments).
    #[command(hide = true, disable_help_flag = true, disable_version_flag = true)]
    Node(Passed),
    /// The fenced resource as a process of its own (`splitbrain-resource`'s arguments).
    #[command(hide = true, disable_help_flag = true, disable_version_flag = true)]
    Resource(Passed),
}

/// A subcommand's arguments, passed on untouched to the program it is (its own parser, help,
/// and exit statuses: 2 for bad options).
#[derive(clap::Args)]
struct Passed {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<OsString>,
}

impl Passed {
    /// `argv` for the program: `splitbrain NAME` in place of `argv[0]`, then the arguments.
    fn argv(self, name: &str) -> impl Iterator<Item = OsString> {
        std::iter::once(format!("splitbrain {name}").into()).chain(self.args)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return exit::usage(e),
    };
    let outcome = match cli.command {
        Command::Test(args) => cmd::test::run(*args),
        Command::Drill(args) => cmd::drill::run(args),
        Command::Analyze(args) => cmd::analyze::run(args),
        Command::Targets(args) => cmd::targets::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Sandbox(args) => cmd::sandbox::run(args),
        Command::NodeExec(args) => cmd::sandbox::node_exec(args),
        Command::Node(args) => return node::cli::main_from(args.argv("node")),
        Command::Resource(args) => return resource::cli::main_from(args.argv("resource")),
    };
    exit::status(outcome)
}
