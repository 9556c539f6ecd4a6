//! Where dead letters go: a JSONL file or a Kafka topic, one JSON object per refused message (see
//! [`DeadLetter`]). Flushed before offsets are committed, so a dead letter is never lost.

pub mod file;
pub mod kafka;

use std::path::PathBuf;

use crate::dead_letter::DeadLetter;
use crate::error::StreamError;
use crate::output::SinkPosition;

pub use file::FileDeadLetters;
pub use kafka::KafkaDeadLetters;

/// A destination for dead letters.
pub trait DeadLetterSink {
    /// Queues one dead letter.
    fn send(&mut self, letter: &DeadLetter<'_>) -> Result<(), StreamError>;

    /// Makes sure every queued dead letter is stored.
    fn flush(&mut self) -> Result<(), StreamError>;

    /// Where the dead letters go, for status lines.
    fn describe(&self) -> String;

    /// Makes the dead letters sent so far durable for a checkpoint and returns the position to
    /// record (see [`crate::output::Sink::prepare_checkpoint`]). A topic is not rewound: after a
    /// crash, dead letters sent since the last checkpoint may be sent again, unless they are
    /// written in the Kafka output's transactions ([`KafkaDeadLetters::in_transactions_of`]).
    fn prepare_checkpoint(&mut self) -> Result<SinkPosition, StreamError> {
        self.flush()?;
        Ok(SinkPosition::Untracked)
    }
}

/// The `--dlq` choice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum DeadLetterSpec {
    /// A Kafka topic (`topic:NAME`).
    Topic(String),
    /// A JSONL file (`file:PATH`).
    File(PathBuf),
}

impl DeadLetterSpec {
    /// Parses `topic:NAME` or `file:PATH`.
    pub fn parse(text: &str) -> Result<Self, StreamError> {
        if let Some(topic) = text.strip_prefix("topic:").filter(|t| !t.is_empty()) {
            return Ok(DeadLetterSpec::Topic(topic.to_string()));
        }
        if let Some(path) = text.strip_prefix("file:").filter(|p| !p.is_empty()) {
            return Ok(DeadLetterSpec::File(PathBuf::from(path)));
        }
        Err(StreamError::invalid(
            "dead-letter sink",
            text,
            "use `topic:NAME` or `file:PATH`",
        ))
    }
}

/// The default dead-letter file beside a JSONL input: `receipts.jsonl` → `receipts.dlq.jsonl`.
pub fn default_dead_letter_file(input: &std::path::Path) -> PathBuf {
    let stem = match input.extension().and_then(|e| e.to_str()) {
        Some("jsonl") => input.with_extension(""),
        _ => input.to_path_buf(),
    };
    let mut name = stem.into_os_string();
    name.push(".dlq.jsonl");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn specs_and_defaults() {
        assert_eq!(
            DeadLetterSpec::parse("topic:receipts-dlq").unwrap(),
            DeadLetterSpec::Topic("receipts-dlq".into())
        );
        assert_eq!(
            DeadLetterSpec::parse("file:bad.jsonl").unwrap(),
            DeadLetterSpec::File("bad.jsonl".into())
        );
        assert!(DeadLetterSpec::parse("bad.jsonl").is_err());
        assert!(DeadLetterSpec::parse("topic:").is_err());
        assert_eq!(
            default_dead_letter_file(Path::new("in/receipts.jsonl")),
            Path::new("in/receipts.dlq.jsonl")
        );
        assert_eq!(
            default_dead_letter_file(Path::new("data.txt")),
            Path::new("data.txt.dlq.jsonl")
        );
    }
}
