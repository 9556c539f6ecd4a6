//! A Kafka topic as a source: a member of a consumer group (`BaseConsumer`, polled with a timeout,
//! so it never spins), offsets committed only after a batch's results and dead letters are
//! written (at-least-once), and a deliberate close that leaves the group.
//!
//! With `until_end` the input is bounded like Spark's `Trigger.AvailableNow`: the end offsets seen
//! at start are the target, and the source ends once every partition reached them. Messages past
//! them are neither handled nor committed; a later run reads them. A run given a drain request
//! ([`KafkaSourceConfig::drain`]) becomes bounded the same way when the request is made, at the end
//! offsets seen then.
//!
//! A broker that is down or goes away is reported on the status log and retried with back-off.
//!
//! With a checkpoint ([`KafkaSourceConfig::resume_from`]) the source does not join the group's
//! partition assignment: like Spark, it assigns itself every partition of the topic and starts each
//! at the checkpoint's offset (a partition the checkpoint does not name starts at the group's
//! committed offset, else per `start`). Offsets are still committed to the group, for monitoring
//! and for runs without the checkpoint.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::backoff::Backoff;
use crate::checkpoint::SourcePosition;
use crate::clock::Clock;
use crate::dead_letter::OVERSIZED_PAYLOAD_PREVIEW;
use crate::error::StreamError;
use crate::kafka::{ConsumerStatus, describe_error};
use crate::message::{MessageBatch, MessageMeta, Positions};
use crate::shutdown::Shutdown;
use crate::source::{GroupOffsets, Polled, Source};
use crate::status::StatusLog;

/// How long a metadata or offset request may block.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a lasting broker problem is reported again.
const REPORT_EVERY: Duration = Duration::from_secs(30);
/// How often the partitions' lag is asked for (with `--dashboard`).
const LAG_EVERY: Duration = Duration::from_secs(5);
/// How long one partition's high watermark may take to come back.
const LAG_TIMEOUT: Duration = Duration::from_millis(200);
/// How long closing the consumer may take before it is abandoned.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a consumer group with no committed offset starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFrom {
    /// The oldest message still in the topic.
    Earliest,
    /// Only messages written after the start.
    Latest,
}

/// How to consume.
#[derive(Debug, Clone)]
pub struct KafkaSourceConfig {
    /// Bootstrap servers, `host:port[,host:port...]`.
    pub brokers: String,
    /// The topic.
    pub topic: String,
    /// The consumer group (committed offsets live there).
    pub group: String,
    /// Where to start without a committed offset.
    pub start: StartFrom,
    /// Stop at the end offsets seen at start.
    pub until_end: bool,
    /// Once this is requested, stop at the end offsets seen then (as `until_end` does with those
    /// seen at start): the demo requests it when its producer has stopped, so that the stream reads
    /// everything that was sent.
    pub drain: Option<Shutdown>,
    /// Payloads over this many bytes keep only their start (they go to the dead letters).
    pub max_message_size: usize,
    /// Assign every partition to this run, starting at these offsets, instead of subscribing with
    /// the group (a run with a checkpoint; empty on its first start).
    pub resume_from: Option<Positions>,
}

/// The end offsets a bounded run still has to reach, per partition.
#[derive(Debug)]
enum EndTarget {
    Unbounded,
    NotYetKnown,
    Remaining(BTreeMap<i32, i64>),
}

/// A consumer-group member reading one topic.
pub struct KafkaSource {
    config: KafkaSourceConfig,
    name: String,
    consumer: Option<BaseConsumer<ConsumerStatus>>,
    end: EndTarget,
    /// Partitions still to assign, with their start offsets (checkpointed runs only).
    to_assign: Option<Positions>,
    /// Where each assigned partition started (checkpointed runs, once assigned).
    assigned_starts: Option<Positions>,
    backoff: Backoff,
    retry_at: Option<Instant>,
    /// After a back-off, errors queued while waiting are drained before a new error counts.
    draining: bool,
    last_report: Option<Instant>,
    /// When the partitions' high watermarks were last asked for, and the lag they gave.
    lag_asked: Option<Instant>,
    lag_seen: Vec<(i32, i64)>,
    clock: Arc<dyn Clock>,
    shutdown: Shutdown,
    status: StatusLog,
}

impl std::fmt::Debug for KafkaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSource")
            .field("config", &self.config)
            .field("end", &self.end)
            .finish()
    }
}

impl KafkaSource {
    /// Creates the consumer and subscribes. Nothing here waits for the broker: an unreachable
    /// broker shows up (and is retried) while polling.
    pub fn connect(
        config: KafkaSourceConfig,
        clock: Arc<dyn Clock>,
        shutdown: Shutdown,
        status: StatusLog,
    ) -> Result<Self, StreamError> {
        let consumer: BaseConsumer<ConsumerStatus> = ClientConfig::new()
            .set("bootstrap.servers", &config.brokers)
            .set("group.id", &config.group)
            .set("client.id", "retailflow-stream")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set(
                "auto.offset.reset",
                match config.start {
                    StartFrom::Earliest => "earliest",
                    StartFrom::Latest => "latest",
                },
            )
            .set("fetch.wait.max.ms", "100")
            .set("socket.timeout.ms", "10000")
            .set("session.timeout.ms", "10000")
            .set("allow.auto.create.topics", "false")
            .create_with_context(ConsumerStatus::default())
            .map_err(|source| StreamError::KafkaClient {
                role: "consumer",
                brokers: config.brokers.clone(),
                cause: source,
            })?;
        if config.resume_from.is_none() {
            consumer
                .subscribe(&[&config.topic])
                .map_err(|source| StreamError::Kafka {
                    operation: format!("subscribe to {}", config.topic),
                    cause: source,
                })?;
        }
        Ok(Self {
            to_assign: config.resume_from.clone(),
            assigned_starts: None,
            name: format!("kafka:{}", config.topic),
            end: if config.until_end {
                EndTarget::NotYetKnown
            } else {
                EndTarget::Unbounded
            },
            config,
            consumer: Some(consumer),
            backoff: Backoff::default(),
            retry_at: None,
            draining: false,
            last_report: None,
            lag_asked: None,
            lag_seen: Vec::new(),
            clock,
            shutdown,
            status,
        })
    }

    fn consumer(&self) -> Result<&BaseConsumer<ConsumerStatus>, StreamError> {
        self.consumer.as_ref().ok_or_else(|| StreamError::Kafka {
            operation: format!("read from {}", self.config.topic),
            cause: KafkaError::Canceled,
        })
    }

    /// Reports a broker problem and schedules the next attempt. Reports are sparse: the 1st, 2nd,
    /// 4th, 8th… failure in a row, and at least every 30 s while it lasts.
    fn back_off(&mut self, what: &str, error: &KafkaError) {
        let context_text = self
            .consumer
            .as_ref()
            .and_then(|c| c.context().take_last_error());
        let text = context_text.unwrap_or_else(|| describe_error(error));
        let wait = self.backoff.fail();
        let failures = self.backoff.failures();
        let now = self.clock.now();
        let due = self
            .last_report
            .is_none_or(|at| now.duration_since(at) >= REPORT_EVERY);
        if failures.is_power_of_two() || due {
            self.status.line(format!(
                "kafka: {what} {} at {}: {text}; retrying in {}",
                self.config.topic,
                self.config.brokers,
                crate::progress::human_duration(wait)
            ));
            self.last_report = Some(now);
        }
        self.retry_at = Some(now + wait);
    }

    fn recovered(&mut self) {
        self.draining = false;
        if self.backoff.failures() > 0 {
            self.status
                .line(format!("kafka: reading {} again", self.config.topic));
        }
        self.backoff.succeed();
    }

    /// Where every partition of the topic starts, with its high watermark: the offset in `known`
    /// (a checkpoint's), else the group's committed offset, else the low or high watermark as
    /// `start` says.
    fn resolve_starts(
        &self,
        known: Option<&Positions>,
    ) -> Result<BTreeMap<i32, (i64, i64)>, KafkaError> {
        let consumer = self.consumer.as_ref().ok_or(KafkaError::Canceled)?;
        let topic = &self.config.topic;
        let metadata = consumer.fetch_metadata(Some(topic), REQUEST_TIMEOUT)?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == topic)
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if partitions.is_empty() {
            return Err(KafkaError::MetadataFetch(
                rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition,
            ));
        }
        let mut all = TopicPartitionList::new();
        for &partition in &partitions {
            all.add_partition(topic, partition);
        }
        let committed = consumer.committed_offsets(all, REQUEST_TIMEOUT)?;
        let mut starts = BTreeMap::new();
        for &partition in &partitions {
            let (low, high) = consumer.fetch_watermarks(topic, partition, REQUEST_TIMEOUT)?;
            let known = known.and_then(|positions| positions.next_offset(partition));
            let start = match known.map(Offset::Offset).or_else(|| {
                committed
                    .find_partition(topic, partition)
                    .map(|e| e.offset())
            }) {
                Some(Offset::Offset(offset)) => offset,
                _ => match self.config.start {
                    StartFrom::Earliest => low,
                    StartFrom::Latest => high,
                },
            };
            starts.insert(partition, (start, high));
        }
        Ok(starts)
    }

    /// The end offsets still to reach: the high watermark of every partition that starts below it.
    fn fetch_end_target(&self) -> Result<BTreeMap<i32, i64>, KafkaError> {
        let starts = self.resolve_starts(self.config.resume_from.as_ref())?;
        Ok(end_target(&starts))
    }

    /// Assigns every partition of the topic to this consumer at an explicit offset (the
    /// checkpoint's, else resolved now) and remembers them, so that a checkpoint names every
    /// partition's position even before anything was read from it.
    fn assign_all(&mut self, start_at: &Positions) -> Result<(), KafkaError> {
        let starts = self.resolve_starts(Some(start_at))?;
        let consumer = self.consumer.as_ref().ok_or(KafkaError::Canceled)?;
        let mut list = TopicPartitionList::new();
        for (&partition, &(start, _)) in &starts {
            list.add_partition_offset(&self.config.topic, partition, Offset::Offset(start))?;
        }
        consumer.assign(&list)?;
        // A bounded run's end offsets come from the same look at the partitions.
        if matches!(self.end, EndTarget::NotYetKnown) {
            self.end = EndTarget::Remaining(end_target(&starts));
        }
        self.assigned_starts = Some(Positions::from_pairs(
            starts
                .into_iter()
                .map(|(partition, (start, _))| (partition, start)),
        ));
        Ok(())
    }

    /// Drops partitions whose position already reached their end (e.g. past transaction markers).
    fn check_positions(&mut self) {
        let EndTarget::Remaining(remaining) = &mut self.end else {
            return;
        };
        let Some(consumer) = self.consumer.as_ref() else {
            return;
        };
        let Ok(positions) = consumer.position() else {
            return;
        };
        remaining.retain(|&partition, end| {
            match positions
                .find_partition(&self.config.topic, partition)
                .map(|e| e.offset())
            {
                Some(Offset::Offset(position)) => position < *end,
                _ => true,
            }
        });
    }

    fn pause(&self, partition: i32) {
        if let Some(consumer) = self.consumer.as_ref() {
            let mut list = TopicPartitionList::new();
            list.add_partition(&self.config.topic, partition);
            // A partition that is not assigned cannot be paused; it is ignored when read anyway.
            let _ = consumer.pause(&list);
        }
    }
}

/// The high watermark of every partition that starts below it: where a bounded run ends.
fn end_target(starts: &BTreeMap<i32, (i64, i64)>) -> BTreeMap<i32, i64> {
    starts
        .iter()
        .filter(|&(_, &(start, high))| start < high)
        .map(|(&partition, &(_, high))| (partition, high))
        .collect()
}

impl Source for KafkaSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn lag(&mut self, positions: &Positions) -> Vec<(i32, i64)> {
        let now = self.clock.now();
        if self
            .lag_asked
            .is_some_and(|asked| now.saturating_duration_since(asked) < LAG_EVERY)
        {
            return self.lag_seen.clone();
        }
        self.lag_asked = Some(now);
        let (Some(consumer), Some(partitions)) = (&self.consumer, self.partitions()) else {
            return Vec::new();
        };
        let mut lag = Vec::new();
        for partition in partitions {
            // One short request per partition, every few seconds; a broker that does not answer
            // leaves the lag unknown until the next try.
            let Ok((low, high)) =
                consumer.fetch_watermarks(&self.config.topic, partition, LAG_TIMEOUT)
            else {
                break;
            };
            let next = positions.next_offset(partition).unwrap_or(low);
            lag.push((partition, (high - next).max(0)));
        }
        self.lag_seen = lag;
        self.lag_seen.clone()
    }

    fn poll(&mut self, timeout: Duration, batch: &mut MessageBatch) -> Result<Polled, StreamError> {
        if let Some(retry_at) = self.retry_at {
            let now = self.clock.now();
            if now < retry_at {
                self.clock
                    .sleep((retry_at - now).min(timeout), &self.shutdown);
                return Ok(Polled::Nothing);
            }
            self.retry_at = None;
            self.draining = true;
        }
        if let Some(start_at) = self.to_assign.take() {
            if let Err(error) = self.assign_all(&start_at) {
                self.to_assign = Some(start_at);
                self.back_off("cannot assign the partitions of", &error);
                return Ok(Polled::Nothing);
            }
            self.recovered();
        }
        if matches!(self.end, EndTarget::Unbounded)
            && self
                .config
                .drain
                .as_ref()
                .is_some_and(Shutdown::is_requested)
        {
            self.end = EndTarget::NotYetKnown;
        }
        if matches!(self.end, EndTarget::NotYetKnown) {
            match self.fetch_end_target() {
                Ok(remaining) => {
                    self.recovered();
                    self.end = EndTarget::Remaining(remaining);
                }
                Err(error) => {
                    self.back_off("cannot find the end offsets of", &error);
                    return Ok(Polled::Nothing);
                }
            }
        }
        if let EndTarget::Remaining(remaining) = &self.end
            && remaining.is_empty()
        {
            return Ok(Polled::End);
        }
        let max_message_size = self.config.max_message_size;
        // While draining, take what is already queued without waiting.
        let wait = if self.draining {
            Duration::ZERO
        } else {
            timeout
        };
        let polled = self.consumer()?.poll(wait);
        let (partition, offset) = match polled {
            None => {
                self.draining = false;
                self.check_positions();
                return Ok(Polled::Nothing);
            }
            Some(Ok(message)) => {
                let (partition, offset) = (message.partition(), message.offset());
                let wanted = match &self.end {
                    EndTarget::Remaining(remaining) => {
                        remaining.get(&partition).is_some_and(|&end| offset < end)
                    }
                    EndTarget::Unbounded | EndTarget::NotYetKnown => true,
                };
                if wanted {
                    let payload = message.payload().unwrap_or_default();
                    let kept = if payload.len() > max_message_size {
                        &payload[..OVERSIZED_PAYLOAD_PREVIEW.min(payload.len())]
                    } else {
                        payload
                    };
                    let meta = MessageMeta {
                        partition,
                        offset,
                        timestamp: message.timestamp().to_millis(),
                        size: payload.len(),
                    };
                    batch.push(kept, message.key(), meta);
                }
                (partition, if wanted { Some(offset) } else { None })
            }
            Some(Err(KafkaError::PartitionEOF(_))) => return Ok(Polled::Nothing),
            Some(Err(KafkaError::MessageConsumptionFatal(code))) => {
                return Err(StreamError::Kafka {
                    operation: format!("reading {}", self.config.topic),
                    cause: KafkaError::MessageConsumptionFatal(code),
                });
            }
            Some(Err(_)) if self.draining => {
                // Queued while backing off: already accounted for.
                return Ok(Polled::Nothing);
            }
            Some(Err(error)) => {
                self.back_off("cannot read", &error);
                return Ok(Polled::Nothing);
            }
        };
        self.recovered();
        let Some(offset) = offset else {
            // Past the end offsets of a bounded run: leave it for a later run.
            self.pause(partition);
            return Ok(Polled::Nothing);
        };
        if let EndTarget::Remaining(remaining) = &mut self.end
            && remaining
                .get(&partition)
                .is_some_and(|&end| offset + 1 >= end)
        {
            remaining.remove(&partition);
            self.pause(partition);
        }
        Ok(Polled::Message)
    }

    fn checkpoint_position(&self, positions: &Positions) -> SourcePosition {
        let mut offsets = self.assigned_starts.clone().unwrap_or_default();
        for (partition, next) in positions.iter() {
            offsets.advance(partition, next - 1);
        }
        SourcePosition::Kafka { offsets }
    }

    fn group_offsets(&self, positions: &Positions) -> Option<GroupOffsets> {
        let group = self.consumer.as_ref()?.group_metadata()?;
        let SourcePosition::Kafka { offsets } = self.checkpoint_position(positions) else {
            return None;
        };
        let mut list = TopicPartitionList::new();
        for (partition, next) in offsets.iter() {
            list.add_partition_offset(&self.config.topic, partition, Offset::Offset(next))
                .ok()?;
        }
        Some(GroupOffsets {
            offsets: list,
            group,
        })
    }

    fn partitions(&self) -> Option<Vec<i32>> {
        let assignment = self.consumer.as_ref()?.assignment().ok()?;
        let mut partitions: Vec<i32> = assignment
            .elements_for_topic(&self.config.topic)
            .iter()
            .map(|element| element.partition())
            .collect();
        partitions.sort_unstable();
        Some(partitions)
    }

    fn commit(&mut self, positions: &Positions) -> Result<(), StreamError> {
        if positions.is_empty() {
            return Ok(());
        }
        let mut list = TopicPartitionList::new();
        for (partition, next) in positions.iter() {
            list.add_partition_offset(&self.config.topic, partition, Offset::Offset(next))
                .map_err(|source| StreamError::Kafka {
                    operation: "prepare the offset commit".into(),
                    cause: source,
                })?;
        }
        self.consumer()?
            .commit(&list, CommitMode::Sync)
            .map_err(|source| StreamError::Kafka {
                operation: format!(
                    "committing offsets of {} for group {}",
                    self.config.topic, self.config.group
                ),
                cause: source,
            })
    }

    fn close(&mut self) -> Result<(), StreamError> {
        let Some(consumer) = self.consumer.take() else {
            return Ok(());
        };
        if consumer.close_queue().is_ok() {
            let deadline = Instant::now() + CLOSE_TIMEOUT;
            while !consumer.closed() && Instant::now() < deadline {
                let _ = consumer.poll(Duration::from_millis(100));
            }
        }
        if consumer.closed() {
            drop(consumer);
            Ok(())
        } else {
            // Dropping a consumer that cannot close would wait for it forever; the process is
            // about to end, so let it go and say so.
            std::mem::forget(consumer);
            self.status.line(format!(
                "kafka: could not leave group {} cleanly within {}s; it will time out on the broker",
                self.config.group,
                CLOSE_TIMEOUT.as_secs()
            ));
            Ok(())
        }
    }
}

impl Drop for KafkaSource {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
