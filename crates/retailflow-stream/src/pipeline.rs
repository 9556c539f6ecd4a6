//! The micro-batch loop shared by every source and output.
//!
//! Each batch: gather messages for one trigger interval (or until `max_records_per_batch`, the end
//! of a bounded input, or a shutdown request) → refuse oversized payloads before parsing → parse
//! each payload by its schema → hand parsed records to the [`Stage`] → write the stage's results
//! to every sink and the refused messages to the dead-letter sink, flush both → commit the read
//! positions → print the batch's counts. A message is therefore always either processed or a dead
//! letter, and offsets are committed only once both are stored.
//!
//! A shutdown request ends the current batch early; it is finished and committed like any other.
//!
//! With a checkpoint ([`Pipeline::with_checkpoint`]), after the results and dead letters of a
//! batch are written the sinks make them durable, the checkpoint (source position, sink
//! positions, the stage's state, totals) is saved, the sinks complete the batch (a Kafka
//! transaction commits), and only then are offsets committed to Kafka. A transactional output
//! takes the offsets into its transaction instead ([`Sink::add_offsets`]), so they commit with the
//! results. A resumed run starts from the checkpoint's positions and totals.

use std::sync::Arc;
use std::time::Duration;

use retailflow_eventtime::ProcessingTime;
use retailflow_receipts::{DEFAULT_MAX_MESSAGE_SIZE, ReasonCounts};

use crate::checkpoint::{CHECKPOINT_FORMAT, Checkpoint, CheckpointStore, SourcePosition, Totals};
use crate::clock::Clock;
use crate::dead_letter::DeadLetter;
use crate::dead_letter_sink::DeadLetterSink;
use crate::error::StreamError;
use crate::message::{MessageBatch, Positions};
use crate::monitor::{CheckpointHealth, Monitors, RunHealth};
use crate::output::Sink;
use crate::progress::thousands;
use crate::schema::RecordFormat;
use crate::shutdown::Shutdown;
use crate::source::{Polled, Source};
use crate::stage::{BatchContext, Stage};
use crate::status::StatusLog;

/// The longest a single poll may block, so shutdown requests are noticed quickly.
const POLL_SLICE: Duration = Duration::from_millis(100);
/// While messages keep coming, the clock and the shutdown flag are read once per this many.
const CHECK_EVERY: u32 = 64;

/// How the loop runs.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// The micro-batch interval (`--trigger`).
    pub trigger: Duration,
    /// A batch closes early when it holds this many messages (like Spark's `maxOffsetsPerTrigger`).
    pub max_records_per_batch: usize,
    /// Stop after this many printed batches.
    pub max_batches: Option<u64>,
    /// Payloads over this many bytes are dead letters with reason `too_large`.
    pub max_message_size: usize,
    /// Threads a stage may spread a batch's partitions over (`--workers`); the results are the
    /// same for any number.
    pub workers: usize,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            trigger: Duration::from_secs(1),
            max_records_per_batch: 100_000,
            max_batches: None,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            workers: 1,
        }
    }
}

/// What the pipeline runs with besides its inputs and outputs: the clock, the shutdown flag and the
/// status log.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Stop requests.
    pub shutdown: Shutdown,
    /// Status lines (per-batch counts, broker trouble).
    pub status: StatusLog,
    /// Told of every trigger's results and the run's health (the live dashboard).
    pub monitors: Monitors,
}

/// Why the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// A bounded input was read to its end.
    EndOfInput,
    /// `max_batches` batches were printed.
    MaxBatches,
    /// A shutdown was requested.
    Shutdown,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// Batches printed.
    pub batches: u64,
    /// Messages read.
    pub messages: u64,
    /// Messages parsed and taken by the stage.
    pub processed: u64,
    /// Messages sent to the dead letters, by reason.
    pub dead_lettered: ReasonCounts,
    /// Why it ended.
    pub end: RunEnd,
}

impl RunSummary {
    /// The totals a checkpoint records, with `batches` batches done.
    fn totals(&self, batches: u64) -> Totals {
        Totals {
            batches,
            messages: self.messages,
            processed: self.processed,
            dead_lettered: self.dead_lettered,
        }
    }
}

/// Counts of one batch.
#[derive(Debug, Default, Clone, Copy)]
struct BatchCounts {
    processed: u64,
    dead_lettered: ReasonCounts,
}

/// A checkpoint store and where the run resumes from.
#[derive(Debug)]
struct Checkpointing {
    store: CheckpointStore,
    /// Epoch of the last checkpoint saved (0: none yet).
    epoch: u64,
    /// Totals and positions at that checkpoint.
    totals: Totals,
    positions: Positions,
    /// When this run last saved one, and how long it took.
    last_saved: Option<CheckpointHealth>,
}

/// The micro-batch loop.
pub struct Pipeline<'a> {
    config: PipelineConfig,
    environment: Environment,
    sinks: Vec<Box<dyn Sink + 'a>>,
    dead_letters: Box<dyn DeadLetterSink + 'a>,
    checkpointing: Option<Checkpointing>,
}

impl std::fmt::Debug for Pipeline<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("config", &self.config)
            .finish()
    }
}

impl<'a> Pipeline<'a> {
    /// A pipeline writing results to `sinks` and refused messages to `dead_letters`.
    pub fn new(
        config: PipelineConfig,
        environment: Environment,
        sinks: Vec<Box<dyn Sink + 'a>>,
        dead_letters: Box<dyn DeadLetterSink + 'a>,
    ) -> Self {
        Self {
            config,
            environment,
            sinks,
            dead_letters,
            checkpointing: None,
        }
    }

    /// Saves a checkpoint into `store` after every batch, going on from `resumed` (the checkpoint
    /// the sinks, source and stage were restored from), if any.
    pub fn with_checkpoint(mut self, store: CheckpointStore, resumed: Option<&Checkpoint>) -> Self {
        let (epoch, totals, positions) = match resumed {
            Some(checkpoint) => (
                checkpoint.epoch,
                checkpoint.totals,
                match &checkpoint.source {
                    SourcePosition::Kafka { offsets } => offsets.clone(),
                    SourcePosition::File { next_line, .. } => {
                        let mut positions = Positions::new();
                        if *next_line > 1 {
                            positions.advance(0, next_line - 1);
                        }
                        positions
                    }
                },
            ),
            None => (0, Totals::default(), Positions::new()),
        };
        self.checkpointing = Some(Checkpointing {
            store,
            epoch,
            totals,
            positions,
            last_saved: None,
        });
        self
    }

    /// Whether a checkpointed run that has none yet should save one now, with nothing read: once
    /// the source knows where it starts (a Kafka source, after assigning its partitions).
    fn first_checkpoint_due(&self, source: &dyn Source, positions: &Positions) -> bool {
        self.checkpointing
            .as_ref()
            .is_some_and(|checkpointing| checkpointing.epoch == 0)
            && matches!(
                source.checkpoint_position(positions),
                SourcePosition::Kafka { offsets } if !offsets.is_empty()
            )
    }

    /// Hands the source's group offsets to a transactional output, makes the batch durable in
    /// every output, saves the checkpoint, then lets the outputs complete the batch. Returns
    /// whether an output committed the offsets (so the source need not).
    fn save_checkpoint(
        &mut self,
        source: &dyn Source,
        positions: &Positions,
        engine: Option<retailflow_eventtime::EngineSnapshot>,
        totals: Totals,
    ) -> Result<bool, StreamError> {
        let Some(checkpointing) = self.checkpointing.as_mut() else {
            return Ok(false);
        };
        let epoch = checkpointing.epoch + 1;
        let started = self.environment.clock.now();
        let mut offsets_taken = false;
        if let Some(offsets) = source.group_offsets(positions) {
            for sink in &mut self.sinks {
                offsets_taken |= sink.add_offsets(&offsets)?;
            }
        }
        let outputs = self
            .sinks
            .iter_mut()
            .map(|sink| sink.prepare_checkpoint(epoch))
            .collect::<Result<Vec<_>, _>>()?;
        let dead_letters = self.dead_letters.prepare_checkpoint()?;
        checkpointing.store.save(&Checkpoint {
            format: CHECKPOINT_FORMAT,
            epoch,
            job: checkpointing.store.job().clone(),
            totals,
            source: source.checkpoint_position(positions),
            outputs,
            dead_letters,
            engine,
        })?;
        checkpointing.epoch = epoch;
        for sink in &mut self.sinks {
            sink.checkpoint_saved(epoch)?;
        }
        let clock = &self.environment.clock;
        checkpointing.last_saved = Some(CheckpointHealth {
            saved_at: ProcessingTime::from_millis(clock.wall_time().millis()),
            took: clock.now().saturating_duration_since(started),
        });
        Ok(offsets_taken)
    }

    /// Runs until the input ends, `max_batches` is reached, or a shutdown is requested; then
    /// closes the source. Per-record problems never stop it; only failing outputs do.
    pub fn run<F, S>(
        &mut self,
        source: &mut dyn Source,
        format: &F,
        stage: &mut S,
    ) -> Result<RunSummary, StreamError>
    where
        F: RecordFormat + Sync,
        S: Stage<F::Record>,
    {
        let result = self.run_batches(source, format, stage);
        let closed = source.close();
        let summary = result?;
        closed?;
        self.environment.status.line(format!(
            "done ({}): {} batches, {} messages, {} processed, {} dead-lettered ({})",
            match summary.end {
                RunEnd::EndOfInput => "end of input",
                RunEnd::MaxBatches => "--max-batches reached",
                RunEnd::Shutdown => "stopped on request",
            },
            thousands(summary.batches),
            thousands(summary.messages),
            thousands(summary.processed),
            thousands(summary.dead_lettered.total()),
            summary.dead_lettered,
        ));
        Ok(summary)
    }

    fn run_batches<F, S>(
        &mut self,
        source: &mut dyn Source,
        format: &F,
        stage: &mut S,
    ) -> Result<RunSummary, StreamError>
    where
        F: RecordFormat + Sync,
        S: Stage<F::Record>,
    {
        let (totals, mut positions) = match &self.checkpointing {
            Some(checkpointing) => (checkpointing.totals, checkpointing.positions.clone()),
            None => (Totals::default(), Positions::new()),
        };
        let mut summary = RunSummary {
            batches: totals.batches,
            messages: totals.messages,
            processed: totals.processed,
            dead_lettered: totals.dead_lettered,
            end: RunEnd::Shutdown,
        };
        // `max_batches` counts this run's batches, also when it resumes a checkpoint.
        let first_batch = summary.batches;
        let mut batch = MessageBatch::new();
        let mut partitions: Option<Vec<i32>> = None;
        loop {
            batch.clear();
            let input_ended = self.gather(source, &mut batch)?;
            let now = self.processing_time();
            // Announce the source's partitions when they change; an empty list before any
            // assignment (a consumer still joining its group) is not news.
            let current = source.partitions();
            if let Some(list) = &current
                && current != partitions
                && !(partitions.is_none() && list.is_empty())
            {
                stage.on_partitions(list, now);
                partitions = current;
            }
            stage.begin_batch(now);
            let counts = self.process(source.name(), &batch, format, stage, &mut positions)?;
            let input_ended = input_ended || stage.is_complete();
            let context = BatchContext {
                batch_id: summary.batches,
                processing_time: self.processing_time(),
                positions: &positions,
            };
            let mut results = stage.end_batch(&context);
            if input_ended {
                results.extend(stage.end_input(&context));
            }
            let has_results = results.iter().any(|r| r.row_count() > 0);
            if !batch.is_empty() || has_results {
                for sink in &mut self.sinks {
                    sink.write_batch(summary.batches, &results)?;
                }
                self.dead_letters.flush()?;
                summary.messages += batch.len() as u64;
                summary.processed += counts.processed;
                summary.dead_lettered.add_all(&counts.dead_lettered);
                let mut offsets_committed = false;
                if self.checkpointing.is_some() {
                    let totals = summary.totals(summary.batches + 1);
                    let engine = stage.engine_snapshot();
                    offsets_committed = self.save_checkpoint(source, &positions, engine, totals)?;
                }
                if offsets_committed {
                    // Committed with the results, in their transaction.
                } else if let Err(error) = source.commit(&positions) {
                    self.environment.status.line(format!(
                        "warning: {error}; they will be committed with the next batch"
                    ));
                }
                self.report(summary.batches, batch.len() as u64, &counts, &summary);
                summary.batches += 1;
            } else if self.first_checkpoint_due(source, &positions) {
                // Pin where the source started (e.g. Kafka's latest offsets) before anything was
                // read, so a restart does not skip what arrives in between.
                let engine = stage.engine_snapshot();
                let totals = summary.totals(summary.batches);
                self.save_checkpoint(source, &positions, engine, totals)?;
            }
            let end = if input_ended {
                Some(RunEnd::EndOfInput)
            } else if self.environment.shutdown.is_requested() {
                Some(RunEnd::Shutdown)
            } else if self
                .config
                .max_batches
                .is_some_and(|max| summary.batches - first_batch >= max)
            {
                Some(RunEnd::MaxBatches)
            } else {
                None
            };
            if !self.environment.monitors.is_empty() {
                let health = self.health(source, stage, &positions, &summary, end.is_some());
                self.environment.monitors.on_batch(&results, &health);
            }
            if let Some(end) = end {
                summary.end = end;
                return Ok(summary);
            }
        }
    }

    /// The run's health for the monitors, after a trigger.
    fn health<R, S: Stage<R>>(
        &self,
        source: &mut dyn Source,
        stage: &S,
        positions: &Positions,
        summary: &RunSummary,
        ended: bool,
    ) -> RunHealth {
        let mut stage_health = stage.health();
        let lag = source.lag(positions);
        for partition in &mut stage_health.partitions {
            partition.lag = lag
                .iter()
                .find(|(number, _)| *number == partition.partition)
                .map(|(_, lag)| *lag);
        }
        RunHealth {
            source: source.name().to_string(),
            at: self.processing_time(),
            ended,
            received: summary.messages,
            processed: summary.processed,
            dead_letters: summary.dead_lettered,
            batches: summary.batches,
            stage: stage_health,
            checkpoint: self
                .checkpointing
                .as_ref()
                .and_then(|checkpointing| checkpointing.last_saved),
        }
    }

    fn processing_time(&self) -> ProcessingTime {
        ProcessingTime::from_millis(self.environment.clock.wall_time().millis())
    }

    /// Fills `batch` for one trigger interval; returns whether the input ended.
    fn gather(
        &self,
        source: &mut dyn Source,
        batch: &mut MessageBatch,
    ) -> Result<bool, StreamError> {
        let clock = &self.environment.clock;
        let deadline = clock.now() + self.config.trigger;
        let mut wait = self.config.trigger.min(POLL_SLICE);
        // The clock and the shutdown flag are read before the first poll, after every poll that
        // returned nothing, and every `CHECK_EVERY` messages while messages keep coming.
        let mut unchecked = 0;
        while batch.len() < self.config.max_records_per_batch {
            if unchecked == 0 {
                if self.environment.shutdown.is_requested() {
                    return Ok(false);
                }
                let now = clock.now();
                if now >= deadline {
                    return Ok(false);
                }
                wait = (deadline - now).min(POLL_SLICE);
                unchecked = CHECK_EVERY;
            }
            match source.poll(wait, batch)? {
                Polled::End => return Ok(true),
                Polled::Nothing => unchecked = 0,
                Polled::Message => unchecked -= 1,
            }
        }
        Ok(false)
    }

    /// Parses and stages every message of the batch; refused ones go to the dead letters.
    fn process<F, S>(
        &mut self,
        source_name: &str,
        batch: &MessageBatch,
        format: &F,
        stage: &mut S,
        positions: &mut Positions,
    ) -> Result<BatchCounts, StreamError>
    where
        F: RecordFormat + Sync,
        S: Stage<F::Record>,
    {
        let mut counts = BatchCounts::default();
        let outcomes = stage.on_batch(batch, format, self.config.max_message_size);
        for (message, outcome) in batch.iter().zip(outcomes) {
            positions.advance(message.meta.partition, message.meta.offset);
            match outcome {
                Ok(()) => counts.processed += 1,
                Err(rejection) => {
                    counts.dead_lettered.add(rejection.reason);
                    self.dead_letters.send(&DeadLetter {
                        reason: rejection.reason,
                        detail: &rejection.detail,
                        source: source_name,
                        partition: message.meta.partition,
                        offset: message.meta.offset,
                        key: message.key,
                        payload: message.payload,
                        payload_size: message.meta.size,
                    })?;
                }
            }
        }
        Ok(counts)
    }

    fn report(&self, batch_id: u64, messages: u64, counts: &BatchCounts, summary: &RunSummary) {
        self.environment.status.line(format!(
            "Batch {batch_id}: {} messages, {} processed, {} dead-lettered ({}); total {} processed, {} dead-lettered",
            thousands(messages),
            thousands(counts.processed),
            thousands(counts.dead_lettered.total()),
            counts.dead_lettered,
            thousands(summary.processed),
            thousands(summary.dead_lettered.total()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use retailflow_eventtime::EventTime;
    use retailflow_receipts::{Reason, Rejection};

    use super::*;
    use crate::clock::ManualClock;
    use crate::output::records::RecordRow;
    use crate::output::{RecordsStage, ResultSet};
    use crate::schema::{ValueFormat, ValueRecord};
    use crate::status::CapturedStatus;

    /// A list shared between the test and the pipeline's parts.
    type Shared<T> = Rc<RefCell<Vec<T>>>;
    /// The positions of one commit.
    type Commit = Vec<(i32, i64)>;
    /// A batch as a sink received it: its id and its rows as JSON.
    type WrittenBatch = (u64, Vec<String>);
    /// A dead letter as the sink received it: reason, offset, payload.
    type DeadLetterSeen = (Reason, i64, Vec<u8>);

    /// What the scripted source does next.
    enum Step {
        Message(&'static [u8]),
        Silence(Duration),
        Shutdown,
        Assign(Vec<i32>),
        End,
    }

    /// A source that plays a script on the manual clock and records commits.
    struct ScriptedSource {
        steps: VecDeque<Step>,
        clock: Arc<ManualClock>,
        shutdown: Shutdown,
        offset: i64,
        commits: Shared<Commit>,
        closed: Rc<RefCell<bool>>,
        assigned: Option<Vec<i32>>,
    }

    impl Source for ScriptedSource {
        fn name(&self) -> &str {
            "test:script"
        }

        fn poll(
            &mut self,
            timeout: Duration,
            batch: &mut MessageBatch,
        ) -> Result<Polled, StreamError> {
            match self.steps.pop_front() {
                Some(Step::Message(payload)) => {
                    let meta = crate::message::MessageMeta {
                        partition: (self.offset % 2) as i32,
                        offset: self.offset,
                        timestamp: None,
                        size: payload.len(),
                    };
                    self.offset += 1;
                    batch.push(payload, None, meta);
                    Ok(Polled::Message)
                }
                Some(Step::Silence(left)) => {
                    let waited = left.min(timeout);
                    self.clock.advance(waited);
                    if left > waited {
                        self.steps.push_front(Step::Silence(left - waited));
                    }
                    Ok(Polled::Nothing)
                }
                Some(Step::Shutdown) => {
                    self.shutdown.request();
                    Ok(Polled::Nothing)
                }
                Some(Step::Assign(partitions)) => {
                    self.assigned = Some(partitions);
                    Ok(Polled::Nothing)
                }
                Some(Step::End) | None => Ok(Polled::End),
            }
        }

        fn partitions(&self) -> Option<Vec<i32>> {
            self.assigned.clone()
        }

        fn commit(&mut self, positions: &Positions) -> Result<(), StreamError> {
            self.commits.borrow_mut().push(positions.iter().collect());
            Ok(())
        }

        fn close(&mut self) -> Result<(), StreamError> {
            *self.closed.borrow_mut() = true;
            Ok(())
        }
    }

    /// A sink that keeps each batch as (id, JSON rows).
    struct MemorySink(Shared<WrittenBatch>);

    impl Sink for MemorySink {
        fn write_batch(
            &mut self,
            batch_id: u64,
            results: &[Box<dyn ResultSet>],
        ) -> Result<(), StreamError> {
            let mut rows = Vec::new();
            for result in results {
                for row in 0..result.row_count() {
                    let mut out = Vec::new();
                    result.write_json(row, &mut out);
                    rows.push(String::from_utf8(out).unwrap());
                }
            }
            self.0.borrow_mut().push((batch_id, rows));
            Ok(())
        }
    }

    struct FailingSink;

    impl Sink for FailingSink {
        fn write_batch(&mut self, _: u64, _: &[Box<dyn ResultSet>]) -> Result<(), StreamError> {
            Err(StreamError::write(
                "the test sink",
                std::io::Error::other("disk full"),
            ))
        }
    }

    /// Dead letters kept as (reason, offset, payload).
    struct MemoryDeadLetters(Shared<DeadLetterSeen>);

    impl DeadLetterSink for MemoryDeadLetters {
        fn send(&mut self, letter: &DeadLetter<'_>) -> Result<(), StreamError> {
            self.0
                .borrow_mut()
                .push((letter.reason, letter.offset, letter.payload.to_vec()));
            Ok(())
        }

        fn flush(&mut self) -> Result<(), StreamError> {
            Ok(())
        }

        fn describe(&self) -> String {
            "memory".into()
        }
    }

    struct Harness {
        clock: Arc<ManualClock>,
        environment: Environment,
        status: CapturedStatus,
        batches: Shared<WrittenBatch>,
        dead: Shared<DeadLetterSeen>,
        commits: Shared<Commit>,
        closed: Rc<RefCell<bool>>,
    }

    impl Harness {
        fn new() -> Self {
            let clock = Arc::new(ManualClock::new(EventTime(1_000_000)));
            let (status, captured) = StatusLog::captured();
            let environment = Environment {
                clock: clock.clone(),
                shutdown: Shutdown::new(),
                status,
                monitors: Default::default(),
            };
            Self {
                clock,
                environment,
                status: captured,
                batches: Rc::default(),
                dead: Rc::default(),
                commits: Rc::default(),
                closed: Rc::default(),
            }
        }

        fn source(&self, steps: Vec<Step>) -> ScriptedSource {
            ScriptedSource {
                steps: steps.into(),
                clock: self.clock.clone(),
                shutdown: self.environment.shutdown.clone(),
                offset: 0,
                commits: self.commits.clone(),
                closed: self.closed.clone(),
                assigned: None,
            }
        }

        fn run_with<S: Stage<ValueRecord>>(
            &self,
            config: PipelineConfig,
            steps: Vec<Step>,
            stage: &mut S,
        ) -> Result<RunSummary, StreamError> {
            let sinks: Vec<Box<dyn Sink>> = vec![Box::new(MemorySink(self.batches.clone()))];
            let dead_letters = Box::new(MemoryDeadLetters(self.dead.clone()));
            let mut pipeline = Pipeline::new(config, self.environment.clone(), sinks, dead_letters);
            pipeline.run(&mut self.source(steps), &ValueFormat, stage)
        }

        fn run(&self, config: PipelineConfig, steps: Vec<Step>) -> RunSummary {
            self.run_with(config, steps, &mut RecordsStage::<ValueRecord>::new())
                .unwrap()
        }
    }

    /// A sink that logs its calls (and, when the checkpoint is said to be saved, whether its file
    /// is there) into the same list as the source's commits.
    struct CheckpointLoggingSink {
        log: Rc<RefCell<Vec<String>>>,
        dir: std::path::PathBuf,
        commits: Shared<Commit>,
    }

    impl Sink for CheckpointLoggingSink {
        fn write_batch(
            &mut self,
            batch_id: u64,
            _: &[Box<dyn ResultSet>],
        ) -> Result<(), StreamError> {
            self.log.borrow_mut().push(format!("write {batch_id}"));
            Ok(())
        }

        fn prepare_checkpoint(
            &mut self,
            epoch: u64,
        ) -> Result<crate::output::SinkPosition, StreamError> {
            self.log.borrow_mut().push(format!("prepare {epoch}"));
            Ok(crate::output::SinkPosition::Untracked)
        }

        fn checkpoint_saved(&mut self, epoch: u64) -> Result<(), StreamError> {
            let saved = self
                .dir
                .join(format!("checkpoint-{epoch:020}.json"))
                .is_file();
            let commits = self.commits.borrow().len();
            self.log.borrow_mut().push(format!(
                "saved {epoch} (file there: {saved}, offsets committed before: {commits})"
            ));
            Ok(())
        }
    }

    #[test]
    fn a_checkpoint_is_saved_after_the_outputs_and_before_the_offsets_are_committed() {
        let harness = Harness::new();
        let dir = tempfile::tempdir().unwrap();
        let log: Rc<RefCell<Vec<String>>> = Rc::default();
        let job = crate::checkpoint::JobIdentity::new("test:script", &"records");
        let store = CheckpointStore::open(dir.path(), job.clone()).unwrap();
        let sinks: Vec<Box<dyn Sink>> = vec![Box::new(CheckpointLoggingSink {
            log: log.clone(),
            dir: dir.path().to_path_buf(),
            commits: harness.commits.clone(),
        })];
        let dead_letters = Box::new(MemoryDeadLetters(harness.dead.clone()));
        let mut pipeline = Pipeline::new(
            one_second(),
            harness.environment.clone(),
            sinks,
            dead_letters,
        )
        .with_checkpoint(store, None);
        let steps = vec![
            Step::Message(br#"{"value":1}"#),
            Step::Silence(Duration::from_millis(1500)),
            Step::Message(br#"{"value":2}"#),
            Step::Message(b"not json"),
            Step::End,
        ];
        let mut source = harness.source(steps);
        let summary = pipeline
            .run(
                &mut source,
                &ValueFormat,
                &mut RecordsStage::<ValueRecord>::new(),
            )
            .unwrap();
        assert_eq!(summary.batches, 2);
        assert_eq!(
            *log.borrow(),
            vec![
                "write 0",
                "prepare 1",
                "saved 1 (file there: true, offsets committed before: 0)",
                "write 1",
                "prepare 2",
                "saved 2 (file there: true, offsets committed before: 1)",
            ]
        );
        assert_eq!(
            *harness.commits.borrow(),
            vec![vec![(0, 1)], vec![(0, 3), (1, 2)]]
        );
        drop(pipeline);
        let store = CheckpointStore::open(dir.path(), job).unwrap();
        let checkpoint = store.latest().unwrap().unwrap();
        assert_eq!(checkpoint.epoch, 2);
        assert_eq!(
            checkpoint.totals,
            crate::checkpoint::Totals {
                batches: 2,
                messages: 3,
                processed: 2,
                dead_lettered: summary.dead_lettered,
            }
        );
        assert_eq!(
            checkpoint.dead_letters,
            crate::output::SinkPosition::Untracked
        );
        assert_eq!(
            checkpoint.source,
            SourcePosition::Kafka {
                offsets: Positions::from_pairs([(0, 3), (1, 2)])
            }
        );
    }

    fn one_second() -> PipelineConfig {
        PipelineConfig {
            trigger: Duration::from_secs(1),
            ..PipelineConfig::default()
        }
    }

    #[test]
    fn batches_close_at_each_trigger_and_commit_after_writing() {
        let harness = Harness::new();
        let summary = harness.run(
            one_second(),
            vec![
                Step::Message(br#"{"value":1}"#),
                Step::Message(br#"{"value":2}"#),
                Step::Silence(Duration::from_millis(1500)),
                Step::Message(br#"{"value":3}"#),
                Step::End,
            ],
        );
        assert_eq!(summary.batches, 2);
        assert_eq!((summary.messages, summary.processed), (3, 3));
        assert_eq!(summary.end, RunEnd::EndOfInput);
        let batches = harness.batches.borrow();
        assert_eq!(
            batches[0],
            (
                0,
                vec![r#"{"value":1}"#.to_string(), r#"{"value":2}"#.to_string()]
            )
        );
        assert_eq!(batches[1], (1, vec![r#"{"value":3}"#.to_string()]));
        // The first batch waited its full trigger; the second ended with the input.
        assert_eq!(harness.clock.elapsed(), Duration::from_millis(1500));
        assert_eq!(
            *harness.commits.borrow(),
            vec![vec![(0, 1), (1, 2)], vec![(0, 3), (1, 2)]]
        );
        assert!(*harness.closed.borrow());
        let status = harness.status.text();
        assert!(
            status.contains("Batch 0: 2 messages, 2 processed, 0 dead-lettered (none)"),
            "{status}"
        );
        assert!(
            status.contains("done (end of input): 2 batches, 3 messages, 3 processed"),
            "{status}"
        );
    }

    #[test]
    fn quiet_intervals_print_nothing_and_use_no_batch_number() {
        let harness = Harness::new();
        let summary = harness.run(
            one_second(),
            vec![
                Step::Message(br#"{"value":1}"#),
                Step::Silence(Duration::from_secs(5)),
                Step::Message(br#"{"value":2}"#),
                Step::End,
            ],
        );
        assert_eq!(summary.batches, 2);
        let ids: Vec<u64> = harness.batches.borrow().iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, vec![0, 1]);
        assert_eq!(harness.commits.borrow().len(), 2);
    }

    #[test]
    fn every_message_is_processed_or_dead_lettered_with_its_reason() {
        let harness = Harness::new();
        let config = PipelineConfig {
            max_message_size: 40,
            ..one_second()
        };
        let summary = harness.run(
            config,
            vec![
                Step::Message(br#"{"value":1}"#),
                Step::Message(br#"{"value":"#),
                Step::Message(br#"{"value":"x"}"#),
                Step::Message(b"{\"value\":\xff}"),
                Step::Message(br#"{"value":2,"padding":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#),
                Step::Message(br#"{"value":3}"#),
                Step::End,
            ],
        );
        assert_eq!(summary.messages, 6);
        assert_eq!(summary.processed, 2);
        assert_eq!(summary.dead_lettered.get(Reason::MalformedJson), 2);
        assert_eq!(summary.dead_lettered.get(Reason::Schema), 1);
        assert_eq!(summary.dead_lettered.get(Reason::TooLarge), 1);
        assert_eq!(
            summary.processed + summary.dead_lettered.total(),
            summary.messages
        );
        let dead = harness.dead.borrow();
        let reasons: Vec<(Reason, i64)> = dead.iter().map(|(r, o, _)| (*r, *o)).collect();
        assert_eq!(
            reasons,
            vec![
                (Reason::MalformedJson, 1),
                (Reason::Schema, 2),
                (Reason::MalformedJson, 3),
                (Reason::TooLarge, 4)
            ]
        );
        assert_eq!(dead[1].2, br#"{"value":"x"}"#);
        let status = harness.status.text();
        assert!(
            status.contains(
                "6 messages, 2 processed, 4 dead-lettered (malformed_json 2, schema 1, too_large 1)"
            ),
            "{status}"
        );
    }

    #[test]
    fn max_batches_stops_an_endless_source() {
        let harness = Harness::new();
        let config = PipelineConfig {
            max_batches: Some(2),
            max_records_per_batch: 2,
            ..one_second()
        };
        let steps = (0..10).map(|_| Step::Message(br#"{"value":7}"#)).collect();
        let summary = harness.run(config, steps);
        assert_eq!(summary.end, RunEnd::MaxBatches);
        assert_eq!((summary.batches, summary.messages), (2, 4));
        assert_eq!(
            harness.commits.borrow().last().unwrap(),
            &vec![(0, 3), (1, 4)]
        );
    }

    #[test]
    fn a_shutdown_finishes_and_commits_the_current_batch() {
        let harness = Harness::new();
        let summary = harness.run(
            one_second(),
            vec![
                Step::Message(br#"{"value":1}"#),
                Step::Shutdown,
                Step::Message(br#"{"value":2}"#),
                Step::End,
            ],
        );
        assert_eq!(summary.end, RunEnd::Shutdown);
        assert_eq!((summary.batches, summary.messages), (1, 1));
        assert_eq!(*harness.commits.borrow(), vec![vec![(0, 1)]]);
        assert!(*harness.closed.borrow());
        assert!(harness.status.text().contains("done (stopped on request)"));
    }

    /// A stage that calls odd values late and counts its calls.
    #[derive(Default)]
    struct OddIsLate {
        begun: u32,
        ended_input: u32,
        kept: Vec<ValueRecord>,
    }

    impl Stage<ValueRecord> for OddIsLate {
        fn begin_batch(&mut self, processing_time: ProcessingTime) {
            assert!(processing_time.millis() >= 1_000_000);
            self.begun += 1;
        }

        fn on_record(
            &mut self,
            meta: &crate::message::MessageMeta,
            record: ValueRecord,
        ) -> Result<(), Rejection> {
            if record.value % 2 == 1 {
                return Err(Rejection::new(
                    Reason::Late,
                    format!("offset {} is behind the watermark", meta.offset),
                ));
            }
            self.kept.push(record);
            Ok(())
        }

        fn end_batch(&mut self, _context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
            Vec::new()
        }

        fn end_input(&mut self, context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
            self.ended_input += 1;
            assert_eq!(
                context.positions.iter().collect::<Vec<_>>(),
                vec![(0, 3), (1, 2)]
            );
            struct Total(i64);
            impl ResultSet for Total {
                fn columns(&self) -> Vec<&str> {
                    vec!["total"]
                }
                fn row_count(&self) -> usize {
                    1
                }
                fn cells(&self, _: usize) -> Vec<Option<String>> {
                    vec![Some(self.0.to_string())]
                }
                fn write_json(&self, _: usize, out: &mut Vec<u8>) {
                    out.extend_from_slice(format!("{{\"total\":{}}}", self.0).as_bytes());
                }
            }
            vec![Box::new(Total(self.kept.iter().map(|r| r.value).sum()))]
        }
    }

    #[test]
    fn a_stage_can_send_records_to_the_dead_letters_and_emit_at_end_of_input() {
        let harness = Harness::new();
        let mut stage = OddIsLate::default();
        let summary = harness
            .run_with(
                one_second(),
                vec![
                    Step::Message(br#"{"value":1}"#),
                    Step::Message(br#"{"value":2}"#),
                    Step::Message(br#"{"value":4}"#),
                    Step::End,
                ],
                &mut stage,
            )
            .unwrap();
        assert_eq!(summary.processed, 2);
        assert_eq!(summary.dead_lettered.get(Reason::Late), 1);
        assert_eq!(harness.dead.borrow()[0].0, Reason::Late);
        assert_eq!((stage.begun, stage.ended_input), (1, 1));
        assert_eq!(
            *harness.batches.borrow(),
            vec![(0, vec![r#"{"total":6}"#.to_string()])]
        );
    }

    /// A stage that logs the calls it gets.
    #[derive(Default)]
    struct CallLog(Vec<String>);

    impl Stage<ValueRecord> for CallLog {
        fn on_partitions(&mut self, partitions: &[i32], _now: ProcessingTime) {
            self.0.push(format!("partitions {partitions:?}"));
        }

        fn begin_batch(&mut self, _now: ProcessingTime) {
            self.0.push("begin".into());
        }

        fn on_record(
            &mut self,
            meta: &crate::message::MessageMeta,
            record: ValueRecord,
        ) -> Result<(), Rejection> {
            self.0
                .push(format!("record {} from {}", record.value, meta.partition));
            Ok(())
        }

        fn end_batch(&mut self, _context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
            self.0.push("end".into());
            Vec::new()
        }

        fn end_input(&mut self, _context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
            self.0.push("end of input".into());
            Vec::new()
        }
    }

    #[test]
    fn a_stage_learns_the_partitions_before_their_records() {
        let harness = Harness::new();
        let mut stage = CallLog::default();
        harness
            .run_with(
                one_second(),
                vec![
                    Step::Assign(vec![0, 1]),
                    Step::Message(br#"{"value":1}"#),
                    Step::Silence(Duration::from_secs(1)),
                    Step::Message(br#"{"value":2}"#),
                    Step::Silence(Duration::from_secs(1)),
                    Step::Assign(vec![0, 1, 2]),
                    Step::Message(br#"{"value":3}"#),
                    Step::End,
                ],
                &mut stage,
            )
            .unwrap();
        assert_eq!(
            stage.0,
            vec![
                "partitions [0, 1]",
                "begin",
                "record 1 from 0",
                "end",
                "begin",
                "record 2 from 1",
                "end",
                "partitions [0, 1, 2]",
                "begin",
                "record 3 from 0",
                "end",
                "end of input",
            ]
        );
    }

    #[test]
    fn a_failing_sink_stops_the_run_without_committing() {
        let harness = Harness::new();
        let dead_letters = Box::new(MemoryDeadLetters(harness.dead.clone()));
        let mut pipeline = Pipeline::new(
            one_second(),
            harness.environment.clone(),
            vec![Box::new(FailingSink)],
            dead_letters,
        );
        let mut source = harness.source(vec![Step::Message(br#"{"value":1}"#), Step::End]);
        let error = pipeline
            .run(
                &mut source,
                &ValueFormat,
                &mut RecordsStage::<ValueRecord>::new(),
            )
            .unwrap_err();
        assert_eq!(error.to_string(), "cannot write the test sink: disk full");
        assert!(harness.commits.borrow().is_empty());
        assert!(*harness.closed.borrow());
    }

    #[test]
    fn value_rows_have_one_column() {
        assert_eq!(<ValueRecord as RecordRow>::COLUMNS, ["value"]);
    }
}
