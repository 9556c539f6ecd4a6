//! Bought-together pairs through the engine: per window, merged across sliding panes, provisional
//! in update mode, and a hostile basket that adds no pairs.

use retailflow_eventtime::{
    AnalysisSet, BoughtTogether, EngineConfig, OutputMode, PairSettings, Receipt,
};

use crate::support::*;

fn basket(id: &str, s: i64, items: &[&str]) -> Receipt {
    let lines: Vec<(&str, &str, f64, i64)> =
        items.iter().map(|name| (*name, "Food", 1.0, 1)).collect();
    receipt_with(id, "S1", at(s), &lines)
}

fn pairs_config(length_s: i64, slide_s: i64) -> EngineConfig {
    EngineConfig {
        analyses: AnalysisSet::ALL,
        pairs: PairSettings {
            max_basket: 4,
            ..PairSettings::default()
        },
        ..config_with(length_s, slide_s, 0)
    }
}

fn results(config: EngineConfig, receipts: &[Receipt]) -> Vec<BoughtTogether> {
    let mut engine = engine(config);
    let mut out = Vec::new();
    for receipt in receipts {
        engine.process(P0, receipt, now(0), &mut out).unwrap();
        engine.on_trigger(now(0), &mut out);
    }
    engine.finish(&mut out);
    out.into_iter()
        .filter_map(|output| match output {
            retailflow_eventtime::Output::BoughtTogether(result) => Some(result),
            _ => None,
        })
        .collect()
}

/// `(a, b, n)` of one pair.
type PairRow = (String, String, u64);

/// `(window start s, N, [(a, b, n)])`.
fn table(results: &[BoughtTogether]) -> Vec<(i64, u64, Vec<PairRow>)> {
    results
        .iter()
        .map(|result| {
            (
                rel(result.window_start),
                result.receipts,
                result
                    .pairs
                    .iter()
                    .map(|pair| (pair.a.clone(), pair.b.clone(), pair.receipts))
                    .collect(),
            )
        })
        .collect()
}

fn pair(a: &str, b: &str, n: u64) -> (String, String, u64) {
    (a.to_owned(), b.to_owned(), n)
}

#[test]
fn pairs_per_window_and_a_hostile_basket_adds_none() {
    let hostile: Vec<String> = (0..10_000).map(|i| format!("Item_{i}_FOOD")).collect();
    let hostile: Vec<&str> = hostile.iter().map(String::as_str).collect();
    let receipts = [
        basket("R1", 1, &["tea", "milk", "tea"]),
        basket("R2", 2, &["milk", "tea", "jam"]),
        basket("R3", 3, &["jam", "bread"]),
        basket("R4", 4, &hostile),
        basket("R5", 11, &["jam", "bread"]),
        basket("R6", 12, &["bread", "jam"]),
    ];
    let mut engine = engine(pairs_config(10, 10));
    let mut out = Vec::new();
    for receipt in &receipts {
        engine.process(P0, receipt, now(0), &mut out).unwrap();
    }
    engine.finish(&mut out);
    assert_eq!(engine.counters().large_baskets, 1);
    let got: Vec<BoughtTogether> = out
        .into_iter()
        .filter_map(|output| match output {
            retailflow_eventtime::Output::BoughtTogether(result) => Some(result),
            _ => None,
        })
        .collect();
    assert_eq!(
        table(&got),
        [
            (0, 4, vec![pair("milk", "tea", 2)]),
            (10, 2, vec![pair("bread", "jam", 2)])
        ]
    );
    let top = &got[0].pairs[0];
    assert_eq!(
        (top.support, top.confidence_ab, top.confidence_ba, top.lift),
        (0.5, 1.0, 1.0, 2.0)
    );
}

#[test]
fn sliding_windows_merge_their_panes() {
    let receipts = [
        basket("R1", 1, &["a", "b"]),
        basket("R2", 6, &["a", "b"]),
        basket("R3", 7, &["b", "c"]),
        basket("R4", 12, &["b", "c"]),
    ];
    assert_eq!(
        table(&results(pairs_config(10, 5), &receipts)),
        [
            (-5, 1, vec![]),
            (0, 3, vec![pair("a", "b", 2)]),
            (5, 3, vec![pair("b", "c", 2)]),
            (10, 1, vec![]),
        ]
    );
}

#[test]
fn update_mode_shows_provisional_pairs_then_the_final_ones() {
    let config = EngineConfig {
        output_mode: OutputMode::Update,
        ..pairs_config(10, 10)
    };
    let receipts = [basket("R1", 1, &["a", "b"]), basket("R2", 2, &["a", "b"])];
    let got = results(config, &receipts);
    let flags: Vec<(bool, usize)> = got
        .iter()
        .map(|result| (result.is_final, result.pairs.len()))
        .collect();
    assert_eq!(flags, [(false, 0), (false, 1), (true, 1)]);
}
