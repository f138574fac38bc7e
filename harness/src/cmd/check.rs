//! `splitbrain check HISTORY`: run checkers on a recorded history and print their verdicts.

use std::path::PathBuf;

/// Arguments of `splitbrain check`.
#[derive(clap::Args)]
pub struct Args {
    /// The history file (history.jsonl).
    pub history: PathBuf,
}

/// Runs `check`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    Err(crate::exit::bad_input(format!("{}: check is not built yet", args.history.display())))
}
