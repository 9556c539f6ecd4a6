//! `retailflow demo`: the whole story with nothing installed. The batch half generates a dirty sales
//! sample and runs the `clean` job on it, step by step. The streaming half starts librdkafka's
//! mock cluster in-process, a receipts producer and the stream consumer, and prints live batches of
//! the windowed analytics (or, with `--records`, the parsed receipts) until Ctrl-C or `--duration`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use retailflow_dashboard::Dashboard;
use retailflow_eventtime::TimeSpan;
use retailflow_stream::Environment;
use retailflow_stream::clock::SystemClock;
use retailflow_stream::command::{DemoSettings, run_stream_demo};
use retailflow_stream::duration::parse_duration;
use retailflow_stream::generate::AnomalyLayout;
use retailflow_stream::shutdown::Shutdown;
use retailflow_stream::signals::SignalListener;
use retailflow_stream::status::StatusLog;

/// Arguments of `retailflow demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rows in the generated sales sample of the batch half.
    #[arg(long, default_value_t = 20_000)]
    rows: u64,
    /// Seed of the generated sample.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Run only the stream half.
    #[arg(long)]
    skip_batch: bool,
    /// Run only the batch half.
    #[arg(long)]
    skip_stream: bool,
    /// Settings of the stream half.
    #[command(flatten)]
    stream: StreamDemoArgs,
}

/// Arguments of the stream half of the demo.
#[derive(Debug, clap::Args)]
pub struct StreamDemoArgs {
    /// Stop the stream after this long, e.g. `30s` [default: run until Ctrl-C].
    #[arg(long, value_parser = duration_arg)]
    duration: Option<Duration>,
    /// Receipts per second sent to the in-process broker.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// How many times faster than the wall clock the receipts' event time runs, so that a window
    /// closes every few seconds (event times start now).
    #[arg(long, default_value_t = 5.0)]
    event_speed: f64,
    /// Share of damaged receipts, to show the dead letters (0 to 1).
    #[arg(long, default_value_t = 0.03)]
    malformed_fraction: f64,
    /// Micro-batch interval.
    #[arg(long, default_value = "1s", value_parser = duration_arg)]
    trigger: Duration,
    /// Rows shown per console table.
    #[arg(long, default_value_t = 20)]
    show: usize,
    /// Length of the tumbling event-time windows of the analytics shown (all seven: top stores,
    /// popular items, window summaries, bought-together pairs and store anomalies per window; big
    /// receipts over 5,000 and cashier alerts as they come), with 1 s allowed lateness.
    #[arg(long, default_value = "10s", value_parser = duration_arg)]
    window: Duration,
    /// Receipts without injected anomalies. With them (the default) the producer prints what it
    /// injects and when (as `retailflow produce --anomalies`): a revenue spike in window 15, a
    /// cashier burst from window 20, a store silent in windows 25 to 27, an association rule
    /// throughout; the stream prints an `ALERT` line as each is found (store anomalies at z 6).
    #[arg(long)]
    no_anomalies: bool,
    /// Show the parsed receipts of each batch instead of the windowed analytics.
    #[arg(long)]
    records: bool,
    /// Serve the live web dashboard of the stream here; if the port is taken, on a free one (the
    /// URL is printed). Loopback only unless another address is given.
    #[arg(long, value_name = "HOST:PORT", default_value = retailflow_dashboard::DEFAULT_ADDR)]
    dashboard: String,
    /// No dashboard.
    #[arg(long)]
    no_dashboard: bool,
}

fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

/// Runs `retailflow demo`. Each half has its own function and flattened arguments; the stream half
/// runs last because it runs until stopped.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.skip_batch {
        run_batch_half(args.rows, args.seed)?;
    }
    if args.skip_stream {
        return Ok(ExitCode::SUCCESS);
    }
    println!("== Stream: receipts through an in-process Kafka mock cluster ==");
    run_stream_half(&args.stream)
}

/// The batch half: a generated dirty sample in a temporary folder, cleaned with the story on stdout
/// and the charts in `plots/` beside it.
fn run_batch_half(rows: u64, seed: u64) -> anyhow::Result<()> {
    use std::io::Write as _;
    let folder = std::env::temp_dir().join(format!("retailflow-demo-{}", std::process::id()));
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let input = folder.join("sales.csv");
    let file = std::fs::File::create(&input)
        .with_context(|| format!("cannot create {}", input.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    retailflow_batch::generate::generate_csv(rows, seed, &mut writer)
        .context("cannot write the sample")?;
    writer.flush().context("cannot write the sample")?;
    drop(writer);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    writeln!(
        out,
        "== Batch: a generated sample of {rows} dirty sales rows ({}) ==",
        input.display()
    )?;
    let mut options = retailflow_batch::CleanOptions::new(&input);
    options.report = Some(folder.join("report.json"));
    options.plots = Some(folder.join("plots"));
    retailflow_batch::run_clean(&options, &mut out).context("the batch job failed")?;
    if let Some(page) = options.plots_page() {
        writeln!(out, "charts: {}", page.display())?;
    }
    out.flush()?;
    Ok(())
}

/// The stream half: mock cluster, producer and consumer, live batches on stdout.
fn run_stream_half(args: &StreamDemoArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.rate.is_finite() && args.rate > 0.0,
        "--rate must be above 0"
    );
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.malformed_fraction),
        "--malformed-fraction must be between 0 and 1"
    );
    anyhow::ensure!(!args.trigger.is_zero(), "--trigger must be above 0");
    let status = StatusLog::stderr();
    let shutdown = Shutdown::new();
    let _signals = SignalListener::install(shutdown.clone(), status.clone())
        .context("cannot listen for Ctrl-C")?;
    let mut environment = Environment {
        clock: Arc::new(SystemClock),
        shutdown,
        status: status.clone(),
        monitors: Default::default(),
    };
    let dashboard = if args.no_dashboard {
        None
    } else {
        let dashboard = Dashboard::start_or_any_port(
            &args.dashboard,
            "demo: receipts from the in-process Kafka mock cluster",
        )?;
        super::dashboard::announce(&dashboard, &status);
        environment.monitors = environment.monitors.with(dashboard.monitor());
        Some(dashboard)
    };
    let window = i64::try_from(args.window.as_millis())
        .ok()
        .filter(|&ms| ms > 0)
        .map(TimeSpan::from_millis)
        .context("--window must be above 0 and below 292 million years")?;
    anyhow::ensure!(
        args.event_speed.is_finite() && args.event_speed > 0.0,
        "--event-speed must be above 0"
    );
    let settings = DemoSettings {
        rate: args.rate,
        event_speed: args.event_speed,
        malformed_fraction: args.malformed_fraction,
        duration: args.duration,
        trigger: args.trigger,
        show_rows: args.show,
        analytics: if args.records {
            None
        } else {
            Some(DemoSettings::demo_analytics(window))
        },
        anomalies: (!args.no_anomalies).then(|| AnomalyLayout::for_window(window)),
        ..DemoSettings::default()
    };
    let summary = run_stream_demo(&settings, &environment)?;
    drop(dashboard);
    status.line(summary.describe());
    Ok(ExitCode::SUCCESS)
}
