//! Per-window summary: receipts, revenue and units sold, so the rankings can be checked against
//! totals.

use crate::output::WindowSummary;
use crate::state::WindowAggregate;
use crate::window::Window;

/// The totals of `aggregate`.
pub fn summarize(window: Window, aggregate: &WindowAggregate, is_final: bool) -> WindowSummary {
    WindowSummary {
        window_start: window.start,
        window_end: window.end,
        receipts: aggregate.receipts,
        revenue: aggregate.revenue,
        items: aggregate.units,
        is_final,
    }
}
