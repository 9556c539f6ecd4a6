//! The batch windows against the stream's event-time engine: the same receipts through both must
//! give the same results (append mode, bounded input), for tumbling and sliding windows, at exact
//! window boundaries, with ties, and with lines the stream rejects.

use std::io::Write;

use retailflow_eventtime::{Engine, EventTime, Output, PartitionId, ProcessingTime, TimeSpan};
use retailflow_receipts::generate::{EventClock, Faults, MessageGenerator, ReceiptGenerator};
use retailflow_receipts::{Reason, ReceiptFormat, RecordFormat};

use super::*;

/// `lines` written to a temporary JSONL file.
fn jsonl(lines: &[Vec<u8>]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for line in lines {
        file.write_all(line).unwrap();
        file.write_all(b"\n").unwrap();
    }
    file.flush().unwrap();
    file
}

/// What the stream's engine emits for the lines of `path` read as the file source does (one
/// partition, everything in one micro-batch, then end of input), with a lateness so large that
/// no record is late.
fn engine_outputs(options: &WindowsOptions) -> Vec<Output> {
    let config = EngineConfig {
        allowed_lateness: TimeSpan::from_millis(i64::MAX / 4),
        ..options.engine_config()
    };
    let mut engine = Engine::new(config).unwrap();
    let now = ProcessingTime::from_millis(0);
    engine.declare_partitions([PartitionId(0)], now);
    let mut outputs = Vec::new();
    let text = std::fs::read(&options.input).unwrap();
    for line in text.split(|&b| b == b'\n') {
        if line.len() > options.max_message_size {
            continue;
        }
        if let Ok(receipt) = ReceiptFormat::default().parse(line) {
            engine
                .process(PartitionId(0), &receipt, now, &mut outputs)
                .unwrap();
        }
    }
    engine.finish(&mut outputs);
    outputs
}

/// Results as sorted JSON texts, so two runs can be compared as sets (with multiplicity).
fn as_sorted_set(outputs: &[Output]) -> Vec<String> {
    let mut lines: Vec<String> = outputs
        .iter()
        .map(|output| serde_json::to_string(output).unwrap())
        .collect();
    lines.sort();
    lines
}

fn batch(options: &WindowsOptions) -> WindowsResult {
    run_windows(options).unwrap()
}

fn kinds(outputs: &[Output]) -> [usize; 4] {
    let count = |kind: &str| outputs.iter().filter(|o| o.kind() == kind).count();
    [
        count("top_stores"),
        count("popular_items"),
        count("window_summary"),
        count("big_receipt"),
    ]
}

/// Generated receipts as the stream's producer makes them: `count` messages at `per_second` from
/// 2025-01-01T00:00:00Z, a share of them damaged.
fn generated(count: usize, per_second: f64, malformed_fraction: f64) -> Vec<Vec<u8>> {
    let clock = EventClock::Seeded {
        start: EventTime::from_secs(1_735_689_600),
        events_per_second: per_second,
    };
    let faults = Faults {
        malformed_fraction,
        ..Faults::default()
    };
    let mut generator = ReceiptGenerator::new(7, clock, faults);
    (0..count)
        .map(|_| generator.next_message(EventTime(0)).payload.to_vec())
        .collect()
}

fn assert_agrees(options: &WindowsOptions) -> WindowsResult {
    let result = batch(options);
    let engine = engine_outputs(options);
    let (ours, theirs) = (as_sorted_set(&result.outputs), as_sorted_set(&engine));
    if ours != theirs {
        let only_batch: Vec<_> = ours
            .iter()
            .filter(|line| !theirs.contains(line))
            .take(3)
            .collect();
        let only_engine: Vec<_> = theirs
            .iter()
            .filter(|line| !ours.contains(line))
            .take(3)
            .collect();
        panic!(
            "batch and engine disagree ({} vs {} results)\nonly in batch: {only_batch:#?}\nonly in engine: {only_engine:#?}",
            ours.len(),
            theirs.len()
        );
    }
    assert!(result.outputs.iter().all(Output::is_final));
    result
}

#[test]
fn generated_receipts_agree_with_the_engine_in_tumbling_windows() {
    let file = jsonl(&generated(3_000, 200.0, 0.0));
    let result = assert_agrees(&WindowsOptions::new(file.path()));
    // 3,000 receipts at 200/s span 15 s of event time from a 10 s boundary: 2 windows.
    assert_eq!(
        (result.lines, result.receipts, result.windows),
        (3_000, 3_000, 2)
    );
    let [top, popular, summaries, big] = kinds(&result.outputs);
    assert_eq!((top, summaries), (2, 2));
    assert_eq!(popular, 16, "8 categories in each of 2 windows");
    assert!(big > 10, "{big} big receipts");
}

#[test]
fn generated_receipts_agree_with_the_engine_in_sliding_windows() {
    let file = jsonl(&generated(3_000, 40.0, 0.0));
    let options = WindowsOptions {
        analyses: EngineConfig {
            window_slide: TimeSpan::from_secs(2),
            ..EngineConfig::default()
        },
        ..WindowsOptions::new(file.path())
    };
    let result = assert_agrees(&options);
    // 75 s of event time: windows starting every 2 s from 8 s before the first receipt to the
    // last receipt's 2 s slot.
    assert_eq!(result.windows, 42);
    let [top, _, summaries, _] = kinds(&result.outputs);
    assert_eq!((top, summaries), (42, 42));
    let receipts_in_windows: u64 = result
        .outputs
        .iter()
        .filter_map(|output| match output {
            Output::WindowSummary(summary) => Some(summary.receipts),
            _ => None,
        })
        .sum();
    assert_eq!(
        receipts_in_windows,
        5 * 3_000,
        "each receipt is in 5 windows"
    );
}

#[test]
fn damaged_lines_are_left_out_exactly_as_the_stream_leaves_them_out() {
    let file = jsonl(&generated(2_000, 100.0, 0.05));
    let result = assert_agrees(&WindowsOptions::new(file.path()));
    assert_eq!(result.lines, 2_000);
    assert!(result.rejected.total() > 50, "{}", result.rejected);
    assert_eq!(result.receipts + result.rejected.total(), 2_000);
    assert!(
        result.rejected.get(Reason::TooLarge) > 0,
        "{}",
        result.rejected
    );
}

fn receipt_line(id: &str, store: &str, ts: &str, items: &[(&str, &str, f64, i64)]) -> Vec<u8> {
    let items: Vec<String> = items
        .iter()
        .map(|(name, category, price, quantity)| {
            format!(r#"{{"name":"{name}","category":"{category}","price":{price},"quantity":{quantity}}}"#)
        })
        .collect();
    format!(
        r#"{{"receipt_id":"{id}","store_id":"{store}","cashier_id":"{store}-C1","ts":"{ts}","items":[{}]}}"#,
        items.join(",")
    )
    .into_bytes()
}

/// Receipts at and around window boundaries (t = k·10 s and one millisecond before), out of order,
/// with equal revenues and equal units, a total exactly at the threshold and one a cent over it,
/// prices that need rounding, a receipt id seen twice, and a receipt before 1970.
fn boundary_lines() -> Vec<Vec<u8>> {
    vec![
        receipt_line(
            "A",
            "S2",
            "2025-01-01T00:00:10.000Z",
            &[("Item_1_MILK", "Milk Products", 250.0, 2)],
        ),
        receipt_line(
            "B",
            "S1",
            "2025-01-01T00:00:09.999Z",
            &[
                ("Item_2_MILK", "Milk Products", 250.0, 2),
                ("Item_1_BEV", "Beverages", 0.01, 1),
            ],
        ),
        receipt_line(
            "C",
            "S3",
            "2025-01-01T00:00:00.000Z",
            &[("Item_1_MILK", "Milk Products", 19.995, 3)],
        ),
        receipt_line(
            "D",
            "S1",
            "2025-01-01T00:00:20.000Z",
            &[
                ("Item_3_MILK", "Milk Products", 0.1, 3),
                ("Item_1_MILK", "Milk Products", 0.2, 3),
            ],
        ),
        receipt_line(
            "D",
            "S4",
            "2025-01-01T00:00:19.999Z",
            &[
                ("Item_3_MILK", "Milk Products", 100.0, 3),
                ("Item_2_BEV", "Beverages", 5.5, 7),
            ],
        ),
        receipt_line(
            "E",
            "S5",
            "2025-01-01T00:00:10.000Z",
            &[("Item_2_MILK", "Milk Products", 250.0, 2)],
        ),
        receipt_line(
            "F",
            "S0",
            "2025-01-01T00:00:12.000Z",
            &[("Item_4_MILK", "Milk Products", 50.0, 10)],
        ),
        receipt_line(
            "G",
            "S6",
            "2025-01-01T00:00:11.000Z",
            &[
                ("Item_1_BEV", "Beverages", 1.0, 7),
                ("Item_1_BEV", "Beverages", 1.0, 0),
            ],
        ),
        receipt_line(
            "H",
            "S7",
            "1969-12-31T23:59:59.999Z",
            &[("Item_1_FOOD", "Food", 3.0, 1)],
        ),
        receipt_line(
            "I",
            "S7",
            "1970-01-01T00:00:00.000Z",
            &[("Item_1_FOOD", "Food", 3.0, 1)],
        ),
    ]
}

#[test]
fn exact_boundaries_ties_and_rounding_agree_with_the_engine() {
    let file = jsonl(&boundary_lines());
    for (length, slide) in [(10, 10), (10, 2), (10, 3), (10, 5)] {
        let options = WindowsOptions {
            analyses: EngineConfig {
                window_length: TimeSpan::from_secs(length),
                window_slide: TimeSpan::from_secs(slide),
                top_stores: 3,
                top_items: 2,
                ..EngineConfig::default()
            },
            ..WindowsOptions::new(file.path())
        };
        let result = assert_agrees(&options);
        assert_eq!(result.receipts, 9, "G has a zero quantity and is rejected");
        assert_eq!(result.rejected.to_string(), "invalid_value 1");
    }
}

#[test]
fn tumbling_results_at_the_boundaries_are_the_expected_values() {
    let file = jsonl(&boundary_lines());
    let options = WindowsOptions {
        analyses: EngineConfig {
            top_stores: 3,
            top_items: 2,
            ..EngineConfig::default()
        },
        ..WindowsOptions::new(file.path())
    };
    let result = batch(&options);
    let lines: Vec<String> = result
        .outputs
        .iter()
        .map(|output| serde_json::to_string(output).unwrap())
        .collect();
    let expected = [
        // 500.01 is big; F's total of exactly 500.00 is not.
        r#"{"kind":"big_receipt","receipt_id":"B","store_id":"S1","cashier_id":"S1-C1","ts":1735689609999,"total":500.01}"#,
        r#"{"kind":"top_stores","window_start":-10000,"window_end":0,"stores":[{"store_id":"S7","revenue":3.0,"receipts":1}],"final":true}"#,
        r#"{"kind":"popular_items","window_start":-10000,"window_end":0,"category":"Food","items":[{"name":"Item_1_FOOD","quantity":1}],"final":true}"#,
        r#"{"kind":"window_summary","window_start":-10000,"window_end":0,"receipts":1,"revenue":3.0,"items":1,"final":true}"#,
        r#"{"kind":"top_stores","window_start":0,"window_end":10000,"stores":[{"store_id":"S7","revenue":3.0,"receipts":1}],"final":true}"#,
        r#"{"kind":"popular_items","window_start":0,"window_end":10000,"category":"Food","items":[{"name":"Item_1_FOOD","quantity":1}],"final":true}"#,
        r#"{"kind":"window_summary","window_start":0,"window_end":10000,"receipts":1,"revenue":3.0,"items":1,"final":true}"#,
        // 19.995 × 100 is 1999.5 in floating point, so the price is 20.00 to the cent.
        r#"{"kind":"top_stores","window_start":1735689600000,"window_end":1735689610000,"stores":[{"store_id":"S1","revenue":500.01,"receipts":1},{"store_id":"S3","revenue":60.0,"receipts":1}],"final":true}"#,
        r#"{"kind":"popular_items","window_start":1735689600000,"window_end":1735689610000,"category":"Beverages","items":[{"name":"Item_1_BEV","quantity":1}],"final":true}"#,
        r#"{"kind":"popular_items","window_start":1735689600000,"window_end":1735689610000,"category":"Milk Products","items":[{"name":"Item_1_MILK","quantity":3},{"name":"Item_2_MILK","quantity":2}],"final":true}"#,
        r#"{"kind":"window_summary","window_start":1735689600000,"window_end":1735689610000,"receipts":2,"revenue":560.01,"items":6,"final":true}"#,
        // S0, S2 and S5 tie on revenue: by store id. S4's receipt reuses the id D: it counts on
        // its own.
        r#"{"kind":"top_stores","window_start":1735689610000,"window_end":1735689620000,"stores":[{"store_id":"S0","revenue":500.0,"receipts":1},{"store_id":"S2","revenue":500.0,"receipts":1},{"store_id":"S5","revenue":500.0,"receipts":1}],"final":true}"#,
        r#"{"kind":"popular_items","window_start":1735689610000,"window_end":1735689620000,"category":"Beverages","items":[{"name":"Item_2_BEV","quantity":7}],"final":true}"#,
        r#"{"kind":"popular_items","window_start":1735689610000,"window_end":1735689620000,"category":"Milk Products","items":[{"name":"Item_4_MILK","quantity":10},{"name":"Item_3_MILK","quantity":3}],"final":true}"#,
        r#"{"kind":"window_summary","window_start":1735689610000,"window_end":1735689620000,"receipts":4,"revenue":1838.5,"items":24,"final":true}"#,
        r#"{"kind":"top_stores","window_start":1735689620000,"window_end":1735689630000,"stores":[{"store_id":"S1","revenue":0.9,"receipts":1}],"final":true}"#,
        r#"{"kind":"popular_items","window_start":1735689620000,"window_end":1735689630000,"category":"Milk Products","items":[{"name":"Item_1_MILK","quantity":3},{"name":"Item_3_MILK","quantity":3}],"final":true}"#,
        r#"{"kind":"window_summary","window_start":1735689620000,"window_end":1735689630000,"receipts":1,"revenue":0.9,"items":6,"final":true}"#,
    ];
    assert_eq!(lines, expected);
}

#[test]
fn an_empty_file_has_no_results() {
    let file = jsonl(&[]);
    let result = batch(&WindowsOptions::new(file.path()));
    assert!(result.outputs.is_empty());
    assert_eq!((result.lines, result.receipts, result.windows), (0, 0, 0));
}

#[test]
fn settings_the_stream_refuses_are_refused() {
    let file = jsonl(&[]);
    let options = WindowsOptions {
        analyses: EngineConfig {
            window_slide: TimeSpan::from_secs(20),
            ..EngineConfig::default()
        },
        ..WindowsOptions::new(file.path())
    };
    let error = run_windows(&options).unwrap_err();
    assert!(error.is_user_input());
    assert_eq!(
        error.to_string(),
        "window slide 20s must not be longer than the window length 10s"
    );
    let options = WindowsOptions {
        analyses: EngineConfig {
            top_items: 0,
            ..EngineConfig::default()
        },
        ..WindowsOptions::new(file.path())
    };
    assert_eq!(
        run_windows(&options).unwrap_err().to_string(),
        "popular items per category must keep at least one entry, got 0"
    );
}

/// Every analysis on, with settings that make each of the new ones fire on generated traffic.
fn every_analysis(path: &std::path::Path, slide_s: i64) -> WindowsOptions {
    WindowsOptions {
        analyses: EngineConfig {
            window_slide: TimeSpan::from_secs(slide_s),
            analyses: AnalysisSet::ALL,
            anomalies: retailflow_eventtime::AnomalySettings {
                warmup: 3,
                z: 1.5,
                forget: 4,
                ..Default::default()
            },
            cashier_alerts: retailflow_eventtime::CashierAlertSettings {
                count: 2,
                within: TimeSpan::from_secs(30),
            },
            pairs: retailflow_eventtime::PairSettings {
                top: 4,
                min_receipts: 2,
                max_basket: 3,
            },
            ..EngineConfig::default()
        },
        ..WindowsOptions::new(path)
    }
}

fn count_of(outputs: &[Output], kind: &str) -> usize {
    outputs.iter().filter(|o| o.kind() == kind).count()
}

#[test]
fn the_new_analyses_agree_with_the_engine_in_tumbling_and_sliding_windows() {
    let file = jsonl(&generated(6_000, 50.0, 0.02));
    for (slide, windows) in [(10, 12), (5, 25)] {
        let result = assert_agrees(&every_analysis(file.path(), slide));
        assert_eq!(result.windows, windows, "slide {slide}s");
        let outputs = &result.outputs;
        assert_eq!(count_of(outputs, "bought_together"), windows as usize);
        let pairs: usize = outputs
            .iter()
            .map(|output| match output {
                Output::BoughtTogether(result) => result.pairs.len(),
                _ => 0,
            })
            .sum();
        assert!(pairs > 0, "slide {slide}s: no pairs");
        assert!(count_of(outputs, "store_anomaly") > 0, "slide {slide}s");
        assert!(count_of(outputs, "cashier_alert") > 0, "slide {slide}s");
    }
}

#[test]
fn pairs_count_once_per_receipt_and_large_baskets_add_none() {
    let t = "2025-01-01T00:00:01.000Z";
    let big_basket: Vec<(String, &str, f64, i64)> = (0..4)
        .map(|n| (format!("Item_{n}_BEV"), "Beverages", 1.0, 1))
        .collect();
    let big_basket: Vec<(&str, &str, f64, i64)> = big_basket
        .iter()
        .map(|(name, category, price, quantity)| (name.as_str(), *category, *price, *quantity))
        .collect();
    let milk = ("Item_1_MILK", "Milk Products", 2.0, 1);
    let bread = ("Item_1_BAK", "Bakery", 3.0, 1);
    let lines = vec![
        receipt_line("R1", "S1", t, &[milk, bread, milk]),
        receipt_line("R2", "S1", t, &[bread, milk]),
        receipt_line("R3", "S2", t, &[milk]),
        // Four distinct items, over the basket limit of three: no pairs, but counted in N.
        receipt_line("R4", "S2", t, &big_basket),
    ];
    let file = jsonl(&lines);
    let options = every_analysis(file.path(), 10);
    let result = assert_agrees(&options);
    let together: Vec<String> = result
        .outputs
        .iter()
        .filter(|output| output.kind() == "bought_together")
        .map(|output| serde_json::to_string(output).unwrap())
        .collect();
    assert_eq!(
        together,
        [
            r#"{"kind":"bought_together","window_start":1735689600000,"window_end":1735689610000,"receipts":4,"pairs":[{"a":"Item_1_BAK","b":"Item_1_MILK","receipts":2,"support":0.5,"confidence_ab":1.0,"confidence_ba":0.6666666666666666,"lift":1.3333333333333333}],"final":true}"#
        ]
    );
}

#[test]
fn analyses_left_out_are_not_computed() {
    let file = jsonl(&generated(3_000, 200.0, 0.0));
    let options = WindowsOptions {
        analyses: EngineConfig {
            analyses: AnalysisSet::ALL
                .without(AnalysisKind::TopStores)
                .without(AnalysisKind::WindowSummary)
                .without(AnalysisKind::BigReceipts),
            ..every_analysis(file.path(), 10).analyses
        },
        ..WindowsOptions::new(file.path())
    };
    let result = assert_agrees(&options);
    assert_eq!(result.windows, 2);
    let [top, popular, summaries, big] = kinds(&result.outputs);
    assert_eq!((top, summaries, big), (0, 0, 0));
    assert_eq!(popular, 16);
    assert_eq!(count_of(&result.outputs, "bought_together"), 2);
    assert!(count_of(&result.outputs, "cashier_alert") > 0);
}
