//! Engine-only throughput: receipts per second through `Engine::process`, for tumbling and sliding
//! windows, on one core, with the four window analyses (the library's default) and then with all
//! seven (as `retailflow stream` runs them), and the ratio of the two. Receipts are built in memory
//! first so only the engine is measured.
//!
//! `cargo run --release -p retailflow-eventtime --example engine_throughput -- [RECEIPTS] [EVENTS_PER_SECOND]`
//! (`EACH=1`: also all but each of the three newer analyses; `ONLY_ALL=1`: only 10 s tumbling
//! with all seven, for a profiler).

use std::time::Instant;

use retailflow_eventtime::{
    AnalysisKind, AnalysisSet, Engine, EngineConfig, EventTime, LineItem, Output, OutputMode,
    PartitionId, ProcessingTime, Receipt, TimeSpan,
};

const CATEGORIES: [(&str, &str); 8] = [
    ("Beverages", "BEV"),
    ("Butchers", "BUT"),
    ("Computers and electric accessories", "CEA"),
    ("Electric household essentials", "EHE"),
    ("Food", "FOOD"),
    ("Furniture", "FUR"),
    ("Milk Products", "MILK"),
    ("Patisserie", "PAT"),
];

/// SplitMix64.
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

fn receipts(count: u64, events_per_second: u64) -> Vec<Receipt> {
    let mut random = Random(1);
    let start_ms = 1_714_564_800_000_i64;
    (0..count)
        .map(|index| {
            // Skewed stores: the square of a uniform draw favours low ids.
            let draw = random.below(1000);
            let store = draw * draw / 20_000;
            let lines = 1 + random.below(5);
            let items = (0..lines)
                .map(|_| {
                    let (category, code) = CATEGORIES[random.below(8) as usize];
                    let n = 1 + random.below(25);
                    LineItem {
                        name: format!("Item_{n}_{code}"),
                        category: category.to_owned(),
                        price: 5.0 + 1.5 * (n - 1) as f64,
                        quantity: 1 + random.below(10) as i64,
                    }
                })
                .collect();
            let jitter = random.below(2_000) as i64;
            Receipt {
                receipt_id: format!("R{index}"),
                store_id: format!("S{store:02}"),
                cashier_id: format!("S{store:02}-C{}", random.below(4)),
                ts: EventTime(start_ms + (index * 1000 / events_per_second) as i64 - jitter),
                items,
            }
        })
        .collect()
}

fn measure(name: &str, config: EngineConfig, input: &[Receipt]) -> f64 {
    let mut engine = Engine::new(config).expect("valid configuration");
    let mut out: Vec<Output> = Vec::with_capacity(1024);
    let (mut results, mut late) = (0usize, 0u64);
    let started = Instant::now();
    for (index, receipt) in input.iter().enumerate() {
        let now = ProcessingTime::from_millis(index as i64 / 1000);
        late += u64::from(
            engine
                .process(PartitionId((index % 4) as i32), receipt, now, &mut out)
                .is_err(),
        );
        if index % 10_000 == 0 {
            engine.on_trigger(now, &mut out);
            results += out.len();
            out.clear();
        }
    }
    engine.finish(&mut out);
    results += out.len();
    let seconds = started.elapsed().as_secs_f64();
    let rate = input.len() as f64 / seconds;
    println!(
        "{name:<44} {rate:>12.0} receipts/s  ({} receipts in {seconds:.3} s, {results} results, {late} late, {} windows)",
        input.len(),
        engine.counters().windows_closed,
    );
    rate
}

/// Measures `config` with the four window analyses, then with all seven, and prints the ratio.
fn compare(name: &str, config: EngineConfig, input: &[Receipt]) {
    let classic = measure(&format!("{name}, 4 analyses"), config, input);
    let all = measure(
        &format!("{name}, all 7 analyses"),
        EngineConfig {
            analyses: AnalysisSet::ALL,
            ..config
        },
        input,
    );
    println!("{name:<44} all 7 / 4 analyses: {:.3}", all / classic);
    if std::env::var_os("EACH").is_some() {
        for kind in [
            AnalysisKind::BoughtTogether,
            AnalysisKind::StoreAnomalies,
            AnalysisKind::CashierAlerts,
        ] {
            measure(
                &format!("{name}, all but {}", kind.name()),
                EngineConfig {
                    analyses: AnalysisSet::ALL.without(kind),
                    ..config
                },
                input,
            );
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: u64 = args
        .next()
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(2_000_000);
    let events_per_second: u64 = args
        .next()
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(10_000);
    let input = receipts(count, events_per_second);
    let lines: usize = input.iter().map(|receipt| receipt.items.len()).sum();
    println!(
        "{count} receipts, {lines} lines, {events_per_second} receipts per event-time second, 4 partitions"
    );
    let tumbling = EngineConfig::default();
    if std::env::var_os("ONLY_ALL").is_some() {
        // One case alone, for a profiler.
        let all = EngineConfig {
            analyses: AnalysisSet::ALL,
            ..tumbling
        };
        measure("10 s tumbling, append, all 7 analyses", all, &input);
        return;
    }
    let sliding = EngineConfig {
        window_slide: TimeSpan::from_secs(2),
        ..tumbling
    };
    compare("10 s tumbling, append", tumbling, &input);
    compare("10 s every 2 s, append", sliding, &input);
    compare(
        "10 s every 2 s, update",
        EngineConfig {
            output_mode: OutputMode::Update,
            ..sliding
        },
        &input,
    );
}
