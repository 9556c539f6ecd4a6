//! The exact JSON form of an analytics result, one object per result (see
//! `retailflow_eventtime::output` for the keys): times in RFC 3339 UTC with milliseconds, money as a
//! number rounded to 2 decimals, and `"final"` as the last key of windowed results in update mode
//! only. `retailflow stream --output jsonl` and `retailflow windows` both write with this.

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
        BigReceipt, ItemQuantity, PopularItems, StoreRevenue, TopStores, WindowSummary,
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
}
