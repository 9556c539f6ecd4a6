//! Append versus update output mode, and emission order independent of micro-batch boundaries.

use retailflow_eventtime::{EngineConfig, Output, OutputMode, Receipt};

use crate::support::*;

fn update_config() -> EngineConfig {
    EngineConfig {
        output_mode: OutputMode::Update,
        ..config()
    }
}

#[test]
fn append_mode_emits_each_window_once_when_it_closes() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("a", "S1", at(1), 1.0), now(0), &mut out)
        .unwrap();
    engine.on_trigger(now(1), &mut out);
    engine
        .process(P0, &receipt("b", "S1", at(2), 1.0), now(1), &mut out)
        .unwrap();
    engine.on_trigger(now(2), &mut out);
    assert!(out.is_empty(), "nothing before the window closes: {out:?}");
    engine
        .process(P0, &receipt("c", "S1", at(16), 1.0), now(2), &mut out)
        .unwrap();
    engine.on_trigger(now(3), &mut out);
    assert_eq!(summaries(&out), [(0, 10, 2, true)]);
    assert_eq!(engine.counters().provisional_results, 0);
}

#[test]
fn update_mode_emits_provisional_results_for_changed_windows_then_final_ones() {
    let mut engine = engine(update_config());
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("a", "S1", at(1), 1.0), now(0), &mut out)
        .unwrap();
    engine.on_trigger(now(1), &mut out);
    assert_eq!(summaries(&out), [(0, 10, 1, false)]);
    assert!(out.iter().all(|output| !output.is_final()));

    // No change since: nothing new at the next trigger.
    out.clear();
    engine.on_trigger(now(2), &mut out);
    assert!(out.is_empty());

    // Two windows change; only they are reported, in window order.
    engine
        .process(P0, &receipt("b", "S1", at(12), 1.0), now(2), &mut out)
        .unwrap();
    engine
        .process(P0, &receipt("c", "S1", at(8), 1.0), now(2), &mut out)
        .unwrap();
    engine.on_trigger(now(3), &mut out);
    assert_eq!(summaries(&out), [(0, 10, 2, false), (10, 20, 1, false)]);

    // The watermark passes 10 s: [0, 10) is final at once; [10, 20) changed again, provisional.
    out.clear();
    engine
        .process(P0, &receipt("d", "S1", at(17), 1.0), now(3), &mut out)
        .unwrap();
    assert_eq!(summaries(&out), [(0, 10, 2, true)]);
    engine.on_trigger(now(4), &mut out);
    assert_eq!(summaries(&out), [(0, 10, 2, true), (10, 20, 2, false)]);
    out.clear();
    engine.finish(&mut out);
    assert_eq!(summaries(&out), [(10, 20, 2, true)]);
    assert_eq!(engine.counters().final_results, 6);
    assert_eq!(engine.counters().provisional_results, 12);
}

#[test]
fn final_results_are_the_same_in_both_modes() {
    let input = generated_input(2_000);
    let finals = |config: EngineConfig| {
        let mut engine = engine(config);
        let mut out = Vec::new();
        for (index, receipt) in input.iter().enumerate() {
            let _ = engine.process(P0, receipt, now(index as i64 / 100), &mut out);
            if index % 37 == 0 {
                engine.on_trigger(now(index as i64 / 100), &mut out);
            }
        }
        engine.finish(&mut out);
        out.retain(Output::is_final);
        out
    };
    let append = finals(config());
    assert!(append.len() > 100);
    assert_eq!(append, finals(update_config()));
}

#[test]
fn results_do_not_depend_on_where_micro_batches_are_cut() {
    let input = generated_input(3_000);
    let run = |trigger_every: usize| {
        let mut engine = engine(config_with(10, 2, 3));
        let mut out = Vec::new();
        for (index, receipt) in input.iter().enumerate() {
            let _ = engine.process(P0, receipt, now(0), &mut out);
            if index % trigger_every == 0 {
                engine.on_trigger(now(0), &mut out);
            }
        }
        engine.finish(&mut out);
        (serde_json::to_string(&out).unwrap(), engine.counters())
    };
    let (one, counters_one) = run(1);
    let (other, counters_other) = run(250);
    assert_eq!(one, other);
    assert!(counters_one.late > 0, "the input includes late records");
    assert_eq!(
        (counters_one.late, counters_one.accepted),
        (counters_other.late, counters_other.accepted)
    );
}

#[test]
fn two_runs_over_the_same_records_give_byte_identical_results() {
    let input = generated_input(3_000);
    let run = || {
        let mut engine = engine(config_with(10, 2, 5));
        let mut out = Vec::new();
        for (index, receipt) in input.iter().enumerate() {
            let partition = if index % 3 == 0 { P1 } else { P0 };
            let _ = engine.process(partition, receipt, now(index as i64 / 50), &mut out);
            engine.on_trigger(now(index as i64 / 50), &mut out);
        }
        engine.finish(&mut out);
        out.iter()
            .map(|output| serde_json::to_string(output).unwrap() + "\n")
            .collect::<String>()
    };
    assert_eq!(run(), run());
}

/// Receipts 10 ms apart with jitter, some pushed back by up to 30 s (some late, some not).
pub fn generated_input(count: u64) -> Vec<Receipt> {
    let mut random = Random::new(7);
    (0..count)
        .map(|index| {
            let mut ms = index as i64 * 10 + random.below(400) as i64;
            if random.below(50) == 0 {
                ms -= random.below(30_000) as i64;
            }
            random_receipt(&mut random, index, at_ms(ms))
        })
        .collect()
}
