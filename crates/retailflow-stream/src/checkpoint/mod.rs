//! `--checkpoint DIR`: what a run records after each batch so that a restart — after a clean stop,
//! a crash or `kill -9` — goes on exactly where the last completed batch ended, neither losing nor
//! repeating a result.
//!
//! A [`Checkpoint`] holds, for one batch boundary: where the source stands (file byte offset and
//! line, or the next offset of every Kafka partition), where every output stands
//! ([`SinkPosition`]: a JSONL file's length, or the Kafka transaction of that batch), the
//! event-time engine's whole state (open windows, watermarks, names), and the run's totals. It is
//! written after the batch's results and dead letters are durable and before offsets are
//! committed to Kafka, into a new file renamed into place, so it is whole or absent ([`store`]).
//!
//! On restart the outputs are cut back to the recorded lengths (anything written after the last
//! checkpoint is removed, then produced again from the same input), the engine is restored, and the
//! source seeks to the recorded position. A crash at any instant therefore leaves either the old
//! checkpoint with the outputs as they were at it, or the new one.
//!
//! The checkpoint also records the job it belongs to ([`JobIdentity`]); a run with another input,
//! output or window settings refuses to resume from it.

pub mod store;

use serde::{Deserialize, Serialize};

use retailflow_eventtime::EngineSnapshot;

use crate::dead_letter::ReasonCounts;
use crate::message::Positions;
use crate::output::SinkPosition;

pub use store::{CheckpointStore, Sharing};

/// Version of the checkpoint layout; bumped on incompatible changes.
pub const CHECKPOINT_FORMAT: u32 = 1;

/// What a checkpoint belongs to. A restart must match it exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobIdentity {
    /// The source, as written in dead letters: `file:<path>` or `kafka:<topic>`.
    pub source: String,
    /// The results' destination, e.g. `jsonl:out.jsonl`.
    pub output: String,
    /// The dead letters' destination, e.g. `file:in.dlq.jsonl`.
    pub dead_letters: String,
    /// The analytics' settings in words (windows, lateness, thresholds, mode); empty without them.
    pub analytics: String,
}

impl JobIdentity {
    /// The first difference from `other`, in words, or `None` when they are the same job.
    pub fn difference(&self, other: &JobIdentity) -> Option<String> {
        let fields = [
            ("source", &self.source, &other.source),
            ("output", &self.output, &other.output),
            ("dead letters", &self.dead_letters, &other.dead_letters),
            ("analytics", &self.analytics, &other.analytics),
        ];
        fields
            .into_iter()
            .find(|(_, mine, theirs)| mine != theirs)
            .map(|(what, mine, theirs)| {
                format!("its {what} was `{mine}`, this run's is `{theirs}`")
            })
    }
}

/// Where the source stood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourcePosition {
    /// A file: the next line to read (1-based) and the byte where it starts.
    File {
        /// Number of the next line.
        next_line: i64,
        /// Byte offset of the next line.
        byte_offset: u64,
    },
    /// Kafka: the next offset to read in every partition read so far.
    Kafka {
        /// `partition -> next offset`.
        offsets: Positions,
    },
}

/// The run's totals at a checkpoint, so the counts a resumed run prints go on from there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Batches printed (the next batch has this number).
    pub batches: u64,
    /// Messages read.
    pub messages: u64,
    /// Messages processed.
    pub processed: u64,
    /// Dead letters by reason.
    pub dead_lettered: ReasonCounts,
}

/// Everything recorded at one batch boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// [`CHECKPOINT_FORMAT`] of the writer.
    pub format: u32,
    /// Number of this checkpoint: 1 for the first batch a job completes, one more per batch.
    pub epoch: u64,
    /// The job.
    pub job: JobIdentity,
    /// Totals so far.
    pub totals: Totals,
    /// Where the source stood.
    pub source: SourcePosition,
    /// Where each result output stood, in `--output` order.
    pub outputs: Vec<SinkPosition>,
    /// Where the dead letters stood.
    pub dead_letters: SinkPosition,
    /// The analytics engine's state, when the run has analytics.
    pub engine: Option<EngineSnapshot>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> JobIdentity {
        JobIdentity {
            source: "file:in.jsonl".into(),
            output: "jsonl:out.jsonl".into(),
            dead_letters: "file:in.dlq.jsonl".into(),
            analytics: "window 10s".into(),
        }
    }

    #[test]
    fn a_different_job_is_described() {
        assert_eq!(job().difference(&job()), None);
        let other = JobIdentity {
            analytics: "window 5s".into(),
            ..job()
        };
        assert_eq!(
            job().difference(&other).unwrap(),
            "its analytics was `window 10s`, this run's is `window 5s`"
        );
    }

    #[test]
    fn a_checkpoint_reads_back_as_written() {
        let checkpoint = Checkpoint {
            format: CHECKPOINT_FORMAT,
            epoch: 3,
            job: job(),
            totals: Totals {
                batches: 3,
                messages: 10,
                processed: 9,
                dead_lettered: ReasonCounts::default(),
            },
            source: SourcePosition::Kafka {
                offsets: Positions::from_pairs([(0, 4), (2, 7)]),
            },
            outputs: vec![SinkPosition::FileLength {
                path: "out.jsonl".into(),
                bytes: 1234,
            }],
            dead_letters: SinkPosition::Untracked,
            engine: None,
        };
        let text = serde_json::to_string(&checkpoint).unwrap();
        assert!(
            text.contains(r#""source":{"kind":"kafka","offsets":[[0,4],[2,7]]}"#),
            "{text}"
        );
        let back: Checkpoint = serde_json::from_str(&text).unwrap();
        assert_eq!(back, checkpoint);
    }
}
