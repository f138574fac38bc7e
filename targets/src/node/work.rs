//! The leader's own work: while this node leads, a write to the resource's `"work"` key every
//! interval, under its token, the way a scheduler or cron leader acts on its leadership.
//! Values are `"n2:17"`: the node and a counter of this process's work writes.
//!
//! Neighbours: reads the [`crate::Seat`] through [`super::Node`]; writes with
//! [`crate::resource::ResourceClient`]. Its writes appear in the history only as the resource's
//! `accept`/`reject` records.

use super::Node;
use crate::resource::{ResourceClient, WORK_KEY};
use crate::stop::Stop;
use serde_json::json;

/// Writes while leading, until `stop`. Does nothing when the interval is zero.
pub fn run(node: &Node, stop: &Stop) {
    let cfg = &node.cfg;
    if cfg.work_interval.is_zero() {
        return;
    }
    let mut resource = ResourceClient::new(cfg.resource, &cfg.id, cfg.resource_timeouts);
    let mut count = 0u64;
    while !stop.sleep(cfg.work_interval) {
        let Some(tenure) = node.seat.tenure() else { continue };
        if node.confirm_write(&tenure).is_err() {
            continue;
        }
        count += 1;
        let value = json!(format!("{}:{count}", cfg.id));
        match resource.write(WORK_KEY, node.token_for(&tenure), &value) {
            Ok(Ok(())) => {}
            Ok(Err(refused)) => eprintln!(
                "splitbrain-node: work write {value} under {:?} refused: {} (highest {:?})",
                tenure.token, refused.error, refused.highest
            ),
            Err(e) => eprintln!("splitbrain-node: work write {value}: {e}"),
        }
    }
}
