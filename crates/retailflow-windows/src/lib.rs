//! The stream's windowed analytics computed in batch: the same epoch-aligned windows over a
//! receipts JSONL file, as DataFusion plans, giving the same [`Output`] values the event-time
//! engine emits in append mode (every result final).
//!
//! The file is read with the stream's own receipt parser and size limit, so exactly the lines the
//! stream would dead-letter are left out (and counted by reason). Receipts reach DataFusion as a
//! re-readable streaming table of Arrow batches ([`source`]): memory stays bounded by a few
//! batches plus the per-window aggregation state, whatever the file's size. The plans use only
//! built-in operators and the registered functions of [`functions`], so they can run on any
//! DataFusion executor where those functions are registered.
//!
//! One analysis per file: [`top_stores`], [`popular_items`], [`summary`] and [`big_receipts`];
//! [`windows`] assigns each receipt to its windows.
//!
//! ```no_run
//! use retailflow_windows::{WindowsOptions, run_windows};
//!
//! let result = run_windows(&WindowsOptions::new("receipts.jsonl"))?;
//! println!("{} results, {} lines rejected", result.outputs.len(), result.rejected.total());
//! # Ok::<(), retailflow_windows::WindowsError>(())
//! ```

pub mod big_receipts;
pub mod error;
pub mod functions;
pub mod popular_items;
pub mod source;
pub mod summary;
pub mod top_stores;
pub mod windows;

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext, col};
use retailflow_core::values::{MAX_EXACT_UNITS, ValueRules};
use retailflow_eventtime::{EngineConfig, Money, Output, TimeSpan, Windowing};
use retailflow_stream::ReasonCounts;

pub use error::WindowsError;
pub use source::ReceiptsFile;

/// Receipts per Arrow batch read from the file.
pub const BATCH_RECEIPTS: usize = 8 * 1024;

/// What to compute, with the defaults of `retailflow stream`.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowsOptions {
    /// The receipts JSONL file.
    pub input: PathBuf,
    /// Window length (default 10 s).
    pub window_length: TimeSpan,
    /// Distance between window starts (default = length: tumbling).
    pub window_slide: TimeSpan,
    /// Receipts with a total strictly over this are big (default 500.00).
    pub big_receipt_threshold: Money,
    /// Stores in each top-stores ranking (default 5).
    pub top_stores: usize,
    /// Items per category in each popular-items ranking (default 3).
    pub top_items: usize,
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
        let defaults = EngineConfig::default();
        WindowsOptions {
            input: input.into(),
            window_length: defaults.window_length,
            window_slide: defaults.window_slide,
            big_receipt_threshold: defaults.big_receipt_threshold,
            top_stores: defaults.top_stores,
            top_items: defaults.top_items,
            max_message_size: 1 << 20,
            partitions: std::thread::available_parallelism().map_or(1, usize::from),
            rules: ValueRules::default(),
        }
    }

    /// The same settings as the stream's engine would hold them (append mode). Lateness and
    /// idleness have no meaning for a batch over the whole file and keep their defaults.
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            window_length: self.window_length,
            window_slide: self.window_slide,
            big_receipt_threshold: self.big_receipt_threshold,
            top_stores: self.top_stores,
            top_items: self.top_items,
            ..EngineConfig::default()
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
    /// items by category name, summary), windows by start.
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
        return Err(WindowsError::Read(read_error));
    }
    let (big, stores, items, totals) = outcome?;
    let counts = file.counts();
    let windows = totals.len() as u64;
    Ok(WindowsResult {
        outputs: assemble(big, stores, items, totals)?,
        lines: counts.lines,
        receipts: counts.receipts,
        rejected: counts.rejected,
        windows,
    })
}

type Analyses = (Vec<Output>, Vec<Output>, Vec<Output>, Vec<Output>);

/// The four analyses over `receipts`: big receipts, top stores, popular items, summaries. The file
/// is read three times (big receipts, per-store totals, item lines); the per-(window, store)
/// totals, small, are kept in memory for both the rankings and the summaries.
async fn analyse(
    receipts: DataFrame,
    windowing: Windowing,
    options: &WindowsOptions,
) -> Result<Analyses, WindowsError> {
    let with_totals = receipts
        .clone()
        .with_column("total", functions::receipt_total(col("items")))?
        .with_column("units", functions::receipt_units(col("items")))?;

    let big = big_receipts::plan(with_totals.clone(), options.big_receipt_threshold)?;
    let big = big_receipts::results(&big.collect().await?)?;

    let per_store = with_totals.select_columns(&["ts", "store_id", "total", "units"])?;
    let per_store = top_stores::store_totals(windows::assign(per_store, windowing)?)?
        .cache()
        .await?;
    let stores = top_stores::plan(per_store.clone(), options.top_stores)?;
    let stores = top_stores::results(&stores.collect().await?)?;
    let totals = summary::results(&summary::plan(per_store)?.collect().await?)?;

    let lines = receipts.select_columns(&["ts", "items"])?;
    let items = popular_items::plan(windows::assign(lines, windowing)?, options.top_items)?;
    let items = popular_items::results(&items.collect().await?)?;
    Ok((big, stores, items, totals))
}

/// A session for the plans: `partitions` partitions, batches of the file's batch size.
fn session(partitions: usize) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(partitions.max(1))
        .with_batch_size(BATCH_RECEIPTS);
    SessionContext::new_with_config(config)
}

/// Puts the results in their documented order: big receipts as read, then per window (by start)
/// its top stores, its popular items (by category name) and its summary. Each list comes sorted by
/// window start.
fn assemble(
    big: Vec<Output>,
    stores: Vec<Output>,
    items: Vec<Output>,
    totals: Vec<Output>,
) -> Result<Vec<Output>, WindowsError> {
    let mut outputs = Vec::with_capacity(big.len() + stores.len() + items.len() + totals.len());
    outputs.extend(big);
    let mut stores = stores.into_iter().peekable();
    let mut items = items.into_iter().peekable();
    for summary in totals {
        let window = summary.window();
        match stores.next_if(|top| top.window() == window) {
            Some(top) => outputs.push(top),
            None => {
                return Err(WindowsError::Internal(format!(
                    "a window has a summary but no top stores: {window:?}"
                )));
            }
        }
        while let Some(popular) = items.next_if(|popular| popular.window() == window) {
            outputs.push(popular);
        }
        outputs.push(summary);
    }
    if let Some(stray) = stores.next().or_else(|| items.next()) {
        return Err(WindowsError::Internal(format!(
            "results for a window without a summary: {:?}",
            stray.window()
        )));
    }
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
