//! The resource's TCP server: an accepting thread and one thread per connection, all owned by a
//! [`Resource`] value and joined when it is dropped.
//!
//! Neighbours: [`super::register`] decides; the controller receives each [`Decision`] through
//! its sink; nodes connect with [`super::client`].
//!
//! Design: the sink is called under the same lock that decides, so the order in which the
//! controller receives decisions is exactly the order in which the resource applied or refused
//! them. The sink must therefore be quick (append to a channel or a buffered writer): every
//! request waits for it.

use super::register::{Decision, Mode, Register};
use crate::lines::LineConn;
use crate::stop::Stop;
use serde::Deserialize;
use serde_json::{json, Value};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Where decisions go, in serial order.
pub type Sink = Box<dyn FnMut(&Decision) + Send>;

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Request {
    Write { key: String, token: Option<u64>, node: String, value: Value },
    Read { key: String, token: Option<u64> },
}

struct Shared {
    register: Register,
    sink: Sink,
}

/// A running resource server. Dropping it stops and joins every thread it started.
pub struct Resource {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<Stop>,
    acceptor: Option<JoinHandle<()>>,
}

impl Resource {
    /// Listens on `listen` (port 0 picks a free port; see [`Resource::addr`]) in `mode`,
    /// handing every write decision to `sink` in serial order.
    pub fn start(
        listen: SocketAddr,
        mode: Mode,
        sink: impl FnMut(&Decision) + Send + 'static,
    ) -> io::Result<Resource> {
        let listener = TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Shared { register: Register::new(mode), sink: Box::new(sink) };
        let shared = Arc::new(Mutex::new(shared));
        let stop = Arc::new(Stop::new());
        let (s, st) = (shared.clone(), stop.clone());
        let acceptor = std::thread::Builder::new()
            .name("resource-accept".into())
            .spawn(move || accept_loop(&listener, &s, &st))?;
        Ok(Resource { addr, shared, stop, acceptor: Some(acceptor) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        lock(&self.shared).register.mode()
    }

    /// The highest token accepted so far.
    pub fn highest(&self) -> Option<u64> {
        lock(&self.shared).register.highest()
    }

    /// The current value of `key` (`null` when never written), read without any token check.
    pub fn value(&self, key: &str) -> Value {
        lock(&self.shared).register.read(key, None).unwrap_or(Value::Null)
    }

    /// Stops serving and joins every thread (what dropping does).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.stop();
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

impl Drop for Resource {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(listener: &TcpListener, shared: &Mutex<Shared>, stop: &Stop) {
    std::thread::scope(|s| {
        while !stop.is_stopped() {
            match listener.accept() {
                Ok((stream, _)) => {
                    s.spawn(move || serve(stream, shared, stop));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    stop.sleep(Duration::from_millis(2));
                }
                Err(e) => {
                    eprintln!("resource: accept failed: {e}");
                    stop.sleep(Duration::from_millis(50));
                }
            }
        }
    });
}

fn serve(stream: TcpStream, shared: &Mutex<Shared>, stop: &Stop) {
    if stream.set_nonblocking(false).is_err() {
        return;
    }
    let mut conn = LineConn::new(stream);
    while let Ok(Some(line)) = conn.serve_next(|| !stop.is_stopped()) {
        let answer = answer(&line, shared);
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        if conn.send(&answer, deadline).is_err() {
            return;
        }
    }
}

fn answer(line: &[u8], shared: &Mutex<Shared>) -> Value {
    let request = match serde_json::from_slice::<Request>(line) {
        Ok(request) => request,
        Err(e) => return json!({"ok": false, "error": "bad-request", "detail": e.to_string()}),
    };
    let mut shared = lock(shared);
    match request {
        Request::Write { key, token, node, value } => {
            let decision = shared.register.write(&key, token, &node, value);
            (shared.sink)(&decision);
            match decision.accepted {
                true => json!({"ok": true}),
                false => stale(shared.register.highest()),
            }
        }
        Request::Read { key, token } => match shared.register.read(&key, token) {
            Ok(value) => json!({"ok": true, "value": value}),
            Err(highest) => stale(highest),
        },
    }
}

fn stale(highest: Option<u64>) -> Value {
    json!({"ok": false, "error": "stale-token", "highest": highest})
}
