//! Helpers shared by the tests that run on librdkafka's mock cluster: an environment on the system
//! clock with captured status lines, deterministic receipts produced to a topic, and a reader of a
//! whole topic.
#![allow(clippy::unwrap_used, dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use retailflow_eventtime::{EventTime, TimeSpan};
use retailflow_stream::Environment;
use retailflow_stream::clock::SystemClock;
use retailflow_stream::command::{ProduceMode, ProduceSettings, run_produce};
use retailflow_stream::generate::{EventClock, Faults};
use retailflow_stream::output::kafka::EPOCH_HEADER;
use retailflow_stream::produce::{ProducePlan, ProduceSummary};
use retailflow_stream::shutdown::Shutdown;
use retailflow_stream::status::{CapturedStatus, StatusLog};

/// The system clock, a fresh shutdown flag, and status lines captured for the test.
pub fn environment() -> (Environment, CapturedStatus) {
    let (status, captured) = StatusLog::captured();
    (
        Environment {
            clock: Arc::new(SystemClock),
            shutdown: Shutdown::new(),
            status,
            monitors: Default::default(),
        },
        captured,
    )
}

/// Produces `count` receipts from `seed` to `topic` (500 a second of event time from 2025-01-01,
/// late ones 30 s late: a `late_fraction` of them, and a `malformed_fraction` damaged), and checks
/// that every one was delivered.
pub fn produce_receipts(
    brokers: &str,
    topic: &str,
    count: u64,
    seed: u64,
    late_fraction: f64,
    malformed_fraction: f64,
) -> ProduceSummary {
    let (env, _) = environment();
    let settings = ProduceSettings {
        brokers: brokers.to_string(),
        topic: topic.to_string(),
        mode: ProduceMode::Receipts,
        seed,
        event_clock: EventClock::Seeded {
            start: EventTime(1_735_689_600_000),
            events_per_second: 500.0,
        },
        faults: Faults {
            late_fraction,
            late_by: TimeSpan::from_secs(30),
            malformed_fraction,
            ..Faults::default()
        },
        plan: ProducePlan {
            count: Some(count),
            ..ProducePlan::default()
        },
        out: None,
        delivery_timeout: Duration::from_secs(30),
    };
    let summary = run_produce(&settings, &env).unwrap();
    assert_eq!(summary.tally.sent, count);
    assert_eq!(summary.tally.delivered, count, "{summary:?}");
    summary
}

/// A message read back: key, payload and the epoch header, if any.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReadMessage {
    pub payload: String,
    pub key: Option<String>,
    pub epoch: Option<String>,
}

/// Reads `expected` messages of `topic` (all partitions, from the start), or what there is after
/// a few seconds more.
pub fn read_topic(
    brokers: &str,
    topic: &str,
    partitions: i32,
    expected: usize,
) -> Vec<ReadMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "test-reader")
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    for partition in 0..partitions {
        list.add_partition_offset(topic, partition, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&list).unwrap();
    let mut deadline = Instant::now() + Duration::from_secs(30);
    let mut messages = Vec::new();
    while Instant::now() < deadline {
        if messages.len() == expected {
            // Anything beyond the expected count would be a duplicate: wait a little for it.
            deadline = deadline.min(Instant::now() + Duration::from_secs(2));
        }
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).unwrap();
            messages.push(ReadMessage {
                payload: text(message.payload().unwrap()),
                key: message.key().map(text),
                epoch: message.headers().and_then(|headers| {
                    headers
                        .iter()
                        .find(|h| h.key == EPOCH_HEADER)
                        .and_then(|h| h.value.map(text))
                }),
            });
        }
    }
    messages
}
