//! The job's DataFusion plans, built with the DataFrame API from built-in expressions and the
//! registered retailflow functions, so the same plans could run on a Ballista cluster:
//!
//! - [`read_text`]: the CSV with every column as text (explicit all-Utf8 schema, snake_case names);
//! - [`repaired`]: cast → arithmetic repairs → item repair, with a flag per restored column;
//!   [`repaired_from_spool`] the same from what pass 1 kept ([`cast_but_dates`]);
//! - [`clean_rows`]: the rows to keep, with `day_of_week` and `transaction_month` added.

use std::ops::Not;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::logical_expr::Expr;
use datafusion::prelude::{CsvReadOptions, DataFrame, SessionConfig, SessionContext, ident};

use crate::cast::{CastFunctions, ColumnKind};
use crate::error::BatchError;
use crate::features::FeatureFunctions;
use crate::headers::Columns;
use crate::repair::RepairFunctions;
use crate::rules::RuledColumn;
use crate::source::{CompressionExt, InputFile};

/// Hidden column: total_spent after rule 1.
pub(crate) const REPAIRED_TOTAL: &str = "__rf_total_spent";
/// Hidden column: quantity after rule 2.
pub(crate) const REPAIRED_QUANTITY: &str = "__rf_quantity";
/// Hidden column: price_per_unit after rule 3.
pub(crate) const REPAIRED_PRICE: &str = "__rf_price_per_unit";
/// Flags: which column a repair restored, in the report's order.
pub(crate) const RESTORED_FLAGS: [(&str, &str); 4] = [
    ("item", "__rf_restored_item"),
    ("total_spent", "__rf_restored_total_spent"),
    ("quantity", "__rf_restored_quantity"),
    ("price_per_unit", "__rf_restored_price_per_unit"),
];

/// Rows per Arrow batch: large enough to amortise per-batch costs, small enough to stay in cache.
const BATCH_ROWS: usize = 16 * 1024;

/// Bytes of output a writer gathers before handing them to the file (DataFusion's default, 10 MiB,
/// with several parts in flight, is a good part of the job's peak memory).
const WRITE_BUFFER_BYTES: usize = 2 * 1024 * 1024;

/// The settings of a session running plans over `partitions` partitions.
pub fn session_config(partitions: usize) -> SessionConfig {
    let mut config = SessionConfig::new()
        .with_target_partitions(partitions.max(1))
        .with_batch_size(BATCH_ROWS)
        .with_repartition_file_scans(partitions > 1)
        .with_repartition_file_min_size(4 * 1024 * 1024);
    config
        .options_mut()
        .execution
        .objectstore_writer_buffer_size = WRITE_BUFFER_BYTES;
    config
}

/// The input as text: every column Utf8, named by its snake_case name. Reading with an explicit
/// schema means the engine never guesses types, and the header line is skipped, not interpreted.
pub(crate) async fn read_text(
    context: &SessionContext,
    input: &InputFile,
    columns: &Columns,
) -> Result<DataFrame, BatchError> {
    let schema = Schema::new(
        columns
            .names
            .iter()
            .map(|name| Field::new(name, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let options = CsvReadOptions::new()
        .has_header(true)
        .delimiter(input.layout.delimiter)
        .schema(&schema)
        .file_compression_type(input.compression.file_compression_type())
        .file_extension("");
    let paths: Vec<String> = input
        .files
        .iter()
        .map(|file| file.to_string_lossy().into_owned())
        .collect();
    let text = context
        .read_csv(paths, options)
        .await
        .map_err(|e| BatchError::reading(&input.path, e))?;
    if !input.layout.decimal_comma {
        return Ok(text);
    }
    // Decimals written with a comma: the numeric columns read it as a point, before anything else.
    let points = crate::cast::decimal_comma_function();
    let projection: Vec<Expr> = columns
        .names
        .iter()
        .map(|name| match RuledColumn::of(name) {
            Some(_) => points.call(vec![ident(name)]).alias(name),
            None => ident(name),
        })
        .collect();
    text.select(projection)
        .map_err(|e| BatchError::reading(&input.path, e))
}

/// The functions of one job.
#[derive(Debug, Clone)]
pub(crate) struct JobFunctions {
    pub casts: CastFunctions,
    pub repairs: RepairFunctions,
    pub features: FeatureFunctions,
}

/// Cast, then repaired: the input's columns under their own names, cast and repaired, followed by one
/// boolean flag per restored column ([`RESTORED_FLAGS`]).
pub(crate) fn repaired(
    text: DataFrame,
    columns: &Columns,
    functions: &JobFunctions,
) -> Result<DataFrame, BatchError> {
    repaired_after(text, columns, functions, |name| functions.casts.cast(name))
}

/// Every column cast except the dates, which stay text: all pass 1 can cast before it has learnt
/// the date format, and so what it spools for pass 2.
pub(crate) fn cast_but_dates(columns: &Columns, casts: &CastFunctions) -> Vec<Expr> {
    columns
        .names
        .iter()
        .map(|name| match ColumnKind::of(name) {
            ColumnKind::Date => ident(name),
            ColumnKind::Text | ColumnKind::Ruled(_) | ColumnKind::Boolean => casts.cast(name),
        })
        .collect()
}

/// [`repaired`] over the columns of [`cast_but_dates`]: only the dates are left to cast.
pub(crate) fn repaired_from_spool(
    spooled: DataFrame,
    columns: &Columns,
    functions: &JobFunctions,
) -> Result<DataFrame, BatchError> {
    repaired_after(spooled, columns, functions, |name| {
        match ColumnKind::of(name) {
            ColumnKind::Date => functions.casts.cast(name),
            ColumnKind::Text | ColumnKind::Ruled(_) | ColumnKind::Boolean => ident(name),
        }
    })
}

/// `frame`'s columns, each made ready by `cast`, then repaired.
fn repaired_after(
    frame: DataFrame,
    columns: &Columns,
    functions: &JobFunctions,
    cast: impl Fn(&str) -> Expr,
) -> Result<DataFrame, BatchError> {
    let cast = frame.select(
        columns
            .names
            .iter()
            .map(|name| cast(name))
            .collect::<Vec<_>>(),
    )?;
    let repairs = &functions.repairs;
    let mut with_arithmetic: Vec<Expr> = columns.names.iter().map(ident).collect();
    with_arithmetic.extend(arithmetic_repairs(repairs));
    let arithmetic = cast.select(with_arithmetic)?;

    let item = || repairs.item(ident("item"), ident("category"), ident(REPAIRED_PRICE));
    let mut finished: Vec<Expr> = columns
        .names
        .iter()
        .map(|name| match name.as_str() {
            "item" => item().alias("item"),
            "total_spent" => ident(REPAIRED_TOTAL).alias(name),
            "quantity" => ident(REPAIRED_QUANTITY).alias(name),
            "price_per_unit" => ident(REPAIRED_PRICE).alias(name),
            _ => ident(name),
        })
        .collect();
    let restored =
        |column: &str, repaired: Expr| ident(column).is_null().and(repaired.is_not_null());
    finished.extend([
        restored("item", item()).alias(RESTORED_FLAGS[0].1),
        restored("total_spent", ident(REPAIRED_TOTAL)).alias(RESTORED_FLAGS[1].1),
        restored("quantity", ident(REPAIRED_QUANTITY)).alias(RESTORED_FLAGS[2].1),
        restored("price_per_unit", ident(REPAIRED_PRICE)).alias(RESTORED_FLAGS[3].1),
    ]);
    Ok(arithmetic.select(finished)?)
}

/// Rules 1–3 over the cast columns, named [`REPAIRED_TOTAL`], [`REPAIRED_QUANTITY`],
/// [`REPAIRED_PRICE`] (see [`crate::repair`] for why they can be computed side by side).
pub(crate) fn arithmetic_repairs(repairs: &RepairFunctions) -> [Expr; 3] {
    let (total, quantity, price) = (
        ident("total_spent"),
        ident("quantity"),
        ident("price_per_unit"),
    );
    [
        repairs
            .total(total.clone(), quantity.clone(), price.clone())
            .alias(REPAIRED_TOTAL),
        repairs
            .quantity(quantity.clone(), total.clone(), price.clone())
            .alias(REPAIRED_QUANTITY),
        repairs.price(price, total, quantity).alias(REPAIRED_PRICE),
    ]
}

/// The clean rows: repaired rows that are not dropped, the input's columns in file order, then
/// `day_of_week` and `transaction_month`.
pub(crate) fn clean_rows(
    repaired: DataFrame,
    columns: &Columns,
    functions: &JobFunctions,
) -> Result<DataFrame, BatchError> {
    let JobFunctions {
        repairs, features, ..
    } = functions;
    let keep = repairs
        .dropped(
            ident("category"),
            ident("quantity"),
            ident("total_spent"),
            ident("price_per_unit"),
        )
        .not();
    let mut output: Vec<Expr> = columns.names.iter().map(ident).collect();
    output.push(features.day_of_week(ident("transaction_date")));
    output.push(features.month(ident("transaction_date")));
    Ok(repaired.filter(keep)?.select(output)?)
}

/// The output column names: the input's, then the added ones.
pub(crate) fn output_names(columns: &Columns) -> Vec<String> {
    columns
        .names
        .iter()
        .cloned()
        .chain(crate::headers::ADDED_COLUMNS.iter().map(|n| n.to_string()))
        .collect()
}

/// The functions of a job parsing dates in `date_format` and filling items from `catalog`.
pub(crate) fn job_functions(
    date_format: crate::dates::DateFormat,
    catalog: Arc<crate::catalog::Catalog>,
    rules: retailflow_core::values::ValueRules,
) -> JobFunctions {
    JobFunctions {
        casts: CastFunctions::new(date_format, rules),
        repairs: RepairFunctions::new(catalog, rules),
        features: FeatureFunctions::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::dates::DateFormat;
    use crate::repair::{RepairRow, Restored, repair_row};
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Float64Type, Int64Type};
    use datafusion::physical_plan::displayable;

    const HEADER: &str = "Transaction ID,Customer ID,Category,Item,Price Per Unit,Quantity,Total Spent,Payment Method,Location,Transaction Date,Discount Applied";

    fn catalog() -> Catalog {
        Catalog::from_rows([
            ("Food".to_string(), "Item_2_FOOD".to_string(), 6.5),
            ("Food".to_string(), "Item_3_FOOD".to_string(), 8.0),
            ("Food".to_string(), "Item_3b_FOOD".to_string(), 8.0),
        ])
    }

    /// The drop is one filter over the repaired columns the projection under it computed. Pushed
    /// below that projection (as the optimizer does with deterministic functions), it would compute
    /// every numeric cast and repair for each row, and the projection again for each row kept.
    #[tokio::test]
    async fn the_drop_filter_reads_the_repairs_instead_of_computing_them_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("one.csv");
        let row = "T1,C,Food,,6.5,2,,Cash,Online,2024-01-01,True";
        std::fs::write(&path, format!("{HEADER}\n{row}\n")).unwrap();
        let context = SessionContext::new_with_config(session_config(1));
        let input = InputFile::open(&path, crate::source::TextLayout::default(), &context)
            .await
            .unwrap();
        let columns = Columns::from_headers(&path, input.headers.clone()).unwrap();
        let functions = job_functions(DateFormat::IsoDate, Arc::new(catalog()), Default::default());
        let text = read_text(&context, &input, &columns).await.unwrap();
        let repaired = repaired(text, &columns, &functions).unwrap();
        let rows = clean_rows(repaired, &columns, &functions).unwrap();
        let plan = rows.clone().create_physical_plan().await.unwrap();
        let shown = displayable(plan.as_ref()).indent(true).to_string();
        let filters: Vec<&str> = shown
            .lines()
            .filter(|line| line.trim_start().starts_with("FilterExec"))
            .collect();
        assert_eq!(filters.len(), 1, "{shown}");
        assert!(filters[0].contains("rf_dropped("), "{shown}");
        for call in [
            "rf_repair_",
            "rf_price(",
            "rf_quantity(",
            "rf_total(",
            "rf_text(",
        ] {
            assert!(!filters[0].contains(call), "{call} in {shown}");
        }
        let batches = rows.collect().await.unwrap();
        let total = batches[0].column_by_name("total_spent").unwrap();
        assert_eq!(total.as_primitive::<Float64Type>().value(0), 13.0);
        let item = batches[0].column_by_name("item").unwrap();
        assert_eq!(item.as_string::<i32>().value(0), "Item_2_FOOD");
    }

    /// Repairing what pass 1 spools (every column cast but the dates) gives the rows of repairing
    /// the text.
    #[tokio::test]
    async fn the_rows_repaired_from_the_spooled_columns_are_those_from_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        let rows = [
            "T1,C1,Food,,6.5,2,,Cash,Online,2024-01-01,True",
            "T2, C2 ,Food,Item_3_FOOD,abc,3.0,24.0,Card,In-store,2024-13-01,",
            "T3,,,,,,,,,,",
            "T4,C4,Food,,,2,13,Digital Wallet,Online,2023-12-31,False",
        ];
        std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
        let context = SessionContext::new_with_config(session_config(1));
        let input = InputFile::open(&path, crate::source::TextLayout::default(), &context)
            .await
            .unwrap();
        let columns = Columns::from_headers(&path, input.headers.clone()).unwrap();
        let functions = job_functions(DateFormat::IsoDate, Arc::new(catalog()), Default::default());
        let text = read_text(&context, &input, &columns).await.unwrap();
        let from_text = repaired(text.clone(), &columns, &functions).unwrap();
        let spooled = text
            .select(cast_but_dates(&columns, &functions.casts))
            .unwrap();
        let date = spooled
            .schema()
            .field_with_name(None, "transaction_date")
            .unwrap();
        assert_eq!(date.data_type(), &DataType::Utf8);
        let price = spooled
            .schema()
            .field_with_name(None, "price_per_unit")
            .unwrap();
        assert_eq!(price.data_type(), &DataType::Float64);
        let from_spool = repaired_from_spool(spooled, &columns, &functions).unwrap();
        let expected = from_text.collect().await.unwrap();
        let actual = from_spool.collect().await.unwrap();
        assert_eq!(actual, expected);
        assert_eq!(expected[0].num_rows(), 4);
        let total = expected[0].column_by_name("total_spent").unwrap();
        assert_eq!(total.as_primitive::<Float64Type>().value(0), 13.0);
        let price = expected[0].column_by_name("price_per_unit").unwrap();
        assert_eq!(price.as_primitive::<Float64Type>().value(3), 6.5);
        let dates = expected[0].column_by_name("transaction_date").unwrap();
        assert_eq!(dates.null_count(), 2);
    }

    /// Every combination of present and missing values, through the DataFusion plan and through the
    /// row-by-row reference, must give the same repaired values and the same restored flags.
    #[tokio::test]
    async fn the_plan_repairs_exactly_like_the_reference() {
        let prices = ["", "0", "6.5", "8.0", "abc"];
        let quantities = ["", "0", "2", "3.0", "2.5"];
        let totals = ["", "0.0", "13.0", "16.0", "20.0", "19.5"];
        let items = ["", "Item_2_FOOD"];
        let categories = ["", "Food"];
        let mut text = format!("{HEADER}\n");
        let mut expected = Vec::new();
        let catalog = catalog();
        let rules = retailflow_core::values::ValueRules::default();
        let mut id = 0;
        for category in categories {
            for item in items {
                for price in prices {
                    for quantity in quantities {
                        for total in totals {
                            id += 1;
                            text.push_str(&format!(
                                "T{id},C,{category},{item},{price},{quantity},{total},Cash,Online,2024-01-01,True\n"
                            ));
                            let mut row = RepairRow {
                                category: crate::cast::clean_text(category).map(String::from),
                                item: crate::cast::clean_text(item).map(String::from),
                                price: crate::rules::price(price, &rules).value(),
                                quantity: crate::rules::quantity(quantity, &rules).value(),
                                total: crate::rules::total(total, &rules).value(),
                            };
                            let restored = repair_row(&mut row, &catalog, &rules);
                            expected.push((row, restored));
                        }
                    }
                }
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grid.csv");
        std::fs::write(&path, text).unwrap();
        let context = SessionContext::new_with_config(session_config(1));
        let input = InputFile::open(&path, crate::source::TextLayout::default(), &context)
            .await
            .unwrap();
        let columns = Columns::from_headers(&path, input.headers.clone()).unwrap();
        let frame = read_text(&context, &input, &columns).await.unwrap();
        let functions = job_functions(DateFormat::IsoDate, Arc::new(catalog), Default::default());
        let repaired = repaired(frame, &columns, &functions).unwrap();
        let batches = repaired.collect().await.unwrap();

        let mut actual = Vec::new();
        for batch in &batches {
            let column = |name: &str| batch.column_by_name(name).unwrap().clone();
            let (category, item) = (column("category"), column("item"));
            let (category, item) = (category.as_string::<i32>(), item.as_string::<i32>());
            let price = column("price_per_unit");
            let price = price.as_primitive::<Float64Type>();
            let quantity = column("quantity");
            let quantity = quantity.as_primitive::<Int64Type>();
            let total = column("total_spent");
            let total = total.as_primitive::<Float64Type>();
            let flags: Vec<_> = RESTORED_FLAGS
                .iter()
                .map(|(_, flag)| column(flag))
                .collect();
            let flag = |k: usize, i: usize| flags[k].as_boolean().value(i);
            for i in 0..batch.num_rows() {
                let text = |a: &datafusion::arrow::array::StringArray| {
                    a.is_valid(i).then(|| a.value(i).to_string())
                };
                actual.push((
                    RepairRow {
                        category: text(category),
                        item: text(item),
                        price: price.is_valid(i).then(|| price.value(i)),
                        quantity: quantity.is_valid(i).then(|| quantity.value(i)),
                        total: total.is_valid(i).then(|| total.value(i)),
                    },
                    Restored {
                        item: flag(0, i),
                        total_spent: flag(1, i),
                        quantity: flag(2, i),
                        price_per_unit: flag(3, i),
                    },
                ));
            }
        }
        assert_eq!(actual.len(), expected.len());
        for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
            assert_eq!(a, e, "row {}", i + 1);
        }
        assert!(expected.iter().any(|(_, r)| r.item && r.price_per_unit));
        assert!(expected.iter().any(|(_, r)| r.quantity));
        assert!(expected.iter().any(|(_, r)| r.total_spent));
    }
}
