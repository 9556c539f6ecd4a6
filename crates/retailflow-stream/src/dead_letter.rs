//! Dead letters: the one-JSON-object-per-line record written for a refused message (why it was
//! refused, [`Reason`] and [`Rejection`], is part of the receipt contract in `retailflow-receipts`).
//!
//! A dead-letter record keeps everything needed to find and replay the message:
//! `{"reason", "detail", "source", "partition", "offset", "payload", "payload_encoding"}` — the
//! payload as text when it is UTF-8, else base64 with `"payload_encoding":"base64"`. A payload over
//! the size limit is cut to its first [`OVERSIZED_PAYLOAD_PREVIEW`] bytes and says so with
//! `"payload_truncated":true` and `"payload_bytes"` (its real size), so the dead-letter sink itself
//! never has to carry an oversized message.

use base64::Engine as _;
use serde::Serialize;

pub use retailflow_receipts::{Reason, ReasonCounts, Rejection};

/// How much of an oversized payload a dead letter keeps.
pub const OVERSIZED_PAYLOAD_PREVIEW: usize = 1024;

/// One dead letter, ready to be written as a JSON line or a Kafka message.
#[derive(Debug, Clone, Copy)]
pub struct DeadLetter<'a> {
    /// Why it was refused.
    pub reason: Reason,
    /// What exactly was wrong.
    pub detail: &'a str,
    /// Where it came from: `kafka:<topic>` or `file:<path>`.
    pub source: &'a str,
    /// Kafka partition (0 for a file).
    pub partition: i32,
    /// Kafka offset, or 1-based line number for a file.
    pub offset: i64,
    /// The message key, if any (used as the key of a dead letter sent to Kafka).
    pub key: Option<&'a [u8]>,
    /// The payload as received (possibly only its start, see `payload_size`).
    pub payload: &'a [u8],
    /// The payload's real size in bytes.
    pub payload_size: usize,
}

#[derive(Serialize)]
struct DeadLetterJson<'a> {
    reason: Reason,
    detail: &'a str,
    source: &'a str,
    partition: i32,
    offset: i64,
    payload: &'a str,
    payload_encoding: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_truncated: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_bytes: Option<usize>,
}

impl DeadLetter<'_> {
    /// Appends the record as one line of JSON (with its trailing newline) to `out`.
    pub fn write_json_line(&self, out: &mut Vec<u8>) {
        let truncated = self.payload_size > self.payload.len()
            || (self.reason == Reason::TooLarge && self.payload.len() > OVERSIZED_PAYLOAD_PREVIEW);
        let kept = if truncated {
            &self.payload[..self.payload.len().min(OVERSIZED_PAYLOAD_PREVIEW)]
        } else {
            self.payload
        };
        let base64_text;
        let (payload, payload_encoding) = match utf8_prefix(kept, truncated) {
            Some(text) => (text, "utf8"),
            None => {
                base64_text = base64::engine::general_purpose::STANDARD.encode(kept);
                (base64_text.as_str(), "base64")
            }
        };
        let record = DeadLetterJson {
            reason: self.reason,
            detail: self.detail,
            source: self.source,
            partition: self.partition,
            offset: self.offset,
            payload,
            payload_encoding,
            payload_truncated: truncated.then_some(true),
            payload_bytes: truncated.then_some(self.payload_size.max(self.payload.len())),
        };
        // Serialising plain strings and numbers into a Vec cannot fail.
        if serde_json::to_writer(&mut *out, &record).is_ok() {
            out.push(b'\n');
        }
    }
}

/// The payload as text when it is UTF-8. A cut payload may end inside a character: that partial
/// character is dropped rather than turning the whole preview into base64.
fn utf8_prefix(bytes: &[u8], cut: bool) -> Option<&str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) if cut && e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()
        }
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter<'a>(reason: Reason, payload: &'a [u8], size: usize) -> DeadLetter<'a> {
        DeadLetter {
            reason,
            detail: "missing field `store_id`",
            source: "kafka:receipts",
            partition: 2,
            offset: 41,
            key: None,
            payload,
            payload_size: size,
        }
    }

    fn line(letter: &DeadLetter<'_>) -> String {
        let mut out = Vec::new();
        letter.write_json_line(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn utf8_payload_is_kept_as_text() {
        let payload = br#"{"receipt_id":"a"}"#;
        assert_eq!(
            line(&letter(Reason::Schema, payload, payload.len())),
            r#"{"reason":"schema","detail":"missing field `store_id`","source":"kafka:receipts","partition":2,"offset":41,"payload":"{\"receipt_id\":\"a\"}","payload_encoding":"utf8"}"#
                .to_string()
                + "\n"
        );
    }

    #[test]
    fn non_utf8_payload_is_base64() {
        let payload = b"{\"a\":\"\xff\xfe\"}";
        let out = line(&letter(Reason::MalformedJson, payload, payload.len()));
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["reason"], "malformed_json");
        assert_eq!(value["payload_encoding"], "base64");
        assert_eq!(value["payload"], "eyJhIjoi//4ifQ==");
        let decoded =
            base64::engine::general_purpose::STANDARD.decode(value["payload"].as_str().unwrap());
        assert_eq!(decoded.unwrap(), payload);
        assert!(value.get("payload_truncated").is_none());
    }

    #[test]
    fn oversized_payload_is_cut_and_says_so() {
        let payload = vec![b'x'; 5000];
        let out = line(&letter(Reason::TooLarge, &payload, 2_000_000));
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["reason"], "too_large");
        assert_eq!(
            value["payload"].as_str().unwrap().len(),
            OVERSIZED_PAYLOAD_PREVIEW
        );
        assert_eq!(value["payload_truncated"], true);
        assert_eq!(value["payload_bytes"], 2_000_000);
    }

    #[test]
    fn a_cut_inside_a_character_keeps_the_text() {
        let mut payload = vec![b'a'; OVERSIZED_PAYLOAD_PREVIEW - 1];
        payload.extend("é and more".as_bytes());
        let out = line(&letter(Reason::TooLarge, &payload, payload.len()));
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["payload_encoding"], "utf8");
        assert_eq!(
            value["payload"].as_str().unwrap().len(),
            OVERSIZED_PAYLOAD_PREVIEW - 1
        );
    }
}
