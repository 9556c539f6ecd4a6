//! State stays bounded over a long run: closed windows are freed.

use retailflow_eventtime::{AnalysisKind, AnalysisSet, EngineConfig, EventTime, LineItem, Receipt};

use crate::support::*;

#[test]
fn state_stays_flat_over_a_million_records_across_ten_thousand_windows() {
    let mut engine = engine(config()); // 10 s tumbling, 5 s lateness
    let mut out = Vec::new();
    let mut random = Random::new(11);
    let mut receipt = Receipt {
        receipt_id: "R".into(),
        store_id: "S0".into(),
        cashier_id: "C".into(),
        ts: EventTime(0),
        items: vec![LineItem {
            name: "Item_1_MILK".into(),
            category: "Milk Products".into(),
            price: 5.0,
            quantity: 1,
        }],
    };
    let stores: Vec<String> = (0..50).map(|store| format!("S{store}")).collect();
    let items: Vec<String> = (1..=25).map(|n| format!("Item_{n}_MILK")).collect();
    let (mut max_open, mut max_store_keys, mut max_item_keys, mut windows_emitted) = (0, 0, 0, 0);
    for index in 0..1_000_000_i64 {
        // 100 records per 10 s window, up to 3 s out of order.
        receipt.ts = at_ms((index * 100 - random.below(3_000) as i64).max(0));
        receipt
            .store_id
            .clone_from(&stores[random.below(50) as usize]);
        receipt.items[0]
            .name
            .clone_from(&items[random.below(25) as usize]);
        engine
            .process(P0, &receipt, now(index / 1000), &mut out)
            .unwrap();
        if index % 1000 == 0 {
            engine.on_trigger(now(index / 1000), &mut out);
            let size = engine.state_size();
            max_open = max_open.max(size.open_windows);
            max_store_keys = max_store_keys.max(size.pane_keys(AnalysisKind::TopStores));
            max_item_keys = max_item_keys.max(size.pane_keys(AnalysisKind::PopularItems));
            windows_emitted += summaries(&out).len();
            out.clear();
        }
    }
    assert!(max_open <= 2, "open windows peaked at {max_open}");
    assert!(max_store_keys <= 2 * 50 && max_item_keys <= 2 * 25);
    // By the last check (record 999,000, watermark 99,895 s) 9,989 windows had closed.
    assert_eq!(windows_emitted, 9_989);
    let size = engine.state_size();
    assert_eq!(size.interned_names, 50 + 1 + 25);
    assert_eq!(size.partitions, 1);
    engine.finish(&mut out);
    assert_eq!(engine.state_size().open_windows, 0);
    assert_eq!(engine.counters().windows_closed, 10_000);
    assert_eq!(engine.counters().late, 0);
}

#[test]
fn sliding_state_is_bounded_by_windows_per_record_plus_lateness() {
    let mut engine = engine(config_with(10, 2, 5));
    let mut out = Vec::new();
    let mut max_open = 0;
    for index in 0..100_000_i64 {
        engine
            .process(
                P0,
                &receipt("r", "S1", at_ms(index * 50), 1.0),
                now(0),
                &mut out,
            )
            .unwrap();
        max_open = max_open.max(engine.state_size().open_windows);
        out.clear();
    }
    // Windows of the newest record (5) plus those within the 5 s lateness behind it (≤ 3).
    assert!(max_open <= 8, "open windows peaked at {max_open}");
    engine.finish(&mut out);
    // Records from 0 s to 4999.95 s: window starts from -8 s to 4998 s every 2 s.
    assert_eq!(engine.counters().windows_closed, 2_504);
}

#[test]
fn every_analysis_keeps_its_state_flat_and_forgets_silent_keys() {
    let config = EngineConfig {
        analyses: AnalysisSet::ALL,
        big_receipt_threshold: retailflow_eventtime::Money::from_hundredths(10_000),
        ..config()
    };
    let mut engine = engine(config);
    let mut out = Vec::new();
    let mut random = Random::new(5);
    let mut most = [0; AnalysisKind::COUNT];
    let mut most_keyed = [0; AnalysisKind::COUNT];
    for index in 0..300_000_u64 {
        // 100 receipts per 10 s window, up to 2 s out of order.
        let ts = at_ms((index as i64 * 100 - random.below(2_000) as i64).max(0));
        let mut receipt = random_receipt(&mut random, index, ts);
        // Store S99 trades only in the first 1,000 windows, then goes silent.
        if index < 100_000 && index % 7 == 0 {
            receipt.store_id = "S99".into();
        }
        engine.process(P0, &receipt, now(0), &mut out).unwrap();
        if index % 1000 == 0 {
            let size = engine.state_size();
            for kind in AnalysisKind::ALL {
                most[kind as usize] = most[kind as usize].max(size.pane_keys(kind));
                most_keyed[kind as usize] = most_keyed[kind as usize].max(size.keyed(kind));
            }
            out.clear();
        }
    }
    let most_of = |kind: AnalysisKind| most[kind as usize];
    // At most two panes are held (the open window and the one the lateness keeps).
    assert!(most_of(AnalysisKind::TopStores) <= 2 * 13, "{most:?}");
    assert!(most_of(AnalysisKind::StoreAnomalies) <= 2 * 13, "{most:?}");
    assert!(
        most_of(AnalysisKind::PopularItems) <= 2 * 24 * 4,
        "{most:?}"
    );
    assert!(
        most_of(AnalysisKind::BoughtTogether) <= 2 * 24 * 23 / 2,
        "{most:?}"
    );
    // One history per store seen within the forget span; per cashier fewer than the 3 big
    // receipts of an alert, plus the ones the watermark has not passed (7 s: 70 receipts at most).
    assert_eq!(most_keyed[AnalysisKind::StoreAnomalies as usize], 13);
    assert!(
        most_keyed[AnalysisKind::CashierAlerts as usize] <= 13 * 2 + 70,
        "{most_keyed:?}"
    );
    // S99 went silent 2,000 windows before the end: forgotten after 60.
    assert_eq!(engine.state_size().keyed(AnalysisKind::StoreAnomalies), 12);
    engine.finish(&mut out);
    assert_eq!(engine.state_size().open_windows, 0);
    assert!(engine.counters().cashier_alerts > 0 && engine.counters().store_anomalies > 0);
}
