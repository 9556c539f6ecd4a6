//! The exact JSON form of an analytics result, one object per result (see
//! `retailflow_eventtime::output` for the keys): times in RFC 3339 UTC with milliseconds, money as a
//! number rounded to 2 decimals (expected revenue and standard deviation too; z, support,
//! confidences and lift to 4), and `"final"` as the last key of the results that can be
//! provisional, in update mode only. `retailflow stream --output jsonl` and `retailflow windows` both write with this.

use retailflow_eventtime::{EventTime, Money, Output};

use crate::timestamp::write_rfc3339;

/// Appends `output` as one JSON object (no newline) to `out`; `with_final` adds the `final` key to
/// windowed results (update mode).
pub fn write_output_json(output: &Output, with_final: bool, out: &mut Vec<u8>) {
    match output {
        Output::TopStores(result) => {
            window_head(out, "top_stores", result.window_start, result.window_end);
            out.extend_from_slice(b",\"stores\":[");
            for (index, store) in result.stores.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"store_id\":");
                string(out, &store.store_id);
                out.extend_from_slice(b",\"revenue\":");
                money(out, store.revenue);
                out.extend_from_slice(b",\"receipts\":");
                out.extend_from_slice(store.receipts.to_string().as_bytes());
                out.push(b'}');
            }
            out.push(b']');
            tail(out, with_final, result.is_final);
        }
        Output::BigReceipt(result) => {
            out.extend_from_slice(b"{\"kind\":\"big_receipt\",\"receipt_id\":");
            string(out, &result.receipt_id);
            out.extend_from_slice(b",\"store_id\":");
            string(out, &result.store_id);
            out.extend_from_slice(b",\"cashier_id\":");
            string(out, &result.cashier_id);
            out.extend_from_slice(b",\"ts\":");
            time(out, result.ts);
            out.extend_from_slice(b",\"total\":");
            money(out, result.total);
            out.push(b'}');
        }
        Output::PopularItems(result) => {
            window_head(out, "popular_items", result.window_start, result.window_end);
            out.extend_from_slice(b",\"category\":");
            string(out, &result.category);
            out.extend_from_slice(b",\"items\":[");
            for (index, item) in result.items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"name\":");
                string(out, &item.name);
                out.extend_from_slice(b",\"quantity\":");
                out.extend_from_slice(item.quantity.to_string().as_bytes());
                out.push(b'}');
            }
            out.push(b']');
            tail(out, with_final, result.is_final);
        }
        Output::WindowSummary(result) => {
            window_head(
                out,
                "window_summary",
                result.window_start,
                result.window_end,
            );
            out.extend_from_slice(b",\"receipts\":");
            out.extend_from_slice(result.receipts.to_string().as_bytes());
            out.extend_from_slice(b",\"revenue\":");
            money(out, result.revenue);
            out.extend_from_slice(b",\"items\":");
            out.extend_from_slice(result.items.to_string().as_bytes());
            tail(out, with_final, result.is_final);
        }
        Output::BoughtTogether(result) => {
            window_head(
                out,
                "bought_together",
                result.window_start,
                result.window_end,
            );
            out.extend_from_slice(b",\"receipts\":");
            out.extend_from_slice(result.receipts.to_string().as_bytes());
            out.extend_from_slice(b",\"pairs\":[");
            for (index, pair) in result.pairs.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"a\":");
                string(out, &pair.a);
                out.extend_from_slice(b",\"b\":");
                string(out, &pair.b);
                out.extend_from_slice(b",\"receipts\":");
                out.extend_from_slice(pair.receipts.to_string().as_bytes());
                out.extend_from_slice(b",\"support\":");
                rounded(out, pair.support, 4);
                out.extend_from_slice(b",\"confidence_ab\":");
                rounded(out, pair.confidence_ab, 4);
                out.extend_from_slice(b",\"confidence_ba\":");
                rounded(out, pair.confidence_ba, 4);
                out.extend_from_slice(b",\"lift\":");
                rounded(out, pair.lift, 4);
                out.push(b'}');
            }
            out.push(b']');
            tail(out, with_final, result.is_final);
        }
        Output::StoreAnomaly(result) => {
            window_head(out, "store_anomaly", result.window_start, result.window_end);
            out.extend_from_slice(b",\"store_id\":");
            string(out, &result.store_id);
            out.extend_from_slice(b",\"revenue\":");
            money(out, result.revenue);
            out.extend_from_slice(b",\"expected\":");
            rounded(out, result.expected, 2);
            out.extend_from_slice(b",\"stddev\":");
            rounded(out, result.stddev, 2);
            out.extend_from_slice(b",\"z\":");
            rounded(out, result.z, 4);
            out.extend_from_slice(b",\"direction\":");
            string(out, result.direction.name());
            out.push(b'}');
        }
        Output::CashierAlert(result) => {
            out.extend_from_slice(b"{\"kind\":\"cashier_alert\",\"cashier_id\":");
            string(out, &result.cashier_id);
            out.extend_from_slice(b",\"store_id\":");
            string(out, &result.store_id);
            out.extend_from_slice(b",\"first_ts\":");
            time(out, result.first_ts);
            out.extend_from_slice(b",\"last_ts\":");
            time(out, result.last_ts);
            out.extend_from_slice(b",\"receipts\":[");
            for (index, receipt) in result.receipts.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                string(out, receipt);
            }
            out.extend_from_slice(b"],\"total\":");
            money(out, result.total);
            out.push(b'}');
        }
    }
}

/// `value` rounded to `places` decimals, or `null` when it is not finite.
fn rounded(out: &mut Vec<u8>, value: f64, places: i32) {
    let scale = 10f64.powi(places);
    let value = (value * scale).round() / scale;
    if value.is_finite() {
        // A finite f64 always serialises.
        let _ = serde_json::to_writer(&mut *out, &value);
    } else {
        out.extend_from_slice(b"null");
    }
}

fn window_head(out: &mut Vec<u8>, kind: &str, start: EventTime, end: EventTime) {
    out.extend_from_slice(b"{\"kind\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\",\"window_start\":");
    time(out, start);
    out.extend_from_slice(b",\"window_end\":");
    time(out, end);
}

fn tail(out: &mut Vec<u8>, with_final: bool, is_final: bool) {
    if with_final {
        out.extend_from_slice(if is_final {
            b",\"final\":true"
        } else {
            b",\"final\":false"
        });
    }
    out.push(b'}');
}

fn time(out: &mut Vec<u8>, at: EventTime) {
    out.push(b'"');
    write_rfc3339(at, out);
    out.push(b'"');
}

fn money(out: &mut Vec<u8>, amount: Money) {
    // A finite f64 always serialises.
    let _ = serde_json::to_writer(&mut *out, &amount.to_decimal());
}

fn string(out: &mut Vec<u8>, text: &str) {
    // A string always serialises.
    let _ = serde_json::to_writer(&mut *out, text);
}

#[cfg(test)]
mod tests {
    use retailflow_eventtime::{
        BigReceipt, BoughtTogether, CashierAlert, Direction, ItemPair, ItemQuantity, PopularItems,
        StoreAnomaly, StoreRevenue, TopStores, WindowSummary,
    };

    use super::*;

    fn json(output: &Output, with_final: bool) -> String {
        let mut out = Vec::new();
        write_output_json(output, with_final, &mut out);
        String::from_utf8(out).unwrap()
    }

    const START: EventTime = EventTime(1_735_689_600_000);
    const END: EventTime = EventTime(1_735_689_610_000);

    #[test]
    fn every_kind_in_its_documented_form() {
        let top = Output::TopStores(TopStores {
            window_start: START,
            window_end: END,
            stores: vec![
                StoreRevenue {
                    store_id: "S1".into(),
                    revenue: Money::from_hundredths(50_001),
                    receipts: 2,
                },
                StoreRevenue {
                    store_id: "S\"2".into(),
                    revenue: Money::from_hundredths(6_000),
                    receipts: 1,
                },
            ],
            is_final: true,
        });
        assert_eq!(
            json(&top, false),
            r#"{"kind":"top_stores","window_start":"2025-01-01T00:00:00.000Z","window_end":"2025-01-01T00:00:10.000Z","stores":[{"store_id":"S1","revenue":500.01,"receipts":2},{"store_id":"S\"2","revenue":60.0,"receipts":1}]}"#
        );
        let big = Output::BigReceipt(BigReceipt {
            receipt_id: "R1".into(),
            store_id: "S1".into(),
            cashier_id: "C1".into(),
            ts: EventTime(1_735_689_603_250),
            total: Money::from_hundredths(123_456),
        });
        assert_eq!(
            json(&big, true),
            r#"{"kind":"big_receipt","receipt_id":"R1","store_id":"S1","cashier_id":"C1","ts":"2025-01-01T00:00:03.250Z","total":1234.56}"#
        );
        let popular = Output::PopularItems(PopularItems {
            window_start: START,
            window_end: END,
            category: "Milk Products".into(),
            items: vec![ItemQuantity {
                name: "Item_1_MILK".into(),
                quantity: 7,
            }],
            is_final: false,
        });
        assert_eq!(
            json(&popular, true),
            r#"{"kind":"popular_items","window_start":"2025-01-01T00:00:00.000Z","window_end":"2025-01-01T00:00:10.000Z","category":"Milk Products","items":[{"name":"Item_1_MILK","quantity":7}],"final":false}"#
        );
        let summary = Output::WindowSummary(WindowSummary {
            window_start: START,
            window_end: END,
            receipts: 3,
            revenue: Money::from_hundredths(10),
            items: 9,
            is_final: true,
        });
        assert_eq!(
            json(&summary, false),
            r#"{"kind":"window_summary","window_start":"2025-01-01T00:00:00.000Z","window_end":"2025-01-01T00:00:10.000Z","receipts":3,"revenue":0.1,"items":9}"#
        );
        assert!(json(&summary, true).ends_with(r#""items":9,"final":true}"#));
    }

    #[test]
    fn the_new_kinds_in_their_documented_form() {
        let pairs = Output::BoughtTogether(BoughtTogether {
            window_start: START,
            window_end: END,
            receipts: 5,
            pairs: vec![ItemPair {
                a: "Item_1_MILK".into(),
                b: "Item_2_BUT".into(),
                receipts: 2,
                support: 0.4,
                confidence_ab: 2.0 / 3.0,
                confidence_ba: 0.5,
                lift: 10.0 / 6.0,
            }],
            is_final: false,
        });
        assert_eq!(
            json(&pairs, true),
            r#"{"kind":"bought_together","window_start":"2025-01-01T00:00:00.000Z","window_end":"2025-01-01T00:00:10.000Z","receipts":5,"pairs":[{"a":"Item_1_MILK","b":"Item_2_BUT","receipts":2,"support":0.4,"confidence_ab":0.6667,"confidence_ba":0.5,"lift":1.6667}],"final":false}"#
        );
        let anomaly = Output::StoreAnomaly(StoreAnomaly {
            window_start: START,
            window_end: END,
            store_id: "S7".into(),
            revenue: Money::ZERO,
            expected: 1234.5678,
            stddev: 61.728,
            z: -20.00003,
            direction: Direction::Drop,
        });
        assert_eq!(
            json(&anomaly, true),
            r#"{"kind":"store_anomaly","window_start":"2025-01-01T00:00:00.000Z","window_end":"2025-01-01T00:00:10.000Z","store_id":"S7","revenue":0.0,"expected":1234.57,"stddev":61.73,"z":-20.0,"direction":"drop"}"#
        );
        let alert = Output::CashierAlert(CashierAlert {
            cashier_id: "S7-C2".into(),
            store_id: "S7".into(),
            first_ts: START,
            last_ts: EventTime(1_735_689_630_500),
            receipts: vec!["R1".into(), "R2".into(), "R3".into()],
            total: Money::from_hundredths(300_001),
        });
        assert_eq!(
            json(&alert, true),
            r#"{"kind":"cashier_alert","cashier_id":"S7-C2","store_id":"S7","first_ts":"2025-01-01T00:00:00.000Z","last_ts":"2025-01-01T00:00:30.500Z","receipts":["R1","R2","R3"],"total":3000.01}"#
        );
    }
}
