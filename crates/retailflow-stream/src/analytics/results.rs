//! Analytics results as a [`ResultSet`]: every result in the order the engine emitted it, one JSON
//! object each (JSONL, Kafka), and as tables for the console ([`ResultSet::tables`]): one
//! Spark-style table per analysis that has results in the batch (top stores, big receipts, popular
//! items, window summary, bought together, store anomalies, cashier alerts), one row per ranked
//! entry.

use retailflow_eventtime::{AnalysisKind, Output};

use crate::output::ResultSet;
use crate::timestamp::write_rfc3339;

/// A batch's results, for every sink to lay out its own way (none when there are none).
pub fn result_sets(outputs: Vec<Output>, with_final: bool) -> Vec<Box<dyn ResultSet>> {
    if outputs.is_empty() {
        return Vec::new();
    }
    vec![Box::new(OutputObjects {
        outputs,
        with_final,
    })]
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
            output.write_json(self.with_final, out);
        }
    }

    fn key(&self, row: usize) -> Option<String> {
        self.outputs.get(row).and_then(output_key)
    }

    fn output(&self, row: usize) -> Option<&Output> {
        self.outputs.get(row)
    }

    /// One table per analysis with results, in [`AnalysisKind::ALL`] order.
    fn tables(&self) -> Option<Vec<Box<dyn ResultSet>>> {
        let tables = AnalysisKind::ALL
            .into_iter()
            .filter_map(|kind| {
                let of_kind: Vec<&Output> = self
                    .outputs
                    .iter()
                    .filter(|output| output.analysis_kind() == kind)
                    .collect();
                (!of_kind.is_empty()).then(|| {
                    Box::new(AnalysisTable::new(kind, &of_kind, self.with_final))
                        as Box<dyn ResultSet>
                })
            })
            .collect();
        Some(tables)
    }
}

/// The message key of a result: its store for results about one store, else its window start as
/// the JSON writes it.
fn output_key(output: &Output) -> Option<String> {
    if let Some(store) = output.store_id() {
        return Some(store.to_owned());
    }
    output.window().map(|window| {
        let mut text = Vec::new();
        write_rfc3339(window.start, &mut text);
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// The results of one analysis as a table, one row per ranked entry (per store, per item), laid
/// out as the analysis's [`TableSpec`](retailflow_eventtime::analyses::TableSpec) says.
#[derive(Debug)]
pub struct AnalysisTable {
    title: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<Vec<Option<String>>>,
}

impl AnalysisTable {
    fn new(kind: AnalysisKind, outputs: &[&Output], with_final: bool) -> Self {
        let spec = kind.table();
        let mut columns = spec.columns.to_vec();
        let with_final = with_final && kind.can_be_provisional();
        if with_final {
            columns.push("final");
        }
        let mut rows = Vec::new();
        for &output in outputs {
            let first = rows.len();
            output.table_rows(&mut rows);
            if with_final {
                let cell = output.is_final().to_string();
                for row in &mut rows[first..] {
                    row.push(Some(cell.clone()));
                }
            }
        }
        Self {
            title: spec.title,
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

    /// The row as an object of its cells (tables are only shown on the console; JSON sinks write
    /// [`OutputObjects`]' rows).
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

#[cfg(test)]
mod tests {
    use retailflow_eventtime::{BigReceipt, EventTime, Money, WindowSummary};

    use super::*;

    #[test]
    fn keys_are_the_store_of_a_store_result_and_the_start_of_a_window() {
        let big = Output::BigReceipt(BigReceipt {
            receipt_id: "R1".into(),
            store_id: "S7".into(),
            cashier_id: "C1".into(),
            ts: EventTime(1_735_689_600_000),
            total: Money::from_hundredths(61_250),
        });
        let summary = Output::WindowSummary(WindowSummary {
            window_start: EventTime(1_735_689_610_000),
            window_end: EventTime(1_735_689_620_000),
            receipts: 1,
            revenue: Money::from_hundredths(500),
            items: 1,
            is_final: true,
        });
        let objects = OutputObjects {
            outputs: vec![big, summary],
            with_final: false,
        };
        assert_eq!(objects.key(0).as_deref(), Some("S7"));
        assert_eq!(objects.key(1).as_deref(), Some("2025-01-01T00:00:10.000Z"));
        assert_eq!(objects.key(2), None);
    }
}
