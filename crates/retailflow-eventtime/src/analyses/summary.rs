//! Per-window summary: receipts, revenue and units sold, so the rankings can be checked against
//! totals. It keeps nothing of its own: the pane totals every window has are its figures.
//!
//! `{"kind":"window_summary","window_start":T,"window_end":T,"receipts":n,"revenue":x,"items":n}`

use serde::{Deserialize, Serialize};

use crate::analyses::{Analysis, AnalysisResult, TableSpec, WindowClose};
use crate::config::EngineConfig;
use crate::engine::Counters;
use crate::money::Money;
use crate::output::Output;
use crate::render;
use crate::time::EventTime;
use crate::window::Window;

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

/// Summarises each window.
#[derive(Debug, Clone)]
pub struct SummaryAnalysis;

impl Analysis for SummaryAnalysis {
    const NAME: &'static str = "window-summary";
    type Pane = ();
    type Saved = ();
    type Note = ();

    fn new(_config: &EngineConfig) -> Self {
        SummaryAnalysis
    }

    fn emit(
        &mut self,
        close: &WindowClose<'_>,
        _pane: &Self::Pane,
        _counters: &mut Counters,
        out: &mut Vec<Output>,
    ) {
        out.push(Output::WindowSummary(WindowSummary {
            window_start: close.window.start,
            window_end: close.window.end,
            receipts: close.totals.receipts,
            revenue: close.totals.revenue,
            items: close.totals.units,
            is_final: close.is_final,
        }));
    }
}

impl AnalysisResult for WindowSummary {
    const KIND: &'static str = "window_summary";
    const PROVISIONAL: bool = true;
    const TABLE: TableSpec = TableSpec {
        title: "Window summary",
        columns: &["window_start", "window_end", "receipts", "revenue", "items"],
    };

    fn window(&self) -> Option<Window> {
        Some(Window {
            start: self.window_start,
            end: self.window_end,
        })
    }

    fn is_final(&self) -> bool {
        self.is_final
    }

    fn write_json(&self, with_final: bool, out: &mut Vec<u8>) {
        render::window_head(out, Self::KIND, self.window_start, self.window_end);
        render::key(out, "receipts");
        render::number(out, self.receipts);
        render::key(out, "revenue");
        render::money(out, self.revenue);
        render::key(out, "items");
        render::number(out, self.items);
        render::window_tail(out, with_final, self.is_final);
    }

    fn table_rows(&self, rows: &mut Vec<Vec<Option<String>>>) {
        let mut cells = render::window_cells(self.window_start, self.window_end);
        cells.extend([
            Some(self.receipts.to_string()),
            Some(self.revenue.to_string()),
            Some(self.items.to_string()),
        ]);
        rows.push(cells);
    }
}
