//! Where `produce` writes: a Kafka topic (keyed messages, delivery reports counted) or a JSONL file
//! (one message per line, for tests and benchmarks without a broker); `-` as the file is standard
//! output, and a reader that closes it (`| head`) ends the run early without an error.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::StreamError;
use crate::kafka::{DeliveryTally, KafkaWriter, WriterConfig};
use crate::progress::thousands;
use crate::status::StatusLog;
use crate::stdio::is_standard_stream;

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

    /// Whether the destination has gone for good (the reader of a pipe stopped reading).
    fn gone(&self) -> bool {
        false
    }
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

/// Messages as lines of a JSONL file (created afresh), or of standard output. A message counts as
/// delivered once the file (or the pipe) has taken its last byte, not when it enters the buffer. When
/// the reader of standard output goes away, the messages it did not take whole were not sent: they
/// are counted apart, and named in [`MessageTarget::describe`].
pub struct FileTarget {
    path: PathBuf,
    out: BufWriter<Counted>,
    /// Bytes handed to the buffer.
    handed: u64,
    /// Where each message sent but not yet known to be taken ends, in bytes from the start, oldest
    /// first (cleared when standard output closes: those were not sent).
    pending: VecDeque<u64>,
    /// Messages whose every byte the file took.
    delivered: u64,
    /// Standard output whose reader has gone.
    closed: bool,
    /// Messages standard output's reader left behind when it went.
    left: u64,
}

/// The file under the buffer, counting the bytes it took.
struct Counted {
    inner: Box<dyn Write + Send>,
    taken: u64,
}

impl Write for Counted {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let taken = self.inner.write(bytes)?;
        self.taken += taken as u64;
        Ok(taken)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl std::fmt::Debug for FileTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileTarget")
            .field("path", &self.path)
            .field("pending", &self.pending.len())
            .field("delivered", &self.delivered)
            .finish()
    }
}

impl FileTarget {
    /// Creates (or replaces) `path`; `-` is standard output.
    pub fn create(path: &Path) -> Result<Self, StreamError> {
        let out: Box<dyn Write + Send> = if is_standard_stream(path) {
            Box::new(std::io::stdout())
        } else {
            Box::new(
                File::create(path).map_err(|source| StreamError::CreateOutput {
                    path: path.to_path_buf(),
                    source,
                })?,
            )
        };
        Ok(Self::over(path, out, 1 << 20))
    }

    fn over(path: &Path, out: Box<dyn Write + Send>, buffer: usize) -> Self {
        Self {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(
                buffer,
                Counted {
                    inner: out,
                    taken: 0,
                },
            ),
            handed: 0,
            pending: VecDeque::new(),
            delivered: 0,
            closed: false,
            left: 0,
        }
    }

    fn is_stdout(&self) -> bool {
        is_standard_stream(&self.path)
    }

    /// A write's result: a pipe whose reader has gone closes standard output, without an error.
    fn outcome(&mut self, result: std::io::Result<()>) -> Result<(), StreamError> {
        match result {
            Err(error) if self.is_stdout() && error.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(source) => Err(StreamError::write(self.path.display().to_string(), source)),
            Ok(()) => Ok(()),
        }
    }

    /// Counts as delivered the messages the file has taken whole.
    fn settle(&mut self) {
        let taken = self.out.get_ref().taken;
        while self.pending.front().is_some_and(|&end| end <= taken) {
            self.pending.pop_front();
            self.delivered += 1;
        }
    }
}

impl MessageTarget for FileTarget {
    fn send(&mut self, _key: Option<&[u8]>, payload: &[u8]) -> Result<(), StreamError> {
        if self.closed {
            return Ok(());
        }
        self.handed += payload.len() as u64 + 1;
        self.pending.push_back(self.handed);
        let written = self
            .out
            .write_all(payload)
            .and_then(|()| self.out.write_all(b"\n"));
        self.outcome(written)?;
        self.settle();
        Ok(())
    }

    fn serve(&mut self) {}

    fn tally(&self) -> DeliveryTally {
        DeliveryTally {
            sent: self.delivered + self.pending.len() as u64,
            delivered: self.delivered,
            failed: 0,
            first_failure: None,
        }
    }

    fn finish(&mut self) -> Result<DeliveryTally, StreamError> {
        if !self.closed {
            let flushed = self.out.flush();
            self.outcome(flushed)?;
        }
        self.settle();
        if self.closed {
            self.left = self.pending.len() as u64;
            self.pending.clear();
        }
        Ok(self.tally())
    }

    fn describe(&self) -> String {
        match (self.is_stdout(), self.closed) {
            (true, false) => "standard output".to_string(),
            (true, true) => match self.left {
                0 => "standard output (closed by its reader)".to_string(),
                1 => "standard output (closed by its reader; 1 message it did not take whole is not counted)"
                    .to_string(),
                left => format!(
                    "standard output (closed by its reader; {} messages it did not take whole are not counted)",
                    thousands(left)
                ),
            },
            (false, _) => format!("file {}", self.path.display()),
        }
    }

    fn gone(&self) -> bool {
        self.closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Standard output as a pipe: takes `room` bytes, then its reader goes away.
    struct Pipe {
        room: usize,
    }

    impl Write for Pipe {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(ErrorKind::BrokenPipe.into());
            }
            let taken = bytes.len().min(self.room);
            self.room -= taken;
            Ok(taken)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A target over a pipe, unbuffered so that every message reaches the pipe at once.
    fn target(path: &str, room: usize) -> FileTarget {
        buffered_target(path, room, 0)
    }

    fn buffered_target(path: &str, room: usize, buffer: usize) -> FileTarget {
        FileTarget::over(Path::new(path), Box::new(Pipe { room }), buffer)
    }

    #[test]
    fn a_closed_standard_output_ends_the_run_without_an_error() {
        let mut out = target(crate::stdio::STANDARD_STREAM, 8);
        out.send(None, b"{\"a\":1}").unwrap();
        assert!(!out.gone());
        out.send(None, b"{\"a\":2}").unwrap();
        assert!(out.gone());
        out.send(None, b"{\"a\":3}").unwrap();
        let tally = out.finish().unwrap();
        assert_eq!((tally.sent, tally.delivered), (1, 1));
        assert_eq!(
            out.describe(),
            "standard output (closed by its reader; 1 message it did not take whole is not counted)"
        );
    }

    #[test]
    fn messages_left_in_the_buffer_when_the_reader_goes_are_not_counted_as_sent() {
        // Each message is 8 bytes with its line end; the reader takes 20 bytes, then goes.
        let mut out = buffered_target(crate::stdio::STANDARD_STREAM, 20, 1 << 10);
        for value in 1..=3 {
            out.send(None, format!("{{\"a\":{value}}}").as_bytes())
                .unwrap();
        }
        assert_eq!((out.tally().sent, out.tally().delivered), (3, 0));
        assert!(!out.gone());
        let tally = out.finish().unwrap();
        assert_eq!((tally.sent, tally.delivered), (2, 2));
        assert!(out.gone());
        assert_eq!(
            out.describe(),
            "standard output (closed by its reader; 1 message it did not take whole is not counted)"
        );
    }

    #[test]
    fn a_file_counts_a_message_delivered_once_written() {
        let mut out = buffered_target("out.jsonl", 1 << 10, 1 << 10);
        out.send(None, b"{}").unwrap();
        assert_eq!((out.tally().sent, out.tally().delivered), (1, 0));
        let tally = out.finish().unwrap();
        assert_eq!((tally.sent, tally.delivered), (1, 1));
    }

    #[test]
    fn a_broken_file_is_an_error() {
        let mut out = target("out.jsonl", 0);
        let error = out.send(None, b"{}").unwrap_err();
        assert!(error.to_string().contains("out.jsonl"), "{error}");
        assert!(!out.gone());
    }
}
