//! Cashier alerts: the big receipts of the file, in order of (event time, receipt id), through the
//! engine's own per-cashier patterns — what the stream gives once its watermark has passed them all.

use retailflow_eventtime::analyses::{BigReceiptEntry, alerts_over};
use retailflow_eventtime::{BigReceipt, CashierAlertSettings, Output};

/// The alerts over `big`, the big receipts of the file.
pub fn results(big: &[BigReceipt], settings: CashierAlertSettings) -> Vec<Output> {
    let entries = big.iter().map(|receipt| BigReceiptEntry {
        ts: receipt.ts,
        receipt_id: receipt.receipt_id.clone(),
        store_id: receipt.store_id.clone(),
        cashier_id: receipt.cashier_id.clone(),
        total: receipt.total,
    });
    alerts_over(entries, settings)
        .into_iter()
        .map(Output::CashierAlert)
        .collect()
}
