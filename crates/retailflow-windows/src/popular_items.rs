//! Popular items by category per window: the receipts' lines unnested, units summed per (window,
//! category, item), then for each window and category the top items by units, ties broken by item
//! name ascending (`row_number()` over each window and category).

use datafusion::arrow::array::RecordBatch;
use datafusion::error::Result;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::ExprFunctionExt;
use datafusion::prelude::{DataFrame, col, lit};
use retailflow_eventtime::{EventTime, ItemQuantity, Output, PopularItems};

use crate::{WindowsError, int64_column, string_column};

/// The top `limit` items of each category in each window, by window start, category, rank; from
/// receipts with windows assigned and their `items`.
pub fn plan(windowed: DataFrame, limit: usize) -> Result<DataFrame> {
    let rank = row_number()
        .partition_by(vec![col("window_start"), col("category")])
        .order_by(vec![
            col("quantity").sort(false, false),
            col("name").sort(true, false),
        ])
        .build()?
        .alias("rank");
    windowed
        .select_columns(&["window_start", "window_end", "items"])?
        .unnest_columns(&["items"])?
        .select(vec![
            col("window_start"),
            col("window_end"),
            get_field(col("items"), "category").alias("category"),
            get_field(col("items"), "name").alias("name"),
            get_field(col("items"), "quantity").alias("quantity"),
        ])?
        .aggregate(
            vec![
                col("window_start"),
                col("window_end"),
                col("category"),
                col("name"),
            ],
            vec![sum(col("quantity")).alias("quantity")],
        )?
        .window(vec![rank])?
        .filter(col("rank").lt_eq(lit(limit as u64)))?
        .sort(vec![
            col("window_start").sort(true, false),
            col("category").sort(true, false),
            col("rank").sort(true, false),
        ])
}

/// One [`PopularItems`] per window and category from the rows of [`plan`].
pub fn results(batches: &[RecordBatch]) -> Result<Vec<Output>, WindowsError> {
    let mut outputs: Vec<Output> = Vec::new();
    for batch in batches {
        let starts = int64_column(batch, "window_start")?;
        let ends = int64_column(batch, "window_end")?;
        let categories = string_column(batch, "category")?;
        let names = string_column(batch, "name")?;
        let quantities = int64_column(batch, "quantity")?;
        for row in 0..batch.num_rows() {
            let start = EventTime::from_millis(starts.value(row));
            let category = categories.value(row);
            let entry = ItemQuantity {
                name: names.value(row).to_owned(),
                quantity: quantities.value(row),
            };
            match outputs.last_mut() {
                Some(Output::PopularItems(popular))
                    if popular.window_start == start && popular.category == category =>
                {
                    popular.items.push(entry);
                }
                _ => outputs.push(Output::PopularItems(PopularItems {
                    window_start: start,
                    window_end: EventTime::from_millis(ends.value(row)),
                    category: category.to_owned(),
                    items: vec![entry],
                    is_final: true,
                })),
            }
        }
    }
    Ok(outputs)
}
