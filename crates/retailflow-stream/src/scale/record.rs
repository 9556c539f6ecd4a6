//! A partial record: one event of one source partition's stage one, as a JSON message on the
//! partials topic, keyed by the source partition's number so that a partition's events stay in
//! order on one partials partition.
//!
//! `{"source":"receipts","partitions":6,"partition":2,"position":{"offset":1041,"index":0},"data":{"event":"final","names":{...},"pane":{...}}}`

use retailflow_eventtime::{PartialEvent, PartialPosition};
use retailflow_receipts::schema::RecordFormat;
use retailflow_receipts::{Reason, Rejection};
use serde::{Deserialize, Serialize};

/// One event of a source partition's stage one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialRecord {
    /// The source topic.
    pub source: String,
    /// How many partitions it has: stage two waits for every one of them.
    pub partitions: i32,
    /// The source partition.
    pub partition: i32,
    /// Where in the partition the event was caused.
    pub position: PartialPosition,
    /// The event.
    pub data: PartialEvent,
}

/// Reads [`PartialRecord`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct PartialFormat;

impl RecordFormat for PartialFormat {
    type Record = PartialRecord;

    fn parse(&self, payload: &[u8]) -> Result<PartialRecord, Rejection> {
        serde_json::from_slice(payload).map_err(|error| {
            Rejection::new(Reason::Schema, format!("not a partial record: {error}"))
        })
    }
}
