//! `retailflow stream`: read messages from Kafka or a JSONL file, parse them by schema, print each
//! micro-batch like Spark's console sink (or as JSONL), and send what does not parse to the
//! dead letters.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use retailflow_stream::analytics::{run_analytics_logged, run_merge};
use retailflow_stream::clock::SystemClock;
use retailflow_stream::command::{StreamFormat, StreamSettings, run_stream};
use retailflow_stream::dead_letter_sink::DeadLetterSpec;
use retailflow_stream::duration::{parse_byte_size, parse_duration};
use retailflow_stream::output::OutputSpec;
use retailflow_stream::scale::{PartialSettings, run_partial};
use retailflow_stream::shutdown::Shutdown;
use retailflow_stream::signals::SignalListener;
use retailflow_stream::source::{SourceSpec, StartFrom};
use retailflow_stream::status::StatusLog;
use retailflow_stream::{Environment, PipelineConfig};

/// Where a group without committed offsets starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum From {
    /// The oldest message in the topic.
    Earliest,
    /// Only messages written after the start.
    Latest,
}

/// The message schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `{"value": n}`.
    Value,
    /// Store receipts.
    Receipts,
}

/// Which half of the windowed analytics this process runs (`--stage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StageArg {
    /// Stage one: join the source topic's consumer group and write each assigned partition's
    /// window partials to --partials, in Kafka transactions with the group's offsets.
    Partial,
    /// Stage two: read --partials and write the final results to --output.
    Merge,
}

/// Arguments of `retailflow stream`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::value_rules::VALUE_RULES_HELP)]
pub struct Args {
    /// Kafka bootstrap servers, HOST:PORT[,HOST:PORT...].
    #[arg(long, default_value = "localhost:9092")]
    brokers: String,
    /// Topic to read [default: `receipts` for receipts, `test-topic` for values].
    #[arg(long)]
    topic: Option<String>,
    #[arg(long, help = "Consumer group [default: retailflow-<topic>]")]
    group: Option<String>,
    /// Where to start when the group has no committed offset.
    #[arg(long, value_enum, default_value_t = From::Latest)]
    from: From,
    /// `kafka`, or `file:PATH.jsonl` (one message per line; ends at the end of the file; a
    /// gzip-compressed file is read as the text it holds); `file:-` reads standard input (one part,
    /// no --checkpoint).
    #[arg(long, default_value = "kafka", value_parser = source_arg)]
    source: SourceSpec,
    /// Micro-batch interval, e.g. `1s`, `500ms`.
    #[arg(long, default_value = "1s", value_parser = duration_arg)]
    trigger: Duration,
    /// Message schema.
    #[arg(long, value_enum, default_value_t = Format::Receipts)]
    format: Format,
    /// Dead letters: `topic:NAME` or `file:PATH` [default: topic receipts-dlq for Kafka,
    /// <input>.dlq.jsonl beside a file, stdin.dlq.jsonl here for standard input].
    #[arg(long, value_parser = dlq_arg)]
    dlq: Option<DeadLetterSpec>,
    /// Where results go; give it several times to write each result to several places, e.g.
    /// `--output console --output jsonl:r.jsonl --output kafka:analytics`. `console` (Spark-style
    /// tables), `jsonl:PATH`, `jsonl:-` / `-` (JSON lines on stdout), or `kafka[:TOPIC]`: each
    /// result as one JSON message (the JSONL object) on TOPIC at --brokers (`kafka` alone: topic
    /// analytics), keyed by store id (results about one store) or window start, and acknowledged
    /// before offsets are committed. At most one on standard output and one Kafka topic.
    #[arg(long, default_value = "console", value_parser = output_arg, action = clap::ArgAction::Append)]
    output: Vec<OutputSpec>,
    /// Stop after N batches of this run (a run resumed from a checkpoint numbers its batches on).
    #[arg(long)]
    max_batches: Option<u64>,
    /// Kafka: stop once the end offsets seen at start are reached (a file always stops at its end).
    #[arg(long)]
    until_end: bool,
    /// A batch closes early at this many messages.
    #[arg(long, default_value_t = 100_000)]
    max_records_per_batch: usize,
    /// Larger messages are dead letters with reason too_large, e.g. `1MiB`, `512KiB`.
    #[arg(long, default_value = "1MiB", value_parser = size_arg)]
    max_message_size: usize,
    /// Rows shown per console table.
    #[arg(long, default_value_t = 20)]
    show: usize,
    /// Threads the analytics spread the source's partitions over (a file is read as up to 16
    /// parts of 8 MiB blocks) [default: the number of cores]. Each partition's records are
    /// parsed and windowed on one thread; their windows are merged on the main one. The results
    /// are the same, byte for byte, for every number.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
    /// Save a checkpoint in DIR after every batch (source position, output lengths, open windows)
    /// and resume from it on start, so a run stopped at any moment — even by `kill -9` — and
    /// started again with the same arguments writes each result exactly once to a JSONL file, or
    /// to a Kafka topic (one transaction per batch; the broker must support transactions).
    /// Outputs that cannot be rewound (console, standard output, dead-letter topic) may repeat
    /// what was written after the last checkpoint.
    #[arg(long, value_name = "DIR")]
    checkpoint: Option<std::path::PathBuf>,
    /// Run one stage of the windowed analytics, for a job spread over processes and machines:
    /// any number of `--stage partial` workers in one consumer group (Kafka moves partitions
    /// between them as they come and go) and one `--stage merge`. The final results are those
    /// of one process reading the topic. Needs Kafka with transactions, append mode, and
    /// --state-dir shared by every worker. With --until-end each worker stops once its partitions
    /// reach the end offsets it saw at start, and the merge once every partition has.
    #[arg(long, value_enum)]
    stage: Option<StageArg>,
    /// The topic partials go through, from the partial workers to the merge.
    #[arg(long, value_name = "TOPIC", default_value = "partials")]
    partials: String,
    /// `--stage partial`: where each source partition's state is saved after every batch, named
    /// by the offset the batch commits; every worker of the group must see the same directory (a
    /// local one for workers on one machine, a shared mount across machines).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<std::path::PathBuf>,
    /// `--stage partial`: this worker's name, unique in the group [default: HOST-PID]. A worker
    /// started with the name of one that died fences it at once (its open transaction aborts);
    /// otherwise the broker aborts it after 15 s.
    #[arg(long, value_name = "NAME")]
    worker_id: Option<String>,
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = retailflow_dashboard::DEFAULT_ADDR, help = super::dashboard::DASHBOARD_HELP)]
    dashboard: Option<String>,
    #[command(flatten)]
    analytics: super::stream_analytics::AnalyticsArgs,
    #[command(flatten)]
    rules: super::value_rules::ValueRulesArgs,
}

/// The number of cores, as the default number of workers.
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

fn size_arg(text: &str) -> Result<usize, String> {
    parse_byte_size(text).map_err(|e| e.to_string())
}

fn source_arg(text: &str) -> Result<SourceSpec, String> {
    SourceSpec::parse(text).map_err(|e| e.to_string())
}

fn dlq_arg(text: &str) -> Result<DeadLetterSpec, String> {
    DeadLetterSpec::parse(text).map_err(|e| e.to_string())
}

fn output_arg(text: &str) -> Result<OutputSpec, String> {
    OutputSpec::parse(text).map_err(|e| e.to_string())
}

impl Args {
    fn settings(&self) -> anyhow::Result<StreamSettings> {
        anyhow::ensure!(!self.trigger.is_zero(), "--trigger must be above 0");
        anyhow::ensure!(
            self.max_records_per_batch > 0,
            "--max-records-per-batch must be above 0"
        );
        OutputSpec::check_all(&self.output)?;
        let format = match self.format {
            Format::Value => StreamFormat::Value,
            Format::Receipts => StreamFormat::Receipts,
        };
        let topic = self.topic.clone().unwrap_or_else(|| {
            match format {
                StreamFormat::Value => "test-topic",
                StreamFormat::Receipts => "receipts",
            }
            .to_string()
        });
        Ok(StreamSettings {
            source: self.source.clone(),
            brokers: self.brokers.clone(),
            group: self
                .group
                .clone()
                .unwrap_or_else(|| StreamSettings::default_group(&topic)),
            topic,
            start: match self.from {
                From::Earliest => StartFrom::Earliest,
                From::Latest => StartFrom::Latest,
            },
            until_end: self.until_end,
            drain: None,
            format,
            dead_letters: self.dlq.clone(),
            outputs: self.output.clone(),
            show_rows: self.show,
            pipeline: PipelineConfig {
                trigger: self.trigger,
                max_records_per_batch: self.max_records_per_batch,
                max_batches: self.max_batches,
                max_message_size: self.max_message_size,
                workers: self.workers.map_or_else(default_workers, usize::from),
            },
            checkpoint: self.checkpoint.clone(),
            rules: self.rules.rules()?,
        })
    }
}

/// Runs `retailflow stream`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut settings = args.settings()?;
    let analytics = args.analytics.engine_config()?;
    anyhow::ensure!(
        analytics.is_none() || settings.format == StreamFormat::Receipts,
        "the windowed analytics need --format receipts"
    );
    let status = StatusLog::stderr();
    let shutdown = Shutdown::new();
    let _signals = SignalListener::install(shutdown.clone(), status.clone())
        .context("cannot listen for Ctrl-C")?;
    let mut environment = Environment {
        clock: Arc::new(SystemClock),
        shutdown,
        status,
        monitors: Default::default(),
    };
    let dashboard = match &args.dashboard {
        Some(addr) => {
            let dashboard =
                super::dashboard::start(addr, &settings.describe(), &environment.status)?;
            environment.monitors = environment.monitors.with(dashboard.monitor());
            Some(dashboard)
        }
        None => None,
    };
    match (args.stage, analytics) {
        (Some(_), None) => anyhow::bail!("--stage needs the windowed analytics (--analytics)"),
        (Some(StageArg::Partial), Some(config)) => {
            let partial = partial_settings(&args, &settings)?;
            run_partial(&partial, config, &environment)?;
        }
        (Some(StageArg::Merge), Some(config)) => {
            anyhow::ensure!(
                settings.source == SourceSpec::Kafka,
                "--stage merge reads the partials from Kafka (--source kafka)"
            );
            let until_complete = settings.until_end;
            settings.group = args
                .group
                .clone()
                .unwrap_or_else(|| format!("retailflow-merge-{}", args.partials));
            settings.topic = args.partials.clone();
            settings.start = StartFrom::Earliest;
            settings.until_end = false;
            run_merge(&settings, config, until_complete, &environment)?;
        }
        (None, Some(config)) => {
            run_analytics_logged(
                &settings,
                config,
                args.analytics.latency_log(),
                &environment,
            )?;
        }
        (None, None) => {
            run_stream(&settings, &environment)?;
        }
    };
    if let Some(dashboard) = &dashboard {
        super::dashboard::keep_serving(dashboard, &environment);
    }
    Ok(ExitCode::SUCCESS)
}

/// The settings of a `--stage partial` worker.
fn partial_settings(args: &Args, settings: &StreamSettings) -> anyhow::Result<PartialSettings> {
    anyhow::ensure!(
        settings.source == SourceSpec::Kafka,
        "--stage partial reads a Kafka topic (--source kafka)"
    );
    let state_dir = args.state_dir.clone().context(
        "--stage partial needs --state-dir DIR, a directory every worker of the group shares",
    )?;
    let worker_id = args.worker_id.clone().unwrap_or_else(|| {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|name| name.trim().to_string())
            .unwrap_or_else(|_| "host".to_string());
        format!("{host}-{}", std::process::id())
    });
    Ok(PartialSettings {
        brokers: settings.brokers.clone(),
        topic: settings.topic.clone(),
        group: settings.group.clone(),
        start: settings.start,
        until_end: settings.until_end,
        partials: args.partials.clone(),
        state_dir,
        worker_id,
        dead_letters: settings.dead_letter_spec(),
        trigger: settings.pipeline.trigger,
        max_records_per_batch: settings.pipeline.max_records_per_batch,
        max_message_size: settings.pipeline.max_message_size,
        rules: settings.rules,
    })
}
