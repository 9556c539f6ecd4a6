//! The streaming half of `retailflow demo`: an in-process Kafka mock cluster, a receipts producer
//! on its own thread (wall-clock event times, a little damage so the dead letters show), and the
//! stream consumer printing live batches on the main thread. Ctrl-C (or the demo's duration) stops
//! the producer; the stream then reads on to the last receipt it sent, closes its windows and ends.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use retailflow_eventtime::{
    AnalysisSet, AnomalySettings, EngineConfig, EventTime, Money, TimeSpan,
};

use crate::analytics::run_analytics;
use crate::command::produce::{ProduceMode, ProduceSettings, run_produce};
use crate::command::stream::{StreamFormat, StreamSettings, run_stream};
use crate::dead_letter_sink::DeadLetterSpec;
use crate::error::StreamError;
use crate::generate::{AnomalyLayout, EventClock, Faults};
use crate::kafka::MockKafka;
use crate::output::OutputSpec;
use crate::pipeline::{Environment, PipelineConfig, RunSummary};
use crate::produce::{ProducePlan, ProduceSummary};
use crate::shutdown::Shutdown;
use crate::source::{SourceSpec, StartFrom};

/// The topic receipts go to in the demo.
pub const DEMO_TOPIC: &str = "receipts";
/// The demo's dead-letter topic.
pub const DEMO_DLQ_TOPIC: &str = "receipts-dlq";
/// Partitions of the demo topic.
pub const DEMO_PARTITIONS: i32 = 3;
/// How long the stream may take, once the producer stopped, to read what it sent.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// Settings of the streaming demo.
#[derive(Debug, Clone)]
pub struct DemoSettings {
    /// Receipts per second of wall-clock time.
    pub rate: f64,
    /// How many times faster than the wall clock event time runs (receipts are stamped from a
    /// seeded clock that starts now), so that windows close every few seconds.
    pub event_speed: f64,
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
    /// Anomalies injected into the receipts, for the alerts to find.
    pub anomalies: Option<AnomalyLayout>,
}

impl Default for DemoSettings {
    fn default() -> Self {
        Self {
            rate: 1000.0,
            event_speed: 5.0,
            malformed_fraction: 0.03,
            duration: None,
            trigger: Duration::from_secs(1),
            show_rows: 20,
            seed: 42,
            analytics: Some(Self::demo_analytics(TimeSpan::from_secs(10))),
            anomalies: Some(AnomalyLayout::for_window(TimeSpan::from_secs(10))),
        }
    }
}

impl DemoSettings {
    /// Analytics that show results within seconds: all seven analyses over `window` tumbling
    /// windows, 1 s allowed lateness (receipts come nearly in order), store anomalies at z 6
    /// rather than 4 (the demo's small stores have only a few dozen receipts a window, whose
    /// heavy-tailed totals make z 4 alert now and then on ordinary noise), and big receipts over
    /// 5,000.00, which no ordinary receipt reaches, so a cashier alert means the injected burst.
    pub fn demo_analytics(window: TimeSpan) -> EngineConfig {
        let defaults = EngineConfig::default();
        EngineConfig {
            window_length: window,
            window_slide: window,
            allowed_lateness: TimeSpan::from_secs(1),
            big_receipt_threshold: Money::from_hundredths(500_000),
            analyses: AnalysisSet::ALL,
            anomalies: AnomalySettings {
                z: 6.0,
                ..defaults.anomalies
            },
            ..defaults
        }
    }
}

/// Where the demo's event time starts: the start of the first window after `now`, so that every
/// window is whole and the first one does not make the store histories think revenue ramps up.
fn first_window_start(settings: &DemoSettings, now: EventTime) -> EventTime {
    let length = settings
        .analytics
        .map_or(1000, |config| config.window_length.millis())
        .max(1);
    EventTime::from_millis(
        now.millis()
            .div_euclid(length)
            .saturating_add(1)
            .saturating_mul(length),
    )
}

/// What the demo did: the producer's and the consumer's counts.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// The producer.
    pub produced: ProduceSummary,
    /// The consumer.
    pub streamed: RunSummary,
}

impl DemoSummary {
    /// Receipts the broker took that the stream never read: none once the stream drained the topic,
    /// but a drain cut short (a second Ctrl-C, or [`DRAIN_LIMIT`]) leaves the rest in the topic.
    fn unread(&self) -> u64 {
        self.produced
            .tally
            .delivered
            .saturating_sub(self.streamed.messages)
    }

    /// The closing line: what was produced, what the stream made of it, and what it left unread.
    pub fn describe(&self) -> String {
        let mut line = format!(
            "demo: produced {} receipts ({} damaged: {}); the stream read {}, processed {} and \
             dead-lettered {} ({})",
            self.produced.tally.sent,
            self.produced.malformed.total(),
            self.produced.malformed,
            self.streamed.messages,
            self.streamed.processed,
            self.streamed.dead_lettered.total(),
            self.streamed.dead_lettered,
        );
        match self.unread() {
            0 => {}
            1 => line.push_str("; 1 receipt sent after its last batch was left in the topic"),
            unread => line.push_str(&format!(
                "; {unread} receipts sent after its last batch were left in the topic"
            )),
        }
        line
    }
}

/// Runs the streaming demo until `environment.shutdown` is requested or the duration passes, and
/// then until the stream has read what the producer sent.
pub fn run_stream_demo(
    settings: &DemoSettings,
    environment: &Environment,
) -> Result<DemoSummary, StreamError> {
    let cluster = MockKafka::start(1)?;
    cluster.create_topic(DEMO_TOPIC, DEMO_PARTITIONS)?;
    cluster.create_topic(DEMO_DLQ_TOPIC, 1)?;
    let brokers = cluster.bootstrap_servers();
    environment.status.line(format!(
        "demo: Kafka mock cluster at {brokers} with topics {DEMO_TOPIC} ({DEMO_PARTITIONS} partitions) and {DEMO_DLQ_TOPIC}; {} receipts/s, {}% damaged, event time {}x the wall clock; the consumer joins its group (about 3 s), then prints a batch per trigger; {}",
        settings.rate,
        settings.malformed_fraction * 100.0,
        settings.event_speed,
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
        event_clock: EventClock::Seeded {
            start: first_window_start(settings, environment.clock.wall_time()),
            events_per_second: settings.rate / settings.event_speed,
        },
        faults: Faults {
            late_fraction: 0.0,
            late_by: TimeSpan::from_secs(30),
            malformed_fraction: settings.malformed_fraction,
            anomalies: settings.anomalies,
        },
        plan: ProducePlan {
            rate: Some(settings.rate),
            progress_every: Duration::from_secs(3600),
            ..ProducePlan::default()
        },
        out: None,
        delivery_timeout: Duration::from_secs(10),
    };
    let drained = Shutdown::new();
    let stream_settings = StreamSettings {
        source: SourceSpec::Kafka,
        brokers,
        topic: DEMO_TOPIC.to_string(),
        group: "retailflow-demo".to_string(),
        start: StartFrom::Earliest,
        until_end: false,
        drain: Some(drained.clone()),
        format: StreamFormat::Receipts,
        dead_letters: Some(DeadLetterSpec::Topic(DEMO_DLQ_TOPIC.to_string())),
        outputs: vec![OutputSpec::Console],
        show_rows: settings.show_rows,
        pipeline: PipelineConfig {
            trigger: settings.trigger,
            ..PipelineConfig::default()
        },
        checkpoint: None,
        rules: Default::default(),
    };

    // The stream runs until it has read everything the producer delivered: once the producer stops
    // (Ctrl-C, or the duration), the stream is asked to drain, and ends at the end offsets it sees
    // then. Its own stop flag is set only if the drain takes too long (or, at once, by a second
    // Ctrl-C, which ends the process).
    let stream_environment = Environment {
        shutdown: Shutdown::new(),
        ..environment.clone()
    };
    let stream_done = Shutdown::new();
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
        let drainer = {
            let (status, stream_stop, stream_done) = (
                environment.status.clone(),
                stream_environment.shutdown.clone(),
                stream_done.clone(),
            );
            scope.spawn(move || {
                let produced = producer.join();
                if let Ok(Ok(summary)) = &produced {
                    status.line(format!(
                        "demo: the producer stopped after {} receipts; the stream reads on to the \
                         last of them",
                        summary.tally.delivered
                    ));
                }
                drained.request();
                if !stream_done.wait_timeout(DRAIN_LIMIT) {
                    status.line(format!(
                        "demo: the stream did not reach the producer's last receipt within {}; \
                         stopping it",
                        crate::progress::human_duration(DRAIN_LIMIT)
                    ));
                    stream_stop.request();
                }
                produced
            })
        };
        let streamed = match settings.analytics {
            Some(config) => run_analytics(&stream_settings, config, &stream_environment),
            None => run_stream(&stream_settings, &stream_environment),
        };
        // However the stream ended, the producer, the timer and the drain stop with it.
        environment.shutdown.request();
        stream_done.request();
        let produced = drainer.join().ok().and_then(Result::ok).ok_or_else(|| {
            StreamError::MockCluster {
                operation: "run the demo producer".to_string(),
                cause: rdkafka::error::KafkaError::Canceled,
            }
        })??;
        Ok(DemoSummary {
            produced,
            streamed: streamed?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dead_letter::ReasonCounts;
    use crate::kafka::DeliveryTally;
    use crate::pipeline::RunEnd;

    fn summary(delivered: u64, read: u64) -> DemoSummary {
        let mut malformed = ReasonCounts::default();
        malformed.add(retailflow_receipts::Reason::Schema);
        DemoSummary {
            produced: ProduceSummary {
                tally: DeliveryTally {
                    sent: delivered,
                    delivered,
                    failed: 0,
                    first_failure: None,
                },
                elapsed: Duration::from_secs(5),
                valid: delivered - 1,
                late: 0,
                malformed,
                interrupted: true,
            },
            streamed: RunSummary {
                batches: 3,
                messages: read,
                processed: read - 1,
                dead_lettered: malformed,
                end: RunEnd::Shutdown,
            },
        }
    }

    #[test]
    fn the_closing_line_names_the_receipts_left_unread() {
        assert_eq!(
            summary(120, 100).describe(),
            "demo: produced 120 receipts (1 damaged: schema 1); the stream read 100, processed 99 \
             and dead-lettered 1 (schema 1); 20 receipts sent after its last batch were left in \
             the topic"
        );
        assert_eq!(summary(101, 100).unread(), 1);
        assert!(
            summary(101, 100)
                .describe()
                .ends_with("; 1 receipt sent after its last batch was left in the topic")
        );
        assert_eq!(summary(100, 100).unread(), 0);
        assert!(
            summary(100, 100)
                .describe()
                .ends_with("dead-lettered 1 (schema 1)")
        );
    }
}
