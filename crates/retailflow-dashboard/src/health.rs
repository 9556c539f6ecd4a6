//! The health strip's figures: the run's own counts as the pipeline reports them, plus what only
//! a watcher can work out — how far the watermark lags the wall clock, receipts per second over
//! the last 10 s, how old the last checkpoint is.

use std::collections::{BTreeMap, VecDeque};

use retailflow_eventtime::EventTime;
use retailflow_stream::Reason;
use retailflow_stream::monitor::RunHealth;
use retailflow_stream::timestamp::format_rfc3339;
use serde::Serialize;

/// The span receipts per second are measured over.
const RATE_SPAN_MS: i64 = 10_000;

/// The `health` object.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct HealthView {
    pub(crate) job: String,
    /// `starting` (nothing reported yet), `running` or `ended`.
    pub(crate) state: &'static str,
    pub(crate) source: Option<String>,
    pub(crate) received: u64,
    pub(crate) processed: u64,
    /// Dead letters by reason, reasons with none left out.
    pub(crate) dead_letters: BTreeMap<&'static str, u64>,
    pub(crate) dead_letters_total: u64,
    pub(crate) late: u64,
    pub(crate) watermark: Option<String>,
    pub(crate) watermark_lag_ms: Option<i64>,
    pub(crate) receipts_per_s: f64,
    pub(crate) batches: u64,
    pub(crate) partitions: Vec<PartitionView>,
    pub(crate) checkpoint: Option<CheckpointView>,
    pub(crate) updated: Option<String>,
    /// Updates the dashboard could not keep up with and left out (its figures then lag too).
    pub(crate) dropped_updates: u64,
}

impl Default for HealthView {
    fn default() -> Self {
        HealthView {
            job: String::new(),
            state: "starting",
            source: None,
            received: 0,
            processed: 0,
            dead_letters: BTreeMap::new(),
            dead_letters_total: 0,
            late: 0,
            watermark: None,
            watermark_lag_ms: None,
            receipts_per_s: 0.0,
            batches: 0,
            partitions: Vec::new(),
            checkpoint: None,
            updated: None,
            dropped_updates: 0,
        }
    }
}

impl HealthView {
    pub(crate) fn to_json(&self) -> String {
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "null".to_string())
    }
}

/// One partition of the source.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct PartitionView {
    pub(crate) partition: i32,
    pub(crate) watermark: Option<String>,
    pub(crate) idle: bool,
    pub(crate) lag: Option<i64>,
}

/// The last checkpoint.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct CheckpointView {
    pub(crate) age_ms: i64,
    pub(crate) last_duration_ms: u64,
}

/// Turns the pipeline's reports into [`HealthView`]s.
#[derive(Debug)]
pub(crate) struct HealthTracker {
    job: String,
    /// `(wall-clock ms, processed)` of the reports of the last [`RATE_SPAN_MS`].
    samples: VecDeque<(i64, u64)>,
}

impl HealthTracker {
    pub(crate) fn new(job: String) -> Self {
        HealthTracker {
            job,
            samples: VecDeque::new(),
        }
    }

    pub(crate) fn starting(&self) -> HealthView {
        HealthView {
            job: self.job.clone(),
            ..HealthView::default()
        }
    }

    pub(crate) fn view(&mut self, health: &RunHealth, dropped_updates: u64) -> HealthView {
        let now = health.at.millis();
        self.samples.push_back((now, health.processed));
        while self
            .samples
            .front()
            .is_some_and(|&(at, _)| now - at > RATE_SPAN_MS)
        {
            self.samples.pop_front();
        }
        let receipts_per_s = match self.samples.front() {
            Some(&(at, processed)) if now > at => {
                health.processed.saturating_sub(processed) as f64 * 1000.0 / (now - at) as f64
            }
            Some(_) | None => 0.0,
        };
        let time = |t: EventTime| format_rfc3339(t);
        HealthView {
            job: self.job.clone(),
            state: if health.ended { "ended" } else { "running" },
            source: Some(health.source.clone()),
            received: health.received,
            processed: health.processed,
            dead_letters: health
                .dead_letters
                .nonzero()
                .map(|(reason, count)| (reason.as_str(), count))
                .collect(),
            dead_letters_total: health.dead_letters.total(),
            late: health.dead_letters.get(Reason::Late),
            watermark: health.stage.watermark.map(time),
            watermark_lag_ms: health
                .stage
                .watermark
                .map(|watermark| (now - watermark.millis()).max(0)),
            receipts_per_s: (receipts_per_s * 10.0).round() / 10.0,
            batches: health.batches,
            partitions: health
                .stage
                .partitions
                .iter()
                .map(|partition| PartitionView {
                    partition: partition.partition,
                    watermark: partition.watermark.map(time),
                    idle: partition.idle,
                    lag: partition.lag,
                })
                .collect(),
            checkpoint: health.checkpoint.map(|checkpoint| CheckpointView {
                age_ms: (now - checkpoint.saved_at.millis()).max(0),
                last_duration_ms: checkpoint.took.as_millis() as u64,
            }),
            updated: Some(time(EventTime::from_millis(now))),
            dropped_updates,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use retailflow_eventtime::ProcessingTime;
    use retailflow_stream::ReasonCounts;
    use retailflow_stream::monitor::{CheckpointHealth, PartitionHealth, StageHealth};

    use super::*;

    fn report(at_ms: i64, processed: u64) -> RunHealth {
        let mut dead_letters = ReasonCounts::default();
        dead_letters.add(Reason::Late);
        dead_letters.add(Reason::Late);
        dead_letters.add(Reason::MalformedJson);
        RunHealth {
            source: "kafka:receipts".to_string(),
            at: ProcessingTime::from_millis(at_ms),
            ended: false,
            received: processed + 3,
            processed,
            dead_letters,
            batches: 4,
            stage: StageHealth {
                watermark: Some(EventTime::from_millis(at_ms - 2_500)),
                partitions: vec![PartitionHealth {
                    partition: 0,
                    watermark: None,
                    idle: true,
                    lag: Some(12),
                }],
            },
            checkpoint: Some(CheckpointHealth {
                saved_at: ProcessingTime::from_millis(at_ms - 800),
                took: Duration::from_millis(3),
            }),
        }
    }

    #[test]
    fn lag_rate_and_checkpoint_age_are_worked_out_from_the_reports() {
        let mut tracker = HealthTracker::new("job".to_string());
        let start = 1_764_750_000_000;
        tracker.view(&report(start, 0), 0);
        tracker.view(&report(start + 5_000, 50_000), 0);
        let view = tracker.view(&report(start + 12_000, 80_000), 2);
        // The first report is older than 10 s: the rate is over the last 7 s.
        assert_eq!(view.receipts_per_s, 4285.7);
        assert_eq!(view.watermark_lag_ms, Some(2_500));
        assert_eq!(view.late, 2);
        assert_eq!(view.dead_letters_total, 3);
        assert_eq!(
            view.checkpoint,
            Some(CheckpointView {
                age_ms: 800,
                last_duration_ms: 3
            })
        );
        let json: serde_json::Value = serde_json::from_str(&view.to_json()).unwrap();
        assert_eq!(
            json["dead_letters"],
            serde_json::json!({"late": 2, "malformed_json": 1})
        );
        assert_eq!(json["state"], "running");
        assert_eq!(json["dropped_updates"], 2);
        assert_eq!(json["partitions"][0]["lag"], 12);
        assert_eq!(json["partitions"][0]["watermark"], serde_json::Value::Null);
        assert_eq!(json["watermark"], "2025-12-03T08:20:09.500Z");
    }
}
