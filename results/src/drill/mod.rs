//! A drill's nights: what `splitbrain drill` leaves behind, and how a night compares with the
//! ones before it.
//!
//! Neighbours: the harness's `cmd::drill` runs the scenarios and fills a [`DrillRecord`];
//! `serve` lists drills with [`nights::drills`] and shows [`html::history_page`].
//!
//! - [`figures`]: the figures followed per scenario and the bounds on them (types, not names).
//! - [`trend`]: tonight against the median of earlier nights; regressions.
//! - [`record`]: drill.json, each scenario's expectation, seeds, bounds and trends.
//! - [`nights`]: the store layout of a drill's nights, reading them back, pruning.
//! - [`html`], [`plot`], [`junit`]: drill.html (and the history page), its inline SVG, junit.xml.
//!
//! Design: everything here is a pure function of records already written, so a night's files
//! can be rendered again from its drill.json, and trends need nothing but earlier drill.json.

pub mod figures;
pub mod html;
pub mod junit;
pub mod nights;
pub mod plot;
pub mod record;
pub mod trend;

pub use figures::{BoundKind, Figure, ScenarioFigures};
pub use nights::DrillDir;
pub use record::{DrillRecord, Expect, Outcome, ScenarioRecord, SeedRecord};
pub use trend::{Trend, TrendRules};
