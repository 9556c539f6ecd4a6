//! Where messages come from. A [`Source`] hands out messages one poll at a time into the current
//! [`MessageBatch`]; after that, Kafka and files take the same path through the pipeline.
//!
//! One file per source: [`kafka`] (a consumer-group member, optionally bounded by the end offsets
//! seen at start) and [`file`](mod@file) (a JSONL file, line by line, bounded by its end).

pub mod file;
pub mod kafka;

use std::path::PathBuf;
use std::time::Duration;

use rdkafka::TopicPartitionList;
use rdkafka::consumer::ConsumerGroupMetadata;

use crate::checkpoint::SourcePosition;
use crate::error::StreamError;
use crate::message::{MessageBatch, Positions};

pub use file::FileSource;
pub use kafka::{KafkaSource, KafkaSourceConfig, StartFrom};

/// The `--source` choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// A Kafka topic (`kafka`).
    Kafka,
    /// A JSONL file (`file:PATH`).
    File(PathBuf),
}

impl SourceSpec {
    /// Parses `kafka` or `file:PATH`.
    pub fn parse(text: &str) -> Result<Self, StreamError> {
        if text == "kafka" {
            return Ok(SourceSpec::Kafka);
        }
        match text.strip_prefix("file:") {
            Some(path) if !path.is_empty() => Ok(SourceSpec::File(PathBuf::from(path))),
            _ => Err(StreamError::invalid(
                "source",
                text,
                "use `kafka` or `file:PATH.jsonl`",
            )),
        }
    }
}

/// What one poll produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polled {
    /// One message was appended to the batch.
    Message,
    /// Nothing arrived within the timeout (or the source is backing off after an error).
    Nothing,
    /// A bounded input is exhausted: no message will ever come.
    End,
}

/// A Kafka source's offsets for its consumer group, to commit inside a producer's transaction.
pub struct GroupOffsets {
    /// The next offset of every partition.
    pub offsets: TopicPartitionList,
    /// The consumer's group metadata.
    pub group: ConsumerGroupMetadata,
}

impl std::fmt::Debug for GroupOffsets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupOffsets")
            .field("offsets", &self.offsets)
            .finish()
    }
}

/// A source of messages.
pub trait Source {
    /// Where the messages come from, as written in dead letters: `kafka:<topic>` or `file:<path>`.
    fn name(&self) -> &str;

    /// Waits up to about `timeout` for one message and appends it to `batch`.
    fn poll(&mut self, timeout: Duration, batch: &mut MessageBatch) -> Result<Polled, StreamError>;

    /// The partitions this source reads now (for Kafka: those assigned to this group member), in
    /// order; `None` when it cannot tell. Checked after each batch is gathered.
    fn partitions(&self) -> Option<Vec<i32>> {
        None
    }

    /// Where the source stands after every message handed out so far, for a checkpoint;
    /// `positions` are the pipeline's (the next offset of every partition read, including those
    /// restored from an earlier checkpoint). Kafka records those offsets.
    fn checkpoint_position(&self, positions: &Positions) -> SourcePosition {
        SourcePosition::Kafka {
            offsets: positions.clone(),
        }
    }

    /// The offsets a checkpoint at `positions` records, with the consumer group they belong to, for
    /// a transactional output to commit with its results; `None` for a source without a group.
    fn group_offsets(&self, positions: &Positions) -> Option<GroupOffsets> {
        let _ = positions;
        None
    }

    /// Messages not read yet per partition, `(partition, lag)`, after `positions`, as far as the
    /// source knows without asking anyone (Kafka: from the high watermarks of its last fetches);
    /// empty when it cannot tell.
    fn lag(&mut self, positions: &Positions) -> Vec<(i32, i64)> {
        let _ = positions;
        Vec::new()
    }

    /// Records that everything before `positions` is fully handled (results and dead letters
    /// written). Kafka commits these offsets for the consumer group; a file has nothing to do.
    fn commit(&mut self, positions: &Positions) -> Result<(), StreamError>;

    /// Releases the source (for Kafka: leaves the consumer group cleanly).
    fn close(&mut self) -> Result<(), StreamError>;
}
