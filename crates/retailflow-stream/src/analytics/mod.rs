//! The windowed analytics stage of `retailflow stream --format receipts`: every parsed receipt goes
//! to the event-time [`Engine`] (partition = the message's partition, processing time = the
//! pipeline's wall clock, for idle partitions and `--max-future`); a receipt the engine refuses is
//! dead-lettered and counted with the reason its refusal names (`late`, `future`, `duplicate`, or
//! `invalid_value` for figures beyond the exact range). The engine's typed results of each batch go
//! to every sink, which lays them out: Spark-style tables per analysis on the console, one JSON
//! object per result in the exact form each analysis writes for JSONL and Kafka
//! ([`Output::write_json`]). A bounded input ends with [`Engine::finish`]: the watermark moves to
//! the end of time and every open window is emitted.

pub mod latency;
mod merge;
pub mod peak_memory;
pub mod results;

#[cfg(test)]
mod tests;

use std::path::Path;

use retailflow_eventtime::{
    Engine, EngineConfig, EngineSnapshot, EventTime, Output, OutputMode, PartitionId,
    ProcessingTime, Receipt, RefusalKind,
};

use crate::command::{RunParts, StreamSettings};
use crate::dead_letter::{Reason, Rejection};
use crate::error::StreamError;
use crate::message::{MessageBatch, MessageMeta};
use crate::monitor::{PartitionHealth, StageHealth};
use crate::output::{OutputSpec, ResultSet};
use crate::pipeline::{Environment, RunSummary};
use crate::schema::{ReceiptFormat, RecordFormat, recycle_receipt};
use crate::source::SourceSpec;
use crate::stage::{BatchContext, Stage};
use crate::status::StatusLog;
use retailflow_receipts::check_message_size;

pub use latency::{LatencyLogSink, LatencyRecorder};
pub use merge::MergeStage;
pub use results::result_sets;

/// Feeds receipts to the event-time engine and hands its results to the sinks.
#[derive(Debug)]
pub struct AnalyticsStage {
    engine: Engine,
    now: ProcessingTime,
    pending: Vec<Output>,
    /// Notes when windows close, for `--latency-log`.
    latency: Option<LatencyRecorder>,
    /// The most panes held at the end of a batch's records, for the final status line.
    most_panes: usize,
    /// The most panes one partition held at the end of a batch's records.
    most_partition_panes: usize,
    /// Where a line per store anomaly and cashier alert goes as it happens.
    alert_log: Option<StatusLog>,
    /// Threads a batch's partitions are spread over.
    workers: usize,
}

impl AnalyticsStage {
    /// A stage over a fresh engine with `config`.
    pub fn new(config: EngineConfig) -> Result<Self, StreamError> {
        let engine = Engine::new(config)
            .map_err(|e| StreamError::invalid("analytics settings", "", e.to_string()))?;
        Ok(Self::with_engine(engine))
    }

    /// A stage over an existing engine (e.g. one restored from a checkpoint).
    pub fn with_engine(engine: Engine) -> Self {
        Self {
            engine,
            now: ProcessingTime::from_millis(0),
            pending: Vec::new(),
            latency: None,
            most_panes: 0,
            most_partition_panes: 0,
            alert_log: None,
            workers: 1,
        }
    }

    /// Spreads each batch's partitions over `workers` threads (the results do not change).
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Writes one line per store anomaly and cashier alert to `log` as the batch that raises it
    /// ends.
    pub fn with_alert_log(mut self, log: StatusLog) -> Self {
        self.alert_log = Some(log);
        self
    }

    /// Notes the time each window closes with `recorder` (see [`latency`]).
    pub fn with_latency_recorder(mut self, recorder: LatencyRecorder) -> Self {
        self.latency = Some(recorder);
        self
    }

    /// The engine (watermark, counters, state size).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The most panes (open-window state) held at the end of any batch's records so far.
    pub fn most_panes(&self) -> usize {
        self.most_panes
    }

    /// The most panes one partition held at the end of any batch's records so far.
    pub fn most_partition_panes(&self) -> usize {
        self.most_partition_panes
    }

    /// The engine's state, for a checkpoint taken after a batch.
    pub fn snapshot(&self) -> EngineSnapshot {
        self.engine.snapshot()
    }

    /// Tells the latency recorder, if any, about the results appended since `from`.
    fn note_emitted(&mut self, from: usize) {
        if let Some(recorder) = &mut self.latency
            && let Some(emitted) = self.pending.get(from..)
        {
            recorder.windows_emitted(emitted);
        }
    }

    fn take_results(&mut self) -> Vec<Box<dyn ResultSet>> {
        if let Some(log) = &self.alert_log {
            log.lines(self.pending.iter().filter_map(Output::alert_line));
        }
        let with_final = self.engine.config().output_mode == OutputMode::Update;
        result_sets(std::mem::take(&mut self.pending), with_final)
    }
}

impl Stage<Receipt> for AnalyticsStage {
    /// Declares the assigned partitions before any of their records, so a partition that has sent
    /// nothing yet holds the watermark back (until idle) instead of letting another partition make
    /// its records late; a revoked partition is forgotten, which may close windows.
    fn on_partitions(&mut self, partitions: &[i32], processing_time: ProcessingTime) {
        self.now = processing_time;
        let revoked: Vec<PartitionId> = self
            .engine
            .partitions()
            .iter()
            .map(|status| status.partition)
            .filter(|known| !partitions.contains(&known.0))
            .collect();
        let before = self.pending.len();
        for partition in revoked {
            self.engine.remove_partition(partition, &mut self.pending);
        }
        self.note_emitted(before);
        self.engine
            .declare_partitions(partitions.iter().map(|&p| PartitionId(p)), self.now);
    }

    fn begin_batch(&mut self, processing_time: ProcessingTime) {
        self.now = processing_time;
        if let Some(recorder) = &mut self.latency {
            recorder.batch_received(processing_time);
        }
    }

    fn on_record(&mut self, meta: &MessageMeta, record: Receipt) -> Result<(), Rejection> {
        let before = self.pending.len();
        let verdict = self.engine.process(
            PartitionId(meta.partition),
            &record,
            self.now,
            &mut self.pending,
        );
        if self.pending.len() > before {
            self.note_emitted(before);
        }
        recycle_receipt(record);
        verdict.map_err(|refusal| Rejection::new(reason_for(refusal.kind()), refusal.to_string()))
    }

    /// The batch's partitions on up to `workers` threads, each parsing its partitions' messages
    /// and running their stage one; stage two then takes their events on this thread.
    fn on_batch<F>(
        &mut self,
        batch: &MessageBatch,
        format: &F,
        max_message_size: usize,
    ) -> Vec<Result<(), Rejection>>
    where
        F: RecordFormat<Record = Receipt> + Sync,
    {
        let now = self.now;
        let before = self.pending.len();
        let outcomes = self.engine.process_batch(
            batch.slots(),
            |slot| PartitionId(slot.meta().partition),
            self.workers,
            now,
            |stage, slot, events| {
                let message = batch.message(slot);
                let receipt = check_message_size(message.meta.size, max_message_size)
                    .and_then(|()| format.parse(message.payload))?;
                let verdict = stage.process(&receipt, now, events).map_err(|refusal| {
                    Rejection::new(reason_for(refusal.kind()), refusal.to_string())
                });
                recycle_receipt(receipt);
                verdict
            },
            &mut self.pending,
        );
        if self.pending.len() > before {
            self.note_emitted(before);
        }
        outcomes
    }

    fn end_batch(&mut self, context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
        self.batch_results(context)
    }

    fn end_input(&mut self, _context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
        self.final_results()
    }

    fn engine_snapshot(&self) -> Option<EngineSnapshot> {
        Some(self.engine.snapshot())
    }

    fn health(&self) -> StageHealth {
        self.stage_health()
    }
}

impl AnalyticsStage {
    /// The end of a batch: the engine's trigger, then every result of the batch.
    fn batch_results(&mut self, context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
        self.now = context.processing_time;
        let size = self.engine.state_size();
        self.most_panes = self.most_panes.max(size.panes);
        self.most_partition_panes = self.most_partition_panes.max(size.partition_panes);
        let before = self.pending.len();
        self.engine.on_trigger(self.now, &mut self.pending);
        self.note_emitted(before);
        self.take_results()
    }

    /// The end of the input: every open window.
    fn final_results(&mut self) -> Vec<Box<dyn ResultSet>> {
        let before = self.pending.len();
        self.engine.finish(&mut self.pending);
        self.note_emitted(before);
        self.take_results()
    }

    fn stage_health(&self) -> StageHealth {
        let known = |t: EventTime| (t != EventTime::MIN).then_some(t);
        let lateness = self.engine.config().allowed_lateness;
        StageHealth {
            watermark: known(self.engine.watermark()),
            partitions: self
                .engine
                .partitions()
                .iter()
                .map(|status| PartitionHealth {
                    partition: status.partition.0,
                    watermark: known(status.watermark(lateness)),
                    idle: status.idle,
                    lag: None,
                })
                .collect(),
        }
    }
}

/// The dead-letter reason for an engine refusal.
pub(crate) fn reason_for(kind: RefusalKind) -> Reason {
    match kind {
        RefusalKind::Late => Reason::Late,
        RefusalKind::Future => Reason::Future,
        RefusalKind::Duplicate => Reason::Duplicate,
        RefusalKind::OutOfRange => Reason::InvalidValue,
    }
}

/// Writes finished results (every window final, as in append mode) to each `--output` choice:
/// console tables as one batch, or one JSON object per line. Used by `retailflow windows`.
pub fn write_outputs(specs: &[OutputSpec], outputs: &[Output]) -> Result<(), StreamError> {
    OutputSpec::check_all(specs)?;
    let results = result_sets(outputs.to_vec(), false);
    for spec in specs {
        spec.open(20, false)?.write_batch(0, &results)?;
    }
    Ok(())
}

/// Runs `retailflow stream --format receipts` with the windowed analytics instead of the record
/// table: same source, dead letters and sinks as [`crate::command::run_stream`].
pub fn run_analytics(
    settings: &StreamSettings,
    config: EngineConfig,
    environment: &Environment,
) -> Result<RunSummary, StreamError> {
    run_analytics_logged(settings, config, None, environment)
}

/// [`run_analytics`], also writing one line per closed window to `latency_log` when given (see
/// [`latency`]).
pub fn run_analytics_logged(
    settings: &StreamSettings,
    config: EngineConfig,
    latency_log: Option<&Path>,
    environment: &Environment,
) -> Result<RunSummary, StreamError> {
    environment.status.line(format!(
        "{}; windowed analytics: window {}, slide {}, allowed lateness {}, idle timeout {}, big receipts over {}, {} mode, max future {}, dedupe {}; {}",
        settings.describe(),
        config.window_length,
        config.window_slide,
        config.allowed_lateness,
        config.idle_timeout,
        config.big_receipt_threshold,
        config.output_mode,
        config
            .max_future
            .map_or_else(|| "off".to_string(), |span| span.to_string()),
        if config.dedupe { "on" } else { "off" },
        config
            .analyses
            .kinds()
            .map(|kind| kind.name())
            .collect::<Vec<_>>()
            .join(", "),
    ));
    let mut parts = RunParts::open(settings, environment, Some(&config))?;
    let mut stage = open_stage(settings, config, &parts, environment)?;
    if matches!(settings.source, SourceSpec::File(_)) {
        // The parts of a file are all read to their end: none is ever idle.
        stage.engine = stage.engine.with_idle_detection(false);
    }
    if let Some(path) = latency_log {
        let (recorder, sink) = LatencyRecorder::to_file(environment.clock.clone(), path)?;
        stage = stage.with_latency_recorder(recorder);
        parts.sinks.push(Box::new(sink));
    }
    let (mut pipeline, mut source) = parts.into_pipeline(settings, environment);
    let format = ReceiptFormat::new(settings.rules);
    let summary = pipeline.run(source.as_mut(), &format, &mut stage)?;
    report(&stage, environment);
    Ok(summary)
}

/// A stage over the engine `settings` resume from (a checkpoint), or a fresh one.
fn open_stage(
    settings: &StreamSettings,
    config: EngineConfig,
    parts: &RunParts,
    environment: &Environment,
) -> Result<AnalyticsStage, StreamError> {
    let stage = match parts.engine_snapshot() {
        Some(snapshot) => {
            let mut engine =
                Engine::restore(config, snapshot).map_err(|e| StreamError::Checkpoint {
                    dir: settings.checkpoint.clone().unwrap_or_default(),
                    reason: format!("its analytics state cannot be restored: {e}"),
                })?;
            // The time the job was stopped is not silence of any partition.
            engine.resume_activity(ProcessingTime::from_millis(
                environment.clock.wall_time().millis(),
            ));
            AnalyticsStage::with_engine(engine)
        }
        None => AnalyticsStage::new(config)?,
    };
    Ok(stage
        .with_alert_log(environment.status.clone())
        .with_workers(settings.pipeline.workers))
}

/// The run's analytics line: the engine's totals and the state it held.
fn report(stage: &AnalyticsStage, environment: &Environment) {
    let counters = stage.engine().counters();
    environment.status.line(format!(
        "analytics: {} receipts in windows, {} late, {} future, {} duplicates, {} out of range, {} big receipts, {} windows closed, {} final results, {} store anomalies, {} cashier alerts ({} big receipts behind the watermark left out), {} large baskets without pairs; state at most {} panes ({} in one of {} partitions); peak RSS {}",
        counters.accepted,
        counters.late,
        counters.future,
        counters.duplicates,
        counters.out_of_range,
        counters.big_receipts,
        counters.windows_closed,
        counters.final_results,
        counters.store_anomalies,
        counters.cashier_alerts,
        counters.behind_watermark_for_alerts,
        counters.large_baskets,
        stage.most_panes(),
        stage.most_partition_panes(),
        stage.engine().partitions().len(),
        peak_memory::peak_rss_kib().map_or_else(|| "unknown".to_string(), |kib| format!("{kib} KiB"))
    ));
}

/// Runs stage two of a job split over processes (`stream --stage merge`): `settings.topic` is the
/// partials topic. With `until_complete` the run ends once every source partition has finished
/// (the stage-one workers ran with `--until-end`).
pub fn run_merge(
    settings: &StreamSettings,
    config: EngineConfig,
    until_complete: bool,
    environment: &Environment,
) -> Result<RunSummary, StreamError> {
    environment.status.line(format!(
        "{}; stage two of the windowed analytics: window {}, slide {}, allowed lateness {}",
        settings.describe(),
        config.window_length,
        config.window_slide,
        config.allowed_lateness,
    ));
    let parts = RunParts::open(settings, environment, Some(&config))?;
    let mut stage = MergeStage::new(
        open_stage(settings, config, &parts, environment)?,
        until_complete,
    );
    let (mut pipeline, mut source) = parts.into_pipeline(settings, environment);
    let summary = pipeline.run(source.as_mut(), &crate::scale::PartialFormat, &mut stage)?;
    report(stage.analytics(), environment);
    Ok(summary)
}
