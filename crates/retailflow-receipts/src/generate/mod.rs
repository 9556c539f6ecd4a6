//! Deterministic test and demo data: store receipts, with optional fault injection (late event
//! times, malformed messages, anomalies). The same seed and settings give the same bytes on every
//! machine, because the sequence comes from [`retailflow_core::rng::SeededRng`].
//!
//! One file per concern: [`event_clock`] (where event times come from), [`receipts`],
//! [`malformed`] (the kinds of damage and the dead-letter reason each must get) and [`anomalies`]
//! (what the alerting analyses should find in receipts). Generators of other messages implement
//! [`MessageGenerator`] and damage their messages with [`malformed`]'s pieces too.

pub mod anomalies;
pub mod event_clock;
pub mod malformed;
pub mod receipts;

use crate::reason::Reason;
use crate::time::{EventTime, TimeSpan};

pub use anomalies::AnomalyLayout;
pub use event_clock::EventClock;
pub use malformed::MalformedKind;
pub use receipts::ReceiptGenerator;

/// What a generated message should become when it is read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A good record.
    Valid,
    /// A good record whose event time was pushed back (`--late-fraction`).
    Late,
    /// A damaged message that must become a dead letter with this reason.
    Malformed(MalformedKind),
}

impl Expected {
    /// The dead-letter reason the message must get from the parser, if any.
    pub fn parse_reason(self) -> Option<Reason> {
        match self {
            Expected::Malformed(kind) => Some(kind.reason()),
            Expected::Valid | Expected::Late => None,
        }
    }
}

/// Fault injection settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// Share of messages whose event time is pushed back by `late_by`.
    pub late_fraction: f64,
    /// How far late messages are pushed back.
    pub late_by: TimeSpan,
    /// Share of messages that are damaged (see [`MalformedKind`]).
    pub malformed_fraction: f64,
    /// Anomalies injected into receipts (see [`anomalies`]); values ignore them.
    pub anomalies: Option<AnomalyLayout>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            late_fraction: 0.0,
            late_by: TimeSpan::from_secs(60),
            malformed_fraction: 0.0,
            anomalies: None,
        }
    }
}

/// One generated message, borrowed from the generator until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Generated<'a> {
    /// The Kafka key (the store id for receipts).
    pub key: Option<&'a [u8]>,
    /// The payload.
    pub payload: &'a [u8],
    /// The event time given to the message (before any late shift).
    pub event_time: EventTime,
    /// What it should become.
    pub expected: Expected,
}

/// A source of generated messages.
pub trait MessageGenerator {
    /// The next message; `wall_time` is used when event times follow the wall clock.
    fn next_message(&mut self, wall_time: EventTime) -> Generated<'_>;

    /// The next `count` payloads as JSON lines, each ended by a newline (what `produce --out`
    /// writes to a file).
    fn json_lines(&mut self, count: u64, wall_time: EventTime) -> Vec<u8> {
        let mut text = Vec::new();
        for _ in 0..count {
            text.extend_from_slice(self.next_message(wall_time).payload);
            text.push(b'\n');
        }
        text
    }
}
