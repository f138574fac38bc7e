//! The Redis lease targets' candidates, as people write them:
//!
//! - `redis-naive`: acquire with `SET key id NX PX ttl`, renew with `SET key id XX PX ttl`
//!   (which succeeds whoever holds the key: the tutorials' bug), release with `DEL`. No token.
//! - `redis-cas`: acquire the same way, then `INCR` a counter for a fencing token; renew and
//!   release with Lua scripts that act only while the value is still ours.
//!
//! A leader believes it leads until a renewal is refused or, for `redis-cas`, its local deadline
//! passes: the deadline is "when the last successful `SET`/renewal was sent + ttl", on the
//! monotonic clock. A `redis-naive` leader, like the tutorials' loop, looks at the deadline only
//! when renewals fail (server down or cut off).
//! Renewals run on their own thread every ttl/3 and do not look at the deadline first, as the
//! usual loop (`sleep; renew`) does not; so a candidate resumed after a pause races its renewal
//! against its own deadline check. Server-side expiry follows the Redis server's wall clock,
//! which the clock shim can move. Neighbour: [`super::redis_launch`] starts the server.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::belief::{Loss, Renewer};
use super::error::{Error, Result};
use super::{nap, token, Confirmer, Note, ThirdPartyElector, Token};

/// Renew only while the value is ours (`redis-cas`).
const RENEW_IF_OURS: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Release only while the value is ours (`redis-cas`).
const RELEASE_IF_OURS: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// Which recipe a candidate follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    /// `redis-naive`: renew with `SET XX`, no owner check, no token.
    Naive,
    /// `redis-cas`: renew/release only while ours (Lua), token from `INCR`.
    Cas,
}

/// Where the server is and the lease's timing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisOptions {
    /// `redis://host:port/`.
    pub url: String,
    /// The lease key.
    pub key: String,
    /// The `INCR` counter (`redis-cas`).
    pub token_key: String,
    /// The lease TTL (`PX`).
    pub ttl: Duration,
    /// Pause between acquisition attempts.
    pub retry: Duration,
    /// Bound on connecting and on each command.
    pub request_timeout: Duration,
}

impl RedisOptions {
    /// Options for `url`: a 1 s lease, renewed every 333 ms, retried every 100 ms.
    pub fn new(url: &str) -> RedisOptions {
        RedisOptions {
            url: url.into(),
            key: "splitbrain:leader".into(),
            token_key: "splitbrain:token".into(),
            ttl: Duration::from_millis(1000),
            retry: Duration::from_millis(100),
            request_timeout: Duration::from_millis(250),
        }
    }

    fn ttl_ms(&self) -> u64 {
        self.ttl.as_millis() as u64
    }
}

/// A connection made on first use and dropped after an I/O error, so the next use reconnects.
struct Conn {
    client: redis::Client,
    con: Option<redis::Connection>,
    limit: Duration,
}

impl Conn {
    fn open(opts: &RedisOptions) -> Result<Conn> {
        let client = redis::Client::open(opts.url.as_str())?;
        Ok(Conn { client, con: None, limit: opts.request_timeout })
    }

    fn run<T>(
        &mut self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        if self.con.is_none() {
            let con = self.client.get_connection_with_timeout(self.limit)?;
            con.set_read_timeout(Some(self.limit))?;
            con.set_write_timeout(Some(self.limit))?;
            self.con = Some(con);
        }
        let con = self.con.as_mut().ok_or_else(|| Error::Protocol("no connection".into()))?;
        let out = f(con);
        if out
            .as_ref()
            .is_err_and(|e| e.is_io_error() || e.is_timeout() || e.is_connection_dropped())
        {
            self.con = None;
        }
        Ok(out?)
    }
}

/// One tenure: its token, local deadline, and renewal thread.
struct Tenure {
    token: Token,
    deadline: Arc<Mutex<Instant>>,
    loss: Loss,
    renewer: Renewer,
}

/// A candidate following a [`Recipe`].
pub struct RedisElector {
    id: String,
    recipe: Recipe,
    opts: RedisOptions,
    conn: Arc<Mutex<Conn>>,
    notes: Arc<Mutex<Vec<Note>>>,
    tenure: Option<Tenure>,
}

impl RedisElector {
    /// A candidate `id` (the key's value) following `recipe`; connects on first use.
    pub fn new(id: &str, recipe: Recipe, opts: RedisOptions) -> Result<RedisElector> {
        if opts.ttl < Duration::from_millis(10) {
            return Err(Error::BadOption("redis: the lease TTL must be at least 10 ms".into()));
        }
        let conn = Arc::new(Mutex::new(Conn::open(&opts)?));
        let notes = Arc::new(Mutex::new(Vec::new()));
        Ok(RedisElector { id: id.into(), recipe, opts, conn, notes, tenure: None })
    }

    /// One `SET key id NX PX ttl`: true when the key was free and is now ours.
    fn try_set(&self) -> Result<bool> {
        let (key, id, ttl) = (&self.opts.key, &self.id, self.opts.ttl_ms());
        let set = redis::cmd("SET").arg(key).arg(id).arg("NX").arg("PX").arg(ttl).clone();
        let reply: Option<String> = lock(&self.conn).run(|c| set.query(c))?;
        Ok(reply.is_some())
    }

    fn take_token(&self) -> Result<Token> {
        match self.recipe {
            Recipe::Naive => Ok(None),
            Recipe::Cas => {
                let incr = redis::cmd("INCR").arg(&self.opts.token_key).clone();
                Ok(token(lock(&self.conn).run(|c| incr.query::<i64>(c))?))
            }
        }
    }

    fn start_tenure(&mut self, token: Token, sent: Instant) {
        let deadline = Arc::new(Mutex::new(sent + self.opts.ttl));
        let loss = Loss::new();
        let renew = Renewal {
            recipe: self.recipe,
            id: self.id.clone(),
            opts: self.opts.clone(),
            conn: self.conn.clone(),
            notes: self.notes.clone(),
            deadline: deadline.clone(),
        };
        let every = self.opts.ttl / 3;
        let mut first = true;
        let step = move || {
            // The first step only schedules: the acquisition just set the TTL.
            if std::mem::take(&mut first) {
                return ControlFlow::Continue(every);
            }
            match renew.step() {
                ControlFlow::Continue(()) => ControlFlow::Continue(every),
                ControlFlow::Break(why) => ControlFlow::Break(why),
            }
        };
        let renewer = Renewer::spawn("redis-renew", loss.clone(), step);
        self.tenure = Some(Tenure { token, deadline, loss, renewer });
    }

    fn release(&self) -> Result<()> {
        let (key, id) = (self.opts.key.clone(), self.id.clone());
        let mut conn = lock(&self.conn);
        match self.recipe {
            Recipe::Naive => conn.run(|c| redis::cmd("DEL").arg(&key).query::<i64>(c)).map(drop),
            Recipe::Cas => {
                let script = redis::Script::new(RELEASE_IF_OURS);
                conn.run(|c| script.key(&key).arg(&id).invoke::<i64>(c)).map(drop)
            }
        }
    }
}

/// What the renewal thread needs.
struct Renewal {
    recipe: Recipe,
    id: String,
    opts: RedisOptions,
    conn: Arc<Mutex<Conn>>,
    notes: Arc<Mutex<Vec<Note>>>,
    deadline: Arc<Mutex<Instant>>,
}

impl Renewal {
    /// One renewal: moves the deadline on success, ends the tenure on a refusal or once the
    /// deadline has passed; a failed request is retried at the next step.
    fn step(&self) -> ControlFlow<String> {
        let sent = Instant::now();
        match self.renew() {
            Ok(true) => *lock(&self.deadline) = sent + self.opts.ttl,
            Ok(false) => {
                return ControlFlow::Break(format!(
                    "renewal-refused: {} renewal refused (the key is gone or not ours)",
                    self.name()
                ))
            }
            Err(_) if Instant::now() > *lock(&self.deadline) => {
                return ControlFlow::Break(format!(
                    "lease-deadline: {} local deadline passed while renewals failed",
                    self.name()
                ));
            }
            Err(_) => {}
        }
        ControlFlow::Continue(())
    }

    fn name(&self) -> &'static str {
        match self.recipe {
            Recipe::Naive => "redis-naive",
            Recipe::Cas => "redis-cas",
        }
    }

    fn renew(&self) -> Result<bool> {
        let (key, id, ttl) = (&self.opts.key, &self.id, self.opts.ttl_ms());
        let mut conn = lock(&self.conn);
        match self.recipe {
            Recipe::Naive => {
                // `GET` only reports the old value; the write is the tutorials' `SET XX PX`.
                let set = redis::cmd("SET")
                    .arg(key)
                    .arg(id)
                    .arg("XX")
                    .arg("PX")
                    .arg(ttl)
                    .arg("GET")
                    .clone();
                let old: Option<String> = conn.run(|c| set.query(c))?;
                if let Some(other) = old.as_ref().filter(|v| *v != id) {
                    lock(&self.notes).push(overwrote(key, other));
                }
                Ok(old.is_some())
            }
            Recipe::Cas => {
                let script = redis::Script::new(RENEW_IF_OURS);
                Ok(conn.run(|c| script.key(key).arg(id).arg(ttl).invoke::<i64>(c))? == 1)
            }
        }
    }
}

impl ThirdPartyElector for RedisElector {
    fn campaign(&mut self, limit: Duration, give_up: &dyn Fn() -> bool) -> Result<Option<Token>> {
        if let Some(t) = self.tenure.take_if(|t| t.loss.get().is_some()) {
            t.renewer.stop();
        }
        if let Some(t) = &self.tenure {
            return Ok(Some(t.token));
        }
        let deadline = Instant::now() + limit;
        loop {
            let sent = Instant::now();
            if self.try_set()? {
                let token = self.take_token()?;
                self.start_tenure(token, sent);
                return Ok(Some(token));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || nap(self.opts.retry.min(left), give_up) {
                return Ok(None);
            }
        }
    }

    fn lost(&mut self) -> Option<String> {
        let t = self.tenure.as_ref()?;
        // The tutorials' loop (`sleep; SET XX`) has no deadline of its own: a naive leader
        // leads until a renewal fails, so one woken from a pause renews first, over whoever
        // holds the key now.
        if self.recipe == Recipe::Cas && Instant::now() > *lock(&t.deadline) {
            t.loss.set("lease-deadline: the local lease deadline passed");
        }
        t.loss.get()
    }

    fn resign(&mut self) -> Result<()> {
        let Some(t) = self.tenure.take() else { return Ok(()) };
        t.renewer.stop();
        self.release()
    }

    fn notes(&mut self) -> Vec<Note> {
        std::mem::take(&mut *lock(&self.notes))
    }

    fn confirmer(&self) -> Result<Box<dyn Confirmer>> {
        let conn = Mutex::new(Conn::open(&self.opts)?);
        Ok(Box::new(RedisConfirmer { conn, recipe: self.recipe, opts: self.opts.clone() }))
    }
}

/// Reads the key's holder (and, for `redis-cas`, the counter, in one atomic `MGET`).
struct RedisConfirmer {
    conn: Mutex<Conn>,
    recipe: Recipe,
    opts: RedisOptions,
}

impl Confirmer for RedisConfirmer {
    fn leader(&self, limit: Duration) -> Result<Option<(String, Token)>> {
        let mut conn = lock(&self.conn);
        conn.limit = limit;
        let mget = redis::cmd("MGET").arg(&self.opts.key).arg(&self.opts.token_key).clone();
        let (holder, counter): (Option<String>, Option<i64>) = conn.run(|c| mget.query(c))?;
        let counter = counter.and_then(token).filter(|_| self.recipe == Recipe::Cas);
        Ok(holder.map(|h| (h, counter)))
    }
}

/// `redis-naive`'s renewal found `other`'s value in `key` and replaced it with its own.
fn overwrote(key: &str, other: &str) -> Note {
    Note {
        f: "renew",
        value: serde_json::json!({"token": null, "key": key, "overwrote": other}),
        text: format!("redis-naive: renewal overwrote the key held by {other}"),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
