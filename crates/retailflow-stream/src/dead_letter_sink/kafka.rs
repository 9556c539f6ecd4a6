//! Dead letters sent to a Kafka topic, keyed like the original message. A dead letter the broker
//! never acknowledges stops the run before offsets are committed, so nothing is dropped silently.

use crate::dead_letter::DeadLetter;
use crate::dead_letter_sink::DeadLetterSink;
use crate::error::StreamError;
use crate::kafka::{KafkaWriter, WriterConfig};
use crate::status::StatusLog;

/// A Kafka topic of dead letters.
#[derive(Debug)]
pub struct KafkaDeadLetters {
    writer: KafkaWriter,
    line: Vec<u8>,
    pending: bool,
}

impl KafkaDeadLetters {
    /// Connects a writer for the dead-letter topic.
    pub fn connect(config: WriterConfig, status: StatusLog) -> Result<Self, StreamError> {
        Ok(Self {
            writer: KafkaWriter::connect(config, status)?,
            line: Vec::new(),
            pending: false,
        })
    }
}

impl DeadLetterSink for KafkaDeadLetters {
    fn send(&mut self, letter: &DeadLetter<'_>) -> Result<(), StreamError> {
        self.line.clear();
        letter.write_json_line(&mut self.line);
        self.line.pop(); // a Kafka message needs no newline
        self.pending = true;
        self.writer.send(letter.key, &self.line)
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
}
