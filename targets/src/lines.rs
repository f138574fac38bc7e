//! Line-delimited JSON over TCP, the framing of both protocols of this crate (clients to nodes,
//! nodes to the resource): one JSON object per line each way, answers in request order.
//!
//! Neighbours: [`crate::client`] and [`crate::resource::client`] use it as clients with
//! deadlines; the node's server ([`crate::node`]) and the resource's server use it to serve.
//!
//! Design: every read and write has a bound. A client gives a deadline; a server polls its stop
//! flag every 100 ms while it waits for the next request. A line longer than 1 MiB is refused.

use serde::Serialize;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(100);
const MAX_LINE: usize = 1 << 20;

/// Connect and per-request bounds of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// The longest wait for a TCP connection.
    pub connect: Duration,
    /// The longest wait from sending a request to its answer's last byte.
    pub request: Duration,
}

impl Timeouts {
    /// Both bounds given in milliseconds.
    pub fn ms(connect: u64, request: u64) -> Timeouts {
        Timeouts {
            connect: Duration::from_millis(connect),
            request: Duration::from_millis(request),
        }
    }
}

/// One connection carrying JSON lines.
#[derive(Debug)]
pub struct LineConn {
    reader: BufReader<TcpStream>,
    pending: Vec<u8>,
}

impl LineConn {
    /// Wraps an accepted or connected stream.
    pub fn new(stream: TcpStream) -> LineConn {
        let _ = stream.set_nodelay(true);
        LineConn { reader: BufReader::new(stream), pending: Vec::new() }
    }

    /// Connects to `addr` within `timeout`.
    pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<LineConn> {
        Ok(LineConn::new(TcpStream::connect_timeout(&addr, timeout)?))
    }

    /// Writes `value` as one line, within `deadline`.
    pub fn send(&mut self, value: &impl Serialize, deadline: Instant) -> io::Result<()> {
        let mut line = serde_json::to_vec(value).map_err(io::Error::other)?;
        line.push(b'\n');
        let stream = self.reader.get_mut();
        stream.set_write_timeout(Some(left(deadline)?))?;
        stream.write_all(&line)
    }

    /// Reads the next line, waiting until `deadline` (then `TimedOut`). `Ok(None)`: the peer
    /// closed the connection between lines.
    pub fn receive(&mut self, deadline: Instant) -> io::Result<Option<Vec<u8>>> {
        loop {
            let wait = left(deadline)?.min(POLL);
            if let Some(line) = self.read_some(wait)? {
                return Ok(line);
            }
        }
    }

    /// Reads the next line for a server: waits while `running()` holds (asked every 100 ms).
    /// `Ok(None)`: the peer closed the connection, or `running()` turned false.
    pub fn serve_next(&mut self, running: impl Fn() -> bool) -> io::Result<Option<Vec<u8>>> {
        while running() {
            if let Some(line) = self.read_some(POLL)? {
                return Ok(line);
            }
        }
        Ok(None)
    }

    /// One bounded read: `Some(line or EOF)` when done, `None` when `wait` passed first.
    fn read_some(&mut self, wait: Duration) -> io::Result<Option<Option<Vec<u8>>>> {
        self.reader.get_ref().set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        match self.reader.read_until(b'\n', &mut self.pending) {
            Ok(0) if self.pending.is_empty() => Ok(Some(None)),
            Ok(_) if self.pending.ends_with(b"\n") => {
                let mut line = std::mem::take(&mut self.pending);
                line.pop();
                Ok(Some(Some(line)))
            }
            Ok(_) => {
                Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed mid-line"))
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                if self.pending.len() > MAX_LINE {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "line over 1 MiB"));
                }
                Ok(None)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The time left until `deadline`, or `TimedOut` when none is.
fn left(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"));
    }
    Ok(left)
}
