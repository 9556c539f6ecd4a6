//! The analytics stage as stage two of a job split over processes (`stream --stage merge`): its
//! records are the partial records of the stage-one workers ([`PartialRecord`]), each handed to the
//! engine's stage two by its source partition and position, so a partial seen twice changes
//! nothing. The first record names the source topic and its partition count; the engine then
//! waits for every one of those partitions. A partial of another topic, or one that does not fit
//! the windows, is a dead letter.

use retailflow_eventtime::{EngineSnapshot, PartitionId};

use crate::analytics::AnalyticsStage;
use crate::dead_letter::{Reason, Rejection};
use crate::message::MessageMeta;
use crate::monitor::StageHealth;
use crate::output::ResultSet;
use crate::scale::PartialRecord;
use crate::stage::{BatchContext, Stage};

/// The analytics stage taking partial records.
#[derive(Debug)]
pub struct MergeStage {
    stage: AnalyticsStage,
    /// The source topic the partials come from, once the first arrived.
    merging: Option<String>,
    /// End the run once every source partition has finished.
    stop_when_complete: bool,
}

impl MergeStage {
    /// Stage two over `stage`'s engine; with `stop_when_complete` it ends the run once every
    /// source partition has finished (`--until-end`).
    pub fn new(stage: AnalyticsStage, stop_when_complete: bool) -> Self {
        MergeStage {
            stage,
            merging: None,
            stop_when_complete,
        }
    }

    /// The analytics stage (engine, counters).
    pub fn analytics(&self) -> &AnalyticsStage {
        &self.stage
    }
}

impl Stage<PartialRecord> for MergeStage {
    fn begin_batch(&mut self, processing_time: retailflow_eventtime::ProcessingTime) {
        self.stage.now = processing_time;
    }

    fn on_record(&mut self, _meta: &MessageMeta, record: PartialRecord) -> Result<(), Rejection> {
        let stage = &mut self.stage;
        match &self.merging {
            Some(source) if *source != record.source => {
                return Err(Rejection::new(
                    Reason::Schema,
                    format!(
                        "a partial of topic {}, but this merge takes the partials of {source}",
                        record.source
                    ),
                ));
            }
            Some(_) => {}
            None => {
                stage
                    .engine
                    .expect_partitions((0..record.partitions).map(PartitionId));
                self.merging = Some(record.source.clone());
            }
        }
        let before = stage.pending.len();
        let taken = stage.engine.take_partial(
            PartitionId(record.partition),
            record.position,
            record.data,
            &mut stage.pending,
        );
        if stage.pending.len() > before {
            stage.note_emitted(before);
        }
        taken.map(|_| ()).map_err(|error| {
            Rejection::new(
                Reason::Schema,
                format!("a partial that does not fit these windows: {error}"),
            )
        })
    }

    fn end_batch(&mut self, context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
        self.stage.batch_results(context)
    }

    fn end_input(&mut self, _context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
        self.stage.final_results()
    }

    fn is_complete(&self) -> bool {
        self.stop_when_complete && self.stage.engine.all_partitions_done()
    }

    fn engine_snapshot(&self) -> Option<EngineSnapshot> {
        Some(self.stage.engine.snapshot())
    }

    fn health(&self) -> StageHealth {
        self.stage.stage_health()
    }
}
