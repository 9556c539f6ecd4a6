//! Records no window can take — stamped in the future, repeated, or with figures beyond the exact
//! range — are refused before they change anything but the counters.

use retailflow_eventtime::{
    Duplicate, EngineConfig, EventTime, Future, Money, OutOfRange, Output, ProcessingTime, Refusal,
    TimeSpan,
};

use crate::support::*;

fn wall(s: i64) -> ProcessingTime {
    ProcessingTime::from_millis(T0_MS + s * 1000)
}

fn with_max_future() -> EngineConfig {
    EngineConfig {
        max_future: Some(TimeSpan::from_secs(3600)),
        ..config()
    }
}

#[test]
fn a_receipt_from_the_far_future_is_refused_and_never_moves_the_watermark() {
    let mut engine = engine(with_max_future());
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("a", "S1", at(1), 1.0), wall(0), &mut out)
        .unwrap();
    let far = EventTime(253_402_300_799_999); // 9999-12-31T23:59:59.999Z
    let refusal = engine
        .process(
            P0,
            &receipt("broken-clock", "S1", far, 900.0),
            wall(0),
            &mut out,
        )
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::Future(Future {
            event_time: far,
            now: EventTime(T0_MS),
            max_future: TimeSpan::from_secs(3600)
        })
    );
    assert_eq!(
        refusal.to_string(),
        "event time 9999-12-31T23:59:59.999Z is more than 3600s ahead of the clock \
         (2024-05-01T12:00:00.000Z); widen --max-future if the clock is not the wall clock"
    );
    // Exactly at the limit is fine; a millisecond past it is not.
    engine
        .process(P0, &receipt("edge", "S1", at(3600), 1.0), wall(0), &mut out)
        .unwrap();
    assert!(matches!(
        engine.process(
            P0,
            &receipt("past-edge", "S1", at_ms(3_600_001), 1.0),
            wall(0),
            &mut out
        ),
        Err(Refusal::Future(_))
    ));
    // Old data is not future.
    engine
        .process(P0, &receipt("old", "S1", at(3_590), 1.0), wall(0), &mut out)
        .unwrap();
    assert_eq!(engine.watermark(), at(3_595));
    assert!(
        big_receipt_ids(&out).is_empty(),
        "a refused receipt is not reported as big"
    );
    engine.finish(&mut out);
    assert_eq!(
        summaries(&out),
        [
            (0, 10, 1, true),
            (3590, 3600, 1, true),
            (3600, 3610, 1, true)
        ]
    );
    let counters = engine.counters();
    assert_eq!(
        (counters.future, counters.accepted, counters.late),
        (2, 3, 0)
    );
}

#[test]
fn max_future_off_by_default_in_the_engine() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    engine
        .process(
            P0,
            &receipt("a", "S1", at(1_000_000), 1.0),
            now(0),
            &mut out,
        )
        .unwrap();
}

#[test]
fn dedupe_counts_a_receipt_id_once_within_the_watermark_horizon() {
    let config = EngineConfig {
        dedupe: true,
        ..config_with(10, 10, 5)
    };
    let mut engine = engine(config);
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("R1", "S1", at(1), 700.0), now(0), &mut out)
        .unwrap();
    let refusal = engine
        .process(P0, &receipt("R1", "S1", at(2), 700.0), now(0), &mut out)
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::Duplicate(Duplicate {
            receipt_id: "R1".into(),
            first_seen: at(1)
        })
    );
    assert_eq!(
        refusal.to_string(),
        "receipt_id R1 was already counted (first at event time 2024-05-01T12:00:01.000Z)"
    );
    assert_eq!(
        big_receipt_ids(&out),
        ["R1"],
        "a repeat is not reported as big again"
    );
    // Held across a checkpoint.
    let mut engine = retailflow_eventtime::Engine::restore(config, engine.snapshot()).unwrap();
    assert!(matches!(
        engine.process(P0, &receipt("R1", "S1", at(3), 1.0), now(0), &mut out),
        Err(Refusal::Duplicate(_))
    ));
    assert_eq!(engine.state_size().receipt_ids, 1);
    // The watermark (newest 12 s − lateness 5 s = 7 s) passes 1 s + 5 s: R1 is forgotten.
    engine
        .process(P0, &receipt("R2", "S1", at(12), 1.0), now(0), &mut out)
        .unwrap();
    assert_eq!(engine.state_size().receipt_ids, 1);
    engine
        .process(P0, &receipt("R1", "S1", at(14), 1.0), now(0), &mut out)
        .unwrap();
    engine.finish(&mut out);
    assert_eq!(summaries(&out), [(0, 10, 1, true), (10, 20, 2, true)]);
    assert_eq!(engine.counters().duplicates, 2);
    assert_eq!(engine.state_size().receipt_ids, 0);
}

#[test]
fn without_dedupe_a_repeat_counts_twice() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    for _ in 0..2 {
        engine
            .process(P0, &receipt("R1", "S1", at(1), 1.0), now(0), &mut out)
            .unwrap();
    }
    engine.finish(&mut out);
    assert_eq!(summaries(&out), [(0, 10, 2, true)]);
}

/// The largest receipt the default value rules allow: 100,000 units at 1,000,000.
fn largest(id: &str, ts: EventTime) -> retailflow_eventtime::Receipt {
    receipt_with(
        id,
        "S1",
        ts,
        &[("Item_1_MILK", "Milk Products", 1e6, 100_000)],
    )
}

#[test]
fn a_window_takes_receipts_up_to_the_exact_range_and_refuses_the_next() {
    for (length, slide, per_pane) in [(10, 10, 100), (10, 2, 20)] {
        let mut engine = engine(config_with(length, slide, 0));
        let mut out = Vec::new();
        for index in 0..per_pane {
            engine
                .process(P0, &largest(&format!("R{index}"), at(1)), now(0), &mut out)
                .unwrap();
        }
        let refusal = engine
            .process(P0, &largest("one-too-many", at(1)), now(0), &mut out)
            .unwrap_err();
        assert_eq!(
            refusal,
            Refusal::OutOfRange(OutOfRange::WindowTotals { pane_start: at(0) })
        );
        engine.finish(&mut out);
        let revenue = out
            .iter()
            .find_map(|output| match output {
                Output::WindowSummary(summary) => Some(summary.revenue),
                _ => None,
            })
            .unwrap();
        assert_eq!(revenue.hundredths(), per_pane * 10_000_000_000_000);
        assert_eq!(engine.counters().out_of_range, 1);
    }
}

#[test]
fn receipts_whose_own_figures_are_beyond_the_exact_range_are_refused() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    for lines in [
        vec![("Item_1_MILK", "Milk Products", 1e300, 1)],
        vec![(
            "Item_1_MILK",
            "Milk Products",
            1.0,
            4_611_686_018_427_387_904,
        )],
        vec![("Item_1_MILK", "Milk Products", f64::NAN, 1)],
        vec![("Item_1_MILK", "Milk Products", -5.0, 1)],
    ] {
        let refusal = engine
            .process(
                P0,
                &receipt_with("x", "S1", at(1), &lines),
                now(0),
                &mut out,
            )
            .unwrap_err();
        assert_eq!(refusal, Refusal::OutOfRange(OutOfRange::ReceiptTotals));
    }
    assert!(out.is_empty());
    assert_eq!(engine.watermark(), EventTime::MIN);
}

/// Random figures, sane and absurd, thrown at the engine: every receipt is refused or counted,
/// and every figure written is the exact sum of the counted ones.
#[test]
fn random_figures_give_an_exact_result_or_a_refusal() {
    let mut random = Random::new(1515);
    let prices = [
        0.0,
        0.01,
        19.99,
        1e6,
        1e9,
        1e13,
        1e14,
        1e300,
        -0.01,
        f64::NAN,
        f64::INFINITY,
    ];
    let quantities = [1, 2, 100_000, 1 << 40, 1 << 53, 1 << 62, i64::MAX, 0, -1];
    for (length, slide) in [(10, 10), (10, 5)] {
        let mut engine = engine(config_with(length, slide, 0));
        let mut out = Vec::new();
        // Exact expected sums per pane start, from the counted receipts.
        let mut expected: std::collections::BTreeMap<i64, (i128, i128)> = Default::default();
        for index in 0..3_000u64 {
            let lines: Vec<(String, f64, i64)> = (0..1 + random.below(3))
                .map(|_| {
                    let price = if random.below(3) == 0 {
                        prices[random.below(prices.len() as u64) as usize]
                    } else {
                        (random.below(10_000_000) as f64) / 100.0
                    };
                    let quantity = if random.below(3) == 0 {
                        quantities[random.below(quantities.len() as u64) as usize]
                    } else {
                        1 + random.below(100_000) as i64
                    };
                    ("Item_1_MILK".to_string(), price, quantity)
                })
                .collect();
            let ts = at_ms((index as i64 / 30) * 1_000);
            let receipt = receipt_with(
                &format!("R{index}"),
                "S1",
                ts,
                &lines
                    .iter()
                    .map(|(name, price, quantity)| {
                        (name.as_str(), "Milk Products", *price, *quantity)
                    })
                    .collect::<Vec<_>>(),
            );
            match engine.process(P0, &receipt, now(0), &mut out) {
                Ok(()) => {
                    let revenue: i128 = lines
                        .iter()
                        .map(|(_, price, quantity)| {
                            (price * 100.0).round() as i128 * i128::from(*quantity)
                        })
                        .sum();
                    let units: i128 = lines.iter().map(|(_, _, q)| i128::from(*q)).sum();
                    let pane = (ts.millis() - T0_MS).div_euclid(slide * 1000) * slide * 1000;
                    let entry = expected.entry(pane).or_default();
                    entry.0 += revenue;
                    entry.1 += units;
                }
                Err(Refusal::OutOfRange(_)) => {}
                Err(other) => panic!("{other}"),
            }
        }
        engine.finish(&mut out);
        let mut windows = 0;
        for output in &out {
            if let Output::WindowSummary(summary) = output {
                let start = summary.window_start.millis() - T0_MS;
                let end = summary.window_end.millis() - T0_MS;
                let (revenue, units) = expected
                    .range(start..end)
                    .fold((0i128, 0i128), |acc, (_, v)| (acc.0 + v.0, acc.1 + v.1));
                assert_eq!(i128::from(summary.revenue.hundredths()), revenue);
                assert_eq!(i128::from(summary.items), units);
                assert!(summary.revenue <= Money::MAX_EXACT);
                assert!(summary.revenue.to_decimal().is_finite());
                windows += 1;
            }
            if let Output::TopStores(top) = output {
                assert!(top.stores.iter().all(|s| s.revenue <= Money::MAX_EXACT));
            }
        }
        assert!(windows >= 10, "{windows}");
        assert!(engine.counters().accepted > 1_000);
        assert!(engine.counters().out_of_range > 100);
    }
}
