//! The engine: takes receipts with their partition and event time, keeps per-partition watermarks
//! and open-window state, rejects late records, and emits results in a deterministic order.
//!
//! # Semantics
//! - A record is first checked for what no window can take: an event time too far ahead of the
//!   clock, figures beyond the exact range, a repeated receipt id (see [`Engine::process`]). Such
//!   a record changes nothing but the counters.
//! - Every record is judged against the stream watermark as it stood **before** the record. It is
//!   **late** when every window it belongs to ends at or before that watermark: it is counted,
//!   left out of the windowed analyses, and [`Engine::process`] returns [`Late`] so the caller can
//!   dead-letter it. A record with some windows still open updates only the open ones (the closed
//!   ones are counted in [`Counters::closed_window_updates_skipped`]).
//! - After each record its partition's watermark is updated; if the stream watermark moves, every
//!   window whose end it has reached is emitted at once (final) and freed. Closing therefore
//!   depends only on the sequence of records, not on where micro-batches are cut; idle detection,
//!   the one thing that depends on processing time, happens only in [`Engine::on_trigger`].
//! - Big receipts are emitted by [`Engine::process`] as the record is processed, late or not.
//! - Output order: per record, its big receipt (if any) and then the windows it closed, in order of
//!   window end; per window, top stores, popular items by category name, then the summary. Two
//!   engines fed the same calls produce identical outputs.

use serde::{Deserialize, Serialize};

use crate::analyses::bought_together::distinct_items;
use crate::analyses::{Analyses, Record, WindowClose};
use crate::config::{EngineConfig, OutputMode};
use crate::dedupe::SeenReceipts;
use crate::error::ConfigError;
use crate::names::{ItemLine, Names};
use crate::output::Output;
use crate::receipt::{Receipt, receipt_totals};
use crate::refusal::{Duplicate, Future, Late, OutOfRange, Refusal};
use crate::state::{StateSize, WindowStore};
use crate::time::{EventTime, ProcessingTime};
use crate::watermark::{PartitionId, PartitionStatus, WatermarkTracker};
use crate::window::Windowing;

/// Running totals, for the per-batch line and the run summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Records passed to [`Engine::process`].
    pub received: u64,
    /// Records counted in at least one window.
    pub accepted: u64,
    /// Records rejected as late.
    pub late: u64,
    /// Records rejected for an event time too far ahead of the clock.
    #[serde(default)]
    pub future: u64,
    /// Records rejected as repeats of a receipt id already counted (`dedupe`).
    #[serde(default)]
    pub duplicates: u64,
    /// Records rejected because their figures or windows are beyond the exact range.
    #[serde(default)]
    pub out_of_range: u64,
    /// (record, window) pairs left out because that window had already closed while another
    /// window of the record was open (sliding windows only).
    pub closed_window_updates_skipped: u64,
    /// Big receipts reported (late ones included).
    pub big_receipts: u64,
    /// Windows closed and freed.
    pub windows_closed: u64,
    /// Final window results emitted.
    pub final_results: u64,
    /// Provisional window results emitted (update mode).
    pub provisional_results: u64,
    /// Calls to [`Engine::on_trigger`].
    pub triggers: u64,
    /// Accepted receipts with more distinct items than the bought-together basket limit (they
    /// add no pairs).
    #[serde(default)]
    pub large_baskets: u64,
    /// Big receipts already behind the watermark when they arrived, left out of the cashier
    /// alerts (they could not be put in event-time order).
    #[serde(default)]
    pub behind_watermark_for_alerts: u64,
    /// Store anomalies emitted.
    #[serde(default)]
    pub store_anomalies: u64,
    /// Cashier alerts emitted.
    #[serde(default)]
    pub cashier_alerts: u64,
}

/// The event-time engine. See the module docs for its semantics.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) windowing: Windowing,
    pub(crate) watermarks: WatermarkTracker,
    pub(crate) windows: WindowStore,
    pub(crate) names: Names,
    pub(crate) counters: Counters,
    /// Receipt ids within the watermark's horizon (`dedupe`).
    pub(crate) seen: SeenReceipts,
    /// Scratch for the current record's interned lines.
    pub(crate) lines: Vec<ItemLine>,
    /// Scratch for the current record's distinct items.
    pub(crate) basket: Vec<u32>,
    /// The analyses that run, with the state they keep across windows.
    pub(crate) analyses: Analyses,
}

impl Engine {
    /// A fresh engine: no partitions, no windows, watermark at the beginning of time.
    pub fn new(config: EngineConfig) -> Result<Self, ConfigError> {
        let windowing = config.validate()?;
        Ok(Engine {
            config,
            windowing,
            watermarks: WatermarkTracker::new(config.allowed_lateness, config.idle_timeout),
            windows: WindowStore::new(&windowing),
            names: Names::default(),
            counters: Counters::default(),
            seen: SeenReceipts::default(),
            lines: Vec::new(),
            basket: Vec::new(),
            analyses: Analyses::new(&config),
        })
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The stream watermark.
    pub fn watermark(&self) -> EventTime {
        self.watermarks.watermark()
    }

    /// Known partitions, by id, with their newest event time and idleness.
    pub fn partitions(&self) -> &[PartitionStatus] {
        self.watermarks.partitions()
    }

    /// Running totals.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Whether [`Engine::finish`] has run (every later record is late).
    pub fn is_finished(&self) -> bool {
        self.watermark() == EventTime::MAX
    }

    /// How much state is held.
    pub fn state_size(&self) -> StateSize {
        let (open_windows, panes, pane_keys) = self.windows.size();
        StateSize {
            open_windows,
            panes,
            interned_names: self.names.len(),
            partitions: self.watermarks.partitions().len(),
            receipt_ids: self.seen.len(),
            pane_keys,
            keyed: self.analyses.keys(),
        }
    }

    /// Declares the partitions this input reads (e.g. the Kafka assignment), so that one that has
    /// sent nothing yet holds the watermark back until it sends or is idle for the idle timeout
    /// counted from `now`. Already known partitions are unaffected.
    pub fn declare_partitions(
        &mut self,
        partitions: impl IntoIterator<Item = PartitionId>,
        now: ProcessingTime,
    ) {
        for partition in partitions {
            self.watermarks.declare(partition, now);
        }
    }

    /// The input resumed at `now` after a stop (e.g. restored from a checkpoint): partitions'
    /// idle clocks restart at `now`, so the time the job was down does not make any partition idle
    /// (which could let the watermark pass records still waiting in it).
    pub fn resume_activity(&mut self, now: ProcessingTime) {
        self.watermarks.resume_activity(now);
    }

    /// Forgets a partition that is no longer read (e.g. revoked). If that releases the watermark,
    /// the windows it closes are appended to `out`.
    pub fn remove_partition(&mut self, partition: PartitionId, out: &mut Vec<Output>) {
        if self.watermarks.remove(partition) {
            self.close_windows(out);
        }
    }

    /// Processes one receipt read from `partition` at processing time `now`, appending any results
    /// it causes to `out` (its big receipt, windows it closes). Returns a [`Refusal`] when the
    /// receipt was left out, checked in this order:
    /// - [`Future`]: its event time is more than `max_future` ahead of `now` (counted nowhere else,
    ///   and it does not move any watermark);
    /// - [`OutOfRange`]: its totals, or the totals of its window with it added, are beyond the
    ///   exact range, or its windows reach outside years 1 to 9999;
    /// - [`Duplicate`]: with `dedupe`, its receipt id was already counted and the watermark has not
    ///   passed that receipt's event time plus the allowed lateness;
    /// - [`Late`]: behind the watermark for every window it belongs to (still reported as big, and
    ///   its partition's activity still noted).
    #[inline]
    pub fn process(
        &mut self,
        partition: PartitionId,
        receipt: &Receipt,
        now: ProcessingTime,
        out: &mut Vec<Output>,
    ) -> Result<(), Refusal> {
        self.counters.received += 1;
        let event_time = receipt.ts;
        if let Some(max_future) = self.config.max_future {
            let clock = EventTime(now.millis());
            if event_time > clock.plus(max_future) {
                self.counters.future += 1;
                return Err(Future {
                    event_time,
                    now: clock,
                    max_future,
                }
                .into());
            }
        }
        let Some(totals) = receipt_totals(receipt) else {
            self.counters.out_of_range += 1;
            return Err(OutOfRange::ReceiptTotals.into());
        };
        let windows = self.windowing.windows_of(event_time);
        let last_window_end = windows.last().end;
        if windows.first().start < EventTime::EARLIEST || last_window_end > EventTime::LATEST {
            self.counters.out_of_range += 1;
            return Err(OutOfRange::Calendar { event_time }.into());
        }
        let watermark = self.watermarks.watermark();
        let late = last_window_end <= watermark;
        if self.config.dedupe
            && let Some(first_seen) = self.seen.first_seen(&receipt.receipt_id)
        {
            self.counters.duplicates += 1;
            return Err(Duplicate {
                receipt_id: receipt.receipt_id.clone(),
                first_seen,
            }
            .into());
        }
        let mut record = Record {
            receipt,
            totals,
            watermark,
            late,
            store: 0,
            lines: &[],
            basket: &[],
        };
        if !late {
            record.store = self.names.stores.intern(&receipt.store_id);
            self.lines.clear();
            for item in &receipt.items {
                self.lines
                    .push(self.names.line(&item.name, &item.category, item.quantity));
            }
            record.lines = &self.lines;
            if self.analyses.uses_basket() {
                distinct_items(self.lines.iter().map(|line| line.item), &mut self.basket);
                record.basket = &self.basket;
            }
            if !self.windows.try_add(&record, &self.analyses) {
                self.counters.out_of_range += 1;
                return Err(OutOfRange::WindowTotals {
                    pane_start: self.windows.pane_start(event_time),
                }
                .into());
            }
        }
        if self.config.dedupe {
            self.seen.insert(&receipt.receipt_id, event_time);
        }
        self.analyses.observe(&record, &mut self.counters, out);

        let verdict = if late {
            self.counters.late += 1;
            Err(Late {
                event_time,
                watermark,
                last_window_end,
            }
            .into())
        } else {
            self.counters.accepted += 1;
            if windows.first().end <= watermark {
                let closed = windows
                    .iter()
                    .filter(|window| window.end <= watermark)
                    .count();
                self.counters.closed_window_updates_skipped += closed as u64;
            }
            Ok(())
        };

        if self.watermarks.observe(partition, event_time, now) {
            self.close_windows(out);
        }
        verdict
    }

    /// The end of a micro-batch at processing time `now`: partitions silent for the idle timeout
    /// stop holding the watermark back (closing the windows that releases), and in update mode
    /// every open window that changed since the last trigger gets provisional results.
    pub fn on_trigger(&mut self, now: ProcessingTime, out: &mut Vec<Output>) {
        self.counters.triggers += 1;
        if self.watermarks.check_idle(now) {
            self.close_windows(out);
        }
        if self.config.output_mode == OutputMode::Update {
            let Engine {
                windowing,
                windows,
                names,
                counters,
                analyses,
                ..
            } = self;
            let slide = windowing.slide();
            windows.emit_changed(|window, pane| {
                let before = out.len();
                let close = WindowClose {
                    window,
                    totals: pane.totals,
                    names,
                    is_final: false,
                    slide,
                };
                analyses.emit(&close, &pane.parts, counters, out);
                counters.provisional_results += (out.len() - before) as u64;
            });
        }
    }

    /// The bounded input is over: the watermark moves to the end of time and every open window is
    /// emitted (final) and freed. Records processed afterwards are late.
    pub fn finish(&mut self, out: &mut Vec<Output>) {
        self.watermarks.finish();
        self.close_windows(out);
    }

    /// Emits and frees every window whose end the watermark has reached, earliest first, then
    /// tells the analyses where the watermark is, and forgets the receipt ids it has passed.
    fn close_windows(&mut self, out: &mut Vec<Output>) {
        let watermark = self.watermarks.watermark();
        self.seen
            .forget_before(watermark.minus(self.config.allowed_lateness));
        let Engine {
            windowing,
            windows,
            names,
            counters,
            analyses,
            ..
        } = self;
        let slide = windowing.slide();
        windows.close(watermark, |window, pane| {
            counters.windows_closed += 1;
            let before = out.len();
            let close = WindowClose {
                window,
                totals: pane.totals,
                names,
                is_final: true,
                slide,
            };
            analyses.emit(&close, &pane.parts, counters, out);
            counters.final_results += (out.len() - before) as u64;
        });
        analyses.advance(watermark, counters, out);
    }
}
