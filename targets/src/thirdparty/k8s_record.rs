//! client-go's leader-election rules (`leaderelection.go`, `tryAcquireOrRenew`), free of I/O:
//! the lease record, the lock it lives behind, and the decision to take, keep or leave it.
//! [`super::k8s_lease`] drives these rules over etcd's KV; tests drive them over [`MemoryLock`].
//!
//! The rule that matters: a candidate never reads the holder's `renewTime`. It remembers *when
//! it last saw the record change*, on its own clock, and takes the lease once
//! `leaseDurationSeconds` have passed on that clock without a change. Mutual exclusion
//! therefore rests on every clock running at the same rate: a candidate whose clock runs fast
//! takes over while the holder, timing its renew deadline on its own clock, still leads.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Kubernetes' `LeaderElectionRecord`, with its field names.
///
/// One deviation: `leaseDurationSeconds` is a float, because durations scaled down for tests
/// (client-go's 15 s becomes 1.5 s) are not whole seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseRecord {
    /// Who holds the lease; empty when released.
    pub holder_identity: String,
    /// How long others must see no change before they may take it.
    pub lease_duration_seconds: f64,
    /// When the current holder acquired it (its own wall clock, RFC 3339, microseconds).
    pub acquire_time: String,
    /// When the holder last renewed it (its own wall clock). Informational: nobody judges by it.
    pub renew_time: String,
    /// How many times the lease changed hands: the token client-go users fence with.
    pub leader_transitions: i64,
}

/// Where the record lives, with optimistic concurrency: `update` succeeds only if nobody wrote
/// since this lock's last `get`/`create`/`update` (Kubernetes' `resourceVersion`).
pub trait LeaseLock {
    /// The record and its raw bytes, or `None` if there is none.
    fn get(&mut self) -> Result<Option<(LeaseRecord, Vec<u8>)>, String>;
    /// Creates the record; fails if one exists.
    fn create(&mut self, record: &LeaseRecord) -> Result<(), String>;
    /// Replaces the record; fails on a conflicting write or if never read.
    fn update(&mut self, record: &LeaseRecord) -> Result<(), String>;
}

/// One candidate's view: the last record it observed, and when, on its own clock.
pub struct LeaderElector {
    identity: String,
    lease_duration: Duration,
    clock: Box<dyn Fn() -> SystemTime + Send>,
    observed: Option<LeaseRecord>,
    observed_raw: Vec<u8>,
    observed_time: SystemTime,
    /// The last error from the lock, for logs.
    pub last_error: Option<String>,
}

impl LeaderElector {
    /// A candidate `identity` asking for `lease_duration`, reading time from `clock`.
    pub fn new(
        identity: &str,
        lease_duration: Duration,
        clock: Box<dyn Fn() -> SystemTime + Send>,
    ) -> Self {
        let observed_time = UNIX_EPOCH;
        let (observed, observed_raw, last_error) = (None, Vec::new(), None);
        LeaderElector {
            identity: identity.into(),
            lease_duration,
            clock,
            observed,
            observed_raw,
            observed_time,
            last_error,
        }
    }

    /// Whether the last record it observed names it as holder (client-go's `IsLeader`).
    pub fn is_leader(&self) -> bool {
        self.observed.as_ref().is_some_and(|r| r.holder_identity == self.identity)
    }

    /// The observed record's transition count: the token of the current tenure.
    pub fn transitions(&self) -> Option<i64> {
        self.observed.as_ref().map(|r| r.leader_transitions)
    }

    /// The record it last observed.
    pub fn observed(&self) -> Option<&LeaseRecord> {
        self.observed.as_ref()
    }

    fn set_observed(&mut self, record: LeaseRecord) {
        self.observed = Some(record);
        self.observed_time = (self.clock)();
    }

    fn lease_valid(&self, now: SystemTime) -> bool {
        let Some(r) = &self.observed else { return false };
        let duration = Duration::from_secs_f64(r.lease_duration_seconds.max(0.0));
        self.observed_time + duration > now
    }

    fn fresh_record(&self, now: SystemTime) -> LeaseRecord {
        let stamp = rfc3339_micros(now);
        LeaseRecord {
            holder_identity: self.identity.clone(),
            lease_duration_seconds: self.lease_duration.as_secs_f64(),
            acquire_time: stamp.clone(),
            renew_time: stamp,
            leader_transitions: 0,
        }
    }

    /// client-go's `tryAcquireOrRenew`: true when it holds the lease afterwards.
    pub fn try_acquire_or_renew(&mut self, lock: &mut dyn LeaseLock) -> bool {
        let now = (self.clock)();
        let mut record = self.fresh_record(now);
        if self.is_leader() && self.lease_valid(now) && self.fast_renew(lock, &mut record) {
            return true;
        }
        let (old, raw) = match lock.get() {
            Ok(Some(found)) => found,
            Ok(None) => return self.create(lock, record),
            Err(e) => return self.failed(e),
        };
        if raw != self.observed_raw {
            self.set_observed(old.clone());
            self.observed_raw = raw;
        }
        if !old.holder_identity.is_empty() && self.lease_valid(now) && !self.is_leader() {
            return false; // held by another, not yet expired on our clock
        }
        if self.is_leader() {
            record.acquire_time = old.acquire_time.clone();
            record.leader_transitions = old.leader_transitions;
        } else {
            record.leader_transitions = old.leader_transitions + 1;
        }
        match lock.update(&record) {
            Ok(()) => self.set_observed(record),
            Err(e) => return self.failed(e),
        }
        true
    }

    /// The fast path: the leader updates assuming the record is still the one it wrote.
    fn fast_renew(&mut self, lock: &mut dyn LeaseLock, record: &mut LeaseRecord) -> bool {
        let Some(old) = &self.observed else { return false };
        record.acquire_time = old.acquire_time.clone();
        record.leader_transitions = old.leader_transitions;
        match lock.update(record) {
            Ok(()) => {
                self.set_observed(record.clone());
                true
            }
            Err(e) => self.failed(e), // falls back to the slow path, as client-go does
        }
    }

    fn create(&mut self, lock: &mut dyn LeaseLock, record: LeaseRecord) -> bool {
        match lock.create(&record) {
            Ok(()) => {
                self.set_observed(record);
                true
            }
            Err(e) => self.failed(e),
        }
    }

    fn failed(&mut self, e: String) -> bool {
        self.last_error = Some(e);
        false
    }

    /// client-go's `release` (with `ReleaseOnCancel`): empties the holder, keeps the count.
    pub fn release(&mut self, lock: &mut dyn LeaseLock) -> bool {
        if !self.is_leader() {
            return true;
        }
        let stamp = rfc3339_micros((self.clock)());
        let record = LeaseRecord {
            holder_identity: String::new(),
            lease_duration_seconds: 1.0,
            acquire_time: stamp.clone(),
            renew_time: stamp,
            leader_transitions: self.transitions().unwrap_or(0),
        };
        match lock.update(&record) {
            Ok(()) => {
                self.set_observed(record);
                true
            }
            Err(e) => self.failed(e),
        }
    }
}

/// `t` as RFC 3339 UTC with microseconds, as Kubernetes' `MicroTime` prints it.
pub fn rfc3339_micros(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (days, rest) = ((since.as_secs() / 86_400) as i64, since.as_secs() % 86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rest / 3600, rest / 60 % 60, rest % 60);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{:06}Z", since.subsec_micros())
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
#[path = "k8s_record_tests.rs"]
mod tests;

/// A [`LeaseLock`] in memory with the same optimistic concurrency, for tests of the rules.
#[derive(Debug, Default, Clone)]
pub struct MemoryLock {
    store: std::sync::Arc<std::sync::Mutex<(u64, Option<Vec<u8>>)>>,
    seen: Option<u64>,
}

impl MemoryLock {
    /// Another client's lock on the same record.
    pub fn share(&self) -> MemoryLock {
        MemoryLock { store: self.store.clone(), seen: None }
    }

    fn put(&mut self, record: &LeaseRecord, expect: Option<u64>) -> Result<(), String> {
        let mut s = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let current = s.1.as_ref().map(|_| s.0);
        if current != expect {
            return Err(format!("conflict: expected {expect:?}, found {current:?}"));
        }
        s.0 += 1;
        s.1 = Some(serde_json::to_vec(record).map_err(|e| e.to_string())?);
        self.seen = Some(s.0);
        Ok(())
    }
}

impl LeaseLock for MemoryLock {
    fn get(&mut self) -> Result<Option<(LeaseRecord, Vec<u8>)>, String> {
        let s = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let Some(raw) = s.1.clone() else { return Ok(None) };
        self.seen = Some(s.0);
        let record = serde_json::from_slice(&raw).map_err(|e| e.to_string())?;
        Ok(Some((record, raw)))
    }

    fn create(&mut self, record: &LeaseRecord) -> Result<(), String> {
        self.put(record, None)
    }

    fn update(&mut self, record: &LeaseRecord) -> Result<(), String> {
        let seen = self.seen.ok_or("lease not initialized, call get or create first")?;
        self.put(record, Some(seen))
    }
}
