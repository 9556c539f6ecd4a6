//! The product catalog learnt from the data: the distinct (category, item, price_per_unit) rows of the
//! cast input with all three present. A (category, price) key that names exactly one item lets a
//! missing item be filled; a key naming several items is ambiguous and never fills anything.

use std::collections::HashMap;

/// One distinct (category, item, price) row.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    /// The category.
    pub category: String,
    /// The item.
    pub item: String,
    /// The unit price.
    pub price: f64,
}

/// What a (category, price) key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyItems {
    /// Exactly one item: the index of its entry.
    One(usize),
    /// Several items.
    Ambiguous,
}

/// The catalog, sorted by category, price and item.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
    keys: HashMap<String, HashMap<u64, KeyItems>>,
}

impl Catalog {
    /// The catalog of these (category, item, price) rows; duplicates count once.
    pub fn from_rows(rows: impl IntoIterator<Item = (String, String, f64)>) -> Self {
        let mut entries: Vec<CatalogEntry> = rows
            .into_iter()
            .map(|(category, item, price)| CatalogEntry {
                category,
                item,
                price: price + 0.0,
            })
            .collect();
        entries.sort_by(|a, b| {
            a.category
                .cmp(&b.category)
                .then(a.price.total_cmp(&b.price))
                .then_with(|| a.item.cmp(&b.item))
        });
        entries.dedup();
        let mut keys: HashMap<String, HashMap<u64, KeyItems>> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            keys.entry(entry.category.clone())
                .or_default()
                .entry(entry.price.to_bits())
                .and_modify(|items| *items = KeyItems::Ambiguous)
                .or_insert(KeyItems::One(index));
        }
        Self { entries, keys }
    }

    /// The distinct rows, sorted by category, price and item.
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// How many distinct rows.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the catalog has no rows.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many (category, price) keys name more than one item.
    pub fn ambiguous_keys(&self) -> usize {
        self.keys
            .values()
            .flat_map(HashMap::values)
            .filter(|k| **k == KeyItems::Ambiguous)
            .count()
    }

    /// The one item that (category, price) names, if it names exactly one.
    pub fn item_for(&self, category: &str, price: f64) -> Option<&str> {
        match self.keys.get(category)?.get(&(price + 0.0).to_bits())? {
            KeyItems::One(index) => Some(self.entries[*index].item.as_str()),
            KeyItems::Ambiguous => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(category: &str, item: &str, price: f64) -> (String, String, f64) {
        (category.into(), item.into(), price)
    }

    #[test]
    fn distinct_sorted_rows() {
        let catalog = Catalog::from_rows([
            row("Food", "Item_2_FOOD", 6.5),
            row("Beverages", "Item_1_BEV", 5.0),
            row("Food", "Item_1_FOOD", 5.0),
            row("Food", "Item_2_FOOD", 6.5),
        ]);
        assert_eq!(catalog.len(), 3);
        let names: Vec<&str> = catalog.entries().iter().map(|e| e.item.as_str()).collect();
        assert_eq!(names, ["Item_1_BEV", "Item_1_FOOD", "Item_2_FOOD"]);
        assert_eq!(catalog.ambiguous_keys(), 0);
        assert_eq!(catalog.item_for("Food", 6.5), Some("Item_2_FOOD"));
        assert_eq!(catalog.item_for("Food", 7.0), None);
        assert_eq!(catalog.item_for("Toys", 6.5), None);
    }

    #[test]
    fn ambiguous_keys_never_name_an_item() {
        let catalog = Catalog::from_rows([
            row("Food", "Item_2_FOOD", 6.5),
            row("Food", "Item_9_FOOD", 6.5),
            row("Food", "Item_3_FOOD", 8.0),
            row("Beverages", "Item_2_BEV", 6.5),
        ]);
        assert_eq!(catalog.len(), 4);
        assert_eq!(catalog.ambiguous_keys(), 1);
        assert_eq!(catalog.item_for("Food", 6.5), None);
        assert_eq!(catalog.item_for("Beverages", 6.5), Some("Item_2_BEV"));
        assert_eq!(catalog.item_for("Food", 8.0), Some("Item_3_FOOD"));
    }

    #[test]
    fn negative_zero_is_zero() {
        let catalog = Catalog::from_rows([row("Food", "Free", 0.0)]);
        assert_eq!(catalog.item_for("Food", -0.0), Some("Free"));
    }
}
