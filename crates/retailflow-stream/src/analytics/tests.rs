//! The analytics stage end to end over a generated receipts file: window totals checked against an
//! independent count of the file, late receipts in the dead letters.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use retailflow_eventtime::EngineConfig;

use super::*;
use crate::clock::ManualClock;
use crate::command::StreamFormat;
use crate::dead_letter_sink::DeadLetterSpec;
use crate::generate::receipts::ReceiptGenerator;
use crate::pipeline::PipelineConfig;
use crate::schema::RecordFormat;
use crate::shutdown::Shutdown;
use crate::source::{SourceSpec, StartFrom};
use crate::status::StatusLog;

/// Writes `count` receipts at 100 per second of event time, 5% of them pushed back 60 s.
fn receipts_file(dir: &std::path::Path, count: u64) -> std::path::PathBuf {
    let path = dir.join("receipts.jsonl");
    std::fs::write(&path, ReceiptGenerator::late_sample(7, count)).unwrap();
    path
}

fn settings(input: &std::path::Path, dir: &std::path::Path) -> StreamSettings {
    StreamSettings {
        source: SourceSpec::File(input.to_path_buf()),
        brokers: "localhost:9092".into(),
        topic: "receipts".into(),
        group: "test".into(),
        start: StartFrom::Earliest,
        until_end: true,
        drain: None,
        format: StreamFormat::Receipts,
        dead_letters: Some(DeadLetterSpec::File(dir.join("dlq.jsonl"))),
        outputs: vec![OutputSpec::JsonlFile(dir.join("out.jsonl"))],
        show_rows: 20,
        pipeline: PipelineConfig {
            trigger: Duration::from_secs(1),
            max_records_per_batch: 500,
            ..PipelineConfig::default()
        },
        checkpoint: None,
        rules: Default::default(),
    }
}

fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn window_totals_match_the_file_and_late_receipts_are_dead_lettered() {
    let dir = tempfile::tempdir().unwrap();
    let input = receipts_file(dir.path(), 3000);
    let clock = Arc::new(ManualClock::new(EventTime(1_000_000)));
    let (status, captured) = StatusLog::captured();
    let environment = Environment {
        clock,
        shutdown: Shutdown::new(),
        status,
        monitors: Default::default(),
    };
    let summary = run_analytics(
        &settings(&input, dir.path()),
        EngineConfig::default(),
        &environment,
    )
    .unwrap();

    let dead = lines(&dir.path().join("dlq.jsonl"));
    let late = summary.dead_lettered.get(Reason::Late);
    assert_eq!(summary.messages, 3000);
    assert_eq!(dead.len() as u64, late);
    assert_eq!(summary.dead_lettered.total(), late);
    assert!((100..=200).contains(&late), "{late} late of 3000");
    assert!(dead.iter().all(|letter| letter["reason"] == "late"));

    // Independent count: every line not dead-lettered, in its epoch-aligned 10 s window.
    let dead_payloads: std::collections::HashSet<String> = dead
        .iter()
        .map(|letter| letter["payload"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for line in std::fs::read_to_string(&input).unwrap().lines() {
        if dead_payloads.contains(line) {
            continue;
        }
        let receipt: serde_json::Value = serde_json::from_str(line).unwrap();
        let ts = crate::timestamp::parse_rfc3339(receipt["ts"].as_str().unwrap()).unwrap();
        let start = EventTime(ts.millis().div_euclid(10_000) * 10_000);
        *expected
            .entry(crate::timestamp::format_rfc3339(start))
            .or_default() += 1;
    }

    let results = lines(&dir.path().join("out.jsonl"));
    let mut summaries: BTreeMap<String, u64> = BTreeMap::new();
    for result in results.iter().filter(|r| r["kind"] == "window_summary") {
        let start = result["window_start"].as_str().unwrap().to_owned();
        assert!(
            summaries
                .insert(start, result["receipts"].as_u64().unwrap())
                .is_none()
        );
    }
    assert_eq!(summaries, expected);
    assert_eq!(summaries.values().sum::<u64>(), 3000 - late);
    // 3000 receipts at 100/s span 30 s; every receipt pushed back 60 s is behind the watermark.
    assert_eq!(
        summaries.keys().collect::<Vec<_>>(),
        [
            "2025-01-01T00:00:00.000Z",
            "2025-01-01T00:00:10.000Z",
            "2025-01-01T00:00:20.000Z"
        ]
    );
    assert!(results.iter().any(|r| r["kind"] == "big_receipt"));
    let top = results.iter().find(|r| r["kind"] == "top_stores").unwrap();
    assert!(top["stores"].as_array().unwrap().len() <= 5);
    assert!(top.get("final").is_none());
    let status = captured.text();
    assert!(status.contains("dead-lettered (late"), "{status}");
    assert!(status.contains(&format!("{late} late")), "{status}");
}

#[test]
fn console_tables_per_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let input = receipts_file(dir.path(), 1200);
    let mut stage = AnalyticsStage::new(EngineConfig::default()).unwrap();
    let text = std::fs::read_to_string(input).unwrap();
    for (offset, line) in text.lines().enumerate() {
        let receipt = ReceiptFormat::default().parse(line.as_bytes()).unwrap();
        let meta = MessageMeta {
            partition: 0,
            offset: offset as i64,
            timestamp: None,
            size: line.len(),
        };
        let _ = stage.on_record(&meta, receipt);
    }
    let positions = crate::message::Positions::new();
    let context = BatchContext {
        batch_id: 0,
        processing_time: ProcessingTime::from_millis(0),
        positions: &positions,
    };
    let results = stage.end_input(&context);
    assert_eq!(results.len(), 1);
    let titles: Vec<String> = results[0]
        .tables()
        .unwrap()
        .iter()
        .map(|set| set.title().unwrap().to_owned())
        .collect();
    assert_eq!(
        titles,
        [
            "Top stores by revenue",
            "Big receipts",
            "Popular items by category",
            "Window summary"
        ]
    );
}
