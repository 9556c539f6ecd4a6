//! Dead letters sent to a Kafka topic, keyed like the original message. A dead letter the broker
//! never acknowledges stops the run before offsets are committed, so nothing is dropped silently.
//!
//! With a checkpoint and a Kafka result output the dead letters are transactional
//! ([`KafkaDeadLetters::in_transactions_of`]): they are written on the result sink's producer, in
//! the same transaction as the results of their checkpoint epoch, each with the epoch header, so a
//! read-committed reader sees every dead letter exactly once, like the results.

use rdkafka::message::OwnedHeaders;

use crate::dead_letter::DeadLetter;
use crate::dead_letter_sink::DeadLetterSink;
use crate::error::StreamError;
use crate::kafka::{KafkaWriter, WriterConfig};
use crate::output::SinkPosition;
use crate::output::kafka::epoch_headers;
use crate::status::StatusLog;

/// A Kafka topic of dead letters.
#[derive(Debug)]
pub struct KafkaDeadLetters {
    writer: KafkaWriter,
    line: Vec<u8>,
    pending: bool,
    /// Dead letters in the open transaction (transactional only).
    messages: u64,
}

impl KafkaDeadLetters {
    /// Connects a writer for the dead-letter topic.
    pub fn connect(config: WriterConfig, status: StatusLog) -> Result<Self, StreamError> {
        Ok(Self::with_writer(KafkaWriter::connect(config, status)?))
    }

    /// Dead letters to `topic` written in the transactions of `results` (a transactional writer):
    /// each joins the transaction of its checkpoint epoch.
    pub fn in_transactions_of(results: &KafkaWriter, topic: &str) -> Self {
        Self::with_writer(results.sharing(topic, "dead letters"))
    }

    fn with_writer(writer: KafkaWriter) -> Self {
        Self {
            writer,
            line: Vec::new(),
            pending: false,
            messages: 0,
        }
    }
}

impl DeadLetterSink for KafkaDeadLetters {
    fn send(&mut self, letter: &DeadLetter<'_>) -> Result<(), StreamError> {
        self.line.clear();
        letter.write_json_line(&mut self.line);
        self.line.pop(); // a Kafka message needs no newline
        self.pending = true;
        let headers: Option<OwnedHeaders> = epoch_headers(self.writer.ensure_transaction()?);
        if headers.is_some() {
            self.messages += 1;
        }
        self.writer
            .send_with_headers(letter.key, &self.line, headers.as_ref())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        if !self.pending {
            return Ok(());
        }
        let tally = self.writer.flush();
        self.pending = false;
        match self.writer.undelivered_error(&tally) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn describe(&self) -> String {
        format!("topic {}", self.writer.topic())
    }

    fn prepare_checkpoint(&mut self) -> Result<SinkPosition, StreamError> {
        self.flush()?;
        Ok(match self.writer.transaction_epoch() {
            // Committed by the result sink, with the results of the same epoch.
            Some(epoch) => SinkPosition::KafkaTransaction {
                topic: self.writer.topic().to_string(),
                epoch,
                messages: std::mem::take(&mut self.messages),
            },
            None => SinkPosition::Untracked,
        })
    }
}
