//! Stage ones in "other processes": each partition's events as JSON, taken by an engine that runs
//! no stage one, give exactly what one engine over every partition gives — also when events come
//! twice, and whatever order the partitions' streams are interleaved in.

use retailflow_eventtime::{
    AnalysisSet, Engine, EngineConfig, Output, PartialEvent, PartialPosition, PartitionId,
    PartitionWindows, StageEvent,
};

use crate::support::{Random, at, config_with, now, random_receipt};

const PARTITIONS: i32 = 3;

fn config() -> EngineConfig {
    EngineConfig {
        analyses: AnalysisSet::ALL,
        ..config_with(10, 5, 3)
    }
}

/// `(partition, receipt)` in arrival order: event times move forward with some disorder.
fn input() -> Vec<(i32, retailflow_eventtime::Receipt)> {
    let mut random = Random::new(17);
    (0..3_000)
        .map(|n| {
            let ts = at(n as i64 / 20 + random.below(4) as i64);
            let partition = random.below(PARTITIONS as u64) as i32;
            (partition, random_receipt(&mut random, n, ts))
        })
        .collect()
}

fn one_engine() -> Vec<Output> {
    let mut engine = Engine::new(config()).unwrap().with_idle_detection(false);
    engine.declare_partitions((0..PARTITIONS).map(PartitionId), now(0));
    let mut out = Vec::new();
    for (offset, (partition, receipt)) in input().iter().enumerate() {
        let _ = engine.process(
            PartitionId(*partition),
            receipt,
            now(offset as i64),
            &mut out,
        );
    }
    engine.finish(&mut out);
    out
}

/// Each partition's events as `(position, JSON)`, as a stage-one process would write them.
fn stage_ones() -> Vec<Vec<(PartialPosition, String)>> {
    let mut streams = Vec::new();
    for partition in 0..PARTITIONS {
        let mut stage = PartitionWindows::new(PartitionId(partition), config(), now(0)).unwrap();
        let mut stream = Vec::new();
        let mut events: Vec<StageEvent> = Vec::new();
        let mut push = |offset: i64, events: &mut Vec<StageEvent>| {
            for (index, event) in events.drain(..).enumerate() {
                let data = PartialEvent::from_stage_event(&event).unwrap();
                let position = PartialPosition {
                    offset,
                    index: index as u32,
                };
                stream.push((position, serde_json::to_string(&data).unwrap()));
            }
        };
        let mut last = 0;
        for (offset, (owner, receipt)) in input().iter().enumerate() {
            if *owner == partition {
                let _ = stage.process(receipt, now(offset as i64), &mut events);
                push(offset as i64, &mut events);
                last = offset as i64 + 1;
            }
        }
        stage.finish(&mut events);
        push(last, &mut events);
        streams.push(stream);
    }
    streams
}

fn merge(streams: &[Vec<(PartialPosition, String)>], order: &[usize]) -> (Vec<Output>, usize) {
    let mut engine = Engine::new(config()).unwrap();
    engine.expect_partitions((0..PARTITIONS).map(PartitionId));
    let mut out = Vec::new();
    let mut next = vec![0; streams.len()];
    let mut ignored = 0;
    for &partition in order {
        let (position, json) = &streams[partition][next[partition]];
        next[partition] += 1;
        let event: PartialEvent = serde_json::from_str(json).unwrap();
        let taken = engine
            .take_partial(PartitionId(partition as i32), *position, event, &mut out)
            .unwrap();
        ignored += usize::from(!taken);
    }
    assert!(engine.all_partitions_done());
    (out, ignored)
}

#[test]
fn partials_from_other_processes_give_the_one_engine_results() {
    let expected = one_engine();
    assert!(expected.iter().any(|o| o.kind() == "bought_together"));
    let streams = stage_ones();
    // Partition by partition, then round robin.
    let in_turn: Vec<usize> = (0..streams.len())
        .flat_map(|p| std::iter::repeat_n(p, streams[p].len()))
        .collect();
    let mut round_robin = Vec::new();
    let mut left: Vec<usize> = streams.iter().map(Vec::len).collect();
    while left.iter().any(|&n| n > 0) {
        for (p, n) in left.iter_mut().enumerate() {
            if *n > 0 {
                round_robin.push(p);
                *n -= 1;
            }
        }
    }
    for order in [in_turn, round_robin] {
        let (outputs, ignored) = merge(&streams, &order);
        assert_eq!(ignored, 0);
        assert_eq!(outputs, expected);
    }
}

#[test]
fn an_event_delivered_twice_is_ignored() {
    let expected = one_engine();
    let mut streams = stage_ones();
    // Partition 1 resends its first 40 events after its 60th, as after a restart.
    let again: Vec<_> = streams[1][..40].to_vec();
    streams[1].splice(60..60, again);
    let order: Vec<usize> = (0..streams.len())
        .flat_map(|p| std::iter::repeat_n(p, streams[p].len()))
        .collect();
    let (outputs, ignored) = merge(&streams, &order);
    assert_eq!(ignored, 40);
    assert_eq!(outputs, expected);
}
