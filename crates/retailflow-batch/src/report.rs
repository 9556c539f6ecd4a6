//! The machine-readable report of a clean run, with the exact keys other engines and tools read.
//! Per-column and per-key maps keep a meaningful order (file order, Monday first, month 1 first).

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use retailflow_core::values::ValueRules;

use crate::error::BatchError;

/// A map from names to values that keeps its insertion order in JSON.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<V> Ordered<V> {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

impl<K: Into<String>, V> FromIterator<(K, V)> for Ordered<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = access.next_entry::<String, V>()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(OrderedVisitor(PhantomData))
    }
}

/// How many values each repair restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RestoredCounts {
    /// Items filled from the catalog.
    pub item: u64,
    /// Totals computed as quantity × price.
    pub total_spent: u64,
    /// Quantities computed as total / price.
    pub quantity: u64,
    /// Prices computed as total / quantity.
    pub price_per_unit: u64,
}

/// The value rules as the report states them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValueRulesReport {
    /// Quantities must be whole and in 1..=this.
    pub max_quantity: i64,
    /// Prices must be in 0..=this.
    pub max_price: f64,
    /// Totals must be in 0..=this (max_quantity × max_price).
    pub max_total: f64,
}

impl From<ValueRules> for ValueRulesReport {
    fn from(rules: ValueRules) -> Self {
        ValueRulesReport {
            max_quantity: rules.max_quantity,
            max_price: rules.max_price,
            max_total: rules.max_total(),
        }
    }
}

/// Units sold in one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryUnits {
    /// The category.
    pub category: String,
    /// Σ quantity over its clean rows.
    pub units: i64,
}

/// The report of one clean run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Data rows read.
    pub rows_loaded: u64,
    /// The snake_case column names, in file order.
    pub columns: Vec<String>,
    /// Nulls per column after casting (empty and junk values, and values out of range).
    pub nulls_after_cast: Ordered<u64>,
    /// The value rules in force.
    pub value_rules: ValueRulesReport,
    /// Values nulled for breaking a value rule, per column (price_per_unit, quantity,
    /// total_spent) and rule (`below_min`, `above_max`).
    pub out_of_range: Ordered<Ordered<u64>>,
    /// Distinct (category, item, price_per_unit) rows.
    pub catalog_rows: u64,
    /// (category, price_per_unit) keys naming more than one item.
    pub catalog_ambiguous_keys: u64,
    /// Values restored by the repairs.
    pub restored: RestoredCounts,
    /// Rows dropped for still missing category, quantity, total_spent or price_per_unit.
    pub rows_dropped: u64,
    /// Rows written.
    pub rows_clean: u64,
    /// Nulls per output column (input columns, then day_of_week and transaction_month).
    pub still_null: Ordered<u64>,
    /// The date format used, as strftime.
    pub date_format: String,
    /// Whether the date format was detected (`false`: given with `--date-format`).
    pub date_format_detected: bool,
    /// The five categories with the most units, most first, ties by name.
    pub top_categories: Vec<CategoryUnits>,
    /// Mean total_spent per payment method, rounded to 2 decimals.
    pub avg_total_spent_by_payment_method: Ordered<f64>,
    /// Mean total_spent per location, rounded to 2 decimals.
    pub avg_total_spent_by_location: Ordered<f64>,
    /// Clean rows per weekday, Monday first, all seven present.
    pub rows_by_day_of_week: Ordered<u64>,
    /// Clean rows per month, `"1"` to `"12"`, all twelve present.
    pub rows_by_month: Ordered<u64>,
}

impl Report {
    /// The report as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Result<String, BatchError> {
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| BatchError::Internal(format!("cannot serialise the report: {e}")))?;
        text.push('\n');
        Ok(text)
    }

    /// Writes the report as JSON to `path`.
    pub fn write_json(&self, path: &Path) -> Result<(), BatchError> {
        std::fs::write(path, self.to_json()?).map_err(|e| BatchError::OutputUnwritable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_maps_keep_their_order_both_ways() {
        let counts: Ordered<u64> = [("b", 2), ("a", 1), ("10", 3), ("9", 4)]
            .into_iter()
            .collect();
        let json = serde_json::to_string(&counts).unwrap();
        assert_eq!(json, r#"{"b":2,"a":1,"10":3,"9":4}"#);
        let back: Ordered<u64> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, counts);
        assert_eq!(back.get("10"), Some(&3));
    }
}
