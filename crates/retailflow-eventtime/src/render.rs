//! How results print, for the analyses' own JSON writers and console rows: times in RFC 3339 UTC
//! with milliseconds, money as a number rounded to 2 decimals, ratios rounded to a number of
//! places, strings escaped as JSON strings, and the `"final"` key of results that can be
//! provisional.

use retailflow_receipts::timestamp::{format_table_time, write_rfc3339};

use crate::money::Money;
use crate::time::EventTime;

/// `{"kind":"KIND","window_start":T,"window_end":T` (the object is left open).
pub(crate) fn window_head(out: &mut Vec<u8>, kind: &str, start: EventTime, end: EventTime) {
    object_head(out, kind);
    out.extend_from_slice(b",\"window_start\":");
    time(out, start);
    out.extend_from_slice(b",\"window_end\":");
    time(out, end);
}

/// `{"kind":"KIND"` (the object is left open).
pub(crate) fn object_head(out: &mut Vec<u8>, kind: &str) {
    out.extend_from_slice(b"{\"kind\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.push(b'"');
}

/// `,"KEY":` before a value.
pub(crate) fn key(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Closes a windowed result: `,"final":true|false` when `with_final` (update mode), then `}`.
pub(crate) fn window_tail(out: &mut Vec<u8>, with_final: bool, is_final: bool) {
    if with_final {
        out.extend_from_slice(if is_final {
            b",\"final\":true"
        } else {
            b",\"final\":false"
        });
    }
    out.push(b'}');
}

/// `value` rounded to `places` decimals, or `null` when it is not finite.
pub(crate) fn rounded(out: &mut Vec<u8>, value: f64, places: i32) {
    let scale = 10f64.powi(places);
    let value = (value * scale).round() / scale;
    if value.is_finite() {
        // A finite f64 always serialises.
        let _ = serde_json::to_writer(&mut *out, &value);
    } else {
        out.extend_from_slice(b"null");
    }
}

/// A JSON string of the RFC 3339 form of `at`.
pub(crate) fn time(out: &mut Vec<u8>, at: EventTime) {
    out.push(b'"');
    write_rfc3339(at, out);
    out.push(b'"');
}

/// Money as a JSON number with at most 2 decimals.
pub(crate) fn money(out: &mut Vec<u8>, amount: Money) {
    // A finite f64 always serialises.
    let _ = serde_json::to_writer(&mut *out, &amount.to_decimal());
}

/// A JSON string.
pub(crate) fn string(out: &mut Vec<u8>, text: &str) {
    // A string always serialises.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// A whole number.
pub(crate) fn number(out: &mut Vec<u8>, value: impl std::fmt::Display) {
    use std::io::Write as _;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{value}");
}

/// The start and end cells of a window row, as Spark prints timestamps.
pub(crate) fn window_cells(start: EventTime, end: EventTime) -> Vec<Option<String>> {
    vec![Some(format_table_time(start)), Some(format_table_time(end))]
}

/// A table cell of an event time, as Spark prints it.
pub(crate) fn time_cell(at: EventTime) -> Option<String> {
    Some(format_table_time(at))
}
