//! The one error type of the nemesis crate, and which of its cases the user can fix.
//!
//! Neighbours: every module returns [`Error`]; the harness maps [`Error::is_bad_input`] to exit
//! status 254 and everything else to 255.

use std::io;

/// Everything that can go wrong while building the sandbox or doing a fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller asked for something impossible: 0 nodes, an unknown node, a bad rate…
    #[error("{0}")]
    BadInput(String),
    /// A program the sandbox needs is not installed.
    #[error("`{tool}` not found (looked in $PATH, /usr/sbin, /sbin): install it with `apt-get install {package}`, or run scripts/setup")]
    MissingTool {
        /// The program, e.g. `nft`.
        tool: &'static str,
        /// The Debian package that has it.
        package: &'static str,
    },
    /// No working user namespace for a process that is not root (a setting of the machine or
    /// of its container): the message names the setting and the fix.
    #[error("{why}")]
    UserNamespacesOff {
        /// What switched them off, and the command that switches them on.
        why: String,
    },
    /// A clock fault was asked of a node whose processes the clock shim cannot reach.
    #[error("{0}")]
    ClockUnreachable(String),
    /// A system call or file operation failed.
    #[error("{what}: {source}")]
    Os {
        /// What was being done, e.g. "mounting a tmpfs on /run".
        what: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// An `ip` or `nft` command failed.
    #[error("`{command}` failed: {message}")]
    Command {
        /// The command, shortened.
        command: String,
        /// What it printed on stderr.
        message: String,
    },
}

impl Error {
    /// True when the user can fix it (bad arguments, a missing tool, a machine setting):
    /// the harness exits 254 for these, 255 for the rest.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Error::Os { .. } | Error::Command { .. })
    }

    pub(crate) fn os(what: impl Into<String>, source: io::Error) -> Error {
        Error::Os { what: what.into(), source }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
