//! The errors of the streaming half, sorted by who is at fault: the user's arguments and files, the
//! Kafka broker, or the data and outputs while running.
//!
//! A record that does not parse is never an error: it becomes a dead letter
//! ([`crate::dead_letter::Rejection`]) and the pipeline goes on.

use std::path::PathBuf;

use rdkafka::error::KafkaError;
use retailflow_core::fault::Fault;

/// Everything that can stop a produce or stream run.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    // ---- the user: arguments, paths, configuration ----
    /// A command-line value that does not parse (duration, size, time, spec).
    #[error("invalid {what} `{input}`: {reason}")]
    InvalidArgument {
        /// What the value was for, e.g. `duration`.
        what: &'static str,
        /// The value as given.
        input: String,
        /// Why it was refused, with a hint.
        reason: String,
    },
    /// An input file that cannot be opened.
    #[error("cannot open {}: {source}", path.display())]
    OpenInput {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An output file that cannot be created.
    #[error("cannot create {}: {source}", path.display())]
    CreateOutput {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A Kafka client that librdkafka refuses to create (bad broker list, bad setting).
    #[error("cannot create the Kafka {role} for `{brokers}`: {}", crate::kafka::describe_error(.cause))]
    KafkaClient {
        /// `producer` or `consumer`.
        role: &'static str,
        /// The bootstrap servers as given.
        brokers: String,
        /// The cause, said in librdkafka's words in the message (so not repeated as a source).
        cause: KafkaError,
    },

    /// A checkpoint directory that cannot be used: written by a different job, in use by another
    /// run, or unreadable.
    #[error("checkpoint {}: {reason}", dir.display())]
    Checkpoint {
        /// The `--checkpoint` directory.
        dir: PathBuf,
        /// What is wrong, with a hint.
        reason: String,
    },

    /// A stage-one worker's partition state (`--state-dir`) that cannot be used: missing for the
    /// group's committed offset, unreadable, or not a state.
    #[error("partition state {}: {reason}", path.display())]
    State {
        /// The state file or directory.
        path: PathBuf,
        /// What is wrong, with a hint.
        reason: String,
    },

    /// An output that cannot be put back where a checkpoint says it was.
    #[error("cannot resume {} from the checkpoint: {reason}", path.display())]
    ResumeOutput {
        /// The output file.
        path: PathBuf,
        /// What is wrong, with a hint.
        reason: String,
    },

    // ---- the broker ----
    /// Messages the broker never acknowledged (after librdkafka's own retries).
    #[error("{failed} of {total} messages were not delivered to {target}{}", first_error_suffix(.first_error))]
    Undelivered {
        /// How many failed.
        failed: u64,
        /// How many were sent.
        total: u64,
        /// Where they were going, e.g. `topic receipts-dlq`.
        target: String,
        /// The first delivery error seen.
        first_error: Option<String>,
    },
    /// A Kafka operation that failed in a way retrying cannot fix.
    #[error("Kafka {operation} failed: {}", crate::kafka::describe_error(.cause))]
    Kafka {
        /// What was being done, e.g. `subscribe to receipts`.
        operation: String,
        /// The cause, said in librdkafka's words in the message (so not repeated as a source).
        cause: KafkaError,
    },
    /// The transactional output was taken over: another run started on the same checkpoint
    /// directory initialised transactions with the same transactional id, so nothing this run
    /// writes from now on becomes visible. This run stops; the other one goes on.
    #[error(
        "another run took over this job's Kafka output (transactional id {transactional_id}) and fenced this one; stopping, nothing written from now on becomes visible"
    )]
    Fenced {
        /// The transactional id both runs share.
        transactional_id: String,
    },
    /// The in-process mock cluster could not be started or set up.
    #[error("the in-process Kafka mock cluster failed to {operation}: {}", crate::kafka::describe_error(.cause))]
    MockCluster {
        /// What was being done.
        operation: String,
        /// The cause, said in librdkafka's words in the message (so not repeated as a source).
        cause: KafkaError,
    },

    // ---- data and outputs while running ----
    /// Reading an input file failed part-way.
    #[error("cannot read {}: {source}", path.display())]
    ReadInput {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Writing an output (console, JSONL, dead letters) failed, e.g. a full disk or a closed pipe.
    #[error("cannot write {what}: {source}")]
    WriteOutput {
        /// The output, e.g. `dead letters to out.dlq.jsonl`.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

fn first_error_suffix(first_error: &Option<String>) -> String {
    first_error
        .as_ref()
        .map(|e| format!(" (first error: {e})"))
        .unwrap_or_default()
}

impl StreamError {
    /// Who is at fault: the arguments, paths, checkpoint directory and broker list are the
    /// user's; the broker, the files while running and the mock cluster are the environment.
    pub fn fault(&self) -> Fault {
        match self {
            StreamError::InvalidArgument { .. }
            | StreamError::OpenInput { .. }
            | StreamError::CreateOutput { .. }
            | StreamError::KafkaClient { .. }
            | StreamError::Checkpoint { .. }
            | StreamError::State { .. }
            | StreamError::ResumeOutput { .. } => Fault::UserInput,
            StreamError::Undelivered { .. }
            | StreamError::Kafka { .. }
            | StreamError::Fenced { .. }
            | StreamError::MockCluster { .. }
            | StreamError::ReadInput { .. }
            | StreamError::WriteOutput { .. } => Fault::Environment,
        }
    }

    /// A refused command-line value.
    pub fn invalid(what: &'static str, input: &str, reason: impl Into<String>) -> Self {
        StreamError::InvalidArgument {
            what,
            input: input.to_string(),
            reason: reason.into(),
        }
    }

    /// A failed write to `what`.
    pub fn write(what: impl Into<String>, source: std::io::Error) -> Self {
        StreamError::WriteOutput {
            what: what.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::types::RDKafkaErrorCode;

    use super::*;

    #[test]
    fn a_kafka_failure_says_its_cause_once() {
        let error = StreamError::Kafka {
            operation: "read the metadata of receipts".into(),
            cause: KafkaError::MetadataFetch(RDKafkaErrorCode::BrokerTransportFailure),
        };
        assert_eq!(
            error.to_string(),
            "Kafka read the metadata of receipts failed: Local: Broker transport failure"
        );
        // Said in the message, so no source repeats it on the error line.
        assert!(std::error::Error::source(&error).is_none());
        assert_eq!(error.fault(), Fault::Environment);
    }
}
