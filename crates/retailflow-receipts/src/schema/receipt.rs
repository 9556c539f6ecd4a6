//! The store receipt schema:
//! `{"receipt_id": str, "store_id": str, "cashier_id": str, "ts": RFC 3339,
//!   "items": [{"name": str, "category": str, "price": number, "quantity": int}, ...]}`.
//!
//! Shape errors (a missing field, a wrong type) are `schema`; values that make no sense are
//! `invalid_value`: no items, an empty id, a timestamp that is not RFC 3339 or lies outside years
//! 1 to 9999, and anything that breaks the value rules ([`ValueRules`]: a quantity outside
//! 1..=max, a price outside 0..=max, a receipt total beyond max quantity × max price), with the
//! field and the rule named. Unknown keys are ignored so producers can add fields.
//!
//! A receipt written the plain way is read by a single scan (`super::receipt_scan`); anything
//! else — escapes, unknown keys, unusual numbers, every error — is read by serde.

use std::borrow::Cow;

use retailflow_core::values::ValueRules;
use serde::Deserialize;

use crate::reason::{Reason, Rejection};
use crate::receipt::{LineItem, Receipt};
use crate::schema::receipt_scan::scan_receipt;
use crate::schema::{RecordFormat, json_rejection, object_text};
use crate::timestamp::parse_rfc3339;

/// The receipt as it is on the wire: ids and items read straight into their final strings, the
/// timestamp borrowed from the payload until it is parsed.
#[derive(Deserialize)]
pub(crate) struct WireReceipt<'a> {
    pub(crate) receipt_id: String,
    pub(crate) store_id: String,
    pub(crate) cashier_id: String,
    #[serde(borrow)]
    pub(crate) ts: Cow<'a, str>,
    pub(crate) items: Vec<LineItem>,
}

/// The receipt schema, checking values against its rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReceiptFormat {
    /// The value rules in force.
    pub rules: ValueRules,
}

impl ReceiptFormat {
    /// The schema with `rules`.
    pub fn new(rules: ValueRules) -> Self {
        ReceiptFormat { rules }
    }
}

impl RecordFormat for ReceiptFormat {
    type Record = Receipt;

    fn parse(&self, payload: &[u8]) -> Result<Receipt, Rejection> {
        let text = object_text(payload)?;
        let wire = match scan_receipt(text) {
            Some(wire) => wire,
            None => serde_json::from_str(text).map_err(|e| json_rejection(&e))?,
        };
        validate(wire, &self.rules)
    }
}

/// Whether `value` is empty or only white space (as `str::trim` sees it), checking the first byte
/// first: an ASCII byte above the space is never white space.
#[inline]
fn is_blank(value: &str) -> bool {
    match value.as_bytes().first() {
        Some(&byte) if byte > b' ' && byte < 0x80 => false,
        _ => value.trim().is_empty(),
    }
}

fn invalid(detail: String) -> Rejection {
    Rejection::new(Reason::InvalidValue, detail)
}

fn validate(wire: WireReceipt<'_>, rules: &ValueRules) -> Result<Receipt, Rejection> {
    for (field, value) in [
        ("receipt_id", &wire.receipt_id),
        ("store_id", &wire.store_id),
        ("cashier_id", &wire.cashier_id),
    ] {
        if is_blank(value) {
            return Err(invalid(format!("{field} is empty")));
        }
    }
    let ts = parse_rfc3339(&wire.ts)
        .ok_or_else(|| invalid(format!("ts `{}` is not an RFC 3339 timestamp", wire.ts)))?;
    if !ts.is_in_calendar() {
        return Err(invalid(format!(
            "ts `{}` is outside years 1 to 9999 (UTC)",
            wire.ts
        )));
    }
    if wire.items.is_empty() {
        return Err(invalid(
            "items is empty: a receipt needs at least one item".to_string(),
        ));
    }
    // Within the rules, each line is at most max quantity × max price, far inside what exact
    // hundredths can sum, so the receipt's total is exact too.
    let mut total: i128 = 0;
    for (i, item) in wire.items.iter().enumerate() {
        rules
            .quantity(item.quantity)
            .map_err(|broken| invalid(format!("items[{i}].{broken}")))?;
        let price = rules
            .price(item.price)
            .map_err(|broken| invalid(format!("items[{i}].{broken}")))?;
        total += (price * 100.0).round() as i128 * i128::from(item.quantity);
        if is_blank(&item.name) {
            return Err(invalid(format!("items[{i}].name is empty")));
        }
        if is_blank(&item.category) {
            return Err(invalid(format!("items[{i}].category is empty")));
        }
    }
    rules
        .total(total as f64 / 100.0)
        .map_err(|broken| invalid(broken.to_string()))?;
    Ok(Receipt {
        receipt_id: wire.receipt_id,
        store_id: wire.store_id,
        cashier_id: wire.cashier_id,
        ts,
        items: wire.items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::EventTime;

    const GOOD: &str = r#"{"receipt_id":"R1","store_id":"S001","cashier_id":"S001-C1","ts":"2025-01-01T00:00:01.500Z","items":[{"name":"Item_1_FOOD","category":"Food","price":5.0,"quantity":2},{"name":"Item_3_BEV","category":"Beverages","price":8,"quantity":1}]}"#;

    fn rejected(payload: &[u8]) -> Rejection {
        ReceiptFormat::default().parse(payload).unwrap_err()
    }

    fn with(from: &str, to: &str) -> Vec<u8> {
        assert!(GOOD.contains(from), "{from}");
        GOOD.replacen(from, to, 1).into_bytes()
    }

    #[test]
    fn a_good_receipt_parses() {
        let receipt = ReceiptFormat::default().parse(GOOD.as_bytes()).unwrap();
        assert_eq!(receipt.receipt_id, "R1");
        assert_eq!(receipt.store_id, "S001");
        assert_eq!(receipt.cashier_id, "S001-C1");
        assert_eq!(receipt.ts, EventTime(1_735_689_601_500));
        assert_eq!(receipt.items.len(), 2);
        assert_eq!(receipt.items[1].price, 8.0);
        assert_eq!(receipt.total(), 18.0);
        assert_eq!(receipt.units(), 3);
    }

    #[test]
    fn escaped_strings_and_unknown_keys_are_fine() {
        let payload = with(
            r#""store_id":"S001""#,
            r#""store_id":"S\u0030","note":[1,{"a":2}]"#,
        );
        assert_eq!(
            ReceiptFormat::default().parse(&payload).unwrap().store_id,
            "S0"
        );
    }

    #[test]
    fn broken_json_is_malformed_json() {
        let truncated = &GOOD.as_bytes()[..GOOD.len() / 2];
        assert_eq!(rejected(truncated).reason, Reason::MalformedJson);
        assert!(
            rejected(truncated).detail.contains("EOF"),
            "{}",
            rejected(truncated).detail
        );
        assert_eq!(
            rejected(&with("}]}", "}]} trailing")).reason,
            Reason::MalformedJson
        );
        assert_eq!(rejected(b"not json").reason, Reason::MalformedJson);
        assert_eq!(rejected(b"").reason, Reason::MalformedJson);
        assert_eq!(
            rejected(&with("\"price\":8", "\"price\":NaN")).reason,
            Reason::MalformedJson
        );
    }

    #[test]
    fn non_utf8_bytes_are_malformed_json() {
        let mut payload = GOOD.as_bytes().to_vec();
        let at = GOOD.find("S001-C1").unwrap();
        payload[at] = 0xFF;
        let rejection = rejected(&payload);
        assert_eq!(rejection.reason, Reason::MalformedJson);
        assert_eq!(
            rejection.detail,
            format!("payload is not UTF-8 (invalid byte at offset {at})")
        );
    }

    #[test]
    fn non_utf8_bytes_in_an_ignored_key_are_still_malformed_json() {
        let mut payload = with(r#""store_id":"S001""#, r#""store_id":"S001","note":"??""#);
        let at = payload.iter().position(|&b| b == b'?').unwrap();
        payload[at] = 0xC3;
        payload[at + 1] = 0x28;
        assert_eq!(rejected(&payload).reason, Reason::MalformedJson);
    }

    #[test]
    fn missing_fields_and_wrong_types_are_schema() {
        let missing = with(r#""store_id":"S001","#, "");
        let rejection = rejected(&missing);
        assert_eq!(rejection.reason, Reason::Schema);
        assert!(
            rejection.detail.starts_with("missing field `store_id`"),
            "{}",
            rejection.detail
        );
        for (from, to) in [
            (r#""quantity":2"#, r#""quantity":"2""#),
            (r#""quantity":2"#, r#""quantity":2.5"#),
            (r#""price":8"#, r#""price":"8""#),
            (
                r#""ts":"2025-01-01T00:00:01.500Z""#,
                r#""ts":1735689601500"#,
            ),
            (r#""receipt_id":"R1""#, r#""receipt_id":1"#),
            (r#""items":["#, r#""items":"none","rest":["#),
            (r#""name":"Item_1_FOOD","#, ""),
        ] {
            let payload = with(from, to);
            let text = String::from_utf8_lossy(&payload).into_owned();
            assert_eq!(rejected(&payload).reason, Reason::Schema, "{text}");
        }
        assert_eq!(rejected(b"[1,2]").reason, Reason::Schema);
        assert_eq!(rejected(br#""receipt""#).reason, Reason::Schema);
    }

    #[test]
    fn a_receipt_total_beyond_the_rules_is_invalid_value() {
        let rules = ValueRules::new(10, 100.0).unwrap();
        let payload = with(r#""price":8,"quantity":1"#, r#""price":100,"quantity":10"#);
        let rejection = ReceiptFormat::new(rules).parse(&payload).unwrap_err();
        assert_eq!(rejection.reason, Reason::InvalidValue);
        assert_eq!(
            rejection.detail,
            "total 1010 breaks above_max (allowed: 0..=1000)"
        );
        assert!(ReceiptFormat::default().parse(&payload).is_ok());
        let tighter = ReceiptFormat::new(ValueRules::new(1, 100.0).unwrap());
        assert_eq!(
            tighter.parse(GOOD.as_bytes()).unwrap_err().detail,
            "items[0].quantity 2 breaks above_max (allowed: 1..=1)"
        );
    }

    #[test]
    fn senseless_values_are_invalid_value() {
        for (from, to, detail) in [
            (
                r#""quantity":2"#,
                r#""quantity":-2"#,
                "items[0].quantity -2 breaks below_min (allowed: 1..=100000)",
            ),
            (
                r#""quantity":2"#,
                r#""quantity":0"#,
                "items[0].quantity 0 breaks below_min (allowed: 1..=100000)",
            ),
            (
                r#""price":8"#,
                r#""price":-0.5"#,
                "items[1].price -0.5 breaks below_min (allowed: 0..=1000000)",
            ),
            (r#""price":8"#, r#""price":1e999"#, "number out of range"),
            (
                r#""quantity":2"#,
                r#""quantity":4611686018427387904"#,
                "items[0].quantity 4611686018427387904 breaks above_max (allowed: 1..=100000)",
            ),
            (
                r#""price":8"#,
                r#""price":1e300"#,
                "items[1].price 1e300 breaks above_max (allowed: 0..=1000000)",
            ),
            (
                r#""ts":"2025-01-01T00:00:01.500Z""#,
                r#""ts":"0000-12-31T23:59:59.000Z""#,
                "ts `0000-12-31T23:59:59.000Z` is outside years 1 to 9999 (UTC)",
            ),
            (
                r#""ts":"2025-01-01T00:00:01.500Z""#,
                r#""ts":"9999-12-31T23:00:00-05:00""#,
                "ts `9999-12-31T23:00:00-05:00` is outside years 1 to 9999 (UTC)",
            ),
            (
                r#""ts":"2025-01-01T00:00:01.500Z""#,
                r#""ts":"2025-02-30T00:00:00.000Z""#,
                "ts `2025-02-30T00:00:00.000Z` is not an RFC 3339 timestamp",
            ),
            (
                r#""ts":"2025-01-01T00:00:01.500Z""#,
                r#""ts":"yesterday""#,
                "ts `yesterday`",
            ),
            (
                r#""store_id":"S001""#,
                r#""store_id":" ""#,
                "store_id is empty",
            ),
            (
                r#""name":"Item_1_FOOD""#,
                r#""name":"""#,
                "items[0].name is empty",
            ),
        ] {
            let rejection = rejected(&with(from, to));
            assert_eq!(rejection.reason, Reason::InvalidValue, "{to}");
            assert!(rejection.detail.starts_with(detail), "{}", rejection.detail);
        }
        let empty = format!("{}[]}}", &GOOD[..GOOD.find("[").unwrap()]);
        let rejection = rejected(empty.as_bytes());
        assert_eq!(rejection.reason, Reason::InvalidValue);
        assert_eq!(
            rejection.detail,
            "items is empty: a receipt needs at least one item"
        );
    }
}
