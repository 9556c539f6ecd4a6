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

/// Version of the checkpoint layout; bumped on incompatible changes (2: the job identity holds
/// the settings' structure).
pub const CHECKPOINT_FORMAT: u32 = 2;

/// What a checkpoint belongs to. A restart must match it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobIdentity {
    /// The source, as written in dead letters: `file:<path>` or `kafka:<topic>`.
    pub source: String,
    /// Every setting that shapes what the run writes, as the settings serialize: a setting added
    /// to them is part of the identity without being listed anywhere.
    pub settings: serde_json::Value,
}

impl JobIdentity {
    /// The identity of a job reading `source` with `settings`.
    pub fn new(source: impl Into<String>, settings: &impl Serialize) -> Self {
        let settings = serde_json::to_value(settings)
            .unwrap_or_else(|e| serde_json::Value::String(format!("unrepresentable: {e}")));
        JobIdentity {
            source: source.into(),
            settings,
        }
    }

    /// The first difference from `other`, in words, or `None` when they are the same job.
    pub fn difference(&self, other: &JobIdentity) -> Option<String> {
        if self.source != other.source {
            return Some(format!(
                "its source was `{}`, this run's is `{}`",
                self.source, other.source
            ));
        }
        first_difference("settings", &self.settings, &other.settings)
    }
}

/// The first place, depth first, where `mine` and `theirs` differ: its path and both values.
fn first_difference(
    path: &str,
    mine: &serde_json::Value,
    theirs: &serde_json::Value,
) -> Option<String> {
    use serde_json::Value;
    match (mine, theirs) {
        (Value::Object(mine), Value::Object(theirs)) => {
            let keys = mine
                .keys()
                .chain(theirs.keys().filter(|key| !mine.contains_key(*key)));
            keys.into_iter().find_map(|key| {
                let absent = Value::Null;
                first_difference(
                    &format!("{path}.{key}"),
                    mine.get(key).unwrap_or(&absent),
                    theirs.get(key).unwrap_or(&absent),
                )
            })
        }
        (Value::Array(mine), Value::Array(theirs)) if mine.len() == theirs.len() => mine
            .iter()
            .zip(theirs)
            .enumerate()
            .find_map(|(index, (mine, theirs))| {
                first_difference(&format!("{path}[{index}]"), mine, theirs)
            }),
        (mine, theirs) => {
            (mine != theirs).then(|| format!("its {path} was `{mine}`, this run's is `{theirs}`"))
        }
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
        JobIdentity::new(
            "file:in.jsonl",
            &serde_json::json!({"outputs": ["jsonl:out.jsonl"], "analytics": {"window": 10_000}}),
        )
    }

    #[test]
    fn a_different_job_is_described() {
        assert_eq!(job().difference(&job()), None);
        let other = JobIdentity::new(
            "file:in.jsonl",
            &serde_json::json!({"outputs": ["jsonl:out.jsonl"], "analytics": {"window": 5_000}}),
        );
        assert_eq!(
            job().difference(&other).unwrap(),
            "its settings.analytics.window was `10000`, this run's is `5000`"
        );
        let more_outputs = JobIdentity::new(
            "file:in.jsonl",
            &serde_json::json!({"outputs": ["jsonl:out.jsonl", "console"], "analytics": {"window": 10_000}}),
        );
        assert_eq!(
            job().difference(&more_outputs).unwrap(),
            r#"its settings.outputs was `["jsonl:out.jsonl"]`, this run's is `["jsonl:out.jsonl","console"]`"#
        );
        let without_analytics = JobIdentity::new(
            "file:in.jsonl",
            &serde_json::json!({"outputs": ["jsonl:out.jsonl"]}),
        );
        assert_eq!(
            job().difference(&without_analytics).unwrap(),
            r#"its settings.analytics was `{"window":10000}`, this run's is `null`"#
        );
        let other_source = JobIdentity::new("kafka:receipts", &serde_json::json!({}));
        assert_eq!(
            job().difference(&other_source).unwrap(),
            "its source was `file:in.jsonl`, this run's is `kafka:receipts`"
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
