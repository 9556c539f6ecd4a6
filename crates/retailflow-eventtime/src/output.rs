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
//! ```
//!
//! In `update` output mode the three windowed kinds also carry `"final":true|false` as their last
//! key; in `append` mode every result is final and the key is left out. `big_receipt` never has it.
//!
//! The derived `Serialize` here gives the same keys but times as integer milliseconds and `final`
//! always present (for windowed kinds); it is meant for tests and debugging, the stream crate
//! renders the exact form above.

use serde::{Deserialize, Serialize};

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
}

impl Output {
    /// The `kind` key: `top_stores`, `big_receipt`, `popular_items` or `window_summary`.
    pub fn kind(&self) -> &'static str {
        match self {
            Output::TopStores(_) => "top_stores",
            Output::BigReceipt(_) => "big_receipt",
            Output::PopularItems(_) => "popular_items",
            Output::WindowSummary(_) => "window_summary",
        }
    }

    /// The window the result is about (none for a big receipt).
    pub fn window(&self) -> Option<Window> {
        let (start, end) = match self {
            Output::TopStores(result) => (result.window_start, result.window_end),
            Output::PopularItems(result) => (result.window_start, result.window_end),
            Output::WindowSummary(result) => (result.window_start, result.window_end),
            Output::BigReceipt(_) => return None,
        };
        Some(Window { start, end })
    }

    /// False for provisional results of a window that is still open (update mode only).
    pub fn is_final(&self) -> bool {
        match self {
            Output::TopStores(result) => result.is_final,
            Output::PopularItems(result) => result.is_final,
            Output::WindowSummary(result) => result.is_final,
            Output::BigReceipt(_) => true,
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
