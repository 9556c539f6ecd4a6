//! `retailflow dashboard --from kafka:TOPIC`, and the `--dashboard [ADDR]` of `stream` and `demo`:
//! starting the live page and saying where it is.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use retailflow_dashboard::{DEFAULT_ADDR, Dashboard, from_topic};
use retailflow_stream::Environment;
use retailflow_stream::clock::SystemClock;
use retailflow_stream::shutdown::Shutdown;
use retailflow_stream::signals::SignalListener;
use retailflow_stream::status::StatusLog;

/// What `--dashboard` says in `--help`.
pub const DASHBOARD_HELP: &str = "Serve a live web dashboard of the run at ADDR (default 127.0.0.1:8080, \
     loopback only): the analyses' results beside the job's health, updated every batch. Binding \
     another address (e.g. 0.0.0.0:8080) makes it reachable from other machines, without \
     authentication: that is your choice to make. With a bounded input it stays up after the end \
     until Ctrl-C";

/// Arguments of `retailflow dashboard`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The results to show: `kafka:TOPIC`, a topic that `retailflow stream --output kafka:TOPIC`
    /// writes (read committed, so only committed results show).
    #[arg(long, value_name = "kafka:TOPIC", value_parser = topic_arg)]
    from: String,
    /// Kafka bootstrap servers, HOST:PORT[,HOST:PORT...].
    #[arg(long, default_value = "localhost:9092")]
    brokers: String,
    /// Where to serve the page. The default is loopback only; another address (e.g. 0.0.0.0:8080)
    /// makes it reachable from other machines, without authentication.
    #[arg(long, default_value = DEFAULT_ADDR, value_name = "HOST:PORT")]
    bind: String,
    /// Results read back from the end of each partition at the start, so the page is full at once.
    #[arg(long, default_value_t = 1000)]
    history: i64,
}

fn topic_arg(text: &str) -> Result<String, String> {
    match text.strip_prefix("kafka:") {
        Some(topic) if !topic.is_empty() => Ok(topic.to_string()),
        Some(_) | None => Err(format!(
            "`{text}`: expected kafka:TOPIC, the topic a `--output kafka:TOPIC` run writes"
        )),
    }
}

/// Starts the dashboard for `job` on `addr` and says where it is.
pub fn start(addr: &str, job: &str, status: &StatusLog) -> anyhow::Result<Dashboard> {
    let dashboard = Dashboard::start(addr, job)?;
    announce(&dashboard, status);
    Ok(dashboard)
}

/// Says where the dashboard is.
pub fn announce(dashboard: &Dashboard, status: &StatusLog) {
    status.line(format!(
        "dashboard: {} ({})",
        dashboard.url(),
        if dashboard.address().ip().is_loopback() {
            "this machine only"
        } else {
            "reachable from other machines"
        }
    ));
}

/// After a bounded input: keeps the dashboard up until Ctrl-C, unless that already came.
pub fn keep_serving(dashboard: &Dashboard, environment: &Environment) {
    if environment.shutdown.is_requested() {
        return;
    }
    environment.status.line(format!(
        "dashboard: the run has ended; {} still shows its results — Ctrl-C to stop",
        dashboard.url()
    ));
    while !environment
        .clock
        .sleep(std::time::Duration::from_secs(3600), &environment.shutdown)
    {}
}

/// Runs `retailflow dashboard`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let status = StatusLog::stderr();
    let shutdown = Shutdown::new();
    let _signals = SignalListener::install(shutdown.clone(), status.clone())
        .context("cannot listen for Ctrl-C")?;
    let environment = Environment {
        clock: Arc::new(SystemClock),
        shutdown,
        status,
        monitors: Default::default(),
    };
    let dashboard = Dashboard::start(
        &args.bind,
        format!("results of kafka topic {} at {}", args.from, args.brokers),
    )?;
    // The page is announced once its results can be read.
    let reader = from_topic::TopicReader::connect(&from_topic::TopicSettings {
        brokers: args.brokers,
        topic: args.from,
        history: args.history,
    })?;
    announce(&dashboard, &environment.status);
    reader.run(&dashboard, &environment)?;
    Ok(ExitCode::SUCCESS)
}
