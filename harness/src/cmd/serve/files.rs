//! Sending one stored file: its content type, and a single byte range when the client asks
//! for one (a browser or `curl -r` paging through a large `history.jsonl`).
//!
//! Neighbours: `http.rs` calls [`respond`] for every request that names a file.
//!
//! Design: the file is streamed from disk in 256 KiB chunks, never read whole, so a 100 MB
//! history costs no more memory than a small one and many clients can read it at once. Of
//! `Range`, one `bytes=` range is served (`a-b`, `a-`, `-n`); a list of ranges, or one that does
//! not parse, gets the whole file, which RFC 9110 allows; a range past the end gets 416.

use super::http::{empty, Body};
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use std::io::SeekFrom;
use std::path::Path;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

const CHUNK: usize = 256 * 1024;

/// Which bytes to send of a file `len` bytes long.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Span {
    /// All of it (200).
    Whole,
    /// `first..=last` (206).
    Part(u64, u64),
    /// A range that starts past the end (416).
    Unsatisfiable,
}

/// What the `Range` header `header` asks of a file `len` bytes long.
pub(super) fn span(header: Option<&str>, len: u64) -> Span {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Span::Whole;
    };
    let Some((a, b)) = spec.split_once('-').filter(|_| !spec.contains(',')) else {
        return Span::Whole;
    };
    match (a.trim(), b.trim()) {
        ("", b) => b.parse().map_or(Span::Whole, |n| suffix(n, len)),
        (a, "") => a.parse().map_or(Span::Whole, |first| from(first, None, len)),
        (a, b) => match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(first), Ok(last)) if last >= first => from(first, Some(last), len),
            _ => Span::Whole,
        },
    }
}

/// The last `n` bytes.
fn suffix(n: u64, len: u64) -> Span {
    if n == 0 || len == 0 {
        return Span::Unsatisfiable;
    }
    Span::Part(len.saturating_sub(n), len - 1)
}

/// From `first` to `last` (or the end), cut at the end.
fn from(first: u64, last: Option<u64>, len: u64) -> Span {
    if first >= len {
        return Span::Unsatisfiable;
    }
    Span::Part(first, last.map_or(len - 1, |l| l.min(len - 1)))
}

/// The answer for file `path` (already confined to the store), streamed, or 404.
pub(super) async fn respond(path: &Path, range: Option<&str>) -> Response<Body> {
    let Ok(mut file) = tokio::fs::File::open(path).await else {
        return super::http::not_found();
    };
    let Ok(len) = file.metadata().await.map(|m| m.len()) else {
        return super::http::not_found();
    };
    let builder =
        Response::builder().header(CONTENT_TYPE, content_type(path)).header(ACCEPT_RANGES, "bytes");
    let (builder, first, count) = match span(range, len) {
        Span::Whole => (builder.status(StatusCode::OK), 0, len),
        Span::Part(first, last) => (
            builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(CONTENT_RANGE, format!("bytes {first}-{last}/{len}")),
            first,
            last - first + 1,
        ),
        Span::Unsatisfiable => {
            return builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(CONTENT_RANGE, format!("bytes */{len}"))
                .body(empty())
                .expect("a valid response");
        }
    };
    if file.seek(SeekFrom::Start(first)).await.is_err() {
        return super::http::not_found();
    }
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(count), CHUNK);
    let body = StreamBody::new(stream.map_ok(Frame::data)).boxed_unsync();
    builder.header(CONTENT_LENGTH, count).body(body).expect("a valid response")
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
