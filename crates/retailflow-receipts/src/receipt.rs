//! The typed store receipt that the streaming analyses consume: what a well-formed message becomes
//! after parsing, and its exact totals.

use retailflow_core::values::MAX_EXACT_UNITS;
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::time::EventTime;

/// One line of a receipt: an item bought in some quantity at a unit price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineItem {
    /// Item name, e.g. `Item_17_MILK`.
    pub name: String,
    /// Category, e.g. `Milk Products`.
    pub category: String,
    /// Unit price (roubles), finite and not negative.
    pub price: f64,
    /// Units bought, at least 1.
    pub quantity: i64,
}

/// A store receipt with its event time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// Unique receipt id.
    pub receipt_id: String,
    /// The store that issued it (also the Kafka message key).
    pub store_id: String,
    /// The cashier at the till.
    pub cashier_id: String,
    /// When the sale happened (event time).
    pub ts: EventTime,
    /// The items bought; never empty.
    pub items: Vec<LineItem>,
}

impl Receipt {
    /// The receipt's total in exact hundredths (prices rounded to hundredths): the total the
    /// analyses use; `None` when it is beyond the exact range.
    pub fn exact_total(&self) -> Option<Money> {
        receipt_totals(self).map(|totals| totals.total)
    }

    /// The receipt's total: Σ price × quantity, in floating point.
    pub fn total(&self) -> f64 {
        self.items
            .iter()
            .map(|item| item.price * item.quantity as f64)
            .sum()
    }

    /// Units sold on the receipt: Σ quantity.
    pub fn units(&self) -> i64 {
        self.items.iter().map(|item| item.quantity).sum()
    }
}

/// Totals and units of a receipt, in exact money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptTotals {
    /// Σ price × quantity, prices rounded to hundredths.
    pub total: Money,
    /// Σ quantity.
    pub units: i64,
}

/// Exact totals of `receipt`, or `None` when a price or a sum is beyond the exact range (or a
/// price or quantity is negative, which no validated receipt has).
#[inline]
pub fn receipt_totals(receipt: &Receipt) -> Option<ReceiptTotals> {
    let mut totals = ReceiptTotals {
        total: Money::ZERO,
        units: 0,
    };
    for item in &receipt.items {
        let price = Money::try_from_decimal(item.price).filter(|price| *price >= Money::ZERO)?;
        if item.quantity < 0 {
            return None;
        }
        totals.total = totals
            .total
            .checked_add(price.checked_mul(item.quantity)?)?;
        totals.units = totals
            .units
            .checked_add(item.quantity)
            .filter(|units| *units <= MAX_EXACT_UNITS)?;
    }
    Some(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(lines: &[(f64, i64)]) -> Receipt {
        Receipt {
            receipt_id: "R1".into(),
            store_id: "S1".into(),
            cashier_id: "C1".into(),
            ts: EventTime(1_000),
            items: lines
                .iter()
                .map(|&(price, quantity)| LineItem {
                    name: "Item_1_MILK".into(),
                    category: "Milk Products".into(),
                    price,
                    quantity,
                })
                .collect(),
        }
    }

    #[test]
    fn totals_are_exact_hundredths() {
        let totals = receipt_totals(&receipt(&[(0.1, 3), (0.2, 1), (19.99, 10)])).unwrap();
        assert_eq!(totals.total, Money::from_hundredths(30 + 20 + 19_990));
        assert_eq!(totals.units, 14);
    }

    #[test]
    fn totals_beyond_the_exact_range_are_refused() {
        assert!(receipt_totals(&receipt(&[(1e6, 100_000)])).is_some());
        assert!(receipt_totals(&receipt(&[(1e300, 1)])).is_none());
        assert!(receipt_totals(&receipt(&[(f64::NAN, 1)])).is_none());
        assert!(receipt_totals(&receipt(&[(1.0, 4_611_686_018_427_387_904)])).is_none());
        assert!(receipt_totals(&receipt(&[(0.0, i64::MAX), (0.0, i64::MAX)])).is_none());
        assert!(receipt_totals(&receipt(&[(-1.0, 1)])).is_none());
        assert!(receipt_totals(&receipt(&[(1e11, 100), (1e11, 1)])).is_none());
    }
}
