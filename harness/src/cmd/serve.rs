//! `splitbrain serve`: a small HTTP server on 127.0.0.1 to browse the stored runs: a list of
//! runs with their verdicts, and every file of every run (report.html opens as is).
//!
//! Neighbours: runs are listed by `splitbrain_results::Store::runs` and the index page is
//! `splitbrain_results::report::index::render`.
//!
//! Design: `hyper`'s HTTP/1.1 server on a tokio runtime that this command owns and drops on
//! the way out (so no connection outlives it). hyper because it is the maintained HTTP
//! implementation under the tokio already in the tree (etcd-client's gRPC stack builds it), so
//! no new crates are compiled, and it gives what a hand-written server got wrong or lacked:
//! concurrent connections, keep-alive, request heads parsed and size-limited, a header-read
//! timeout. Ours: GET and HEAD only, paths confined to the store (no `..`, no links out, see
//! `serve/paths.rs`), single byte ranges for large files (`serve/files.rs`), every connection
//! bounded (5 s to send a request head, 10 minutes in all). It runs until Ctrl-C, or for `--for`
//! seconds.
//!
//! Neighbours (inside): `serve/http.rs` (the server and the request handler), `serve/pages.rs`
//! (the index and folder pages).

mod files;
mod http;
mod pages;
mod paths;
#[cfg(test)]
mod tests;

use crate::cmd::values::positive_seconds;
use crate::exit::{bad_input, printed};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Arguments of `splitbrain serve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The store to browse.
    #[arg(long, default_value = "store")]
    pub store: PathBuf,
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long = "for", value_name = "SECONDS", allow_hyphen_values = true, value_parser = positive_seconds)]
    pub for_secs: Option<Duration>,
}

/// Runs `serve`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    if args.store.is_file() {
        return Err(bad_input(format!(
            "--store {} is a file, not a folder; give the store's folder",
            args.store.display()
        )));
    }
    if !args.store.is_dir() {
        return Err(bad_input(format!(
            "--store {}: no such folder; run `splitbrain test` first or give the store's path",
            args.store.display()
        )));
    }
    let root = std::fs::canonicalize(&args.store)?;
    let listener =
        TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port))).map_err(|e| {
            bad_input(format!("--port {}: {e}; give another port, or 0 for any", args.port))
        })?;
    splitbrain_targets::stop::install_signal_handlers()?;
    let at = listener.local_addr()?;
    // Serving goes on when nobody reads this line any more (`serve | head -1`).
    printed(writeln!(std::io::stdout(), "splitbrain: serving {} at http://{at}/", root.display()))?;
    let deadline = args.for_secs.map(|d| Instant::now() + d);
    let done = move || {
        splitbrain_targets::stop::signalled() || deadline.is_some_and(|d| Instant::now() >= d)
    };
    http::serve(listener, root, done)?;
    Ok(0)
}
