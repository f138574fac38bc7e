//! Turning outcomes into exit statuses: the one place that decides 254 versus 255.
//!
//! Neighbours: `main` calls [`status`] and [`usage`]; subcommands raise [`BadInput`] for
//! anything the user can fix (a missing file, an unknown checker name, a bad flag value).

use std::fmt;
use std::process::ExitCode;

/// Exit status for bad usage or unreadable input.
pub const BAD_INPUT: u8 = 254;
/// Exit status for a failure of the tool itself.
pub const TOOL_FAILED: u8 = 255;

/// An error the user caused and can fix; its message names what is wrong and what to do.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Shorthand for a [`BadInput`] error inside an `anyhow` chain.
pub fn bad_input(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(msg.into()))
}

/// The exit status of a subcommand's outcome, printing the error on one line when there is one.
pub fn status(outcome: anyhow::Result<u8>) -> ExitCode {
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("splitbrain: {e:#}");
            let bad = e.chain().any(|c| c.is::<BadInput>());
            ExitCode::from(if bad { BAD_INPUT } else { TOOL_FAILED })
        }
    }
}

/// Help and version go to stdout with status 0; any other parse error is bad usage, told in
/// one line (clap's own message, without its usage block).
pub fn usage(e: clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    eprintln!("splitbrain: {}", one_line(&e.render().to_string()));
    ExitCode::from(BAD_INPUT)
}

/// The first paragraph of a clap message on one line, with a pointer to `--help`.
fn one_line(message: &str) -> String {
    let first: Vec<&str> = message.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
    let text = first.join(" ");
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    format!("{text} (see --help)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clap_error_becomes_one_line() {
        let msg = "error: the following required arguments were not provided:\n  <HISTORY>\n\nUsage: splitbrain check <HISTORY>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(msg),
            "the following required arguments were not provided: <HISTORY> (see --help)"
        );
    }
}
