//! The input parsed once: while pass 1 reads the CSV, every batch it parses and casts (dates
//! excepted, as their format is not known yet) is also kept, as it goes by, for pass 2, which reads
//! it back instead of parsing and casting the CSV a second time. By default an input of up to
//! [`IN_MEMORY_SPOOL_MAX`] bytes is kept in memory, as the batches themselves (about 1.2 times the
//! input's size); a larger one is written to a spool of Arrow IPC files (one per partition) in a
//! folder beside the output, so that memory stays bounded whatever the input's size, and the
//! folder is removed when the job ends, whatever the outcome. Pass 2 takes the batches as it reads
//! them, so memory falls as it goes. Plans sent to a cluster read the file twice instead, as the
//! executors do not share this process's memory or disk.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::FileReader;
use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::physical_plan::{RecordBatchStream, SendableRecordBatchStream};
use datafusion::prelude::{DataFrame, SessionContext};
use futures_util::{Stream, StreamExt, stream};

use crate::error::BatchError;

/// Rows per batch in the spool. Read back, each batch is one allocation holding all its columns;
/// kept small, those allocations are reused instead of fragmenting the heap (glibc's malloc serves
/// blocks of megabytes from its arenas once it has freed one), which kept peak memory higher.
const SPOOL_BATCH_ROWS: usize = 4096;

/// The largest input, in bytes, whose parsed columns are kept in memory between the passes by
/// default rather than in a folder on disk: 128 MiB (about 1.4 million rows shaped like the sales
/// file, held in about 160 MB).
pub const IN_MEMORY_SPOOL_MAX: u64 = 128 << 20;

/// The spool of one job: where it keeps what each partition yields.
#[derive(Debug)]
pub(crate) struct Spool {
    dir: PathBuf,
    in_memory: bool,
    parts: Vec<Arc<Part>>,
    schema: Option<SchemaRef>,
}

/// One partition's share of the spool and how keeping it went.
#[derive(Debug)]
struct Part {
    /// The partition's file (in memory: where it would be, for messages).
    path: PathBuf,
    /// The batches kept in memory, until pass 2 takes them; `None` for a partition on disk.
    held: Option<Mutex<Option<Vec<RecordBatch>>>>,
    rows: AtomicU64,
    finished: AtomicBool,
    failure: Mutex<Option<String>>,
}

impl Part {
    fn fail(&self, reason: String) -> DataFusionError {
        let message = format!("cannot write {}: {reason}", self.path.display());
        if let Ok(mut failure) = self.failure.lock() {
            failure.get_or_insert(reason);
        }
        DataFusionError::Execution(message)
    }
}

impl Spool {
    /// A new, empty spool: in memory, or in the folder `dir` (created). A folder left at `dir` by an
    /// earlier run that was stopped is removed either way.
    pub(crate) fn create(dir: PathBuf, in_memory: bool) -> Result<Self, BatchError> {
        let unwritable = |error: std::io::Error| BatchError::OutputUnwritable {
            path: dir.clone(),
            reason: error.to_string(),
        };
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(unwritable)?;
        }
        if !in_memory {
            std::fs::create_dir(&dir).map_err(unwritable)?;
        }
        Ok(Self {
            dir,
            in_memory,
            parts: Vec::new(),
            schema: None,
        })
    }

    /// The folder `.<output name>.spool` beside `output`.
    pub(crate) fn beside(output: &Path) -> PathBuf {
        crate::output::beside(output, "spool")
    }

    /// `frame` as a frame that writes the first `kept` columns of every batch it yields to the
    /// spool: its plan runs once, the spool holding exactly what it read once it has run to the end.
    pub(crate) async fn tee(
        &mut self,
        context: &SessionContext,
        frame: DataFrame,
        kept: usize,
    ) -> Result<DataFrame, BatchError> {
        let schema: SchemaRef = Arc::clone(frame.schema().inner());
        let kept: Vec<usize> = (0..kept.min(schema.fields().len())).collect();
        let spooled = Arc::new(
            schema
                .project(&kept)
                .map_err(|e| BatchError::Internal(format!("spooled columns: {e}")))?,
        );
        let streams = frame.execute_stream_partitioned().await?;
        self.parts = (0..streams.len())
            .map(|index| {
                Arc::new(Part {
                    path: self.dir.join(format!("part-{index}.arrow")),
                    held: self.in_memory.then(|| Mutex::new(Some(Vec::new()))),
                    rows: AtomicU64::new(0),
                    finished: AtomicBool::new(false),
                    failure: Mutex::new(None),
                })
            })
            .collect();
        let partitions: Vec<Arc<dyn PartitionStream>> = streams
            .into_iter()
            .zip(&self.parts)
            .map(|(stream, part)| {
                Arc::new(TeePartition {
                    schema: Arc::clone(&schema),
                    spooled: Arc::clone(&spooled),
                    kept: kept.clone(),
                    stream: Mutex::new(Some(stream)),
                    part: Arc::clone(part),
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        self.schema = Some(spooled);
        let table = StreamingTable::try_new(schema, partitions)?;
        Ok(context.read_table(Arc::new(table))?)
    }

    /// Why writing the spool failed, if it did: the first partition's reason.
    pub(crate) fn failure(&self) -> Option<BatchError> {
        self.parts.iter().find_map(|part| {
            let reason = part.failure.lock().ok()?.clone()?;
            Some(BatchError::OutputUnwritable {
                path: part.path.clone(),
                reason,
            })
        })
    }

    /// Rows written to the spool.
    pub(crate) fn rows(&self) -> u64 {
        self.parts
            .iter()
            .map(|part| part.rows.load(Ordering::Acquire))
            .sum()
    }

    /// The spooled columns as a frame, one partition per file, in the order it was read. Refused unless
    /// every partition's file was written to its end.
    pub(crate) fn read(&self, context: &SessionContext) -> Result<DataFrame, BatchError> {
        let schema = self.schema.clone().ok_or_else(|| {
            BatchError::Internal("the spool was read before it was written".into())
        })?;
        if let Some(part) = self
            .parts
            .iter()
            .find(|part| !part.finished.load(Ordering::Acquire))
        {
            return Err(BatchError::Internal(format!(
                "{} was not written to its end",
                part.path.display()
            )));
        }
        let partitions: Vec<Arc<dyn PartitionStream>> = self
            .parts
            .iter()
            .map(|part| {
                Arc::new(SpooledPartition {
                    schema: Arc::clone(&schema),
                    part: Arc::clone(part),
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        let table = StreamingTable::try_new(schema, partitions)?;
        Ok(context.read_table(Arc::new(table))?)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A partition of the input that writes what it yields to its part of the spool.
struct TeePartition {
    schema: SchemaRef,
    spooled: SchemaRef,
    kept: Vec<usize>,
    stream: Mutex<Option<SendableRecordBatchStream>>,
    part: Arc<Part>,
}

impl std::fmt::Debug for TeePartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeePartition")
            .field("part", &self.part)
            .finish_non_exhaustive()
    }
}

impl PartitionStream for TeePartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _context: Arc<TaskContext>) -> SendableRecordBatchStream {
        let taken = self.stream.lock().ok().and_then(|mut stream| stream.take());
        let Some(inner) = taken else {
            let error = DataFusionError::Internal("a spooled partition ran twice".into());
            return Box::pin(RecordBatchStreamAdapter::new(
                Arc::clone(&self.schema),
                stream::once(async { Err(error) }),
            ));
        };
        let sink = match self.part.held {
            Some(_) => Ok(Sink::Memory),
            None => File::create(&self.part.path)
                .map_err(|e| e.to_string())
                .and_then(|file| {
                    FileWriter::try_new(BufWriter::new(file), &self.spooled)
                        .map_err(|e| e.to_string())
                })
                .map(|writer| Sink::File(Box::new(writer))),
        };
        match sink {
            Ok(sink) => Box::pin(Tee {
                inner,
                kept: self.kept.clone(),
                sink,
                part: Arc::clone(&self.part),
            }),
            Err(reason) => {
                let error = self.part.fail(reason);
                Box::pin(RecordBatchStreamAdapter::new(
                    Arc::clone(&self.schema),
                    stream::once(async { Err(error) }),
                ))
            }
        }
    }
}

/// The stream of a [`TeePartition`]: yields the input's batches, keeping each as it passes.
struct Tee {
    inner: SendableRecordBatchStream,
    kept: Vec<usize>,
    sink: Sink,
    part: Arc<Part>,
}

/// Where a [`Tee`] keeps its batches.
enum Sink {
    /// In its part's `held` batches.
    Memory,
    /// In its part's file.
    File(Box<FileWriter<BufWriter<File>>>),
    /// Nowhere more: the input has ended.
    Finished,
}

impl Tee {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), DataFusionError> {
        let kept = batch
            .project(&self.kept)
            .map_err(|e| DataFusionError::Internal(format!("spooled columns: {e}")))?;
        let rows = kept.num_rows() as u64;
        match &mut self.sink {
            Sink::Memory => {
                let mut held = self
                    .part
                    .held
                    .as_ref()
                    .and_then(|held| held.lock().ok())
                    .ok_or_else(|| DataFusionError::Internal("the spool's memory".into()))?;
                held.as_mut()
                    .ok_or_else(|| DataFusionError::Internal("a batch after pass 2 began".into()))?
                    .push(kept);
            }
            Sink::File(writer) => {
                for offset in (0..kept.num_rows()).step_by(SPOOL_BATCH_ROWS) {
                    let rows = SPOOL_BATCH_ROWS.min(kept.num_rows() - offset);
                    writer
                        .write(&kept.slice(offset, rows))
                        .map_err(|e| self.part.fail(e.to_string()))?;
                }
            }
            Sink::Finished => {
                return Err(DataFusionError::Internal(
                    "a batch after the spool's end".into(),
                ));
            }
        }
        self.part.rows.fetch_add(rows, Ordering::AcqRel);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), DataFusionError> {
        match std::mem::replace(&mut self.sink, Sink::Finished) {
            Sink::Memory => {}
            Sink::File(mut writer) => {
                writer.finish().map_err(|e| self.part.fail(e.to_string()))?;
            }
            Sink::Finished => return Ok(()),
        }
        self.part.finished.store(true, Ordering::Release);
        Ok(())
    }
}

impl Stream for Tee {
    type Item = Result<RecordBatch, DataFusionError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(batch))) => Poll::Ready(Some(self.write(&batch).map(|()| batch))),
            Poll::Ready(None) => match self.finish() {
                Ok(()) => Poll::Ready(None),
                Err(error) => Poll::Ready(Some(Err(error))),
            },
            other => other,
        }
    }
}

impl RecordBatchStream for Tee {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}

/// One partition of the spool, read back batch by batch: its batches taken from memory, or its file
/// read.
#[derive(Debug)]
struct SpooledPartition {
    schema: SchemaRef,
    part: Arc<Part>,
}

impl PartitionStream for SpooledPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _context: Arc<TaskContext>) -> SendableRecordBatchStream {
        let stream = match &self.part.held {
            Some(held) => self.take_held(held),
            None => self.read_file(),
        };
        Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            stream,
        ))
    }
}

type Batches = Pin<Box<dyn Stream<Item = Result<RecordBatch, DataFusionError>> + Send>>;

impl SpooledPartition {
    /// The batches held in memory, handed over once, so that each is freed once pass 2 is done with
    /// it.
    fn take_held(&self, held: &Mutex<Option<Vec<RecordBatch>>>) -> Batches {
        match held.lock().ok().and_then(|mut held| held.take()) {
            Some(batches) => Box::pin(stream::iter(batches.into_iter().map(Ok))),
            None => Box::pin(stream::once(async {
                Err(DataFusionError::Internal(
                    "a spooled partition was read twice".into(),
                ))
            })),
        }
    }

    fn read_file(&self) -> Batches {
        let path = self.part.path.clone();
        let unreadable = move |reason: String| {
            DataFusionError::Execution(format!("cannot read {}: {reason}", path.display()))
        };
        let batches = File::open(&self.part.path)
            .map_err(|e| e.to_string())
            .and_then(|file| FileReader::try_new_buffered(file, None).map_err(|e| e.to_string()));
        match batches {
            Ok(reader) => Box::pin(stream::iter(
                reader.map(move |batch| batch.map_err(|e| unreadable(e.to_string()))),
            )),
            Err(reason) => Box::pin(stream::once({
                let error = unreadable(reason);
                async { Err(error) }
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::prelude::{CsvReadOptions, SessionConfig, ident};

    fn text_csv(dir: &Path, rows: usize) -> PathBuf {
        let path = dir.join("in.csv");
        let mut body = String::from("a,b\n");
        for row in 0..rows {
            body.push_str(&format!("x{row},{}\n", if row % 3 == 0 { "" } else { "y" }));
        }
        std::fs::write(&path, body).unwrap();
        path
    }

    async fn values(frame: DataFrame) -> Vec<(String, Option<String>)> {
        let mut rows = Vec::new();
        for batch in frame.collect().await.unwrap() {
            let a = batch.column(0).as_string::<i32>();
            let b = batch.column(1).as_string::<i32>();
            for i in 0..batch.num_rows() {
                rows.push((
                    a.value(i).to_string(),
                    (!b.is_null(i)).then(|| b.value(i).to_string()),
                ));
            }
        }
        rows.sort();
        rows
    }

    #[tokio::test]
    async fn the_second_read_gives_the_rows_of_the_first_and_the_folder_goes_with_the_spool() {
        second_read_gives_the_rows_of_the_first(false).await;
    }

    #[tokio::test]
    async fn in_memory_the_second_read_gives_the_rows_of_the_first_and_no_folder_is_made() {
        second_read_gives_the_rows_of_the_first(true).await;
    }

    async fn second_read_gives_the_rows_of_the_first(in_memory: bool) {
        let dir = tempfile::tempdir().unwrap();
        let input = text_csv(dir.path(), 50_000);
        let config = SessionConfig::new()
            .with_target_partitions(3)
            .with_batch_size(4096)
            .with_repartition_file_scans(true)
            .with_repartition_file_min_size(1024);
        let context = SessionContext::new_with_config(config);
        let schema = datafusion::arrow::datatypes::Schema::new(vec![
            datafusion::arrow::datatypes::Field::new(
                "a",
                datafusion::arrow::datatypes::DataType::Utf8,
                true,
            ),
            datafusion::arrow::datatypes::Field::new(
                "b",
                datafusion::arrow::datatypes::DataType::Utf8,
                true,
            ),
        ]);
        let read = || async {
            context
                .read_csv(
                    input.to_string_lossy().into_owned(),
                    CsvReadOptions::new().schema(&schema).has_header(true),
                )
                .await
                .unwrap()
        };
        let spool_dir = Spool::beside(&dir.path().join("out.parquet"));
        assert_eq!(spool_dir, dir.path().join(".out.parquet.spool"));
        // A folder left by an earlier run that was stopped.
        std::fs::create_dir(&spool_dir).unwrap();
        std::fs::write(spool_dir.join("part-7.arrow"), b"x").unwrap();
        let mut spool = Spool::create(spool_dir.clone(), in_memory).unwrap();
        assert!(!spool_dir.join("part-7.arrow").exists());
        assert_eq!(spool_dir.exists(), !in_memory);
        assert!(matches!(spool.read(&context), Err(BatchError::Internal(_))));

        let with_extra = read()
            .await
            .select(vec![ident("a"), ident("b"), ident("a").alias("c")])
            .unwrap();
        let teed = spool.tee(&context, with_extra, 2).await.unwrap();
        assert_eq!(teed.schema().fields().len(), 3);
        assert_eq!(spool.parts.len(), 3, "one file per partition of the scan");
        let first = values(teed).await;
        assert_eq!(first.len(), 50_000);
        assert_eq!(first[1], ("x1".to_string(), Some("y".to_string())));
        assert_eq!(first.iter().filter(|(_, b)| b.is_none()).count(), 16_667);
        assert_eq!(spool.rows(), 50_000);
        assert!(spool.failure().is_none());

        let read_back = spool.read(&context).unwrap();
        assert_eq!(
            read_back.schema().fields().len(),
            2,
            "only the kept columns"
        );
        let second = values(read_back).await;
        assert_eq!(second, first);
        assert_eq!(values(read().await).await, first);
        assert_eq!(
            std::fs::read_dir(&spool_dir).map_or(0, |files| files.count()),
            if in_memory { 0 } else { 3 }
        );
        if in_memory {
            let again = spool.read(&context).unwrap().collect().await.unwrap_err();
            assert!(again.to_string().contains("read twice"), "{again}");
        }

        drop(spool);
        assert!(!spool_dir.exists());
    }

    #[tokio::test]
    async fn a_spool_not_read_to_its_end_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = text_csv(dir.path(), 10_000);
        let context = SessionContext::new_with_config(SessionConfig::new().with_batch_size(1000));
        let text = context
            .read_csv(input.to_string_lossy().into_owned(), CsvReadOptions::new())
            .await
            .unwrap();
        for in_memory in [false, true] {
            let mut spool = Spool::create(dir.path().join(".spool"), in_memory).unwrap();
            let teed = spool.tee(&context, text.clone(), 1).await.unwrap();
            let first = teed.limit(0, Some(10)).unwrap().collect().await.unwrap();
            assert_eq!(first.iter().map(|b| b.num_rows()).sum::<usize>(), 10);
            let error = spool.read(&context).unwrap_err();
            assert!(
                error.to_string().contains("was not written to its end"),
                "{error}"
            );
        }
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_the_output_s_fault() {
        let dir = tempfile::tempdir().unwrap();
        let error =
            Spool::create(dir.path().join("missing").join(".out.spool"), false).unwrap_err();
        assert!(
            matches!(error, BatchError::OutputUnwritable { .. }),
            "{error}"
        );
    }
}
