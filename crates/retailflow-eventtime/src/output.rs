//! The results the engine emits, one typed value per result ([`Output`], one variant per analysis).
//!
//! # JSON the stream's `--output jsonl` prints
//!
//! One object per line, `T` an RFC 3339 UTC timestamp with milliseconds (as [`EventTime`](crate::EventTime)'s
//! `Display` prints it), money a JSON number rounded to 2 decimals only when printed
//! ([`Money::to_decimal`](crate::Money::to_decimal)), keys in this order:
//!
//! ```text
//! {"kind":"top_stores","window_start":T,"window_end":T,"stores":[{"store_id":s,"revenue":x,"receipts":n}]}
//! {"kind":"big_receipt","receipt_id":s,"store_id":s,"cashier_id":s,"ts":T,"total":x}
//! {"kind":"popular_items","window_start":T,"window_end":T,"category":s,"items":[{"name":s,"quantity":n}]}
//! {"kind":"window_summary","window_start":T,"window_end":T,"receipts":n,"revenue":x,"items":n}
//! {"kind":"bought_together","window_start":T,"window_end":T,"receipts":N,"pairs":[{"a":s,"b":s,"receipts":n,"support":x,"confidence_ab":x,"confidence_ba":x,"lift":x}]}
//! {"kind":"store_anomaly","window_start":T,"window_end":T,"store_id":s,"revenue":x,"expected":x,"stddev":x,"z":x,"direction":"spike"|"drop"}
//! {"kind":"cashier_alert","cashier_id":s,"store_id":s,"first_ts":T,"last_ts":T,"receipts":[s],"total":x}
//! ```
//!
//! `expected` and `stddev` are printed to 2 decimals, `z`, `support`, the confidences and `lift`
//! to 4.
//!
//! In `update` output mode the four windowed kinds that can be provisional (`top_stores`,
//! `popular_items`, `window_summary`, `bought_together`) also carry `"final":true|false` as their
//! last key; in `append` mode every result is final and the key is left out. A store anomaly is
//! only judged on a closed window, and `big_receipt` and `cashier_alert` belong to no window, so
//! they never have it.
//!
//! Each result type lives with its analysis in [`crate::analyses`] and writes this form itself
//! ([`Output::write_json`]); the derived `Serialize` gives the same keys but times as integer
//! milliseconds and `final` always present (for windowed kinds), for tests and debugging.

pub use crate::analyses::{
    AnalysisResult, BigReceipt, BoughtTogether, CashierAlert, Direction, ItemPair, ItemQuantity,
    Output, PopularItems, StoreAnomaly, StoreRevenue, TableSpec, TopStores, WindowSummary,
};
