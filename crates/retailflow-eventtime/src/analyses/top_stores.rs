//! Top stores by revenue per window: revenue = Σ price × quantity of the store's receipts in the
//! window, highest first, ties broken by store id ascending; each with its receipt count.

use std::cmp::Ordering;

use crate::intern::Interner;
use crate::output::{StoreRevenue, TopStores};
use crate::state::{StoreTotals, WindowAggregate};
use crate::window::Window;

/// The `limit` highest-revenue stores of `aggregate`.
pub fn rank(
    window: Window,
    aggregate: &WindowAggregate,
    stores: &Interner,
    limit: usize,
    is_final: bool,
) -> TopStores {
    let mut ranked: Vec<(&str, StoreTotals)> = aggregate
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use crate::time::EventTime;

    #[test]
    fn highest_revenue_first_and_ties_by_store_id() {
        let mut stores = Interner::default();
        let mut aggregate = WindowAggregate::default();
        for (name, hundredths, receipts) in [
            ("S9", 500, 1),
            ("S3", 900, 2),
            ("S1", 500, 1),
            ("S7", 100, 1),
            ("S2", 500, 3),
            ("S5", 50, 1),
        ] {
            let id = stores.intern(name);
            aggregate.set_store(
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
        let top = rank(window, &aggregate, &stores, 5, true);
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
        let top2 = rank(window, &aggregate, &stores, 2, true);
        assert_eq!(
            top2.stores
                .iter()
                .map(|s| s.store_id.as_str())
                .collect::<Vec<_>>(),
            ["S3", "S1"]
        );
        let all = rank(window, &aggregate, &stores, 100, true);
        assert_eq!(all.stores.len(), 6);
        assert_eq!(all.stores[5].store_id, "S5");
    }
}
