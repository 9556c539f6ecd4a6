//! Store revenue anomalies on a fake clock: warm-up, a spike, a drop to silence, forgetting a
//! store, a level shift that stops alerting, sliding windows.

use retailflow_eventtime::{
    AnalysisKind, AnalysisSet, AnomalySettings, Direction, EngineConfig, Output, StoreAnomaly,
};

use crate::support::*;

/// All analyses, tumbling 10 s windows, no lateness (each window closes when the next one starts).
fn anomaly_config() -> EngineConfig {
    EngineConfig {
        analyses: AnalysisSet::ALL,
        ..config_with(10, 10, 0)
    }
}

/// Feeds store `A` one receipt of `revenues[w]` in window `w` (none when 0) and a steady store `B`
/// one receipt of 10.00 in every window, so every window has data; returns the anomalies.
fn anomalies(config: EngineConfig, revenues: &[f64]) -> Vec<StoreAnomaly> {
    let mut engine = engine(config);
    let mut out = Vec::new();
    let slide = config.window_slide.millis() / 1000;
    for (w, &revenue) in revenues.iter().enumerate() {
        let ts = at(w as i64 * slide + 1);
        if revenue > 0.0 {
            let a = receipt(&format!("A{w}"), "A", ts, revenue);
            engine.process(P0, &a, now(0), &mut out).unwrap();
        }
        let b = receipt(&format!("B{w}"), "B", ts, 10.0);
        engine.process(P0, &b, now(0), &mut out).unwrap();
    }
    engine.finish(&mut out);
    out.into_iter()
        .filter_map(|output| match output {
            Output::StoreAnomaly(anomaly) => Some(anomaly),
            _ => None,
        })
        .collect()
}

/// `(store, window index, direction)`.
fn summary(alerts: &[StoreAnomaly], slide_s: i64) -> Vec<(String, i64, Direction)> {
    alerts
        .iter()
        .map(|alert| {
            (
                alert.store_id.clone(),
                rel(alert.window_start) / slide_s,
                alert.direction,
            )
        })
        .collect()
}

fn steady_then(windows: usize, then: &[f64]) -> Vec<f64> {
    let mut revenues = vec![100.0; windows];
    revenues.extend_from_slice(then);
    revenues
}

#[test]
fn nothing_alerts_before_the_warm_up_however_wild() {
    let revenues = [100.0, 900.0, 5.0, 0.0, 2_000.0, 1.0, 700.0, 0.0, 3.0, 800.0];
    assert_eq!(anomalies(anomaly_config(), &revenues), []);
}

#[test]
fn a_spike_alerts_once_with_its_figures() {
    let alerts = anomalies(anomaly_config(), &steady_then(12, &[500.0, 100.0, 100.0]));
    assert_eq!(summary(&alerts, 10), [("A".into(), 12, Direction::Spike)]);
    let alert = &alerts[0];
    assert_eq!(alert.revenue.to_string(), "500.00");
    assert_eq!(
        (alert.expected, alert.stddev, alert.z),
        (100.0, 5.0, 80.0),
        "steady history: stddev floored at 5% of the mean"
    );
}

#[test]
fn a_store_going_silent_alerts_as_a_drop() {
    let alerts = anomalies(anomaly_config(), &steady_then(12, &[0.0, 0.0, 0.0, 100.0]));
    assert_eq!(summary(&alerts, 10), [("A".into(), 12, Direction::Drop)]);
    assert_eq!(alerts[0].revenue.to_string(), "0.00");
    assert_eq!(alerts[0].z, -20.0);
}

#[test]
fn a_store_silent_longer_than_forget_is_forgotten_and_starts_again() {
    let config = EngineConfig {
        anomalies: AnomalySettings {
            forget: 3,
            ..AnomalySettings::default()
        },
        ..anomaly_config()
    };
    let mut revenues = steady_then(12, &[0.0; 6]);
    // Back at five times its old revenue: a fresh history, so no alert.
    revenues.extend([500.0; 3]);
    let alerts = anomalies(config, &revenues);
    assert_eq!(summary(&alerts, 10), [("A".into(), 12, Direction::Drop)]);

    let mut engine = engine(config);
    let mut out = Vec::new();
    for (w, revenue) in steady_then(12, &[0.0; 3]).iter().enumerate() {
        let ts = at(w as i64 * 10 + 1);
        if *revenue > 0.0 {
            let a = receipt(&format!("A{w}"), "A", ts, *revenue);
            engine.process(P0, &a, now(0), &mut out).unwrap();
        }
        let b = receipt(&format!("B{w}"), "B", ts, 10.0);
        engine.process(P0, &b, now(0), &mut out).unwrap();
    }
    // Windows 12 and 13 have closed, A is still remembered (seen in window 11).
    assert_eq!(engine.state_size().keyed(AnalysisKind::StoreAnomalies), 2);
    let b = receipt("B15", "B", at(151), 10.0);
    engine.process(P0, &b, now(0), &mut out).unwrap();
    // Window 14 closed: still within 3 windows of window 11. Window 15 will forget it.
    assert_eq!(engine.state_size().keyed(AnalysisKind::StoreAnomalies), 2);
    let b = receipt("B16", "B", at(161), 10.0);
    engine.process(P0, &b, now(0), &mut out).unwrap();
    assert_eq!(engine.state_size().keyed(AnalysisKind::StoreAnomalies), 1);
}

#[test]
fn a_level_shift_alerts_and_then_becomes_the_new_normal() {
    let alerts = anomalies(anomaly_config(), &steady_then(15, &[300.0; 40]));
    assert_eq!(summary(&alerts, 10), [("A".into(), 15, Direction::Spike)]);
}

#[test]
fn ordinary_noise_stays_quiet() {
    let mut random = Random::new(3);
    let revenues: Vec<f64> = (0..400).map(|_| 80.0 + random.below(41) as f64).collect();
    assert_eq!(anomalies(anomaly_config(), &revenues), []);
}

#[test]
fn sliding_windows_judge_every_window_in_order() {
    let config = EngineConfig {
        analyses: AnalysisSet::ALL,
        ..config_with(10, 5, 0)
    };
    // One receipt per 5 s pane: each 10 s window holds two of A's receipts.
    let mut revenues = vec![100.0; 24];
    revenues[24 - 4] = 1_000.0;
    let alerts = anomalies(config, &revenues);
    // The pane of index 20 (100 s) is in the windows starting at 95 s and 100 s; the first alerts,
    // the second is judged against a history the first has already widened.
    assert_eq!(summary(&alerts, 5), [("A".into(), 19, Direction::Spike)]);
    assert_eq!(alerts[0].revenue.to_string(), "1100.00");
    // The first window (-5 s .. 5 s) held one pane, 100.00; the mean has come most of the way to
    // 200 since: 200 − 100 × 0.9^19.
    assert!(
        (alerts[0].expected - (200.0 - 100.0 * 0.9f64.powi(19))).abs() < 1e-9,
        "{}",
        alerts[0].expected
    );
}

#[test]
fn turned_off_it_emits_nothing_and_keeps_no_history() {
    let config = EngineConfig {
        analyses: AnalysisSet::ALL.without(retailflow_eventtime::AnalysisKind::StoreAnomalies),
        ..anomaly_config()
    };
    assert_eq!(anomalies(config, &steady_then(12, &[500.0, 100.0])), []);
}
