//! The two stages in different processes. A stage one ([`PartitionWindows`](crate::PartitionWindows))
//! hands its [`StageEvent`]s on as [`PartialEvent`]s, plain data another process can read, each
//! with its [`PartialPosition`]: where in the partition's input it was caused. Stage two, an
//! [`Engine`] that runs no stage one of its own, takes them with [`Engine::take_partial`] and
//! ignores any it has already taken, so a partial delivered twice changes nothing.
//!
//! Only what a partition's records decide crosses processes: results of single records, notes,
//! final partials and the watermark. Provisional partials (update mode) and idleness depend on
//! processing time in the process that saw the records, so a job split over processes runs in
//! append mode, and a partition is done when its watermark reaches the end of time.

use serde::{Deserialize, Serialize};

use crate::analyses::Note;
use crate::engine::Engine;
use crate::error::RestoreError;
use crate::merge::Progress;
use crate::output::Output;
use crate::partition::StageEvent;
use crate::snapshot::{NamesSnapshot, partial_snapshot, restored_partial};
use crate::state::PaneSnapshot;
use crate::time::EventTime;
use crate::watermark::PartitionId;

/// Where a [`PartialEvent`] was caused in its partition's input: the offset of the record (for
/// the events of the end of the input, the partition's end offset), then its place among that
/// record's events. Positions grow within a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PartialPosition {
    /// The record's offset.
    pub offset: i64,
    /// The event's place among the record's events.
    pub index: u32,
}

/// An event of one partition's stage one, as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PartialEvent {
    /// A result of one record (a big receipt).
    Output {
        /// The result.
        output: Output,
    },
    /// What an analysis's stage two needs of one record.
    Note {
        /// The note.
        note: Note,
    },
    /// The partition's share of a window its watermark passed.
    Final {
        /// The partition's names, which the pane's ids refer to.
        names: NamesSnapshot,
        /// The window's pane (its start is the window's).
        pane: PaneSnapshot,
    },
    /// The partition's watermark moved here (the end of time: the partition is done).
    Watermark {
        /// The watermark.
        watermark: EventTime,
    },
}

/// A stage-one event that cannot cross processes (it depends on processing time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {0} event cannot be handed to another process (use append mode, without idleness)")]
pub struct LocalOnly(&'static str);

impl PartialEvent {
    /// `event` as data.
    pub fn from_stage_event(event: &StageEvent) -> Result<Self, LocalOnly> {
        Ok(match event {
            StageEvent::Output(output) => PartialEvent::Output {
                output: output.clone(),
            },
            StageEvent::Note(note) => PartialEvent::Note { note: note.clone() },
            StageEvent::Final(partial) => {
                let (names, pane) = partial_snapshot(partial);
                PartialEvent::Final { names, pane }
            }
            StageEvent::Watermark(watermark) => PartialEvent::Watermark {
                watermark: *watermark,
            },
            StageEvent::Provisional(_) => return Err(LocalOnly("provisional partial")),
            StageEvent::Idle => return Err(LocalOnly("partition idle")),
            StageEvent::Active => return Err(LocalOnly("partition active")),
        })
    }
}

impl Engine {
    /// Stage two of a job whose stage ones run elsewhere: every partition of the input, so that
    /// one that has sent nothing yet holds the watermark back. Known partitions are unaffected.
    pub fn expect_partitions(&mut self, partitions: impl IntoIterator<Item = PartitionId>) {
        for partition in partitions {
            self.merger.declare(partition, EventTime::MIN);
        }
    }

    /// Takes one event of `partition`'s stage one from another process, appending the results
    /// it releases to `out`. Events must come in the order of their positions; one at or before
    /// the last position taken from the partition was taken already and is ignored (returns
    /// `false`). An event whose data does not fit these windows is refused.
    pub fn take_partial(
        &mut self,
        partition: PartitionId,
        position: PartialPosition,
        event: PartialEvent,
        out: &mut Vec<Output>,
    ) -> Result<bool, RestoreError> {
        let progress = self
            .merger
            .partitions
            .entry(partition)
            .or_insert_with(|| Progress::new(EventTime::MIN));
        if progress.last_partial.is_some_and(|last| position <= last) {
            return Ok(false);
        }
        let event = match event {
            PartialEvent::Output { output } => StageEvent::Output(output),
            PartialEvent::Note { note } => StageEvent::Note(note),
            PartialEvent::Final { names, pane } => {
                StageEvent::Final(Box::new(restored_partial(names, pane, self.windowing)?))
            }
            PartialEvent::Watermark { watermark } => StageEvent::Watermark(watermark),
        };
        progress.last_partial = Some(position);
        self.merger.feed(partition, &mut vec![event], out);
        Ok(true)
    }

    /// Whether every partition stage two knows of has reached the end of time (each stage one
    /// finished its input) and so every window was emitted.
    pub fn all_partitions_done(&self) -> bool {
        !self.merger.partitions.is_empty() && self.merger.watermark() == EventTime::MAX
    }
}
