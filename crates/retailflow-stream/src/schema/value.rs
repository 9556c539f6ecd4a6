//! The classic `{"value": n}` message: one integer per message, as the well-known kafka-python
//! producer writes it.

use serde::Deserialize;

use retailflow_receipts::Rejection;
use retailflow_receipts::schema::{RecordFormat, json_rejection, object_text};

/// A parsed `{"value": n}` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ValueRecord {
    /// The integer carried by the message.
    pub value: i64,
}

/// The `{"value": n}` schema; `n` must be an integer, other keys are ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValueFormat;

impl RecordFormat for ValueFormat {
    type Record = ValueRecord;

    fn parse(&self, payload: &[u8]) -> Result<ValueRecord, Rejection> {
        let text = object_text(payload)?;
        serde_json::from_str(text).map_err(|e| json_rejection(&e))
    }
}

#[cfg(test)]
mod tests {
    use retailflow_receipts::Reason;

    use super::*;

    fn reason(payload: &[u8]) -> Reason {
        ValueFormat.parse(payload).unwrap_err().reason
    }

    #[test]
    fn reads_the_classic_message() {
        assert_eq!(
            ValueFormat.parse(br#"{"value": 42}"#).unwrap(),
            ValueRecord { value: 42 }
        );
        assert_eq!(
            ValueFormat.parse(br#"{"value":-7,"x":1}"#).unwrap().value,
            -7
        );
    }

    #[test]
    fn malformed_values_get_the_right_reason() {
        assert_eq!(reason(br#"{"value": 4"#), Reason::MalformedJson);
        assert_eq!(reason(b"{\"value\": \xff}"), Reason::MalformedJson);
        assert_eq!(reason(b""), Reason::MalformedJson);
        assert_eq!(reason(br#"{"value": "4"}"#), Reason::Schema);
        assert_eq!(reason(br#"{"value": 4.5}"#), Reason::Schema);
        assert_eq!(reason(br#"{}"#), Reason::Schema);
        assert_eq!(reason(br#"[4]"#), Reason::Schema);
        assert_eq!(reason(b"42"), Reason::Schema);
        assert_eq!(reason(b"hello"), Reason::MalformedJson);
    }
}
