//! Open-window state: one aggregate per window that has received data and not yet closed, keyed by
//! window start. A window is removed — and its memory reused — as soon as the watermark passes its
//! end, so state is bounded by the number of windows between the watermark and the newest record,
//! not by how long the stream has run.

use std::collections::BTreeMap;

use crate::intern::FastMap;
use crate::money::Money;
use crate::time::EventTime;
use crate::window::Window;

/// Interned `(category, item)` pair: category id in the high 32 bits, item-name id in the low.
pub type ItemKey = u64;

/// Packs a category id and an item-name id into an [`ItemKey`].
#[inline]
pub fn item_key(category: u32, item: u32) -> ItemKey {
    (u64::from(category) << 32) | u64::from(item)
}

/// Splits an [`ItemKey`] into (category id, item-name id).
#[inline]
pub fn split_item_key(key: ItemKey) -> (u32, u32) {
    ((key >> 32) as u32, key as u32)
}

/// Revenue and receipt count of one store in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreTotals {
    /// Σ price × quantity over the store's receipts.
    pub revenue: Money,
    /// How many receipts.
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
    /// `(item, quantity)` per line.
    pub lines: &'a [(ItemKey, i64)],
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
    /// Per interned store.
    pub stores: FastMap<u32, StoreTotals>,
    /// Units sold per item.
    pub items: FastMap<ItemKey, i64>,
    /// Whether it changed since results were last emitted for it (update mode).
    pub changed: bool,
}

impl WindowAggregate {
    #[inline]
    fn add(&mut self, contribution: &Contribution<'_>) {
        self.receipts += 1;
        self.revenue = self.revenue.plus(contribution.total);
        self.units = self.units.saturating_add(contribution.units);
        let store = self.stores.entry(contribution.store).or_default();
        store.revenue = store.revenue.plus(contribution.total);
        store.receipts += 1;
        for &(item, quantity) in contribution.lines {
            let sold = self.items.entry(item).or_insert(0);
            *sold = sold.saturating_add(quantity);
        }
        self.changed = true;
    }

    /// Empties the aggregate, keeping its allocations for the next window.
    fn clear(&mut self) {
        self.receipts = 0;
        self.revenue = Money::ZERO;
        self.units = 0;
        self.stores.clear();
        self.items.clear();
        self.changed = false;
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
const SPARE_LIMIT: usize = 32;

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
            (
                Window {
                    start: EventTime(start),
                    end: EventTime(start.saturating_add(length)),
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

    /// Open windows and the keys in them.
    pub fn size(&self) -> (usize, usize, usize) {
        let store_keys = self
            .open
            .values()
            .map(|aggregate| aggregate.stores.len())
            .sum();
        let item_keys = self
            .open
            .values()
            .map(|aggregate| aggregate.items.len())
            .sum();
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
        let mut store = WindowStore::new(10_000);
        let lines = [(item_key(0, 1), 2), (item_key(0, 2), 1)];
        let first = Contribution {
            store: 7,
            total: Money::from_hundredths(1_050),
            units: 3,
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
        assert_eq!(aggregate.receipts, 2);
        assert_eq!(aggregate.revenue, Money::from_hundredths(1_100));
        assert_eq!(aggregate.units, 5);
        assert_eq!(
            aggregate.stores[&7],
            StoreTotals {
                revenue: Money::from_hundredths(1_100),
                receipts: 2
            }
        );
        assert_eq!(aggregate.items[&item_key(0, 1)], 4);
        assert_eq!(aggregate.items[&item_key(0, 2)], 1);
        assert_eq!(store.size(), (2, 2, 4));
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
        assert_eq!(split_item_key(item_key(3, 9)), (3, 9));
    }
}
