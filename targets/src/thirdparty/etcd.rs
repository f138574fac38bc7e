//! The `etcd` target's candidate: etcd's election API, used the way Go programs use
//! `concurrency.Election`: grant a lease of TTL t, keep it alive in the background, `Campaign`
//! (which blocks until this candidate's key has the lowest create revision under the election
//! prefix), `Observe` the leader, `Resign`. Token: the leader key's create revision, which rises
//! from each leader to the next because a new leader's key outlived every older one.
//!
//! How loss is noticed, faithfully to clientv3 (the source of Jepsen's etcd 3.4.3 finding):
//! keep-alives go out every TTL/3; each answer moves a local deadline to "now + TTL"; a loop
//! that ticks every 500 ms ends the tenure once that deadline has passed; an answer with TTL 0
//! (the lease is gone) ends it at once; `Observe` showing another key ends it too. A candidate
//! paused past its TTL therefore wakes up still believing it leads until one of those loops
//! runs, and acts in between: that is the finding, and fencing with the token is its fix.
//! Neighbours: [`super::etcd_launch`] starts the cluster; [`super::belief::Loss`] carries the
//! reason to the caller.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_client::{Client, ConnectOptions, LeaderKey, ResignOptions};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout, Instant};

use super::belief::Loss;
use super::error::{Error, Result};
use super::{token, within, Confirmer, ThirdPartyElector, Token};

/// clientv3's keep-alive bookkeeping period (its `deadlineLoop` ticks every 500 ms), also its
/// pause before reopening a broken keep-alive stream.
const CLIENTV3_TICK: Duration = Duration::from_millis(500);

/// Where the cluster is and how the candidate campaigns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdOptions {
    /// Client URLs to talk to (`http://10.0.0.1:2379`): the local member only when candidates
    /// run on etcd nodes (as in Jepsen's test), every member when they run on nodes of their own.
    pub endpoints: Vec<String>,
    /// The election's name (the key prefix).
    pub election: String,
    /// The lease TTL, whole seconds (etcd raises it to its minimum, 2 s with a 1 s election
    /// timeout).
    pub lease_ttl: Duration,
    /// Bound on each request other than `Campaign` itself.
    pub request_timeout: Duration,
}

impl EtcdOptions {
    /// Options for `endpoints` with the election `splitbrain`, a 2 s lease, 1 s requests.
    pub fn new(endpoints: Vec<String>) -> EtcdOptions {
        EtcdOptions {
            endpoints,
            election: "splitbrain".into(),
            lease_ttl: Duration::from_secs(2),
            request_timeout: Duration::from_secs(1),
        }
    }

    fn check(&self) -> Result<()> {
        if self.endpoints.is_empty() {
            return Err(Error::BadOption(
                "etcd: no endpoints; give at least one client URL".into(),
            ));
        }
        if self.lease_ttl < Duration::from_secs(1) {
            return Err(Error::BadOption("etcd: the lease TTL must be at least 1 s".into()));
        }
        Ok(())
    }
}

/// One lease and the tasks that keep it alive; the tasks end when it is dropped.
struct Session {
    lease: i64,
    loss: Loss,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

/// A candidate in etcd's election.
pub struct EtcdElector {
    id: String,
    opts: EtcdOptions,
    // Declared before `rt`: sessions abort their tasks before the runtime goes.
    session: Option<Session>,
    leader: Option<LeaderKey>,
    client: Option<Client>,
    rt: Runtime,
}

impl EtcdElector {
    /// A candidate called `id` (its campaign value), not yet connected.
    pub fn new(id: &str, opts: EtcdOptions) -> Result<EtcdElector> {
        opts.check()?;
        let rt = runtime(&format!("etcd-{id}"))?;
        Ok(EtcdElector { id: id.into(), opts, session: None, leader: None, client: None, rt })
    }

    /// The leader key while leading (its `key` and create revision `rev`).
    pub fn leader_key(&self) -> Option<&LeaderKey> {
        self.leader.as_ref()
    }

    fn client(&mut self) -> Result<Client> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let client = connect(&self.rt, &self.opts.endpoints, self.opts.request_timeout)?;
        self.client = Some(client.clone());
        Ok(client)
    }

    /// The live session, or a new one: a granted lease with its keep-alive loops running.
    fn session(&mut self, client: &Client) -> Result<(i64, Loss)> {
        if let Some(s) = self.session.take_if(|s| s.loss.get().is_some()) {
            self.revoke_quietly(client, s.lease);
        }
        if let Some(s) = &self.session {
            return Ok((s.lease, s.loss.clone()));
        }
        let ttl = self.opts.lease_ttl.as_secs() as i64;
        let limit = self.opts.request_timeout;
        let mut c = client.clone();
        let granted = within(&self.rt, limit, c.lease_grant(ttl, None));
        let granted = granted.map_err(|_| Error::timeout("etcd lease grant", limit))??;
        let (lease, loss) = (granted.id(), Loss::new());
        let deadline = Arc::new(Mutex::new(Instant::now() + secs(granted.ttl())));
        let tasks = vec![
            self.rt.spawn(keep_alive(client.clone(), lease, deadline.clone(), loss.clone())),
            self.rt.spawn(watch_deadline(deadline, loss.clone())),
        ];
        self.session = Some(Session { lease, loss: loss.clone(), tasks });
        Ok((lease, loss))
    }

    fn revoke_quietly(&self, client: &Client, lease: i64) {
        let mut c = client.clone();
        let _ = within(&self.rt, self.opts.request_timeout, c.lease_revoke(lease));
    }

    fn won(&mut self, client: &Client, key: LeaderKey, loss: Loss) -> Option<Token> {
        if loss.get().is_some() {
            // The lease ran out while we waited: Campaign may still return, but the key is gone.
            return None;
        }
        let name = self.opts.election.clone();
        let observer = observe(client.clone(), name, key.key().to_vec(), loss);
        if let Some(s) = &mut self.session {
            s.tasks.push(self.rt.spawn(observer));
        }
        let token = token(key.rev());
        self.leader = Some(key);
        Some(token)
    }
}

impl ThirdPartyElector for EtcdElector {
    fn campaign(&mut self, limit: Duration, give_up: &dyn Fn() -> bool) -> Result<Option<Token>> {
        if self.lost().is_some() {
            self.leader = None; // the session goes too: `session` replaces a lost one
        }
        if let Some(key) = &self.leader {
            return Ok(Some(token(key.rev())));
        }
        let client = self.client()?;
        let (lease, loss) = self.session(&client)?;
        let (name, value) = (self.opts.election.clone(), self.id.clone());
        let mut c = client.clone();
        let watch = loss.clone();
        let outcome = self.rt.block_on(async move {
            tokio::select! {
                r = timeout(limit, c.campaign(name, value, lease)) => Some(r),
                _ = until(|| watch.get().is_some() || give_up()) => None,
            }
        });
        match outcome {
            Some(Ok(Ok(mut resp))) => match resp.take_leader() {
                Some(key) => Ok(self.won(&client, key, loss)),
                None => Err(Error::Protocol("etcd Campaign answered without a leader key".into())),
            },
            Some(Ok(Err(e))) => Err(e.into()),
            Some(Err(_)) | None => Ok(None),
        }
    }

    fn lost(&mut self) -> Option<String> {
        self.leader.as_ref()?;
        match &self.session {
            Some(s) => s.loss.get(),
            None => Some("lease-lost: no etcd session".into()),
        }
    }

    fn resign(&mut self) -> Result<()> {
        let key = self.leader.take();
        let Some(session) = self.session.take() else { return Ok(()) };
        let Some(client) = self.client.clone() else { return Ok(()) };
        let limit = self.opts.request_timeout;
        let mut c = client.clone();
        let resigned = match key {
            Some(key) => {
                let opts = ResignOptions::new().with_leader(key);
                within(&self.rt, limit, c.resign(Some(opts))).map(|r| r.map(drop))
            }
            None => Ok(Ok(())),
        };
        // Closing the session, as Go's `session.Close()` does: revoking also deletes our key.
        self.revoke_quietly(&client, session.lease);
        drop(session);
        resigned.map_err(|_| Error::timeout("etcd resign", limit))?.map_err(Error::from)
    }

    fn confirmer(&self) -> Result<Box<dyn Confirmer>> {
        let rt = runtime(&format!("etcd-confirm-{}", self.id))?;
        let client = connect(&rt, &self.opts.endpoints, self.opts.request_timeout)?;
        Ok(Box::new(EtcdConfirmer { client, election: self.opts.election.clone(), rt }))
    }
}

/// Reads the election's leader (a linearizable read of the lowest-revision key).
struct EtcdConfirmer {
    client: Client,
    election: String,
    rt: Runtime,
}

impl Confirmer for EtcdConfirmer {
    fn leader(&self, limit: Duration) -> Result<Option<(String, Token)>> {
        let mut c = self.client.clone();
        let asked = within(&self.rt, limit, c.leader(self.election.clone()));
        let answer = match asked.map_err(|_| Error::timeout("etcd leader", limit))? {
            Ok(answer) => answer,
            Err(e) if e.to_string().contains("no leader") => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(answer.kv().map(|kv| {
            (String::from_utf8_lossy(kv.value()).into_owned(), token(kv.create_revision()))
        }))
    }
}

/// A runtime with one worker thread, owned by its elector or confirmer.
fn runtime(name: &str) -> Result<Runtime> {
    let built = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .enable_all()
        .build();
    built.map_err(|e| Error::io("tokio runtime", e))
}

/// An etcd client with HTTP/2 keep-alives, so a connection cut by a partition is noticed.
pub(crate) fn connect(rt: &Runtime, endpoints: &[String], limit: Duration) -> Result<Client> {
    let opts = ConnectOptions::new()
        .with_connect_timeout(limit)
        .with_keep_alive(Duration::from_secs(2), Duration::from_secs(2))
        .with_keep_alive_while_idle(true);
    let connected = within(rt, limit, Client::connect(endpoints, Some(opts)));
    Ok(connected.map_err(|_| Error::timeout("etcd connect", limit))??)
}

impl Drop for EtcdElector {
    fn drop(&mut self) {
        self.session.take();
    }
}

fn secs(ttl: i64) -> Duration {
    Duration::from_secs(ttl.max(0) as u64)
}

async fn until(done: impl Fn() -> bool) {
    while !done() {
        sleep(Duration::from_millis(20)).await;
    }
}

/// clientv3's keep-alive: send, wait for the answer, move the deadline, wait TTL/3, repeat;
/// reopen the stream 500 ms after it breaks; an answer with TTL 0 means the lease is gone.
async fn keep_alive(mut client: Client, lease: i64, deadline: Arc<Mutex<Instant>>, loss: Loss) {
    loop {
        if let Ok((mut keeper, mut stream)) = client.lease_keep_alive(lease).await {
            loop {
                if keeper.keep_alive().await.is_err() {
                    break;
                }
                let answer = match timeout(Duration::from_secs(5), stream.message()).await {
                    Ok(Ok(Some(answer))) => answer,
                    _ => break,
                };
                if answer.ttl() <= 0 {
                    return loss.set("lease-expired: the etcd keep-alive answered TTL 0");
                }
                let ttl = secs(answer.ttl());
                *deadline.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now() + ttl;
                sleep(ttl / 3).await;
            }
        }
        sleep(CLIENTV3_TICK).await;
    }
}

/// clientv3's `deadlineLoop`: every 500 ms, a lease whose deadline has passed is given up.
async fn watch_deadline(deadline: Arc<Mutex<Instant>>, loss: Loss) {
    loop {
        sleep(CLIENTV3_TICK).await;
        let at = *deadline.lock().unwrap_or_else(|p| p.into_inner());
        if Instant::now() > at {
            return loss.set("keepalive-deadline: no etcd keep-alive answer within the TTL");
        }
    }
}

/// Watches the election's leader; another key than ours means we no longer lead.
async fn observe(mut client: Client, name: String, ours: Vec<u8>, loss: Loss) {
    loop {
        if let Ok(mut stream) = client.observe(name.clone()).await {
            while let Ok(Some(answer)) = stream.message().await {
                match answer.kv() {
                    Some(kv) if kv.key() != ours.as_slice() => {
                        let other = String::from_utf8_lossy(kv.key());
                        return loss.set(format!(
                            "other-leader: etcd Observe shows another leader key ({other})"
                        ));
                    }
                    _ => {}
                }
            }
        }
        sleep(CLIENTV3_TICK).await;
    }
}
