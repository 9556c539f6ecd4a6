//! A Kafka topic writer shared by `produce` and the dead-letter topic: sends with back-pressure
//! when librdkafka's queue is full (waiting, never spinning), counts deliveries, and flushes.
//! A writer made with [`KafkaWriter::connect_transactional`] writes inside Kafka transactions;
//! [`KafkaWriter::sharing`] gives a writer to another topic on the same producer, so that its
//! messages (the dead letters) join the same transactions as the results.
//!
//! A transactional writer whose producer was fenced (another instance initialised transactions
//! with the same transactional id) fails every operation with [`StreamError::Fenced`], one line,
//! instead of retrying.
//!
//! Test hook: when the environment variable [`PAUSE_BEFORE_COMMIT_VAR`] holds a number of
//! milliseconds, a transactional writer sleeps that long just before every commit, so a test can
//! kill the run deterministically between a transaction's last send and its commit. It is meant
//! for tests only; leave it unset.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rdkafka::TopicPartitionList;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::ConsumerGroupMetadata;
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

/// The test hook's environment variable: milliseconds to sleep before each transaction commit.
pub const PAUSE_BEFORE_COMMIT_VAR: &str = "RETAILFLOW_TEST_PAUSE_BEFORE_COMMIT_MS";

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

/// The transaction shared by every writer on one transactional producer.
#[derive(Debug)]
struct TransactionState {
    /// The checkpoint epoch the messages written now belong to.
    epoch: u64,
    /// Whether a transaction is open.
    open: bool,
    /// The test hook's pause before each commit.
    pause_before_commit: Option<Duration>,
}

/// Writes messages to one topic.
pub struct KafkaWriter {
    producer: Arc<BaseProducer<ProducerStatus>>,
    context: Arc<ProducerStatus>,
    config: WriterConfig,
    /// Messages handed to the producer, by every writer sharing it.
    sent: Arc<AtomicU64>,
    transaction: Option<Arc<Mutex<TransactionState>>>,
    /// The transactional id (transactional writers only).
    transactional_id: Option<String>,
}

impl std::fmt::Debug for KafkaWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaWriter")
            .field("config", &self.config)
            .field("sent", &self.sent.load(Ordering::Relaxed))
            .field("transactional", &self.transaction.is_some())
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
    /// The messages written first belong to checkpoint `epoch`.
    pub fn connect_transactional(
        config: WriterConfig,
        transactional_id: &str,
        epoch: u64,
        status: StatusLog,
    ) -> Result<Self, StreamError> {
        let mut writer = Self::create(config, status, Some(transactional_id))?;
        writer.transactional_id = Some(transactional_id.to_string());
        writer.transaction = Some(Arc::new(Mutex::new(TransactionState {
            epoch,
            open: false,
            pause_before_commit: pause_before_commit(),
        })));
        let timeout = writer.transaction_timeout();
        writer
            .producer
            .init_transactions(timeout)
            .map_err(|source| writer.kafka_error("initialise transactions on", source))?;
        Ok(writer)
    }

    /// A writer to `topic` on this writer's producer: a transactional writer's messages join the
    /// same transactions. Delivery counts are the producer's, shared by both.
    pub fn sharing(&self, topic: &str, label: &str) -> Self {
        Self {
            producer: self.producer.clone(),
            context: self.context.clone(),
            config: WriterConfig {
                topic: topic.to_string(),
                label: label.to_string(),
                ..self.config.clone()
            },
            sent: self.sent.clone(),
            transaction: self.transaction.clone(),
            transactional_id: self.transactional_id.clone(),
        }
    }

    fn create(
        config: WriterConfig,
        status: StatusLog,
        transactional_id: Option<&str>,
    ) -> Result<Self, StreamError> {
        let context = ProducerStatus::new(config.label.clone(), status);
        let mut client = ClientConfig::new();
        if let Some(id) = transactional_id {
            // A transaction its writer leaves open (killed) is aborted by the broker this soon.
            let timeout = config.delivery_timeout + Duration::from_secs(5);
            client
                .set("transactional.id", id)
                .set("transaction.timeout.ms", timeout.as_millis().to_string());
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
                cause: source,
            })?;
        let context = producer.context().clone();
        Ok(Self {
            producer: Arc::new(producer),
            context,
            config,
            sent: Arc::new(AtomicU64::new(0)),
            transaction: None,
            transactional_id: None,
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
                    self.sent.fetch_add(1, Ordering::Relaxed);
                    self.producer.poll(Duration::ZERO);
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    // Back-pressure: serve delivery reports until there is room.
                    self.producer.poll(Duration::from_millis(50));
                }
                Err((KafkaError::MessageProduction(code), _)) => {
                    if let Some(fenced) = self.fenced() {
                        return Err(fenced);
                    }
                    // Refused locally (e.g. over the size limit): it will never be delivered.
                    self.sent.fetch_add(1, Ordering::Relaxed);
                    self.context.record_local_failure(code);
                    return Ok(());
                }
                Err((source, _)) => {
                    return Err(StreamError::Kafka {
                        operation: format!("send to {}", self.config.topic),
                        cause: source,
                    });
                }
            }
        }
    }

    fn state(&self) -> Option<std::sync::MutexGuard<'_, TransactionState>> {
        self.transaction
            .as_ref()
            .map(|state| state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The checkpoint epoch of the messages written now (transactional writers only).
    pub fn transaction_epoch(&self) -> Option<u64> {
        self.state().map(|state| state.epoch)
    }

    /// Opens a transaction unless one is open (transactional writers only); returns its epoch.
    pub fn ensure_transaction(&self) -> Result<Option<u64>, StreamError> {
        let Some(mut state) = self.state() else {
            return Ok(None);
        };
        if !state.open {
            self.producer
                .begin_transaction()
                .map_err(|source| self.kafka_error("begin a transaction on", source))?;
            state.open = true;
        }
        Ok(Some(state.epoch))
    }

    /// Commits `offsets` of the consumer group `group` inside the open transaction (opening one if
    /// needed), so they become the group's committed offsets exactly when the transaction commits.
    pub fn send_offsets(
        &self,
        offsets: &TopicPartitionList,
        group: &ConsumerGroupMetadata,
    ) -> Result<(), StreamError> {
        self.ensure_transaction()?;
        self.producer
            .send_offsets_to_transaction(offsets, group, self.transaction_timeout())
            .map_err(|source| self.kafka_error("commit the consumer offsets with", source))
    }

    /// Commits the open transaction, delivering what is queued first; the messages written next
    /// belong to checkpoint `epoch + 1`.
    pub fn commit_transaction(&self, epoch: u64) -> Result<(), StreamError> {
        let Some(mut state) = self.state() else {
            return Ok(());
        };
        if state.open {
            if let Some(pause) = state.pause_before_commit {
                // The test hook (see the module doc).
                std::thread::sleep(pause);
            }
            self.producer
                .commit_transaction(self.transaction_timeout())
                .map_err(|source| self.kafka_error("commit the transaction on", source))?;
            state.open = false;
        }
        state.epoch = epoch + 1;
        Ok(())
    }

    /// Aborts the open transaction, if any: nothing written in it becomes visible to
    /// read-committed readers, and offsets sent in it are not committed.
    pub fn abort_transaction(&self) -> Result<(), StreamError> {
        let Some(mut state) = self.state() else {
            return Ok(());
        };
        if state.open {
            self.producer
                .abort_transaction(self.transaction_timeout())
                .map_err(|source| self.kafka_error("abort the transaction on", source))?;
            state.open = false;
        }
        Ok(())
    }

    /// The error for a producer another instance fenced, if this one was.
    pub fn fenced(&self) -> Option<StreamError> {
        let (code, _) = self.producer.client().fatal_error()?;
        is_fenced_code(code).then(|| self.fenced_error())
    }

    fn fenced_error(&self) -> StreamError {
        StreamError::Fenced {
            transactional_id: self.transactional_id.clone().unwrap_or_default(),
        }
    }

    fn transaction_timeout(&self) -> Duration {
        self.config.delivery_timeout + Duration::from_secs(5)
    }

    fn kafka_error(&self, operation: &str, source: KafkaError) -> StreamError {
        if source.rdkafka_error_code().is_some_and(is_fenced_code) {
            return self.fenced_error();
        }
        if let Some(fenced) = self.fenced() {
            return fenced;
        }
        StreamError::Kafka {
            operation: format!("{operation} topic {}", self.config.topic),
            cause: source,
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
            sent: self.sent.load(Ordering::Relaxed),
            delivered: self.context.delivered(),
            failed: self.context.failed(),
            first_failure: self.context.first_failure(),
        }
    }

    /// The error for `failed` undelivered messages, if any.
    pub fn undelivered_error(&self, tally: &DeliveryTally) -> Option<StreamError> {
        if let Some(fenced) = self.fenced() {
            return Some(fenced);
        }
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

/// Whether `code` says another producer with the same transactional id took over.
fn is_fenced_code(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::Fenced
            | RDKafkaErrorCode::ProducerFenced
            | RDKafkaErrorCode::InvalidProducerEpoch
    )
}

/// The test hook's pause (see the module doc), when [`PAUSE_BEFORE_COMMIT_VAR`] is set.
fn pause_before_commit() -> Option<Duration> {
    std::env::var(PAUSE_BEFORE_COMMIT_VAR)
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .filter(|&ms| ms > 0)
        .map(Duration::from_millis)
}
