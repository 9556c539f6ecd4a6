//! Analytics results as [`ResultSet`]s. For the console: one Spark-style table per analysis that has
//! results in the batch (top stores, big receipts, popular items, window summary), one row per
//! ranked entry. For JSON sinks: every result in the order the engine emitted it, one object each.

use retailflow_eventtime::{EventTime, Output};

use crate::analytics::json::write_output_json;
use crate::output::ResultSet;
use crate::timestamp::format_table_time;

/// How a stage's results are laid out for its sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presentation {
    /// One table per analysis (console).
    Tables,
    /// One JSON object per result, in emission order (JSONL, Kafka).
    Objects,
}

/// The four analyses, in the order their console tables are printed.
const KINDS: [&str; 4] = [
    "top_stores",
    "big_receipt",
    "popular_items",
    "window_summary",
];

/// A batch's results laid out for a sink.
pub fn result_sets(
    outputs: Vec<Output>,
    presentation: Presentation,
    with_final: bool,
) -> Vec<Box<dyn ResultSet>> {
    if outputs.is_empty() {
        return Vec::new();
    }
    match presentation {
        Presentation::Objects => vec![Box::new(OutputObjects {
            outputs,
            with_final,
        })],
        Presentation::Tables => KINDS
            .iter()
            .filter_map(|kind| {
                let of_kind: Vec<Output> = outputs
                    .iter()
                    .filter(|output| output.kind() == *kind)
                    .cloned()
                    .collect();
                (!of_kind.is_empty()).then(|| {
                    Box::new(AnalysisTable::new(kind, of_kind, with_final)) as Box<dyn ResultSet>
                })
            })
            .collect(),
    }
}

/// Every result as one JSON object, in emission order.
#[derive(Debug)]
pub struct OutputObjects {
    outputs: Vec<Output>,
    with_final: bool,
}

impl ResultSet for OutputObjects {
    fn columns(&self) -> Vec<&str> {
        vec!["result"]
    }

    fn row_count(&self) -> usize {
        self.outputs.len()
    }

    fn cells(&self, row: usize) -> Vec<Option<String>> {
        let mut out = Vec::new();
        self.write_json(row, &mut out);
        vec![Some(String::from_utf8_lossy(&out).into_owned())]
    }

    fn write_json(&self, row: usize, out: &mut Vec<u8>) {
        if let Some(output) = self.outputs.get(row) {
            write_output_json(output, self.with_final, out);
        }
    }
}

/// The results of one analysis as a table, one row per ranked entry (per store, per item).
#[derive(Debug)]
pub struct AnalysisTable {
    title: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<Vec<Option<String>>>,
}

fn window_cells(start: EventTime, end: EventTime) -> [Option<String>; 2] {
    [Some(format_table_time(start)), Some(format_table_time(end))]
}

impl AnalysisTable {
    fn new(kind: &str, outputs: Vec<Output>, with_final: bool) -> Self {
        let (title, mut columns): (&'static str, Vec<&'static str>) = match kind {
            "top_stores" => (
                "Top stores by revenue",
                vec![
                    "window_start",
                    "window_end",
                    "rank",
                    "store_id",
                    "revenue",
                    "receipts",
                ],
            ),
            "big_receipt" => (
                "Big receipts",
                vec!["receipt_id", "store_id", "cashier_id", "ts", "total"],
            ),
            "popular_items" => (
                "Popular items by category",
                vec![
                    "window_start",
                    "window_end",
                    "category",
                    "rank",
                    "name",
                    "quantity",
                ],
            ),
            _ => (
                "Window summary",
                vec!["window_start", "window_end", "receipts", "revenue", "items"],
            ),
        };
        let windowed = kind != "big_receipt";
        if with_final && windowed {
            columns.push("final");
        }
        let mut rows = Vec::new();
        for output in &outputs {
            let final_cell = (with_final && windowed).then(|| Some(output.is_final().to_string()));
            let mut push = |mut cells: Vec<Option<String>>| {
                cells.extend(final_cell.clone());
                rows.push(cells);
            };
            match output {
                Output::TopStores(result) => {
                    for (rank, store) in result.stores.iter().enumerate() {
                        let mut cells =
                            window_cells(result.window_start, result.window_end).to_vec();
                        cells.extend([
                            Some((rank + 1).to_string()),
                            Some(store.store_id.clone()),
                            Some(store.revenue.to_string()),
                            Some(store.receipts.to_string()),
                        ]);
                        push(cells);
                    }
                }
                Output::BigReceipt(result) => push(vec![
                    Some(result.receipt_id.clone()),
                    Some(result.store_id.clone()),
                    Some(result.cashier_id.clone()),
                    Some(format_table_time(result.ts)),
                    Some(result.total.to_string()),
                ]),
                Output::PopularItems(result) => {
                    for (rank, item) in result.items.iter().enumerate() {
                        let mut cells =
                            window_cells(result.window_start, result.window_end).to_vec();
                        cells.extend([
                            Some(result.category.clone()),
                            Some((rank + 1).to_string()),
                            Some(item.name.clone()),
                            Some(item.quantity.to_string()),
                        ]);
                        push(cells);
                    }
                }
                Output::WindowSummary(result) => {
                    let mut cells = window_cells(result.window_start, result.window_end).to_vec();
                    cells.extend([
                        Some(result.receipts.to_string()),
                        Some(result.revenue.to_string()),
                        Some(result.items.to_string()),
                    ]);
                    push(cells);
                }
            }
        }
        Self {
            title,
            columns,
            rows,
        }
    }
}

impl ResultSet for AnalysisTable {
    fn title(&self) -> Option<&str> {
        Some(self.title)
    }

    fn columns(&self) -> Vec<&str> {
        self.columns.clone()
    }

    fn row_count(&self) -> usize {
        self.rows.len()
    }

    fn cells(&self, row: usize) -> Vec<Option<String>> {
        self.rows.get(row).cloned().unwrap_or_default()
    }

    /// The row as an object of its cells (tables are meant for the console; JSON sinks get
    /// [`OutputObjects`]).
    fn write_json(&self, row: usize, out: &mut Vec<u8>) {
        let object: serde_json::Map<String, serde_json::Value> = self
            .columns
            .iter()
            .zip(self.cells(row))
            .map(|(column, cell)| {
                let value = cell.map_or(serde_json::Value::Null, serde_json::Value::String);
                ((*column).to_owned(), value)
            })
            .collect();
        // A map of strings always serialises.
        let _ = serde_json::to_writer(out, &object);
    }
}
