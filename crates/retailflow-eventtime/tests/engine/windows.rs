//! Window assignment through the engine: exact boundaries, tumbling and sliding windows.

use retailflow_eventtime::{
    AnalysisSet, EngineConfig, EventTime, OutOfRange, Output, PartitionId, Refusal,
};

use crate::support::*;

#[test]
fn a_record_exactly_at_a_window_end_belongs_to_the_next_window() {
    let mut engine = engine(config_with(10, 10, 0));
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("a", "S1", at_ms(9_999), 1.0), now(0), &mut out)
        .unwrap();
    engine
        .process(P0, &receipt("b", "S1", at(10), 1.0), now(0), &mut out)
        .unwrap();
    // With no lateness the watermark is 10 s: [0, 10) has closed with only the first record.
    assert_eq!(summaries(&out), [(0, 10, 1, true)]);
    assert_eq!(engine.watermark(), at(10));
    // 9.999 s is now late; exactly 10 s is not (its window [10, 20) is open).
    let late =
        expect_late(engine.process(P0, &receipt("c", "S1", at_ms(9_999), 1.0), now(0), &mut out));
    assert_eq!(
        (late.event_time, late.last_window_end),
        (at_ms(9_999), at(10))
    );
    engine
        .process(P0, &receipt("d", "S1", at(10), 1.0), now(0), &mut out)
        .unwrap();
    out.clear();
    engine
        .process(P0, &receipt("e", "S1", at(20), 1.0), now(0), &mut out)
        .unwrap();
    assert_eq!(summaries(&out), [(10, 20, 2, true)]);
}

#[test]
fn tumbling_windows_are_aligned_to_the_epoch() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    for (id, s) in [("a", 3), ("b", 7), ("c", 14), ("d", 29), ("e", 31)] {
        engine
            .process(
                P0,
                &receipt(id, "S1", at_ms(s * 1000 + 250), 1.0),
                now(0),
                &mut out,
            )
            .unwrap();
    }
    engine.finish(&mut out);
    assert_eq!(
        summaries(&out),
        [
            (0, 10, 2, true),
            (10, 20, 1, true),
            (20, 30, 1, true),
            (30, 40, 1, true)
        ]
    );
    let window = out[0].window().unwrap();
    assert_eq!(window.start.to_string(), "2024-05-01T12:00:00.000Z");
    assert_eq!(window.end.to_string(), "2024-05-01T12:00:10.000Z");
}

#[test]
fn ten_second_windows_every_two_seconds_put_a_record_in_five_windows() {
    let mut engine = engine(config_with(10, 2, 5));
    let mut out = Vec::new();
    engine
        .process(
            P0,
            &receipt("a", "S1", at_ms(13_500), 4.0),
            now(0),
            &mut out,
        )
        .unwrap();
    assert!(out.is_empty());
    assert_eq!(engine.state_size().open_windows, 5);
    engine.finish(&mut out);
    assert_eq!(
        summaries(&out),
        [
            (4, 14, 1, true),
            (6, 16, 1, true),
            (8, 18, 1, true),
            (10, 20, 1, true),
            (12, 22, 1, true)
        ]
    );
    // Each window has its full set of results, windows in order of end.
    let kinds: Vec<_> = out
        .iter()
        .map(|output| (output.kind(), rel(output.window().unwrap().end)))
        .collect();
    assert_eq!(
        &kinds[..3],
        [
            ("top_stores", 14),
            ("popular_items", 14),
            ("window_summary", 14)
        ]
    );
    assert_eq!(kinds.len(), 15);
}

#[test]
fn sliding_windows_close_one_slide_at_a_time() {
    let mut engine = engine(config_with(10, 2, 0));
    let mut out = Vec::new();
    for s in 0..10 {
        engine
            .process(
                P0,
                &receipt(&format!("r{s}"), "S1", at(s), 1.0),
                now(0),
                &mut out,
            )
            .unwrap();
    }
    // Watermark 9 s: windows ending at 2, 4, 6, 8 (starting -8 .. -2) have closed.
    assert_eq!(
        summaries(&out),
        [
            (-8, 2, 2, true),
            (-6, 4, 4, true),
            (-4, 6, 6, true),
            (-2, 8, 8, true)
        ]
    );
    out.clear();
    engine
        .process(P0, &receipt("r10", "S1", at(10), 1.0), now(0), &mut out)
        .unwrap();
    assert_eq!(summaries(&out), [(0, 10, 10, true)]);
}

#[test]
fn a_sliding_record_updates_only_its_windows_that_are_still_open() {
    let mut engine = engine(config_with(10, 2, 0));
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("a", "S1", at(20), 1.0), now(0), &mut out)
        .unwrap();
    out.clear();
    // 13.5 s falls in [4,14) [6,16) [8,18) [10,20) — all ended by the 20 s watermark — and [12,22).
    engine
        .process(
            P0,
            &receipt("b", "S1", at_ms(13_500), 1.0),
            now(0),
            &mut out,
        )
        .unwrap();
    assert_eq!(engine.counters().closed_window_updates_skipped, 4);
    assert_eq!(engine.counters().late, 0);
    engine.finish(&mut out);
    let summaries = summaries(&out);
    assert_eq!(summaries[0], (12, 22, 2, true));
    assert!(
        summaries[1..]
            .iter()
            .all(|&(start, _, receipts, _)| start >= 14 && receipts == 1)
    );
}

#[test]
fn windows_with_no_records_produce_no_results() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    engine
        .process(
            PartitionId(0),
            &receipt("a", "S1", at(1), 1.0),
            now(0),
            &mut out,
        )
        .unwrap();
    engine
        .process(
            PartitionId(0),
            &receipt("b", "S1", at(95), 1.0),
            now(0),
            &mut out,
        )
        .unwrap();
    engine.finish(&mut out);
    assert_eq!(summaries(&out), [(0, 10, 1, true), (90, 100, 1, true)]);
    assert!(out.iter().all(Output::is_final));
}

#[test]
fn event_times_whose_windows_leave_the_calendar_are_refused() {
    for config in [config(), config_with(10, 3, 5)] {
        let mut engine = engine(config);
        let mut out = Vec::new();
        for ts in [
            EventTime::MIN,
            EventTime(i64::MIN + 7),
            EventTime(EventTime::EARLIEST.millis() - 1),
            EventTime::LATEST,
            EventTime(i64::MAX - 7),
            EventTime::MAX,
        ] {
            let refusal = engine
                .process(P0, &receipt("x", "S1", ts, 1.0), now(0), &mut out)
                .unwrap_err();
            assert_eq!(
                refusal,
                Refusal::OutOfRange(OutOfRange::Calendar { event_time: ts })
            );
        }
        assert_eq!(engine.watermark(), EventTime::MIN, "nothing moved it");
        assert_eq!(engine.counters().out_of_range, 6);
        for (id, ts) in [
            ("first", EventTime(EventTime::EARLIEST.millis() + 10_000)),
            ("zero", EventTime(0)),
            ("last", EventTime(EventTime::LATEST.millis() - 10_000)),
        ] {
            engine
                .process(P0, &receipt(id, "S1", ts, 1.0), now(0), &mut out)
                .unwrap();
        }
        engine.on_trigger(now(60), &mut out);
        engine.finish(&mut out);
        let windows: Vec<(EventTime, EventTime)> = out
            .iter()
            .filter_map(|output| match output {
                Output::WindowSummary(summary) => Some((summary.window_start, summary.window_end)),
                _ => None,
            })
            .collect();
        assert!(!windows.is_empty());
        assert!(windows.iter().all(|(start, end)| start < end));
        assert_eq!(engine.state_size().panes, 0);
        let restored = retailflow_eventtime::Engine::restore(config, engine.snapshot()).unwrap();
        assert!(restored.is_finished());
    }
}

#[test]
fn every_window_written_ends_after_it_starts_and_lies_in_the_calendar() {
    let mut random = Random::new(15);
    for (length, slide) in [(10, 10), (10, 3), (3_600, 60), (86_400, 86_400)] {
        let mut engine = engine(EngineConfig {
            analyses: AnalysisSet::ALL,
            ..config_with(length, slide, 1_000_000_000)
        });
        let mut out = Vec::new();
        let mut accepted = 0;
        for index in 0..4_000u64 {
            // Anywhere in the i64 range, and often near either end of the calendar.
            let ts = match index % 4 {
                0 => EventTime(random.next() as i64),
                1 => EventTime(EventTime::LATEST.millis() - random.below(200_000_000) as i64),
                2 => EventTime(EventTime::EARLIEST.millis() + random.below(200_000_000) as i64),
                _ => EventTime((random.next() % 400_000_000_000_000) as i64 - 200_000_000_000_000),
            };
            let partition = PartitionId((index % 3) as i32);
            match engine.process(partition, &receipt("r", "S1", ts, 1.0), now(0), &mut out) {
                Ok(()) => accepted += 1,
                Err(Refusal::OutOfRange(OutOfRange::Calendar { event_time })) => {
                    assert_eq!(event_time, ts);
                    assert!(
                        ts.millis() < EventTime::EARLIEST.millis() + length * 1000
                            || ts.millis() > EventTime::LATEST.millis() - length * 1000,
                        "{ts:?} is well inside the calendar"
                    );
                }
                Err(Refusal::Late(_)) => {}
                Err(other) => panic!("{ts:?}: {other}"),
            }
        }
        engine.finish(&mut out);
        assert!(accepted > 100, "{accepted}");
        for output in &out {
            let window = match output {
                Output::WindowSummary(s) => (s.window_start, s.window_end),
                Output::TopStores(s) => (s.window_start, s.window_end),
                Output::PopularItems(s) => (s.window_start, s.window_end),
                Output::BoughtTogether(s) => (s.window_start, s.window_end),
                Output::StoreAnomaly(s) => (s.window_start, s.window_end),
                Output::BigReceipt(big) => (big.ts, EventTime(big.ts.millis() + 1)),
                Output::CashierAlert(alert) => {
                    (alert.first_ts, EventTime(alert.last_ts.millis() + 1))
                }
            };
            assert!(window.0 < window.1, "{window:?}");
            assert!(
                window.0.is_in_calendar() && window.1.is_in_calendar(),
                "{window:?}"
            );
        }
    }
}
