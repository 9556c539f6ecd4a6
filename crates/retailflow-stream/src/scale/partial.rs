//! `retailflow stream --stage partial`: one stage-one worker of a consumer group.
//!
//! Each trigger it gathers messages, then for every partition it is assigned: loads the
//! partition's state if it does not hold it (from `--state-dir`, named by the group's committed
//! offset; none committed: a fresh partition), skips messages before that offset (already taken
//! by whoever committed it), parses and windows the rest, and writes the events they cause to the
//! partials topic. One Kafka transaction per batch holds those records, the dead letters (on a
//! topic) and the group offsets of the partitions it moved, sent with the consumer's group
//! metadata, so a worker that lost its partitions in a rebalance cannot commit them (KIP-447).
//! The partitions' states are saved before the transaction commits; after any rebalance every
//! state is dropped and loaded again from the committed offsets.
//!
//! With `--until-end` the end offsets seen at start are each partition's end: a partition that
//! reaches its end is finished (its watermark goes to the end of time, every open window is
//! handed on), in the same transaction, and the worker stops once it is assigned partitions and
//! all of them are finished. Produce the input before starting the workers.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use retailflow_core::values::ValueRules;
use retailflow_eventtime::{
    EngineConfig, EventTime, OutputMode, PartialEvent, PartialPosition, PartitionId,
    PartitionWindows, ProcessingTime, StageEvent,
};
use retailflow_receipts::{ReasonCounts, Rejection, check_message_size};

use crate::analytics::reason_for;
use crate::dead_letter::DeadLetter;
use crate::dead_letter_sink::{DeadLetterSink, DeadLetterSpec, FileDeadLetters, KafkaDeadLetters};
use crate::error::StreamError;
use crate::kafka::{ConsumerStatus, KafkaWriter, WriterConfig};
use crate::pipeline::Environment;
use crate::progress::thousands;
use crate::scale::record::PartialRecord;
use crate::scale::state::StateDir;
use crate::schema::{ReceiptFormat, RecordFormat, recycle_receipt};
use crate::source::StartFrom;

/// How long a metadata or offset request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest one poll blocks, so a shutdown request is seen quickly.
const POLL_SLICE: Duration = Duration::from_millis(100);
/// How long the partials may take to be acknowledged; an open transaction of a killed worker is
/// aborted by the broker 5 s after this.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything a stage-one worker needs.
#[derive(Debug, Clone)]
pub struct PartialSettings {
    /// Bootstrap servers.
    pub brokers: String,
    /// The source topic (receipts).
    pub topic: String,
    /// The consumer group every worker joins.
    pub group: String,
    /// Where a partition without a committed offset starts.
    pub start: StartFrom,
    /// Stop once the partitions reach the end offsets seen at start.
    pub until_end: bool,
    /// The partials topic.
    pub partials: String,
    /// Where partition states are kept (shared by every worker of the group).
    pub state_dir: PathBuf,
    /// This worker's name: its transactional id is `retailflow-partial-GROUP-NAME`, so a
    /// replacement started with the same name fences it at once.
    pub worker_id: String,
    /// Dead letters.
    pub dead_letters: DeadLetterSpec,
    /// The batch interval.
    pub trigger: Duration,
    /// A batch closes early at this many messages.
    pub max_records_per_batch: usize,
    /// Larger payloads are dead letters.
    pub max_message_size: usize,
    /// Value rules for receipts.
    pub rules: ValueRules,
}

/// What a worker did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartialSummary {
    /// Transactions committed.
    pub batches: u64,
    /// Messages taken (not counting ones skipped as already taken).
    pub messages: u64,
    /// Receipts windowed.
    pub processed: u64,
    /// Messages sent to the dead letters, by reason.
    pub dead_lettered: ReasonCounts,
    /// Partial records written.
    pub partials: u64,
}

/// A message gathered, not processed yet.
struct Gathered {
    partition: i32,
    offset: i64,
    key: Option<Vec<u8>>,
    payload: Vec<u8>,
}

/// A partition this worker holds.
struct Owned {
    stage: PartitionWindows,
    /// The next offset to take.
    next: i64,
    /// Events of this batch, with their positions.
    events: Vec<StageEvent>,
    positions: Vec<PartialPosition>,
    /// Whether this batch moved it.
    touched: bool,
}

impl Owned {
    fn finished(&self) -> bool {
        self.stage.watermark() == EventTime::MAX
    }

    /// Positions the events appended since `before`, caused at `offset`.
    fn tag(&mut self, before: usize, offset: i64) {
        for index in before..self.events.len() {
            self.positions.push(PartialPosition {
                offset,
                index: (index - before) as u32,
            });
        }
    }
}

/// Runs one stage-one worker until a shutdown request or, with `until_end`, until its partitions
/// are finished.
pub fn run_partial(
    settings: &PartialSettings,
    config: EngineConfig,
    environment: &Environment,
) -> Result<PartialSummary, StreamError> {
    if config.output_mode == OutputMode::Update {
        return Err(StreamError::invalid(
            "output mode",
            "update",
            "stages in separate processes run in append mode: provisional results depend on \
             when each process triggers",
        ));
    }
    config
        .validate()
        .map_err(|e| StreamError::invalid("analytics settings", "", e.to_string()))?;
    let mut worker = Worker::connect(settings, config, environment)?;
    let result = worker.run();
    worker.close();
    let summary = result?;
    environment.status.line(format!(
        "partial: done: {} batches, {} messages, {} processed, {} dead-lettered ({}), {} partials",
        thousands(summary.batches),
        thousands(summary.messages),
        thousands(summary.processed),
        thousands(summary.dead_lettered.total()),
        summary.dead_lettered,
        thousands(summary.partials),
    ));
    Ok(summary)
}

struct Worker<'a> {
    settings: &'a PartialSettings,
    config: EngineConfig,
    environment: &'a Environment,
    consumer: BaseConsumer<ConsumerStatus>,
    writer: KafkaWriter,
    dead_letters: Box<dyn DeadLetterSink>,
    states: StateDir,
    format: ReceiptFormat,
    source_name: String,
    /// Partitions of the source topic.
    partition_count: i32,
    /// With `until_end`, each partition's end offset.
    ends: Option<BTreeMap<i32, i64>>,
    owned: BTreeMap<i32, Owned>,
    gathered: Vec<Gathered>,
    rebalances_seen: u64,
    summary: PartialSummary,
    line: Vec<u8>,
}

impl<'a> Worker<'a> {
    fn connect(
        settings: &'a PartialSettings,
        config: EngineConfig,
        environment: &'a Environment,
    ) -> Result<Self, StreamError> {
        let consumer: BaseConsumer<ConsumerStatus> = ClientConfig::new()
            .set("bootstrap.servers", &settings.brokers)
            .set("group.id", &settings.group)
            .set(
                "client.id",
                format!("retailflow-partial-{}", settings.worker_id),
            )
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("isolation.level", "read_committed")
            .set(
                "auto.offset.reset",
                match settings.start {
                    StartFrom::Earliest => "earliest",
                    StartFrom::Latest => "latest",
                },
            )
            .set("fetch.wait.max.ms", "100")
            .set("session.timeout.ms", "10000")
            .set("allow.auto.create.topics", "false")
            .create_with_context(ConsumerStatus::default())
            .map_err(|source| StreamError::KafkaClient {
                role: "consumer",
                brokers: settings.brokers.clone(),
                cause: source,
            })?;
        let kafka = |operation: String| {
            move |source: KafkaError| StreamError::Kafka {
                operation,
                cause: source,
            }
        };
        let metadata = consumer
            .fetch_metadata(Some(&settings.topic), REQUEST_TIMEOUT)
            .map_err(kafka(format!("read the partitions of {}", settings.topic)))?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == settings.topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if partitions.is_empty() {
            return Err(StreamError::invalid(
                "topic",
                &settings.topic,
                "it does not exist at the brokers",
            ));
        }
        let ends = if settings.until_end {
            let mut ends = BTreeMap::new();
            for &partition in &partitions {
                let (_, high) = consumer
                    .fetch_watermarks(&settings.topic, partition, REQUEST_TIMEOUT)
                    .map_err(kafka(format!("read the end offsets of {}", settings.topic)))?;
                ends.insert(partition, high);
            }
            Some(ends)
        } else {
            None
        };
        consumer
            .subscribe(&[&settings.topic])
            .map_err(kafka(format!("subscribe to {}", settings.topic)))?;
        let writer = KafkaWriter::connect_transactional(
            WriterConfig {
                brokers: settings.brokers.clone(),
                topic: settings.partials.clone(),
                delivery_timeout: DELIVERY_TIMEOUT,
                label: "partials".to_string(),
            },
            &format!(
                "retailflow-partial-{}-{}",
                settings.group, settings.worker_id
            ),
            1,
            environment.status.clone(),
        )?;
        let dead_letters: Box<dyn DeadLetterSink> = match &settings.dead_letters {
            DeadLetterSpec::Topic(topic) => {
                Box::new(KafkaDeadLetters::in_transactions_of(&writer, topic))
            }
            DeadLetterSpec::File(path) => Box::new(FileDeadLetters::create(path, true)?),
        };
        environment.status.line(format!(
            "partial: worker {} of group {} on {} ({} partitions) at {}: partials to {}, partition states in {}, dead letters to {}",
            settings.worker_id,
            settings.group,
            settings.topic,
            partitions.len(),
            settings.brokers,
            settings.partials,
            settings.state_dir.display(),
            dead_letters.describe(),
        ));
        Ok(Worker {
            states: StateDir::new(&settings.state_dir, &settings.group, &settings.topic),
            format: ReceiptFormat::new(settings.rules),
            source_name: format!("kafka:{}", settings.topic),
            partition_count: partitions.len() as i32,
            ends,
            settings,
            config,
            environment,
            consumer,
            writer,
            dead_letters,
            owned: BTreeMap::new(),
            gathered: Vec::new(),
            rebalances_seen: 0,
            summary: PartialSummary::default(),
            line: Vec::with_capacity(4096),
        })
    }

    fn run(&mut self) -> Result<PartialSummary, StreamError> {
        loop {
            self.gather()?;
            let assigned = self.assignment()?;
            self.owned
                .retain(|partition, _| assigned.binary_search(partition).is_ok());
            for &partition in &assigned {
                if !self.owned.contains_key(&partition) {
                    let owned = self.load(partition)?;
                    self.owned.insert(partition, owned);
                }
            }
            self.process();
            self.finish_ended();
            self.commit()?;
            if self.environment.shutdown.is_requested() {
                return Ok(self.summary.clone());
            }
            if self.ends.is_some()
                && !assigned.is_empty()
                && self.gathered.is_empty()
                && assigned.len() == self.owned.len()
                && self.owned.values().all(Owned::finished)
            {
                return Ok(self.summary.clone());
            }
        }
    }

    /// Gathers messages for one trigger interval. After a rebalance every held state is dropped
    /// (loaded again from the committed offsets before the next messages are taken).
    fn gather(&mut self) -> Result<(), StreamError> {
        let clock = &self.environment.clock;
        let deadline = clock.now() + self.settings.trigger;
        while self.gathered.len() < self.settings.max_records_per_batch {
            if self.environment.shutdown.is_requested() {
                break;
            }
            let now = clock.now();
            if now >= deadline {
                break;
            }
            let polled = self.consumer.poll((deadline - now).min(POLL_SLICE));
            let rebalances = self.consumer.context().rebalances();
            if rebalances != self.rebalances_seen {
                self.rebalances_seen = rebalances;
                self.owned.clear();
            }
            match polled {
                None => {}
                Some(Ok(message)) => {
                    let payload = message.payload().unwrap_or_default();
                    self.gathered.push(Gathered {
                        partition: message.partition(),
                        offset: message.offset(),
                        key: message.key().map(<[u8]>::to_vec),
                        payload: payload.to_vec(),
                    });
                }
                Some(Err(KafkaError::PartitionEOF(_))) => {}
                Some(Err(KafkaError::MessageConsumptionFatal(code))) => {
                    return Err(StreamError::Kafka {
                        operation: format!("reading {}", self.settings.topic),
                        cause: KafkaError::MessageConsumptionFatal(code),
                    });
                }
                Some(Err(error)) => {
                    self.environment.status.line(format!(
                        "partial: kafka: reading {}: {}; retrying",
                        self.settings.topic,
                        crate::kafka::describe_error(&error)
                    ));
                    clock.sleep(POLL_SLICE, &self.environment.shutdown);
                }
            }
        }
        Ok(())
    }

    fn assignment(&self) -> Result<Vec<i32>, StreamError> {
        let list = self
            .consumer
            .assignment()
            .map_err(|source| StreamError::Kafka {
                operation: format!("read the assignment of {}", self.settings.topic),
                cause: source,
            })?;
        let mut partitions: Vec<i32> = list
            .elements_for_topic(&self.settings.topic)
            .iter()
            .map(|element| element.partition())
            .collect();
        partitions.sort_unstable();
        Ok(partitions)
    }

    /// The partition's state at the group's committed offset (waiting for a transaction that
    /// commits it to finish), or a fresh one where nothing is committed.
    fn load(&self, partition: i32) -> Result<Owned, StreamError> {
        let topic = &self.settings.topic;
        let kafka = |source: KafkaError| StreamError::Kafka {
            operation: format!("read the committed offset of {topic} partition {partition}"),
            cause: source,
        };
        let mut list = TopicPartitionList::new();
        list.add_partition(topic, partition);
        let committed = self
            .consumer
            .committed_offsets(list, REQUEST_TIMEOUT)
            .map_err(kafka)?;
        let now = ProcessingTime::from_millis(self.environment.clock.wall_time().millis());
        let committed =
            committed
                .find_partition(topic, partition)
                .and_then(|element| match element.offset() {
                    Offset::Offset(offset) => Some(offset),
                    _ => None,
                });
        let (stage, next) = match committed {
            Some(offset) => {
                let saved = self.states.load(partition, offset)?.ok_or_else(|| {
                    StreamError::State {
                        path: self.settings.state_dir.clone(),
                        reason: format!(
                            "group {} committed offset {offset} of {topic} partition {partition}, \
                             but no state was saved for it under {}; every worker of a group \
                             must share one --state-dir (use a new --group to start afresh)",
                            self.settings.group,
                            self.states.describe(),
                        ),
                    }
                })?;
                let mut stage = PartitionWindows::restore(self.config, saved).map_err(|e| {
                    StreamError::State {
                        path: self.settings.state_dir.clone(),
                        reason: format!("partition {partition} at offset {offset}: {e}"),
                    }
                })?;
                stage.resume_activity(now);
                (stage, offset)
            }
            None => {
                let (low, high) = self
                    .consumer
                    .fetch_watermarks(topic, partition, REQUEST_TIMEOUT)
                    .map_err(kafka)?;
                let start = match self.settings.start {
                    StartFrom::Earliest => low,
                    StartFrom::Latest => high,
                };
                let stage = PartitionWindows::new(PartitionId(partition), self.config, now)
                    .map_err(|e| StreamError::invalid("analytics settings", "", e.to_string()))?;
                (stage, start)
            }
        };
        Ok(Owned {
            stage,
            next,
            events: Vec::new(),
            positions: Vec::new(),
            touched: false,
        })
    }

    /// Windows the gathered messages of held partitions; messages of other partitions are
    /// dropped (their new owner reads them from the committed offset).
    fn process(&mut self) {
        let now = ProcessingTime::from_millis(self.environment.clock.wall_time().millis());
        let gathered = std::mem::take(&mut self.gathered);
        for message in &gathered {
            let Some(owned) = self.owned.get_mut(&message.partition) else {
                continue;
            };
            if message.offset < owned.next {
                continue;
            }
            if let Some(end) = self
                .ends
                .as_ref()
                .and_then(|ends| ends.get(&message.partition))
                && message.offset >= *end
            {
                continue;
            }
            owned.next = message.offset + 1;
            owned.touched = true;
            self.summary.messages += 1;
            let before = owned.events.len();
            let verdict = check_message_size(message.payload.len(), self.settings.max_message_size)
                .and_then(|()| self.format.parse(&message.payload))
                .and_then(|receipt| {
                    let verdict = owned
                        .stage
                        .process(&receipt, now, &mut owned.events)
                        .map_err(|refusal| {
                            Rejection::new(reason_for(refusal.kind()), refusal.to_string())
                        });
                    recycle_receipt(receipt);
                    verdict
                });
            owned.tag(before, message.offset);
            match verdict {
                Ok(()) => self.summary.processed += 1,
                Err(rejection) => {
                    self.summary.dead_lettered.add(rejection.reason);
                    let payload = &message.payload;
                    let kept = &payload[..payload.len().min(self.settings.max_message_size)];
                    let sent = self.dead_letters.send(&DeadLetter {
                        reason: rejection.reason,
                        detail: &rejection.detail,
                        source: &self.source_name,
                        partition: message.partition,
                        offset: message.offset,
                        key: message.key.as_deref(),
                        payload: kept,
                        payload_size: payload.len(),
                    });
                    if let Err(error) = sent {
                        self.environment
                            .status
                            .line(format!("partial: dead letter not sent: {error}"));
                    }
                }
            }
        }
    }

    /// With `until_end`, finishes every held partition that reached its end.
    fn finish_ended(&mut self) {
        let Some(ends) = &self.ends else {
            return;
        };
        for (partition, owned) in &mut self.owned {
            let end = ends.get(partition).copied().unwrap_or(0);
            if owned.next >= end && !owned.finished() {
                let before = owned.events.len();
                owned.stage.finish(&mut owned.events);
                let at = owned.next;
                owned.tag(before, at);
                owned.touched = true;
            }
        }
    }

    /// Saves the moved partitions' states and commits their partials, dead letters and offsets
    /// in one transaction.
    fn commit(&mut self) -> Result<(), StreamError> {
        let touched: Vec<i32> = self
            .owned
            .iter()
            .filter(|(_, owned)| owned.touched)
            .map(|(&partition, _)| partition)
            .collect();
        if touched.is_empty() {
            return Ok(());
        }
        let epoch = self.writer.ensure_transaction()?.unwrap_or(0);
        let result = self.write_transaction(&touched, epoch);
        if result.is_err() {
            // Nothing of it becomes visible; the states saved for it are never read (the
            // committed offsets do not name them).
            let _ = self.writer.abort_transaction();
        }
        result
    }

    fn write_transaction(&mut self, touched: &[i32], epoch: u64) -> Result<(), StreamError> {
        let mut offsets = TopicPartitionList::new();
        let mut records = 0u64;
        for &partition in touched {
            let Some(owned) = self.owned.get_mut(&partition) else {
                continue;
            };
            let key = partition.to_string();
            for (event, position) in owned.events.drain(..).zip(owned.positions.drain(..)) {
                let data = PartialEvent::from_stage_event(&event).map_err(|local| {
                    StreamError::invalid("analytics settings", "", local.to_string())
                })?;
                let record = PartialRecord {
                    source: self.settings.topic.clone(),
                    partitions: self.partition_count,
                    partition,
                    position,
                    data,
                };
                self.line.clear();
                serde_json::to_writer(&mut self.line, &record).map_err(|e| {
                    StreamError::write(format!("a partial of partition {partition}"), e.into())
                })?;
                self.writer.send(Some(key.as_bytes()), &self.line)?;
                records += 1;
            }
            self.states
                .save(partition, owned.next, &owned.stage.snapshot())?;
            offsets
                .add_partition_offset(&self.settings.topic, partition, Offset::Offset(owned.next))
                .map_err(|source| StreamError::Kafka {
                    operation: "list the offsets to commit".to_string(),
                    cause: source,
                })?;
        }
        self.dead_letters.flush()?;
        let group = self
            .consumer
            .group_metadata()
            .ok_or_else(|| StreamError::Kafka {
                operation: format!("read the group metadata of {}", self.settings.group),
                cause: KafkaError::Canceled,
            })?;
        self.writer.send_offsets(&offsets, &group)?;
        let tally = self.writer.flush();
        if let Some(error) = self.writer.undelivered_error(&tally) {
            return Err(error);
        }
        self.writer.commit_transaction(epoch)?;
        for &partition in touched {
            if let Some(owned) = self.owned.get_mut(&partition) {
                owned.touched = false;
                self.states.prune_before(partition, owned.next)?;
            }
        }
        self.summary.batches += 1;
        self.summary.partials += records;
        self.environment.status.line(format!(
            "partial batch {}: partitions {:?} at {}; {} partials; total {} messages, {} processed, {} dead-lettered",
            self.summary.batches,
            touched,
            touched
                .iter()
                .filter_map(|p| self.owned.get(p).map(|owned| owned.next.to_string()))
                .collect::<Vec<_>>()
                .join(","),
            thousands(records),
            thousands(self.summary.messages),
            thousands(self.summary.processed),
            thousands(self.summary.dead_lettered.total()),
        ));
        Ok(())
    }

    /// Leaves the group deliberately, so its partitions move at once.
    fn close(&mut self) {
        self.consumer.unsubscribe();
        let _ = self.consumer.poll(Duration::from_millis(100)).map(|_| ());
    }
}
