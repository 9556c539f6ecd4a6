//! Per-window latency receipts for `retailflow stream --latency-log PATH`: for every window that
//! closes, when the batch holding the record that closed it was received, when the watermark passed
//! the window's end (the engine emitted its final results), and when those results had been written
//! and flushed by the output.
//!
//! The event-time engine has no clock, so the times are taken at its edge: the analytics stage
//! holds a [`LatencyRecorder`] with the pipeline's [`Clock`] and notes each window as the engine
//! closes it; a [`LatencyLogSink`], placed after the real output in the pipeline's sinks (which are
//! written in order), stamps the windows of the batch as written and appends one JSON line each:
//!
//! ```text
//! {"window_start":T,"window_end":T,"received_at_ms":n,"watermark_passed_at_ms":n,"written_at_ms":n}
//! ```
//!
//! `T` is RFC 3339 UTC as in the results; the `_ms` values are wall-clock milliseconds since the
//! epoch. `bench/stream.sh latency` reports `written_at_ms - watermark_passed_at_ms`.

use std::collections::VecDeque;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use retailflow_eventtime::{EventTime, Output, ProcessingTime};

use crate::clock::Clock;
use crate::error::StreamError;
use crate::output::{ResultSet, Sink};

/// One closed window, waiting for its results to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedWindow {
    /// Window start.
    pub window_start: EventTime,
    /// Window end.
    pub window_end: EventTime,
    /// Wall time at which the batch holding the closing record was received (its processing time).
    pub received_at: EventTime,
    /// Wall time at which the engine emitted the window's final results.
    pub watermark_passed_at: EventTime,
}

/// Windows closed and not yet written, shared by the recorder and the sink.
type Closed = Arc<Mutex<VecDeque<ClosedWindow>>>;

/// Notes when windows close; held by the analytics stage.
#[derive(Debug)]
pub struct LatencyRecorder {
    clock: Arc<dyn Clock>,
    received_at: EventTime,
    closed: Closed,
}

impl LatencyRecorder {
    /// A recorder reading `clock`, and the sink that writes what it notes to `out` (named `what` in
    /// error messages). Put the sink after the output sink.
    pub fn new(
        clock: Arc<dyn Clock>,
        out: Box<dyn Write + Send>,
        what: impl Into<String>,
    ) -> (Self, LatencyLogSink) {
        let closed = Closed::default();
        let sink = LatencyLogSink {
            clock: clock.clone(),
            closed: closed.clone(),
            out,
            what: what.into(),
            line: Vec::with_capacity(256),
        };
        let recorder = Self {
            clock,
            received_at: EventTime(0),
            closed,
        };
        (recorder, sink)
    }

    /// A recorder and its sink writing to the file at `path` (replaced).
    pub fn to_file(
        clock: Arc<dyn Clock>,
        path: &Path,
    ) -> Result<(Self, LatencyLogSink), StreamError> {
        let file = std::fs::File::create(path).map_err(|source| StreamError::CreateOutput {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self::new(
            clock,
            Box::new(BufWriter::new(file)),
            path.display().to_string(),
        ))
    }

    /// A batch was received at `processing_time`: the records that follow arrived then.
    pub fn batch_received(&mut self, processing_time: ProcessingTime) {
        self.received_at = EventTime(processing_time.millis());
    }

    /// The engine appended `emitted` to its outputs: notes every window among them that closed
    /// (its final summary, the last result of a window), stamped with the clock now.
    pub fn windows_emitted(&mut self, emitted: &[Output]) {
        let mut now = None;
        for output in emitted {
            if let Output::WindowSummary(summary) = output
                && summary.is_final
            {
                let watermark_passed_at = *now.get_or_insert_with(|| self.clock.wall_time());
                self.closed
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push_back(ClosedWindow {
                        window_start: summary.window_start,
                        window_end: summary.window_end,
                        received_at: self.received_at,
                        watermark_passed_at,
                    });
            }
        }
    }
}

/// Writes one line per closed window once the sinks before it have written the batch.
pub struct LatencyLogSink {
    clock: Arc<dyn Clock>,
    closed: Closed,
    out: Box<dyn Write + Send>,
    what: String,
    line: Vec<u8>,
}

impl std::fmt::Debug for LatencyLogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatencyLogSink")
            .field("what", &self.what)
            .finish()
    }
}

impl LatencyLogSink {
    fn write_line(&mut self, window: &ClosedWindow, written_at: EventTime) -> std::io::Result<()> {
        use std::io::Write as _;
        self.line.clear();
        write!(
            self.line,
            "{{\"window_start\":\"{}\",\"window_end\":\"{}\",\"received_at_ms\":{},\"watermark_passed_at_ms\":{},\"written_at_ms\":{}}}",
            window.window_start,
            window.window_end,
            window.received_at.millis(),
            window.watermark_passed_at.millis(),
            written_at.millis()
        )?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }
}

impl Sink for LatencyLogSink {
    fn write_batch(
        &mut self,
        _batch_id: u64,
        _results: &[Box<dyn ResultSet>],
    ) -> Result<(), StreamError> {
        let closed: Vec<ClosedWindow> = self
            .closed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .drain(..)
            .collect();
        if closed.is_empty() {
            return Ok(());
        }
        let written_at = self.clock.wall_time();
        for window in &closed {
            self.write_line(window, written_at)
                .map_err(|e| StreamError::write(self.what.clone(), e))?;
        }
        self.out
            .flush()
            .map_err(|e| StreamError::write(self.what.clone(), e))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use retailflow_eventtime::{EngineConfig, LineItem, Receipt, TimeSpan};

    use super::*;
    use crate::analytics::AnalyticsStage;
    use crate::clock::ManualClock;
    use crate::message::{MessageMeta, Positions};
    use crate::stage::{BatchContext, Stage};

    /// A writer whose bytes the test can read.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn receipt(id: &str, ts: i64) -> Receipt {
        Receipt {
            receipt_id: id.into(),
            store_id: "S001".into(),
            cashier_id: "S001-C1".into(),
            ts: EventTime(ts),
            items: vec![LineItem {
                name: "Item_1_BEV".into(),
                category: "Beverages".into(),
                price: 5.0,
                quantity: 1,
            }],
        }
    }

    fn meta(offset: i64) -> MessageMeta {
        MessageMeta {
            partition: 0,
            offset,
            timestamp: None,
            size: 100,
        }
    }

    /// 10 s tumbling windows, 1 s allowed lateness; events in 2025.
    const T0: i64 = 1_735_689_600_000;

    #[test]
    fn each_closed_window_is_logged_with_its_receive_close_and_write_times() {
        let clock = Arc::new(ManualClock::new(EventTime(1_800_000_000_000)));
        let out = Shared::default();
        let (recorder, mut sink) =
            LatencyRecorder::new(clock.clone(), Box::new(out.clone()), "log");
        let config = EngineConfig {
            window_length: TimeSpan::from_secs(10),
            window_slide: TimeSpan::from_secs(10),
            allowed_lateness: TimeSpan::from_secs(1),
            ..EngineConfig::default()
        };
        let mut stage = AnalyticsStage::new(config)
            .unwrap()
            .with_latency_recorder(recorder);
        let positions = Positions::new();
        let now = |clock: &ManualClock| ProcessingTime::from_millis(clock.wall_time().millis());
        stage.on_partitions(&[0], now(&clock));

        // Batch 0, received at +0: windows [T0, T0+10s) and [T0+10s, T0+20s) get data; nothing
        // closes (watermark T0+9.5s).
        stage.begin_batch(now(&clock));
        stage
            .on_record(&meta(0), receipt("R1", T0 + 1_000))
            .unwrap();
        stage
            .on_record(&meta(1), receipt("R2", T0 + 10_500))
            .unwrap();
        clock.advance(Duration::from_millis(3));
        let context = BatchContext {
            batch_id: 0,
            processing_time: now(&clock),
            positions: &positions,
        };
        let results = stage.end_batch(&context);
        sink.write_batch(0, &results).unwrap();
        assert!(out.0.lock().unwrap().is_empty());

        // Batch 1, received at +10 ms: the record at T0+16.5s, 2 ms later, moves the watermark to
        // T0+15.5s and closes the first window; its results are written 5 ms after that.
        clock.advance(Duration::from_millis(7));
        stage.begin_batch(now(&clock));
        clock.advance(Duration::from_millis(2));
        stage
            .on_record(&meta(2), receipt("R3", T0 + 16_500))
            .unwrap();
        clock.advance(Duration::from_millis(1));
        let context = BatchContext {
            batch_id: 1,
            processing_time: now(&clock),
            positions: &positions,
        };
        let results = stage.end_batch(&context);
        assert_eq!(results.iter().map(|r| r.row_count()).sum::<usize>(), 3);
        clock.advance(Duration::from_millis(4));
        sink.write_batch(1, &results).unwrap();

        // End of input 20 ms later: the second window closes at the end of time.
        clock.advance(Duration::from_millis(20));
        let context = BatchContext {
            batch_id: 2,
            processing_time: now(&clock),
            positions: &positions,
        };
        stage.begin_batch(now(&clock));
        let mut results = stage.end_batch(&context);
        results.extend(stage.end_input(&context));
        clock.advance(Duration::from_millis(1));
        sink.write_batch(2, &results).unwrap();

        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let base = 1_800_000_000_000_i64;
        assert_eq!(
            text,
            format!(
                "{{\"window_start\":\"2025-01-01T00:00:00.000Z\",\"window_end\":\"2025-01-01T00:00:10.000Z\",\"received_at_ms\":{},\"watermark_passed_at_ms\":{},\"written_at_ms\":{}}}\n\
                 {{\"window_start\":\"2025-01-01T00:00:10.000Z\",\"window_end\":\"2025-01-01T00:00:20.000Z\",\"received_at_ms\":{},\"watermark_passed_at_ms\":{},\"written_at_ms\":{}}}\n",
                base + 10,
                base + 12,
                base + 17,
                base + 37,
                base + 37,
                base + 38,
            )
        );
        assert_eq!(stage.engine().watermark(), EventTime::MAX);
    }
}
