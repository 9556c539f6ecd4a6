//! Bought together: each receipt's distinct item names, every pair `a < b` of them in a receipt of
//! at most `max_basket` distinct items (a self-join on the receipt's line), counted per window;
//! pairs in fewer than `min_receipts` receipts left out, the rest ranked by receipts, ties by `a`
//! then `b` (`row_number()` over each window), each with the receipts of its two items.
//! Support, confidences and lift come from the engine's own [`item_pair`].

use std::collections::BTreeMap;

use datafusion::arrow::array::RecordBatch;
use datafusion::common::JoinType;
use datafusion::error::Result;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::ExprFunctionExt;
use datafusion::prelude::{DataFrame, col, lit};
use retailflow_eventtime::analyses::item_pair;
use retailflow_eventtime::{ItemPair, PairSettings};

use crate::{WindowsError, int64_column, string_column};

/// Per receipt (`line`, `ts`) each distinct item `name`, with `basket`, the receipt's number of
/// distinct items.
pub fn baskets(receipts: DataFrame) -> Result<DataFrame> {
    let items = receipts
        .select_columns(&["line", "ts", "items"])?
        .unnest_columns(&["items"])?
        .select(vec![
            col("line"),
            col("ts"),
            get_field(col("items"), "name").alias("name"),
        ])?
        .distinct()?;
    let sizes = items
        .clone()
        .aggregate(vec![col("line")], vec![count(lit(1)).alias("basket")])?
        .select(vec![col("line").alias("basket_line"), col("basket")])?;
    items
        .join(sizes, JoinType::Inner, &["line"], &["basket_line"], None)?
        .select_columns(&["line", "ts", "name", "basket"])
}

/// Per receipt of at most `max_basket` distinct items, every pair `a < b` of them, with its `ts`.
pub fn receipt_pairs(baskets: DataFrame, max_basket: usize) -> Result<DataFrame> {
    let small = baskets
        .filter(col("basket").lt_eq(lit(i64::try_from(max_basket).unwrap_or(i64::MAX))))?
        .select_columns(&["line", "ts", "name"])?;
    let second = small
        .clone()
        .select(vec![col("line").alias("b_line"), col("name").alias("b")])?;
    small
        .join(
            second,
            JoinType::Inner,
            &["line"],
            &["b_line"],
            Some(col("name").lt(col("b"))),
        )?
        .select(vec![col("ts"), col("name").alias("a"), col("b")])
}

/// The top pairs of each window, by window start then rank, with `receipts` (n), `n_a` and
/// `n_b`; from the pairs and the baskets with windows assigned.
pub fn plan(pairs: DataFrame, baskets: DataFrame, settings: PairSettings) -> Result<DataFrame> {
    let min_receipts = i64::try_from(settings.min_receipts).unwrap_or(i64::MAX);
    let counted = pairs
        .aggregate(
            vec![col("window_start"), col("a"), col("b")],
            vec![count(lit(1)).alias("receipts")],
        )?
        .filter(col("receipts").gt_eq(lit(min_receipts)))?;
    let items = baskets.aggregate(
        vec![col("window_start"), col("name")],
        vec![count(lit(1)).alias("item_receipts")],
    )?;
    let item = |side: &str| -> Result<DataFrame> {
        items.clone().select(vec![
            col("window_start").alias(format!("{side}_start")),
            col("name").alias(format!("{side}_name")),
            col("item_receipts").alias(format!("n_{side}")),
        ])
    };
    let rank = row_number()
        .partition_by(vec![col("window_start")])
        .order_by(vec![
            col("receipts").sort(false, false),
            col("a").sort(true, false),
            col("b").sort(true, false),
        ])
        .build()?
        .alias("rank");
    counted
        .join(
            item("a")?,
            JoinType::Inner,
            &["window_start", "a"],
            &["a_start", "a_name"],
            None,
        )?
        .join(
            item("b")?,
            JoinType::Inner,
            &["window_start", "b"],
            &["b_start", "b_name"],
            None,
        )?
        .select_columns(&["window_start", "a", "b", "receipts", "n_a", "n_b"])?
        .window(vec![rank])?
        .filter(col("rank").lt_eq(lit(settings.top as u64)))?
        .sort(vec![
            col("window_start").sort(true, false),
            col("rank").sort(true, false),
        ])
}

/// The ranked pairs of each window (by window start) from the rows of [`plan`], given each
/// window's receipts (N) by start.
pub fn results(
    batches: &[RecordBatch],
    receipts: &BTreeMap<i64, u64>,
) -> Result<BTreeMap<i64, Vec<ItemPair>>, WindowsError> {
    let mut pairs: BTreeMap<i64, Vec<ItemPair>> = BTreeMap::new();
    for batch in batches {
        let starts = int64_column(batch, "window_start")?;
        let (a, b) = (string_column(batch, "a")?, string_column(batch, "b")?);
        let n = int64_column(batch, "receipts")?;
        let (n_a, n_b) = (int64_column(batch, "n_a")?, int64_column(batch, "n_b")?);
        for row in 0..batch.num_rows() {
            let start = starts.value(row);
            let total = receipts.get(&start).copied().ok_or_else(|| {
                WindowsError::Internal(format!("pairs for a window without receipts: {start}"))
            })?;
            let count = |value: i64| u64::try_from(value).unwrap_or(0);
            pairs.entry(start).or_default().push(item_pair(
                a.value(row).to_owned(),
                b.value(row).to_owned(),
                count(n.value(row)),
                [count(n_a.value(row)), count(n_b.value(row))],
                total,
            ));
        }
    }
    Ok(pairs)
}
