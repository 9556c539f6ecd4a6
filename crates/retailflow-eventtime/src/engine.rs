//! The engine: takes receipts with their partition and event time and emits results in a
//! deterministic order. It is the two stages of [`crate::partition`] and `crate::merge` run
//! together: one [`PartitionWindows`] per source partition, and one stage two over them.
//!
//! # Semantics
//! - A record is first checked for what no window can take: an event time too far ahead of the
//!   clock, figures beyond the exact range, a repeated receipt id within its partition (see
//!   [`Engine::process`]). Such a record changes nothing but the counters.
//! - Every record is judged against its **partition's** watermark (the largest event time the
//!   partition has sent, less the allowed lateness) as it stood before the record. It is **late**
//!   when every window it belongs to ends at or before that watermark: it is counted, left out of
//!   the windowed analyses, and [`Engine::process`] returns [`Late`](crate::Late) so the caller can
//!   dead-letter it. A record with some windows still open updates only the open ones (the closed
//!   ones are counted in [`Counters::closed_window_updates_skipped`]). Whether a record is late
//!   therefore depends on its own partition's records only, not on how partitions interleave.
//! - A window's results are emitted once every active partition's watermark has passed its end
//!   (the stream watermark, [`Engine::watermark`], is the minimum over them); a partition idle for
//!   the idle timeout (processing time, checked in [`Engine::on_trigger`]) stops holding it back.
//! - Big receipts are emitted as their record is processed, late or not.
//! - Output order: with one partition, per record its big receipt (if any) and then the windows
//!   it closed, in order of window end; per window, top stores, popular items by category name,
//!   the summary, bought together, store anomalies; then the cashier alerts the watermark
//!   releases. With several partitions, the order of `crate::merge`: it depends on each
//!   partition's records, not on how they interleave. Two engines fed the same calls produce
//!   identical outputs.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::config::EngineConfig;
use crate::error::ConfigError;
use crate::merge::Merger;
use crate::output::Output;
use crate::partition::{PartitionWindows, StageEvent};
use crate::receipt::Receipt;
use crate::refusal::Refusal;
use crate::state::StateSize;
use crate::time::{EventTime, ProcessingTime};
use crate::watermark::{PartitionId, PartitionStatus};
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

impl Counters {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Counters) {
        let Counters {
            received,
            accepted,
            late,
            future,
            duplicates,
            out_of_range,
            closed_window_updates_skipped,
            big_receipts,
            windows_closed,
            final_results,
            provisional_results,
            triggers,
            large_baskets,
            behind_watermark_for_alerts,
            store_anomalies,
            cashier_alerts,
        } = *other;
        self.received += received;
        self.accepted += accepted;
        self.late += late;
        self.future += future;
        self.duplicates += duplicates;
        self.out_of_range += out_of_range;
        self.closed_window_updates_skipped += closed_window_updates_skipped;
        self.big_receipts += big_receipts;
        self.windows_closed += windows_closed;
        self.final_results += final_results;
        self.provisional_results += provisional_results;
        self.triggers += triggers;
        self.large_baskets += large_baskets;
        self.behind_watermark_for_alerts += behind_watermark_for_alerts;
        self.store_anomalies += store_anomalies;
        self.cashier_alerts += cashier_alerts;
    }
}

/// The event-time engine. See the module docs for its semantics.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) windowing: Windowing,
    /// Stage one, by partition.
    pub(crate) partitions: BTreeMap<PartitionId, PartitionWindows>,
    /// Stage two.
    pub(crate) merger: Merger,
    /// Scratch for a partition's events.
    events: Vec<StageEvent>,
    /// Whether silent partitions turn idle (not for the parts of a file, which are all read).
    detect_idle: bool,
}

impl Engine {
    /// A fresh engine: no partitions, no windows, watermark at the beginning of time.
    pub fn new(config: EngineConfig) -> Result<Self, ConfigError> {
        let windowing = config.validate()?;
        Ok(Engine {
            config,
            windowing,
            partitions: BTreeMap::new(),
            merger: Merger::new(config, windowing.slide()),
            events: Vec::new(),
            detect_idle: true,
        })
    }

    /// The engine with idle detection on or off: off for an input whose partitions are all being
    /// read until they end (the parts of a file), so that how fast each is read changes nothing.
    pub fn with_idle_detection(mut self, detect_idle: bool) -> Self {
        self.detect_idle = detect_idle;
        self
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The stream watermark: every window ending at or before it has been emitted.
    pub fn watermark(&self) -> EventTime {
        self.merger.watermark()
    }

    /// Known partitions, by id, with their newest event time and idleness.
    pub fn partitions(&self) -> Vec<PartitionStatus> {
        self.partitions
            .values()
            .map(|partition| PartitionStatus {
                partition: partition.partition(),
                max_event_time: partition.newest(),
                last_activity: partition.last_activity(),
                idle: partition.is_idle(),
            })
            .collect()
    }

    /// Running totals.
    pub fn counters(&self) -> Counters {
        let mut counters = self.merger.counters;
        for partition in self.partitions.values() {
            counters.add(partition.counters());
        }
        counters
    }

    /// Whether [`Engine::finish`] has run (every later record is late).
    pub fn is_finished(&self) -> bool {
        self.watermark() == EventTime::MAX
    }

    /// How much state is held.
    pub fn state_size(&self) -> StateSize {
        let mut size = StateSize {
            interned_names: self.merger.names.len(),
            partitions: self.partitions.len(),
            keyed: self.merger.analyses.keys(),
            ..StateSize::default()
        };
        let mut starts = std::collections::BTreeSet::new();
        for partition in self.partitions.values() {
            let windows = partition.windows();
            let panes = windows.panes().count();
            size.panes += panes;
            size.partition_panes = size.partition_panes.max(panes);
            starts.extend(windows.open_window_starts_all());
            for (sum, held) in size.pane_keys.iter_mut().zip(windows.keys()) {
                *sum += held;
            }
            size.receipt_ids += partition.seen().len();
        }
        for (window, pane) in self.merger.windows_held() {
            starts.insert(window.start.millis());
            for (sum, held) in size.pane_keys.iter_mut().zip(pane.parts.keys()) {
                *sum += held;
            }
        }
        size.open_windows = starts.len();
        size
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
            self.partition(partition, now);
        }
    }

    /// The input resumed at `now` after a stop (e.g. restored from a checkpoint): partitions' idle
    /// clocks restart at `now`, so the time the job was down does not make any partition idle
    /// (which could let the watermark pass records still waiting in it).
    pub fn resume_activity(&mut self, now: ProcessingTime) {
        // A partition turning active holds stage two back; it releases nothing.
        let mut none = Vec::new();
        for (&id, partition) in &mut self.partitions {
            if partition.is_idle() {
                self.events.push(StageEvent::Active);
            }
            partition.resume_activity(now);
            self.merger.feed(id, &mut self.events, &mut none);
        }
        debug_assert!(none.is_empty());
    }

    /// Forgets a partition that is no longer read (e.g. revoked). If that releases the watermark,
    /// the windows it closes are appended to `out`.
    pub fn remove_partition(&mut self, partition: PartitionId, out: &mut Vec<Output>) {
        self.partitions.remove(&partition);
        self.merger.remove(partition, out);
        self.close_idle(out);
    }

    /// Processes one receipt read from `partition` at processing time `now`, appending any results
    /// it causes to `out` (its big receipt, windows it closes). Returns a [`Refusal`] when the
    /// receipt was left out, checked in this order:
    /// - [`Future`](crate::Future): its event time is more than `max_future` ahead of `now`
    ///   (counted nowhere else, and it does not move any watermark);
    /// - [`OutOfRange`](crate::OutOfRange): its totals, or the totals of its window with it added,
    ///   are beyond the exact range, or its windows reach outside years 1 to 9999;
    /// - [`Duplicate`](crate::Duplicate): with `dedupe`, its receipt id was already counted in its
    ///   partition and the partition's watermark has not passed that receipt's event time plus the
    ///   allowed lateness;
    /// - [`Late`](crate::Late): behind its partition's watermark for every window it belongs to
    ///   (still reported as big, and its partition's activity still noted).
    #[inline]
    pub fn process(
        &mut self,
        partition: PartitionId,
        receipt: &Receipt,
        now: ProcessingTime,
        out: &mut Vec<Output>,
    ) -> Result<(), Refusal> {
        let mut events = std::mem::take(&mut self.events);
        let verdict = self
            .partition(partition, now)
            .process(receipt, now, &mut events);
        self.events = events;
        self.merger.feed(partition, &mut self.events, out);
        if self.merger.has_idle() {
            self.close_idle(out);
        }
        verdict
    }

    /// Processes a batch of messages on up to `workers` threads, each partition's stage one on
    /// one thread over its messages in order, then hands their events to stage two; appends the
    /// results to `out` and returns each message's verdict, in message order. `step` turns one
    /// message into a receipt for its partition's stage one and processes it
    /// ([`PartitionWindows::process`]). The results are those of processing the messages one by
    /// one with [`Engine::process`], whatever `workers` is: stage two's order depends on each
    /// partition's events only. (A partition not known before the batch starts at the watermark
    /// the batch started with.)
    pub fn process_batch<M, V>(
        &mut self,
        messages: &[M],
        partition_of: impl Fn(&M) -> PartitionId + Sync,
        workers: usize,
        now: ProcessingTime,
        step: impl Fn(&mut PartitionWindows, &M, &mut Vec<StageEvent>) -> V + Sync,
        out: &mut Vec<Output>,
    ) -> Vec<V>
    where
        M: Sync,
        V: Send,
    {
        let touched = distinct_partitions(messages.iter().map(&partition_of));
        for &id in &touched {
            self.partition(id, now);
        }
        let workers = workers.clamp(1, touched.len().max(1));
        let mut groups: Vec<Vec<(PartitionId, &mut PartitionWindows)>> =
            (0..workers).map(|_| Vec::new()).collect();
        let mut position = 0;
        for (&id, stage) in &mut self.partitions {
            if touched.binary_search(&id).is_ok() {
                groups[position % workers].push((id, stage));
                position += 1;
            }
        }
        let run = |stages: &mut [(PartitionId, &mut PartitionWindows)], piece: Range<usize>| {
            let mut events: Vec<(PartitionId, Vec<StageEvent>)> =
                stages.iter().map(|(id, _)| (*id, Vec::new())).collect();
            let mut verdicts = Vec::new();
            for index in piece {
                let message = &messages[index];
                let id = partition_of(message);
                if let Some(slot) = stages.iter().position(|(owned, _)| *owned == id) {
                    let verdict = step(stages[slot].1, message, &mut events[slot].1);
                    verdicts.push((index, verdict));
                }
            }
            (verdicts, events)
        };
        // Pieces are taken in order, and every message of a piece has its verdict in one group's
        // list: sorted by index, a piece's verdicts extend the batch's in message order.
        let mut verdicts: Vec<V> = Vec::with_capacity(messages.len());
        let mut piece_verdicts: Vec<(usize, V)> = Vec::new();
        let merger = &mut self.merger;
        let mut take = |done: Vec<PieceDone<V>>| {
            let mut events: Vec<(PartitionId, Vec<StageEvent>)> = Vec::new();
            for (group_verdicts, group_events) in done {
                piece_verdicts.extend(group_verdicts);
                events.extend(group_events);
            }
            piece_verdicts.sort_unstable_by_key(|(index, _)| *index);
            verdicts.extend(piece_verdicts.drain(..).map(|(_, verdict)| verdict));
            events.sort_unstable_by_key(|(id, _)| *id);
            for (id, mut partition_events) in events {
                merger.feed(id, &mut partition_events, out);
            }
        };
        if groups.len() == 1 {
            for mut group in groups {
                take(vec![run(&mut group, 0..messages.len())]);
            }
        } else {
            // Stage one's groups work through the batch a piece at a time while stage two takes
            // each piece's events as soon as every group has finished it.
            let pieces = pieces_of(messages.len());
            std::thread::scope(|scope| {
                let (sender, finished) = std::sync::mpsc::channel();
                for mut group in groups {
                    let sender = sender.clone();
                    let pieces = pieces.clone();
                    let run = &run;
                    scope.spawn(move || {
                        for (number, piece) in pieces.into_iter().enumerate() {
                            if sender.send((number, run(&mut group, piece))).is_err() {
                                return;
                            }
                        }
                    });
                }
                drop(sender);
                let mut arrived: Vec<Vec<PieceDone<V>>> =
                    pieces.iter().map(|_| Vec::new()).collect();
                let mut next = 0;
                for (number, done) in finished {
                    arrived[number].push(done);
                    while next < arrived.len() && arrived[next].len() == workers {
                        take(std::mem::take(&mut arrived[next]));
                        next += 1;
                    }
                }
            });
        }
        if self.merger.has_idle() {
            self.close_idle(out);
        }
        verdicts
    }

    /// The end of a micro-batch at processing time `now`: partitions silent for the idle timeout
    /// stop holding the watermark back (closing the windows that releases), and in update mode
    /// every open window that changed since the last trigger gets provisional results.
    pub fn on_trigger(&mut self, now: ProcessingTime, out: &mut Vec<Output>) {
        for (&id, partition) in &mut self.partitions {
            partition.on_trigger(now, self.detect_idle, &mut self.events);
            self.merger.feed(id, &mut self.events, out);
        }
        self.close_idle(out);
        self.merger.on_trigger(out);
    }

    /// The bounded input is over: the watermark moves to the end of time and every open window is
    /// emitted (final) and freed. Records processed afterwards are late.
    pub fn finish(&mut self, out: &mut Vec<Output>) {
        for (&id, partition) in &mut self.partitions {
            partition.finish(&mut self.events);
            self.merger.feed(id, &mut self.events, out);
        }
        self.merger.finish(out);
    }

    /// The stage one of `partition`, made if new at the stream watermark: it cannot hold back a
    /// watermark that has already moved, so its records behind it are late.
    fn partition(&mut self, partition: PartitionId, now: ProcessingTime) -> &mut PartitionWindows {
        let Engine {
            config,
            windowing,
            partitions,
            merger,
            events,
            ..
        } = self;
        partitions.entry(partition).or_insert_with(|| {
            let mut stage = PartitionWindows::with_windowing(partition, *config, *windowing, now);
            let watermark = merger.watermark();
            if watermark > EventTime::MIN {
                stage.close_through(watermark, events);
                events.clear();
            }
            merger.declare(partition, watermark);
            stage
        })
    }

    /// Closes idle partitions through the watermark the others have reached, so the windows it
    /// finishes hold their data.
    fn close_idle(&mut self, out: &mut Vec<Output>) {
        loop {
            let behind = self.merger.behind();
            if behind.is_empty() {
                return;
            }
            for (id, watermark) in behind {
                if let Some(partition) = self.partitions.get_mut(&id) {
                    partition.close_through(watermark, &mut self.events);
                }
                if self.events.is_empty() {
                    self.events.push(StageEvent::Watermark(watermark));
                }
                self.merger.feed(id, &mut self.events, out);
            }
        }
    }
}

/// The distinct partitions of a batch, in order. Messages of a partition come in runs, so the
/// sorted list is only searched when the partition changes.
fn distinct_partitions(ids: impl Iterator<Item = PartitionId>) -> Vec<PartitionId> {
    let mut distinct: Vec<PartitionId> = Vec::new();
    let mut last = None;
    for id in ids {
        if last == Some(id) {
            continue;
        }
        last = Some(id);
        if let Err(at) = distinct.binary_search(&id) {
            distinct.insert(at, id);
        }
    }
    distinct
}

/// What one group of stage one did with one piece of a batch: each message's verdict by its index,
/// and each of its partitions' events.
type PieceDone<V> = (Vec<(usize, V)>, Vec<(PartitionId, Vec<StageEvent>)>);

/// Messages in one piece of a batch that several groups share.
const PIECE: usize = 4096;

/// A batch of `len` messages cut into pieces of about [`PIECE`].
fn pieces_of(len: usize) -> Vec<Range<usize>> {
    (0..len.div_ceil(PIECE))
        .map(|piece| piece * PIECE..((piece + 1) * PIECE).min(len))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_partitions_are_sorted_whatever_the_runs() {
        let ids = [3, 3, 1, 1, 3, 0, 2, 2, 1].map(PartitionId);
        assert_eq!(
            distinct_partitions(ids.into_iter()),
            [0, 1, 2, 3].map(PartitionId)
        );
        assert!(distinct_partitions(std::iter::empty()).is_empty());
    }

    #[test]
    fn pieces_cover_a_batch_in_order() {
        assert_eq!(pieces_of(0), Vec::<Range<usize>>::new());
        assert_eq!(pieces_of(PIECE + 1), vec![0..PIECE, PIECE..PIECE + 1]);
    }
}
