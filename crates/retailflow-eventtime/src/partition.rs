//! Stage one of the engine: one source partition's records, judged against that partition's own
//! watermark (the largest event time it has sent, less the allowed lateness), added to that
//! partition's open windows, and handed on as [`StageEvent`]s: per-record results and notes as
//! they come, each window's [`Partial`] once the partition's watermark passes the window's end
//! (or, in update mode, provisionally at a trigger), and the watermark itself.
//!
//! Stage two (`crate::merge`) merges the partials of every partition of a window into its
//! results once every partition has passed it. The split makes results independent of how the
//! partitions are spread over threads or processes: a partition's events depend on its records
//! alone (and, for idleness and `max_future`, on processing time).

use std::sync::Arc;

use crate::analyses::bought_together::distinct_items;
use crate::analyses::{Analyses, Note, PaneParts, Record};
use crate::config::{EngineConfig, OutputMode};
use crate::dedupe::SeenReceipts;
use crate::engine::Counters;
use crate::error::ConfigError;
use crate::names::{ItemLine, Names};
use crate::output::Output;
use crate::receipt::{Receipt, receipt_totals};
use crate::refusal::{Duplicate, Future, Late, OutOfRange, Refusal};
use crate::state::{PaneTotals, WindowStore};
use crate::time::{EventTime, ProcessingTime};
use crate::watermark::PartitionId;
use crate::window::{Window, Windowing};

/// A window's totals and every analysis's part of it, from one partition, with the names its ids
/// refer to.
#[derive(Debug, Clone)]
pub struct Partial {
    /// The window.
    pub window: Window,
    /// Receipts, revenue and units.
    pub totals: PaneTotals,
    /// What each analysis keeps of it, in the partition's interned ids.
    pub(crate) parts: PaneParts,
    /// The partition's names when the partial was made (ids only ever grow).
    pub(crate) names: Arc<Names>,
}

/// What a partition hands stage two, in the order it happens.
#[derive(Debug, Clone)]
pub enum StageEvent {
    /// A result of one record (a big receipt).
    Output(Output),
    /// What an analysis's stage-two half needs of one record (a big receipt for the cashier
    /// alerts).
    Note(Note),
    /// The partition's share of a window whose end its watermark passed.
    Final(Box<Partial>),
    /// The partition's share of an open window that changed (update mode, at a trigger).
    Provisional(Box<Partial>),
    /// The partition's watermark moved here.
    Watermark(EventTime),
    /// The partition has sent nothing for the idle timeout: it stops holding stage two back.
    Idle,
    /// An idle partition sent a record again.
    Active,
}

/// One partition's stage one.
#[derive(Debug, Clone)]
pub struct PartitionWindows {
    partition: PartitionId,
    config: EngineConfig,
    windowing: Windowing,
    /// Largest event time taken.
    newest: Option<EventTime>,
    /// Every window ending at or before it has been handed on.
    watermark: EventTime,
    last_activity: ProcessingTime,
    idle: bool,
    windows: WindowStore,
    names: Arc<Names>,
    seen: SeenReceipts,
    lines: Vec<ItemLine>,
    basket: Vec<u32>,
    analyses: Analyses,
    counters: Counters,
}

impl PartitionWindows {
    /// A partition that has sent nothing yet, first heard of at `now`.
    pub fn new(
        partition: PartitionId,
        config: EngineConfig,
        now: ProcessingTime,
    ) -> Result<Self, ConfigError> {
        let windowing = config.validate()?;
        Ok(PartitionWindows::with_windowing(
            partition, config, windowing, now,
        ))
    }

    /// [`PartitionWindows::new`] with `config` already validated into `windowing`.
    pub(crate) fn with_windowing(
        partition: PartitionId,
        config: EngineConfig,
        windowing: Windowing,
        now: ProcessingTime,
    ) -> Self {
        PartitionWindows {
            partition,
            config,
            windowing,
            newest: None,
            watermark: EventTime::MIN,
            last_activity: now,
            idle: false,
            windows: WindowStore::new(&windowing),
            names: Arc::new(Names::default()),
            seen: SeenReceipts::default(),
            lines: Vec::new(),
            basket: Vec::new(),
            analyses: Analyses::new(&config),
            counters: Counters::default(),
        }
    }

    /// The partition.
    pub fn partition(&self) -> PartitionId {
        self.partition
    }

    /// Its watermark: windows ending at or before it are handed on, and a record all of whose
    /// windows end there is late.
    pub fn watermark(&self) -> EventTime {
        self.watermark
    }

    /// Largest event time taken, if any.
    pub fn newest(&self) -> Option<EventTime> {
        self.newest
    }

    /// Whether it is idle.
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    /// When it last sent a record (or was declared or resumed).
    pub fn last_activity(&self) -> ProcessingTime {
        self.last_activity
    }

    /// Its share of the running totals.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Its interned names.
    pub(crate) fn names(&self) -> &Names {
        &self.names
    }

    pub(crate) fn windows(&self) -> &WindowStore {
        &self.windows
    }

    pub(crate) fn seen(&self) -> &SeenReceipts {
        &self.seen
    }

    /// Processes one receipt at processing time `now`, appending what it causes to `events`.
    /// Refusals are checked in this order: [`Future`], [`OutOfRange`], [`Duplicate`], [`Late`]
    /// (a late receipt is still seen by the analyses that judge each receipt, big receipts).
    #[inline]
    pub fn process(
        &mut self,
        receipt: &Receipt,
        now: ProcessingTime,
        events: &mut Vec<StageEvent>,
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
        let watermark = self.watermark;
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
            let names = Arc::make_mut(&mut self.names);
            record.store = names.stores.intern(&receipt.store_id);
            self.lines.clear();
            for item in &receipt.items {
                self.lines
                    .push(names.line(&item.name, &item.category, item.quantity));
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
        self.analyses.observe(&record, &mut self.counters, events);

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

        self.last_activity = now;
        if self.idle {
            self.idle = false;
            events.push(StageEvent::Active);
        }
        if self.newest.is_none_or(|newest| event_time > newest) {
            self.newest = Some(event_time);
            let candidate = event_time.minus(self.config.allowed_lateness);
            if candidate > self.watermark {
                self.advance(candidate, events);
            }
        }
        verdict
    }

    /// The end of a micro-batch at processing time `now`: a partition silent for the idle timeout
    /// turns idle (unless `detect_idle` is off: the parts of a file never idle), and in update
    /// mode every open window that changed is handed on provisionally.
    pub fn on_trigger(
        &mut self,
        now: ProcessingTime,
        detect_idle: bool,
        events: &mut Vec<StageEvent>,
    ) {
        if detect_idle && !self.idle && now.since(self.last_activity) >= self.config.idle_timeout {
            self.idle = true;
            events.push(StageEvent::Idle);
        }
        if self.config.output_mode == OutputMode::Update {
            let names = &self.names;
            self.windows.emit_changed(|window, pane| {
                events.push(StageEvent::Provisional(Box::new(Partial {
                    window,
                    totals: pane.totals,
                    parts: pane.parts.clone(),
                    names: Arc::clone(names),
                })));
            });
        }
    }

    /// Hands on every window ending at or before `watermark` (an idle partition that stage two
    /// has moved past), as if the partition's watermark had reached it.
    pub fn close_through(&mut self, watermark: EventTime, events: &mut Vec<StageEvent>) {
        if watermark > self.watermark {
            self.advance(watermark, events);
        }
    }

    /// The bounded input is over: every open window is handed on.
    pub fn finish(&mut self, events: &mut Vec<StageEvent>) {
        self.advance(EventTime::MAX, events);
    }

    /// The input resumed at `now` after a stop: the partition counts as active from `now`.
    pub fn resume_activity(&mut self, now: ProcessingTime) {
        self.last_activity = now;
        self.idle = false;
    }

    /// Moves the watermark to `watermark`: the windows it closes are handed on, earliest first,
    /// then the watermark itself; receipt ids it has passed are forgotten.
    fn advance(&mut self, watermark: EventTime, events: &mut Vec<StageEvent>) {
        self.watermark = watermark;
        self.seen
            .forget_before(watermark.minus(self.config.allowed_lateness));
        let names = &self.names;
        self.windows.close(watermark, |window, pane| {
            events.push(StageEvent::Final(Box::new(Partial {
                window,
                totals: pane.totals,
                parts: pane.parts.clone(),
                names: Arc::clone(names),
            })));
        });
        // Two watermarks in a row say no more than the second.
        match events.last_mut() {
            Some(StageEvent::Watermark(last)) => *last = watermark,
            _ => events.push(StageEvent::Watermark(watermark)),
        }
    }

    /// Parts of a restored partition.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn restored(
        partition: PartitionId,
        config: EngineConfig,
        windowing: Windowing,
        newest: Option<EventTime>,
        watermark: EventTime,
        last_activity: ProcessingTime,
        idle: bool,
        windows: WindowStore,
        names: Names,
        seen: SeenReceipts,
        counters: Counters,
    ) -> Self {
        let mut restored =
            PartitionWindows::with_windowing(partition, config, windowing, last_activity);
        restored.newest = newest;
        restored.watermark = watermark;
        restored.idle = idle;
        restored.windows = windows;
        restored.names = Arc::new(names);
        restored.seen = seen;
        restored.counters = counters;
        restored
    }
}
