//! The analyses, one per file. The windowed ones turn a window's aggregate into results when the
//! window closes (or provisionally, in update mode); big receipts are judged per record.
//!
//! For each window, results come in a fixed order: [`top_stores`], then [`popular_items`] (one per
//! category, categories by name), then [`summary`].

pub mod big_receipts;
pub mod popular_items;
pub mod summary;
pub mod top_stores;

use crate::names::Names;
use crate::output::Output;
use crate::state::WindowAggregate;
use crate::window::Window;

/// Appends every windowed result for `window` to `out`, in the fixed order; returns how many.
pub fn window_results(
    window: Window,
    aggregate: &WindowAggregate,
    names: &Names,
    limits: RankingLimits,
    is_final: bool,
    out: &mut Vec<Output>,
) -> u64 {
    let before = out.len();
    out.push(Output::TopStores(top_stores::rank(
        window,
        aggregate,
        &names.stores,
        limits.top_stores,
        is_final,
    )));
    popular_items::rank(window, aggregate, names, limits.top_items, is_final, out);
    out.push(Output::WindowSummary(summary::summarize(
        window, aggregate, is_final,
    )));
    (out.len() - before) as u64
}

/// How many entries each ranking keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankingLimits {
    /// Stores in [`top_stores`].
    pub top_stores: usize,
    /// Items per category in [`popular_items`].
    pub top_items: usize,
}
