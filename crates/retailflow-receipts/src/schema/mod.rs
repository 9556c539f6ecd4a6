//! Message schemas: turning a payload into a typed record, or into a [`Rejection`] that says why not.
//!
//! [`RecordFormat`] is what every schema implements; [`receipt`] is the store receipt schema, with
//! a fast path for plainly written receipts in `receipt_scan`. Schemas read the payload in place
//! with serde (no intermediate JSON tree), and sort serde's errors into reasons with
//! [`object_text`] and [`json_rejection`], which other schemas (the stream's `{"value": n}`) use
//! too. The size limit ([`crate::size`]) is checked before a payload ever reaches a parser.

pub mod receipt;
mod receipt_scan;

use crate::reason::{Reason, Rejection};

pub use receipt::ReceiptFormat;
pub use receipt_scan::recycle_receipt;
/// The receipt scan checked against serde, for the fuzz targets (`fuzz/`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use receipt_scan::scan_against_serde;

/// A message schema: how to read one payload into a typed record.
pub trait RecordFormat {
    /// The typed record a well-formed payload becomes.
    type Record;

    /// Parses one payload, or says why it cannot be used.
    fn parse(&self, payload: &[u8]) -> Result<Self::Record, Rejection>;
}

/// The payload as UTF-8 text, or a `malformed_json` rejection (empty payloads too).
fn payload_text(payload: &[u8]) -> Result<&str, Rejection> {
    if payload.is_empty() {
        return Err(Rejection::new(Reason::MalformedJson, "empty message"));
    }
    std::str::from_utf8(payload).map_err(|e| {
        Rejection::new(
            Reason::MalformedJson,
            format!(
                "payload is not UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// The payload as the text of a JSON object. Any other JSON value is a `schema` rejection (serde
/// would otherwise read `[4]` as the struct `{"value": 4}`); text that is not JSON at all is
/// `malformed_json`.
pub fn object_text(payload: &[u8]) -> Result<&str, Rejection> {
    let text = payload_text(payload)?;
    if text.trim_start().starts_with('{') {
        return Ok(text);
    }
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => Err(Rejection::new(Reason::Schema, "expected a JSON object")),
        Err(e) => Err(json_rejection(&e)),
    }
}

/// Sorts a serde_json error into a reason: broken JSON is `malformed_json`, JSON of the wrong
/// shape is `schema`, and a number too large for a double is `invalid_value`.
pub fn json_rejection(error: &serde_json::Error) -> Rejection {
    use serde_json::error::Category;
    let detail = error.to_string();
    let reason = match error.classify() {
        Category::Data => Reason::Schema,
        Category::Syntax if detail.starts_with("number out of range") => Reason::InvalidValue,
        Category::Syntax | Category::Eof | Category::Io => Reason::MalformedJson,
    };
    Rejection::new(reason, detail)
}
