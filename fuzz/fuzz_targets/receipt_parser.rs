//! The receipt schema on any bytes: parsing never panics, a receipt it accepts keeps the value
//! rules, and the fast-path scan, whenever it accepts a payload, reads exactly what serde reads.

#![no_main]

use libfuzzer_sys::fuzz_target;
use retailflow_receipts::schema::{ReceiptFormat, RecordFormat, scan_against_serde};

fuzz_target!(|data: &[u8]| {
    let format = ReceiptFormat::default();
    if let Ok(receipt) = format.parse(data) {
        let rules = format.rules;
        assert!(!receipt.items.is_empty(), "a receipt without items");
        assert!(receipt.ts.is_in_calendar(), "ts outside years 1 to 9999");
        for item in &receipt.items {
            assert!(
                (1..=rules.max_quantity).contains(&item.quantity),
                "quantity {} kept",
                item.quantity
            );
            assert!(
                item.price.is_finite() && (0.0..=rules.max_price).contains(&item.price),
                "price {} kept",
                item.price
            );
        }
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(disagreement) = scan_against_serde(text)
    {
        panic!("{disagreement}");
    }
});
