//! The stream's windowed analytics computed in batch: the same epoch-aligned windows over a
//! receipts JSONL file, as DataFusion plans, giving the same [`Output`] values the event-time
//! engine emits in append mode (every result final).
//!
//! The file is read with the stream's own receipt parser and size limit (the receipt contract of
//! `retailflow-receipts`), so exactly the lines the stream would dead-letter are left out (and
//! counted by reason). Receipts reach DataFusion as a
//! re-readable streaming table of Arrow batches ([`source`]): memory stays bounded by a few
//! batches plus the per-window aggregation state, whatever the file's size. The plans use only
//! built-in operators and the registered functions of [`functions`], so they can run on any
//! DataFusion executor where those functions are registered.
//!
//! One analysis per file: [`top_stores`], [`popular_items`], [`summary`], [`big_receipts`],
//! [`bought_together`], [`store_anomalies`] and [`cashier_alerts`]; [`windows`] assigns each
//! receipt to its windows. Store anomalies feed the plans' per-window revenues, in order, to the
//! engine's own moving mean and variance (the arithmetic is the point of agreement, not the
//! windows); cashier alerts run their own scan over the big receipts the plan finds.
//!
//! ```no_run
//! use retailflow_windows::{WindowsOptions, run_windows};
//!
//! let result = run_windows(&WindowsOptions::new("receipts.jsonl"))?;
//! println!("{} results, {} lines rejected", result.outputs.len(), result.rejected.total());
//! # Ok::<(), retailflow_windows::WindowsError>(())
//! ```

pub mod big_receipts;
pub mod bought_together;
pub mod cashier_alerts;
pub mod error;
pub mod functions;
mod lines;
pub mod popular_items;
pub mod source;
pub mod store_anomalies;
pub mod summary;
pub mod top_stores;
pub mod windows;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext, col};
use retailflow_core::values::{MAX_EXACT_UNITS, ValueRules};
use retailflow_eventtime::{
    AnalysisKind, AnalysisSet, BigReceipt, BoughtTogether, EngineConfig, ItemPair, Money, Output,
    OutputMode, Window, WindowSummary, Windowing,
};
use retailflow_receipts::{DEFAULT_MAX_MESSAGE_SIZE, ReasonCounts};

pub use error::WindowsError;
pub use source::ReceiptsFile;

/// Receipts per Arrow batch read from the file.
pub const BATCH_RECEIPTS: usize = 8 * 1024;

/// What to compute, with the defaults of the stream's engine.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowsOptions {
    /// The receipts JSONL file.
    pub input: PathBuf,
    /// The windows, the analyses and their settings, as the stream's engine holds them. What only
    /// a stream has (lateness, idleness, the output mode, the future limit, de-duplication) is not
    /// used: the whole file is read, and every window is final.
    pub analyses: EngineConfig,
    /// Lines over this many bytes are rejected as `too_large`, as the stream does (default 1 MiB).
    pub max_message_size: usize,
    /// Partitions the plans run on (default: the machine's cores).
    pub partitions: usize,
    /// The value rules receipts are checked against, as the stream does.
    pub rules: ValueRules,
}

impl WindowsOptions {
    /// The defaults for `input`.
    pub fn new(input: impl Into<PathBuf>) -> Self {
        WindowsOptions {
            input: input.into(),
            analyses: EngineConfig::default(),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            partitions: std::thread::available_parallelism().map_or(1, usize::from),
            rules: ValueRules::default(),
        }
    }

    /// The settings as the stream's engine would hold them for the same results: append mode,
    /// no de-duplication.
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            output_mode: OutputMode::Append,
            dedupe: false,
            ..self.analyses
        }
    }

    /// Checks the settings exactly as the stream does; returns the windows they describe.
    pub fn validate(&self) -> Result<Windowing, WindowsError> {
        if self.max_message_size == 0 {
            return Err(WindowsError::MaxMessageSizeZero);
        }
        self.rules.validate()?;
        Ok(self.engine_config().validate()?)
    }
}

/// What a run found.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowsResult {
    /// Every result: big receipts in file order, then each window's results (top stores, popular
    /// items by category name, summary, bought-together pairs, store anomalies by store id),
    /// windows by start, then cashier alerts in order of their last receipt. Only the analyses
    /// asked for.
    pub outputs: Vec<Output>,
    /// Lines of the file read.
    pub lines: u64,
    /// Receipts used (lines that parsed).
    pub receipts: u64,
    /// Lines left out, by reason (the stream's dead-letter reasons).
    pub rejected: ReasonCounts,
    /// Distinct windows with at least one receipt.
    pub windows: u64,
}

/// Runs [`compute_windows`] on its own runtime. Must not be called from inside an async runtime.
pub fn run_windows(options: &WindowsOptions) -> Result<WindowsResult, WindowsError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.partitions.max(1))
        .enable_all()
        .build()
        .map_err(|e| WindowsError::Internal(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(compute_windows(options))
}

/// Reads `options.input` and computes every analysis over it.
pub async fn compute_windows(options: &WindowsOptions) -> Result<WindowsResult, WindowsError> {
    let windowing = options.validate()?;
    let file = Arc::new(ReceiptsFile::open(
        &options.input,
        options.max_message_size,
        options.rules,
        BATCH_RECEIPTS,
    )?);
    let context = session(options.partitions);
    functions::register(&context);
    let outcome = analyse(file.read(&context)?, windowing, options).await;
    if let Some(read_error) = file.take_read_error() {
        return Err(read_error);
    }
    let results = outcome?;
    let counts = file.counts();
    let windows = results.totals.len() as u64;
    Ok(WindowsResult {
        outputs: assemble(results, options.analyses.analyses)?,
        lines: counts.lines,
        receipts: counts.receipts,
        rejected: counts.rejected,
        windows,
    })
}

/// What each analysis found; empty for those not asked for.
#[derive(Default)]
struct Results {
    big: Vec<BigReceipt>,
    stores: Vec<Output>,
    items: Vec<Output>,
    totals: Vec<WindowSummary>,
    pairs: BTreeMap<i64, Vec<ItemPair>>,
    anomalies: Vec<Output>,
    alerts: Vec<Output>,
}

/// The analyses asked for over `receipts`. The file is read once for the per-(window, store)
/// totals, which are small and kept in memory for the rankings, the summaries and the store
/// anomalies; once more for the big receipts (and the cashier alerts from them), for the item
/// lines, and for the baskets of the pairs.
async fn analyse(
    receipts: DataFrame,
    windowing: Windowing,
    options: &WindowsOptions,
) -> Result<Results, WindowsError> {
    let config = &options.analyses;
    let on = |kind| config.analyses.has(kind);
    let mut results = Results::default();
    let with_totals = receipts
        .clone()
        .with_column("total", functions::receipt_total(col("items")))?
        .with_column("units", functions::receipt_units(col("items")))?;

    if on(AnalysisKind::BigReceipts) || on(AnalysisKind::CashierAlerts) {
        let big = big_receipts::plan(with_totals.clone(), config.big_receipt_threshold)?;
        results.big = big_receipts::results(&big.collect().await?)?;
        if on(AnalysisKind::CashierAlerts) {
            results.alerts = cashier_alerts::results(&results.big, config.cashier_alerts);
        }
    }

    let per_store = with_totals.select_columns(&["ts", "store_id", "total", "units"])?;
    let per_store = top_stores::store_totals(windows::assign(per_store, windowing)?)?
        .cache()
        .await?;
    if on(AnalysisKind::TopStores) {
        let stores = top_stores::plan(per_store.clone(), config.top_stores)?;
        results.stores = top_stores::results(&stores.collect().await?)?;
    }
    if on(AnalysisKind::StoreAnomalies) {
        let revenues = store_anomalies::plan(per_store.clone())?.collect().await?;
        results.anomalies =
            store_anomalies::results(&revenues, windowing.slide().millis(), config.anomalies)?;
    }
    results.totals = summary::results(&summary::plan(per_store)?.collect().await?)?;

    if on(AnalysisKind::PopularItems) {
        let lines = receipts.clone().select_columns(&["ts", "items"])?;
        let items = popular_items::plan(windows::assign(lines, windowing)?, config.top_items)?;
        results.items = popular_items::results(&items.collect().await?)?;
    }
    if on(AnalysisKind::BoughtTogether) {
        let baskets = bought_together::baskets(receipts)?.cache().await?;
        let pairs = bought_together::receipt_pairs(baskets.clone(), config.pairs.max_basket)?;
        let plan = bought_together::plan(
            windows::assign(pairs, windowing)?,
            windows::assign(baskets, windowing)?,
            config.pairs,
        )?;
        let receipts: BTreeMap<i64, u64> = results
            .totals
            .iter()
            .map(|summary| (summary.window_start.millis(), summary.receipts))
            .collect();
        results.pairs = bought_together::results(&plan.collect().await?, &receipts)?;
    }
    Ok(results)
}

/// A session for the plans: `partitions` partitions, batches of the file's batch size.
fn session(partitions: usize) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(partitions.max(1))
        .with_batch_size(BATCH_RECEIPTS);
    SessionContext::new_with_config(config)
}

/// Puts the results in their documented order: big receipts as read, then per window (by start)
/// its top stores, its popular items (by category name), its summary, its pairs and its store
/// anomalies, then the cashier alerts; only the kinds in `analyses`. Each list comes sorted by
/// window start.
fn assemble(results: Results, analyses: AnalysisSet) -> Result<Vec<Output>, WindowsError> {
    let Results {
        big,
        stores,
        items,
        totals,
        mut pairs,
        anomalies,
        alerts,
    } = results;
    let on = |kind| analyses.has(kind);
    let mut outputs = Vec::new();
    if on(AnalysisKind::BigReceipts) {
        outputs.extend(big.into_iter().map(Output::BigReceipt));
    }
    let mut stores = stores.into_iter().peekable();
    let mut items = items.into_iter().peekable();
    let mut anomalies = anomalies.into_iter().peekable();
    for summary in totals {
        let window = Some(Window {
            start: summary.window_start,
            end: summary.window_end,
        });
        match stores.next_if(|top| top.window() == window) {
            Some(top) => outputs.push(top),
            None if on(AnalysisKind::TopStores) => {
                return Err(WindowsError::Internal(format!(
                    "a window has a summary but no top stores: {window:?}"
                )));
            }
            None => {}
        }
        while let Some(popular) = items.next_if(|popular| popular.window() == window) {
            outputs.push(popular);
        }
        let (start, end, receipts) = (summary.window_start, summary.window_end, summary.receipts);
        if on(AnalysisKind::WindowSummary) {
            outputs.push(Output::WindowSummary(summary));
        }
        if on(AnalysisKind::BoughtTogether) {
            outputs.push(Output::BoughtTogether(BoughtTogether {
                window_start: start,
                window_end: end,
                receipts,
                pairs: pairs.remove(&start.millis()).unwrap_or_default(),
                is_final: true,
            }));
        }
        while let Some(anomaly) = anomalies.next_if(|anomaly| anomaly.window() == window) {
            outputs.push(anomaly);
        }
    }
    if let Some(stray) = stores
        .next()
        .or_else(|| items.next())
        .or_else(|| anomalies.next())
    {
        return Err(WindowsError::Internal(format!(
            "results for a window without a summary: {:?}",
            stray.window()
        )));
    }
    if let Some(start) = pairs.keys().next() {
        return Err(WindowsError::Internal(format!(
            "pairs for a window without a summary: {start}"
        )));
    }
    outputs.extend(alerts);
    Ok(outputs)
}

/// Column `name` of `batch` as `Int64`, or an internal error naming it.
pub(crate) fn int64_column<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a datafusion::arrow::array::PrimitiveArray<Int64Type>, WindowsError> {
    column(batch, name)?
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| WindowsError::column_type(name, "Int64"))
}

/// Column `name` of `batch` as UTF-8 strings, or an internal error naming it.
pub(crate) fn string_column<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a datafusion::arrow::array::StringArray, WindowsError> {
    column(batch, name)?
        .as_string_opt::<i32>()
        .ok_or_else(|| WindowsError::column_type(name, "Utf8"))
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a dyn Array, WindowsError> {
    batch
        .column_by_name(name)
        .map(|array| array.as_ref())
        .ok_or_else(|| WindowsError::Internal(format!("the plan lost its column {name}")))
}

#[cfg(test)]
mod tests;

/// A window's revenue read back from a plan, refused beyond the exact range (where the stream
/// would have refused the receipt that took it there).
pub(crate) fn exact_revenue(hundredths: i64) -> Result<Money, WindowsError> {
    let money = Money::from_hundredths(hundredths);
    if money.is_exact() && hundredths >= 0 {
        Ok(money)
    } else {
        Err(WindowsError::BeyondExactRange {
            what: format!("revenue {money}"),
        })
    }
}

/// A window's units read back from a plan, refused beyond the exact range.
pub(crate) fn exact_units(units: i64) -> Result<i64, WindowsError> {
    if (0..=MAX_EXACT_UNITS).contains(&units) {
        Ok(units)
    } else {
        Err(WindowsError::BeyondExactRange {
            what: format!("{units} units"),
        })
    }
}
