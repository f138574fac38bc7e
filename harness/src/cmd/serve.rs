//! `splitbrain serve`: a small HTTP server on 127.0.0.1 to browse the stored runs: a list of
//! runs with their verdicts, and every file of every run (report.html opens as is).
//!
//! Neighbours: runs are listed by `splitbrain_results::Store::runs` and the index page is
//! `splitbrain_results::report::index::render`.
//!
//! Design: std's `TcpListener`, one connection at a time, each bounded (5 s to read the
//! request, 30 s to send), GET only, paths confined to the store (no `..`, no links out).
//! It runs until Ctrl-C, or for `--for` seconds.

use crate::cmd::values::positive_seconds;
use crate::exit::{bad_input, printed};
use splitbrain_results::Store;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
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
    listener.set_nonblocking(true)?;
    splitbrain_targets::stop::install_signal_handlers()?;
    let at = listener.local_addr()?;
    // Serving goes on when nobody reads this line any more (`serve | head -1`).
    printed(writeln!(std::io::stdout(), "splitbrain: serving {} at http://{at}/", root.display()))?;
    let deadline = args.for_secs.map(|d| Instant::now() + d);
    while !splitbrain_targets::stop::signalled() && deadline.is_none_or(|d| Instant::now() < d) {
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = serve_one(stream, &root);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => eprintln!("splitbrain: accept failed: {e}"),
        }
    }
    Ok(0)
}

fn serve_one(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?.take(16 * 1024));
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut parts = first.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let mut out = stream;
    if method != "GET" && method != "HEAD" {
        return respond(&mut out, 405, "text/plain", b"only GET\n", method == "HEAD");
    }
    let path = percent_decode(target.split('?').next().unwrap_or("/"));
    let head = method == "HEAD";
    match path.as_str() {
        "/" => respond(&mut out, 200, "text/html; charset=utf-8", index(root).as_bytes(), head),
        p => match resolve(root, p.trim_start_matches('/')) {
            Some(f) if f.is_dir() => respond(
                &mut out,
                200,
                "text/html; charset=utf-8",
                listing(root, &f).as_bytes(),
                head,
            ),
            Some(f) => match std::fs::read(&f) {
                Ok(bytes) => respond(&mut out, 200, content_type(&f), &bytes, head),
                Err(_) => respond(&mut out, 404, "text/plain", b"not found\n", head),
            },
            None => respond(&mut out, 404, "text/plain", b"not found\n", head),
        },
    }
}

fn respond(
    out: &mut TcpStream,
    code: u16,
    ctype: &str,
    body: &[u8],
    head: bool,
) -> std::io::Result<()> {
    let reason = match code {
        200 => "OK",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    write!(
        out,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if !head {
        out.write_all(body)?;
    }
    out.flush()
}

/// `rel` inside `root`, if it exists and stays inside after following links.
fn resolve(root: &Path, rel: &str) -> Option<PathBuf> {
    let rel = Path::new(rel);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let full = std::fs::canonicalize(root.join(rel)).ok()?;
    full.starts_with(root).then_some(full)
}

/// The store's index page (the results crate renders it; its links are relative to the root).
fn index(root: &Path) -> String {
    let runs = Store::new(root).runs().unwrap_or_default();
    splitbrain_results::report::index::render(&root.display().to_string(), &runs)
}

fn listing(root: &Path, dir: &Path) -> String {
    let rel = dir.strip_prefix(root).unwrap_or(Path::new(""));
    let mut names: Vec<(String, bool)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path().is_dir()))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    names.sort();
    let base = rel.display().to_string();
    let items: String = names
        .iter()
        .map(|(n, d)| {
            let slash = if *d { "/" } else { "" };
            let href = if base.is_empty() {
                format!("/{n}{slash}")
            } else {
                format!("/{base}/{n}{slash}")
            };
            format!("<li><a href=\"{}\">{}{slash}</a></li>", esc(&href), esc(n))
        })
        .collect();
    page(&format!("/{base}"), &format!("<p><a href=\"/\">all runs</a></p><ul>{items}</ul>"))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><meta charset=utf-8><title>{0}</title><style>body{{font:14px system-ui,sans-serif;margin:2em}}td,th{{padding:2px 10px;text-align:left}}.invalid{{color:#c00;font-weight:bold}}.valid{{color:#080}}.unknown{{color:#b80}}</style><h1>{0}</h1>{body}",
        esc(title)
    )
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_store_are_refused() {
        let root = std::fs::canonicalize(std::env::temp_dir()).unwrap();
        assert!(resolve(&root, "../etc/passwd").is_none());
        assert!(resolve(&root, "/etc/passwd").is_none());
        assert_eq!(percent_decode("/a%20b/%2e%2e"), "/a b/..");
    }
}
