//! Top stores by revenue per window: revenue = Σ price × quantity of the store's receipts in the
//! window, highest first, ties broken by store id ascending; each with its receipt count.
//!
//! `{"kind":"top_stores","window_start":T,"window_end":T,"stores":[{"store_id":s,"revenue":x,"receipts":n}]}`

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::analyses::{Accumulator, Analysis, AnalysisResult, Record, TableSpec, WindowClose};
use crate::config::EngineConfig;
use crate::engine::Counters;
use crate::intern::Interner;
use crate::money::Money;
use crate::names::{IdMap, Names};
use crate::output::Output;
use crate::render;
use crate::time::EventTime;
use crate::window::Window;

/// Top stores by revenue in one window, highest first, ties by store id ascending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopStores {
    /// Window start.
    pub window_start: EventTime,
    /// Window end (exclusive).
    pub window_end: EventTime,
    /// At most `top_stores` entries.
    pub stores: Vec<StoreRevenue>,
    /// False while the window is still open (update mode).
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// One store's line in [`TopStores`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreRevenue {
    /// The store.
    pub store_id: String,
    /// Σ price × quantity of its receipts in the window.
    pub revenue: Money,
    /// How many receipts.
    pub receipts: u64,
}

/// Revenue and receipt count of one store in one pane or window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreTotals {
    /// Σ price × quantity over the store's receipts.
    pub revenue: Money,
    /// How many receipts (0: the store has none there).
    pub receipts: u64,
}

/// Totals per store of one pane or window, dense by interned store id (a store absent reads as
/// zero). Store anomalies keep the same per pane.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreTotalsByStore {
    stores: Vec<StoreTotals>,
}

impl StoreTotalsByStore {
    /// Adds one receipt of `store` with `total`.
    #[inline]
    pub(crate) fn add(&mut self, store: u32, total: Money) {
        let index = store as usize;
        if index >= self.stores.len() {
            self.stores.resize(index + 1, StoreTotals::default());
        }
        let totals = &mut self.stores[index];
        totals.revenue = totals.revenue.plus(total);
        totals.receipts += 1;
    }

    /// Stores with receipts: `(store id, totals)`, by id.
    pub(crate) fn stores(&self) -> impl Iterator<Item = (u32, StoreTotals)> + '_ {
        self.stores
            .iter()
            .enumerate()
            .filter(|(_, totals)| totals.receipts > 0)
            .map(|(store, &totals)| (store as u32, totals))
    }

    /// One store's totals (zero when it has no receipts).
    pub(crate) fn store(&self, store: u32) -> StoreTotals {
        self.stores.get(store as usize).copied().unwrap_or_default()
    }

    fn set(&mut self, store: u32, totals: StoreTotals) {
        let index = store as usize;
        if index >= self.stores.len() {
            self.stores.resize(index + 1, StoreTotals::default());
        }
        self.stores[index] = totals;
    }
}

impl Accumulator for StoreTotalsByStore {
    /// `[store index, revenue in hundredths, receipts]`, by store index, stores with receipts only.
    type Saved = Vec<(u32, i64, u64)>;

    fn merge_from(&mut self, other: &Self) {
        if other.stores.len() > self.stores.len() {
            self.stores
                .resize(other.stores.len(), StoreTotals::default());
        }
        for (mine, theirs) in self.stores.iter_mut().zip(&other.stores) {
            mine.revenue = mine.revenue.plus(theirs.revenue);
            mine.receipts += theirs.receipts;
        }
    }

    fn merge_mapped(&mut self, other: &Self, ids: &IdMap, _names: &Names) {
        for (store, totals) in other.stores() {
            let index = ids.store(store) as usize;
            if index >= self.stores.len() {
                self.stores.resize(index + 1, StoreTotals::default());
            }
            let mine = &mut self.stores[index];
            mine.revenue = mine.revenue.plus(totals.revenue);
            mine.receipts += totals.receipts;
        }
    }

    fn clear(&mut self) {
        self.stores.clear();
    }

    fn keys(&self) -> usize {
        self.stores
            .iter()
            .filter(|totals| totals.receipts > 0)
            .count()
    }

    fn save(&self) -> Self::Saved {
        self.stores()
            .map(|(store, totals)| (store, totals.revenue.hundredths(), totals.receipts))
            .collect()
    }

    fn restore(saved: Self::Saved, names: &Names) -> Result<Self, String> {
        if !saved.windows(2).all(|pair| pair[0].0 < pair[1].0) {
            return Err("stores are listed out of order or twice".to_owned());
        }
        let mut totals = StoreTotalsByStore::default();
        for (store, revenue, receipts) in saved {
            let amount = Money::from_hundredths(revenue);
            if store as usize >= names.stores.len()
                || receipts == 0
                || !amount.is_exact()
                || revenue < 0
            {
                return Err(format!("store #{store} is unknown or empty"));
            }
            totals.set(
                store,
                StoreTotals {
                    revenue: amount,
                    receipts,
                },
            );
        }
        Ok(totals)
    }
}

/// Ranks the stores of each window.
#[derive(Debug, Clone)]
pub struct TopStoresAnalysis {
    limit: usize,
}

impl Analysis for TopStoresAnalysis {
    const NAME: &'static str = "top-stores";
    type Pane = StoreTotalsByStore;
    type Saved = ();
    type Note = ();

    fn new(config: &EngineConfig) -> Self {
        TopStoresAnalysis {
            limit: config.top_stores,
        }
    }

    #[inline]
    fn add(&self, pane: &mut Self::Pane, record: &Record<'_>) {
        pane.add(record.store, record.totals.total);
    }

    fn emit(
        &mut self,
        close: &WindowClose<'_>,
        pane: &Self::Pane,
        _counters: &mut Counters,
        out: &mut Vec<Output>,
    ) {
        out.push(Output::TopStores(rank(
            close.window,
            pane,
            &close.names.stores,
            self.limit,
            close.is_final,
        )));
    }
}

/// The `limit` highest-revenue stores of `totals`.
pub(crate) fn rank(
    window: Window,
    totals: &StoreTotalsByStore,
    stores: &Interner,
    limit: usize,
    is_final: bool,
) -> TopStores {
    let mut ranked: Vec<(&str, StoreTotals)> = totals
        .stores()
        .map(|(store, totals)| (stores.name(store), totals))
        .collect();
    let order = |a: &(&str, StoreTotals), b: &(&str, StoreTotals)| -> Ordering {
        b.1.revenue.cmp(&a.1.revenue).then_with(|| a.0.cmp(b.0))
    };
    if ranked.len() > limit && limit > 0 {
        ranked.select_nth_unstable_by(limit - 1, order);
    }
    ranked.truncate(limit);
    ranked.sort_unstable_by(order);
    TopStores {
        window_start: window.start,
        window_end: window.end,
        stores: ranked
            .into_iter()
            .map(|(store_id, totals)| StoreRevenue {
                store_id: store_id.to_owned(),
                revenue: totals.revenue,
                receipts: totals.receipts,
            })
            .collect(),
        is_final,
    }
}

impl AnalysisResult for TopStores {
    const KIND: &'static str = "top_stores";
    const PROVISIONAL: bool = true;
    const TABLE: TableSpec = TableSpec {
        title: "Top stores by revenue",
        columns: &[
            "window_start",
            "window_end",
            "rank",
            "store_id",
            "revenue",
            "receipts",
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
        out.extend_from_slice(b",\"stores\":[");
        for (index, store) in self.stores.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"store_id\":");
            render::string(out, &store.store_id);
            render::key(out, "revenue");
            render::money(out, store.revenue);
            render::key(out, "receipts");
            render::number(out, store.receipts);
            out.push(b'}');
        }
        out.push(b']');
        render::window_tail(out, with_final, self.is_final);
    }

    fn table_rows(&self, rows: &mut Vec<Vec<Option<String>>>) {
        for (rank, store) in self.stores.iter().enumerate() {
            let mut cells = render::window_cells(self.window_start, self.window_end);
            cells.extend([
                Some((rank + 1).to_string()),
                Some(store.store_id.clone()),
                Some(store.revenue.to_string()),
                Some(store.receipts.to_string()),
            ]);
            rows.push(cells);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_revenue_first_and_ties_by_store_id() {
        let mut stores = Interner::default();
        let mut totals = StoreTotalsByStore::default();
        for (name, hundredths, receipts) in [
            ("S9", 500, 1),
            ("S3", 900, 2),
            ("S1", 500, 1),
            ("S7", 100, 1),
            ("S2", 500, 3),
            ("S5", 50, 1),
        ] {
            let id = stores.intern(name);
            totals.set(
                id,
                StoreTotals {
                    revenue: Money::from_hundredths(hundredths),
                    receipts,
                },
            );
        }
        let window = Window {
            start: EventTime(0),
            end: EventTime(10_000),
        };
        let top = rank(window, &totals, &stores, 5, true);
        let got: Vec<_> = top
            .stores
            .iter()
            .map(|s| (s.store_id.as_str(), s.revenue.hundredths(), s.receipts))
            .collect();
        assert_eq!(
            got,
            [
                ("S3", 900, 2),
                ("S1", 500, 1),
                ("S2", 500, 3),
                ("S9", 500, 1),
                ("S7", 100, 1)
            ]
        );
        let top2 = rank(window, &totals, &stores, 2, true);
        assert_eq!(
            top2.stores
                .iter()
                .map(|s| s.store_id.as_str())
                .collect::<Vec<_>>(),
            ["S3", "S1"]
        );
        let all = rank(window, &totals, &stores, 100, true);
        assert_eq!(all.stores.len(), 6);
        assert_eq!(all.stores[5].store_id, "S5");
    }

    #[test]
    fn panes_merge_and_save_by_store() {
        let mut first = StoreTotalsByStore::default();
        first.add(2, Money::from_hundredths(150));
        first.add(0, Money::from_hundredths(50));
        let mut second = StoreTotalsByStore::default();
        second.add(2, Money::from_hundredths(25));
        second.add(4, Money::from_hundredths(1));
        first.merge_from(&second);
        assert_eq!(first.save(), [(0, 50, 1), (2, 175, 2), (4, 1, 1)]);
        assert_eq!(first.keys(), 3);
        first.clear();
        assert_eq!(first.keys(), 0);
    }
}
