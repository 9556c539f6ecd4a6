//! Cashier alerts over the whole file, computed on their own rather than through the engine: the
//! big receipts the plan found, sorted once by (event time, receipt id, store, cashier), then each
//! cashier's in turn keeping those within the alert span of the newest; `count` of them make an
//! alert and that cashier counts again from nothing. This is what the stream gives once its
//! watermark has passed every receipt, so it checks the stream's result.

use std::collections::{BTreeMap, VecDeque};

use retailflow_eventtime::{BigReceipt, CashierAlert, CashierAlertSettings, Money, Output};

/// The alerts over `big`, the big receipts of the file, in the order the stream emits them: by
/// their last receipt.
pub fn results(big: &[BigReceipt], settings: CashierAlertSettings) -> Vec<Output> {
    let mut order: Vec<&BigReceipt> = big.iter().collect();
    order.sort_by(|a, b| {
        (a.ts, &a.receipt_id, &a.store_id, &a.cashier_id).cmp(&(
            b.ts,
            &b.receipt_id,
            &b.store_id,
            &b.cashier_id,
        ))
    });
    let mut recent: BTreeMap<(&str, &str), VecDeque<&BigReceipt>> = BTreeMap::new();
    let mut alerts = Vec::new();
    for receipt in order {
        let cashier = recent
            .entry((receipt.store_id.as_str(), receipt.cashier_id.as_str()))
            .or_default();
        let oldest_allowed = receipt.ts.minus(settings.within);
        cashier.retain(|earlier| earlier.ts >= oldest_allowed);
        cashier.push_back(receipt);
        if cashier.len() >= settings.count as usize {
            alerts.push(Output::CashierAlert(alert(cashier.drain(..))));
        }
    }
    alerts
}

/// The alert of `receipts`, oldest first.
fn alert<'a>(receipts: impl Iterator<Item = &'a BigReceipt>) -> CashierAlert {
    let receipts: Vec<&BigReceipt> = receipts.collect();
    let first = receipts.first();
    CashierAlert {
        cashier_id: first.map(|r| r.cashier_id.clone()).unwrap_or_default(),
        store_id: first.map(|r| r.store_id.clone()).unwrap_or_default(),
        first_ts: first.map_or(retailflow_eventtime::EventTime::MIN, |r| r.ts),
        last_ts: receipts
            .last()
            .map_or(retailflow_eventtime::EventTime::MIN, |r| r.ts),
        total: receipts
            .iter()
            .fold(Money::ZERO, |sum, r| sum.saturating_add(r.total)),
        receipts: receipts.iter().map(|r| r.receipt_id.clone()).collect(),
    }
}
