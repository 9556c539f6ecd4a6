//! One result as the dashboard keeps it: which panel it belongs to, the window and category it is
//! filed under, and its JSON object exactly as the JSONL output writes it. In-process results come
//! typed from the stream; results read back from a Kafka output topic are sorted by their `kind`.

use std::sync::Arc;

use retailflow_eventtime::{EventTime, Output};
use retailflow_stream::timestamp::parse_rfc3339;

/// The kinds of result, each shown in its own panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    TopStores,
    BigReceipt,
    PopularItems,
    WindowSummary,
    BoughtTogether,
    StoreAnomaly,
    CashierAlert,
}

impl Slot {
    /// The slot of a result of this process's own stream.
    pub(crate) fn of(output: &Output) -> Slot {
        match output {
            Output::TopStores(_) => Slot::TopStores,
            Output::BigReceipt(_) => Slot::BigReceipt,
            Output::PopularItems(_) => Slot::PopularItems,
            Output::WindowSummary(_) => Slot::WindowSummary,
            Output::BoughtTogether(_) => Slot::BoughtTogether,
            Output::StoreAnomaly(_) => Slot::StoreAnomaly,
            Output::CashierAlert(_) => Slot::CashierAlert,
        }
    }

    fn from_kind(kind: &str) -> Option<Slot> {
        Some(match kind {
            "top_stores" => Slot::TopStores,
            "big_receipt" => Slot::BigReceipt,
            "popular_items" => Slot::PopularItems,
            "window_summary" => Slot::WindowSummary,
            "bought_together" => Slot::BoughtTogether,
            "store_anomaly" => Slot::StoreAnomaly,
            "cashier_alert" => Slot::CashierAlert,
            _ => return None,
        })
    }
}

/// A result filed for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) slot: Slot,
    /// The window's start and end, for windowed results.
    pub(crate) window: Option<(EventTime, EventTime)>,
    /// The category of a popular-items result.
    pub(crate) category: Option<String>,
    /// The receipts of a window summary.
    pub(crate) receipts: Option<u64>,
    /// The result's JSON object.
    pub(crate) json: Arc<str>,
}

impl Entry {
    /// A result of this process's own stream, with the JSON object its outputs write.
    pub(crate) fn from_output(output: &Output, json: Vec<u8>) -> Entry {
        let window = output.window().map(|window| (window.start, window.end));
        let (category, receipts) = match output {
            Output::PopularItems(result) => (Some(result.category.clone()), None),
            Output::WindowSummary(result) => (None, Some(result.receipts)),
            Output::TopStores(_)
            | Output::BigReceipt(_)
            | Output::BoughtTogether(_)
            | Output::StoreAnomaly(_)
            | Output::CashierAlert(_) => (None, None),
        };
        Entry {
            slot: Slot::of(output),
            window,
            category,
            receipts,
            json: String::from_utf8_lossy(&json).into(),
        }
    }

    /// A message of a Kafka output topic (`--output kafka:TOPIC` of some run). Only the fields
    /// the dashboard files it by are read; the object is kept as it came.
    pub(crate) fn from_message(payload: &[u8]) -> Result<Entry, String> {
        #[derive(serde::Deserialize)]
        struct Filing {
            kind: String,
            window_start: Option<String>,
            window_end: Option<String>,
            category: Option<String>,
            receipts: Option<u64>,
        }
        let text = std::str::from_utf8(payload).map_err(|_| "it is not UTF-8".to_string())?;
        let filing: Filing =
            serde_json::from_str(text).map_err(|e| format!("it is not a result object: {e}"))?;
        let slot = Slot::from_kind(&filing.kind)
            .ok_or_else(|| format!("its kind `{}` is not a result kind", filing.kind))?;
        let window = match (filing.window_start, filing.window_end) {
            (Some(start), Some(end)) => Some((
                parse_rfc3339(&start)
                    .ok_or_else(|| format!("its window_start `{start}` is not a time"))?,
                parse_rfc3339(&end)
                    .ok_or_else(|| format!("its window_end `{end}` is not a time"))?,
            )),
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => {
                return Err("it has only one end of its window".to_string());
            }
        };
        Ok(Entry {
            slot,
            window,
            receipts: filing.receipts.filter(|_| slot == Slot::WindowSummary),
            category: filing.category,
            json: text.trim().into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_filed_by_kind_window_and_category() {
        let entry = Entry::from_message(
            br#"{"kind":"popular_items","window_start":"2026-12-03T08:25:10.000Z","window_end":"2026-12-03T08:25:20.000Z","category":"Beverages","items":[]}"#,
        )
        .unwrap();
        assert_eq!(entry.slot, Slot::PopularItems);
        assert_eq!(
            entry
                .window
                .map(|(start, end)| (start.to_string(), end.millis() - start.millis())),
            Some(("2026-12-03T08:25:10.000Z".to_string(), 10_000))
        );
        assert_eq!(entry.category.as_deref(), Some("Beverages"));
        assert!(entry.json.starts_with(r#"{"kind":"popular_items""#));

        let error = Entry::from_message(br#"{"kind":"nonsense"}"#).unwrap_err();
        assert_eq!(error, "its kind `nonsense` is not a result kind");
        assert!(Entry::from_message(b"not json").is_err());
    }
}
