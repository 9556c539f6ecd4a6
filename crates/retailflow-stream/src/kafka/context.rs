//! Client contexts: how librdkafka's callbacks reach retailflow. The producer context counts
//! deliveries and failures and reports broker trouble on the status log (at most one line per
//! distinct problem every few seconds); the consumer context keeps the text of the last error,
//! because errors reach a consumer through `poll` with only a code.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::{DeliveryResult, ProducerContext};

use crate::kafka::describe_error;
use crate::status::StatusLog;

/// How often the same broker problem may be reported again.
const REPEAT_AFTER: Duration = Duration::from_secs(10);

/// Producer callbacks: delivery counts and rate-limited error lines.
#[derive(Debug)]
pub struct ProducerStatus {
    label: String,
    status: StatusLog,
    delivered: AtomicU64,
    failed: AtomicU64,
    first_failure: Mutex<Option<String>>,
    last_report: Mutex<Option<(String, Instant)>>,
}

impl ProducerStatus {
    /// Callbacks for a producer named `label` in status lines (e.g. `produce`).
    pub fn new(label: impl Into<String>, status: StatusLog) -> Self {
        Self {
            label: label.into(),
            status,
            delivered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            first_failure: Mutex::new(None),
            last_report: Mutex::new(None),
        }
    }

    /// Messages the broker acknowledged.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Messages that failed for good.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// The first delivery failure, in words.
    pub fn first_failure(&self) -> Option<String> {
        self.first_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Counts a message librdkafka refused before sending it.
    pub fn record_local_failure(&self, code: rdkafka::types::RDKafkaErrorCode) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let text = describe_error(&KafkaError::MessageProduction(code));
        let mut first = self.first_failure.lock().unwrap_or_else(|p| p.into_inner());
        if first.is_none() {
            *first = Some(text.clone());
        }
        drop(first);
        self.report(format!("delivery failed: {text}"));
    }

    fn report(&self, text: String) {
        let mut last = self.last_report.lock().unwrap_or_else(|p| p.into_inner());
        let repeat = matches!(&*last, Some((previous, at)) if *previous == text && at.elapsed() < REPEAT_AFTER);
        if !repeat {
            self.status.line(format!("{}: {text}", self.label));
            *last = Some((text, Instant::now()));
        }
    }
}

impl ClientContext for ProducerStatus {
    fn log(&self, _level: RDKafkaLogLevel, _facility: &str, _message: &str) {}

    fn error(&self, error: KafkaError, reason: &str) {
        let text = if reason.is_empty() {
            describe_error(&error)
        } else {
            reason.to_string()
        };
        self.report(format!("broker trouble, retrying: {text}"));
    }
}

impl ProducerContext for ProducerStatus {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _opaque: ()) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let text = describe_error(error);
                let mut first = self.first_failure.lock().unwrap_or_else(|p| p.into_inner());
                if first.is_none() {
                    *first = Some(text.clone());
                }
                drop(first);
                self.report(format!("delivery failed: {text}"));
            }
        }
    }
}

/// Consumer callbacks: remembers the last error text so `poll` errors can be explained, and counts
/// the group's rebalances.
#[derive(Debug, Default)]
pub struct ConsumerStatus {
    last_error: Mutex<Option<String>>,
    rebalances: std::sync::atomic::AtomicU64,
}

impl ConsumerStatus {
    /// Takes the text of the last error librdkafka reported, if any.
    pub fn take_last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

impl ClientContext for ConsumerStatus {
    fn log(&self, _level: RDKafkaLogLevel, _facility: &str, _message: &str) {}

    fn error(&self, error: KafkaError, reason: &str) {
        let text = if reason.is_empty() {
            describe_error(&error)
        } else {
            reason.to_string()
        };
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(text);
    }
}

impl ConsumerStatus {
    /// Rebalances completed so far (assignments and revocations).
    pub fn rebalances(&self) -> u64 {
        self.rebalances.load(std::sync::atomic::Ordering::Acquire)
    }
}

impl ConsumerContext for ConsumerStatus {
    fn post_rebalance(
        &self,
        _consumer: &rdkafka::consumer::BaseConsumer<Self>,
        _rebalance: &rdkafka::consumer::Rebalance<'_>,
    ) {
        self.rebalances
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
}
