//! The pure event-time core of retailflow: window assignment, per-partition watermarks, window state,
//! emission and late data. No I/O and no wall clock: time is whatever the caller says it is.

pub mod receipt;
pub mod time;

pub use receipt::{LineItem, Receipt};
pub use time::{EventTime, TimeSpan};
