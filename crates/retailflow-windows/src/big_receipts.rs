//! Big receipts: every receipt whose exact total is strictly over the threshold, in file order.
//! They belong to no window.

use datafusion::arrow::array::RecordBatch;
use datafusion::error::Result;
use datafusion::prelude::{DataFrame, col, lit};
use retailflow_eventtime::{BigReceipt, EventTime, Money};

use crate::{WindowsError, int64_column, string_column};

/// The receipts (with their `total` in hundredths) whose total is over `threshold`, by line.
pub fn plan(receipts: DataFrame, threshold: Money) -> Result<DataFrame> {
    receipts
        .filter(col("total").gt(lit(threshold.hundredths())))?
        .select_columns(&[
            "line",
            "receipt_id",
            "store_id",
            "cashier_id",
            "ts",
            "total",
        ])?
        .sort(vec![col("line").sort(true, false)])
}

/// One [`BigReceipt`] per row of [`plan`].
pub fn results(batches: &[RecordBatch]) -> Result<Vec<BigReceipt>, WindowsError> {
    let mut outputs = Vec::new();
    for batch in batches {
        let receipt_ids = string_column(batch, "receipt_id")?;
        let store_ids = string_column(batch, "store_id")?;
        let cashier_ids = string_column(batch, "cashier_id")?;
        let times = int64_column(batch, "ts")?;
        let totals = int64_column(batch, "total")?;
        for row in 0..batch.num_rows() {
            outputs.push(BigReceipt {
                receipt_id: receipt_ids.value(row).to_owned(),
                store_id: store_ids.value(row).to_owned(),
                cashier_id: cashier_ids.value(row).to_owned(),
                ts: EventTime::from_millis(times.value(row)),
                total: Money::from_hundredths(totals.value(row)),
            });
        }
    }
    Ok(outputs)
}
