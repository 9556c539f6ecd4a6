//! Big receipts: every receipt whose total is strictly over the threshold (default 500.00), reported
//! as soon as it is processed. It belongs to no window, so a receipt that is late for the windowed
//! analyses is still reported as big (and is also rejected as late for the windows).

use crate::money::Money;
use crate::output::BigReceipt;
use crate::receipt::Receipt;
pub use crate::receipt::{ReceiptTotals, receipt_totals};

/// The big-receipt result for `receipt` if `total` is over `threshold`.
#[inline]
pub fn check(receipt: &Receipt, total: Money, threshold: Money) -> Option<BigReceipt> {
    (total > threshold).then(|| BigReceipt {
        receipt_id: receipt.receipt_id.clone(),
        store_id: receipt.store_id.clone(),
        cashier_id: receipt.cashier_id.clone(),
        ts: receipt.ts,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::LineItem;
    use crate::time::EventTime;

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

    #[test]
    fn only_totals_strictly_over_the_threshold_are_big() {
        let threshold = Money::from_hundredths(50_000);
        let exactly = receipt(&[(250.0, 2)]);
        assert!(check(&exactly, receipt_totals(&exactly).unwrap().total, threshold).is_none());
        let over = receipt(&[(250.0, 2), (0.01, 1)]);
        let big = check(&over, receipt_totals(&over).unwrap().total, threshold).unwrap();
        assert_eq!(big.total, Money::from_hundredths(50_001));
        assert_eq!(
            (
                big.receipt_id.as_str(),
                big.store_id.as_str(),
                big.cashier_id.as_str()
            ),
            ("R1", "S1", "C1")
        );
        assert_eq!(big.ts, EventTime(1_000));
    }
}
