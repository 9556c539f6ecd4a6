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

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::dead_letter::{DeadLetter, Reason, ReasonCounts, Rejection};
use crate::dead_letter_sink::DeadLetterSink;
use crate::error::StreamError;
use crate::message::{MessageBatch, Positions};
use crate::output::Sink;
use crate::progress::thousands;
use crate::schema::RecordFormat;
use crate::shutdown::Shutdown;
use crate::source::{Polled, Source};
use crate::stage::{BatchContext, Stage};
use crate::status::StatusLog;

/// The longest a single poll may block, so shutdown requests are noticed quickly.
const POLL_SLICE: Duration = Duration::from_millis(100);

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
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            trigger: Duration::from_secs(1),
            max_records_per_batch: 100_000,
            max_batches: None,
            max_message_size: 1 << 20,
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

/// Counts of one batch.
#[derive(Debug, Default, Clone, Copy)]
struct BatchCounts {
    processed: u64,
    dead_lettered: ReasonCounts,
}

/// The micro-batch loop.
pub struct Pipeline<'a> {
    config: PipelineConfig,
    environment: Environment,
    sinks: Vec<Box<dyn Sink + 'a>>,
    dead_letters: Box<dyn DeadLetterSink + 'a>,
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
        }
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
        F: RecordFormat,
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
        F: RecordFormat,
        S: Stage<F::Record>,
    {
        let mut summary = RunSummary {
            batches: 0,
            messages: 0,
            processed: 0,
            dead_lettered: ReasonCounts::default(),
            end: RunEnd::Shutdown,
        };
        let mut positions = Positions::new();
        let mut batch = MessageBatch::new();
        loop {
            batch.clear();
            let input_ended = self.gather(source, &mut batch)?;
            let counts = self.process(source.name(), &batch, format, stage, &mut positions)?;
            let context = BatchContext {
                batch_id: summary.batches,
                processing_time: self.environment.clock.wall_time(),
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
                if let Err(error) = source.commit(&positions) {
                    self.environment.status.line(format!(
                        "warning: {error}; they will be committed with the next batch"
                    ));
                }
                summary.messages += batch.len() as u64;
                summary.processed += counts.processed;
                summary.dead_lettered.add_all(&counts.dead_lettered);
                self.report(summary.batches, batch.len() as u64, &counts, &summary);
                summary.batches += 1;
            }
            if input_ended {
                summary.end = RunEnd::EndOfInput;
                return Ok(summary);
            }
            if self.environment.shutdown.is_requested() {
                summary.end = RunEnd::Shutdown;
                return Ok(summary);
            }
            if self
                .config
                .max_batches
                .is_some_and(|max| summary.batches >= max)
            {
                summary.end = RunEnd::MaxBatches;
                return Ok(summary);
            }
        }
    }

    /// Fills `batch` for one trigger interval; returns whether the input ended.
    fn gather(
        &self,
        source: &mut dyn Source,
        batch: &mut MessageBatch,
    ) -> Result<bool, StreamError> {
        let clock = &self.environment.clock;
        let deadline = clock.now() + self.config.trigger;
        while batch.len() < self.config.max_records_per_batch {
            if self.environment.shutdown.is_requested() {
                return Ok(false);
            }
            let now = clock.now();
            if now >= deadline {
                return Ok(false);
            }
            if source.poll((deadline - now).min(POLL_SLICE), batch)? == Polled::End {
                return Ok(true);
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
        F: RecordFormat,
        S: Stage<F::Record>,
    {
        let mut counts = BatchCounts::default();
        for message in batch.iter() {
            positions.advance(message.meta.partition, message.meta.offset);
            let outcome = if message.meta.size > self.config.max_message_size {
                Err(Rejection::new(
                    Reason::TooLarge,
                    format!(
                        "{} bytes is over the {} byte limit",
                        message.meta.size, self.config.max_message_size
                    ),
                ))
            } else {
                format
                    .parse(message.payload)
                    .and_then(|record| stage.on_record(&message.meta, record))
            };
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
