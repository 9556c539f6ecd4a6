//! `retailflow dashboard --from kafka:TOPIC`: the page fed by the result objects that a
//! `--output kafka:TOPIC` run writes, read committed, so one dashboard serves a job of several
//! processes. It starts from the last [`TopicSettings::history`] results of each partition, so
//! the page is full at once, and reads on until stopped.
//!
//! Its health is the result topic's: messages read, results filed (and messages that are not
//! results), the watermark as the end of the newest closed window (a window is only emitted once
//! the job's watermark has passed it), receipts per second from the newest window summary, and the
//! topic's partitions with this reader's lag. The job's own dead letters and checkpoint are not in
//! the topic, so they show as none.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use retailflow_eventtime::EventTime;
use retailflow_stream::timestamp::format_rfc3339;
use retailflow_stream::{Environment, StreamError};

use crate::entry::{Entry, Slot};
use crate::health::{HealthView, PartitionView};
use crate::{Dashboard, DashboardError};

/// How long one metadata or watermark request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the page is updated.
const UPDATE_EVERY: Duration = Duration::from_secs(1);
/// How often the partitions' lag is asked for.
const LAG_EVERY: Duration = Duration::from_secs(5);

/// What to read.
#[derive(Debug, Clone)]
pub struct TopicSettings {
    /// Bootstrap servers.
    pub brokers: String,
    /// The result topic.
    pub topic: String,
    /// Results read back from each partition's end at the start.
    pub history: i64,
}

/// A consumer of the result topic, assigned every partition from [`TopicSettings::history`]
/// results before its end.
pub struct TopicReader {
    consumer: BaseConsumer,
    settings: TopicSettings,
    partitions: Vec<i32>,
}

impl TopicReader {
    /// Connects to `settings.brokers` and assigns the topic's partitions: the brokers must answer
    /// and the topic exist.
    pub fn connect(settings: &TopicSettings) -> Result<Self, DashboardError> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &settings.brokers)
            .set("group.id", "retailflow-dashboard")
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed")
            .set("allow.auto.create.topics", "false")
            .create()
            .map_err(|source| {
                DashboardError::Stream(StreamError::KafkaClient {
                    role: "consumer",
                    brokers: settings.brokers.clone(),
                    cause: source,
                })
            })?;
        let metadata = consumer
            .fetch_metadata(Some(&settings.topic), REQUEST_TIMEOUT)
            .map_err(|cause| DashboardError::Metadata {
                topic: settings.topic.clone(),
                brokers: settings.brokers.clone(),
                reason: retailflow_stream::kafka::describe_error(&cause),
            })?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|topic| topic.name() == settings.topic && topic.error().is_none())
            .flat_map(|topic| topic.partitions().iter().map(|p| p.id()))
            .collect();
        if partitions.is_empty() {
            return Err(DashboardError::Stream(StreamError::InvalidArgument {
                what: "--from",
                input: format!("kafka:{}", settings.topic),
                reason: format!("there is no such topic at {}", settings.brokers),
            }));
        }
        let assign_error = |cause| {
            DashboardError::Stream(StreamError::Kafka {
                operation: format!("assign {}", settings.topic),
                cause,
            })
        };
        let mut assignment = TopicPartitionList::new();
        for &partition in &partitions {
            assignment
                .add_partition_offset(
                    &settings.topic,
                    partition,
                    Offset::OffsetTail(settings.history),
                )
                .map_err(assign_error)?;
        }
        consumer.assign(&assignment).map_err(assign_error)?;
        Ok(TopicReader {
            consumer,
            settings: settings.clone(),
            partitions,
        })
    }

    /// Reads the topic into `dashboard` until `environment.shutdown` is requested.
    pub fn run(
        self,
        dashboard: &Dashboard,
        environment: &Environment,
    ) -> Result<(), DashboardError> {
        let TopicReader {
            consumer,
            settings,
            partitions,
        } = self;
        let settings = &settings;
        environment.status.line(format!(
            "dashboard: reading results from kafka topic {} ({} partitions) at {}; {} — Ctrl-C to stop",
            settings.topic,
            partitions.len(),
            settings.brokers,
            dashboard.url()
        ));

        let mut reading = TopicReading::new(settings, partitions);
        let mut entries = Vec::new();
        let mut last_update = Instant::now();
        let mut lag_asked: Option<Instant> = None;
        while !environment.shutdown.is_requested() {
            if let Some(result) = consumer.poll(Duration::from_millis(100)) {
                match result {
                    Ok(message) => {
                        reading.received += 1;
                        reading
                            .next_offsets
                            .insert(message.partition(), message.offset() + 1);
                        match Entry::from_message(message.payload().unwrap_or_default()) {
                            Ok(entry) => {
                                reading.file(&entry);
                                entries.push(entry);
                            }
                            Err(_) => reading.not_results += 1,
                        }
                    }
                    Err(error) => environment
                        .status
                        .line(format!("dashboard: reading {}: {error}", settings.topic)),
                }
            }
            if last_update.elapsed() >= UPDATE_EVERY {
                if lag_asked.is_none_or(|asked| asked.elapsed() >= LAG_EVERY) {
                    lag_asked = Some(Instant::now());
                    for partition in reading.partitions.clone() {
                        if let Ok((low, high)) =
                            consumer.fetch_watermarks(&settings.topic, partition, REQUEST_TIMEOUT)
                        {
                            let next = reading.next_offsets.get(&partition).copied().unwrap_or(low);
                            reading.lag.insert(partition, (high - next).max(0));
                        }
                    }
                }
                reading.updates += 1;
                let health = reading.health(environment.clock.wall_time());
                dashboard.send_topic(std::mem::take(&mut entries), health);
                last_update = Instant::now();
            }
        }
        Ok(())
    }
}

/// What has been read so far.
#[derive(Debug)]
struct TopicReading {
    job: String,
    source: String,
    partitions: Vec<i32>,
    received: u64,
    filed: u64,
    not_results: u64,
    updates: u64,
    newest_window_end: Option<EventTime>,
    receipts_per_s: f64,
    next_offsets: BTreeMap<i32, i64>,
    lag: BTreeMap<i32, i64>,
}

impl TopicReading {
    fn new(settings: &TopicSettings, partitions: Vec<i32>) -> Self {
        TopicReading {
            job: format!(
                "results of kafka topic {} at {}",
                settings.topic, settings.brokers
            ),
            source: format!("kafka:{}", settings.topic),
            partitions,
            received: 0,
            filed: 0,
            not_results: 0,
            updates: 0,
            newest_window_end: None,
            receipts_per_s: 0.0,
            next_offsets: BTreeMap::new(),
            lag: BTreeMap::new(),
        }
    }

    fn file(&mut self, entry: &Entry) {
        self.filed += 1;
        if let Some(window) = entry.window {
            let end = window.1;
            if self.newest_window_end.is_none_or(|newest| end > newest) {
                self.newest_window_end = Some(end);
                if entry.slot == Slot::WindowSummary
                    && let Some(receipts) = entry.receipts
                {
                    let seconds = (window.1.millis() - window.0.millis()) as f64 / 1000.0;
                    if seconds > 0.0 {
                        self.receipts_per_s = (receipts as f64 / seconds * 10.0).round() / 10.0;
                    }
                }
            }
        }
    }

    fn health(&self, now: EventTime) -> HealthView {
        let mut dead_letters = BTreeMap::new();
        if self.not_results > 0 {
            dead_letters.insert("not_a_result", self.not_results);
        }
        HealthView {
            job: self.job.clone(),
            state: "running",
            source: Some(self.source.clone()),
            received: self.received,
            processed: self.filed,
            dead_letters,
            dead_letters_total: self.not_results,
            late: 0,
            watermark: self.newest_window_end.map(format_rfc3339),
            watermark_lag_ms: self
                .newest_window_end
                .map(|end| (now.millis() - end.millis()).max(0)),
            receipts_per_s: self.receipts_per_s,
            batches: self.updates,
            partitions: self
                .partitions
                .iter()
                .map(|&partition| PartitionView {
                    partition,
                    watermark: None,
                    idle: false,
                    lag: self.lag.get(&partition).copied(),
                })
                .collect(),
            checkpoint: None,
            updated: Some(format_rfc3339(now)),
            dropped_updates: 0,
        }
    }
}
