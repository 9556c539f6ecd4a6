//! Memory of `--dedupe`: how much the receipt ids held within the watermark's horizon cost. Feeds
//! RECEIPTS receipts with ids like the producer's (`R` and 10 digits) through an engine whose
//! allowed lateness keeps every id held, and prints the resident memory added per million ids.
//!
//! `cargo run --release -p retailflow-eventtime --example dedupe_memory -- [RECEIPTS]`

use retailflow_eventtime::{
    Engine, EngineConfig, EventTime, LineItem, PartitionId, ProcessingTime, Receipt, TimeSpan,
};

/// Resident set size in KiB, from /proc (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    for dedupe in [false, true] {
        let config = EngineConfig {
            dedupe,
            allowed_lateness: TimeSpan::from_secs(100_000_000),
            ..EngineConfig::default()
        };
        let mut engine = Engine::new(config).expect("valid settings");
        let mut receipt = Receipt {
            receipt_id: String::new(),
            store_id: "S001".into(),
            cashier_id: "S001-C1".into(),
            ts: EventTime(0),
            items: vec![LineItem {
                name: "Item_1_FOOD".into(),
                category: "Food".into(),
                price: 5.0,
                quantity: 1,
            }],
        };
        let mut out = Vec::new();
        let before = rss_kib();
        for index in 0..count {
            receipt.receipt_id.clear();
            receipt.receipt_id.push_str(&format!("R{index:010}"));
            receipt.ts = EventTime(1_714_564_800_000 + index as i64);
            let _ = engine.process(PartitionId(0), &receipt, ProcessingTime(0), &mut out);
            out.clear();
        }
        let after = rss_kib();
        let held = engine.state_size().receipt_ids;
        println!(
            "dedupe {}: {count} receipts, {held} ids held, RSS +{} MiB ({:.0} bytes per receipt)",
            if dedupe { "on " } else { "off" },
            (after.saturating_sub(before)) / 1024,
            (after.saturating_sub(before) * 1024) as f64 / count as f64
        );
    }
}
