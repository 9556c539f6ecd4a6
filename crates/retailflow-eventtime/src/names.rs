//! The names behind the ids in window state: store ids, categories and item names, each interned
//! once per engine, plus the category each item name was first seen under.
//!
//! An item name nearly always belongs to one category (`Item_17_MILK` is a milk product), so each
//! line costs one hash lookup for its name and a string comparison for its category; an item that
//! turns up under a second category is still kept apart under that category.

use crate::intern::Interner;

/// One receipt line in interned form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemLine {
    /// Interned item name.
    pub item: u32,
    /// Interned category.
    pub category: u32,
    /// Whether `category` is the item's usual (first-seen) category.
    pub usual_category: bool,
    /// Units.
    pub quantity: i64,
}

/// Interned names of one engine.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Store ids.
    pub stores: Interner,
    /// Categories.
    pub categories: Interner,
    /// Item names.
    pub items: Interner,
    /// The usual category of each item, by item id.
    pub item_categories: Vec<u32>,
}

impl Names {
    /// Interns one receipt line.
    #[inline]
    pub fn line(&mut self, name: &str, category: &str, quantity: i64) -> ItemLine {
        let item = self.items.intern(name);
        let usual = match self.item_categories.get(item as usize) {
            Some(&usual) => usual,
            None => {
                let usual = self.categories.intern(category);
                self.item_categories.push(usual);
                usual
            }
        };
        if self.categories.name(usual) == category {
            ItemLine {
                item,
                category: usual,
                usual_category: true,
                quantity,
            }
        } else {
            ItemLine {
                item,
                category: self.categories.intern(category),
                usual_category: false,
                quantity,
            }
        }
    }

    /// The usual category of `item`.
    #[inline]
    pub fn usual_category(&self, item: u32) -> u32 {
        self.item_categories
            .get(item as usize)
            .copied()
            .unwrap_or(0)
    }

    /// How many names are interned in all.
    pub fn len(&self) -> usize {
        self.stores.len() + self.categories.len() + self.items.len()
    }

    /// Whether nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One engine's interned ids in another's (a partition's in stage two's), for the names seen so
/// far: `stores[id]` is the other engine's id of this one's store `id`.
#[derive(Debug, Clone, Default)]
pub struct IdMap {
    /// Store ids.
    pub stores: Vec<u32>,
    /// Categories.
    pub categories: Vec<u32>,
    /// Item names.
    pub items: Vec<u32>,
    /// The other engine's id of the usual category, in this one, of each item.
    pub item_categories: Vec<u32>,
}

impl IdMap {
    /// Maps the names of `from` not mapped yet, interning them in `into` (an item under its usual
    /// category in `from`).
    pub(crate) fn extend(&mut self, from: &Names, into: &mut Names) {
        for name in from.stores.names().skip(self.stores.len()) {
            self.stores.push(into.stores.intern(name));
        }
        for name in from.categories.names().skip(self.categories.len()) {
            self.categories.push(into.categories.intern(name));
        }
        let known = self.items.len();
        for (item, name) in from.items.names().enumerate().skip(known) {
            let usual = from.usual_category(item as u32);
            let category = from.categories.name(usual);
            self.items.push(into.line(name, category, 0).item);
            self.item_categories.push(self.category(usual));
        }
    }

    /// The other engine's id of store `id`.
    #[inline]
    pub fn store(&self, id: u32) -> u32 {
        self.stores.get(id as usize).copied().unwrap_or(id)
    }

    /// The other engine's id of category `id`.
    #[inline]
    pub fn category(&self, id: u32) -> u32 {
        self.categories.get(id as usize).copied().unwrap_or(id)
    }

    /// The other engine's id of the usual category, in this one, of item `id`.
    #[inline]
    pub fn item_category(&self, id: u32) -> u32 {
        self.item_categories.get(id as usize).copied().unwrap_or(id)
    }

    /// The other engine's id of item `id`.
    #[inline]
    pub fn item(&self, id: u32) -> u32 {
        self.items.get(id as usize).copied().unwrap_or(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_keeps_its_usual_category_and_a_second_one_stays_apart() {
        let mut names = Names::default();
        let milk = names.line("Item_1_MILK", "Milk Products", 2);
        assert_eq!(
            milk,
            ItemLine {
                item: 0,
                category: 0,
                usual_category: true,
                quantity: 2
            }
        );
        let again = names.line("Item_1_MILK", "Milk Products", 1);
        assert_eq!(
            (again.item, again.category, again.usual_category),
            (0, 0, true)
        );
        let elsewhere = names.line("Item_1_MILK", "Patisserie", 1);
        assert_eq!(
            (elsewhere.item, elsewhere.category, elsewhere.usual_category),
            (0, 1, false)
        );
        let pastry = names.line("Item_1_PAT", "Patisserie", 1);
        assert_eq!(
            (pastry.item, pastry.category, pastry.usual_category),
            (1, 1, true)
        );
        assert_eq!(names.item_categories, [0, 1]);
        assert_eq!(names.len(), 2 + 2);
    }
}
