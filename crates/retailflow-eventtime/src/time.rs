//! Typed event time: instants and spans in milliseconds since the Unix epoch (UTC).
//!
//! Keeping event time in its own types stops wall-clock instants, offsets and plain integers from
//! being mixed up with it.

use serde::{Deserialize, Serialize};

/// An instant of event time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventTime(pub i64);

impl EventTime {
    /// The earliest instant: a watermark that holds nothing back yet.
    pub const MIN: EventTime = EventTime(i64::MIN);
    /// The end of time: the watermark of a finished bounded input, which closes every window.
    pub const MAX: EventTime = EventTime(i64::MAX);

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// This instant moved later by `span` (saturating).
    pub fn plus(self, span: TimeSpan) -> EventTime {
        EventTime(self.0.saturating_add(span.0))
    }

    /// This instant moved earlier by `span` (saturating).
    pub fn minus(self, span: TimeSpan) -> EventTime {
        EventTime(self.0.saturating_sub(span.0))
    }
}

/// A length of event time, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TimeSpan(pub i64);

impl TimeSpan {
    /// A span of `ms` milliseconds.
    pub const fn from_millis(ms: i64) -> Self {
        TimeSpan(ms)
    }

    /// A span of `s` seconds.
    pub const fn from_secs(s: i64) -> Self {
        TimeSpan(s * 1000)
    }

    /// Milliseconds in the span.
    pub fn millis(self) -> i64 {
        self.0
    }
}
