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

use crate::analyses::bought_together::PairCounts;
use crate::intern::FastMap;
use crate::money::Money;
use crate::names::{ItemLine, Names};
use crate::time::EventTime;
use crate::window::{Window, Windowing, floor_to_multiple};

/// Revenue and receipt count of one store in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreTotals {
    /// Σ price × quantity over the store's receipts.
    pub revenue: Money,
    /// How many receipts (0: the store has none in the window).
    pub receipts: u64,
}

/// What one accepted record adds to each window it falls in.
#[derive(Debug, Clone, Copy)]
pub struct Contribution<'a> {
    /// Interned store id.
    pub store: u32,
    /// Receipt total.
    pub total: Money,
    /// Units on the receipt.
    pub units: i64,
    /// The receipt's lines.
    pub lines: &'a [ItemLine],
    /// The receipt's distinct item ids, sorted, for the bought-together pairs (empty when that
    /// analysis is off).
    pub basket: &'a [u32],
    /// Baskets with more distinct items add no pairs.
    pub max_basket: usize,
}

/// Everything the analyses need about one pane or window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowAggregate {
    /// Receipts in the window.
    pub receipts: u64,
    /// Σ receipt totals.
    pub revenue: Money,
    /// Σ units sold.
    pub units: i64,
    /// Whether it changed since results were last emitted for it (update mode).
    pub changed: bool,
    /// By store id.
    stores: Vec<StoreTotals>,
    /// Units by item id, for lines in the item's usual category.
    items: Vec<i64>,
    /// Units by (category, item) for lines in another category than the item's usual one.
    other_items: FastMap<(u32, u32), i64>,
    /// Receipts per item and per item pair (bought together).
    pub(crate) pairs: PairCounts,
}

impl WindowAggregate {
    #[inline]
    fn add(&mut self, contribution: &Contribution<'_>) {
        self.receipts += 1;
        self.revenue = self.revenue.plus(contribution.total);
        self.units += contribution.units;
        let store = contribution.store as usize;
        if store >= self.stores.len() {
            self.stores.resize(store + 1, StoreTotals::default());
        }
        let totals = &mut self.stores[store];
        totals.revenue = totals.revenue.plus(contribution.total);
        totals.receipts += 1;
        for line in contribution.lines {
            self.add_units(line.item, line.category, line.usual_category, line.quantity);
        }
        if !contribution.basket.is_empty() {
            self.pairs.add(contribution.basket, contribution.max_basket);
        }
        self.changed = true;
    }

    #[inline]
    fn add_units(&mut self, item: u32, category: u32, usual_category: bool, quantity: i64) {
        let sold = if usual_category {
            let index = item as usize;
            if index >= self.items.len() {
                self.items.resize(index + 1, 0);
            }
            &mut self.items[index]
        } else {
            self.other_items.entry((category, item)).or_insert(0)
        };
        *sold += quantity;
    }

    /// Stores with receipts in the window: `(store id, totals)`, by id.
    pub fn stores(&self) -> impl Iterator<Item = (u32, StoreTotals)> + '_ {
        self.stores
            .iter()
            .enumerate()
            .filter(|(_, totals)| totals.receipts > 0)
            .map(|(store, &totals)| (store as u32, totals))
    }

    /// Items sold in the window: `(category id, item id, units)`, items with no units left out;
    /// unordered.
    pub fn items<'a>(&'a self, names: &'a Names) -> impl Iterator<Item = (u32, u32, i64)> + 'a {
        let usual = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, units)| **units != 0)
            .map(|(item, &units)| (names.usual_category(item as u32), item as u32, units));
        let other = self
            .other_items
            .iter()
            .filter(|(_, units)| **units != 0)
            .map(|(&(category, item), &units)| (category, item, units));
        usual.chain(other)
    }

    /// One store's totals (zero when it has no receipts in the window).
    pub fn store(&self, store: u32) -> StoreTotals {
        self.stores.get(store as usize).copied().unwrap_or_default()
    }

    /// Sets a store's totals (restoring a checkpoint).
    pub fn set_store(&mut self, store: u32, totals: StoreTotals) {
        let index = store as usize;
        if index >= self.stores.len() {
            self.stores.resize(index + 1, StoreTotals::default());
        }
        self.stores[index] = totals;
    }

    /// Adds units of an item (restoring a checkpoint).
    pub fn set_item(&mut self, category: u32, item: u32, units: i64, names: &Names) {
        let usual_category = names.usual_category(item) == category;
        self.add_units(item, category, usual_category, units);
    }

    /// Number of stores with receipts in the window.
    pub fn store_count(&self) -> usize {
        self.stores
            .iter()
            .filter(|totals| totals.receipts > 0)
            .count()
    }

    /// Number of items sold in the window.
    pub fn item_count(&self) -> usize {
        self.items.iter().filter(|units| **units != 0).count()
            + self
                .other_items
                .values()
                .filter(|units| **units != 0)
                .count()
    }

    /// Adds every total of `other` into this one.
    fn merge_from(&mut self, other: &WindowAggregate) {
        self.receipts += other.receipts;
        self.revenue = self.revenue.plus(other.revenue);
        self.units += other.units;
        if other.stores.len() > self.stores.len() {
            self.stores
                .resize(other.stores.len(), StoreTotals::default());
        }
        for (mine, theirs) in self.stores.iter_mut().zip(&other.stores) {
            mine.revenue = mine.revenue.plus(theirs.revenue);
            mine.receipts += theirs.receipts;
        }
        if other.items.len() > self.items.len() {
            self.items.resize(other.items.len(), 0);
        }
        for (mine, theirs) in self.items.iter_mut().zip(&other.items) {
            *mine += *theirs;
        }
        for (&key, &units) in &other.other_items {
            let sold = self.other_items.entry(key).or_insert(0);
            *sold += units;
        }
        self.pairs.merge_from(&other.pairs);
    }

    /// Empties the aggregate, keeping its allocations for the next window.
    fn clear(&mut self) {
        self.receipts = 0;
        self.revenue = Money::ZERO;
        self.units = 0;
        self.changed = false;
        self.stores.clear();
        self.items.clear();
        self.other_items.clear();
        self.pairs.clear();
    }
}

/// How much state is held: for showing it stays flat over a long run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateSize {
    /// Windows with data whose end the watermark has not reached.
    pub open_windows: usize,
    /// Panes held (each window is `length / pane` panes).
    pub panes: usize,
    /// Σ over panes of the stores in them.
    pub store_keys: usize,
    /// Σ over panes of the items in them.
    pub item_keys: usize,
    /// Distinct store ids, categories and item names ever seen (bounded by the catalog).
    pub interned_names: usize,
    /// Known source partitions.
    pub partitions: usize,
    /// Receipt ids held for `dedupe`.
    pub receipt_ids: usize,
    /// Σ over panes of the item pairs in them (bought together).
    pub pair_keys: usize,
    /// Stores with a revenue history (store anomalies).
    pub store_histories: usize,
    /// Big receipts held for the cashier alerts.
    pub cashier_receipts: usize,
}

/// Pane aggregates kept for reuse, at most this many.
const SPARE_LIMIT: usize = 16;

/// The panes of the open windows, by start.
#[derive(Debug, Clone)]
pub struct WindowStore {
    length: i64,
    slide: i64,
    pane: i64,
    panes: BTreeMap<i64, WindowAggregate>,
    /// Start of the first window not yet finished; every earlier window has been emitted or had
    /// no data when it closed.
    first_open_start: i64,
    spare: Vec<WindowAggregate>,
    /// Scratch for merging the panes of one window.
    merged: WindowAggregate,
}

impl WindowStore {
    /// No panes; windows as `windowing` assigns them, all open.
    pub fn new(windowing: &Windowing) -> Self {
        WindowStore {
            length: windowing.length().millis(),
            slide: windowing.slide().millis(),
            pane: windowing.pane().millis(),
            panes: BTreeMap::new(),
            first_open_start: i64::MIN,
            spare: Vec::new(),
            merged: WindowAggregate::default(),
        }
    }

    /// Pane length in milliseconds.
    pub fn pane_length(&self) -> i64 {
        self.pane
    }

    /// Start of the pane `t` falls in.
    pub fn pane_start(&self, t: EventTime) -> EventTime {
        EventTime(floor_to_multiple(t.millis(), self.pane))
    }

    /// Adds a record at `t` to its pane, unless that would take any window's revenue or units
    /// beyond the exact range; returns whether it was added. Each pane may hold its share of the
    /// range (a window merges `length / pane` panes), and since amounts are never negative, a
    /// pane's totals bound those of its stores and items. The caller has checked that at least
    /// one window containing `t` is open, so the pane is in no finished window only.
    #[inline]
    pub fn try_add(&mut self, t: EventTime, contribution: &Contribution<'_>) -> bool {
        let panes_per_window = (self.length / self.pane).max(1);
        let money_limit = Money::MAX_EXACT.hundredths() / panes_per_window;
        let units_limit = MAX_EXACT_UNITS / panes_per_window;
        let fits = |revenue: i64, units: i64| {
            (0..=money_limit - revenue).contains(&contribution.total.hundredths())
                && (0..=units_limit - units).contains(&contribution.units)
        };
        match self.panes.entry(floor_to_multiple(t.millis(), self.pane)) {
            Entry::Occupied(mut pane) => {
                let pane = pane.get_mut();
                if !fits(pane.revenue.hundredths(), pane.units) {
                    return false;
                }
                pane.add(contribution);
            }
            Entry::Vacant(slot) => {
                if !fits(0, 0) {
                    return false;
                }
                slot.insert(self.spare.pop().unwrap_or_default())
                    .add(contribution);
            }
        }
        true
    }

    /// Puts back a pane read from a checkpoint.
    pub fn insert(&mut self, start: EventTime, aggregate: WindowAggregate) {
        self.panes.insert(start.millis(), aggregate);
    }

    /// Panes, by start.
    pub fn panes(&self) -> impl Iterator<Item = (EventTime, &WindowAggregate)> {
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
    pub fn close(&mut self, watermark: EventTime, mut emit: impl FnMut(Window, &WindowAggregate)) {
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
    pub fn emit_changed(&mut self, mut emit: impl FnMut(Window, &WindowAggregate)) {
        let starts = self.open_window_starts(|pane| pane.changed);
        for start in starts {
            self.emit_window(start, &mut emit);
        }
        for pane in self.panes.values_mut() {
            pane.changed = false;
        }
    }

    /// Starts of the open windows containing a pane that satisfies `which`, sorted.
    fn open_window_starts(&self, which: impl Fn(&WindowAggregate) -> bool) -> Vec<i64> {
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
    fn emit_window(&mut self, start: i64, emit: &mut impl FnMut(Window, &WindowAggregate)) {
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
    pub fn resume_at(&mut self, watermark: EventTime) {
        self.first_open_start = self.open_start_for(watermark);
    }

    /// Whether a restored pane at `start` lies where panes can be: on a pane boundary, in an open
    /// window.
    pub fn fits_pane(&self, start: EventTime) -> bool {
        start.millis().rem_euclid(self.pane) == 0 && start.millis() >= self.first_open_start
    }

    /// Number of panes held.
    pub fn len(&self) -> usize {
        self.panes.len()
    }

    /// Whether no pane is held.
    pub fn is_empty(&self) -> bool {
        self.panes.is_empty()
    }

    /// Σ over panes of the item pairs in them.
    pub fn pair_keys(&self) -> usize {
        self.panes
            .values()
            .map(|pane| pane.pairs.pair_count())
            .sum()
    }

    /// Open windows with data, panes, and the store and item keys in the panes.
    pub fn size(&self) -> (usize, usize, usize, usize) {
        let open_windows = self.open_window_starts(|_| true).len();
        let store_keys = self.panes.values().map(WindowAggregate::store_count).sum();
        let item_keys = self.panes.values().map(WindowAggregate::item_count).sum();
        (open_windows, self.panes.len(), store_keys, item_keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::TimeSpan;

    fn store(length_s: i64, slide_s: i64) -> WindowStore {
        WindowStore::new(
            &Windowing::new(TimeSpan::from_secs(length_s), TimeSpan::from_secs(slide_s)).unwrap(),
        )
    }

    fn closed(store: &mut WindowStore, watermark_s: i64) -> Vec<(i64, i64, u64)> {
        let mut emitted = Vec::new();
        store.close(EventTime::from_secs(watermark_s), |window, aggregate| {
            emitted.push((
                window.start.millis() / 1000,
                window.end.millis() / 1000,
                aggregate.receipts,
            ));
        });
        emitted
    }

    #[test]
    fn contributions_add_up_per_pane_and_store_and_item() {
        let mut names = Names::default();
        let lines = [
            names.line("Item_1_MILK", "Milk Products", 2),
            names.line("Item_2_MILK", "Milk Products", 1),
            names.line("Item_1_MILK", "Patisserie", 5),
        ];
        let mut store = store(10, 10);
        let first = Contribution {
            store: 7,
            total: Money::from_hundredths(1_050),
            units: 8,
            lines: &lines,
            basket: &[],
            max_basket: 50,
        };
        let second = Contribution {
            store: 7,
            total: Money::from_hundredths(50),
            units: 2,
            lines: &lines[..1],
            basket: &[],
            max_basket: 50,
        };
        assert!(store.try_add(EventTime::from_secs(1), &first));
        assert!(store.try_add(EventTime::from_secs(9), &second));
        assert!(store.try_add(EventTime::from_secs(10), &first));
        let (_, aggregate) = store.panes().next().unwrap();
        assert_eq!(
            (aggregate.receipts, aggregate.revenue, aggregate.units),
            (2, Money::from_hundredths(1_100), 10)
        );
        let stores: Vec<_> = aggregate.stores().collect();
        assert_eq!(
            stores,
            [(
                7,
                StoreTotals {
                    revenue: Money::from_hundredths(1_100),
                    receipts: 2
                }
            )]
        );
        let mut items: Vec<_> = aggregate.items(&names).collect();
        items.sort_unstable();
        assert_eq!(items, [(0, 0, 4), (0, 1, 1), (1, 0, 5)]);
        assert_eq!(store.size(), (2, 2, 2, 6));
    }

    #[test]
    fn tumbling_windows_close_in_order_once_the_watermark_reaches_their_end() {
        let mut store = store(10, 10);
        let contribution = Contribution {
            store: 0,
            total: Money::ZERO,
            units: 1,
            lines: &[],
            basket: &[],
            max_basket: 50,
        };
        for s in [25, 3, 14, 15] {
            assert!(store.try_add(EventTime::from_secs(s), &contribution));
        }
        assert_eq!(closed(&mut store, 9), []);
        assert_eq!(closed(&mut store, 20), [(0, 10, 1), (10, 20, 2)]);
        assert_eq!(store.len(), 1);
        assert_eq!(closed(&mut store, 20), []);
        // A recycled pane starts empty.
        assert!(store.try_add(EventTime::from_secs(41), &contribution));
        assert_eq!(
            closed(&mut store, i64::MAX / 1000),
            [(20, 30, 1), (40, 50, 1)]
        );
        assert!(store.is_empty());
    }

    #[test]
    fn sliding_windows_merge_their_panes() {
        let mut store = store(10, 2);
        let contribution = Contribution {
            store: 0,
            total: Money::ZERO,
            units: 1,
            lines: &[],
            basket: &[],
            max_basket: 50,
        };
        for s in [1, 3, 3, 9, 12] {
            assert!(store.try_add(EventTime::from_secs(s), &contribution));
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
        let mut store = store(10, 2);
        let contribution = Contribution {
            store: 0,
            total: Money::ZERO,
            units: 1,
            lines: &[],
            basket: &[],
            max_basket: 50,
        };
        assert!(store.try_add(EventTime::from_secs(50), &contribution));
        assert_eq!(closed(&mut store, 30), []);
        // Windows starting before 22 s have ended; a record at 31 s may only reach [22, 32) onwards.
        assert!(store.try_add(EventTime::from_secs(31), &contribution));
        let emitted = closed(&mut store, 100);
        assert_eq!(emitted[0], (22, 32, 1));
        assert_eq!(
            emitted.len(),
            10,
            "starts 22 … 30 s for the record at 31 s, 42 … 50 s for 50 s"
        );
    }
}
