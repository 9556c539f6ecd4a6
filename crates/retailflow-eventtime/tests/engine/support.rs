//! Receipt builders, times relative to a fixed instant, and output projections for assertions.

use retailflow_eventtime::{
    Engine, EngineConfig, EventTime, Late, LineItem, Output, PartitionId, ProcessingTime, Receipt,
    Refusal, TimeSpan,
};

/// 2024-05-01T12:00:00Z, a multiple of every window length used here.
pub const T0_MS: i64 = 1_714_564_800_000;

pub const P0: PartitionId = PartitionId(0);
pub const P1: PartitionId = PartitionId(1);

/// Event time `ms` milliseconds after T0.
pub fn at_ms(ms: i64) -> EventTime {
    EventTime(T0_MS + ms)
}

/// Event time `s` seconds after T0.
pub fn at(s: i64) -> EventTime {
    at_ms(s * 1000)
}

/// Processing time `s` seconds into the run.
pub fn now(s: i64) -> ProcessingTime {
    ProcessingTime::from_millis(s * 1000)
}

/// A receipt with the given lines `(item, category, price, quantity)`.
pub fn receipt_with(
    id: &str,
    store: &str,
    ts: EventTime,
    lines: &[(&str, &str, f64, i64)],
) -> Receipt {
    Receipt {
        receipt_id: id.to_owned(),
        store_id: store.to_owned(),
        cashier_id: format!("{store}-C1"),
        ts,
        items: lines
            .iter()
            .map(|&(name, category, price, quantity)| LineItem {
                name: name.to_owned(),
                category: category.to_owned(),
                price,
                quantity,
            })
            .collect(),
    }
}

/// A one-line receipt of one `Item_1_MILK` at `price`.
pub fn receipt(id: &str, store: &str, ts: EventTime, price: f64) -> Receipt {
    receipt_with(id, store, ts, &[("Item_1_MILK", "Milk Products", price, 1)])
}

pub fn config() -> EngineConfig {
    EngineConfig::default()
}

pub fn config_with(length_s: i64, slide_s: i64, lateness_s: i64) -> EngineConfig {
    EngineConfig {
        window_length: TimeSpan::from_secs(length_s),
        window_slide: TimeSpan::from_secs(slide_s),
        allowed_lateness: TimeSpan::from_secs(lateness_s),
        ..EngineConfig::default()
    }
}

pub fn engine(config: EngineConfig) -> Engine {
    Engine::new(config).unwrap()
}

/// Seconds after T0.
pub fn rel(t: EventTime) -> i64 {
    (t.millis() - T0_MS) / 1000
}

/// `(start, end, receipts, final)` of every window summary, times in seconds after T0.
pub fn summaries(outputs: &[Output]) -> Vec<(i64, i64, u64, bool)> {
    outputs
        .iter()
        .filter_map(|output| match output {
            Output::WindowSummary(summary) => Some((
                rel(summary.window_start),
                rel(summary.window_end),
                summary.receipts,
                summary.is_final,
            )),
            _ => None,
        })
        .collect()
}

/// Receipt ids of every big-receipt result.
pub fn big_receipt_ids(outputs: &[Output]) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|output| match output {
            Output::BigReceipt(big) => Some(big.receipt_id.clone()),
            _ => None,
        })
        .collect()
}

/// A small deterministic random source (SplitMix64) for generated inputs.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Random(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const CATEGORIES: [(&str, &str); 4] = [
    ("Milk Products", "MILK"),
    ("Beverages", "BEV"),
    ("Butchers", "BUT"),
    ("Food", "FOOD"),
];

/// A random receipt with 1–4 lines from a small catalog, at event time `ts`; one line in 40 has
/// its item under a random category.
pub fn random_receipt(random: &mut Random, id: u64, ts: EventTime) -> Receipt {
    let store = format!("S{}", random.below(12));
    let lines = 1 + random.below(4);
    let items = (0..lines)
        .map(|_| {
            let (mut category, code) = CATEGORIES[random.below(CATEGORIES.len() as u64) as usize];
            // Now and then an item name turns up under another category (dirty data).
            if random.below(40) == 0 {
                category = CATEGORIES[random.below(CATEGORIES.len() as u64) as usize].0;
            }
            let n = 1 + random.below(6);
            LineItem {
                name: format!("Item_{n}_{code}"),
                category: category.to_owned(),
                price: 5.0 + 1.5 * (n - 1) as f64 + if random.below(8) == 0 { 120.25 } else { 0.0 },
                quantity: 1 + random.below(10) as i64,
            }
        })
        .collect();
    Receipt {
        receipt_id: format!("R{id}"),
        store_id: store.clone(),
        cashier_id: format!("{store}-C1"),
        ts,
        items,
    }
}

/// The [`Late`] refusal of a call that must have been refused as late.
pub fn expect_late(result: Result<(), Refusal>) -> Late {
    match result {
        Err(Refusal::Late(late)) => late,
        other => panic!("expected a late refusal, got {other:?}"),
    }
}
