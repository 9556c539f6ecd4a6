//! Dead letters: why a message was refused, and the one-JSON-object-per-line record written for it.
//!
//! A dead-letter record keeps everything needed to find and replay the message:
//! `{"reason", "detail", "source", "partition", "offset", "payload", "payload_encoding"}` — the
//! payload as text when it is UTF-8, else base64 with `"payload_encoding":"base64"`. A payload over
//! the size limit is cut to its first [`OVERSIZED_PAYLOAD_PREVIEW`] bytes and says so with
//! `"payload_truncated":true` and `"payload_bytes"` (its real size), so the dead-letter sink itself
//! never has to carry an oversized message.

use std::fmt;

use base64::Engine as _;
use serde::Serialize;

/// How much of an oversized payload a dead letter keeps.
pub const OVERSIZED_PAYLOAD_PREVIEW: usize = 1024;

/// Why a message went to the dead-letter sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not JSON at all: truncated, not UTF-8, empty, or a number JSON cannot hold.
    MalformedJson,
    /// JSON of the wrong shape: a missing field, a wrong type, not an object.
    Schema,
    /// The right shape with a value that breaks the value rules (a quantity outside
    /// 1..=`--max-quantity`, a price outside 0..=`--max-price`, a receipt total beyond their
    /// product), no items, a timestamp that is not RFC 3339 or outside years 1 to 9999, an empty
    /// id, or figures a window cannot hold exactly.
    InvalidValue,
    /// Over the maximum message size; refused before parsing.
    TooLarge,
    /// Behind the watermark for every window it belongs to (set by the windowed stage).
    Late,
    /// Stamped more than `--max-future` ahead of the clock when read (set by the windowed stage).
    Future,
    /// A receipt id already counted within the watermark's horizon (`--dedupe`).
    Duplicate,
}

impl Reason {
    /// Every reason, in the order counts are printed.
    pub const ALL: [Reason; REASONS] = [
        Reason::MalformedJson,
        Reason::Schema,
        Reason::InvalidValue,
        Reason::TooLarge,
        Reason::Late,
        Reason::Future,
        Reason::Duplicate,
    ];

    /// The reason as written in dead-letter records, e.g. `malformed_json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MalformedJson => "malformed_json",
            Reason::Schema => "schema",
            Reason::InvalidValue => "invalid_value",
            Reason::TooLarge => "too_large",
            Reason::Late => "late",
            Reason::Future => "future",
            Reason::Duplicate => "duplicate",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused message: the reason and a one-line human explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Why.
    pub reason: Reason,
    /// What exactly was wrong, e.g. ``missing field `store_id` at line 1 column 80``.
    pub detail: String,
}

impl Rejection {
    /// A rejection for `reason` with `detail`.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
        }
    }
}

const REASONS: usize = 7;

/// Counts of dead letters per reason. Serialised as a list in [`Reason::ALL`] order; a shorter
/// list (written before a reason was added) reads as zeros for the newer reasons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReasonCounts([u64; REASONS]);

impl<'de> serde::Deserialize<'de> for ReasonCounts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let counts = Vec::<u64>::deserialize(deserializer)?;
        if counts.len() > REASONS {
            return Err(serde::de::Error::invalid_length(
                counts.len(),
                &"at most one count per reason",
            ));
        }
        let mut all = [0; REASONS];
        all[..counts.len()].copy_from_slice(&counts);
        Ok(ReasonCounts(all))
    }
}

impl ReasonCounts {
    /// Counts one more dead letter for `reason`.
    pub fn add(&mut self, reason: Reason) {
        self.0[reason.index()] += 1;
    }

    /// Adds every count of `other`.
    pub fn add_all(&mut self, other: &ReasonCounts) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }

    /// The count for `reason`.
    pub fn get(&self, reason: Reason) -> u64 {
        self.0[reason.index()]
    }

    /// All dead letters.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// `(reason, count)` for every reason with a count above zero.
    pub fn nonzero(&self) -> impl Iterator<Item = (Reason, u64)> + '_ {
        Reason::ALL
            .into_iter()
            .map(|r| (r, self.get(r)))
            .filter(|&(_, n)| n > 0)
    }
}

/// `malformed_json 2, schema 1`, or `none`.
impl fmt::Display for ReasonCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (reason, count) in self.nonzero() {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "{reason} {count}")?;
            first = false;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

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

    #[test]
    fn counts_print_nonzero_reasons_in_order() {
        let mut counts = ReasonCounts::default();
        assert_eq!(counts.to_string(), "none");
        counts.add(Reason::TooLarge);
        counts.add(Reason::MalformedJson);
        counts.add(Reason::MalformedJson);
        assert_eq!(counts.to_string(), "malformed_json 2, too_large 1");
        assert_eq!(counts.total(), 3);
    }
}
