//! The processing stage plugged into the pipeline after parsing.
//!
//! The pipeline calls a [`Stage`] for every parsed record of a micro-batch (with the record's
//! partition and offset), then once at the end of the batch and once at the end of a bounded input;
//! what the stage returns goes to every sink. The plain `stream` command uses
//! [`crate::output::RecordsStage`] (show the records); the windowed analytics are another stage.

use retailflow_eventtime::{EngineSnapshot, ProcessingTime};

use retailflow_receipts::schema::RecordFormat;
use retailflow_receipts::size::check_message_size;

use crate::dead_letter::Rejection;
use crate::message::{MessageBatch, MessageMeta, Positions};
use crate::monitor::StageHealth;
use crate::output::ResultSet;

/// What a stage knows about the batch being finished.
#[derive(Debug, Clone, Copy)]
pub struct BatchContext<'a> {
    /// The number this batch is printed with, if it is printed (batches with nothing to show are
    /// skipped without using a number).
    pub batch_id: u64,
    /// Wall-clock time at the end of the batch (milliseconds since the epoch, from the pipeline's
    /// clock).
    pub processing_time: ProcessingTime,
    /// Read positions after this batch, per partition (the offsets about to be committed).
    pub positions: &'a Positions,
}

/// A step that consumes parsed records and produces results per micro-batch.
///
/// Call order per batch: [`Stage::on_partitions`] when the source's partitions changed (and for the
/// first batch that knows them), [`Stage::begin_batch`], [`Stage::on_record`] for each parsed
/// record in arrival order, [`Stage::end_batch`]; after the last batch of a bounded input,
/// [`Stage::end_input`].
pub trait Stage<R> {
    /// The partitions the source reads changed (a Kafka rebalance, or the first assignment; a file
    /// is partition 0). Called before the records of the batch, so a stage can track every
    /// partition — including ones that have sent nothing yet — from the start.
    fn on_partitions(&mut self, partitions: &[i32], processing_time: ProcessingTime) {
        let _ = (partitions, processing_time);
    }

    /// A batch's messages were gathered and are about to be handed over; `processing_time` is the
    /// wall clock now (milliseconds since the epoch).
    fn begin_batch(&mut self, processing_time: ProcessingTime) {
        let _ = processing_time;
    }

    /// Takes one parsed record. Returning a rejection (e.g. reason `late`) sends the original
    /// message to the dead letters instead; the record then counts as dead-lettered, not processed.
    fn on_record(&mut self, meta: &MessageMeta, record: R) -> Result<(), Rejection>;

    /// Takes a whole batch: refuses payloads over `max_message_size`, parses each by `format` and
    /// hands it on, returning each message's outcome in batch order. By default one by one with
    /// [`Stage::on_record`]; a stage may spread the work over threads, as long as the outcomes
    /// and results are the same.
    fn on_batch<F>(
        &mut self,
        batch: &MessageBatch,
        format: &F,
        max_message_size: usize,
    ) -> Vec<Result<(), Rejection>>
    where
        F: RecordFormat<Record = R> + Sync,
    {
        batch
            .iter()
            .map(|message| {
                check_message_size(message.meta.size, max_message_size)
                    .and_then(|()| format.parse(message.payload))
                    .and_then(|record| self.on_record(&message.meta, record))
            })
            .collect()
    }

    /// The batch is complete: return its results (possibly none). Called after every trigger, even
    /// when no message arrived, so processing-time logic (idle partitions) can run.
    fn end_batch(&mut self, context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>>;

    /// A bounded input is exhausted (end of file, or `--until-end` reached): return the final
    /// results (e.g. every window still open). Called once, after the last `end_batch`; the results
    /// belong to that last batch.
    fn end_input(&mut self, context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
        let _ = context;
        Vec::new()
    }

    /// Whether the stage has taken all it ever will (e.g. stage two once every source partition
    /// has finished): the pipeline then ends the run as at the end of a bounded input. Asked
    /// after each batch's records.
    fn is_complete(&self) -> bool {
        false
    }

    /// The state a checkpoint must hold to resume this stage (the analytics engine's), taken after
    /// `end_batch`; `None` for a stage without state.
    fn engine_snapshot(&self) -> Option<EngineSnapshot> {
        None
    }

    /// The stream's watermark and each partition's, for the monitors; a stage without event time
    /// has none.
    fn health(&self) -> StageHealth {
        StageHealth::default()
    }
}
