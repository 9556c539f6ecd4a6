//! Why the engine left a receipt out: each kind of refusal with the one-line detail that its
//! dead-letter record carries. The caller picks the dead-letter reason from the kind.

use std::fmt;

use thiserror::Error;

use crate::money::Money;
use crate::time::{EventTime, TimeSpan};

/// A receipt the engine did not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    /// Behind the watermark for every window it belongs to (reason `late`).
    #[error(transparent)]
    Late(#[from] Late),
    /// Stamped further ahead of the clock than the stream allows (reason `future`).
    #[error(transparent)]
    Future(#[from] Future),
    /// A receipt id already counted within the watermark's horizon (reason `duplicate`).
    #[error(transparent)]
    Duplicate(#[from] Duplicate),
    /// Figures or times that sums or windows cannot hold exactly (reason `invalid_value`).
    #[error(transparent)]
    OutOfRange(#[from] OutOfRange),
}

/// A record behind the watermark for every window it belongs to. Its `Display` is the one-line
/// detail for the dead-letter record (reason `late`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "event time {event_time} is behind the watermark {watermark}: its last window ended at {last_window_end}"
)]
pub struct Late {
    /// The record's event time.
    pub event_time: EventTime,
    /// The stream watermark when it arrived.
    pub watermark: EventTime,
    /// End of the latest window containing it (at or before the watermark).
    pub last_window_end: EventTime,
}

/// A record whose event time is more than the allowed span ahead of the clock when it was read: a
/// till with a broken clock. It never moves a watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "event time {event_time} is more than {max_future} ahead of the clock ({now}); widen --max-future if the clock is not the wall clock"
)]
pub struct Future {
    /// The record's event time.
    pub event_time: EventTime,
    /// The clock when it was read.
    pub now: EventTime,
    /// How far ahead a record may be.
    pub max_future: TimeSpan,
}

/// A receipt id seen before, while the watermark has not yet passed the first one's event time plus
/// the allowed lateness.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("receipt_id {receipt_id} was already counted (first at event time {first_seen})")]
pub struct Duplicate {
    /// The repeated id.
    pub receipt_id: String,
    /// Event time of the receipt counted under that id.
    pub first_seen: EventTime,
}

/// What could not be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum OutOfRange {
    /// The receipt's own total or units are beyond the exact range.
    #[error(
        "the receipt's total or units are beyond the exact range (at most {})",
        Money::MAX_EXACT
    )]
    ReceiptTotals,
    /// Adding the receipt would take a window's revenue or units beyond the exact range.
    #[error(
        "adding the receipt would take the revenue or units of its window at {pane_start} beyond the exact range"
    )]
    WindowTotals {
        /// Start of the pane (window part) it falls in.
        pane_start: EventTime,
    },
    /// A window of the receipt would start before year 1 or end after year 9999.
    #[error("ts {event_time}: its windows reach outside years 1 to 9999")]
    Calendar {
        /// The record's event time.
        event_time: EventTime,
    },
}

impl Refusal {
    /// The kind, as the dead-letter reason names it.
    pub fn kind(&self) -> RefusalKind {
        match self {
            Refusal::Late(_) => RefusalKind::Late,
            Refusal::Future(_) => RefusalKind::Future,
            Refusal::Duplicate(_) => RefusalKind::Duplicate,
            Refusal::OutOfRange(_) => RefusalKind::OutOfRange,
        }
    }
}

/// The kinds of [`Refusal`], for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    /// [`Late`].
    Late,
    /// [`Future`].
    Future,
    /// [`Duplicate`].
    Duplicate,
    /// [`OutOfRange`].
    OutOfRange,
}

impl fmt::Display for RefusalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefusalKind::Late => "late",
            RefusalKind::Future => "future",
            RefusalKind::Duplicate => "duplicate",
            RefusalKind::OutOfRange => "out of range",
        })
    }
}
