//! `retailflow produce` as a library call: build the generator (values or receipts, seeded, with
//! faults) and the target (a Kafka topic or a JSONL file), then run the produce loop.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::StreamError;
use crate::generate::{EventClock, Faults, MessageGenerator, ReceiptGenerator, ValueGenerator};
use crate::kafka::WriterConfig;
use crate::pipeline::Environment;
use crate::produce::{
    FileTarget, KafkaTarget, MessageTarget, ProducePlan, ProduceSummary, produce,
};

/// What to produce (`--mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProduceMode {
    /// `{"value": n}`, n uniform in 1..=100.
    Value,
    /// Store receipts keyed by store id.
    Receipts,
}

/// Everything `retailflow produce` needs.
#[derive(Debug, Clone)]
pub struct ProduceSettings {
    /// Bootstrap servers.
    pub brokers: String,
    /// The topic written.
    pub topic: String,
    /// Values or receipts.
    pub mode: ProduceMode,
    /// The generator's seed.
    pub seed: u64,
    /// Where event times come from.
    pub event_clock: EventClock,
    /// Late and malformed messages.
    pub faults: Faults,
    /// Rate, count, duration.
    pub plan: ProducePlan,
    /// Write to this JSONL file instead of Kafka.
    pub out: Option<PathBuf>,
    /// How long a message may take to be delivered before it counts as failed.
    pub delivery_timeout: Duration,
}

impl ProduceSettings {
    /// The generator for these settings.
    pub fn generator(&self) -> Box<dyn MessageGenerator + Send> {
        match self.mode {
            ProduceMode::Value => Box::new(ValueGenerator::new(
                self.seed,
                self.faults.malformed_fraction,
            )),
            ProduceMode::Receipts => Box::new(ReceiptGenerator::new(
                self.seed,
                self.event_clock,
                self.faults,
            )),
        }
    }

    /// The target for these settings.
    pub fn target(&self, environment: &Environment) -> Result<Box<dyn MessageTarget>, StreamError> {
        Ok(match &self.out {
            Some(path) => Box::new(FileTarget::create(path)?),
            None => Box::new(KafkaTarget::connect(
                WriterConfig {
                    brokers: self.brokers.clone(),
                    topic: self.topic.clone(),
                    delivery_timeout: self.delivery_timeout,
                    label: "produce".to_string(),
                },
                environment.status.clone(),
            )?),
        })
    }
}

impl ProduceSettings {
    /// What `faults.anomalies` injects into receipts, one line each; at event times when the
    /// clock is seeded (else in windows after the first receipt's).
    pub fn injected(&self) -> Vec<String> {
        match (self.mode, self.faults.anomalies) {
            (ProduceMode::Receipts, Some(layout)) => layout.describe(match self.event_clock {
                EventClock::Seeded { start, .. } => Some(layout.origin(start)),
                EventClock::Wall => None,
            }),
            (ProduceMode::Receipts, None) | (ProduceMode::Value, _) => Vec::new(),
        }
    }

    /// A line describing the run, for the status log.
    pub fn describe(&self, target: String) -> String {
        let what = match self.mode {
            ProduceMode::Value => "values",
            ProduceMode::Receipts => "receipts",
        };
        let pace = match self.plan.rate {
            Some(rate) => format!("{rate} msg/s"),
            None => "as fast as possible".to_string(),
        };
        let until = match (self.plan.count, self.plan.duration) {
            (Some(count), _) => format!("{count} messages"),
            (None, Some(duration)) => format!("for {}", crate::progress::human_duration(duration)),
            (None, None) => "until stopped".to_string(),
        };
        let clock = match (self.mode, self.event_clock) {
            (
                ProduceMode::Receipts,
                EventClock::Seeded {
                    start,
                    events_per_second,
                },
            ) => format!(
                ", event times from {} at {events_per_second}/s",
                crate::timestamp::format_rfc3339(start)
            ),
            (ProduceMode::Value, _) | (ProduceMode::Receipts, EventClock::Wall) => String::new(),
        };
        format!(
            "produce: {what} to {target}, {pace}, {until}, seed {}{clock}",
            self.seed
        )
    }
}

/// Runs `retailflow produce`.
pub fn run_produce(
    settings: &ProduceSettings,
    environment: &Environment,
) -> Result<ProduceSummary, StreamError> {
    let mut generator = settings.generator();
    let mut target = settings.target(environment)?;
    environment
        .status
        .line(settings.describe(target.describe()));
    for line in settings.injected() {
        environment
            .status
            .line(format!("produce: injecting {line}"));
    }
    produce(
        generator.as_mut(),
        target.as_mut(),
        &settings.plan,
        environment,
    )
}
