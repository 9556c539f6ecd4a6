//! Popular items by category per window: for every category sold in the window, the top items by
//! units sold, ties broken by item name ascending. Categories come out in name order.

use std::cmp::Ordering;

use crate::names::Names;
use crate::output::{ItemQuantity, Output, PopularItems};
use crate::state::WindowAggregate;
use crate::window::Window;

/// Appends one [`PopularItems`] per category of `aggregate` to `out`, each with at most `limit`
/// items.
pub fn rank(
    window: Window,
    aggregate: &WindowAggregate,
    names: &Names,
    limit: usize,
    is_final: bool,
    out: &mut Vec<Output>,
) {
    let mut sold: Vec<(&str, &str, i64)> = aggregate
        .items(names)
        .map(|(category, item, quantity)| {
            (
                names.categories.name(category),
                names.items.name(item),
                quantity,
            )
        })
        .collect();
    sold.sort_unstable_by(|a, b| -> Ordering {
        a.0.cmp(b.0).then(b.2.cmp(&a.2)).then_with(|| a.1.cmp(b.1))
    });
    for category_items in sold.chunk_by(|a, b| a.0 == b.0) {
        out.push(Output::PopularItems(PopularItems {
            window_start: window.start,
            window_end: window.end,
            category: category_items[0].0.to_owned(),
            items: category_items
                .iter()
                .take(limit)
                .map(|&(_, name, quantity)| ItemQuantity {
                    name: name.to_owned(),
                    quantity,
                })
                .collect(),
            is_final,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use crate::state::{Contribution, WindowStore};
    use crate::time::{EventTime, TimeSpan};
    use crate::window::Windowing;

    #[test]
    fn top_items_per_category_with_ties_by_name() {
        let mut names = Names::default();
        let mut lines = Vec::new();
        for (category, item, quantity) in [
            ("Milk Products", "Item_9_MILK", 4),
            ("Beverages", "Item_2_BEV", 7),
            ("Milk Products", "Item_3_MILK", 4),
            ("Milk Products", "Item_1_MILK", 2),
            ("Milk Products", "Item_12_MILK", 4),
            ("Milk Products", "Item_5_MILK", 9),
        ] {
            lines.push(names.line(item, category, quantity));
        }
        let window = Window {
            start: EventTime(0),
            end: EventTime(10_000),
        };
        let mut store = WindowStore::new(
            &Windowing::new(TimeSpan::from_secs(10), TimeSpan::from_secs(10)).unwrap(),
        );
        let contribution = Contribution {
            store: 0,
            total: Money::ZERO,
            units: 0,
            lines: &lines,
            basket: &[],
            max_basket: 50,
        };
        assert!(store.try_add(EventTime(0), &contribution));
        let (_, aggregate) = store.panes().next().unwrap();
        let mut out = Vec::new();
        rank(window, aggregate, &names, 3, true, &mut out);
        let got: Vec<(String, Vec<(String, i64)>)> = out
            .into_iter()
            .map(|output| match output {
                Output::PopularItems(popular) => (
                    popular.category,
                    popular
                        .items
                        .into_iter()
                        .map(|item| (item.name, item.quantity))
                        .collect(),
                ),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        let expected = vec![
            ("Beverages".to_owned(), vec![("Item_2_BEV".to_owned(), 7)]),
            (
                "Milk Products".to_owned(),
                vec![
                    ("Item_5_MILK".to_owned(), 9),
                    ("Item_12_MILK".to_owned(), 4),
                    ("Item_3_MILK".to_owned(), 4),
                ],
            ),
        ];
        assert_eq!(got, expected);
    }
}
