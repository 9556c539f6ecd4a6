//! Cashier alerts on a fake clock: big receipts judged in event-time order as the watermark passes
//! them, whatever order they arrive in within the allowed lateness.

use retailflow_eventtime::{
    AnalysisKind, AnalysisSet, CashierAlert, CashierAlertSettings, Engine, EngineConfig, Output,
    Receipt,
};

use crate::support::*;

fn alert_config(lateness_s: i64) -> EngineConfig {
    EngineConfig {
        analyses: AnalysisSet::ALL,
        ..config_with(10, 10, lateness_s)
    }
}

/// A receipt of `total` by cashier `cashier` at store `S1`, `s` seconds after T0.
fn till(id: &str, cashier: &str, s: i64, total: f64) -> Receipt {
    let mut receipt = receipt(id, "S1", at(s), total);
    receipt.cashier_id = cashier.to_owned();
    receipt
}

fn alerts(engine: &mut Engine, receipts: &[Receipt]) -> Vec<CashierAlert> {
    let mut out = Vec::new();
    for receipt in receipts {
        engine.process(P0, receipt, now(0), &mut out).unwrap();
    }
    engine.finish(&mut out);
    out.into_iter()
        .filter_map(|output| match output {
            Output::CashierAlert(alert) => Some(alert),
            _ => None,
        })
        .collect()
}

fn ids(alert: &CashierAlert) -> Vec<&str> {
    alert.receipts.iter().map(String::as_str).collect()
}

#[test]
fn three_big_receipts_within_a_minute_out_of_order_make_one_alert_in_event_time_order() {
    let mut engine = engine(alert_config(30));
    let receipts = [
        till("R30", "C1", 30, 600.0),
        till("R10", "C1", 10, 700.0),
        till("small", "C1", 20, 20.0),
        till("R50", "C1", 50, 800.5),
    ];
    let mut out = Vec::new();
    for receipt in &receipts {
        engine.process(P0, receipt, now(0), &mut out).unwrap();
    }
    // Nothing yet: the watermark (50 s − 30 s) has passed only R10.
    assert!(out.iter().all(|o| !matches!(o, Output::CashierAlert(_))));
    let got = alerts(&mut engine, &[till("later", "C9", 81, 1.0)]);
    assert_eq!(got.len(), 1);
    let alert = &got[0];
    assert_eq!(ids(alert), ["R10", "R30", "R50"]);
    assert_eq!(
        (
            alert.cashier_id.as_str(),
            alert.store_id.as_str(),
            rel(alert.first_ts),
            rel(alert.last_ts)
        ),
        ("C1", "S1", 10, 50)
    );
    assert_eq!(alert.total.to_string(), "2100.50");
    assert_eq!(engine.counters().cashier_alerts, 1);
}

#[test]
fn after_an_alert_the_count_starts_again() {
    let receipts: Vec<Receipt> = (0..8)
        .map(|i| till(&format!("R{i}"), "C1", i * 5, 600.0))
        .collect();
    let got = alerts(&mut engine(alert_config(0)), &receipts);
    let got: Vec<Vec<&str>> = got.iter().map(ids).collect();
    assert_eq!(got, [["R0", "R1", "R2"], ["R3", "R4", "R5"]]);
}

#[test]
fn receipts_further_apart_than_the_span_or_at_other_tills_do_not_add_up() {
    let receipts = [
        till("R0", "C1", 0, 600.0),
        till("R1", "C1", 61, 600.0),
        till("R2", "C2", 62, 600.0),
        till("R3", "C1", 122, 600.0),
        till("R4", "C2", 130, 600.0),
    ];
    assert_eq!(alerts(&mut engine(alert_config(0)), &receipts), []);
    // Exactly the span apart still counts.
    let settings = CashierAlertSettings {
        count: 2,
        ..CashierAlertSettings::default()
    };
    let config = EngineConfig {
        cashier_alerts: settings,
        ..alert_config(0)
    };
    let got = alerts(
        &mut engine(config),
        &[till("R0", "C1", 0, 600.0), till("R1", "C1", 60, 600.0)],
    );
    assert_eq!(got.iter().map(ids).collect::<Vec<_>>(), [["R0", "R1"]]);
}

#[test]
fn any_arrival_order_within_the_lateness_gives_the_same_alerts() {
    let mut random = Random::new(9);
    let mut receipts: Vec<Receipt> = (0..400)
        .map(|i| {
            let cashier = format!("C{}", random.below(3));
            let total = if random.below(3) == 0 { 900.0 } else { 50.0 };
            till(&format!("R{i}"), &cashier, i, total)
        })
        .collect();
    let expected = alerts(&mut engine(alert_config(20)), &receipts);
    assert!(expected.len() > 10, "{} alerts", expected.len());
    for round in 0..20 {
        // Shuffle within blocks of 15 s: every receipt stays within the lateness of the newest.
        for block in receipts.chunks_mut(15) {
            for i in (1..block.len()).rev() {
                block.swap(i, random.below(i as u64 + 1) as usize);
            }
        }
        let got = alerts(&mut engine(alert_config(20)), &receipts);
        assert_eq!(got, expected, "round {round}");
    }
}

#[test]
fn a_big_receipt_already_behind_the_watermark_is_counted_not_ordered() {
    // Sliding windows keep a receipt 8 s behind the watermark open for some windows.
    let config = EngineConfig {
        analyses: AnalysisSet::ALL,
        ..config_with(10, 2, 0)
    };
    let mut engine = engine(config);
    let got = alerts(
        &mut engine,
        &[
            till("R0", "C1", 20, 600.0),
            till("R1", "C1", 22, 600.0),
            till("behind", "C1", 14, 600.0),
        ],
    );
    assert_eq!(got, []);
    assert_eq!(engine.counters().behind_watermark_for_alerts, 1);
    assert_eq!(engine.counters().big_receipts, 3);
}

#[test]
fn cashiers_quiet_for_the_span_are_forgotten() {
    let mut engine = engine(alert_config(0));
    let mut out = Vec::new();
    for (i, cashier) in ["C1", "C2", "C3"].iter().enumerate() {
        let receipt = till(&format!("R{i}"), cashier, i as i64, 600.0);
        engine.process(P0, &receipt, now(0), &mut out).unwrap();
    }
    engine
        .process(P0, &till("tick", "C9", 30, 1.0), now(0), &mut out)
        .unwrap();
    assert_eq!(engine.state_size().keyed(AnalysisKind::CashierAlerts), 3);
    engine
        .process(P0, &till("tock", "C9", 200, 1.0), now(0), &mut out)
        .unwrap();
    assert_eq!(engine.state_size().keyed(AnalysisKind::CashierAlerts), 0);
}
