//! The receipts file as a DataFusion table: a streaming table whose one partition re-reads the
//! JSONL file on every execution, line by line as the stream's file source splits it, with the
//! size limit and receipt parser of the receipt contract (`retailflow-receipts`), and hands the
//! receipts over as Arrow batches of a few thousand rows.
//!
//! Columns: `line` (1-based line number), `receipt_id`, `store_id`, `cashier_id`, `ts`
//! (milliseconds since the epoch) and `items`, a list of `{name, category, price, quantity}`.
//! Lines the stream would dead-letter (`too_large`, `malformed_json`, `schema`, `invalid_value`)
//! are left out and counted.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, Float64Builder, Int64Builder, ListArray, RecordBatch, StringBuilder,
    StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::{DataFrame, SessionContext};
use retailflow_core::values::ValueRules;
use retailflow_receipts::{
    Reason, ReasonCounts, Receipt, ReceiptFormat, RecordFormat, check_message_size,
};

use crate::WindowsError;
use crate::lines::Lines;

/// Batches in flight between the reading thread and the plan.
const BATCHES_IN_FLIGHT: usize = 2;

/// What one complete read of the file found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCounts {
    /// Lines read.
    pub lines: u64,
    /// Lines that became receipts.
    pub receipts: u64,
    /// Lines left out, by reason.
    pub rejected: ReasonCounts,
}

#[derive(Debug, Default)]
struct Shared {
    counts: ReadCounts,
    read_error: Option<WindowsError>,
}

/// A receipts JSONL file, readable as a table any number of times.
#[derive(Debug)]
pub struct ReceiptsFile {
    path: PathBuf,
    max_message_size: usize,
    rules: ValueRules,
    batch_receipts: usize,
    schema: SchemaRef,
    shared: Arc<Mutex<Shared>>,
}

/// The fields of one receipt line in the `items` list.
pub fn item_fields() -> Fields {
    Fields::from(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("category", DataType::Utf8, false),
        Field::new("price", DataType::Float64, false),
        Field::new("quantity", DataType::Int64, false),
    ])
}

/// The element field of the `items` list.
pub fn item_field() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Struct(item_fields()), false))
}

/// The type of the `items` column.
pub fn items_type() -> DataType {
    DataType::List(item_field())
}

/// The schema of the receipts table.
pub fn receipts_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("line", DataType::Int64, false),
        Field::new("receipt_id", DataType::Utf8, false),
        Field::new("store_id", DataType::Utf8, false),
        Field::new("cashier_id", DataType::Utf8, false),
        Field::new("ts", DataType::Int64, false),
        Field::new("items", items_type(), false),
    ]))
}

impl ReceiptsFile {
    /// The file at `path` (checked to open now); lines over `max_message_size` bytes are rejected
    /// as `too_large`, receipts that break `rules` as `invalid_value`; receipts come in batches
    /// of `batch_receipts`.
    pub fn open(
        path: &Path,
        max_message_size: usize,
        rules: ValueRules,
        batch_receipts: usize,
    ) -> Result<Self, WindowsError> {
        Lines::open(path, max_message_size)?;
        Ok(ReceiptsFile {
            path: path.to_path_buf(),
            max_message_size,
            rules,
            batch_receipts: batch_receipts.max(1),
            schema: receipts_schema(),
            shared: Arc::default(),
        })
    }

    /// The file as a DataFrame of `context`.
    pub fn read(self: &Arc<Self>, context: &SessionContext) -> Result<DataFrame, WindowsError> {
        let partition: Arc<dyn PartitionStream> = self.clone();
        let table = StreamingTable::try_new(Arc::clone(&self.schema), vec![partition])?;
        Ok(context.read_table(Arc::new(table))?)
    }

    /// The counts of the latest complete read.
    pub fn counts(&self) -> ReadCounts {
        self.lock().counts
    }

    /// The error that stopped a read, if one did.
    pub fn take_read_error(&self) -> Option<WindowsError> {
        self.lock().read_error.take()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl PartitionStream for ReceiptsFile {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _context: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut builder =
            RecordBatchReceiverStreamBuilder::new(Arc::clone(&self.schema), BATCHES_IN_FLIGHT);
        let sender = builder.tx();
        let reader = Reader {
            path: self.path.clone(),
            max_message_size: self.max_message_size,
            format: ReceiptFormat::new(self.rules),
            batch_receipts: self.batch_receipts,
            schema: Arc::clone(&self.schema),
        };
        let shared = Arc::clone(&self.shared);
        builder.spawn_blocking(move || {
            let mut send = |batch: RecordBatch| sender.blocking_send(Ok(batch)).is_ok();
            match reader.read_all(&mut send) {
                Ok(Some(counts)) => {
                    shared.lock().unwrap_or_else(PoisonError::into_inner).counts = counts;
                    Ok(())
                }
                // The plan stopped listening: nothing more to do.
                Ok(None) => Ok(()),
                Err(error) => {
                    let message = error.to_string();
                    shared
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .read_error = Some(error);
                    Err(DataFusionError::Execution(message))
                }
            }
        });
        builder.build()
    }
}

/// One pass over the file.
struct Reader {
    path: PathBuf,
    max_message_size: usize,
    format: ReceiptFormat,
    batch_receipts: usize,
    schema: SchemaRef,
}

impl Reader {
    /// Reads every line, giving each full batch of receipts to `send`; returns the counts, or
    /// `None` if `send` refused a batch (the reader of the table went away).
    fn read_all(
        &self,
        send: &mut dyn FnMut(RecordBatch) -> bool,
    ) -> Result<Option<ReadCounts>, WindowsError> {
        let mut lines = Lines::open(&self.path, self.max_message_size)?;
        let mut receipts = ReceiptColumns::with_capacity(self.batch_receipts);
        let mut counts = ReadCounts::default();
        let mut ended = false;
        while !ended {
            while receipts.len() < self.batch_receipts {
                let Some(line) = lines.next_line()? else {
                    ended = true;
                    break;
                };
                counts.lines += 1;
                match self.parse(line.size, line.text) {
                    Ok(receipt) => {
                        counts.receipts += 1;
                        receipts.push(line.number, &receipt);
                    }
                    Err(reason) => counts.rejected.add(reason),
                }
            }
            if receipts.len() > 0 {
                let batch = receipts
                    .finish(&self.schema)
                    .map_err(|e| WindowsError::Read {
                        path: self.path.clone(),
                        cause: std::io::Error::other(e.to_string()),
                    })?;
                if !send(batch) {
                    return Ok(None);
                }
            }
        }
        Ok(Some(counts))
    }

    /// A line as the stream sees it: refused when over the size limit, else parsed.
    fn parse(&self, size: usize, payload: &[u8]) -> Result<Receipt, Reason> {
        check_message_size(size, self.max_message_size)
            .and_then(|()| self.format.parse(payload))
            .map_err(|rejection| rejection.reason)
    }
}

/// Column builders for one batch of receipts.
struct ReceiptColumns {
    line: Int64Builder,
    receipt_id: StringBuilder,
    store_id: StringBuilder,
    cashier_id: StringBuilder,
    ts: Int64Builder,
    item_offsets: Vec<i32>,
    name: StringBuilder,
    category: StringBuilder,
    price: Float64Builder,
    quantity: Int64Builder,
}

impl ReceiptColumns {
    fn with_capacity(receipts: usize) -> Self {
        let mut item_offsets = Vec::with_capacity(receipts + 1);
        item_offsets.push(0);
        ReceiptColumns {
            line: Int64Builder::with_capacity(receipts),
            receipt_id: StringBuilder::new(),
            store_id: StringBuilder::new(),
            cashier_id: StringBuilder::new(),
            ts: Int64Builder::with_capacity(receipts),
            item_offsets,
            name: StringBuilder::new(),
            category: StringBuilder::new(),
            price: Float64Builder::new(),
            quantity: Int64Builder::new(),
        }
    }

    fn len(&self) -> usize {
        self.line.len()
    }

    fn push(&mut self, line: i64, receipt: &Receipt) {
        self.line.append_value(line);
        self.receipt_id.append_value(&receipt.receipt_id);
        self.store_id.append_value(&receipt.store_id);
        self.cashier_id.append_value(&receipt.cashier_id);
        self.ts.append_value(receipt.ts.millis());
        for item in &receipt.items {
            self.name.append_value(&item.name);
            self.category.append_value(&item.category);
            self.price.append_value(item.price);
            self.quantity.append_value(item.quantity);
        }
        self.item_offsets.push(self.quantity.len() as i32);
    }

    /// The batch so far; the builders start again empty.
    fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch, DataFusionError> {
        let offsets = std::mem::replace(&mut self.item_offsets, vec![0]);
        let item_columns: Vec<ArrayRef> = vec![
            Arc::new(self.name.finish()),
            Arc::new(self.category.finish()),
            Arc::new(self.price.finish()),
            Arc::new(self.quantity.finish()),
        ];
        let items_struct = StructArray::try_new(item_fields(), item_columns, None)?;
        let items = ListArray::try_new(
            item_field(),
            OffsetBuffer::new(offsets.into()),
            Arc::new(items_struct),
            None,
        )?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.line.finish()),
            Arc::new(self.receipt_id.finish()),
            Arc::new(self.store_id.finish()),
            Arc::new(self.cashier_id.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(items),
        ];
        Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;

    use super::*;

    const GOOD: &str = r#"{"receipt_id":"R1","store_id":"S1","cashier_id":"S1-C1","ts":"2025-01-01T00:00:01.500Z","items":[{"name":"Item_1_FOOD","category":"Food","price":5.0,"quantity":2},{"name":"Item_3_BEV","category":"Beverages","price":8,"quantity":1}]}"#;

    fn file_with(lines: &[&str]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        for line in lines {
            writeln!(file, "{line}").unwrap();
        }
        file
    }

    fn read(
        file: &tempfile::NamedTempFile,
        max: usize,
        per_batch: usize,
    ) -> (Vec<RecordBatch>, ReadCounts) {
        let reader = Reader {
            path: file.path().to_path_buf(),
            max_message_size: max,
            format: ReceiptFormat::default(),
            batch_receipts: per_batch,
            schema: receipts_schema(),
        };
        let mut batches = Vec::new();
        let counts = reader
            .read_all(&mut |batch| {
                batches.push(batch);
                true
            })
            .unwrap()
            .unwrap();
        (batches, counts)
    }

    #[test]
    fn lines_the_stream_rejects_are_counted_by_reason_and_left_out() {
        let long = format!(r#"{{"pad":"{}",{}"#, "x".repeat(600), &GOOD[1..]);
        let file = file_with(&[
            GOOD,
            "",
            "{not json",
            r#"{"receipt_id":"R2"}"#,
            &GOOD.replace(r#""quantity":2"#, r#""quantity":0"#),
            &long,
            &GOOD.replace("R1", "R3"),
        ]);
        let (batches, counts) = read(&file, 512, 100);
        assert_eq!(counts.lines, 7);
        assert_eq!(counts.receipts, 2);
        assert_eq!(
            counts.rejected.to_string(),
            "malformed_json 2, schema 1, invalid_value 1, too_large 1"
        );
        assert_eq!(batches.len(), 1);
        let batch = &batches[0];
        assert_eq!(batch.num_rows(), 2);
        let lines: Vec<i64> = batch
            .column(0)
            .as_primitive::<Int64Type>()
            .values()
            .to_vec();
        assert_eq!(lines, [1, 7]);
        let ids: Vec<&str> = batch
            .column(1)
            .as_string::<i32>()
            .iter()
            .map(Option::unwrap)
            .collect();
        assert_eq!(ids, ["R1", "R3"]);
        let ts = batch.column(4).as_primitive::<Int64Type>();
        assert_eq!(ts.value(0), 1_735_689_601_500);
        let items = batch.column(5).as_list::<i32>();
        assert_eq!(items.value_offsets(), &[0, 2, 4]);
        let first = items.value(0);
        let first = first.as_struct();
        assert_eq!(first.column(0).as_string::<i32>().value(1), "Item_3_BEV");
        assert_eq!(
            first
                .column(2)
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .value(1),
            8.0
        );
        assert_eq!(first.column(3).as_primitive::<Int64Type>().value(0), 2);
        assert_eq!(first.len(), 2);
    }

    #[test]
    fn receipts_come_in_batches_of_the_given_size() {
        let lines: Vec<String> = (0..10)
            .map(|i| GOOD.replace("R1", &format!("R{i}")))
            .collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (batches, counts) = read(&file_with(&refs), 1 << 20, 4);
        assert_eq!(
            batches
                .iter()
                .map(RecordBatch::num_rows)
                .collect::<Vec<_>>(),
            [4, 4, 2]
        );
        assert_eq!(
            (counts.lines, counts.receipts, counts.rejected.total()),
            (10, 10, 0)
        );
    }

    #[test]
    fn an_empty_file_gives_no_batch() {
        let (batches, counts) = read(&file_with(&[]), 1 << 20, 4);
        assert!(batches.is_empty());
        assert_eq!(counts, ReadCounts::default());
    }

    #[test]
    fn a_missing_file_is_refused_at_open() {
        let error = ReceiptsFile::open(
            Path::new("/nonexistent/receipts.jsonl"),
            1024,
            ValueRules::default(),
            8,
        )
        .unwrap_err();
        assert!(error.is_user_input());
        assert!(
            error
                .to_string()
                .starts_with("cannot open /nonexistent/receipts.jsonl"),
            "{error}"
        );
    }
}
