//! The `splitbrain` command line: parses the arguments, runs one subcommand, and turns its
//! outcome into the exit status in this one place.
//!
//! Exit status (shared/HISTORY.md): 0 valid, 1 invalid, 2 unknown, 254 bad usage or input,
//! 255 the tool itself failed. Subcommands return the status of their verdict, or an error:
//! a [`exit::BadInput`] anywhere in its chain means 254, anything else 255.

mod cmd;
mod controller;
mod exit;

use clap::{Parser, Subcommand};
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
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return exit::usage(e),
    };
    let outcome = match cli.command {
        Command::Test(args) => cmd::test::run(*args),
        Command::Analyze(args) => cmd::analyze::run(args),
        Command::Targets(args) => cmd::targets::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Sandbox(args) => cmd::sandbox::run(args),
        Command::NodeExec(args) => cmd::sandbox::node_exec(args),
    };
    exit::status(outcome)
}
