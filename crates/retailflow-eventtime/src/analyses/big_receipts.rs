//! Big receipts: every receipt whose total is strictly over the threshold (default 500.00), reported
//! as soon as it is processed. It belongs to no window, so a receipt that is late for the windowed
//! analyses is still reported as big (and is also rejected as late for the windows).
//!
//! `{"kind":"big_receipt","receipt_id":s,"store_id":s,"cashier_id":s,"ts":T,"total":x}`

use serde::{Deserialize, Serialize};

use crate::analyses::{Analysis, AnalysisResult, Record, TableSpec};
use crate::config::EngineConfig;
use crate::engine::Counters;
use crate::money::Money;
use crate::output::Output;
use crate::partition::StageEvent;
use crate::receipt::Receipt;
use crate::render;
use crate::time::EventTime;
use crate::window::Window;

/// A receipt whose total is over the threshold, reported as soon as it is processed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BigReceipt {
    /// The receipt.
    pub receipt_id: String,
    /// Its store.
    pub store_id: String,
    /// Its cashier.
    pub cashier_id: String,
    /// Its event time.
    pub ts: EventTime,
    /// Σ price × quantity.
    pub total: Money,
}

/// Reports big receipts as they come.
#[derive(Debug, Clone)]
pub struct BigReceiptsAnalysis {
    threshold: Money,
}

impl Analysis for BigReceiptsAnalysis {
    const NAME: &'static str = "big-receipts";
    type Pane = ();
    type Saved = ();
    type Note = ();

    fn new(config: &EngineConfig) -> Self {
        BigReceiptsAnalysis {
            threshold: config.big_receipt_threshold,
        }
    }

    #[inline]
    fn observe(
        &self,
        record: &Record<'_>,
        counters: &mut Counters,
        events: &mut Vec<StageEvent>,
    ) -> Option<()> {
        if let Some(big) = check(record.receipt, record.totals.total, self.threshold) {
            counters.big_receipts += 1;
            events.push(StageEvent::Output(Output::BigReceipt(big)));
        }
        None
    }
}

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

impl AnalysisResult for BigReceipt {
    const KIND: &'static str = "big_receipt";
    const PROVISIONAL: bool = false;
    const TABLE: TableSpec = TableSpec {
        title: "Big receipts",
        columns: &["receipt_id", "store_id", "cashier_id", "ts", "total"],
    };

    fn window(&self) -> Option<Window> {
        None
    }

    fn store_id(&self) -> Option<&str> {
        Some(&self.store_id)
    }

    fn write_json(&self, _with_final: bool, out: &mut Vec<u8>) {
        render::object_head(out, Self::KIND);
        render::key(out, "receipt_id");
        render::string(out, &self.receipt_id);
        render::key(out, "store_id");
        render::string(out, &self.store_id);
        render::key(out, "cashier_id");
        render::string(out, &self.cashier_id);
        render::key(out, "ts");
        render::time(out, self.ts);
        render::key(out, "total");
        render::money(out, self.total);
        out.push(b'}');
    }

    fn table_rows(&self, rows: &mut Vec<Vec<Option<String>>>) {
        rows.push(vec![
            Some(self.receipt_id.clone()),
            Some(self.store_id.clone()),
            Some(self.cashier_id.clone()),
            render::time_cell(self.ts),
            Some(self.total.to_string()),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::{LineItem, receipt_totals};
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
