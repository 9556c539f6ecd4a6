//! `retailflow produce`: write `{"value": n}` messages or store receipts to a Kafka topic (or a
//! JSONL file with `--out`), paced or as fast as possible, optionally seeded and damaged.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use retailflow_eventtime::{EventTime, TimeSpan};
use retailflow_stream::StreamError;
use retailflow_stream::clock::SystemClock;
use retailflow_stream::command::{ProduceMode, ProduceSettings, run_produce};
use retailflow_stream::duration::parse_duration;
use retailflow_stream::generate::{AnomalyLayout, EventClock, Faults};
use retailflow_stream::produce::ProducePlan;
use retailflow_stream::shutdown::Shutdown;
use retailflow_stream::signals::SignalListener;
use retailflow_stream::status::StatusLog;
use retailflow_stream::timestamp::parse_rfc3339;

/// Event time of the first receipt on the seed clock when `--start-time` is not given.
const DEFAULT_START_TIME: &str = "2025-01-01T00:00:00.000Z";
/// Events per second of the seed clock when `--events-per-second` is not given.
const DEFAULT_EVENTS_PER_SECOND: f64 = 1000.0;

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// `{"value": n}` with n uniform in 1..=100, one per second by default.
    Value,
    /// Store receipts keyed by store_id, 100 per second by default.
    Receipts,
}

/// Arguments of `retailflow produce`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kafka bootstrap servers, HOST:PORT[,HOST:PORT...].
    #[arg(long, default_value = "localhost:9092")]
    brokers: String,
    /// Topic to write to [default: `receipts` in receipts mode, `test-topic` in value mode].
    #[arg(long)]
    topic: Option<String>,
    /// What to write.
    #[arg(long, value_enum, default_value_t = Mode::Receipts)]
    mode: Mode,
    /// Messages per second [default: 1 (value), 100 (receipts); as fast as possible with a seed
    /// clock or --out].
    #[arg(long)]
    rate: Option<f64>,
    /// Stop after N messages.
    #[arg(long)]
    count: Option<u64>,
    /// Stop after this long, e.g. `30s`, `500ms`, `2m`.
    #[arg(long, value_parser = duration_arg)]
    duration: Option<Duration>,
    /// Seed of the generator: the same seed and flags give the same messages [default: from the
    /// wall clock, printed so a run can be repeated].
    #[arg(long)]
    seed: Option<u64>,
    /// Event time of the first receipt on the seed clock (RFC 3339) [default: 2025-01-01T00:00:00Z].
    /// Giving --seed, --start-time or --events-per-second takes event times from the seed clock
    /// instead of the wall clock.
    #[arg(long, value_parser = time_arg)]
    start_time: Option<EventTime>,
    /// Receipts per second of event time on the seed clock [default: 1000].
    #[arg(long)]
    events_per_second: Option<f64>,
    /// Share of receipts whose event time is pushed back by --late-by (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    late_fraction: f64,
    /// How far late receipts are pushed back.
    #[arg(long, default_value = "60s", value_parser = duration_arg)]
    late_by: Duration,
    /// Share of damaged messages (0 to 1): truncated JSON, wrong types, missing fields, negative
    /// quantities, empty items, non-UTF-8 bytes, and one 2 MB message.
    #[arg(long, default_value_t = 0.0)]
    malformed_fraction: f64,
    /// Inject anomalies into the receipts for the alerting analyses to find, and print what and
    /// when: a 6x revenue spike at one store, a store going silent for three windows, a cashier
    /// with three receipts of 5,084.00 within 16 s (so with --big-receipt 5000
    /// the burst is the only cashier alert), and an association rule (80% of receipts with
    /// Item_2_BEV also hold Item_9_PAT). They are laid out in windows of --anomalies-window from
    /// the first whole window: the spike in window 15, the burst in 20, the silence in 25 to 27.
    #[arg(long)]
    anomalies: bool,
    /// The window length the anomalies are laid out for (the stream's --window).
    #[arg(long, default_value = "10s", value_parser = duration_arg, requires = "anomalies")]
    anomalies_window: Duration,
    /// Write the messages to this JSONL file instead of Kafka (needs --count or --duration); `-` is
    /// standard output, and a reader that stops reading (`| head`) ends the run without an error.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// How long a message may wait for the broker before it counts as not delivered.
    #[arg(long, default_value = "60s", value_parser = duration_arg)]
    delivery_timeout: Duration,
}

fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

fn time_arg(text: &str) -> Result<EventTime, String> {
    parse_rfc3339(text)
        .ok_or_else(|| format!("`{text}` is not an RFC 3339 time, e.g. 2025-01-01T00:00:00Z"))
}

impl Args {
    /// The anomalies asked for, laid out for `--anomalies-window`.
    fn anomalies_layout(&self, mode: ProduceMode) -> anyhow::Result<Option<AnomalyLayout>> {
        if !self.anomalies {
            return Ok(None);
        }
        anyhow::ensure!(
            mode == ProduceMode::Receipts,
            "--anomalies needs --mode receipts"
        );
        let window = i64::try_from(self.anomalies_window.as_millis())
            .ok()
            .filter(|&ms| ms > 0)
            .context("--anomalies-window must be above 0 and below 292 million years")?;
        Ok(Some(AnomalyLayout::for_window(TimeSpan::from_millis(
            window,
        ))))
    }
}

fn fraction(name: &str, value: f64) -> anyhow::Result<f64> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&value),
        "--{name} must be between 0 and 1, not {value}"
    );
    Ok(value)
}

impl Args {
    fn settings(&self) -> anyhow::Result<ProduceSettings> {
        let mode = match self.mode {
            Mode::Value => ProduceMode::Value,
            Mode::Receipts => ProduceMode::Receipts,
        };
        let topic = self.topic.clone().unwrap_or_else(|| {
            match mode {
                ProduceMode::Value => "test-topic",
                ProduceMode::Receipts => "receipts",
            }
            .to_string()
        });
        let seed_clock =
            self.seed.is_some() || self.start_time.is_some() || self.events_per_second.is_some();
        let event_clock = if seed_clock {
            let events_per_second = self.events_per_second.unwrap_or(DEFAULT_EVENTS_PER_SECOND);
            anyhow::ensure!(
                events_per_second.is_finite() && events_per_second > 0.0,
                "--events-per-second must be above 0"
            );
            let start = match self.start_time {
                Some(start) => start,
                None => parse_rfc3339(DEFAULT_START_TIME).context("the default start time")?,
            };
            EventClock::Seeded {
                start,
                events_per_second,
            }
        } else {
            EventClock::Wall
        };
        if let Some(rate) = self.rate {
            anyhow::ensure!(
                rate.is_finite() && rate > 0.0,
                "--rate must be above 0, not {rate}"
            );
        }
        let rate = match (self.rate, seed_clock || self.out.is_some(), mode) {
            (Some(rate), _, _) => Some(rate),
            (None, true, _) => None,
            (None, false, ProduceMode::Value) => Some(1.0),
            (None, false, ProduceMode::Receipts) => Some(100.0),
        };
        if self.out.is_some() {
            anyhow::ensure!(
                self.count.is_some() || self.duration.is_some(),
                "--out needs --count or --duration, or the file would grow without end"
            );
        }
        let late_by =
            TimeSpan::from_millis(i64::try_from(self.late_by.as_millis()).unwrap_or(i64::MAX));
        let seed = self.seed.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
                % 1_000_000
        });
        Ok(ProduceSettings {
            brokers: self.brokers.clone(),
            topic,
            mode,
            seed,
            event_clock,
            faults: Faults {
                late_fraction: fraction("late-fraction", self.late_fraction)?,
                late_by,
                malformed_fraction: fraction("malformed-fraction", self.malformed_fraction)?,
                anomalies: self.anomalies_layout(mode)?,
            },
            plan: ProducePlan {
                rate,
                count: self.count,
                duration: self.duration,
                ..ProducePlan::default()
            },
            out: self.out.clone(),
            delivery_timeout: self.delivery_timeout,
        })
    }
}

/// Runs `retailflow produce`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let settings = args.settings()?;
    let status = StatusLog::stderr();
    let shutdown = Shutdown::new();
    let _signals = SignalListener::install(shutdown.clone(), status.clone())
        .context("cannot listen for Ctrl-C")?;
    let environment = retailflow_stream::Environment {
        clock: Arc::new(SystemClock),
        shutdown,
        status,
        monitors: Default::default(),
    };
    let summary = run_produce(&settings, &environment)?;
    let undelivered = summary.undelivered();
    if undelivered > 0 {
        return Err(StreamError::Undelivered {
            failed: undelivered,
            total: summary.tally.sent,
            target: format!("topic {} at {}", settings.topic, settings.brokers),
            first_error: summary.tally.first_failure.clone(),
        }
        .into());
    }
    Ok(ExitCode::SUCCESS)
}
