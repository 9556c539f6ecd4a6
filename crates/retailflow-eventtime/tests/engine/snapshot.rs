//! Checkpointing: snapshot, serialise, restore, carry on — the results are exactly those of an
//! uninterrupted run, wherever the input is cut.

use retailflow_eventtime::{
    AnalysisSet, AnomalySettings, CashierAlertSettings, Engine, EngineConfig, EngineSnapshot,
    Output, OutputMode, PairSettings, PartitionId, ProcessingTime, Receipt, RestoreError, TimeSpan,
};

use crate::support::*;

/// One call the pipeline makes.
#[derive(Clone)]
enum Step {
    Record(PartitionId, Receipt, ProcessingTime),
    Trigger(ProcessingTime),
}

/// Two declared partitions, out-of-order and late records, big receipts, triggers, and a stretch
/// where partition 1 is silent long enough to go idle and then returns.
fn script(count: u64) -> Vec<Step> {
    let mut random = Random::new(42);
    let mut steps = Vec::new();
    for index in 0..count {
        let clock_ms = index as i64 * 150;
        let partition = if index % 3 == 0 { P1 } else { P0 };
        let silent = (count / 3..count * 2 / 3).contains(&index);
        if !(silent && partition == P1) {
            let mut ms = index as i64 * 200 + random.below(2_000) as i64;
            if random.below(15) == 0 {
                ms -= 4_000 + random.below(20_000) as i64;
            }
            let receipt = random_receipt(&mut random, index, at_ms(ms));
            steps.push(Step::Record(
                partition,
                receipt,
                ProcessingTime::from_millis(clock_ms),
            ));
        }
        if index % 7 == 0 {
            steps.push(Step::Trigger(ProcessingTime::from_millis(clock_ms)));
        }
    }
    steps
}

fn run(engine: &mut Engine, steps: &[Step], out: &mut Vec<Output>) {
    for step in steps {
        match step {
            Step::Record(partition, receipt, now) => {
                let _ = engine.process(*partition, receipt, *now, out);
            }
            Step::Trigger(now) => engine.on_trigger(*now, out),
        }
    }
}

fn fresh(config: EngineConfig) -> Engine {
    let mut engine = Engine::new(config).unwrap();
    engine.declare_partitions([P0, P1], ProcessingTime::from_millis(0));
    engine
}

fn check_every_cut(config: EngineConfig, steps: &[Step]) {
    let mut whole = fresh(config);
    let mut mixed_categories = false;
    let mut expected = Vec::new();
    let mut cuts_while_idle = 0;
    for step in steps {
        run(&mut whole, std::slice::from_ref(step), &mut expected);
        cuts_while_idle += usize::from(whole.partitions()[1].idle);
        let snapshot = whole.snapshot();
        mixed_categories |= snapshot
            .partitions
            .iter()
            .flat_map(|partition| &partition.panes)
            .any(|pane| !pane.parts.popular_items.other.is_empty());
    }
    let before_finish = serde_json::to_string(&whole.snapshot()).unwrap();
    whole.finish(&mut expected);
    // The script covers what a checkpoint must carry: late records, big receipts, an idle partition.
    assert!(whole.counters().late > 0 && whole.counters().big_receipts > 0);
    assert!(
        whole.counters().closed_window_updates_skipped > 0
            || config.window_slide == config.window_length
    );
    assert!(
        cuts_while_idle > 10,
        "only {cuts_while_idle} cuts fall while partition 1 is idle"
    );
    assert!(
        mixed_categories,
        "some window holds an item under a second category"
    );

    for cut in 0..=steps.len() {
        let mut first = fresh(config);
        let mut got = Vec::new();
        run(&mut first, &steps[..cut], &mut got);
        let saved = serde_json::to_string(&first.snapshot()).unwrap();
        drop(first);
        let snapshot: EngineSnapshot = serde_json::from_str(&saved).unwrap();
        let mut resumed = Engine::restore(config, snapshot).unwrap();
        assert_eq!(
            serde_json::to_string(&resumed.snapshot()).unwrap(),
            saved,
            "snapshot round trip at {cut}"
        );
        run(&mut resumed, &steps[cut..], &mut got);
        assert_eq!(
            serde_json::to_string(&resumed.snapshot()).unwrap(),
            before_finish,
            "state at end, cut {cut}"
        );
        resumed.finish(&mut got);
        assert_eq!(got, expected, "outputs differ when cut at step {cut}");
        assert_eq!(resumed.counters(), whole.counters());
    }
}

#[test]
fn restoring_at_every_position_gives_the_uninterrupted_results_tumbling_append() {
    check_every_cut(config(), &script(400));
}

#[test]
fn restoring_at_every_position_gives_the_uninterrupted_results_sliding_update() {
    let config = EngineConfig {
        output_mode: OutputMode::Update,
        ..config_with(10, 2, 5)
    };
    check_every_cut(config, &script(300));
}

/// Every analysis on, with settings that make the script's traffic raise anomalies and alerts.
fn every_analysis(base: EngineConfig) -> EngineConfig {
    EngineConfig {
        analyses: AnalysisSet::ALL,
        anomalies: AnomalySettings {
            warmup: 2,
            z: 1.0,
            forget: 3,
            ..AnomalySettings::default()
        },
        cashier_alerts: CashierAlertSettings {
            count: 2,
            within: TimeSpan::from_secs(30),
        },
        pairs: PairSettings {
            min_receipts: 1,
            max_basket: 3,
            ..PairSettings::default()
        },
        ..base
    }
}

#[test]
fn restoring_at_every_position_with_every_analysis_tumbling_append() {
    let config = every_analysis(config());
    let steps = script(400);
    let mut engine = fresh(config);
    let mut out = Vec::new();
    run(&mut engine, &steps, &mut out);
    engine.finish(&mut out);
    for kind in [
        "bought_together",
        "store_anomaly",
        "cashier_alert",
        "big_receipt",
    ] {
        assert!(
            out.iter().any(|output| output.kind() == kind),
            "the script raises no {kind}"
        );
    }
    assert!(engine.counters().large_baskets > 0);
    check_every_cut(config, &steps);
}

#[test]
fn restoring_at_every_position_with_every_analysis_sliding_update() {
    let config = every_analysis(EngineConfig {
        output_mode: OutputMode::Update,
        ..config_with(10, 2, 5)
    });
    check_every_cut(config, &script(300));
}

#[test]
fn the_idle_stretch_in_the_script_really_releases_the_watermark() {
    let steps = script(400);
    let mut engine = fresh(config());
    let mut out = Vec::new();
    let mut saw_idle = false;
    for step in &steps {
        run(&mut engine, std::slice::from_ref(step), &mut out);
        saw_idle |= engine.partitions()[1].idle;
    }
    assert!(saw_idle);
    assert!(!engine.partitions()[1].idle, "partition 1 rejoined");
}

#[test]
fn snapshots_are_deterministic() {
    let steps = script(200);
    let snapshot = || {
        let mut engine = fresh(config_with(10, 2, 5));
        run(&mut engine, &steps, &mut Vec::new());
        serde_json::to_string(&engine.snapshot()).unwrap()
    };
    assert_eq!(snapshot(), snapshot());
}

#[test]
fn restoring_with_other_windows_is_refused() {
    let mut engine = fresh(config());
    run(&mut engine, &script(50), &mut Vec::new());
    let error = Engine::restore(config_with(10, 2, 5), engine.snapshot()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the checkpoint was taken with a 10s window every 10s, but this run uses a 10s window every 2s; \
         use the same windows or a new checkpoint"
    );
    // Other settings may change.
    let other = EngineConfig {
        allowed_lateness: TimeSpan::from_secs(8),
        top_stores: 3,
        ..config()
    };
    assert!(Engine::restore(other, engine.snapshot()).is_ok());
}

#[test]
fn corrupt_or_foreign_snapshots_are_refused() {
    let mut engine = fresh(config());
    run(&mut engine, &script(50), &mut Vec::new());
    let good = engine.snapshot();
    assert!(!good.partitions[0].panes.is_empty());

    let mut future = good.clone();
    future.format = 99;
    assert_eq!(
        Engine::restore(config(), future).unwrap_err(),
        RestoreError::UnsupportedFormat {
            found: 99,
            supported: 3
        }
    );

    let mut unknown_store = good.clone();
    unknown_store.partitions[0].panes[0]
        .parts
        .top_stores
        .push((9_999, 1, 1));
    let error = Engine::restore(config(), unknown_store).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("checkpoint state is corrupt: pane "),
        "{error}"
    );

    let mut repeated = good.clone();
    let stores = &mut repeated.partitions[0].names.stores;
    stores.push(stores[0].clone());
    assert!(matches!(
        Engine::restore(config(), repeated),
        Err(RestoreError::Corrupt { .. })
    ));

    let mut misaligned = good;
    misaligned.partitions[0].panes[0].start = at_ms(1);
    assert!(matches!(
        Engine::restore(config(), misaligned),
        Err(RestoreError::Corrupt { .. })
    ));

    let invalid = EngineConfig {
        top_items: 0,
        ..config()
    };
    assert!(matches!(
        Engine::restore(invalid, engine.snapshot()),
        Err(RestoreError::Config(_))
    ));
}
