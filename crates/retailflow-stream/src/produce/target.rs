//! Where `produce` writes: a Kafka topic (keyed messages, delivery reports counted) or a JSONL file
//! (one message per line, for tests and benchmarks without a broker).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::StreamError;
use crate::kafka::{DeliveryTally, KafkaWriter, WriterConfig};
use crate::status::StatusLog;

/// A destination for produced messages.
pub trait MessageTarget {
    /// Sends (or queues) one message.
    fn send(&mut self, key: Option<&[u8]>, payload: &[u8]) -> Result<(), StreamError>;

    /// Serves pending delivery reports without blocking (called while pacing).
    fn serve(&mut self);

    /// Delivery counts so far.
    fn tally(&self) -> DeliveryTally;

    /// Waits for every outstanding message and returns the final counts.
    fn finish(&mut self) -> Result<DeliveryTally, StreamError>;

    /// Where the messages go, for status lines.
    fn describe(&self) -> String;
}

/// Messages to a Kafka topic.
#[derive(Debug)]
pub struct KafkaTarget {
    writer: KafkaWriter,
    brokers: String,
}

impl KafkaTarget {
    /// Connects a producer for `config.topic`.
    pub fn connect(config: WriterConfig, status: StatusLog) -> Result<Self, StreamError> {
        let brokers = config.brokers.clone();
        Ok(Self {
            writer: KafkaWriter::connect(config, status)?,
            brokers,
        })
    }
}

impl MessageTarget for KafkaTarget {
    fn send(&mut self, key: Option<&[u8]>, payload: &[u8]) -> Result<(), StreamError> {
        self.writer.send(key, payload)
    }

    fn serve(&mut self) {
        self.writer.poll(Duration::ZERO);
    }

    fn tally(&self) -> DeliveryTally {
        self.writer.tally()
    }

    fn finish(&mut self) -> Result<DeliveryTally, StreamError> {
        Ok(self.writer.flush())
    }

    fn describe(&self) -> String {
        format!("topic {} at {}", self.writer.topic(), self.brokers)
    }
}

/// Messages as lines of a JSONL file (created afresh).
#[derive(Debug)]
pub struct FileTarget {
    path: PathBuf,
    out: BufWriter<File>,
    written: u64,
}

impl FileTarget {
    /// Creates (or replaces) `path`.
    pub fn create(path: &Path) -> Result<Self, StreamError> {
        let file = File::create(path).map_err(|source| StreamError::CreateOutput {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, file),
            written: 0,
        })
    }

    fn error(&self, source: std::io::Error) -> StreamError {
        StreamError::write(self.path.display().to_string(), source)
    }
}

impl MessageTarget for FileTarget {
    fn send(&mut self, _key: Option<&[u8]>, payload: &[u8]) -> Result<(), StreamError> {
        self.out.write_all(payload).map_err(|e| self.error(e))?;
        self.out.write_all(b"\n").map_err(|e| self.error(e))?;
        self.written += 1;
        Ok(())
    }

    fn serve(&mut self) {}

    fn tally(&self) -> DeliveryTally {
        DeliveryTally {
            sent: self.written,
            delivered: self.written,
            failed: 0,
            first_failure: None,
        }
    }

    fn finish(&mut self) -> Result<DeliveryTally, StreamError> {
        self.out.flush().map_err(|e| self.error(e))?;
        Ok(self.tally())
    }

    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }
}
