//! Window assignment as a plan step: each receipt becomes one row per window containing its `ts`,
//! with `window_start` and `window_end` (milliseconds, end exclusive). Windows are aligned to the
//! epoch as Spark's `window()` aligns them; tumbling windows give one row per receipt, a 10 s
//! window sliding every 2 s five.

use datafusion::error::Result;
use datafusion::prelude::{DataFrame, col, lit};
use retailflow_eventtime::Windowing;

use crate::functions::window_starts;

/// `receipts` with `window_start` and `window_end`, one row per (receipt, window).
pub fn assign(receipts: DataFrame, windowing: Windowing) -> Result<DataFrame> {
    receipts
        .with_column(
            "window_start",
            window_starts(col("ts"), windowing.length(), windowing.slide()),
        )?
        .unnest_columns(&["window_start"])?
        .with_column(
            "window_end",
            col("window_start") + lit(windowing.length().millis()),
        )
}
