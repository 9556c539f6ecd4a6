//! Popular items by category per window: for every category sold in the window, the top items by
//! units sold, ties broken by item name ascending. Categories come out in name order.
//!
//! `{"kind":"popular_items","window_start":T,"window_end":T,"category":s,"items":[{"name":s,"quantity":n}]}`

use std::cmp::Ordering;

use retailflow_core::values::MAX_EXACT_UNITS;
use serde::{Deserialize, Serialize};

use crate::analyses::{Accumulator, Analysis, AnalysisResult, Record, TableSpec, WindowClose};
use crate::config::EngineConfig;
use crate::engine::Counters;
use crate::intern::FastMap;
use crate::names::{IdMap, Names};
use crate::output::Output;
use crate::render;
use crate::time::EventTime;
use crate::window::Window;

/// Top items of one category by units sold in one window, most first, ties by name ascending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopularItems {
    /// Window start.
    pub window_start: EventTime,
    /// Window end (exclusive).
    pub window_end: EventTime,
    /// The category.
    pub category: String,
    /// At most `top_items` entries.
    pub items: Vec<ItemQuantity>,
    /// False while the window is still open (update mode).
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// One item's line in [`PopularItems`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemQuantity {
    /// Item name.
    pub name: String,
    /// Units sold in the window.
    pub quantity: i64,
}

/// Units sold per item of one pane or window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemUnits {
    /// Units by item id, for lines in the item's usual category.
    items: Vec<i64>,
    /// Units by (category, item) for lines in another category than the item's usual one.
    other_items: FastMap<(u32, u32), i64>,
}

impl ItemUnits {
    #[inline]
    fn add(&mut self, item: u32, category: u32, usual_category: bool, quantity: i64) {
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

    /// Items sold: `(category id, item id, units)`, items with no units left out; unordered.
    fn sold<'a>(&'a self, names: &'a Names) -> impl Iterator<Item = (u32, u32, i64)> + 'a {
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

    /// `(category id, item id, units)` with the usual category of items in it filled in from the
    /// ids alone (for saving, where names are not at hand): usual-category lines say `u32::MAX`.
    fn sold_by_id(&self) -> impl Iterator<Item = (u32, u32, i64, bool)> + '_ {
        let usual = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, units)| **units != 0)
            .map(|(item, &units)| (u32::MAX, item as u32, units, true));
        let other = self
            .other_items
            .iter()
            .filter(|(_, units)| **units != 0)
            .map(|(&(category, item), &units)| (category, item, units, false));
        usual.chain(other)
    }
}

impl Accumulator for ItemUnits {
    /// `[item index, units]` for lines in the item's usual category, by item index, then
    /// `[category index, item index, units]` for lines in another one, sorted.
    type Saved = SavedItemUnits;

    fn merge_from(&mut self, other: &Self) {
        if other.items.len() > self.items.len() {
            self.items.resize(other.items.len(), 0);
        }
        for (mine, theirs) in self.items.iter_mut().zip(&other.items) {
            *mine += *theirs;
        }
        for (&key, &units) in &other.other_items {
            *self.other_items.entry(key).or_insert(0) += units;
        }
    }

    fn merge_mapped(&mut self, other: &Self, ids: &IdMap, names: &Names) {
        for (category, item, units, usual) in other.sold_by_id() {
            let category = if usual {
                ids.item_category(item)
            } else {
                ids.category(category)
            };
            let item = ids.item(item);
            let usual = names.usual_category(item) == category;
            self.add(item, category, usual, units);
        }
    }

    fn clear(&mut self) {
        self.items.clear();
        self.other_items.clear();
    }

    fn keys(&self) -> usize {
        self.sold_by_id().count()
    }

    fn save(&self) -> Self::Saved {
        let mut saved = SavedItemUnits::default();
        for (category, item, units, usual) in self.sold_by_id() {
            if usual {
                saved.usual.push((item, units));
            } else {
                saved.other.push((category, item, units));
            }
        }
        saved.other.sort_unstable();
        saved
    }

    fn restore(saved: Self::Saved, names: &Names) -> Result<Self, String> {
        if !saved.usual.windows(2).all(|pair| pair[0].0 < pair[1].0)
            || !saved
                .other
                .windows(2)
                .all(|pair| (pair[0].0, pair[0].1) < (pair[1].0, pair[1].1))
        {
            return Err("items are listed out of order or twice".to_owned());
        }
        let mut units = ItemUnits::default();
        let fits = |units: i64| (0..=MAX_EXACT_UNITS).contains(&units);
        for (item, sold) in saved.usual {
            if item as usize >= names.items.len() || !fits(sold) {
                return Err(format!("item #{item} is unknown or out of range"));
            }
            units.add(item, names.usual_category(item), true, sold);
        }
        for (category, item, sold) in saved.other {
            if category as usize >= names.categories.len()
                || item as usize >= names.items.len()
                || names.usual_category(item) == category
                || !fits(sold)
            {
                return Err(format!(
                    "item #{category}/#{item} is unknown or out of range"
                ));
            }
            units.add(item, category, false, sold);
        }
        Ok(units)
    }
}

/// [`ItemUnits`] in a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SavedItemUnits {
    /// `[item index, units]` of lines in the item's usual category, by item index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usual: Vec<(u32, i64)>,
    /// `[category index, item index, units]` of lines in another category, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<(u32, u32, i64)>,
}

/// Ranks the items of each category in each window.
#[derive(Debug, Clone)]
pub struct PopularItemsAnalysis {
    limit: usize,
}

impl Analysis for PopularItemsAnalysis {
    const NAME: &'static str = "popular-items";
    type Pane = ItemUnits;
    type Saved = ();
    type Note = ();

    fn new(config: &EngineConfig) -> Self {
        PopularItemsAnalysis {
            limit: config.top_items,
        }
    }

    #[inline]
    fn add(&self, pane: &mut Self::Pane, record: &Record<'_>) {
        for line in record.lines {
            pane.add(line.item, line.category, line.usual_category, line.quantity);
        }
    }

    fn emit(
        &mut self,
        close: &WindowClose<'_>,
        pane: &Self::Pane,
        _counters: &mut Counters,
        out: &mut Vec<Output>,
    ) {
        rank(
            close.window,
            pane,
            close.names,
            self.limit,
            close.is_final,
            out,
        );
    }
}

/// Appends one [`PopularItems`] per category of `units` to `out`, each with at most `limit`
/// items.
fn rank(
    window: Window,
    units: &ItemUnits,
    names: &Names,
    limit: usize,
    is_final: bool,
    out: &mut Vec<Output>,
) {
    let mut sold: Vec<(&str, &str, i64)> = units
        .sold(names)
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

impl AnalysisResult for PopularItems {
    const KIND: &'static str = "popular_items";
    const PROVISIONAL: bool = true;
    const TABLE: TableSpec = TableSpec {
        title: "Popular items by category",
        columns: &[
            "window_start",
            "window_end",
            "category",
            "rank",
            "name",
            "quantity",
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
        render::key(out, "category");
        render::string(out, &self.category);
        out.extend_from_slice(b",\"items\":[");
        for (index, item) in self.items.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"name\":");
            render::string(out, &item.name);
            render::key(out, "quantity");
            render::number(out, item.quantity);
            out.push(b'}');
        }
        out.push(b']');
        render::window_tail(out, with_final, self.is_final);
    }

    fn table_rows(&self, rows: &mut Vec<Vec<Option<String>>>) {
        for (rank, item) in self.items.iter().enumerate() {
            let mut cells = render::window_cells(self.window_start, self.window_end);
            cells.extend([
                Some(self.category.clone()),
                Some((rank + 1).to_string()),
                Some(item.name.clone()),
                Some(item.quantity.to_string()),
            ]);
            rows.push(cells);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units_of(names: &mut Names, lines: &[(&str, &str, i64)]) -> ItemUnits {
        let mut units = ItemUnits::default();
        for &(category, item, quantity) in lines {
            let line = names.line(item, category, quantity);
            units.add(line.item, line.category, line.usual_category, line.quantity);
        }
        units
    }

    #[test]
    fn top_items_per_category_with_ties_by_name() {
        let mut names = Names::default();
        let units = units_of(
            &mut names,
            &[
                ("Milk Products", "Item_9_MILK", 4),
                ("Beverages", "Item_2_BEV", 7),
                ("Milk Products", "Item_3_MILK", 4),
                ("Milk Products", "Item_1_MILK", 2),
                ("Milk Products", "Item_12_MILK", 4),
                ("Milk Products", "Item_5_MILK", 9),
            ],
        );
        let window = Window {
            start: EventTime(0),
            end: EventTime(10_000),
        };
        let mut out = Vec::new();
        rank(window, &units, &names, 3, true, &mut out);
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

    #[test]
    fn an_item_in_a_second_category_is_kept_apart_and_saved_back_exactly() {
        let mut names = Names::default();
        let units = units_of(
            &mut names,
            &[
                ("Milk Products", "Item_1_MILK", 2),
                ("Milk Products", "Item_2_MILK", 1),
                ("Patisserie", "Item_1_MILK", 5),
                ("Milk Products", "Item_1_MILK", 3),
            ],
        );
        let saved = units.save();
        assert_eq!(saved.usual, [(0, 5), (1, 1)]);
        assert_eq!(saved.other, [(1, 0, 5)]);
        let restored = ItemUnits::restore(saved.clone(), &names).unwrap();
        assert_eq!(restored.save(), saved);
        assert_eq!(restored.keys(), 3);
        let bad = SavedItemUnits {
            usual: vec![(7, 1)],
            other: Vec::new(),
        };
        assert!(ItemUnits::restore(bad, &names).is_err());
    }
}
