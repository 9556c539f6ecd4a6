//! Open-window state, kept per **pane**: the span that divides both window length and slide (the
//! whole window for tumbling windows, 2 s for "10 s every 2 s"). A record updates the one pane it
//! falls in, whatever the number of windows it belongs to; a window's totals are the merge of its
//! panes, done once when its results are emitted.
//!
//! All windows starting before the first open window (the first whose end is past the watermark)
//! are finished; a pane is freed — and its memory reused — as soon as every window containing it
//! is, so state is bounded by the panes between the watermark and the newest record, not by how
//! long the stream has run.
//!
//! Per-store and per-item totals are dense vectors indexed by interned id (a store or item absent
//! from a pane reads as zero), so adding a record is a few array updates.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use retailflow_core::values::MAX_EXACT_UNITS;
use serde::{Deserialize, Serialize};

use crate::analyses::{Analyses, AnalysisKind, PaneParts, PaneSaved, Record};
use crate::money::Money;
use crate::time::EventTime;
use crate::window::{Window, Windowing, floor_to_multiple};

/// Receipts, revenue and units of one pane or window: what every window has, whichever analyses
/// run, and what the exact-range check of `WindowStore::try_add` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PaneTotals {
    /// Receipts.
    pub receipts: u64,
    /// Σ receipt totals.
    pub revenue: Money,
    /// Σ units sold.
    pub units: i64,
}

impl PaneTotals {
    #[inline]
    fn add(&mut self, total: Money, units: i64) {
        self.receipts += 1;
        self.revenue = self.revenue.plus(total);
        self.units += units;
    }

    fn merge_from(&mut self, other: &PaneTotals) {
        self.receipts += other.receipts;
        self.revenue = self.revenue.plus(other.revenue);
        self.units += other.units;
    }
}

/// One pane (or a window merged from panes): its totals and every analysis's part.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pane {
    pub(crate) totals: PaneTotals,
    /// Whether it changed since results were last emitted for it (update mode).
    pub(crate) changed: bool,
    pub(crate) parts: PaneParts,
}

impl Pane {
    pub(crate) fn merge_from(&mut self, other: &Pane) {
        self.totals.merge_from(&other.totals);
        self.parts.merge_from(&other.parts);
    }

    /// Empties the pane, keeping its allocations for the next one.
    fn clear(&mut self) {
        self.totals = PaneTotals::default();
        self.changed = false;
        self.parts.clear();
    }

    /// The pane as saved in a snapshot.
    pub(crate) fn save(&self, start: EventTime) -> PaneSnapshot {
        PaneSnapshot {
            start,
            receipts: self.totals.receipts,
            revenue_hundredths: self.totals.revenue.hundredths(),
            units: self.totals.units,
            changed: self.changed,
            parts: self.parts.save(),
        }
    }
}

/// The totals of one pane and every analysis's part of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaneSnapshot {
    /// Pane start.
    pub start: EventTime,
    /// Receipts in it.
    pub receipts: u64,
    /// Revenue in hundredths.
    pub revenue_hundredths: i64,
    /// Units sold.
    pub units: i64,
    /// Changed since its last provisional results (update mode).
    pub changed: bool,
    /// What each analysis keeps of it.
    #[serde(flatten)]
    pub parts: PaneSaved,
}

/// How much state is held: for showing it stays flat over a long run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateSize {
    /// Windows with data whose end the watermark has not reached.
    pub open_windows: usize,
    /// Panes held (each window is `length / pane` panes), over all partitions.
    pub panes: usize,
    /// The most panes one partition holds.
    pub partition_panes: usize,
    /// Distinct store ids, categories and item names ever seen (bounded by the catalog).
    pub interned_names: usize,
    /// Known source partitions.
    pub partitions: usize,
    /// Receipt ids held for `dedupe`.
    pub receipt_ids: usize,
    /// Σ over panes of the keys each analysis holds in them (stores, items, pairs), by analysis.
    pub pane_keys: [usize; AnalysisKind::COUNT],
    /// Keys of each analysis's state that outlives windows (store histories, cashiers' big
    /// receipts), by analysis.
    pub keyed: [usize; AnalysisKind::COUNT],
}

impl StateSize {
    /// Σ over panes of the keys `kind` holds in them.
    pub fn pane_keys(&self, kind: AnalysisKind) -> usize {
        self.pane_keys[kind as usize]
    }

    /// Keys of the state `kind` keeps across windows.
    pub fn keyed(&self, kind: AnalysisKind) -> usize {
        self.keyed[kind as usize]
    }
}

/// Pane aggregates kept for reuse, at most this many.
const SPARE_LIMIT: usize = 16;

/// The panes of the open windows, by start.
#[derive(Debug, Clone)]
pub(crate) struct WindowStore {
    length: i64,
    slide: i64,
    pane: i64,
    panes: BTreeMap<i64, Pane>,
    /// Start of the first window not yet finished; every earlier window has been emitted or had
    /// no data when it closed.
    first_open_start: i64,
    spare: Vec<Pane>,
    /// Scratch for merging the panes of one window.
    merged: Pane,
}

impl WindowStore {
    /// No panes; windows as `windowing` assigns them, all open.
    pub(crate) fn new(windowing: &Windowing) -> Self {
        WindowStore {
            length: windowing.length().millis(),
            slide: windowing.slide().millis(),
            pane: windowing.pane().millis(),
            panes: BTreeMap::new(),
            first_open_start: i64::MIN,
            spare: Vec::new(),
            merged: Pane::default(),
        }
    }

    /// Start of the pane `t` falls in.
    pub(crate) fn pane_start(&self, t: EventTime) -> EventTime {
        EventTime(floor_to_multiple(t.millis(), self.pane))
    }

    /// Adds an on-time record to the pane its event time falls in, each running analysis adding
    /// its part, unless that would take any window's revenue or units beyond the exact range;
    /// returns whether it was added. Each pane may hold its share of the range (a window merges
    /// `length / pane` panes), and since amounts are never negative, a pane's totals bound those
    /// of its stores and items. The caller has checked that at least one window containing the
    /// record is open, so the pane is in no finished window only.
    #[inline]
    pub(crate) fn try_add(&mut self, record: &Record<'_>, analyses: &Analyses) -> bool {
        let panes_per_window = (self.length / self.pane).max(1);
        let money_limit = Money::MAX_EXACT.hundredths() / panes_per_window;
        let units_limit = MAX_EXACT_UNITS / panes_per_window;
        let (total, units) = (record.totals.total, record.totals.units);
        let fits = |totals: &PaneTotals| {
            (0..=money_limit - totals.revenue.hundredths()).contains(&total.hundredths())
                && (0..=units_limit - totals.units).contains(&units)
        };
        let pane = match self
            .panes
            .entry(floor_to_multiple(record.receipt.ts.millis(), self.pane))
        {
            Entry::Occupied(pane) => {
                let pane = pane.into_mut();
                if !fits(&pane.totals) {
                    return false;
                }
                pane
            }
            Entry::Vacant(slot) => {
                if !fits(&PaneTotals::default()) {
                    return false;
                }
                slot.insert(self.spare.pop().unwrap_or_default())
            }
        };
        pane.totals.add(total, units);
        pane.changed = true;
        analyses.add(&mut pane.parts, record);
        true
    }

    /// Puts back a pane read from a checkpoint.
    pub(crate) fn insert(&mut self, start: EventTime, pane: Pane) {
        self.panes.insert(start.millis(), pane);
    }

    /// Panes, by start.
    pub(crate) fn panes(&self) -> impl Iterator<Item = (EventTime, &Pane)> {
        self.panes
            .iter()
            .map(|(&start, pane)| (EventTime(start), pane))
    }

    /// The first window start whose window ends after `watermark`; at the end of time, none.
    fn open_start_for(&self, watermark: EventTime) -> i64 {
        if watermark == EventTime::MAX {
            return i64::MAX;
        }
        match watermark.millis().checked_sub(self.length) {
            Some(limit) => floor_to_multiple(limit, self.slide).saturating_add(self.slide),
            None => i64::MIN,
        }
    }

    /// The earliest window start whose window contains the pane starting at `pane_start`.
    fn first_window_of_pane(&self, pane_start: i64) -> i64 {
        match pane_start.checked_sub(self.length) {
            Some(limit) => floor_to_multiple(limit, self.slide).saturating_add(self.slide),
            None => i64::MIN,
        }
    }

    fn window_at(&self, start: i64) -> Window {
        Window {
            start: EventTime(start),
            end: EventTime(start.saturating_add(self.length)),
        }
    }

    /// Marks every window ending at or before `watermark` finished: each that has data is passed
    /// to `emit`, in order of start, and panes no open window needs are freed.
    pub(crate) fn close(&mut self, watermark: EventTime, mut emit: impl FnMut(Window, &Pane)) {
        let open_start = self.open_start_for(watermark);
        if open_start <= self.first_open_start {
            return;
        }
        while let Some((&first_pane, _)) = self.panes.first_key_value() {
            // Panes before `first_open_start` are freed, so this window contains `first_pane`.
            let start = self
                .first_open_start
                .max(self.first_window_of_pane(first_pane));
            if start >= open_start {
                break;
            }
            self.emit_window(start, &mut emit);
            self.finish_before(start.saturating_add(self.slide));
        }
        self.finish_before(open_start);
    }

    /// Passes every open window containing a changed pane to `emit`, in order of start, and
    /// clears the change marks.
    pub(crate) fn emit_changed(&mut self, mut emit: impl FnMut(Window, &Pane)) {
        let starts = self.open_window_starts(|pane| pane.changed);
        for start in starts {
            self.emit_window(start, &mut emit);
        }
        for pane in self.panes.values_mut() {
            pane.changed = false;
        }
    }

    /// Starts of the open windows containing a pane that satisfies `which`, sorted.
    fn open_window_starts(&self, which: impl Fn(&Pane) -> bool) -> Vec<i64> {
        let mut starts = Vec::new();
        for (&pane_start, pane) in &self.panes {
            if !which(pane) {
                continue;
            }
            let mut start = self
                .first_open_start
                .max(self.first_window_of_pane(pane_start));
            let last = floor_to_multiple(pane_start, self.slide);
            while start <= last {
                starts.push(start);
                match start.checked_add(self.slide) {
                    Some(next) => start = next,
                    None => break,
                }
            }
        }
        starts.sort_unstable();
        starts.dedup();
        starts
    }

    /// Passes the window starting at `start` to `emit`: its one pane as is, or its panes merged.
    fn emit_window(&mut self, start: i64, emit: &mut impl FnMut(Window, &Pane)) {
        let window = self.window_at(start);
        let mut panes = self.panes.range(start..window.end.millis());
        let (Some((_, first)), second) = (panes.next(), panes.next()) else {
            return;
        };
        match second {
            None => emit(window, first),
            Some((_, second)) => {
                self.merged.clear();
                self.merged.merge_from(first);
                self.merged.merge_from(second);
                for (_, pane) in panes {
                    self.merged.merge_from(pane);
                }
                emit(window, &self.merged);
            }
        }
    }

    /// Marks windows starting before `start` finished and frees the panes only they contain.
    fn finish_before(&mut self, start: i64) {
        self.first_open_start = self.first_open_start.max(start);
        while let Some(entry) = self.panes.first_entry() {
            if *entry.key() >= self.first_open_start {
                break;
            }
            let mut pane = entry.remove();
            if self.spare.len() < SPARE_LIMIT {
                pane.clear();
                self.spare.push(pane);
            }
        }
    }

    /// Re-derives which windows are finished from a restored watermark.
    pub(crate) fn resume_at(&mut self, watermark: EventTime) {
        self.first_open_start = self.open_start_for(watermark);
    }

    /// Whether a restored pane at `start` lies where panes can be: on a pane boundary, in an open
    /// window.
    pub(crate) fn fits_pane(&self, start: EventTime) -> bool {
        start.millis().rem_euclid(self.pane) == 0 && start.millis() >= self.first_open_start
    }

    /// Number of panes held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.panes.len()
    }

    /// Whether no pane is held.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.panes.is_empty()
    }

    /// Starts of the open windows with data.
    pub(crate) fn open_window_starts_all(&self) -> Vec<i64> {
        self.open_window_starts(|_| true)
    }

    /// The keys each analysis holds in the panes.
    pub(crate) fn keys(&self) -> [usize; AnalysisKind::COUNT] {
        self.size().2
    }

    /// Open windows with data, panes, and the keys each analysis holds in them.
    pub(crate) fn size(&self) -> (usize, usize, [usize; AnalysisKind::COUNT]) {
        let open_windows = self.open_window_starts(|_| true).len();
        let mut keys = [0; AnalysisKind::COUNT];
        for pane in self.panes.values() {
            for (sum, held) in keys.iter_mut().zip(pane.parts.keys()) {
                *sum += held;
            }
        }
        (open_windows, self.panes.len(), keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyses::Analyses;
    use crate::config::{AnalysisSet, EngineConfig};
    use crate::names::{ItemLine, Names};
    use crate::receipt::{Receipt, ReceiptTotals};
    use crate::time::TimeSpan;

    fn store(length_s: i64, slide_s: i64) -> WindowStore {
        WindowStore::new(
            &Windowing::new(TimeSpan::from_secs(length_s), TimeSpan::from_secs(slide_s)).unwrap(),
        )
    }

    fn every_analysis() -> Analyses {
        Analyses::new(&EngineConfig {
            analyses: AnalysisSet::ALL,
            ..EngineConfig::default()
        })
    }

    /// Adds a receipt of store 7 at `second` with `hundredths` and the `lines` given.
    fn add(
        store: &mut WindowStore,
        analyses: &Analyses,
        second: i64,
        hundredths: i64,
        lines: &[ItemLine],
    ) -> bool {
        let receipt = Receipt {
            receipt_id: "R".into(),
            store_id: "S".into(),
            cashier_id: "C".into(),
            ts: EventTime::from_secs(second),
            items: Vec::new(),
        };
        let record = Record {
            receipt: &receipt,
            totals: ReceiptTotals {
                total: Money::from_hundredths(hundredths),
                units: lines.iter().map(|line| line.quantity).sum::<i64>().max(1),
            },
            watermark: EventTime::MIN,
            late: false,
            store: 7,
            lines,
            basket: &[],
        };
        store.try_add(&record, analyses)
    }

    fn closed(store: &mut WindowStore, watermark_s: i64) -> Vec<(i64, i64, u64)> {
        let mut emitted = Vec::new();
        store.close(EventTime::from_secs(watermark_s), |window, pane| {
            emitted.push((
                window.start.millis() / 1000,
                window.end.millis() / 1000,
                pane.totals.receipts,
            ));
        });
        emitted
    }

    #[test]
    fn records_add_up_per_pane_and_each_analysis_keeps_its_part() {
        let mut names = Names::default();
        let lines = [
            names.line("Item_1_MILK", "Milk Products", 2),
            names.line("Item_2_MILK", "Milk Products", 1),
            names.line("Item_1_MILK", "Patisserie", 5),
        ];
        let analyses = every_analysis();
        let mut store = store(10, 10);
        assert!(add(&mut store, &analyses, 1, 1_050, &lines));
        assert!(add(&mut store, &analyses, 9, 50, &lines[..1]));
        assert!(add(&mut store, &analyses, 10, 1_050, &lines));
        let (_, pane) = store.panes().next().unwrap();
        assert_eq!(
            pane.totals,
            PaneTotals {
                receipts: 2,
                revenue: Money::from_hundredths(1_100),
                units: 10
            }
        );
        let saved = pane.parts.save();
        assert_eq!(saved.top_stores, [(7, 1_100, 2)]);
        assert_eq!(saved.store_anomalies, [(7, 1_100, 2)]);
        assert_eq!(saved.popular_items.usual, [(0, 4), (1, 1)]);
        assert_eq!(saved.popular_items.other, [(1, 0, 5)]);
        let (open, panes, keys) = store.size();
        assert_eq!((open, panes), (2, 2));
        assert_eq!(keys[AnalysisKind::TopStores as usize], 2);
        assert_eq!(keys[AnalysisKind::PopularItems as usize], 6);
    }

    #[test]
    fn a_record_beyond_a_panes_exact_range_is_refused_and_changes_nothing() {
        let analyses = every_analysis();
        let mut store = store(10, 10);
        assert!(add(
            &mut store,
            &analyses,
            1,
            Money::MAX_EXACT.hundredths(),
            &[]
        ));
        assert!(!add(&mut store, &analyses, 2, 1, &[]));
        assert_eq!(store.panes().next().unwrap().1.totals.receipts, 1);
    }

    #[test]
    fn tumbling_windows_close_in_order_once_the_watermark_reaches_their_end() {
        let analyses = every_analysis();
        let mut store = store(10, 10);
        for s in [25, 3, 14, 15] {
            assert!(add(&mut store, &analyses, s, 0, &[]));
        }
        assert_eq!(closed(&mut store, 9), []);
        assert_eq!(closed(&mut store, 20), [(0, 10, 1), (10, 20, 2)]);
        assert_eq!(store.len(), 1);
        assert_eq!(closed(&mut store, 20), []);
        // A recycled pane starts empty.
        assert!(add(&mut store, &analyses, 41, 0, &[]));
        assert_eq!(
            closed(&mut store, i64::MAX / 1000),
            [(20, 30, 1), (40, 50, 1)]
        );
        assert!(store.is_empty());
    }

    #[test]
    fn sliding_windows_merge_their_panes() {
        let analyses = every_analysis();
        let mut store = store(10, 2);
        for s in [1, 3, 3, 9, 12] {
            assert!(add(&mut store, &analyses, s, 0, &[]));
        }
        assert_eq!(store.size().0, 11, "windows starting -8 s … 12 s");
        assert_eq!(closed(&mut store, 4), [(-8, 2, 1), (-6, 4, 3)]);
        // The pane [0, 2) is still in the open window [-4, 6).
        assert_eq!(store.len(), 4);
        assert_eq!(
            closed(&mut store, 12),
            [(-4, 6, 3), (-2, 8, 3), (0, 10, 4), (2, 12, 3)]
        );
        assert_eq!(store.len(), 2, "panes [8, 10) and [12, 14) remain");
        assert_eq!(
            closed(&mut store, 100),
            [(4, 14, 2), (6, 16, 2), (8, 18, 2), (10, 20, 1), (12, 22, 1)]
        );
        assert!(store.is_empty());
    }

    #[test]
    fn windows_that_closed_empty_stay_finished() {
        let analyses = every_analysis();
        let mut store = store(10, 2);
        assert!(add(&mut store, &analyses, 50, 0, &[]));
        assert_eq!(closed(&mut store, 30), []);
        // Windows starting before 22 s have ended; a record at 31 s may only reach [22, 32) onwards.
        assert!(add(&mut store, &analyses, 31, 0, &[]));
        let emitted = closed(&mut store, 100);
        assert_eq!(emitted[0], (22, 32, 1));
        assert_eq!(
            emitted.len(),
            10,
            "starts 22 … 30 s for the record at 31 s, 42 … 50 s for 50 s"
        );
    }
}
