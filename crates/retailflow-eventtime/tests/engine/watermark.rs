//! The stream watermark through the engine: minimum over partitions, idle partitions, a partition
//! that returns, declared partitions, and bounded input that ends.

use retailflow_eventtime::{EventTime, PartitionId};

use crate::support::*;

#[test]
fn a_slow_partition_does_not_make_another_partitions_records_late() {
    let mut engine = engine(config());
    engine.declare_partitions([P0, P1], now(0));
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("fast", "S1", at(100), 1.0), now(1), &mut out)
        .unwrap();
    // P1 has sent nothing yet and holds the watermark.
    assert_eq!(engine.watermark(), EventTime::MIN);
    for (id, s) in [("p1-a", 30), ("p1-b", 28), ("p1-c", 33), ("p1-d", 46)] {
        engine
            .process(P1, &receipt(id, "S2", at(s), 1.0), now(2), &mut out)
            .unwrap();
    }
    // The stream watermark follows the slower partition: 46 − 5.
    assert_eq!(engine.watermark(), at(41));
    assert_eq!(engine.counters().late, 0);
    assert_eq!(summaries(&out), [(20, 30, 1, true), (30, 40, 2, true)]);
    // Had the maximum over partitions been used (100 − 5), all four P1 records would be late.
}

#[test]
fn an_undeclared_partition_that_joins_behind_the_watermark_has_its_records_late() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("a", "S1", at(100), 1.0), now(0), &mut out)
        .unwrap();
    assert_eq!(engine.watermark(), at(95));
    // P1 was never declared: it cannot hold back a watermark that has already moved.
    let late = expect_late(engine.process(P1, &receipt("b", "S2", at(30), 1.0), now(0), &mut out));
    assert_eq!(late.watermark, at(95));
    assert_eq!(engine.partitions().len(), 2);
}

#[test]
fn an_idle_partition_stops_holding_back_the_watermark() {
    let mut engine = engine(config());
    engine.declare_partitions([P0, P1], now(0));
    let mut out = Vec::new();
    for (s, processing) in [(3, 1), (12, 2), (25, 3)] {
        engine
            .process(
                P0,
                &receipt(&format!("p0-{s}"), "S1", at(s), 1.0),
                now(processing),
                &mut out,
            )
            .unwrap();
    }
    engine.on_trigger(now(5), &mut out);
    assert_eq!(
        engine.watermark(),
        EventTime::MIN,
        "P1 is silent but not yet for the idle timeout"
    );
    assert!(out.is_empty());
    engine.on_trigger(now(10), &mut out);
    // P1 declared at 0 s, silent for 10 s: idle. P0 alone gives 25 − 5 = 20 s.
    assert_eq!(engine.watermark(), at(20));
    assert_eq!(summaries(&out), [(0, 10, 1, true), (10, 20, 1, true)]);
    assert!(engine.partitions()[1].idle);
    assert!(!engine.partitions()[0].idle);
}

#[test]
fn a_partition_that_returns_rejoins_without_moving_the_watermark_back() {
    let mut engine = engine(config());
    engine.declare_partitions([P0, P1], now(0));
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("p0-25", "S1", at(25), 1.0), now(3), &mut out)
        .unwrap();
    engine.on_trigger(now(10), &mut out);
    assert_eq!(engine.watermark(), at(20));
    out.clear();

    // P1 comes back. A record behind the watermark for all its windows is late...
    let late =
        expect_late(engine.process(P1, &receipt("p1-15", "S2", at(15), 1.0), now(11), &mut out));
    assert_eq!(late.last_window_end, at(20));
    // ...one in an open window counts, and P1 holds the watermark again.
    engine
        .process(P1, &receipt("p1-22", "S2", at(22), 1.0), now(11), &mut out)
        .unwrap();
    assert!(!engine.partitions()[1].idle);
    engine
        .process(P0, &receipt("p0-40", "S1", at(40), 1.0), now(12), &mut out)
        .unwrap();
    assert_eq!(
        engine.watermark(),
        at(20),
        "P1 (22 − 5 = 17) holds it; it does not regress"
    );
    assert!(out.is_empty());
    engine
        .process(P1, &receipt("p1-33", "S2", at(33), 1.0), now(12), &mut out)
        .unwrap();
    assert_eq!(engine.watermark(), at(28));
    assert!(out.is_empty());
    engine
        .process(P1, &receipt("p1-36", "S2", at(36), 1.0), now(13), &mut out)
        .unwrap();
    assert_eq!(engine.watermark(), at(31));
    assert_eq!(summaries(&out), [(20, 30, 2, true)]);
    assert_eq!(engine.counters().late, 1);
}

#[test]
fn when_every_partition_is_idle_the_watermark_reaches_the_newest_data() {
    let mut engine = engine(config());
    engine.declare_partitions([P0, P1], now(0));
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("a", "S1", at(44), 1.0), now(0), &mut out)
        .unwrap();
    engine
        .process(P1, &receipt("b", "S1", at(12), 1.0), now(0), &mut out)
        .unwrap();
    engine
        .process(P0, &receipt("c", "S1", at(58), 1.0), now(0), &mut out)
        .unwrap();
    assert_eq!(engine.watermark(), at(7));
    assert!(out.is_empty());
    engine.on_trigger(now(10), &mut out);
    // Both idle: the watermark goes to the larger partition watermark, 58 − 5.
    assert_eq!(engine.watermark(), at(53));
    assert_eq!(summaries(&out), [(10, 20, 1, true), (40, 50, 1, true)]);
}

#[test]
fn removing_a_revoked_partition_releases_the_watermark() {
    let mut engine = engine(config());
    engine.declare_partitions([P0, PartitionId(7)], now(0));
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("a", "S1", at(3), 1.0), now(0), &mut out)
        .unwrap();
    engine
        .process(P0, &receipt("b", "S1", at(30), 1.0), now(0), &mut out)
        .unwrap();
    assert!(out.is_empty());
    engine.remove_partition(PartitionId(7), &mut out);
    assert_eq!(engine.watermark(), at(25));
    assert_eq!(summaries(&out), [(0, 10, 1, true)]);
}

#[test]
fn finish_closes_every_open_window_in_order() {
    let mut engine = engine(config_with(10, 5, 5));
    engine.declare_partitions([P0, P1], now(0));
    let mut out = Vec::new();
    for (partition, id, s) in [(P0, "a", 3), (P0, "b", 27), (P0, "c", 61)] {
        engine
            .process(partition, &receipt(id, "S1", at(s), 1.0), now(0), &mut out)
            .unwrap();
    }
    assert!(
        out.is_empty(),
        "P1 never sent and is not idle: nothing closes"
    );
    assert_eq!(engine.state_size().open_windows, 6);
    engine.finish(&mut out);
    assert_eq!(engine.watermark(), EventTime::MAX);
    assert_eq!(
        summaries(&out),
        [
            (-5, 5, 1, true),
            (0, 10, 1, true),
            (20, 30, 1, true),
            (25, 35, 1, true),
            (55, 65, 1, true),
            (60, 70, 1, true)
        ]
    );
    assert_eq!(engine.state_size().open_windows, 0);
    assert_eq!(engine.counters().windows_closed, 6);
}
