//! The server: accepts connections, serves each on its own task, and answers GET and HEAD of
//! `/` (the index), of a folder (its listing) or of a file.
//!
//! Neighbours: `paths.rs` confines a request to the store, `files.rs` sends a file, `pages.rs`
//! makes the pages.
//!
//! Design: the file-system work of finding what a path names (canonicalize, listing a folder,
//! reading the store's runs) blocks, so it runs on tokio's blocking pool and never holds up
//! the two worker threads that move bytes for every other connection.

use super::{files, pages, paths};
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_TYPE, RANGE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Response bodies: a page in memory or a file streamed from disk.
pub(super) type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// Time a client has to send a request head.
pub(super) const HEAD_LIMIT: Duration = Duration::from_secs(5);
/// Time one connection may stay open in all (a 100 MB history at 200 kB/s fits).
const CONNECTION_LIMIT: Duration = Duration::from_secs(600);
/// The largest request head read; a longer one is refused (hyper's smallest limit is 8 KiB).
pub(super) const HEAD_BYTES: usize = 16 * 1024;
/// How often the accept loop asks whether to stop.
const TICK: Duration = Duration::from_millis(50);

/// Serves `root` (a canonical path) on `listener` until `done()` is true; connections still
/// open then are cut.
pub(super) fn serve(
    listener: std::net::TcpListener,
    root: PathBuf,
    done: impl Fn() -> bool,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let root = Arc::new(root);
    let accepted = runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        while !done() {
            match tokio::time::timeout(TICK, listener.accept()).await {
                Ok(Ok((stream, _))) => drop(tokio::spawn(connection(stream, Arc::clone(&root)))),
                Ok(Err(e)) => {
                    eprintln!("splitbrain: accept failed: {e}");
                    tokio::time::sleep(TICK).await;
                }
                Err(_) => {}
            }
        }
        Ok(())
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    accepted
}

/// One connection, for as long as the client keeps it (bounded).
async fn connection(stream: tokio::net::TcpStream, root: Arc<PathBuf>) {
    let service = service_fn(move |req| {
        let root = Arc::clone(&root);
        async move { Ok::<_, Infallible>(handle(req, root).await) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_LIMIT)
        .max_buf_size(HEAD_BYTES)
        .serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(CONNECTION_LIMIT, conn).await;
}

/// What a request path names.
enum Target {
    Page(String),
    File(PathBuf),
    Missing,
}

async fn handle(req: Request<Incoming>, root: Arc<PathBuf>) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        r.headers_mut().insert(ALLOW, "GET, HEAD".parse().expect("a valid header"));
        return r;
    }
    let path = paths::percent_decode(req.uri().path());
    let found = tokio::task::spawn_blocking(move || find(&root, &path)).await;
    match found.unwrap_or(Target::Missing) {
        Target::Page(html) => page(html),
        Target::File(f) => {
            let range = req.headers().get(RANGE).and_then(|v| v.to_str().ok());
            files::respond(&f, range).await
        }
        Target::Missing => not_found(),
    }
}

fn find(root: &Path, path: &str) -> Target {
    if path == "/" {
        return Target::Page(pages::index(root));
    }
    match paths::resolve(root, path.trim_start_matches('/')) {
        Some(f) if f.is_dir() => {
            Target::Page(pages::drill(root, &f).unwrap_or_else(|| pages::listing(root, &f)))
        }
        Some(f) => Target::File(f),
        None => Target::Missing,
    }
}

/// An empty body.
pub(super) fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

fn page(html: String) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(html)).map_err(|n| match n {}).boxed_unsync());
    r.headers_mut().insert(CONTENT_TYPE, "text/html; charset=utf-8".parse().expect("valid"));
    r
}

fn text(code: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)).map_err(|n| match n {}).boxed_unsync());
    *r.status_mut() = code;
    r.headers_mut().insert(CONTENT_TYPE, "text/plain".parse().expect("valid"));
    r
}

/// 404, for anything missing or outside the store alike.
pub(super) fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "not found\n")
}
