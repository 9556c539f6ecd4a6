//! Out-of-order and late records: within the allowed lateness they count, beyond it they are
//! rejected, reported and counted — never silently dropped.

use retailflow_eventtime::{EventTime, Late, Output};

use crate::support::*;

#[test]
fn out_of_order_records_within_the_allowed_lateness_are_counted() {
    let mut engine = engine(config()); // 10 s tumbling, 5 s lateness
    let mut out = Vec::new();
    for (id, s) in [("a", 3), ("b", 1), ("c", 8), ("d", 6), ("e", 12), ("f", 9)] {
        engine
            .process(P0, &receipt(id, "S1", at(s), 1.0), now(0), &mut out)
            .unwrap();
    }
    // Max 12 s − 5 s: watermark 7 s, so [0, 10) is still open and took the 9 s record.
    assert_eq!(engine.watermark(), at(7));
    assert!(out.is_empty());
    engine
        .process(P0, &receipt("g", "S1", at(16), 1.0), now(0), &mut out)
        .unwrap();
    assert_eq!(summaries(&out), [(0, 10, 5, true)]);
    engine
        .process(P0, &receipt("h", "S1", at(10), 1.0), now(0), &mut out)
        .unwrap();
    engine.finish(&mut out);
    assert_eq!(summaries(&out), [(0, 10, 5, true), (10, 20, 3, true)]);
    let counters = engine.counters();
    assert_eq!(
        (counters.received, counters.accepted, counters.late),
        (8, 8, 0)
    );
}

#[test]
fn late_records_are_rejected_with_a_reason_and_counted() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("a", "S1", at(3), 1.0), now(0), &mut out)
        .unwrap();
    engine
        .process(P0, &receipt("b", "S1", at(20), 1.0), now(0), &mut out)
        .unwrap();
    assert_eq!(summaries(&out), [(0, 10, 1, true)]);
    let late = expect_late(engine.process(P0, &receipt("c", "S1", at(9), 1.0), now(0), &mut out));
    assert_eq!(
        late,
        Late {
            event_time: at(9),
            watermark: at(15),
            last_window_end: at(10)
        }
    );
    assert_eq!(
        late.to_string(),
        "event time 2024-05-01T12:00:09.000Z is behind the watermark 2024-05-01T12:00:15.000Z: \
         its last window ended at 2024-05-01T12:00:10.000Z"
    );
    // 14 s is behind the newest record by more than... no: its window [10, 20) is still open.
    engine
        .process(P0, &receipt("d", "S1", at(14), 1.0), now(0), &mut out)
        .unwrap();
    engine.finish(&mut out);
    assert_eq!(
        summaries(&out),
        [(0, 10, 1, true), (10, 20, 1, true), (20, 30, 1, true)]
    );
    let counters = engine.counters();
    assert_eq!(
        (counters.received, counters.accepted, counters.late),
        (4, 3, 1)
    );
}

#[test]
fn a_late_big_receipt_is_still_reported_as_big_and_counted_late() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("a", "S1", at(30), 1.0), now(0), &mut out)
        .unwrap();
    let late = engine.process(P0, &receipt("big", "S2", at(2), 700.0), now(0), &mut out);
    assert!(late.is_err());
    assert_eq!(big_receipt_ids(&out), ["big"]);
    assert_eq!(
        (engine.counters().late, engine.counters().big_receipts),
        (1, 1)
    );
    engine.finish(&mut out);
    // The late receipt is in no window result.
    assert_eq!(summaries(&out), [(30, 40, 1, true)]);
}

#[test]
fn every_record_after_finish_is_late() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    engine.finish(&mut out);
    assert!(engine.is_finished());
    let late = expect_late(engine.process(
        P0,
        &receipt("a", "S1", at(1_000_000), 1.0),
        now(0),
        &mut out,
    ));
    assert_eq!(late.watermark, EventTime::MAX);
    assert!(
        out.iter()
            .all(|output| !matches!(output, Output::WindowSummary(_)))
    );
    assert_eq!(engine.counters().late, 1);
}
