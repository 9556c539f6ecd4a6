//! Typed event time: instants and spans in milliseconds since the Unix epoch (UTC).
//!
//! Keeping event time in its own types stops wall-clock instants, offsets and plain integers from
//! being mixed up with it. [`ProcessingTime`] is the other clock: when the pipeline handled a record,
//! used only to notice partitions that have gone quiet.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An instant of event time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventTime(pub i64);

impl EventTime {
    /// The earliest instant: a watermark that holds nothing back yet.
    pub const MIN: EventTime = EventTime(i64::MIN);
    /// The end of time: the watermark of a finished bounded input, which closes every window.
    pub const MAX: EventTime = EventTime(i64::MAX);
    /// The first instant a receipt may carry: `0001-01-01T00:00:00.000Z`.
    pub const EARLIEST: EventTime = EventTime(-62_135_596_800_000);
    /// The last instant a receipt may carry: `9999-12-31T23:59:59.999Z`. Every window written lies
    /// within `EARLIEST..=LATEST`, so its start and end print as four-digit years.
    pub const LATEST: EventTime = EventTime(253_402_300_799_999);

    /// Whether the instant lies in `EARLIEST..=LATEST` (years 1 to 9999).
    pub fn is_in_calendar(self) -> bool {
        (EventTime::EARLIEST..=EventTime::LATEST).contains(&self)
    }

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

    /// An instant `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        EventTime(ms)
    }

    /// An instant `s` seconds after the epoch.
    pub const fn from_secs(s: i64) -> Self {
        EventTime(s * 1000)
    }
}

/// RFC 3339 in UTC with milliseconds, e.g. `2024-05-01T12:00:10.000Z`; [`EventTime::MIN`] and
/// [`EventTime::MAX`] print as `-infinity` and `+infinity`.
impl fmt::Display for EventTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == EventTime::MIN {
            return f.write_str("-infinity");
        }
        if *self == EventTime::MAX {
            return f.write_str("+infinity");
        }
        let days = self.0.div_euclid(MILLIS_PER_DAY);
        let ms_of_day = self.0.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let (hour, minute) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60);
        let (second, milli) = (ms_of_day / 1000 % 60, ms_of_day % 1000);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z"
        )
    }
}

const MILLIS_PER_DAY: i64 = 86_400_000;

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01 (shared by every
/// writer of RFC 3339 times).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
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

/// Whole seconds as `10s`, anything else as `1500ms`.
impl fmt::Display for TimeSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 1000 == 0 {
            write!(f, "{}s", self.0 / 1000)
        } else {
            write!(f, "{}ms", self.0)
        }
    }
}

/// An instant of processing time in milliseconds, on a clock of the caller's choosing.
///
/// The engine never reads a clock: the caller passes "now" in. Only differences between two
/// processing times matter (idle detection). Partition activity is kept in snapshots, so a caller
/// that restores from a checkpoint should use a clock that survives a restart, such as wall-clock
/// milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProcessingTime(pub i64);

impl ProcessingTime {
    /// A processing-time instant of `ms` milliseconds.
    pub const fn from_millis(ms: i64) -> Self {
        ProcessingTime(ms)
    }

    /// Milliseconds on the caller's clock.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// How long after `earlier` this instant is (zero if the clock went backwards).
    pub fn since(self, earlier: ProcessingTime) -> TimeSpan {
        TimeSpan(self.0.saturating_sub(earlier.0).max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_time_prints_as_rfc3339_utc_with_milliseconds() {
        assert_eq!(EventTime(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            EventTime(1_714_564_810_123).to_string(),
            "2024-05-01T12:00:10.123Z"
        );
        assert_eq!(
            EventTime(951_782_400_000).to_string(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(EventTime(-1).to_string(), "1969-12-31T23:59:59.999Z");
        assert_eq!(EventTime::MAX.to_string(), "+infinity");
        assert_eq!(EventTime::MIN.to_string(), "-infinity");
        assert_eq!(EventTime::EARLIEST.to_string(), "0001-01-01T00:00:00.000Z");
        assert_eq!(EventTime::LATEST.to_string(), "9999-12-31T23:59:59.999Z");
        assert!(EventTime::LATEST.is_in_calendar() && EventTime::EARLIEST.is_in_calendar());
        assert!(!EventTime(EventTime::LATEST.0 + 1).is_in_calendar());
        assert!(!EventTime(EventTime::EARLIEST.0 - 1).is_in_calendar());
    }

    #[test]
    fn time_span_prints_seconds_when_whole() {
        assert_eq!(TimeSpan::from_secs(10).to_string(), "10s");
        assert_eq!(TimeSpan::from_millis(1500).to_string(), "1500ms");
        assert_eq!(TimeSpan::from_millis(0).to_string(), "0s");
    }

    #[test]
    fn processing_time_since_never_goes_negative() {
        let (a, b) = (ProcessingTime(1_000), ProcessingTime(4_500));
        assert_eq!(b.since(a), TimeSpan::from_millis(3_500));
        assert_eq!(a.since(b), TimeSpan::from_millis(0));
    }
}
