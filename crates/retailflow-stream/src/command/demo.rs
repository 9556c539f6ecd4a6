//! The streaming half of `retailflow demo`: an in-process Kafka mock cluster, a receipts producer
//! on its own thread (wall-clock event times, a little damage so the dead letters show), and the
//! stream consumer printing live batches on the main thread — until the shared shutdown flag is
//! set (Ctrl-C, or the demo's duration).

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use retailflow_eventtime::{EngineConfig, TimeSpan};

use crate::analytics::run_analytics;
use crate::command::produce::{ProduceMode, ProduceSettings, run_produce};
use crate::command::stream::{StreamFormat, StreamSettings, run_stream};
use crate::dead_letter_sink::DeadLetterSpec;
use crate::error::StreamError;
use crate::generate::{EventClock, Faults};
use crate::kafka::MockKafka;
use crate::output::OutputSpec;
use crate::pipeline::{Environment, PipelineConfig, RunSummary};
use crate::produce::{ProducePlan, ProduceSummary};
use crate::source::{SourceSpec, StartFrom};

/// The topic receipts go to in the demo.
pub const DEMO_TOPIC: &str = "receipts";
/// The demo's dead-letter topic.
pub const DEMO_DLQ_TOPIC: &str = "receipts-dlq";
/// Partitions of the demo topic.
pub const DEMO_PARTITIONS: i32 = 3;

/// Settings of the streaming demo.
#[derive(Debug, Clone)]
pub struct DemoSettings {
    /// Receipts per second.
    pub rate: f64,
    /// Share of damaged receipts.
    pub malformed_fraction: f64,
    /// Stop after this long (else at Ctrl-C).
    pub duration: Option<Duration>,
    /// The micro-batch interval.
    pub trigger: Duration,
    /// Rows shown per table.
    pub show_rows: usize,
    /// The generator's seed.
    pub seed: u64,
    /// The windowed analytics to show; `None` shows the parsed records instead.
    pub analytics: Option<EngineConfig>,
}

impl Default for DemoSettings {
    fn default() -> Self {
        Self {
            rate: 20.0,
            malformed_fraction: 0.03,
            duration: None,
            trigger: Duration::from_secs(1),
            show_rows: 20,
            seed: 42,
            analytics: Some(Self::demo_analytics(TimeSpan::from_secs(5))),
        }
    }
}

impl DemoSettings {
    /// Analytics that show results within seconds: `window` tumbling windows, 1 s allowed
    /// lateness (the demo's receipts carry wall-clock times, so they arrive nearly in order).
    pub fn demo_analytics(window: TimeSpan) -> EngineConfig {
        EngineConfig {
            window_length: window,
            window_slide: window,
            allowed_lateness: TimeSpan::from_secs(1),
            ..EngineConfig::default()
        }
    }
}

/// What the demo did: the producer's and the consumer's counts.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// The producer.
    pub produced: ProduceSummary,
    /// The consumer.
    pub streamed: RunSummary,
}

/// Runs the streaming demo until `environment.shutdown` is requested or the duration passes.
pub fn run_stream_demo(
    settings: &DemoSettings,
    environment: &Environment,
) -> Result<DemoSummary, StreamError> {
    let cluster = MockKafka::start(1)?;
    cluster.create_topic(DEMO_TOPIC, DEMO_PARTITIONS)?;
    cluster.create_topic(DEMO_DLQ_TOPIC, 1)?;
    let brokers = cluster.bootstrap_servers();
    environment.status.line(format!(
        "demo: Kafka mock cluster at {brokers} with topics {DEMO_TOPIC} ({DEMO_PARTITIONS} partitions) and {DEMO_DLQ_TOPIC}; {} receipts/s, {}% damaged; the consumer joins its group (about 3 s), then prints a batch per trigger; {}",
        settings.rate,
        settings.malformed_fraction * 100.0,
        match settings.duration {
            Some(d) => format!("stopping after {}", crate::progress::human_duration(d)),
            None => "press Ctrl-C to stop".to_string(),
        }
    ));

    let produce_settings = ProduceSettings {
        brokers: brokers.clone(),
        topic: DEMO_TOPIC.to_string(),
        mode: ProduceMode::Receipts,
        seed: settings.seed,
        event_clock: EventClock::Wall,
        faults: Faults {
            late_fraction: 0.0,
            late_by: TimeSpan::from_secs(30),
            malformed_fraction: settings.malformed_fraction,
        },
        plan: ProducePlan {
            rate: Some(settings.rate),
            progress_every: Duration::from_secs(3600),
            ..ProducePlan::default()
        },
        out: None,
        delivery_timeout: Duration::from_secs(10),
    };
    let stream_settings = StreamSettings {
        source: SourceSpec::Kafka,
        brokers,
        topic: DEMO_TOPIC.to_string(),
        group: "retailflow-demo".to_string(),
        start: StartFrom::Earliest,
        until_end: false,
        format: StreamFormat::Receipts,
        dead_letters: Some(DeadLetterSpec::Topic(DEMO_DLQ_TOPIC.to_string())),
        output: OutputSpec::Console,
        show_rows: settings.show_rows,
        pipeline: PipelineConfig {
            trigger: settings.trigger,
            ..PipelineConfig::default()
        },
        checkpoint: None,
        rules: Default::default(),
    };

    thread::scope(|scope| {
        let producer_environment = environment.clone();
        let producer = scope.spawn(move || run_produce(&produce_settings, &producer_environment));
        if let Some(duration) = settings.duration {
            let timer: Arc<dyn crate::clock::Clock> = environment.clock.clone();
            let shutdown = environment.shutdown.clone();
            scope.spawn(move || {
                if !timer.sleep(duration, &shutdown) {
                    shutdown.request();
                }
            });
        }
        let streamed = match settings.analytics {
            Some(config) => run_analytics(&stream_settings, config, environment),
            None => run_stream(&stream_settings, environment),
        };
        // However the stream ended, the producer and the timer stop with it.
        environment.shutdown.request();
        let produced = producer.join().map_err(|_| StreamError::MockCluster {
            operation: "run the demo producer".to_string(),
            source: rdkafka::error::KafkaError::Canceled,
        })??;
        Ok(DemoSummary {
            produced,
            streamed: streamed?,
        })
    })
}
