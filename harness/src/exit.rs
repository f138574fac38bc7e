//! Turning outcomes into exit statuses: the one place that decides 254 versus 255, and that
//! every error is told in one line.
//!
//! Neighbours: `main` calls [`status`] and [`usage`]; subcommands raise [`BadInput`] for
//! anything the user can fix (a missing file, an unknown checker name, a bad flag value), and
//! pass what they print through [`printed`]; the flags' value parsers are `crate::cmd::values`.
//!
//! Design: an error is its chain joined with ": ", where a cause whose text its context
//! already shows is left out (a `thiserror` message that prints its source, or an OS error
//! wrapped twice, appears once), on one line whatever the parts hold.

use std::fmt;
use std::io;
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
            eprintln!("splitbrain: {}", one_line_chain(&e));
            let bad = e.chain().any(|c| c.is::<BadInput>());
            ExitCode::from(if bad { BAD_INPUT } else { TOOL_FAILED })
        }
    }
}

/// What a subcommand printed on stdout: a reader that stopped reading (`splitbrain targets |
/// head -1`) is no failure, so a closed pipe ends the output quietly.
pub fn printed(written: io::Result<()>) -> io::Result<()> {
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The error's chain on one line, each cause once (what [`status`] prints).
pub fn one_line_chain(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = flatten(&cause.to_string());
        if part.is_empty() || text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// The non-blank lines of `s`, trimmed and joined with "; ".
fn flatten(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

/// Help and version go to stdout with status 0; any other parse error is bad usage, told in
/// one line (a flag's refused value as `FLAG MESSAGE`, else clap's own message without its
/// usage block).
pub fn usage(e: clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    eprintln!("splitbrain: {}", clap_line(&e));
    ExitCode::from(BAD_INPUT)
}

/// A parse error in one line, as [`usage`] prints it (a drill file's scenarios are parsed by
/// `test`'s parser too, and their errors read the same).
pub fn clap_line(e: &clap::Error) -> String {
    match e.kind() {
        clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "no subcommand given; give one, e.g. `splitbrain test` (`splitbrain --help` lists them)"
                .to_string()
        }
        _ => refused_value(e).unwrap_or_else(|| one_line(&e.render().to_string())),
    }
}

/// `--time-limit must be positive: got -5` for a value a parser of `crate::cmd::values`
/// refused (their messages start with "must"); `--model: unknown model "x": …` for another
/// parser's, with the value added when its message does not show it.
fn refused_value(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::ValueValidation {
        return None;
    }
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let arg = text(ContextKind::InvalidArg)?;
    let flag = arg.split_whitespace().next().unwrap_or(&arg).to_string();
    let why = flatten(&std::error::Error::source(e)?.to_string());
    let value = text(ContextKind::InvalidValue).unwrap_or_default();
    // A message that begins with the value it refused ("split-brain: no such checker; …")
    // reads best after the flag, as `--checker split-brain: no such checker; …`.
    let leads_with_value = !value.is_empty() && why.starts_with(&format!("{value}:"));
    Some(match (why.starts_with("must ") || leads_with_value, why.contains(&value)) {
        (true, _) => format!("{flag} {why}"),
        (false, true) => format!("{flag}: {why}"),
        (false, false) => format!("{flag} {value:?}: {why}"),
    })
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

    #[test]
    fn an_os_error_its_context_already_shows_is_told_once() {
        let os = io::Error::from(nix::errno::Errno::ENOTDIR);
        let shown = format!("/tmp/f/store: {os}");
        let e = anyhow::Error::new(os).context(shown.clone());
        assert_eq!(one_line_chain(&e), shown);
        let e = anyhow::anyhow!("line one\n  line two\n").context("starting");
        assert_eq!(one_line_chain(&e), "starting: line one; line two");
    }

    #[test]
    fn a_closed_pipe_is_no_failure_but_other_write_errors_are() {
        assert!(printed(Err(io::ErrorKind::BrokenPipe.into())).is_ok());
        assert!(printed(Err(io::ErrorKind::StorageFull.into())).is_err());
    }
}
