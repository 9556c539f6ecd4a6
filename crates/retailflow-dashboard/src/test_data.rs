//! Results for the crate's tests, built as a `--output kafka:TOPIC` run writes them.
#![allow(clippy::unwrap_used)]

use crate::entry::Entry;

/// A result object filed as the dashboard files a topic's message.
pub(crate) fn entry(json: &str) -> Entry {
    Entry::from_message(json.as_bytes()).unwrap()
}

/// `"window_start":…,"window_end":…` of the 10 s window starting `start_s` after 08:00.
pub(crate) fn window(start_s: u32) -> String {
    let at = |s: u32| format!("2026-12-03T08:{:02}:{:02}.000Z", s / 60, s % 60);
    format!(
        r#""window_start":"{}","window_end":"{}""#,
        at(start_s),
        at(start_s + 10)
    )
}
