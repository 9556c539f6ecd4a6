//! The Kafka result sink on librdkafka's in-process mock cluster: the analytics written to a topic
//! are exactly the JSONL results of the same run, keyed by store or window; an undelivered result
//! stops the run; the transactional mode tags each checkpoint epoch's results and
//! `transaction_committed` finds a committed epoch, however far back in the partition.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use retailflow_eventtime::{EngineConfig, EventTime};
use retailflow_stream::analytics::run_analytics;
use retailflow_stream::command::{StreamFormat, StreamSettings};
use retailflow_stream::dead_letter_sink::DeadLetterSpec;
use retailflow_stream::generate::ReceiptGenerator;
use retailflow_stream::kafka::MockKafka;
use retailflow_stream::output::{
    KafkaResultSink, OutputSpec, ResultSet, Sink, SinkPosition, transaction_committed,
};
use retailflow_stream::source::{SourceSpec, StartFrom};
use retailflow_stream::status::StatusLog;
use retailflow_stream::{PipelineConfig, StreamError};

const START: EventTime = EventTime(1_735_689_600_000);

/// `count` receipts at 100 per second of event time, 5% of them pushed back 60 s (late).
fn receipts_file(dir: &Path, count: u64) -> PathBuf {
    let path = dir.join("receipts.jsonl");
    std::fs::write(&path, ReceiptGenerator::late_sample(11, count)).unwrap();
    path
}

fn analytics_settings(
    input: &Path,
    dir: &Path,
    brokers: &str,
    output: OutputSpec,
) -> StreamSettings {
    StreamSettings {
        source: SourceSpec::File(input.to_path_buf()),
        brokers: brokers.to_string(),
        topic: "receipts".into(),
        group: "test".into(),
        start: StartFrom::Earliest,
        until_end: true,
        drain: None,
        format: StreamFormat::Receipts,
        dead_letters: Some(DeadLetterSpec::File(dir.join("dlq.jsonl"))),
        outputs: vec![output],
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

#[test]
fn analytics_on_a_topic_are_the_jsonl_results_keyed_by_store_or_window() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("analytics", 3).unwrap();
    let brokers = cluster.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let input = receipts_file(dir.path(), 3000);

    let jsonl = dir.path().join("out.jsonl");
    let file_run = run_analytics(
        &analytics_settings(
            &input,
            dir.path(),
            &brokers,
            OutputSpec::JsonlFile(jsonl.clone()),
        ),
        EngineConfig::default(),
        &common::environment().0,
    )
    .unwrap();
    let mut expected: Vec<String> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    expected.sort();
    assert!(expected.len() > 100, "{} results", expected.len());
    assert!(
        expected
            .iter()
            .any(|line| line.contains("\"kind\":\"big_receipt\"")),
        "some big receipts"
    );

    let kafka_run = run_analytics(
        &analytics_settings(
            &input,
            dir.path(),
            &brokers,
            OutputSpec::parse("kafka").unwrap(),
        ),
        EngineConfig::default(),
        &common::environment().0,
    )
    .unwrap();
    assert_eq!(kafka_run.messages, file_run.messages);
    assert_eq!(kafka_run.dead_lettered, file_run.dead_lettered);

    let messages = common::read_topic(&brokers, "analytics", 3, expected.len());
    let mut payloads: Vec<String> = messages.iter().map(|m| m.payload.clone()).collect();
    payloads.sort();
    assert_eq!(payloads, expected);

    for message in &messages {
        let value: serde_json::Value = serde_json::from_str(&message.payload).unwrap();
        let key_field = if value["kind"] == "big_receipt" {
            "store_id"
        } else {
            "window_start"
        };
        assert_eq!(
            message.key.as_deref(),
            value[key_field].as_str(),
            "{message:?}"
        );
        assert_eq!(message.epoch, None, "no epoch header without a checkpoint");
    }
}

/// A result set of fixed JSON objects.
struct Objects(Vec<String>);

impl ResultSet for Objects {
    fn columns(&self) -> Vec<&str> {
        vec!["json"]
    }

    fn row_count(&self) -> usize {
        self.0.len()
    }

    fn cells(&self, row: usize) -> Vec<Option<String>> {
        vec![Some(self.0[row].clone())]
    }

    fn write_json(&self, row: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0[row].as_bytes());
    }
}

/// `count` window summaries numbered from `first` (windows 10 s apart from `START`).
fn summaries(first: u64, count: u64) -> Vec<Box<dyn ResultSet>> {
    let objects = (first..first + count)
        .map(|n| {
            let start = retailflow_stream::timestamp::format_rfc3339(EventTime(
                START.0 + n as i64 * 10_000,
            ));
            format!(
                r#"{{"kind":"window_summary","window_start":"{start}","window_end":"x","receipts":{n},"revenue":1.0,"items":1}}"#
            )
        })
        .collect();
    vec![Box::new(Objects(objects)) as Box<dyn ResultSet>]
}

#[test]
fn a_result_the_broker_never_acknowledges_stops_the_batch() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("analytics", 1).unwrap();
    let mut config = KafkaResultSink::writer_config(&cluster.bootstrap_servers(), "analytics");
    config.delivery_timeout = Duration::from_secs(1);
    let mut sink = KafkaResultSink::connect(config, None, 0, StatusLog::captured().0).unwrap();
    sink.write_batch(0, &summaries(0, 2)).unwrap();

    cluster.broker_down(1).unwrap();
    let error = sink.write_batch(1, &summaries(2, 3)).unwrap_err();
    assert!(
        matches!(
            error,
            StreamError::Undelivered {
                failed: 3,
                total: 5,
                ..
            }
        ),
        "{error}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("3 of 5 messages were not delivered to topic analytics at "),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn transactional_results_carry_their_epoch_and_commit_when_the_checkpoint_is_saved() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("analytics", 2).unwrap();
    let brokers = cluster.bootstrap_servers();
    let mut sink = KafkaResultSink::connect(
        KafkaResultSink::writer_config(&brokers, "analytics"),
        Some("retailflow-test".to_string()),
        7,
        StatusLog::captured().0,
    )
    .unwrap();

    // Epoch 7: two batches in one transaction.
    sink.write_batch(0, &summaries(0, 3)).unwrap();
    sink.write_batch(1, &summaries(3, 2)).unwrap();
    assert_eq!(
        sink.prepare_checkpoint(7).unwrap(),
        SinkPosition::KafkaTransaction {
            topic: "analytics".to_string(),
            epoch: 7,
            messages: 5
        }
    );
    sink.checkpoint_saved(7).unwrap();
    assert!(transaction_committed(&brokers, "analytics", 7).unwrap());
    assert!(!transaction_committed(&brokers, "analytics", 8).unwrap());

    // Epoch 8 has no results: nothing to check.
    sink.write_batch(2, &[]).unwrap();
    assert_eq!(
        sink.prepare_checkpoint(8).unwrap(),
        SinkPosition::KafkaTransaction {
            topic: "analytics".to_string(),
            epoch: 8,
            messages: 0
        }
    );
    sink.checkpoint_saved(8).unwrap();

    // Epoch 9.
    sink.write_batch(3, &summaries(5, 1)).unwrap();
    let error = sink.prepare_checkpoint(10).unwrap_err().to_string();
    assert!(error.contains("holds the results of epoch 9"), "{error}");
    assert_eq!(
        sink.prepare_checkpoint(9).unwrap(),
        SinkPosition::KafkaTransaction {
            topic: "analytics".to_string(),
            epoch: 9,
            messages: 1
        }
    );
    sink.checkpoint_saved(9).unwrap();
    assert!(transaction_committed(&brokers, "analytics", 9).unwrap());
    assert!(!transaction_committed(&brokers, "analytics", 8).unwrap());

    let mut messages = common::read_topic(&brokers, "analytics", 2, 6);
    messages.sort_by(|a, b| a.payload.cmp(&b.payload));
    let epochs: Vec<&str> = messages
        .iter()
        .map(|m| m.epoch.as_deref().unwrap())
        .collect();
    assert_eq!(epochs, ["7", "7", "7", "7", "7", "9"]);
}

#[test]
fn a_committed_epoch_is_found_behind_thousands_of_later_results() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("analytics", 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    let mut sink = KafkaResultSink::connect(
        KafkaResultSink::writer_config(&brokers, "analytics"),
        Some("retailflow-deep".to_string()),
        1,
        StatusLog::captured().0,
    )
    .unwrap();
    sink.write_batch(0, &summaries(0, 2)).unwrap();
    sink.prepare_checkpoint(1).unwrap();
    sink.checkpoint_saved(1).unwrap();
    sink.write_batch(1, &summaries(2, 2_500)).unwrap();
    sink.prepare_checkpoint(2).unwrap();
    sink.checkpoint_saved(2).unwrap();

    assert!(transaction_committed(&brokers, "analytics", 1).unwrap());
    assert!(transaction_committed(&brokers, "analytics", 2).unwrap());
    assert!(!transaction_committed(&brokers, "analytics", 3).unwrap());
    assert!(!transaction_committed(&brokers, "no-such-topic", 1).unwrap());
}
