//! The stage behind the plain `retailflow stream` output: every parsed record of a batch, as a row.
//! `value` records show one `value` column; receipts show receipt_id, store_id, cashier_id, ts,
//! items (how many lines) and total. In JSONL a value is `{"value": n}` and a receipt is the receipt
//! itself with `ts` in RFC 3339 and its `total` added.

use retailflow_eventtime::Receipt;
use serde::Serialize;

use crate::dead_letter::Rejection;
use crate::message::MessageMeta;
use crate::output::ResultSet;
use crate::schema::ValueRecord;
use crate::stage::{BatchContext, Stage};
use crate::timestamp::{format_table_time, write_rfc3339};

/// A record that can be shown as a table row and written as JSON.
pub trait RecordRow {
    /// Column names of the table.
    const COLUMNS: &'static [&'static str];

    /// The row's cells.
    fn cells(&self) -> Vec<Option<String>>;

    /// The record as one JSON object (no newline).
    fn write_json(&self, out: &mut Vec<u8>);
}

/// `total` rounded to cents, as money is shown.
pub fn round_money(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

impl RecordRow for ValueRecord {
    const COLUMNS: &'static [&'static str] = &["value"];

    fn cells(&self) -> Vec<Option<String>> {
        vec![Some(self.value.to_string())]
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"value\":");
        out.extend_from_slice(self.value.to_string().as_bytes());
        out.push(b'}');
    }
}

#[derive(Serialize)]
struct ReceiptJson<'a> {
    receipt_id: &'a str,
    store_id: &'a str,
    cashier_id: &'a str,
    ts: &'a str,
    items: &'a [retailflow_eventtime::LineItem],
    total: f64,
}

impl RecordRow for Receipt {
    const COLUMNS: &'static [&'static str] = &[
        "receipt_id",
        "store_id",
        "cashier_id",
        "ts",
        "items",
        "total",
    ];

    fn cells(&self) -> Vec<Option<String>> {
        vec![
            Some(self.receipt_id.clone()),
            Some(self.store_id.clone()),
            Some(self.cashier_id.clone()),
            Some(format_table_time(self.ts)),
            Some(self.items.len().to_string()),
            Some(format!("{:.2}", self.total())),
        ]
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        let mut ts = Vec::with_capacity(24);
        write_rfc3339(self.ts, &mut ts);
        let record = ReceiptJson {
            receipt_id: &self.receipt_id,
            store_id: &self.store_id,
            cashier_id: &self.cashier_id,
            ts: std::str::from_utf8(&ts).unwrap_or_default(),
            items: &self.items,
            total: round_money(self.total()),
        };
        // Plain strings and finite numbers always serialise.
        let _ = serde_json::to_writer(out, &record);
    }
}

/// The records of one batch as a result set.
#[derive(Debug)]
pub struct RecordRows<R> {
    records: Vec<R>,
}

impl<R: RecordRow> ResultSet for RecordRows<R> {
    fn columns(&self) -> Vec<&str> {
        R::COLUMNS.to_vec()
    }

    fn row_count(&self) -> usize {
        self.records.len()
    }

    fn cells(&self, row: usize) -> Vec<Option<String>> {
        self.records
            .get(row)
            .map(RecordRow::cells)
            .unwrap_or_default()
    }

    fn write_json(&self, row: usize, out: &mut Vec<u8>) {
        if let Some(record) = self.records.get(row) {
            record.write_json(out);
        }
    }
}

/// Shows every parsed record of each batch.
#[derive(Debug)]
pub struct RecordsStage<R> {
    batch: Vec<R>,
}

impl<R> Default for RecordsStage<R> {
    fn default() -> Self {
        Self { batch: Vec::new() }
    }
}

impl<R> RecordsStage<R> {
    /// A stage with an empty batch.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<R: RecordRow + 'static> Stage<R> for RecordsStage<R> {
    fn on_record(&mut self, _meta: &MessageMeta, record: R) -> Result<(), Rejection> {
        self.batch.push(record);
        Ok(())
    }

    fn end_batch(&mut self, _context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
        vec![Box::new(RecordRows {
            records: std::mem::take(&mut self.batch),
        })]
    }
}

#[cfg(test)]
mod tests {
    use retailflow_eventtime::{EventTime, LineItem};

    use super::*;
    use crate::output::console::render_batch;

    fn receipt(id: &str, price: f64, quantity: i64) -> Receipt {
        Receipt {
            receipt_id: id.into(),
            store_id: "S001".into(),
            cashier_id: "S001-C2".into(),
            ts: EventTime(1_735_689_601_500),
            items: vec![
                LineItem {
                    name: "Item_1_FOOD".into(),
                    category: "Food".into(),
                    price,
                    quantity,
                },
                LineItem {
                    name: "Item_3_BEV".into(),
                    category: "Beverages".into(),
                    price: 8.0,
                    quantity: 1,
                },
            ],
        }
    }

    #[test]
    fn receipts_render_like_spark_console() {
        let rows: Vec<Box<dyn ResultSet>> = vec![Box::new(RecordRows {
            records: vec![receipt("R1", 5.0, 2), receipt("R2", 41.0, 13)],
        })];
        let expected = "\
-------------------------------------------
Batch: 7
-------------------------------------------
+----------+--------+----------+-------------------+-----+------+
|receipt_id|store_id|cashier_id|                 ts|items| total|
+----------+--------+----------+-------------------+-----+------+
|        R1|    S001|   S001-C2|2025-01-01 00:00:01|    2| 18.00|
|        R2|    S001|   S001-C2|2025-01-01 00:00:01|    2|541.00|
+----------+--------+----------+-------------------+-----+------+

";
        assert_eq!(render_batch(7, &rows, 20), expected);
    }

    #[test]
    fn more_rows_than_shown_say_so() {
        let values = (1..=3).map(|value| ValueRecord { value }).collect();
        let rows: Vec<Box<dyn ResultSet>> = vec![Box::new(RecordRows { records: values })];
        let expected = "\
-------------------------------------------
Batch: 0
-------------------------------------------
+-----+
|value|
+-----+
|    1|
|    2|
+-----+
only showing top 2 rows

";
        assert_eq!(render_batch(0, &rows, 2), expected);
    }

    #[test]
    fn an_empty_batch_shows_an_empty_table() {
        let rows: Vec<Box<dyn ResultSet>> =
            vec![Box::new(RecordRows::<ValueRecord> { records: vec![] })];
        assert!(render_batch(1, &rows, 20).ends_with("+-----+\n|value|\n+-----+\n+-----+\n\n"));
    }

    #[test]
    fn receipts_as_json_keep_the_schema_and_add_the_total() {
        let mut out = Vec::new();
        receipt("R1", 5.0, 2).write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"receipt_id":"R1","store_id":"S001","cashier_id":"S001-C2","ts":"2025-01-01T00:00:01.500Z","items":[{"name":"Item_1_FOOD","category":"Food","price":5.0,"quantity":2},{"name":"Item_3_BEV","category":"Beverages","price":8.0,"quantity":1}],"total":18.0}"#
        );
        let mut out = Vec::new();
        ValueRecord { value: 42 }.write_json(&mut out);
        assert_eq!(out, br#"{"value":42}"#);
    }
}
