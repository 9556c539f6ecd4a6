//! Store revenue anomalies: the per-(window, store) revenues of [`top_stores`], by window start,
//! fed window by window to the engine's own [`StoreHistories`], so the moving mean and variance,
//! the warm-up, the silence of a store and its forgetting are the stream's, and only the windows
//! with receipts anywhere are judged, as the stream judges them.
//!
//! [`top_stores`]: crate::top_stores

use std::collections::BTreeMap;

use datafusion::arrow::array::RecordBatch;
use datafusion::error::Result;
use datafusion::prelude::{DataFrame, col};
use retailflow_eventtime::analyses::StoreHistories;
use retailflow_eventtime::{AnomalySettings, EventTime, Money, Output, Window};

use crate::{WindowsError, int64_column, string_column};

/// Every store's revenue in each window, by window start then store id.
pub fn plan(store_totals: DataFrame) -> Result<DataFrame> {
    store_totals
        .select_columns(&["window_start", "window_end", "store_id", "revenue"])?
        .sort(vec![
            col("window_start").sort(true, false),
            col("store_id").sort(true, false),
        ])
}

/// The alerts of the rows of [`plan`], windows `slide` milliseconds apart, by window then store.
pub fn results(
    batches: &[RecordBatch],
    slide: i64,
    settings: AnomalySettings,
) -> Result<Vec<Output>, WindowsError> {
    let mut histories: StoreHistories<String> = StoreHistories::default();
    let mut alerts = Vec::new();
    let mut judge = |window: Window, revenues: &BTreeMap<String, Money>| {
        histories.judge(
            window,
            |store| revenues.get(store).copied(),
            revenues
                .iter()
                .map(|(store, revenue)| (store.clone(), *revenue)),
            String::clone,
            slide,
            settings,
            &mut alerts,
        );
    };
    let mut current: Option<(Window, BTreeMap<String, Money>)> = None;
    for batch in batches {
        let starts = int64_column(batch, "window_start")?;
        let ends = int64_column(batch, "window_end")?;
        let stores = string_column(batch, "store_id")?;
        let revenues = int64_column(batch, "revenue")?;
        for row in 0..batch.num_rows() {
            let window = Window {
                start: EventTime::from_millis(starts.value(row)),
                end: EventTime::from_millis(ends.value(row)),
            };
            let revenue = crate::exact_revenue(revenues.value(row))?;
            match &mut current {
                Some((open, revenues)) if *open == window => {
                    revenues.insert(stores.value(row).to_owned(), revenue);
                }
                _ => {
                    if let Some((done, revenues)) = current.take() {
                        judge(done, &revenues);
                    }
                    current = Some((
                        window,
                        BTreeMap::from([(stores.value(row).to_owned(), revenue)]),
                    ));
                }
            }
        }
    }
    if let Some((done, revenues)) = current {
        judge(done, &revenues);
    }
    Ok(alerts.into_iter().map(Output::StoreAnomaly).collect())
}
