//! The input parsed once: while pass 1 reads the CSV, every batch it parses and casts (dates
//! excepted, as their format is not known yet) is also written, as it goes by, to a spool of Arrow
//! IPC files (one per partition) in a folder beside the output; pass 2 reads the spool instead of
//! parsing and casting the CSV a second time. Batches stream through in both directions, so memory
//! stays bounded whatever the input size; the folder is removed when the job ends, whatever the
//! outcome. Plans sent to a cluster read the file twice instead, as the executors do not share this
//! process's disk.

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

/// The spool of one job: its folder and what each partition wrote to it.
#[derive(Debug)]
pub(crate) struct Spool {
    dir: PathBuf,
    parts: Vec<Arc<Part>>,
    schema: Option<SchemaRef>,
}

/// One partition's file and how writing it went.
#[derive(Debug)]
struct Part {
    path: PathBuf,
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
    /// A new, empty spool in `dir` (created; a folder left there by an earlier run is replaced).
    pub(crate) fn create(dir: PathBuf) -> Result<Self, BatchError> {
        let unwritable = |error: std::io::Error| BatchError::OutputUnwritable {
            path: dir.clone(),
            reason: error.to_string(),
        };
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(unwritable)?;
        }
        std::fs::create_dir(&dir).map_err(unwritable)?;
        Ok(Self {
            dir,
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
                    path: part.path.clone(),
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
        let writer = File::create(&self.part.path)
            .map_err(|e| e.to_string())
            .and_then(|file| {
                FileWriter::try_new(BufWriter::new(file), &self.spooled).map_err(|e| e.to_string())
            });
        match writer {
            Ok(writer) => Box::pin(Tee {
                inner,
                kept: self.kept.clone(),
                writer: Some(writer),
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

/// The stream of a [`TeePartition`]: yields the input's batches, writing each as it passes.
struct Tee {
    inner: SendableRecordBatchStream,
    kept: Vec<usize>,
    writer: Option<FileWriter<BufWriter<File>>>,
    part: Arc<Part>,
}

impl Tee {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), DataFusionError> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| DataFusionError::Internal("a batch after the spool's end".into()))?;
        let kept = batch
            .project(&self.kept)
            .map_err(|e| DataFusionError::Internal(format!("spooled columns: {e}")))?;
        for offset in (0..kept.num_rows()).step_by(SPOOL_BATCH_ROWS) {
            let rows = SPOOL_BATCH_ROWS.min(kept.num_rows() - offset);
            writer
                .write(&kept.slice(offset, rows))
                .map_err(|e| self.part.fail(e.to_string()))?;
        }
        self.part
            .rows
            .fetch_add(batch.num_rows() as u64, Ordering::AcqRel);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), DataFusionError> {
        if let Some(mut writer) = self.writer.take() {
            writer.finish().map_err(|e| self.part.fail(e.to_string()))?;
            self.part.finished.store(true, Ordering::Release);
        }
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

/// One file of the spool, read back batch by batch.
#[derive(Debug)]
struct SpooledPartition {
    schema: SchemaRef,
    path: PathBuf,
}

impl PartitionStream for SpooledPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _context: Arc<TaskContext>) -> SendableRecordBatchStream {
        let path = self.path.clone();
        let unreadable = move |reason: String| {
            DataFusionError::Execution(format!("cannot read {}: {reason}", path.display()))
        };
        let batches = File::open(&self.path)
            .map_err(|e| e.to_string())
            .and_then(|file| FileReader::try_new_buffered(file, None).map_err(|e| e.to_string()));
        let stream: Pin<Box<dyn Stream<Item = Result<RecordBatch, DataFusionError>> + Send>> =
            match batches {
                Ok(reader) => Box::pin(stream::iter(
                    reader.map(move |batch| batch.map_err(|e| unreadable(e.to_string()))),
                )),
                Err(reason) => Box::pin(stream::once({
                    let error = unreadable(reason);
                    async { Err(error) }
                })),
            };
        Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            stream,
        ))
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
        let mut spool = Spool::create(spool_dir.clone()).unwrap();
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
        let mut spool = Spool::create(dir.path().join(".spool")).unwrap();
        let teed = spool.tee(&context, text, 1).await.unwrap();
        let first = teed.limit(0, Some(10)).unwrap().collect().await.unwrap();
        assert_eq!(first.iter().map(|b| b.num_rows()).sum::<usize>(), 10);
        let error = spool.read(&context).unwrap_err();
        assert!(
            error.to_string().contains("was not written to its end"),
            "{error}"
        );
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_the_output_s_fault() {
        let dir = tempfile::tempdir().unwrap();
        let error = Spool::create(dir.path().join("missing").join(".out.spool")).unwrap_err();
        assert!(
            matches!(error, BatchError::OutputUnwritable { .. }),
            "{error}"
        );
    }
}
