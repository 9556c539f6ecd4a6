//! The Kafka result sink (`--output kafka[:TOPIC]`): every result as one JSON message, the same
//! object the JSONL sink writes as a line (without the newline).
//!
//! Message keys come from the result itself ([`ResultSet::key`]), so that related results share a
//! partition and stay in order:
//! - results about one store (`big_receipt`, `store_anomaly`, `cashier_alert`): the store id, so
//!   one store's alerts are read in order;
//! - the other windowed results (`top_stores`, `popular_items`, `window_summary`,
//!   `bought_together`): the window start as written in the object (RFC 3339), so every result of
//!   one window, provisional and final, is on one partition.
//!
//! Without a checkpoint every batch is flushed and acknowledged before [`Sink::write_batch`]
//! returns; a message the broker never acknowledges stops the run before offsets are committed.
//!
//! With a checkpoint the sink is transactional: opening it fences any earlier writer with the same
//! transactional id (aborting the transaction that writer left open); the results of a checkpoint
//! epoch are written in one transaction, each message with the header [`EPOCH_HEADER`] holding the
//! epoch; [`Sink::prepare_checkpoint`] flushes them and [`Sink::checkpoint_saved`] commits. The
//! dead letters of a topic (`--dlq topic:NAME`) share the sink's producer ([`KafkaResultSink::writer`])
//! and so its transactions, and the source's offsets are committed to its consumer group inside the
//! same transaction ([`Sink::add_offsets`]). On restart, [`transaction_committed`] tells whether the
//! transaction of the last checkpoint committed.

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use crate::error::StreamError;
use crate::kafka::{KafkaWriter, WriterConfig};
use crate::output::{ResultSet, Sink, SinkPosition};
use crate::source::GroupOffsets;
use crate::status::StatusLog;

/// The topic of `--output kafka` without a name.
pub const DEFAULT_RESULTS_TOPIC: &str = "analytics";

/// The header naming the checkpoint epoch of a transactional message (decimal text).
pub const EPOCH_HEADER: &str = "retailflow-epoch";

/// How many messages at the end of each partition [`transaction_committed`] reads first; it reads
/// further back (doubling) only while what it read was all of later epochs or not visible.
const TAIL_MESSAGES: i64 = 1_000;

/// How long [`transaction_committed`] may take over one partition.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Results as JSON messages on a Kafka topic.
#[derive(Debug)]
pub struct KafkaResultSink {
    writer: KafkaWriter,
    /// Results written in the open transaction (transactional sinks only).
    messages: u64,
    line: Vec<u8>,
}

/// The header of a transactional message of checkpoint `epoch`.
pub(crate) fn epoch_headers(epoch: Option<u64>) -> Option<OwnedHeaders> {
    let epoch = epoch?.to_string();
    Some(OwnedHeaders::new().insert(Header {
        key: EPOCH_HEADER,
        value: Some(epoch.as_bytes()),
    }))
}

impl KafkaResultSink {
    /// The writer settings for results to `topic` at `brokers`.
    pub fn writer_config(brokers: &str, topic: &str) -> WriterConfig {
        WriterConfig {
            brokers: brokers.to_string(),
            topic: topic.to_string(),
            delivery_timeout: Duration::from_secs(30),
            label: "results".to_string(),
        }
    }

    /// Connects the sink. With a `transactional_id` it is transactional: transactions are
    /// initialised now (fencing an earlier writer with that id) and the first results written are
    /// tagged with `next_epoch`, the epoch of the next checkpoint. Without one, `next_epoch` is
    /// unused.
    pub fn connect(
        config: WriterConfig,
        transactional_id: Option<String>,
        next_epoch: u64,
        status: StatusLog,
    ) -> Result<Self, StreamError> {
        let writer = match transactional_id {
            Some(id) => KafkaWriter::connect_transactional(config, &id, next_epoch, status)?,
            None => KafkaWriter::connect(config, status)?,
        };
        Ok(Self {
            writer,
            messages: 0,
            line: Vec::with_capacity(512),
        })
    }

    /// The sink's writer, for a writer to another topic in the same transactions
    /// ([`KafkaWriter::sharing`]).
    pub fn writer(&self) -> &KafkaWriter {
        &self.writer
    }

    /// The topic written to.
    pub fn topic(&self) -> &str {
        self.writer.topic()
    }

    /// Waits for every queued message; an undelivered one is an error.
    fn flush(&mut self) -> Result<(), StreamError> {
        let tally = self.writer.flush();
        match self.writer.undelivered_error(&tally) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl Sink for KafkaResultSink {
    fn write_batch(
        &mut self,
        _batch_id: u64,
        results: &[Box<dyn ResultSet>],
    ) -> Result<(), StreamError> {
        if results.iter().all(|result| result.row_count() == 0) {
            return Ok(());
        }
        let headers = epoch_headers(self.writer.ensure_transaction()?);
        let mut sent = 0u64;
        for result in results {
            for row in 0..result.row_count() {
                self.line.clear();
                result.write_json(row, &mut self.line);
                let key = result.key(row);
                self.writer.send_with_headers(
                    key.as_deref().map(str::as_bytes),
                    &self.line,
                    headers.as_ref(),
                )?;
                sent += 1;
            }
        }
        self.messages += sent;
        self.flush()
    }

    fn add_offsets(&mut self, offsets: &GroupOffsets) -> Result<bool, StreamError> {
        if self.writer.transaction_epoch().is_none() {
            return Ok(false);
        }
        self.writer.send_offsets(&offsets.offsets, &offsets.group)?;
        Ok(true)
    }

    fn prepare_checkpoint(&mut self, epoch: u64) -> Result<SinkPosition, StreamError> {
        let Some(open_epoch) = self.writer.transaction_epoch() else {
            return Ok(SinkPosition::Untracked);
        };
        if open_epoch != epoch {
            return Err(StreamError::invalid(
                "checkpoint epoch",
                &epoch.to_string(),
                format!(
                    "the transaction of topic {} holds the results of epoch {open_epoch}",
                    self.writer.topic(),
                ),
            ));
        }
        self.flush()?;
        let messages = std::mem::take(&mut self.messages);
        Ok(SinkPosition::KafkaTransaction {
            topic: self.writer.topic().to_string(),
            epoch,
            messages,
        })
    }

    fn checkpoint_saved(&mut self, epoch: u64) -> Result<(), StreamError> {
        self.writer.commit_transaction(epoch)
    }
}

/// Whether a message tagged with checkpoint `epoch` ([`EPOCH_HEADER`]) is visible to a
/// read-committed reader of `topic`, i.e. whether that epoch's transaction committed.
///
/// Reads the end of every partition with `isolation.level=read_committed`: from
/// `max(low, high - 1000)` up to the end, further back only while everything read there was of
/// later epochs or invisible. Ask after the sink with the same transactional id is connected
/// (that aborts a transaction a crashed writer left open, or lets a commit it started finish), so
/// the answer is final. A topic that does not exist has no committed transaction.
pub fn transaction_committed(brokers: &str, topic: &str, epoch: u64) -> Result<bool, StreamError> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "retailflow-transaction-check")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", "read_committed")
        .create()
        .map_err(|source| StreamError::KafkaClient {
            role: "consumer",
            brokers: brokers.to_string(),
            cause: source,
        })?;
    let read_error = |source: KafkaError| StreamError::Kafka {
        operation: format!("read the end of topic {topic}"),
        cause: source,
    };
    let metadata = consumer
        .fetch_metadata(Some(topic), READ_TIMEOUT)
        .map_err(read_error)?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    for partition in partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, READ_TIMEOUT)
            .map_err(read_error)?;
        if high <= low {
            continue;
        }
        let mut span = TAIL_MESSAGES;
        loop {
            let start = low.max(high - span);
            let epochs = visible_epochs(&consumer, topic, partition, start).map_err(read_error)?;
            if epochs.contains(&epoch) {
                return Ok(true);
            }
            // An earlier epoch is visible: the epoch's messages, if any, would be after it.
            if start <= low || epochs.iter().any(|&seen| seen < epoch) {
                break;
            }
            span = span.saturating_mul(2);
        }
    }
    Ok(false)
}

/// The epochs of the messages a read-committed `consumer` sees in `partition` from `start` to the
/// end.
fn visible_epochs(
    consumer: &BaseConsumer,
    topic: &str,
    partition: i32,
    start: i64,
) -> Result<Vec<u64>, KafkaError> {
    let mut assignment = TopicPartitionList::new();
    assignment.add_partition_offset(topic, partition, Offset::Offset(start))?;
    consumer.assign(&assignment)?;
    let deadline = Instant::now() + READ_TIMEOUT;
    let mut epochs = Vec::new();
    loop {
        if Instant::now() >= deadline {
            return Err(KafkaError::MessageConsumption(
                RDKafkaErrorCode::OperationTimedOut,
            ));
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(eof))) if eof == partition => break,
            Some(Err(KafkaError::PartitionEOF(_))) => {}
            Some(Err(error)) if is_fatal(&error) => return Err(error),
            Some(Err(_)) => {} // transient (e.g. a broker reconnecting): librdkafka retries
            Some(Ok(message)) if message.partition() != partition => {}
            Some(Ok(message)) => {
                let tagged = message.headers().and_then(|headers| {
                    headers
                        .iter()
                        .find(|header| header.key == EPOCH_HEADER)
                        .and_then(|header| header.value)
                        .and_then(|value| std::str::from_utf8(value).ok())
                        .and_then(|text| text.parse::<u64>().ok())
                });
                epochs.extend(tagged);
            }
        }
    }
    consumer.unassign()?;
    Ok(epochs)
}

fn is_fatal(error: &KafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::Fatal
        )
    )
}
