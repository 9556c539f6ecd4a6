//! Watching a run while it goes: after every trigger the pipeline hands a [`Monitor`] the batch's
//! results and the run's health (counts, watermarks, lag, checkpoint). A monitor only observes: it
//! cannot fail the run or slow it down, so it must return at once (the live dashboard copies what
//! it needs and hands it to its own threads through a bounded channel).

use std::sync::Arc;
use std::time::Duration;

use retailflow_eventtime::{EventTime, ProcessingTime};

use crate::dead_letter::ReasonCounts;
use crate::output::ResultSet;

/// One partition of the source as the run sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionHealth {
    /// The partition (0 for a file).
    pub partition: i32,
    /// Its own watermark, if it has sent an event.
    pub watermark: Option<EventTime>,
    /// Whether it is idle and so not holding the stream's watermark back.
    pub idle: bool,
    /// Messages in it not read yet (Kafka: the high watermark minus the next offset), when known.
    pub lag: Option<i64>,
}

/// The last checkpoint saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointHealth {
    /// When it was saved (wall clock).
    pub saved_at: ProcessingTime,
    /// How long making the outputs durable and saving it took.
    pub took: Duration,
}

/// What a stage knows of the run's event time: the stream's watermark and each partition's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageHealth {
    /// The stream's watermark, once there is one.
    pub watermark: Option<EventTime>,
    /// Every partition the stage tracks, by number (lag not filled in).
    pub partitions: Vec<PartitionHealth>,
}

/// The run's health after a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunHealth {
    /// Where the messages come from: `kafka:<topic>` or `file:<path>`.
    pub source: String,
    /// Wall-clock time of this report.
    pub at: ProcessingTime,
    /// Whether the run has ended (its last report).
    pub ended: bool,
    /// Messages read so far.
    pub received: u64,
    /// Messages parsed and taken by the stage.
    pub processed: u64,
    /// Messages sent to the dead letters, by reason (late records among them).
    pub dead_letters: ReasonCounts,
    /// Batches written.
    pub batches: u64,
    /// The stream's watermark and the partitions' state, with Kafka lag where known.
    pub stage: StageHealth,
    /// The last checkpoint, with `--checkpoint`.
    pub checkpoint: Option<CheckpointHealth>,
}

/// Watches a run: told of every trigger's results and of the run's health.
pub trait Monitor: Send + Sync {
    /// A trigger is done: `results` are the ones just written to the outputs (possibly none).
    fn on_batch(&self, results: &[Box<dyn ResultSet>], health: &RunHealth);
}

/// The monitors of a run, as the [`crate::Environment`] carries them (none by default).
#[derive(Clone, Default)]
pub struct Monitors(Vec<Arc<dyn Monitor>>);

impl std::fmt::Debug for Monitors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Monitors({})", self.0.len())
    }
}

impl Monitors {
    /// No monitor.
    pub fn none() -> Self {
        Self::default()
    }

    /// These monitors and `monitor`.
    pub fn with(mut self, monitor: Arc<dyn Monitor>) -> Self {
        self.0.push(monitor);
        self
    }

    /// Whether there is none (the pipeline then skips gathering the health).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Tells every monitor.
    pub(crate) fn on_batch(&self, results: &[Box<dyn ResultSet>], health: &RunHealth) {
        for monitor in &self.0 {
            monitor.on_batch(results, health);
        }
    }
}
