//! The controller of `splitbrain test`: one module per role, joined by [`lifecycle`].
//!
//! | module | role |
//! | --- | --- |
//! | [`options`] | the run's resolved options ([`options::Plan`]) and the command that repeats it |
//! | [`lifecycle`] | the phases of one run and its one shutdown path |
//! | [`places`] | where the nodes live: the sandbox's network or real hosts over SSH |
//! | [`cluster`] | the target's processes on the nodes (the only target-specific module) |
//! | [`reports`] | reading each candidate's stdout reports into the history |
//! | [`recorder`] | the history writer plus the live picture of the run |
//! | [`clients`] | the operation generator and the client workers |
//! | [`nemesis`] | the fault schedule and how faults aim |
//! | [`finale`] | heal, settle, final status and reads |
//! | [`judge`] | checkers, results files, summary (also for `analyze`) |
//! | [`story`] | how a dual write came about, told from the history for the notes |
//! | [`log`], [`seed`] | harness.log and the status line; one seed for every random choice |

pub mod clients;
pub mod cluster;
pub mod finale;
pub mod judge;
pub mod lifecycle;
pub mod log;
pub mod nemesis;
pub mod options;
pub mod places;
pub mod recorder;
pub mod reports;
pub mod seed;
pub mod story;
