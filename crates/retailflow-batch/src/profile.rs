//! Pass 1 over the input: one aggregate plan that learns everything the job needs before it writes.
//!
//! Every row is cast (dates excepted: for them the plan records which formats parse the value, as a
//! bit mask) and its arithmetic repairs are computed. The plan then groups by (category, item, price,
//! repaired price, date mask) — a few hundred groups for retail data — and counts rows, non-null values
//! per column, repaired totals and quantities, rows that will be dropped, and values out of range
//! per column and rule. From those groups come the row count, nulls after cast, the date-format
//! detection counts, the catalog, every restored count, the drop count and the out-of-range counts,
//! in a single scan of the file.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, UInt32Type};
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr, ExprFunctionExt, ScalarUDF};
use datafusion::prelude::{DataFrame, SessionContext, ident, lit};
use retailflow_core::values::{Rule, ValueRules};

use crate::cast::{CastFunctions, ColumnKind};
use crate::catalog::Catalog;
use crate::dates::{MaskCount, format_mask_function};
use crate::error::BatchError;
use crate::headers::Columns;
use crate::plan::{self, REPAIRED_PRICE, REPAIRED_QUANTITY, REPAIRED_TOTAL, arithmetic_repairs};
use crate::repair::RepairFunctions;
use crate::rules::RuledColumn;
use crate::spool::Spool;

const DATE_MASK: &str = "__rf_date_mask";
const DROPPED: &str = "__rf_dropped";

/// One group of pass 1: rows sharing (category, item, price, repaired price, date mask).
#[derive(Debug, Clone, PartialEq)]
struct Group {
    category: Option<String>,
    item: Option<String>,
    price: Option<f64>,
    repaired_price: Option<f64>,
    date_mask: Option<u32>,
    rows: u64,
}

/// What pass 1 learnt about the input.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Data rows.
    pub rows: u64,
    /// Non-null values per column after casting, in file order; `None` for transaction_date, whose
    /// count depends on the date format (see [`Profile::date_masks`]).
    pub non_null: Vec<Option<u64>>,
    /// For each set of formats (bit mask), how many non-empty dates exactly those formats parse.
    pub date_masks: Vec<MaskCount>,
    /// Totals restored by rule 1.
    pub restored_total: u64,
    /// Quantities restored by rule 2.
    pub restored_quantity: u64,
    /// Prices restored by rule 3.
    pub restored_price: u64,
    /// Rows still missing category, quantity, total_spent or price_per_unit after repair.
    pub dropped: u64,
    /// Values of each ruled column present that broke a rule, per rule of [`Rule::RANGE`].
    pub out_of_range: Vec<(RuledColumn, [u64; 2])>,
    groups: Vec<Group>,
}

impl Profile {
    /// The catalog: distinct (category, item, price) of the cast rows with all three present.
    pub fn catalog(&self) -> Catalog {
        Catalog::from_rows(
            self.groups
                .iter()
                .filter_map(|g| Some((g.category.clone()?, g.item.clone()?, g.price?))),
        )
    }

    /// Items restored by rule 4: rows with no item whose category and repaired price name one item.
    pub fn restored_items(&self, catalog: &Catalog) -> u64 {
        self.groups
            .iter()
            .filter(|g| g.item.is_none())
            .filter(|g| match (&g.category, g.repaired_price) {
                (Some(category), Some(price)) => catalog.item_for(category, price).is_some(),
                _ => false,
            })
            .map(|g| g.rows)
            .sum()
    }
}

/// Runs pass 1 over `text` (the input as text). `date_formats` are the formats whose bits the date
/// masks carry: the recognised ones when detecting, or only the given one. With a spool (and the
/// session to run it in), the input's columns cast but the dates ([`plan::cast_but_dates`]) are
/// kept there for pass 2.
pub(crate) async fn profile(
    text: DataFrame,
    columns: &Columns,
    date_formats: Vec<crate::dates::DateFormat>,
    rules: ValueRules,
    input_path: &std::path::Path,
    spool: Option<(&mut Spool, &SessionContext)>,
) -> Result<Profile, BatchError> {
    let casts = CastFunctions::new(crate::dates::DateFormat::IsoDate, rules);
    let repairs = RepairFunctions::new(Arc::new(Catalog::default()), rules);
    let mask: ScalarUDF = format_mask_function(date_formats);

    let ruled: Vec<RuledColumn> = RuledColumn::ALL
        .into_iter()
        .filter(|column| columns.names.iter().any(|n| n == column.name()))
        .collect();
    let verdict_name = |column: &RuledColumn| format!("__rf_verdict_{}", column.name());
    let text_name = |column: &RuledColumn| format!("__rf_text_{}", column.name());
    let mut typed = plan::cast_but_dates(columns, &casts);
    typed.extend(
        ruled
            .iter()
            .map(|column| ident(column.name()).alias(text_name(column))),
    );
    let typed = text.select(typed)?;
    let typed = match spool {
        Some((spool, context)) => spool.tee(context, typed, columns.len()).await?,
        None => typed,
    };
    let mut cast: Vec<Expr> = columns
        .names
        .iter()
        .map(|name| match ColumnKind::of(name) {
            ColumnKind::Date => mask.call(vec![ident(name)]).alias(DATE_MASK),
            ColumnKind::Text | ColumnKind::Ruled(_) | ColumnKind::Boolean => ident(name),
        })
        .collect();
    cast.extend(ruled.iter().map(|column| ident(text_name(column))));
    let counted: Vec<&String> = columns
        .names
        .iter()
        .filter(|n| ColumnKind::of(n) != ColumnKind::Date)
        .collect();
    let verdicts = || ruled.iter().map(|column| ident(verdict_name(column)));

    let mut with_repairs: Vec<Expr> = counted.iter().map(|n| ident(n.as_str())).collect();
    with_repairs.push(ident(DATE_MASK));
    with_repairs.extend(ruled.iter().map(|column| {
        casts
            .ruled()
            .verdict(*column, ident(text_name(column)), ident(column.name()))
            .alias(verdict_name(column))
    }));
    with_repairs.extend(arithmetic_repairs(&repairs));
    let repaired = typed.select(cast)?.select(with_repairs)?;
    let with_dropped = repaired.select(
        counted
            .iter()
            .map(|n| ident(n.as_str()))
            .chain([
                ident(DATE_MASK),
                ident(REPAIRED_TOTAL),
                ident(REPAIRED_QUANTITY),
                ident(REPAIRED_PRICE),
            ])
            .chain(verdicts())
            .chain([repairs
                .dropped(
                    ident("category"),
                    ident(REPAIRED_QUANTITY),
                    ident(REPAIRED_TOTAL),
                    ident(REPAIRED_PRICE),
                )
                .alias(DROPPED)])
            .collect::<Vec<_>>(),
    )?;

    let group_by = vec![
        ident("category"),
        ident("item"),
        ident("price_per_unit"),
        ident(REPAIRED_PRICE),
        ident(DATE_MASK),
    ];
    let mut aggregates = vec![count_all()];
    aggregates.extend(counted.iter().map(|n| count(ident(n.as_str()))));
    aggregates.push(count(ident(REPAIRED_TOTAL)));
    aggregates.push(count(ident(REPAIRED_QUANTITY)));
    let rows_where = |condition: Expr| count(lit(1_i64)).filter(condition).build();
    aggregates.push(rows_where(ident(DROPPED))?);
    for column in &ruled {
        for code in 1..=Rule::RANGE.len() as u8 {
            aggregates.push(rows_where(ident(verdict_name(column)).eq(lit(code)))?);
        }
    }
    let plan = with_dropped.aggregate(group_by, aggregates)?;
    let batches = plan
        .collect()
        .await
        .map_err(|e| BatchError::reading(input_path, e))?;
    read_groups(&batches, columns, counted.len(), &ruled)
}

fn strings(batch: &RecordBatch, index: usize) -> Result<Vec<Option<String>>, BatchError> {
    let column = cast(batch.column(index), &DataType::Utf8)
        .map_err(|e| BatchError::Internal(format!("pass 1 result: {e}")))?;
    Ok(column
        .as_string::<i32>()
        .iter()
        .map(|v| v.map(String::from))
        .collect())
}

fn typed<T: datafusion::arrow::datatypes::ArrowPrimitiveType>(
    batch: &RecordBatch,
    index: usize,
) -> Result<Vec<Option<T::Native>>, BatchError> {
    let column: ArrayRef = cast(batch.column(index), &T::DATA_TYPE)
        .map_err(|e| BatchError::Internal(format!("pass 1 result: {e}")))?;
    Ok(column.as_primitive::<T>().iter().collect())
}

fn counts(batch: &RecordBatch, index: usize) -> Result<Vec<u64>, BatchError> {
    Ok(typed::<Int64Type>(batch, index)?
        .into_iter()
        .map(|v| v.unwrap_or(0).max(0) as u64)
        .collect())
}

fn read_groups(
    batches: &[RecordBatch],
    columns: &Columns,
    counted_columns: usize,
    ruled: &[RuledColumn],
) -> Result<Profile, BatchError> {
    let mut profile = Profile {
        non_null: vec![Some(0); columns.len()],
        out_of_range: ruled.iter().map(|&column| (column, [0; 2])).collect(),
        ..Profile::default()
    };
    if let Some(date) = columns
        .names
        .iter()
        .position(|n| ColumnKind::of(n) == ColumnKind::Date)
    {
        profile.non_null[date] = None;
    }
    let counted_positions: Vec<usize> = (0..columns.len())
        .filter(|&i| profile.non_null[i].is_some())
        .collect();
    for batch in batches {
        let categories = strings(batch, 0)?;
        let items = strings(batch, 1)?;
        let prices = typed::<Float64Type>(batch, 2)?;
        let repaired_prices = typed::<Float64Type>(batch, 3)?;
        let masks = typed::<UInt32Type>(batch, 4)?;
        let rows = counts(batch, 5)?;
        let per_column: Vec<Vec<u64>> = (0..counted_columns)
            .map(|i| counts(batch, 6 + i))
            .collect::<Result<_, _>>()?;
        let repaired_totals = counts(batch, 6 + counted_columns)?;
        let repaired_quantities = counts(batch, 7 + counted_columns)?;
        let dropped = counts(batch, 8 + counted_columns)?;
        let broken: Vec<Vec<u64>> = (0..ruled.len() * Rule::RANGE.len())
            .map(|i| counts(batch, 9 + counted_columns + i))
            .collect::<Result<_, _>>()?;
        let total_position = columns.names.iter().position(|n| n == "total_spent");
        let quantity_position = columns.names.iter().position(|n| n == "quantity");
        for g in 0..batch.num_rows() {
            profile.rows += rows[g];
            for (k, &position) in counted_positions.iter().enumerate() {
                if let Some(count) = profile.non_null[position].as_mut() {
                    *count += per_column[k][g];
                }
            }
            let cast_count = |position: Option<usize>| -> u64 {
                position
                    .and_then(|p| counted_positions.iter().position(|&c| c == p))
                    .map_or(0, |k| per_column[k][g])
            };
            profile.restored_total += repaired_totals[g].saturating_sub(cast_count(total_position));
            profile.restored_quantity +=
                repaired_quantities[g].saturating_sub(cast_count(quantity_position));
            if prices[g].is_none() && repaired_prices[g].is_some() {
                profile.restored_price += rows[g];
            }
            profile.dropped += dropped[g];
            for (k, (_, by_rule)) in profile.out_of_range.iter_mut().enumerate() {
                for (r, count) in by_rule.iter_mut().enumerate() {
                    *count += broken[k * Rule::RANGE.len() + r][g];
                }
            }
            if let Some(mask) = masks[g] {
                match profile.date_masks.iter_mut().find(|m| m.mask == mask) {
                    Some(existing) => existing.values += rows[g],
                    None => profile.date_masks.push(MaskCount {
                        mask,
                        values: rows[g],
                    }),
                }
            }
            profile.groups.push(Group {
                category: categories[g].clone(),
                item: items[g].clone(),
                price: prices[g],
                repaired_price: repaired_prices[g],
                date_mask: masks[g],
                rows: rows[g],
            });
        }
    }
    profile.date_masks.sort_by_key(|m| m.mask);
    Ok(profile)
}
