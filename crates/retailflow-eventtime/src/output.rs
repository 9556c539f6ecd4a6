//! The results the engine emits, one typed value per result.
//!
//! # JSON the stream's `--output jsonl` prints
//!
//! One object per line, `T` an RFC 3339 UTC timestamp with milliseconds (as [`EventTime`]'s
//! `Display` prints it), money a JSON number rounded to 2 decimals only when printed
//! ([`Money::to_decimal`]), keys in this order:
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
//! The derived `Serialize` here gives the same keys but times as integer milliseconds and `final`
//! always present (for windowed kinds); it is meant for tests and debugging, the stream crate
//! renders the exact form above.

use serde::{Deserialize, Serialize};

use crate::config::AnalysisKind;
use crate::money::Money;
use crate::time::EventTime;
use crate::window::Window;

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Output {
    /// Top stores by revenue in a window.
    TopStores(TopStores),
    /// A receipt over the big-receipt threshold (no window).
    BigReceipt(BigReceipt),
    /// Top items by units sold in one category in a window.
    PopularItems(PopularItems),
    /// Totals of a window.
    WindowSummary(WindowSummary),
    /// Item pairs bought together in a window.
    BoughtTogether(BoughtTogether),
    /// A store whose revenue in a closed window is far from its own history.
    StoreAnomaly(StoreAnomaly),
    /// A cashier with a burst of big receipts (no window).
    CashierAlert(CashierAlert),
}

impl Output {
    /// The `kind` key: `top_stores`, `big_receipt`, `popular_items`, `window_summary`,
    /// `bought_together`, `store_anomaly` or `cashier_alert`.
    pub fn kind(&self) -> &'static str {
        self.analysis_kind().result_kind()
    }

    /// The analysis that produced it.
    pub fn analysis_kind(&self) -> AnalysisKind {
        match self {
            Output::TopStores(_) => AnalysisKind::TopStores,
            Output::BigReceipt(_) => AnalysisKind::BigReceipts,
            Output::PopularItems(_) => AnalysisKind::PopularItems,
            Output::WindowSummary(_) => AnalysisKind::WindowSummary,
            Output::BoughtTogether(_) => AnalysisKind::BoughtTogether,
            Output::StoreAnomaly(_) => AnalysisKind::StoreAnomalies,
            Output::CashierAlert(_) => AnalysisKind::CashierAlerts,
        }
    }

    /// The window the result is about (none for a big receipt or a cashier alert).
    pub fn window(&self) -> Option<Window> {
        let (start, end) = match self {
            Output::TopStores(result) => (result.window_start, result.window_end),
            Output::PopularItems(result) => (result.window_start, result.window_end),
            Output::WindowSummary(result) => (result.window_start, result.window_end),
            Output::BoughtTogether(result) => (result.window_start, result.window_end),
            Output::StoreAnomaly(result) => (result.window_start, result.window_end),
            Output::BigReceipt(_) | Output::CashierAlert(_) => return None,
        };
        Some(Window { start, end })
    }

    /// The store the result is about, if it is about one store.
    pub fn store_id(&self) -> Option<&str> {
        match self {
            Output::BigReceipt(result) => Some(&result.store_id),
            Output::StoreAnomaly(result) => Some(&result.store_id),
            Output::CashierAlert(result) => Some(&result.store_id),
            Output::TopStores(_)
            | Output::PopularItems(_)
            | Output::WindowSummary(_)
            | Output::BoughtTogether(_) => None,
        }
    }

    /// False for provisional results of a window that is still open (update mode only).
    pub fn is_final(&self) -> bool {
        match self {
            Output::TopStores(result) => result.is_final,
            Output::PopularItems(result) => result.is_final,
            Output::WindowSummary(result) => result.is_final,
            Output::BoughtTogether(result) => result.is_final,
            Output::BigReceipt(_) | Output::StoreAnomaly(_) | Output::CashierAlert(_) => true,
        }
    }

    /// Whether the result carries a `final` key in update mode.
    pub fn can_be_provisional(&self) -> bool {
        self.analysis_kind().can_be_provisional()
    }
}

impl AnalysisKind {
    /// The `kind` key of its results.
    pub fn result_kind(self) -> &'static str {
        match self {
            AnalysisKind::TopStores => "top_stores",
            AnalysisKind::BigReceipts => "big_receipt",
            AnalysisKind::PopularItems => "popular_items",
            AnalysisKind::WindowSummary => "window_summary",
            AnalysisKind::BoughtTogether => "bought_together",
            AnalysisKind::StoreAnomalies => "store_anomaly",
            AnalysisKind::CashierAlerts => "cashier_alert",
        }
    }

    /// Whether its results can be provisional (update mode).
    pub fn can_be_provisional(self) -> bool {
        match self {
            AnalysisKind::TopStores
            | AnalysisKind::PopularItems
            | AnalysisKind::WindowSummary
            | AnalysisKind::BoughtTogether => true,
            AnalysisKind::BigReceipts
            | AnalysisKind::StoreAnomalies
            | AnalysisKind::CashierAlerts => false,
        }
    }
}

/// Top stores by revenue in one window, highest first, ties by store id ascending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopStores {
    /// Window start.
    pub window_start: EventTime,
    /// Window end (exclusive).
    pub window_end: EventTime,
    /// At most `top_stores` entries.
    pub stores: Vec<StoreRevenue>,
    /// False while the window is still open (update mode).
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// One store's line in [`TopStores`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreRevenue {
    /// The store.
    pub store_id: String,
    /// Σ price × quantity of its receipts in the window.
    pub revenue: Money,
    /// How many receipts.
    pub receipts: u64,
}

/// A receipt whose total is over the threshold, reported as soon as it is processed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BigReceipt {
    /// The receipt.
    pub receipt_id: String,
    /// Its store.
    pub store_id: String,
    /// Its cashier.
    pub cashier_id: String,
    /// Its event time.
    pub ts: EventTime,
    /// Σ price × quantity.
    pub total: Money,
}

/// Top items of one category by units sold in one window, most first, ties by name ascending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopularItems {
    /// Window start.
    pub window_start: EventTime,
    /// Window end (exclusive).
    pub window_end: EventTime,
    /// The category.
    pub category: String,
    /// At most `top_items` entries.
    pub items: Vec<ItemQuantity>,
    /// False while the window is still open (update mode).
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// One item's line in [`PopularItems`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemQuantity {
    /// Item name.
    pub name: String,
    /// Units sold in the window.
    pub quantity: i64,
}

/// Totals of one window, so a user can check the rankings against them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowSummary {
    /// Window start.
    pub window_start: EventTime,
    /// Window end (exclusive).
    pub window_end: EventTime,
    /// Receipts in the window.
    pub receipts: u64,
    /// Σ receipt totals.
    pub revenue: Money,
    /// Units sold (the JSON key is `items`).
    pub items: i64,
    /// False while the window is still open (update mode).
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// The most frequent item pairs of one window, most receipts first, ties by `a` then `b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoughtTogether {
    /// Window start.
    pub window_start: EventTime,
    /// Window end (exclusive).
    pub window_end: EventTime,
    /// Receipts in the window (N).
    pub receipts: u64,
    /// At most `top_pairs` entries, each in at least `min_pair_receipts` receipts.
    pub pairs: Vec<ItemPair>,
    /// False while the window is still open (update mode).
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// Two items bought in the same receipts: `a < b` in byte order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemPair {
    /// The first item name.
    pub a: String,
    /// The second item name.
    pub b: String,
    /// Receipts holding both (n).
    pub receipts: u64,
    /// n / N.
    pub support: f64,
    /// n / receipts holding `a`.
    pub confidence_ab: f64,
    /// n / receipts holding `b`.
    pub confidence_ba: f64,
    /// n·N / (receipts holding `a` × receipts holding `b`): above 1, bought together more often
    /// than chance.
    pub lift: f64,
}

/// Which way a store's revenue left its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Above the expected revenue.
    Spike,
    /// Below it (down to silence).
    Drop,
}

impl Direction {
    /// `spike` or `drop`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Spike => "spike",
            Direction::Drop => "drop",
        }
    }
}

/// A store whose revenue in a closed window is at least `z` standard deviations from what its
/// earlier windows lead to expect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreAnomaly {
    /// Window start.
    pub window_start: EventTime,
    /// Window end (exclusive).
    pub window_end: EventTime,
    /// The store.
    pub store_id: String,
    /// Its revenue in the window (0 when it went silent).
    pub revenue: Money,
    /// The exponentially weighted mean of its earlier windows.
    pub expected: f64,
    /// The standard deviation the revenue was judged by (at least 5% of `expected`).
    pub stddev: f64,
    /// (revenue − expected) / stddev.
    pub z: f64,
    /// Spike or drop.
    pub direction: Direction,
}

/// A cashier with `count` big receipts within the alert span of event time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CashierAlert {
    /// The cashier.
    pub cashier_id: String,
    /// The cashier's store.
    pub store_id: String,
    /// Event time of the first of the receipts.
    pub first_ts: EventTime,
    /// Event time of the last.
    pub last_ts: EventTime,
    /// The receipt ids, in event-time order.
    pub receipts: Vec<String>,
    /// Σ of their totals.
    pub total: Money,
}
