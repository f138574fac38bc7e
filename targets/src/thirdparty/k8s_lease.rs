//! The `k8s-lease` target's candidate: client-go's leader election ([`super::k8s_record`]'s
//! rules) over a lease record stored as JSON in one etcd key, with Kubernetes' optimistic
//! concurrency done as an etcd transaction on the key's mod revision. The loops are client-go's:
//! acquire every retry period (jittered by up to ×1.2 more); once leading, renew in rounds, each
//! round trying every retry period for at most the renew deadline, and stop leading when a
//! round fails. Defaults are client-go's 15 s / 10 s / 2 s scaled down tenfold.
//!
//! Token: `leaderTransitions`, the count client-go keeps in the record and its users read as
//! the leadership epoch. It rises by one at each change of holder, and two candidates can never
//! write the same count because each change is a compare-and-swap on the previous record. (The
//! key's mod revision moves at every renewal, and its create revision never moves, so neither
//! names a tenure.)
//!
//! Clocks: a candidate judges the holder's lease on its own wall clock (`SystemTime`), the clock
//! the shim can drift; renew rounds are timed on the monotonic clock, like Go's contexts.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use etcd_client::{Client, Compare, CompareOp, Txn, TxnOp};
use rand::Rng;
use tokio::runtime::Runtime;

use super::belief::{Loss, Renewer};
use super::error::{Error, Result};
use super::etcd::connect;
use super::k8s_record::{LeaderElector, LeaseLock, LeaseRecord};
use super::{nap, token, within, Confirmer, ThirdPartyElector, Token};

/// client-go's `JitterFactor` for the acquire loop.
const JITTER: f64 = 1.2;

/// Where the record lives and client-go's three durations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct K8sLeaseOptions {
    /// etcd client URLs.
    pub endpoints: Vec<String>,
    /// The etcd key holding the record.
    pub key: String,
    /// How long others wait, on their own clocks, after the record last changed (client-go 15 s).
    pub lease_duration: Duration,
    /// How long the leader keeps retrying a renewal before it stops leading (client-go 10 s).
    pub renew_deadline: Duration,
    /// The pause between attempts (client-go 2 s).
    pub retry_period: Duration,
    /// Bound on each etcd request.
    pub request_timeout: Duration,
}

impl K8sLeaseOptions {
    /// client-go's defaults scaled down tenfold: 1.5 s / 1 s / 0.2 s.
    pub fn new(endpoints: Vec<String>) -> K8sLeaseOptions {
        K8sLeaseOptions {
            endpoints,
            key: "/splitbrain/k8s-lease/leader".into(),
            lease_duration: Duration::from_millis(1500),
            renew_deadline: Duration::from_millis(1000),
            retry_period: Duration::from_millis(200),
            request_timeout: Duration::from_millis(500),
        }
    }

    /// client-go's own checks (`NewLeaderElector`).
    fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::BadOption(format!("k8s-lease: {m}")));
        if self.endpoints.is_empty() {
            return bad("no etcd endpoints; give at least one client URL");
        }
        if self.lease_duration <= self.renew_deadline {
            return bad("the lease duration must be greater than the renew deadline");
        }
        if self.renew_deadline.as_secs_f64() <= JITTER * self.retry_period.as_secs_f64() {
            return bad("the renew deadline must be greater than 1.2 × the retry period");
        }
        if self.retry_period.is_zero() {
            return bad("the retry period must be above zero");
        }
        Ok(())
    }
}

/// The record in one etcd key; `update` compares the mod revision this lock last saw.
pub struct EtcdLeaseLock {
    client: Client,
    key: String,
    seen: Option<i64>,
    limit: Duration,
    rt: Runtime,
}

impl EtcdLeaseLock {
    /// A lock on `key` through `endpoints` (connects lazily).
    pub fn connect(endpoints: &[String], key: &str, limit: Duration) -> Result<EtcdLeaseLock> {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build();
        let rt = rt.map_err(|e| Error::io("tokio runtime", e))?;
        let client = connect(&rt, endpoints, limit)?;
        Ok(EtcdLeaseLock { client, key: key.into(), seen: None, limit, rt })
    }

    fn put_if(&mut self, cmp: Compare, record: &LeaseRecord) -> std::result::Result<(), String> {
        let body = serde_json::to_vec(record).map_err(|e| e.to_string())?;
        let txn = Txn::new().when([cmp]).and_then([TxnOp::put(self.key.clone(), body, None)]);
        let mut c = self.client.clone();
        let done = within(&self.rt, self.limit, c.txn(txn));
        let resp =
            done.map_err(|_| "etcd txn timed out".to_string())?.map_err(|e| e.to_string())?;
        if !resp.succeeded() {
            return Err("conflict: the record changed since it was read".into());
        }
        self.seen = resp.header().map(|h| h.revision());
        Ok(())
    }
}

impl LeaseLock for EtcdLeaseLock {
    fn get(&mut self) -> std::result::Result<Option<(LeaseRecord, Vec<u8>)>, String> {
        let mut c = self.client.clone();
        let key = self.key.clone();
        let done = within(&self.rt, self.limit, c.get(key, None));
        let resp =
            done.map_err(|_| "etcd get timed out".to_string())?.map_err(|e| e.to_string())?;
        let Some(kv) = resp.kvs().first() else {
            self.seen = None;
            return Ok(None);
        };
        self.seen = Some(kv.mod_revision());
        let record =
            serde_json::from_slice(kv.value()).map_err(|e| format!("corrupt lease record: {e}"))?;
        Ok(Some((record, kv.value().to_vec())))
    }

    fn create(&mut self, record: &LeaseRecord) -> std::result::Result<(), String> {
        let cmp = Compare::create_revision(self.key.clone(), CompareOp::Equal, 0);
        self.put_if(cmp, record)
    }

    fn update(&mut self, record: &LeaseRecord) -> std::result::Result<(), String> {
        let seen = self.seen.ok_or("lease not initialized, call get or create first")?;
        let cmp = Compare::mod_revision(self.key.clone(), CompareOp::Equal, seen);
        self.put_if(cmp, record)
    }
}

/// The rules and the lock, shared by the campaigning caller and the renew thread.
struct Core {
    rules: LeaderElector,
    lock: EtcdLeaseLock,
}

impl Core {
    fn try_once(&mut self) -> bool {
        self.rules.try_acquire_or_renew(&mut self.lock)
    }

    /// One attempt whose requests end by `limit` (client-go runs them under the round's
    /// renew-deadline context).
    fn try_within(&mut self, limit: Duration, usual: Duration) -> bool {
        self.lock.limit = limit.min(usual).max(Duration::from_millis(1));
        let renewed = self.try_once();
        self.lock.limit = usual;
        renewed
    }
}

/// A candidate running client-go's election on etcd.
pub struct K8sLeaseElector {
    opts: K8sLeaseOptions,
    core: Arc<Mutex<Core>>,
    tenure: Option<(Renewer, Loss)>,
}

impl K8sLeaseElector {
    /// A candidate `identity` (the record's `holderIdentity`), judging time by the wall clock.
    pub fn new(identity: &str, opts: K8sLeaseOptions) -> Result<K8sLeaseElector> {
        opts.check()?;
        let lock = EtcdLeaseLock::connect(&opts.endpoints, &opts.key, opts.request_timeout)?;
        let rules = LeaderElector::new(identity, opts.lease_duration, Box::new(SystemTime::now));
        let core = Arc::new(Mutex::new(Core { rules, lock }));
        Ok(K8sLeaseElector { opts, core, tenure: None })
    }

    /// The record this candidate last observed.
    pub fn observed(&self) -> Option<LeaseRecord> {
        self.core().rules.observed().cloned()
    }

    fn core(&self) -> std::sync::MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn start_renewing(&mut self) {
        let loss = Loss::new();
        let (core, opts) = (self.core.clone(), self.opts.clone());
        let mut round: Option<Instant> = None;
        let step = move || {
            let started = *round.get_or_insert_with(Instant::now);
            let window = opts.renew_deadline.saturating_sub(started.elapsed());
            let mut core = core.lock().unwrap_or_else(|p| p.into_inner());
            let renewed = core.try_within(window, opts.request_timeout);
            drop(core);
            if renewed {
                round = None;
                return ControlFlow::Continue(opts.retry_period);
            }
            let left = opts.renew_deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                return ControlFlow::Break(
                    "renew-deadline: k8s-lease could not renew within the renew deadline".into(),
                );
            }
            ControlFlow::Continue(opts.retry_period.min(left))
        };
        let renewer = Renewer::spawn("k8s-lease-renew", loss.clone(), step);
        self.tenure = Some((renewer, loss));
    }

    fn token(&self) -> Token {
        self.core().rules.transitions().and_then(token)
    }

    fn jittered_retry(&self) -> Duration {
        let extra = rand::thread_rng().gen_range(0.0..JITTER);
        self.opts.retry_period.mul_f64(1.0 + extra)
    }
}

impl ThirdPartyElector for K8sLeaseElector {
    fn campaign(&mut self, limit: Duration, give_up: &dyn Fn() -> bool) -> Result<Option<Token>> {
        if self.tenure.as_ref().is_some_and(|(_, loss)| loss.get().is_none()) {
            return Ok(Some(self.token()));
        }
        if let Some((renewer, _)) = self.tenure.take() {
            renewer.stop();
        }
        let deadline = Instant::now() + limit;
        loop {
            if self.core().try_once() {
                self.start_renewing();
                return Ok(Some(self.token()));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || nap(self.jittered_retry().min(left), give_up) {
                return Ok(None);
            }
        }
    }

    fn lost(&mut self) -> Option<String> {
        self.tenure.as_ref().and_then(|(_, loss)| loss.get())
    }

    fn resign(&mut self) -> Result<()> {
        let Some((renewer, _)) = self.tenure.take() else { return Ok(()) };
        renewer.stop();
        let mut core = self.core();
        let Core { rules, lock } = &mut *core;
        if rules.release(lock) {
            return Ok(());
        }
        Err(Error::Protocol(format!(
            "k8s-lease release failed: {}",
            rules.last_error.clone().unwrap_or_default()
        )))
    }

    fn confirmer(&self) -> Result<Box<dyn Confirmer>> {
        let lock = EtcdLeaseLock::connect(
            &self.opts.endpoints,
            &self.opts.key,
            self.opts.request_timeout,
        )?;
        Ok(Box::new(K8sConfirmer(Mutex::new(lock))))
    }
}

/// Reads the record (a linearizable etcd get): its holder and transition count.
struct K8sConfirmer(Mutex<EtcdLeaseLock>);

impl Confirmer for K8sConfirmer {
    fn leader(&self, limit: Duration) -> Result<Option<(String, Token)>> {
        let mut lock = self.0.lock().unwrap_or_else(|p| p.into_inner());
        lock.limit = limit;
        let found = lock.get().map_err(Error::Protocol)?;
        Ok(found
            .map(|(record, _)| record)
            .filter(|r| !r.holder_identity.is_empty())
            .map(|r| (r.holder_identity, token(r.leader_transitions))))
    }
}
