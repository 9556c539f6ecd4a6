//! The produce loop behind `retailflow produce` and the demo: take messages from a generator, send
//! them to a target (a Kafka topic or a JSONL file) at a given rate or as fast as the target takes
//! them, until a count, a duration or a shutdown request; report progress on the status log; then
//! wait for every delivery and return the counts.

pub mod target;

use std::time::Duration;

use crate::dead_letter::ReasonCounts;
use crate::error::StreamError;
use crate::generate::{Expected, MessageGenerator};
use crate::kafka::DeliveryTally;
use crate::pipeline::Environment;
use crate::progress::{human_duration, rate, thousands};

pub use target::{FileTarget, KafkaTarget, MessageTarget};

/// While producing as fast as possible, clocks and the shutdown flag are read once per this many
/// messages.
const CHECK_EVERY: u32 = 64;

/// How much to produce and how fast.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducePlan {
    /// Messages per second; `None` sends as fast as the target takes them.
    pub rate: Option<f64>,
    /// Stop after this many messages.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// How often a progress line is printed.
    pub progress_every: Duration,
}

impl Default for ProducePlan {
    fn default() -> Self {
        Self {
            rate: None,
            count: None,
            duration: None,
            progress_every: Duration::from_secs(2),
        }
    }
}

/// What a produce run did.
#[derive(Debug, Clone, PartialEq)]
pub struct ProduceSummary {
    /// Delivery counts (a file counts a message delivered once it took the whole line).
    pub tally: DeliveryTally,
    /// How long it ran.
    pub elapsed: Duration,
    /// Good messages sent.
    pub valid: u64,
    /// Good messages with a pushed-back event time.
    pub late: u64,
    /// Damaged messages, by the dead-letter reason they must get.
    pub malformed: ReasonCounts,
    /// Whether a shutdown request stopped it before its count or duration.
    pub interrupted: bool,
}

impl ProduceSummary {
    /// Messages that were not delivered.
    pub fn undelivered(&self) -> u64 {
        self.tally.sent.saturating_sub(self.tally.delivered)
    }
}

/// Sends generated messages to `target` following `plan`.
pub fn produce(
    generator: &mut dyn MessageGenerator,
    target: &mut dyn MessageTarget,
    plan: &ProducePlan,
    environment: &Environment,
) -> Result<ProduceSummary, StreamError> {
    let clock = &environment.clock;
    let start = clock.now();
    let mut next_progress = start + plan.progress_every;
    let mut summary = ProduceSummary {
        tally: DeliveryTally::default(),
        elapsed: Duration::ZERO,
        valid: 0,
        late: 0,
        malformed: ReasonCounts::default(),
        interrupted: false,
    };
    let mut sent: u64 = 0;
    // Unpaced runs read the clocks and the shutdown flag once per `CHECK_EVERY` messages.
    let mut unchecked: u32 = 0;
    let mut wall_time = clock.wall_time();
    loop {
        if plan.count.is_some_and(|count| sent >= count) {
            break;
        }
        if unchecked == 0 || plan.rate.is_some() {
            if environment.shutdown.is_requested() {
                summary.interrupted = true;
                break;
            }
            let now = clock.now();
            let elapsed = now - start;
            if plan.duration.is_some_and(|duration| elapsed >= duration) {
                break;
            }
            if now >= next_progress {
                let tally = target.tally();
                environment.status.line(format!(
                    "produce: {} sent ({} msg/s), {} delivered, {} delivery errors",
                    thousands(sent),
                    rate(sent, elapsed),
                    thousands(tally.delivered),
                    thousands(tally.failed)
                ));
                next_progress += plan.progress_every;
            }
            if let Some(per_second) = plan.rate {
                let due = Duration::from_secs_f64(sent as f64 / per_second);
                if elapsed < due {
                    let mut wait = (due - elapsed).min(Duration::from_millis(100));
                    if let Some(duration) = plan.duration {
                        wait = wait.min(duration.saturating_sub(elapsed));
                    }
                    target.serve();
                    clock.sleep(wait, &environment.shutdown);
                    continue;
                }
            }
            wall_time = clock.wall_time();
            unchecked = CHECK_EVERY;
        }
        unchecked -= 1;
        let message = generator.next_message(wall_time);
        match message.expected {
            Expected::Valid => summary.valid += 1,
            Expected::Late => summary.late += 1,
            Expected::Malformed(kind) => summary.malformed.add(kind.reason()),
        }
        target.send(message.key, message.payload)?;
        sent += 1;
        if target.gone() {
            break;
        }
    }
    summary.tally = target.finish()?;
    summary.elapsed = clock.now() - start;
    environment.status.line(format!(
        "produce: done{}: {} sent in {} ({} msg/s) to {}, {} delivered, {} delivery errors",
        if summary.interrupted {
            " (stopped on request)"
        } else {
            ""
        },
        thousands(summary.tally.sent),
        human_duration(summary.elapsed),
        rate(summary.tally.sent, summary.elapsed),
        target.describe(),
        thousands(summary.tally.delivered),
        thousands(summary.undelivered()),
    ));
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use retailflow_eventtime::EventTime;

    use super::*;
    use crate::clock::ManualClock;
    use crate::generate::{EventClock, Faults, ReceiptGenerator, ValueGenerator};
    use crate::shutdown::Shutdown;
    use crate::status::StatusLog;

    fn environment(clock: Arc<ManualClock>) -> (Environment, crate::status::CapturedStatus) {
        let (status, captured) = StatusLog::captured();
        (
            Environment {
                clock,
                shutdown: Shutdown::new(),
                status,
                monitors: Default::default(),
            },
            captured,
        )
    }

    #[test]
    fn paced_values_follow_the_rate_on_a_manual_clock() {
        let clock = Arc::new(ManualClock::new(EventTime(0)));
        let (env, status) = environment(clock.clone());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("values.jsonl");
        let mut target = FileTarget::create(&path).unwrap();
        let plan = ProducePlan {
            rate: Some(2.0),
            duration: Some(Duration::from_secs(5)),
            ..ProducePlan::default()
        };
        let summary = produce(&mut ValueGenerator::new(1, 0.0), &mut target, &plan, &env).unwrap();
        // 2 per second for 5 seconds: messages due at 0, 0.5, ..., 4.5 s.
        assert_eq!(summary.tally.sent, 10);
        assert_eq!(summary.tally.delivered, 10);
        assert_eq!(clock.elapsed(), Duration::from_secs(5));
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 10);
        assert!(
            status.text().contains("produce: 4 sent"),
            "{}",
            status.text()
        );
        assert!(
            status
                .text()
                .contains("produce: done: 10 sent in 5s (2 msg/s)"),
            "{}",
            status.text()
        );
    }

    #[test]
    fn a_count_of_receipts_is_written_with_the_expected_damage() {
        let clock = Arc::new(ManualClock::new(EventTime(0)));
        let (env, _) = environment(clock);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipts.jsonl");
        let mut target = FileTarget::create(&path).unwrap();
        let faults = Faults {
            malformed_fraction: 0.1,
            late_fraction: 0.1,
            ..Faults::default()
        };
        let clock_spec = EventClock::Seeded {
            start: EventTime(0),
            events_per_second: 1000.0,
        };
        let mut generator = ReceiptGenerator::new(11, clock_spec, faults);
        let plan = ProducePlan {
            count: Some(1000),
            ..ProducePlan::default()
        };
        let summary = produce(&mut generator, &mut target, &plan, &env).unwrap();
        assert_eq!(summary.tally.sent, 1000);
        assert_eq!(
            summary.valid + summary.late + summary.malformed.total(),
            1000
        );
        assert!(
            summary.malformed.total() > 50 && summary.late > 50,
            "{summary:?}"
        );
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1000);
    }

    #[test]
    fn a_shutdown_request_stops_an_endless_run() {
        let clock = Arc::new(ManualClock::new(EventTime(0)));
        let (env, _) = environment(clock);
        env.shutdown.request();
        let dir = tempfile::tempdir().unwrap();
        let mut target = FileTarget::create(&dir.path().join("v.jsonl")).unwrap();
        let plan = ProducePlan {
            rate: Some(1.0),
            ..ProducePlan::default()
        };
        let summary = produce(&mut ValueGenerator::new(1, 0.0), &mut target, &plan, &env).unwrap();
        assert!(summary.interrupted);
        assert_eq!(summary.tally.sent, 0);
    }
}
