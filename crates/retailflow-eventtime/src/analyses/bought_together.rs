//! Bought together: per window, every unordered pair of distinct items in the same receipt, counted
//! once per receipt, with how many receipts hold each item. When the window closes the pairs in at
//! least `min_receipts` receipts are ranked by receipts (ties by name `a`, then `b`) and the top
//! ones are emitted with support, confidences and lift.
//!
//! The counts live in each pane ([`PairCounts`]) and merge, so sliding windows cost one merge per
//! window. Pairs of the first [`DENSE_ITEMS`] items interned (a retail catalog's worth) are counted
//! in a triangular array, a few array increments per receipt; pairs with a later item in a hash
//! map. A receipt with more than `max_basket` distinct items adds no pairs (a 10,000-item receipt
//! would cost 50 million updates); it is still counted in N and in its items' receipt counts, and
//! in [`Counters::large_baskets`].
//!
//! `{"kind":"bought_together","window_start":T,"window_end":T,"receipts":N,"pairs":[{"a":s,"b":s,"receipts":n,"support":x,"confidence_ab":x,"confidence_ba":x,"lift":x}]}`

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::analyses::{Accumulator, Analysis, AnalysisResult, Record, TableSpec, WindowClose};
use crate::config::EngineConfig;
use crate::engine::Counters;
use crate::intern::{FastMap, Interner};
use crate::names::{IdMap, Names};
use crate::output::Output;
use crate::partition::StageEvent;
use crate::render;
use crate::time::EventTime;
use crate::window::Window;

/// Items whose pairs are counted in the triangular array: 256 items make 32,640 pairs, 255 KiB of
/// counts per pane.
pub const DENSE_ITEMS: u32 = 256;

/// Settings of the bought-together pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PairSettings {
    /// Pairs kept per window (`--top-pairs`, default 10).
    pub top: usize,
    /// Pairs in fewer receipts of the window are left out (`--min-pair-receipts`, default 2).
    pub min_receipts: u64,
    /// A receipt with more distinct items adds no pairs (`--max-basket`, default 50).
    pub max_basket: usize,
}

impl Default for PairSettings {
    fn default() -> Self {
        PairSettings {
            top: 10,
            min_receipts: 2,
            max_basket: 50,
        }
    }
}

/// The most frequent item pairs of one window, most receipts first, ties by `a` then `b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoughtTogether {
    /// Window start.
    pub window_start: EventTime,
    /// Window end (exclusive).
    pub window_end: EventTime,
    /// Receipts in the window (N).
    pub receipts: u64,
    /// At most `top_pairs` entries, each in at least `min_pair_receipts` receipts.
    pub pairs: Vec<ItemPair>,
    /// False while the window is still open (update mode).
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// Two items bought in the same receipts: `a < b` in byte order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemPair {
    /// The first item name.
    pub a: String,
    /// The second item name.
    pub b: String,
    /// Receipts holding both (n).
    pub receipts: u64,
    /// n / N.
    pub support: f64,
    /// n / receipts holding `a`.
    pub confidence_ab: f64,
    /// n / receipts holding `b`.
    pub confidence_ba: f64,
    /// n·N / (receipts holding `a` × receipts holding `b`): above 1, bought together more often
    /// than chance.
    pub lift: f64,
}

/// Index of the pair `low < high < DENSE_ITEMS` in the triangular array.
#[inline]
fn dense_index(low: u32, high: u32) -> usize {
    let high = high as usize;
    high * (high - 1) / 2 + low as usize
}

/// Length of the triangular array holding every pair of items below `items`.
#[inline]
fn dense_len(items: usize) -> usize {
    items * items.saturating_sub(1) / 2
}

/// The pair `(low, high)` at `index` of the triangular array.
fn dense_pair(index: usize) -> (u32, u32) {
    let mut high = 1usize;
    while dense_index(0, high as u32 + 1) <= index {
        high += 1;
    }
    ((index - dense_index(0, high as u32)) as u32, high as u32)
}

fn pair_key(low: u32, high: u32) -> u64 {
    (u64::from(low) << 32) | u64::from(high)
}

/// Receipts per item and per item pair of one pane or window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairCounts {
    /// Receipts holding each item, by item id.
    item_receipts: Vec<u64>,
    /// Receipts holding both items of a pair of items below [`DENSE_ITEMS`], by [`dense_index`]
    /// (half the bytes of 64-bit counts, so more of it stays in the processor's caches).
    dense: Vec<u32>,
    /// Receipts holding both items of the other pairs, keyed by [`pair_key`]; for pairs of the
    /// dense items, what their count holds beyond `u32::MAX`.
    sparse: FastMap<u64, u64>,
}

impl PairCounts {
    /// Adds one receipt's distinct items (sorted, no repeats); pairs only when there are at most
    /// `max_basket` of them.
    #[inline]
    pub(crate) fn add(&mut self, basket: &[u32], max_basket: usize) {
        let Some(&last) = basket.last() else {
            return;
        };
        if last as usize >= self.item_receipts.len() {
            self.item_receipts.resize(last as usize + 1, 0);
        }
        for &item in basket {
            self.item_receipts[item as usize] += 1;
        }
        if basket.len() > max_basket {
            return;
        }
        let needed = dense_len((last.min(DENSE_ITEMS - 1) + 1) as usize);
        if needed > self.dense.len() {
            self.dense.resize(needed, 0);
        }
        for (position, &high) in basket.iter().enumerate().skip(1) {
            if high < DENSE_ITEMS {
                let row = &mut self.dense[dense_index(0, high)..];
                for &low in &basket[..position] {
                    let cell = &mut row[low as usize];
                    match cell.checked_add(1) {
                        Some(next) => *cell = next,
                        None => *self.sparse.entry(pair_key(low, high)).or_insert(0) += 1,
                    }
                }
            } else {
                for &low in &basket[..position] {
                    *self.sparse.entry(pair_key(low, high)).or_insert(0) += 1;
                }
            }
        }
    }

    /// Receipts holding `item`.
    fn item_receipts(&self, item: u32) -> u64 {
        self.item_receipts.get(item as usize).copied().unwrap_or(0)
    }

    /// `(item id, receipts)`, by id, items in no receipt left out.
    fn items(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.item_receipts
            .iter()
            .enumerate()
            .filter(|(_, receipts)| **receipts > 0)
            .map(|(item, &receipts)| (item as u32, receipts))
    }

    /// `(low id, high id, receipts)` of every pair held; unordered.
    fn pairs(&self) -> impl Iterator<Item = (u32, u32, u64)> + '_ {
        let dense = (1..DENSE_ITEMS)
            .take_while(|&high| dense_index(0, high) < self.dense.len())
            .flat_map(move |high| {
                let row = &self.dense[dense_index(0, high)..dense_index(0, high) + high as usize];
                row.iter()
                    .enumerate()
                    .filter(|(_, receipts)| **receipts > 0)
                    .map(move |(low, &receipts)| {
                        let low = low as u32;
                        (low, high, u64::from(receipts) + self.overflow(low, high))
                    })
            });
        let sparse = self
            .sparse
            .iter()
            .filter(|&(&key, &receipts)| receipts > 0 && key as u32 >= DENSE_ITEMS)
            .map(|(&key, &receipts)| ((key >> 32) as u32, key as u32, receipts));
        dense.chain(sparse)
    }

    /// Adds `receipts` to the pair `low < high`; dense pairs have room already.
    #[inline]
    fn add_count(&mut self, low: u32, high: u32, receipts: u64) {
        if high < DENSE_ITEMS
            && let Some(cell) = self.dense.get_mut(dense_index(low, high))
        {
            match u32::try_from(receipts)
                .ok()
                .and_then(|receipts| cell.checked_add(receipts))
            {
                Some(sum) => *cell = sum,
                None => {
                    let sum = u64::from(*cell) + receipts;
                    *cell = u32::MAX;
                    *self.sparse.entry(pair_key(low, high)).or_insert(0) +=
                        sum - u64::from(u32::MAX);
                }
            }
        } else if high < DENSE_ITEMS {
            let current = self.pair(low, high);
            self.set_pair(low, high, current + receipts);
        } else {
            *self.sparse.entry(pair_key(low, high)).or_insert(0) += receipts;
        }
    }

    /// What a dense pair's count holds beyond `u32::MAX`.
    fn overflow(&self, low: u32, high: u32) -> u64 {
        if self.sparse.is_empty() {
            return 0;
        }
        self.sparse.get(&pair_key(low, high)).copied().unwrap_or(0)
    }

    fn pair(&self, low: u32, high: u32) -> u64 {
        if high < DENSE_ITEMS {
            let dense = self.dense.get(dense_index(low, high)).copied().unwrap_or(0);
            u64::from(dense) + self.overflow(low, high)
        } else {
            self.sparse.get(&pair_key(low, high)).copied().unwrap_or(0)
        }
    }

    fn set_pair(&mut self, low: u32, high: u32, receipts: u64) {
        if high < DENSE_ITEMS {
            let needed = dense_len(high as usize + 1);
            if needed > self.dense.len() {
                self.dense.resize(needed, 0);
            }
            let dense = u32::try_from(receipts).unwrap_or(u32::MAX);
            self.dense[dense_index(low, high)] = dense;
            let beyond = receipts - u64::from(dense);
            if beyond > 0 {
                self.sparse.insert(pair_key(low, high), beyond);
            } else if !self.sparse.is_empty() {
                self.sparse.remove(&pair_key(low, high));
            }
        } else {
            self.sparse.insert(pair_key(low, high), receipts);
        }
    }
}

impl Accumulator for PairCounts {
    type Saved = SavedPairCounts;

    fn merge_from(&mut self, other: &Self) {
        if other.item_receipts.len() > self.item_receipts.len() {
            self.item_receipts.resize(other.item_receipts.len(), 0);
        }
        for (mine, theirs) in self.item_receipts.iter_mut().zip(&other.item_receipts) {
            *mine += *theirs;
        }
        if other.dense.len() > self.dense.len() {
            self.dense.resize(other.dense.len(), 0);
        }
        let mut spilled = Vec::new();
        for (index, (mine, theirs)) in self.dense.iter_mut().zip(&other.dense).enumerate() {
            match mine.checked_add(*theirs) {
                Some(sum) => *mine = sum,
                None => {
                    let sum = u64::from(*mine) + u64::from(*theirs);
                    *mine = u32::MAX;
                    spilled.push((index, sum - u64::from(u32::MAX)));
                }
            }
        }
        for (index, beyond) in spilled {
            let (low, high) = dense_pair(index);
            *self.sparse.entry(pair_key(low, high)).or_insert(0) += beyond;
        }
        for (&key, &receipts) in &other.sparse {
            *self.sparse.entry(key).or_insert(0) += receipts;
        }
    }

    fn merge_mapped(&mut self, other: &Self, ids: &IdMap, _names: &Names) {
        for (item, receipts) in other.items() {
            let index = ids.item(item) as usize;
            if index >= self.item_receipts.len() {
                self.item_receipts.resize(index + 1, 0);
            }
            self.item_receipts[index] += receipts;
        }
        let highest = other
            .item_receipts
            .iter()
            .enumerate()
            .filter(|(_, receipts)| **receipts > 0)
            .map(|(item, _)| ids.item(item as u32))
            .max();
        if let Some(highest) = highest {
            let needed = dense_len((highest.min(DENSE_ITEMS - 1) + 1) as usize);
            if needed > self.dense.len() {
                self.dense.resize(needed, 0);
            }
        }
        // Row by row over the other's triangular array, each row's item mapped once.
        let mut rows = 0;
        while rows < DENSE_ITEMS && dense_len(rows as usize + 1) <= other.dense.len() {
            rows += 1;
        }
        let mapped: Vec<u32> = (0..rows).map(|item| ids.item(item)).collect();
        for (high, &to_high) in mapped.iter().enumerate().skip(1) {
            let start = dense_index(0, high as u32);
            for (low, &receipts) in other.dense[start..start + high].iter().enumerate() {
                if receipts == 0 {
                    continue;
                }
                let receipts = u64::from(receipts) + other.overflow(low as u32, high as u32);
                let to_low = mapped[low];
                let (a, b) = if to_low < to_high {
                    (to_low, to_high)
                } else {
                    (to_high, to_low)
                };
                self.add_count(a, b, receipts);
            }
        }
        for (&key, &receipts) in &other.sparse {
            let (low, high) = ((key >> 32) as u32, key as u32);
            if receipts > 0 && high >= DENSE_ITEMS {
                let (a, b) = (ids.item(low), ids.item(high));
                let (low, high) = if a < b { (a, b) } else { (b, a) };
                self.add_count(low, high, receipts);
            }
        }
    }

    fn clear(&mut self) {
        self.item_receipts.clear();
        self.dense.clear();
        self.sparse.clear();
    }

    fn keys(&self) -> usize {
        self.pairs().count()
    }

    fn save(&self) -> Self::Saved {
        let mut pairs: Vec<(u32, u32, u64)> = self.pairs().collect();
        pairs.sort_unstable();
        SavedPairCounts {
            items: self.items().collect(),
            pairs,
        }
    }

    fn restore(saved: Self::Saved, names: &Names) -> Result<Self, String> {
        let mut counts = PairCounts::default();
        let known = names.items.len();
        if !saved.items.windows(2).all(|pair| pair[0].0 < pair[1].0) {
            return Err("items are listed out of order or twice".to_owned());
        }
        for (item, receipts) in saved.items {
            if item as usize >= known || receipts == 0 {
                return Err(format!("receipts of unknown item #{item}"));
            }
            if item as usize >= counts.item_receipts.len() {
                counts.item_receipts.resize(item as usize + 1, 0);
            }
            counts.item_receipts[item as usize] = receipts;
        }
        if !saved
            .pairs
            .windows(2)
            .all(|pair| (pair[0].0, pair[0].1) < (pair[1].0, pair[1].1))
        {
            return Err("pairs are listed out of order or twice".to_owned());
        }
        for (low, high, receipts) in saved.pairs {
            if low >= high || high as usize >= known || receipts == 0 {
                return Err(format!("a bad pair #{low}/#{high}"));
            }
            counts.set_pair(low, high, receipts);
        }
        Ok(counts)
    }
}

/// [`PairCounts`] in a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SavedPairCounts {
    /// `[item index, receipts holding it]`, by item index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<(u32, u64)>,
    /// `[item index, item index, receipts holding both]`, sorted, lower index first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<(u32, u32, u64)>,
}

/// Counts and ranks the pairs of each window.
#[derive(Debug, Clone)]
pub struct BoughtTogetherAnalysis {
    settings: PairSettings,
}

impl Analysis for BoughtTogetherAnalysis {
    const NAME: &'static str = "bought-together";
    const USES_BASKET: bool = true;
    type Pane = PairCounts;
    type Saved = ();
    type Note = ();

    fn new(config: &EngineConfig) -> Self {
        BoughtTogetherAnalysis {
            settings: config.pairs,
        }
    }

    #[inline]
    fn add(&self, pane: &mut Self::Pane, record: &Record<'_>) {
        pane.add(record.basket, self.settings.max_basket);
    }

    #[inline]
    fn observe(
        &self,
        record: &Record<'_>,
        counters: &mut Counters,
        _events: &mut Vec<StageEvent>,
    ) -> Option<()> {
        if !record.late && record.basket.len() > self.settings.max_basket {
            counters.large_baskets += 1;
        }
        None
    }

    fn emit(
        &mut self,
        close: &WindowClose<'_>,
        pane: &Self::Pane,
        _counters: &mut Counters,
        out: &mut Vec<Output>,
    ) {
        out.push(Output::BoughtTogether(rank(
            close.window,
            close.totals.receipts,
            pane,
            &close.names.items,
            self.settings,
            close.is_final,
        )));
    }
}

/// The window's top pairs, `total` being the receipts in it.
fn rank(
    window: Window,
    total: u64,
    counts: &PairCounts,
    items: &Interner,
    settings: PairSettings,
    is_final: bool,
) -> BoughtTogether {
    let mut ranked: Vec<(&str, &str, u32, u32, u64)> = counts
        .pairs()
        .filter(|&(_, _, receipts)| receipts >= settings.min_receipts)
        .map(|(first, second, receipts)| {
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

impl AnalysisResult for BoughtTogether {
    const KIND: &'static str = "bought_together";
    const PROVISIONAL: bool = true;
    const TABLE: TableSpec = TableSpec {
        title: "Bought together",
        columns: &[
            "window_start",
            "window_end",
            "rank",
            "a",
            "b",
            "receipts",
            "support",
            "confidence_ab",
            "confidence_ba",
            "lift",
        ],
    };

    fn window(&self) -> Option<Window> {
        Some(Window {
            start: self.window_start,
            end: self.window_end,
        })
    }

    fn is_final(&self) -> bool {
        self.is_final
    }

    fn write_json(&self, with_final: bool, out: &mut Vec<u8>) {
        render::window_head(out, Self::KIND, self.window_start, self.window_end);
        render::key(out, "receipts");
        render::number(out, self.receipts);
        out.extend_from_slice(b",\"pairs\":[");
        for (index, pair) in self.pairs.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"a\":");
            render::string(out, &pair.a);
            render::key(out, "b");
            render::string(out, &pair.b);
            render::key(out, "receipts");
            render::number(out, pair.receipts);
            render::key(out, "support");
            render::rounded(out, pair.support, 4);
            render::key(out, "confidence_ab");
            render::rounded(out, pair.confidence_ab, 4);
            render::key(out, "confidence_ba");
            render::rounded(out, pair.confidence_ba, 4);
            render::key(out, "lift");
            render::rounded(out, pair.lift, 4);
            out.push(b'}');
        }
        out.push(b']');
        render::window_tail(out, with_final, self.is_final);
    }

    fn table_rows(&self, rows: &mut Vec<Vec<Option<String>>>) {
        for (rank, pair) in self.pairs.iter().enumerate() {
            let mut cells = render::window_cells(self.window_start, self.window_end);
            cells.extend([
                Some((rank + 1).to_string()),
                Some(pair.a.clone()),
                Some(pair.b.clone()),
                Some(pair.receipts.to_string()),
                Some(format!("{:.4}", pair.support)),
                Some(format!("{:.4}", pair.confidence_ab)),
                Some(format!("{:.4}", pair.confidence_ba)),
                Some(format!("{:.4}", pair.lift)),
            ]);
            rows.push(cells);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts of `receipts` and how many there are.
    fn counted(receipts: &[&[&str]], names: &mut Interner, max_basket: usize) -> (PairCounts, u64) {
        let mut counts = PairCounts::default();
        let mut basket = Vec::new();
        for receipt in receipts {
            distinct_items(receipt.iter().map(|name| names.intern(name)), &mut basket);
            counts.add(&basket, max_basket);
        }
        (counts, receipts.len() as u64)
    }

    const WINDOW: Window = Window {
        start: EventTime(0),
        end: EventTime(10_000),
    };

    #[test]
    fn pairs_count_once_per_receipt_with_support_confidence_and_lift() {
        let mut names = Interner::default();
        // Interned out of byte order, so `a < b` must come from the names.
        let (counts, total) = counted(
            &[
                &["milk", "bread", "milk"],
                &["bread", "milk"],
                &["bread", "eggs"],
                &["milk"],
                &["bread", "eggs", "milk", "tea"], // 4 distinct > max basket 3: no pairs
            ],
            &mut names,
            3,
        );
        let settings = PairSettings {
            top: 10,
            min_receipts: 1,
            max_basket: 3,
        };
        let result = rank(WINDOW, total, &counts, &names, settings, true);
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
        let (counts, total) = counted(
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
            50,
        );
        let settings = PairSettings {
            top: 2,
            min_receipts: 2,
            max_basket: 50,
        };
        let result = rank(WINDOW, total, &counts, &names, settings, false);
        let got: Vec<_> = result
            .pairs
            .iter()
            .map(|pair| (pair.a.as_str(), pair.b.as_str()))
            .collect();
        assert_eq!(got, [("a", "b"), ("a", "c")]);
        assert!(!result.is_final);
        let none = rank(
            WINDOW,
            total,
            &counts,
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
        let (first, _) = counted(&[&["a", "b"], &["a", "c"]], &mut names, 50);
        let (second, _) = counted(&[&["a", "b"]], &mut names, 50);
        let mut merged = PairCounts::default();
        merged.merge_from(&first);
        merged.merge_from(&second);
        let (one, _) = counted(&[&["a", "b"], &["a", "c"], &["a", "b"]], &mut names, 50);
        assert_eq!(merged.save(), one.save());
        assert_eq!(merged.save().pairs, [(0, 1, 2), (0, 2, 1)]);
    }

    #[test]
    fn pairs_beyond_the_dense_items_count_the_same_and_restore_exactly() {
        let mut names = Names::default();
        for n in 0..DENSE_ITEMS + 10 {
            names.items.intern(&format!("item{n:04}"));
        }
        let (low, high, far) = (3, DENSE_ITEMS - 1, DENSE_ITEMS + 5);
        let mut counts = PairCounts::default();
        counts.add(&[low, high, far], 50);
        counts.add(&[low, far], 50);
        counts.add(&[low, high], 50);
        let saved = counts.save();
        assert_eq!(saved.pairs, [(low, high, 2), (low, far, 2), (high, far, 1)]);
        assert_eq!(saved.items, [(low, 3), (high, 2), (far, 2)]);
        assert_eq!(counts.keys(), 3);
        let restored = PairCounts::restore(saved.clone(), &names).unwrap();
        assert_eq!(restored.save(), saved);
        let mut merged = restored.clone();
        merged.merge_from(&counts);
        assert_eq!(
            merged.save().pairs,
            [(low, high, 4), (low, far, 4), (high, far, 2)]
        );
    }

    #[test]
    fn merged_under_other_ids_pairs_count_the_same() {
        // Ids reversed: dense pairs land beyond the dense items and the far ones among them.
        let items = DENSE_ITEMS + 10;
        let ids = IdMap {
            items: (0..items).rev().collect(),
            ..IdMap::default()
        };
        let (low, high, far) = (3, DENSE_ITEMS - 1, DENSE_ITEMS + 5);
        let mut counts = PairCounts::default();
        counts.add(&[low, high, far], 50);
        counts.add(&[low, far], 50);
        counts.add(&[0, 1], 50);
        counts.set_pair(1, 2, u64::from(u32::MAX) + 7);
        let mut merged = PairCounts::default();
        merged.add(&[ids.item(1), ids.item(0)], 50);
        merged.merge_mapped(&counts, &ids, &Names::default());
        let mut expected: Vec<(u32, u32, u64)> = counts
            .save()
            .pairs
            .into_iter()
            .map(|(a, b, n)| {
                let (a, b) = (ids.item(a), ids.item(b));
                (
                    a.min(b),
                    a.max(b),
                    n + u64::from((a.min(b), a.max(b)) == (items - 2, items - 1)),
                )
            })
            .collect();
        expected.sort_unstable();
        assert_eq!(merged.save().pairs, expected);
        assert_eq!(merged.pair(items - 3, items - 2), u64::from(u32::MAX) + 7);
    }

    #[test]
    fn a_dense_count_past_u32_goes_on_exactly() {
        let mut names = Names::default();
        for n in 0..4 {
            names.items.intern(&format!("item{n}"));
        }
        let big = u64::from(u32::MAX) - 1;
        let mut counts = PairCounts::default();
        counts.set_pair(1, 3, big);
        for _ in 0..3 {
            counts.add(&[1, 3], 50);
        }
        assert_eq!(counts.pair(1, 3), big + 3);
        let mut merged = counts.clone();
        merged.merge_from(&counts);
        assert_eq!(merged.pair(1, 3), 2 * (big + 3));
        let saved = merged.save();
        assert_eq!(saved.pairs, [(1, 3, 2 * (big + 3))]);
        let restored = PairCounts::restore(saved, &names).unwrap();
        assert_eq!(restored.pair(1, 3), 2 * (big + 3));
        assert_eq!(
            (dense_pair(dense_index(1, 3)), dense_pair(0)),
            ((1, 3), (0, 1))
        );
    }
}
