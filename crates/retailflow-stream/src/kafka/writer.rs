//! A Kafka topic writer shared by `produce` and the dead-letter topic: sends with back-pressure
//! when librdkafka's queue is full (waiting, never spinning), counts deliveries, and flushes.
//! A writer made with [`KafkaWriter::connect_transactional`] writes inside Kafka transactions.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;

use crate::error::StreamError;
use crate::kafka::ProducerStatus;
use crate::status::StatusLog;

/// The largest message the writer lets librdkafka send (the broker may allow less; then the
/// delivery fails and is counted).
const MAX_MESSAGE_BYTES: &str = "8388608";

/// Settings of a topic writer.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Bootstrap servers.
    pub brokers: String,
    /// The topic written to.
    pub topic: String,
    /// How long librdkafka keeps retrying one message before it counts as not delivered.
    pub delivery_timeout: Duration,
    /// Name in status lines, e.g. `produce` or `dead letters`.
    pub label: String,
}

/// Delivery counts so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryTally {
    /// Messages handed to the writer.
    pub sent: u64,
    /// Messages the broker acknowledged.
    pub delivered: u64,
    /// Messages that failed for good.
    pub failed: u64,
    /// The first failure, in words.
    pub first_failure: Option<String>,
}

/// Writes messages to one topic.
pub struct KafkaWriter {
    producer: BaseProducer<ProducerStatus>,
    context: Arc<ProducerStatus>,
    config: WriterConfig,
    sent: u64,
}

impl std::fmt::Debug for KafkaWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaWriter")
            .field("config", &self.config)
            .field("sent", &self.sent)
            .finish()
    }
}

impl KafkaWriter {
    /// Creates the producer (without waiting for the broker).
    pub fn connect(config: WriterConfig, status: StatusLog) -> Result<Self, StreamError> {
        Self::create(config, status, None)
    }

    /// Creates a transactional producer with `transactional_id` and initialises transactions:
    /// this fences any earlier producer with the same id and aborts the transaction it left open.
    pub fn connect_transactional(
        config: WriterConfig,
        transactional_id: &str,
        status: StatusLog,
    ) -> Result<Self, StreamError> {
        let writer = Self::create(config, status, Some(transactional_id))?;
        let timeout = writer.transaction_timeout();
        writer
            .producer
            .init_transactions(timeout)
            .map_err(|source| writer.kafka_error("initialise transactions on", source))?;
        Ok(writer)
    }

    fn create(
        config: WriterConfig,
        status: StatusLog,
        transactional_id: Option<&str>,
    ) -> Result<Self, StreamError> {
        let context = ProducerStatus::new(config.label.clone(), status);
        let mut client = ClientConfig::new();
        if let Some(id) = transactional_id {
            client.set("transactional.id", id);
        }
        let producer: BaseProducer<ProducerStatus> = client
            .set("bootstrap.servers", &config.brokers)
            .set("client.id", "retailflow")
            .set("message.max.bytes", MAX_MESSAGE_BYTES)
            .set("linger.ms", "5")
            .set("partitioner", "murmur2_random")
            .set(
                "message.timeout.ms",
                config.delivery_timeout.as_millis().max(1).to_string(),
            )
            .create_with_context(context)
            .map_err(|source| StreamError::KafkaClient {
                role: "producer",
                brokers: config.brokers.clone(),
                source,
            })?;
        let context = producer.context().clone();
        Ok(Self {
            producer,
            context,
            config,
            sent: 0,
        })
    }

    /// The topic written to.
    pub fn topic(&self) -> &str {
        &self.config.topic
    }

    /// Queues one message; waits while librdkafka's queue is full.
    pub fn send(&mut self, key: Option<&[u8]>, payload: &[u8]) -> Result<(), StreamError> {
        self.send_with_headers(key, payload, None)
    }

    /// Queues one message with `headers`; waits while librdkafka's queue is full.
    pub fn send_with_headers(
        &mut self,
        key: Option<&[u8]>,
        payload: &[u8],
        headers: Option<&OwnedHeaders>,
    ) -> Result<(), StreamError> {
        loop {
            let mut record = BaseRecord::to(&self.config.topic).payload(payload);
            if let Some(key) = key {
                record = record.key(key);
            }
            if let Some(headers) = headers {
                record = record.headers(headers.clone());
            }
            match self.producer.send(record) {
                Ok(()) => {
                    self.sent += 1;
                    self.producer.poll(Duration::ZERO);
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    // Back-pressure: serve delivery reports until there is room.
                    self.producer.poll(Duration::from_millis(50));
                }
                Err((KafkaError::MessageProduction(code), _)) => {
                    // Refused locally (e.g. over the size limit): it will never be delivered.
                    self.sent += 1;
                    self.context.record_local_failure(code);
                    return Ok(());
                }
                Err((source, _)) => {
                    return Err(StreamError::Kafka {
                        operation: format!("send to {}", self.config.topic),
                        source,
                    });
                }
            }
        }
    }

    /// Begins a transaction (transactional writers only).
    pub fn begin_transaction(&self) -> Result<(), StreamError> {
        self.producer
            .begin_transaction()
            .map_err(|source| self.kafka_error("begin a transaction on", source))
    }

    /// Commits the open transaction, delivering what is queued first.
    pub fn commit_transaction(&self) -> Result<(), StreamError> {
        self.producer
            .commit_transaction(self.transaction_timeout())
            .map_err(|source| self.kafka_error("commit the transaction on", source))
    }

    /// Aborts the open transaction: its messages are never visible to read-committed readers.
    pub fn abort_transaction(&self) -> Result<(), StreamError> {
        self.producer
            .abort_transaction(self.transaction_timeout())
            .map_err(|source| self.kafka_error("abort the transaction on", source))
    }

    fn transaction_timeout(&self) -> Duration {
        self.config.delivery_timeout + Duration::from_secs(5)
    }

    fn kafka_error(&self, operation: &str, source: KafkaError) -> StreamError {
        StreamError::Kafka {
            operation: format!("{operation} topic {}", self.config.topic),
            source,
        }
    }

    /// Serves delivery reports, waiting up to `timeout` for one.
    pub fn poll(&self, timeout: Duration) {
        self.producer.poll(timeout);
    }

    /// Waits until every queued message is delivered or has failed (librdkafka gives up after the
    /// delivery timeout), then returns the counts.
    pub fn flush(&mut self) -> DeliveryTally {
        let limit = self.config.delivery_timeout + Duration::from_secs(5);
        let _ = self.producer.flush(limit);
        self.tally()
    }

    /// Counts so far.
    pub fn tally(&self) -> DeliveryTally {
        DeliveryTally {
            sent: self.sent,
            delivered: self.context.delivered(),
            failed: self.context.failed(),
            first_failure: self.context.first_failure(),
        }
    }

    /// The error for `failed` undelivered messages, if any.
    pub fn undelivered_error(&self, tally: &DeliveryTally) -> Option<StreamError> {
        let failed = tally.failed + tally.sent.saturating_sub(tally.delivered + tally.failed);
        (failed > 0).then(|| StreamError::Undelivered {
            failed,
            total: tally.sent,
            target: format!("topic {} at {}", self.config.topic, self.config.brokers),
            first_error: tally
                .first_failure
                .clone()
                .or_else(|| Some("not acknowledged before the delivery timeout".to_string())),
        })
    }
}
