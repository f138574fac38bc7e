//! Tests of `serve`: a real server on 127.0.0.1 over a temporary store, spoken to over raw
//! TCP, so what is checked is exactly what goes over the wire.

use super::files::{span, Span};
use super::http::{serve, HEAD_BYTES, HEAD_LIMIT};
use super::paths::{percent_decode, resolve};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A server over a temporary store, stopped and joined on drop.
struct Running {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
    _store: tempfile::TempDir,
    outside: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("the server thread").expect("the server ends cleanly");
        }
    }
}

/// A store with `run1/a.txt` ("hello\n"), `big.bin` (`big` bytes), links out of the store
/// (to a folder and to a file, both holding "secret"), and a link that stays inside.
fn start(big: usize) -> Running {
    let store = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(store.path()).unwrap();
    std::fs::create_dir(root.join("run1")).unwrap();
    std::fs::write(root.join("run1/a.txt"), "hello\n").unwrap();
    std::fs::write(root.join("big.bin"), pattern(big)).unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink(root.join("run1/a.txt"), root.join("inside.txt")).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread =
        std::thread::spawn(move || serve(listener, root, move || flag.load(Ordering::SeqCst)));
    Running { addr, stop, thread: Some(thread), _store: store, outside }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// A response: status, head (lower-cased), body.
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// Sends `request` as is (it should say `Connection: close`) and reads the answer to its end.
fn send(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut s = connect(addr);
    s.write_all(request).unwrap();
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    parse(&all)
}

fn parse(all: &[u8]) -> Reply {
    let end = all.windows(4).position(|w| w == b"\r\n\r\n").map_or(all.len(), |p| p + 4);
    let head = String::from_utf8_lossy(&all[..end]).to_lowercase();
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Reply { status, head, body: all[end..].to_vec() }
}

fn get(addr: SocketAddr, path: &str, extra: &str) -> Reply {
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n");
    send(addr, request.as_bytes())
}

#[test]
fn paths_that_leave_the_store_are_refused_before_any_file_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    for rel in ["../etc/passwd", "/etc/passwd", "a/../../etc/passwd", "./x"] {
        assert!(resolve(&root, rel).is_none(), "{rel}");
    }
    assert_eq!(percent_decode("/a%20b/%2e%2e%2Fc%"), "/a b/../c%");
}

#[test]
fn every_way_out_of_the_store_is_not_found() {
    let server = start(10);
    let outside = server.outside.path().display().to_string();
    let table = [
        "/../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/run1/..%2f..%2fetc%2fpasswd",
        "/run1/%2e%2e%2F%2e%2e%2Fetc/passwd",
        "/%2fetc%2fpasswd",
        "//etc/passwd",
        "/out/secret.txt",
        "/out/",
        "/leak.txt",
        "/run1/a.txt%00",
        &format!("/..{outside}/secret.txt"),
        "http://x/../etc/passwd",
    ];
    for path in table {
        let r = get(server.addr, path, "");
        let body = String::from_utf8_lossy(&r.body);
        assert!(r.status == 404 || r.status == 400, "{path}: {} {body}", r.status);
        assert!(!body.contains("secret") && !body.contains("root:"), "{path}: {body}");
    }
    let inside = get(server.addr, "/inside.txt", "");
    assert_eq!((inside.status, inside.body.as_slice()), (200, &b"hello\n"[..]));
}

#[test]
fn pages_and_files_are_served_with_their_types() {
    let server = start(10);
    let table = [
        ("/", 200, "text/html", "splitbrain runs"),
        ("/run1/", 200, "text/html", "a.txt"),
        ("/run1/a.txt?x=1", 200, "text/plain", "hello"),
        ("/run1/nope.txt", 404, "text/plain", "not found"),
    ];
    for (path, status, ctype, has) in table {
        let r = get(server.addr, path, "");
        assert_eq!(r.status, status, "{path}");
        assert!(r.head.contains(&format!("content-type: {ctype}")), "{path}: {}", r.head);
        assert!(String::from_utf8_lossy(&r.body).contains(has), "{path}");
    }
}

#[test]
fn only_get_and_head_are_answered_and_head_sends_no_body() {
    let server = start(10);
    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let request = format!(
            "{method} / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let r = send(server.addr, request.as_bytes());
        assert_eq!(r.status, 405, "{method}");
        assert!(r.head.contains("allow: get, head"), "{method}: {}", r.head);
    }
    let head =
        send(server.addr, b"HEAD /run1/a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(head.status, 200);
    assert!(head.head.contains("content-length: 6"), "{}", head.head);
    assert!(head.body.is_empty());
}

#[test]
fn a_request_head_over_the_limit_is_refused_and_the_server_goes_on() {
    let server = start(10);
    let long = format!("/{}", "a".repeat(HEAD_BYTES * 4));
    let r = get(server.addr, &long, "");
    assert_ne!(r.status, 200, "a {} byte request line was served", long.len());
    let many: String = (0..2000).map(|i| format!("X-Filler-{i}: {}\r\n", "b".repeat(20))).collect();
    let r = get(server.addr, "/run1/a.txt", &many);
    assert_ne!(r.status, 200, "a {} byte head was served", many.len());
    assert_eq!(get(server.addr, "/run1/a.txt", "").status, 200);
}

#[test]
fn a_client_that_never_finishes_its_request_head_is_cut_off() {
    let server = start(10);
    let mut s = connect(server.addr);
    s.write_all(b"GET /run1/a.txt HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(waited < HEAD_LIMIT + Duration::from_secs(3), "still open after {waited:?}");
    assert!(!String::from_utf8_lossy(&rest).contains("hello"));
}

#[test]
fn a_range_is_answered_with_those_bytes_only() {
    let server = start(100_000);
    let all = pattern(100_000);
    let table: [(&str, u16, &[u8]); 5] = [
        ("bytes=10-19", 206, &all[10..20]),
        ("bytes=99990-", 206, &all[99_990..]),
        ("bytes=-5", 206, &all[99_995..]),
        ("bytes=0-1,5-6", 200, &all[..]),
        ("bytes=100000-", 416, b""),
    ];
    for (range, status, body) in table {
        let r = get(server.addr, "/big.bin", &format!("Range: {range}\r\n"));
        assert_eq!(r.status, status, "{range}");
        assert!(r.body == body, "{range}: {} bytes, wanted {}", r.body.len(), body.len());
    }
    let r = get(server.addr, "/big.bin", "Range: bytes=10-19\r\n");
    assert!(r.head.contains("content-range: bytes 10-19/100000"), "{}", r.head);
}

#[test]
fn range_headers_read_as_rfc_9110_says() {
    let table = [
        (None, 10, Span::Whole),
        (Some("bytes=0-0"), 10, Span::Part(0, 0)),
        (Some("bytes=2-"), 10, Span::Part(2, 9)),
        (Some("bytes=2-400"), 10, Span::Part(2, 9)),
        (Some("bytes=-3"), 10, Span::Part(7, 9)),
        (Some("bytes=-30"), 10, Span::Part(0, 9)),
        (Some("bytes=10-"), 10, Span::Unsatisfiable),
        (Some("bytes=-0"), 10, Span::Unsatisfiable),
        (Some("bytes=-1"), 0, Span::Unsatisfiable),
        (Some("bytes=5-2"), 10, Span::Whole),
        (Some("bytes=1-2,4-5"), 10, Span::Whole),
        (Some("bytes=x-"), 10, Span::Whole),
        (Some("items=0-1"), 10, Span::Whole),
    ];
    for (header, len, want) in table {
        assert_eq!(span(header, len), want, "{header:?} of {len}");
    }
}

/// The old server answered one connection at a time: a client that stopped reading held
/// everyone else up until its 30 s write timeout. Here the slow client's download is proved to
/// be in flight (its file is far larger than the socket buffers, it has read only the first
/// bytes, and it later reads every byte) while another client is answered.
#[test]
fn a_slow_reader_holds_up_no_other_client() {
    let size = 64 << 20;
    let server = start(size);
    let mut slow = connect(server.addr);
    slow.write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut first = vec![0u8; 64 * 1024];
    slow.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"HTTP/1.1 200"));
    let started = Instant::now();
    let other = get(server.addr, "/run1/a.txt", "");
    let took = started.elapsed();
    assert_eq!((other.status, other.body.as_slice()), (200, &b"hello\n"[..]));
    assert!(took < Duration::from_secs(2), "the second client waited {took:?}");
    let mut rest = Vec::new();
    slow.read_to_end(&mut rest).unwrap();
    let reply = parse(&[first, rest].concat());
    assert_eq!(reply.body.len(), size, "the slow client's download was cut short");
    assert!(reply.body == pattern(size));
}

#[test]
fn many_clients_download_at_once() {
    let size = 4 << 20;
    let server = start(size);
    let addr = server.addr;
    let lens: Vec<usize> = std::thread::scope(|s| {
        let jobs: Vec<_> =
            (0..20).map(|_| s.spawn(move || get(addr, "/big.bin", "").body.len())).collect();
        jobs.into_iter().map(|j| j.join().unwrap()).collect()
    });
    assert_eq!(lens, vec![size; 20]);
}

#[test]
fn the_server_stops_when_told_even_with_a_connection_open() {
    let server = start(10);
    let _idle = connect(server.addr);
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// A night of drill `nightly` in the store at `root`, its scenario's leaderless time `ms`.
fn drill_night(root: &std::path::Path, night: &str, ms: f64) {
    let dir = root.join("drills/nightly").join(night);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = serde_json::json!({
        "name": "raft-pause", "options_hash": "0", "options": {}, "command": "splitbrain test",
        "expect": "valid", "got": "valid", "met": true, "seeds": [],
        "figures": {"leaderless_ms": ms}, "gated": true
    });
    let record = serde_json::json!({
        "format": 1, "drill": "nightly", "file": "nightly.toml", "night": night,
        "started": "2026-12-02T00:00:00Z", "seed": 1, "interrupted": false, "outcome": "passed",
        "trends": {"min_nights": 3, "window": 7, "thresholds": {}}, "scenarios": [scenario]
    });
    std::fs::write(dir.join("drill.json"), record.to_string()).unwrap();
}

#[test]
fn the_index_lists_drills_and_a_drill_shows_its_nights_with_a_plot_per_figure() {
    let server = start(10);
    let root = server._store.path();
    drill_night(root, "20261201T020000.000Z", 300.0);
    drill_night(root, "20261202T020000.000Z", 450.0);
    let index = String::from_utf8_lossy(&get(server.addr, "/", "").body).into_owned();
    assert!(index.contains(r#"<a href="/drills/nightly/">nightly</a>"#), "{index}");
    let page = get(server.addr, "/drills/nightly/", "");
    let body = String::from_utf8_lossy(&page.body);
    assert_eq!(page.status, 200);
    assert!(body.contains(r#"href="/drills/nightly/20261202T020000.000Z/drill.html""#), "{body}");
    assert!(body.contains("20261201T020000.000Z: 300 ms") && body.contains("450 ms"), "{body}");
    assert_eq!(body.matches("<svg").count(), 1, "one figure measured, one plot: {body}");
    assert!(!body.contains("<script"));
}
