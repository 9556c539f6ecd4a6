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
