//! Bought together: per window, every unordered pair of distinct items in the same receipt, counted
//! once per receipt, with how many receipts hold each item. When the window closes the pairs in at
//! least `min_receipts` receipts are ranked by receipts (ties by name `a`, then `b`) and the top
//! ones are emitted with support, confidences and lift.
//!
//! The counts live in each pane next to the other totals ([`PairCounts`]) and merge like them, so
//! sliding windows cost one merge per window. A receipt with more than `max_basket` distinct items
//! adds no pairs (a 10,000-item receipt would cost 50 million updates); it is still counted in N
//! and in its items' receipt counts, and in [`Counters::large_baskets`](crate::Counters).

use std::cmp::Ordering;

use crate::config::PairSettings;
use crate::intern::{FastMap, Interner};
use crate::output::{BoughtTogether, ItemPair};
use crate::state::WindowAggregate;
use crate::window::Window;

/// Receipts per item and per item pair of one pane or window.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PairCounts {
    /// Receipts holding each item, by item id.
    item_receipts: Vec<u64>,
    /// Receipts holding both items of a pair, keyed by [`pair_key`].
    pairs: FastMap<u64, u64>,
}

fn pair_key(low: u32, high: u32) -> u64 {
    (u64::from(low) << 32) | u64::from(high)
}

fn pair_ids(key: u64) -> (u32, u32) {
    ((key >> 32) as u32, key as u32)
}

impl PairCounts {
    /// Adds one receipt's distinct items (sorted, no repeats); pairs only when there are at most
    /// `max_basket` of them.
    #[inline]
    pub(crate) fn add(&mut self, basket: &[u32], max_basket: usize) {
        for &item in basket {
            let index = item as usize;
            if index >= self.item_receipts.len() {
                self.item_receipts.resize(index + 1, 0);
            }
            self.item_receipts[index] += 1;
        }
        if basket.len() > max_basket {
            return;
        }
        for (position, &low) in basket.iter().enumerate() {
            for &high in &basket[position + 1..] {
                *self.pairs.entry(pair_key(low, high)).or_insert(0) += 1;
            }
        }
    }

    pub(crate) fn merge_from(&mut self, other: &PairCounts) {
        if other.item_receipts.len() > self.item_receipts.len() {
            self.item_receipts.resize(other.item_receipts.len(), 0);
        }
        for (mine, theirs) in self.item_receipts.iter_mut().zip(&other.item_receipts) {
            *mine += *theirs;
        }
        for (&key, &receipts) in &other.pairs {
            *self.pairs.entry(key).or_insert(0) += receipts;
        }
    }

    pub(crate) fn clear(&mut self) {
        self.item_receipts.clear();
        self.pairs.clear();
    }

    /// Distinct pairs held.
    pub(crate) fn pair_count(&self) -> usize {
        self.pairs.len()
    }

    /// `(item id, receipts)`, by id, items in no receipt left out.
    pub(crate) fn items(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.item_receipts
            .iter()
            .enumerate()
            .filter(|(_, receipts)| **receipts > 0)
            .map(|(item, &receipts)| (item as u32, receipts))
    }

    /// `(low id, high id, receipts)`, sorted.
    pub(crate) fn pairs(&self) -> Vec<(u32, u32, u64)> {
        let mut pairs: Vec<(u32, u32, u64)> = self
            .pairs
            .iter()
            .map(|(&key, &receipts)| {
                let (low, high) = pair_ids(key);
                (low, high, receipts)
            })
            .collect();
        pairs.sort_unstable();
        pairs
    }

    /// Restores one item's receipt count.
    pub(crate) fn set_item(&mut self, item: u32, receipts: u64) {
        let index = item as usize;
        if index >= self.item_receipts.len() {
            self.item_receipts.resize(index + 1, 0);
        }
        self.item_receipts[index] = receipts;
    }

    /// Restores one pair's receipt count.
    pub(crate) fn set_pair(&mut self, low: u32, high: u32, receipts: u64) {
        self.pairs.insert(pair_key(low, high), receipts);
    }

    fn item_receipts(&self, item: u32) -> u64 {
        self.item_receipts.get(item as usize).copied().unwrap_or(0)
    }
}

/// The window's top pairs.
pub(crate) fn rank(
    window: Window,
    aggregate: &WindowAggregate,
    items: &Interner,
    settings: PairSettings,
    is_final: bool,
) -> BoughtTogether {
    let counts = &aggregate.pairs;
    let mut ranked: Vec<(&str, &str, u32, u32, u64)> = counts
        .pairs
        .iter()
        .filter(|(_, receipts)| **receipts >= settings.min_receipts)
        .map(|(&key, &receipts)| {
            let (first, second) = pair_ids(key);
            let (first_name, second_name) = (items.name(first), items.name(second));
            if first_name <= second_name {
                (first_name, second_name, first, second, receipts)
            } else {
                (second_name, first_name, second, first, receipts)
            }
        })
        .collect();
    let order = |x: &(&str, &str, u32, u32, u64), y: &(&str, &str, u32, u32, u64)| -> Ordering {
        y.4.cmp(&x.4)
            .then_with(|| x.0.cmp(y.0))
            .then_with(|| x.1.cmp(y.1))
    };
    let limit = settings.top;
    if ranked.len() > limit && limit > 0 {
        ranked.select_nth_unstable_by(limit - 1, order);
    }
    ranked.truncate(limit);
    ranked.sort_unstable_by(order);
    let total = aggregate.receipts;
    BoughtTogether {
        window_start: window.start,
        window_end: window.end,
        receipts: total,
        pairs: ranked
            .into_iter()
            .map(|(a, b, a_id, b_id, receipts)| {
                item_pair(
                    a.to_owned(),
                    b.to_owned(),
                    receipts,
                    [counts.item_receipts(a_id), counts.item_receipts(b_id)],
                    total,
                )
            })
            .collect(),
        is_final,
    }
}

/// The pair `a < b` in `n` of a window's `total` receipts, `a` in `items[0]` of them and `b` in
/// `items[1]`, with its support, confidences and lift.
pub fn item_pair(a: String, b: String, n: u64, items: [u64; 2], total: u64) -> ItemPair {
    let (n_ab, n_total) = (n as f64, total as f64);
    let (n_a, n_b) = (items[0] as f64, items[1] as f64);
    ItemPair {
        a,
        b,
        receipts: n,
        support: n_ab / n_total,
        confidence_ab: n_ab / n_a,
        confidence_ba: n_ab / n_b,
        lift: n_ab * n_total / (n_a * n_b),
    }
}

/// Sorts the receipt's item ids and removes repeats, into `basket`.
#[inline]
pub(crate) fn distinct_items(items: impl Iterator<Item = u32>, basket: &mut Vec<u32>) {
    basket.clear();
    basket.extend(items);
    basket.sort_unstable();
    basket.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::EventTime;

    fn counted(receipts: &[&[&str]], names: &mut Interner) -> WindowAggregate {
        let mut aggregate = WindowAggregate::default();
        let mut basket = Vec::new();
        for receipt in receipts {
            distinct_items(receipt.iter().map(|name| names.intern(name)), &mut basket);
            aggregate.pairs.add(&basket, 3);
            aggregate.receipts += 1;
        }
        aggregate
    }

    const WINDOW: Window = Window {
        start: EventTime(0),
        end: EventTime(10_000),
    };

    #[test]
    fn pairs_count_once_per_receipt_with_support_confidence_and_lift() {
        let mut names = Interner::default();
        // Interned out of byte order, so `a < b` must come from the names.
        let aggregate = counted(
            &[
                &["milk", "bread", "milk"],
                &["bread", "milk"],
                &["bread", "eggs"],
                &["milk"],
                &["bread", "eggs", "milk", "tea"], // 4 distinct > max basket 3: no pairs
            ],
            &mut names,
        );
        let settings = PairSettings {
            top: 10,
            min_receipts: 1,
            max_basket: 3,
        };
        let result = rank(WINDOW, &aggregate, &names, settings, true);
        assert_eq!(result.receipts, 5);
        let got: Vec<_> = result
            .pairs
            .iter()
            .map(|pair| (pair.a.as_str(), pair.b.as_str(), pair.receipts))
            .collect();
        assert_eq!(got, [("bread", "milk", 2), ("bread", "eggs", 1)]);
        let top = &result.pairs[0];
        // bread in 4 receipts, milk in 4, N = 5.
        assert_eq!(
            (top.support, top.confidence_ab, top.confidence_ba),
            (0.4, 0.5, 0.5)
        );
        assert_eq!(top.lift, 2.0 * 5.0 / 16.0);
    }

    #[test]
    fn the_minimum_and_the_top_n_and_ties_by_name() {
        let mut names = Interner::default();
        let aggregate = counted(
            &[
                &["d", "c"],
                &["d", "c"],
                &["b", "a"],
                &["b", "a"],
                &["a", "c"],
                &["a", "c"],
                &["x", "y"],
            ],
            &mut names,
        );
        let settings = PairSettings {
            top: 2,
            min_receipts: 2,
            max_basket: 50,
        };
        let result = rank(WINDOW, &aggregate, &names, settings, false);
        let got: Vec<_> = result
            .pairs
            .iter()
            .map(|pair| (pair.a.as_str(), pair.b.as_str()))
            .collect();
        assert_eq!(got, [("a", "b"), ("a", "c")]);
        assert!(!result.is_final);
        let none = rank(
            WINDOW,
            &aggregate,
            &names,
            PairSettings {
                min_receipts: 3,
                ..settings
            },
            true,
        );
        assert!(none.pairs.is_empty());
    }

    #[test]
    fn merged_panes_count_like_one() {
        let mut names = Interner::default();
        let first = counted(&[&["a", "b"], &["a", "c"]], &mut names);
        let second = counted(&[&["a", "b"]], &mut names);
        let mut merged = PairCounts::default();
        merged.merge_from(&first.pairs);
        merged.merge_from(&second.pairs);
        let one = counted(&[&["a", "b"], &["a", "c"], &["a", "b"]], &mut names);
        assert_eq!(merged.pairs(), one.pairs.pairs());
        assert_eq!(
            merged.items().collect::<Vec<_>>(),
            one.pairs.items().collect::<Vec<_>>()
        );
    }
}
