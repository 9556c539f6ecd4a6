//! Open-window state: one aggregate per window that has received data and not yet closed, keyed by
//! window start. A window is removed — and its memory reused — as soon as the watermark passes its
//! end, so state is bounded by the number of windows between the watermark and the newest record,
//! not by how long the stream has run.
//!
//! Per-store and per-item totals are dense vectors indexed by interned id (a store or item absent
//! from the window reads as zero), so adding a record to a window is a few array updates.

use std::collections::BTreeMap;

use crate::intern::FastMap;
use crate::money::Money;
use crate::names::{ItemLine, Names};
use crate::time::EventTime;
use crate::window::Window;

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
}

/// Everything the analyses need about one window.
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
}

impl WindowAggregate {
    #[inline]
    fn add(&mut self, contribution: &Contribution<'_>) {
        self.receipts += 1;
        self.revenue = self.revenue.plus(contribution.total);
        self.units = self.units.saturating_add(contribution.units);
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
        *sold = sold.saturating_add(quantity);
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

    /// Empties the aggregate, keeping its allocations for the next window.
    fn clear(&mut self) {
        self.receipts = 0;
        self.revenue = Money::ZERO;
        self.units = 0;
        self.changed = false;
        self.stores.clear();
        self.items.clear();
        self.other_items.clear();
    }
}

/// How much state is held: for showing it stays flat over a long run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateSize {
    /// Windows with data that have not closed.
    pub open_windows: usize,
    /// Σ over open windows of the stores in them.
    pub store_keys: usize,
    /// Σ over open windows of the items in them.
    pub item_keys: usize,
    /// Distinct store ids, categories and item names ever seen (bounded by the catalog).
    pub interned_names: usize,
    /// Known source partitions.
    pub partitions: usize,
}

/// Aggregates kept for reuse, at most this many.
const SPARE_LIMIT: usize = 16;

/// The open windows, by start.
#[derive(Debug, Clone)]
pub struct WindowStore {
    length: i64,
    open: BTreeMap<i64, WindowAggregate>,
    spare: Vec<WindowAggregate>,
}

impl WindowStore {
    /// No open windows; every window is `length` ms long.
    pub fn new(length: i64) -> Self {
        WindowStore {
            length,
            open: BTreeMap::new(),
            spare: Vec::new(),
        }
    }

    /// Adds a record's contribution to `window`, opening it if needed.
    #[inline]
    pub fn add(&mut self, window: Window, contribution: &Contribution<'_>) {
        let spare = &mut self.spare;
        self.open
            .entry(window.start.millis())
            .or_insert_with(|| spare.pop().unwrap_or_default())
            .add(contribution);
    }

    /// Puts back a window read from a checkpoint.
    pub fn insert(&mut self, start: EventTime, aggregate: WindowAggregate) {
        self.open.insert(start.millis(), aggregate);
    }

    fn window_at(&self, start: i64) -> Window {
        Window {
            start: EventTime(start),
            end: EventTime(start.saturating_add(self.length)),
        }
    }

    /// Removes and returns the earliest open window if it ends at or before `watermark`.
    pub fn pop_closed(&mut self, watermark: EventTime) -> Option<(Window, WindowAggregate)> {
        let (&start, _) = self.open.first_key_value()?;
        let window = self.window_at(start);
        if window.end > watermark {
            return None;
        }
        self.open
            .remove(&start)
            .map(|aggregate| (window, aggregate))
    }

    /// Hands a closed window's aggregate back for reuse.
    pub fn recycle(&mut self, mut aggregate: WindowAggregate) {
        if self.spare.len() < SPARE_LIMIT {
            aggregate.clear();
            self.spare.push(aggregate);
        }
    }

    /// Open windows, earliest first.
    pub fn iter(&self) -> impl Iterator<Item = (Window, &WindowAggregate)> {
        self.open
            .iter()
            .map(|(&start, aggregate)| (self.window_at(start), aggregate))
    }

    /// Open windows, earliest first, mutably (to clear `changed`).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Window, &mut WindowAggregate)> {
        let length = self.length;
        self.open.iter_mut().map(move |(&start, aggregate)| {
            let end = EventTime(start.saturating_add(length));
            (
                Window {
                    start: EventTime(start),
                    end,
                },
                aggregate,
            )
        })
    }

    /// Number of open windows.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// Whether no window is open.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Open windows, and the store and item keys in them.
    pub fn size(&self) -> (usize, usize, usize) {
        let store_keys = self.open.values().map(WindowAggregate::store_count).sum();
        let item_keys = self.open.values().map(WindowAggregate::item_count).sum();
        (self.open.len(), store_keys, item_keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start_s: i64) -> Window {
        Window {
            start: EventTime::from_secs(start_s),
            end: EventTime::from_secs(start_s + 10),
        }
    }

    #[test]
    fn contributions_add_up_per_window_and_store_and_item() {
        let mut names = Names::default();
        let lines = [
            names.line("Item_1_MILK", "Milk Products", 2),
            names.line("Item_2_MILK", "Milk Products", 1),
            names.line("Item_1_MILK", "Patisserie", 5),
        ];
        let mut store = WindowStore::new(10_000);
        let first = Contribution {
            store: 7,
            total: Money::from_hundredths(1_050),
            units: 8,
            lines: &lines,
        };
        let second = Contribution {
            store: 7,
            total: Money::from_hundredths(50),
            units: 2,
            lines: &lines[..1],
        };
        store.add(window(0), &first);
        store.add(window(0), &second);
        store.add(window(10), &first);
        let (_, aggregate) = store.iter().next().unwrap();
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
        assert_eq!(store.size(), (2, 2, 6));
    }

    #[test]
    fn windows_close_in_order_once_the_watermark_reaches_their_end() {
        let mut store = WindowStore::new(10_000);
        let contribution = Contribution {
            store: 0,
            total: Money::ZERO,
            units: 1,
            lines: &[],
        };
        for start in [20, 0, 10] {
            store.add(window(start), &contribution);
        }
        assert!(store.pop_closed(EventTime(9_999)).is_none());
        let (closed, aggregate) = store.pop_closed(EventTime::from_secs(20)).unwrap();
        assert_eq!(closed, window(0));
        store.recycle(aggregate);
        assert_eq!(
            store.pop_closed(EventTime::from_secs(20)).unwrap().0,
            window(10)
        );
        assert!(store.pop_closed(EventTime::from_secs(20)).is_none());
        assert_eq!(store.len(), 1);
        // A recycled aggregate starts empty.
        store.add(window(40), &contribution);
        let (_, reused) = store.iter().last().unwrap();
        assert_eq!((reused.receipts, reused.store_count()), (1, 1));
    }
}
