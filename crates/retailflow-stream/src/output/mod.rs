//! Where results go. A stage returns its results for a batch as [`ResultSet`]s (typed rows that can
//! be shown as a table or written as JSON objects); every [`Sink`] lays them out in its own way:
//! [`console`] as Spark's console sink does (in [`ResultSet::tables`] when the results offer a
//! table layout), [`jsonl`] as one JSON object per line, [`kafka`] as one JSON message each on a
//! Kafka topic, keyed by [`ResultSet::key`]. `--output` may name several of them ([`OutputSpec::check_all`]).
//!
//! [`records`] is the stage that shows the parsed records themselves (the plain `stream` output).

pub mod console;
pub mod jsonl;
pub mod kafka;
pub mod records;

use std::path::PathBuf;

use retailflow_eventtime::Output;

use crate::error::StreamError;
use crate::source::GroupOffsets;

pub use console::ConsoleSink;
pub use jsonl::JsonlSink;
pub use kafka::{KafkaResultSink, transaction_committed};
pub use records::{RecordRow, RecordsStage};

pub use crate::analytics::write_outputs;

/// Rows of results from one batch, readable both as table cells and as JSON objects. Only the rows
/// a sink needs are rendered (the console shows the first few; JSONL writes them all).
pub trait ResultSet {
    /// A heading printed above the table when a batch has several kinds of results.
    fn title(&self) -> Option<&str> {
        None
    }

    /// The table's column names.
    fn columns(&self) -> Vec<&str>;

    /// How many rows there are.
    fn row_count(&self) -> usize;

    /// The cells of row `row` (`None` prints as `null`).
    fn cells(&self, row: usize) -> Vec<Option<String>>;

    /// Appends row `row` as one JSON object (no newline) to `out`.
    fn write_json(&self, row: usize, out: &mut Vec<u8>);

    /// The message key of row `row` for keyed sinks (Kafka), if it has one.
    fn key(&self, _row: usize) -> Option<String> {
        None
    }

    /// Row `row` as the typed result it renders, for sinks that sort results by kind (the live
    /// dashboard); `None` for rows that are not analytics results (the plain record table).
    fn output(&self, _row: usize) -> Option<&Output> {
        None
    }

    /// The same results laid out as tables for sinks that show tables (the console), when that
    /// layout differs from one row per result; `None` shows the rows as they are.
    fn tables(&self) -> Option<Vec<Box<dyn ResultSet>>> {
        None
    }
}

/// A destination for results, written once per micro-batch and flushed before offsets are
/// committed.
///
/// With a checkpoint (`--checkpoint DIR`) each batch ends in two more steps, numbered by the
/// checkpoint's epoch (one per batch, never reused): [`Sink::prepare_checkpoint`] makes the batch's
/// results durable (or prepared, for a transaction) and says where the sink stands, which the
/// checkpoint records; once the checkpoint is saved, [`Sink::checkpoint_saved`] completes the batch
/// (a transaction commits). A restart puts the sink back where the checkpoint says, so no result is
/// lost or repeated.
pub trait Sink {
    /// Writes one micro-batch's results and flushes them.
    fn write_batch(
        &mut self,
        batch_id: u64,
        results: &[Box<dyn ResultSet>],
    ) -> Result<(), StreamError>;

    /// Makes everything written so far durable for checkpoint `epoch` and returns the position to
    /// record. The default, for outputs that cannot be rewound (the console), is
    /// [`SinkPosition::Untracked`].
    fn prepare_checkpoint(&mut self, epoch: u64) -> Result<SinkPosition, StreamError> {
        let _ = epoch;
        Ok(SinkPosition::Untracked)
    }

    /// With a checkpoint, before [`Sink::prepare_checkpoint`]: a transactional sink commits the
    /// source's `offsets` to its consumer group inside the checkpoint's transaction and returns
    /// `true`, so the group's offsets move exactly when the results commit (the source then commits
    /// nothing itself). The default takes nothing.
    fn add_offsets(&mut self, offsets: &GroupOffsets) -> Result<bool, StreamError> {
        let _ = offsets;
        Ok(false)
    }

    /// The checkpoint of `epoch` is saved: finish the batch (e.g. commit a transaction).
    fn checkpoint_saved(&mut self, epoch: u64) -> Result<(), StreamError> {
        let _ = epoch;
        Ok(())
    }
}

/// Where a sink stood at a checkpoint, as recorded in it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SinkPosition {
    /// Not rewindable: results written after the checkpoint may be written again after a crash.
    Untracked,
    /// A file holding exactly `bytes` bytes of results; a restart truncates it back to that.
    FileLength {
        /// The file.
        path: PathBuf,
        /// Its length at the checkpoint.
        bytes: u64,
    },
    /// A Kafka transaction holding the results of checkpoint `epoch`, committed after the
    /// checkpoint was saved; a restart checks whether it committed.
    KafkaTransaction {
        /// The topic.
        topic: String,
        /// The checkpoint epoch the transaction belongs to.
        epoch: u64,
        /// Messages in the transaction (0: nothing to check).
        messages: u64,
    },
}

/// One `--output` choice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "to", rename_all = "snake_case")]
pub enum OutputSpec {
    /// Spark-style tables on standard output.
    Console,
    /// One JSON object per line on standard output (`jsonl:-` or `-`).
    JsonlStdout,
    /// One JSON object per line in a file (`jsonl:PATH`).
    JsonlFile(PathBuf),
    /// One JSON message per result on a Kafka topic (`kafka[:TOPIC]`, default `analytics`).
    Kafka {
        /// The topic.
        topic: String,
    },
}

impl OutputSpec {
    /// Parses `console`, `jsonl:PATH`, `jsonl:-`, `-`, `kafka` or `kafka:TOPIC`.
    pub fn parse(text: &str) -> Result<Self, StreamError> {
        match text {
            "console" => Ok(OutputSpec::Console),
            "-" | "jsonl:-" => Ok(OutputSpec::JsonlStdout),
            "kafka" => Ok(OutputSpec::Kafka {
                topic: kafka::DEFAULT_RESULTS_TOPIC.to_string(),
            }),
            _ => match (text.strip_prefix("jsonl:"), text.strip_prefix("kafka:")) {
                (Some(path), _) if !path.is_empty() => {
                    Ok(OutputSpec::JsonlFile(PathBuf::from(path)))
                }
                (_, Some(topic)) if !topic.is_empty() => Ok(OutputSpec::Kafka {
                    topic: topic.to_string(),
                }),
                _ => Err(StreamError::invalid(
                    "output",
                    text,
                    "use `console`, `jsonl:PATH`, `jsonl:-` (standard output) or `kafka[:TOPIC]`",
                )),
            },
        }
    }

    /// Where it writes, as `--output` names it.
    pub fn name(&self) -> String {
        match self {
            OutputSpec::Console => "console".to_string(),
            OutputSpec::JsonlStdout => "jsonl:-".to_string(),
            OutputSpec::JsonlFile(path) => format!("jsonl:{}", path.display()),
            OutputSpec::Kafka { topic } => format!("kafka:{topic}"),
        }
    }

    /// Whether it writes to standard output.
    fn is_stdout(&self) -> bool {
        match self {
            OutputSpec::Console | OutputSpec::JsonlStdout => true,
            OutputSpec::JsonlFile(_) | OutputSpec::Kafka { .. } => false,
        }
    }

    /// Checks that several `--output`s can be written together: at least one; at most one on
    /// standard output (tables and JSON lines would interleave); no file or topic named twice
    /// (each result would be written to it twice); at most one Kafka topic (one transaction per
    /// checkpoint holds a run's Kafka writes).
    pub fn check_all(outputs: &[OutputSpec]) -> Result<(), StreamError> {
        let names = || {
            outputs
                .iter()
                .map(OutputSpec::name)
                .collect::<Vec<_>>()
                .join(" ")
        };
        if outputs.is_empty() {
            return Err(StreamError::invalid(
                "output",
                "",
                "name at least one output",
            ));
        }
        if outputs.iter().filter(|output| output.is_stdout()).count() > 1 {
            return Err(StreamError::invalid(
                "output",
                &names(),
                "only one output can write to standard output (`console` or `jsonl:-`)",
            ));
        }
        for (index, output) in outputs.iter().enumerate() {
            if outputs[..index].contains(output) {
                return Err(StreamError::invalid(
                    "output",
                    &names(),
                    format!("`{}` is named twice", output.name()),
                ));
            }
        }
        let topics = outputs
            .iter()
            .filter(|output| matches!(output, OutputSpec::Kafka { .. }))
            .count();
        if topics > 1 {
            return Err(StreamError::invalid(
                "output",
                &names(),
                "results go to at most one Kafka topic",
            ));
        }
        Ok(())
    }

    /// Opens the sink; a JSONL file is appended to when `append`, else replaced. A Kafka topic
    /// needs brokers: open it with [`KafkaResultSink::connect`] (`retailflow stream` does).
    pub fn open(&self, show_rows: usize, append: bool) -> Result<Box<dyn Sink>, StreamError> {
        Ok(match self {
            OutputSpec::Console => {
                Box::new(ConsoleSink::new(Box::new(std::io::stdout()), show_rows))
            }
            OutputSpec::JsonlStdout => Box::new(JsonlSink::new(
                Box::new(std::io::stdout()),
                "standard output",
            )),
            OutputSpec::JsonlFile(path) => Box::new(JsonlSink::create(path, append)?),
            OutputSpec::Kafka { topic } => {
                return Err(StreamError::invalid(
                    "output",
                    &format!("kafka:{topic}"),
                    "results go to Kafka only from `retailflow stream`; use `console` or `jsonl:PATH`",
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_specs() {
        assert_eq!(OutputSpec::parse("console").unwrap(), OutputSpec::Console);
        assert_eq!(OutputSpec::parse("-").unwrap(), OutputSpec::JsonlStdout);
        assert_eq!(
            OutputSpec::parse("jsonl:-").unwrap(),
            OutputSpec::JsonlStdout
        );
        assert_eq!(
            OutputSpec::parse("jsonl:out.jsonl").unwrap(),
            OutputSpec::JsonlFile("out.jsonl".into())
        );
        assert_eq!(
            OutputSpec::parse("kafka").unwrap(),
            OutputSpec::Kafka {
                topic: "analytics".into()
            }
        );
        assert_eq!(
            OutputSpec::parse("kafka:results").unwrap(),
            OutputSpec::Kafka {
                topic: "results".into()
            }
        );
        let error = OutputSpec::parse("parquet:x").unwrap_err().to_string();
        assert!(error.contains("use `console`, `jsonl:PATH`"), "{error}");
        assert!(error.contains("`kafka[:TOPIC]`"), "{error}");
        assert!(OutputSpec::parse("jsonl:").is_err());
        assert!(OutputSpec::parse("kafka:").is_err());
    }

    #[test]
    fn several_outputs_must_not_collide() {
        let parse = |list: &[&str]| -> Vec<OutputSpec> {
            list.iter()
                .map(|text| OutputSpec::parse(text).unwrap())
                .collect()
        };
        let check = |list: &[&str]| OutputSpec::check_all(&parse(list)).map_err(|e| e.to_string());
        assert_eq!(
            check(&["console", "jsonl:r.jsonl", "kafka:analytics"]),
            Ok(())
        );
        assert_eq!(
            check(&["jsonl:-", "jsonl:a.jsonl", "jsonl:b.jsonl"]),
            Ok(())
        );
        let error = check(&["console", "-"]).unwrap_err();
        assert!(
            error.contains("only one output can write to standard output"),
            "{error}"
        );
        let error = check(&["jsonl:a.jsonl", "console", "jsonl:a.jsonl"]).unwrap_err();
        assert!(error.contains("`jsonl:a.jsonl` is named twice"), "{error}");
        let error = check(&["kafka:a", "kafka:b"]).unwrap_err();
        assert!(error.contains("at most one Kafka topic"), "{error}");
        assert!(check(&[]).unwrap_err().contains("at least one output"));
    }
}
