//! The analyses, one per file. The windowed ones turn a window's aggregate into results when the
//! window closes (or provisionally, in update mode); big receipts are judged per record; store
//! anomalies and cashier alerts keep keyed state that outlives windows (a history per store, the
//! recent big receipts per cashier).
//!
//! For each window, results come in a fixed order: [`top_stores`], then [`popular_items`] (one per
//! category, categories by name), then [`summary`], then [`bought_together`], then
//! [`store_anomalies`] (final windows only, by store id). Each can be turned off in
//! [`EngineConfig::analyses`].

pub mod big_receipts;
pub(crate) mod bought_together;
pub(crate) mod cashier_alerts;
pub mod popular_items;
pub(crate) mod store_anomalies;
pub mod summary;
pub mod top_stores;

pub use bought_together::item_pair;
pub use cashier_alerts::{BigReceiptEntry, alerts_over};
pub use store_anomalies::{StoreHistories, StoreHistory};

use crate::config::{AnalysisKind, EngineConfig};
use crate::names::Names;
use crate::output::Output;
use crate::state::WindowAggregate;
use crate::window::Window;

/// Appends every windowed result for `window` to `out`, in the fixed order; returns how many.
/// `histories` judges and updates store anomalies (final windows only).
pub(crate) fn window_results(
    window: Window,
    aggregate: &WindowAggregate,
    names: &Names,
    config: &EngineConfig,
    histories: Option<&mut StoreHistories>,
    out: &mut Vec<Output>,
) -> u64 {
    let analyses = config.analyses;
    let is_final = histories.is_some();
    let before = out.len();
    if analyses.has(AnalysisKind::TopStores) {
        out.push(Output::TopStores(top_stores::rank(
            window,
            aggregate,
            &names.stores,
            config.top_stores,
            is_final,
        )));
    }
    if analyses.has(AnalysisKind::PopularItems) {
        popular_items::rank(window, aggregate, names, config.top_items, is_final, out);
    }
    if analyses.has(AnalysisKind::WindowSummary) {
        out.push(Output::WindowSummary(summary::summarize(
            window, aggregate, is_final,
        )));
    }
    if analyses.has(AnalysisKind::BoughtTogether) {
        out.push(Output::BoughtTogether(bought_together::rank(
            window,
            aggregate,
            &names.items,
            config.pairs,
            is_final,
        )));
    }
    if let Some(histories) = histories
        && analyses.has(AnalysisKind::StoreAnomalies)
    {
        let mut alerts = Vec::new();
        histories.on_window(
            window,
            aggregate,
            &names.stores,
            config.window_slide.millis(),
            config.anomalies,
            &mut alerts,
        );
        out.extend(alerts.into_iter().map(Output::StoreAnomaly));
    }
    (out.len() - before) as u64
}
