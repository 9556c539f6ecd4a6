//! The retail product catalog shared by generated batch files and streamed receipts.
//!
//! It mirrors the public Kaggle "retail store sales" data: eight categories, each with 25 items named
//! `Item_<n>_<CODE>` whose unit price is `5.0 + 1.5 × (n − 1)`, so `(category, price)` names exactly one
//! item.

/// A product category and the short code used in its item names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    /// The category as written in the data, e.g. `Milk Products`.
    pub name: &'static str,
    /// The code used in item names, e.g. `MILK`.
    pub code: &'static str,
}

/// The eight categories of the retail data, in a fixed order.
pub const CATEGORIES: [Category; 8] = [
    Category {
        name: "Beverages",
        code: "BEV",
    },
    Category {
        name: "Butchers",
        code: "BUT",
    },
    Category {
        name: "Computers and electric accessories",
        code: "CEA",
    },
    Category {
        name: "Electric household essentials",
        code: "EHE",
    },
    Category {
        name: "Food",
        code: "FOOD",
    },
    Category {
        name: "Furniture",
        code: "FUR",
    },
    Category {
        name: "Milk Products",
        code: "MILK",
    },
    Category {
        name: "Patisserie",
        code: "PAT",
    },
];

/// How many items each category has (`Item_1_…` to `Item_25_…`).
pub const ITEMS_PER_CATEGORY: u32 = 25;

/// The payment methods of the retail data.
pub const PAYMENT_METHODS: [&str; 3] = ["Cash", "Credit Card", "Digital Wallet"];

/// The locations of the retail data.
pub const LOCATIONS: [&str; 2] = ["In-store", "Online"];

/// The unit price of item number `n` (1-based) in any category.
pub fn item_price(n: u32) -> f64 {
    5.0 + 1.5 * f64::from(n.saturating_sub(1))
}

/// The name of item number `n` (1-based) of a category, e.g. `Item_17_MILK`.
pub fn item_name(category: &Category, n: u32) -> String {
    format!("Item_{n}_{}", category.code)
}

/// One item of the catalog with its price.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// The category the item belongs to.
    pub category: &'static Category,
    /// The item number within its category, 1-based.
    pub number: u32,
    /// The item name, `Item_<n>_<CODE>`.
    pub name: String,
    /// The unit price.
    pub price: f64,
}

/// Every product of the catalog: 8 categories × 25 items, category by category.
pub fn products() -> Vec<Product> {
    CATEGORIES
        .iter()
        .flat_map(|category| {
            (1..=ITEMS_PER_CATEGORY).map(move |number| Product {
                category,
                number,
                name: item_name(category, number),
                price: item_price(number),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_follow_the_kaggle_ladder() {
        assert_eq!(item_price(1), 5.0);
        assert_eq!(item_price(10), 18.5);
        assert_eq!(item_price(25), 41.0);
    }

    #[test]
    fn names_carry_the_category_code() {
        assert_eq!(item_name(&CATEGORIES[6], 17), "Item_17_MILK");
    }

    #[test]
    fn catalog_has_200_products_with_unique_category_price_keys() {
        let all = products();
        assert_eq!(all.len(), 200);
        let mut keys: Vec<(&str, u64)> = all
            .iter()
            .map(|p| (p.category.name, p.price.to_bits()))
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 200);
    }
}
