//! Runs any [`ThirdPartyElector`] as the node's [`Elector`]: campaign, publish `elected` on the
//! seat, poll for loss every 10 ms, publish `stepdown`, campaign again; on stop, step down and
//! resign. Confirmations (before reads) go to the backend's own [`Confirmer`], on its own
//! connection, so they never wait behind a campaign.
//!
//! Neighbours: the node core ([`crate::node`]) runs [`Elector::run`] on its elector thread;
//! [`super::build`] makes a [`Hosted`] from `--elector NAME`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::error::Error;
use super::{Confirmer, ThirdPartyElector};
use crate::elector::{Elector, ElectorError, Unconfirmed};
use crate::seat::{Seat, Token};
use crate::stop::Stop;

/// The longest single campaign call; the loop then simply campaigns again.
const CAMPAIGN_SLICE: Duration = Duration::from_secs(30);
/// How often a leader asks its backend whether its tenure has ended.
const CHECK_EVERY: Duration = Duration::from_millis(10);
/// The pause after a failed campaign (server down, cut off) before the next.
const ERROR_BACKOFF: Duration = Duration::from_millis(200);
/// How often a follower looks up whom it follows, for `not-leader` answers.
const OBSERVE_EVERY: Duration = Duration::from_millis(500);

/// A third-party candidate hosted in `splitbrain-node`.
pub struct Hosted {
    me: String,
    elector: Mutex<Box<dyn ThirdPartyElector>>,
    confirmer: Box<dyn Confirmer>,
}

impl Hosted {
    /// Hosts `elector` for node `me` (which must be the identity it campaigns with).
    pub fn new(me: &str, elector: Box<dyn ThirdPartyElector>) -> super::Result<Hosted> {
        let confirmer = elector.confirmer()?;
        Ok(Hosted { me: me.into(), elector: Mutex::new(elector), confirmer })
    }

    fn campaign_loop(
        &self,
        e: &mut dyn ThirdPartyElector,
        seat: &Seat,
        stop: &Stop,
    ) -> Result<(), ElectorError> {
        while !stop.is_stopped() {
            match e.campaign(CAMPAIGN_SLICE, &|| stop.is_stopped()) {
                Ok(Some(token)) => {
                    seat.elected(token, None);
                    self.lead(e, seat, stop);
                }
                Ok(None) => {}
                Err(Error::BadOption(m)) => return Err(ElectorError::BadConfig(m)),
                Err(err) => {
                    eprintln!("{}: campaign failed: {err}", self.me);
                    stop.sleep(ERROR_BACKOFF);
                }
            }
            self.log_notes(e);
        }
        seat.step_down("shutdown");
        if let Err(err) = e.resign() {
            eprintln!("{}: resign failed: {err}", self.me);
        }
        Ok(())
    }

    /// Holds the seat until the backend reports the tenure over, or stop.
    fn lead(&self, e: &mut dyn ThirdPartyElector, seat: &Seat, stop: &Stop) {
        loop {
            self.log_notes(e);
            if let Some(reason) = e.lost() {
                eprintln!("{}: tenure ended: {reason}", self.me);
                return seat.step_down(reason.split(':').next().unwrap_or(&reason));
            }
            if stop.sleep(CHECK_EVERY) {
                return;
            }
        }
    }

    /// Logs each note and reports it on stdout, where the node's reports go (the controller
    /// records it as this node's `info` record).
    fn log_notes(&self, e: &mut dyn ThirdPartyElector) {
        for note in e.notes() {
            eprintln!("{}: {}", self.me, note.text);
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", note.report()).and_then(|()| out.flush());
        }
    }

    /// Keeps the seat's idea of the leader fresh while following.
    fn observe_loop(&self, seat: &Seat, stop: &Stop, finished: &AtomicBool) {
        while !finished.load(Ordering::SeqCst) && !stop.sleep(OBSERVE_EVERY) {
            if let Ok(found) = self.confirmer.leader(OBSERVE_EVERY) {
                seat.observe(found.as_ref().map(|(who, _)| who.as_str()), None);
            }
        }
    }
}

impl Elector for Hosted {
    fn run(&self, seat: &Seat, stop: &Stop) -> Result<(), ElectorError> {
        let mut guard = self.elector.lock().unwrap_or_else(PoisonError::into_inner);
        let finished = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| self.observe_loop(seat, stop, &finished));
            let result = self.campaign_loop(&mut **guard, seat, stop);
            finished.store(true, Ordering::SeqCst);
            result
        })
    }

    fn confirm(&self, token: Option<Token>, deadline: Instant) -> Result<(), Unconfirmed> {
        let limit = deadline.saturating_duration_since(Instant::now());
        if limit.is_zero() {
            return Err(Unconfirmed::TimedOut);
        }
        match self.confirmer.leader(limit) {
            Ok(Some((who, held))) if who == self.me && agrees(token, held) => Ok(()),
            Ok(Some((who, _))) => Err(Unconfirmed::NotLeader(Some(who))),
            Ok(None) => Err(Unconfirmed::NotLeader(None)),
            Err(_) => Err(Unconfirmed::TimedOut),
        }
    }
}

/// A token matches unless both sides have one and they differ.
fn agrees(asked: Option<Token>, held: Option<Token>) -> bool {
    asked.zip(held).is_none_or(|(a, h)| a == h)
}
