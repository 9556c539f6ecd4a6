//! The stream pipeline end to end on librdkafka's in-process mock cluster: produce receipts (some
//! damaged) to a real Kafka protocol endpoint, consume them, and check that every message was
//! either processed or dead-lettered with the reason it was damaged with.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use retailflow_stream::command::{
    ProduceMode, ProduceSettings, StreamFormat, StreamSettings, run_produce, run_stream,
};
use retailflow_stream::dead_letter_sink::DeadLetterSpec;
use retailflow_stream::generate::{EventClock, Faults};
use retailflow_stream::kafka::MockKafka;
use retailflow_stream::output::OutputSpec;
use retailflow_stream::produce::ProducePlan;
use retailflow_stream::source::{SourceSpec, StartFrom};
use retailflow_stream::{PipelineConfig, Reason, RunEnd};

fn stream_settings(brokers: &str, topic: &str, output: &Path) -> StreamSettings {
    StreamSettings {
        source: SourceSpec::Kafka,
        brokers: brokers.to_string(),
        topic: topic.to_string(),
        group: StreamSettings::default_group(topic),
        start: StartFrom::Earliest,
        until_end: true,
        drain: None,
        format: StreamFormat::Receipts,
        dead_letters: None,
        outputs: vec![OutputSpec::JsonlFile(output.to_path_buf())],
        show_rows: 20,
        pipeline: PipelineConfig {
            trigger: Duration::from_millis(200),
            ..PipelineConfig::default()
        },
        checkpoint: None,
        rules: Default::default(),
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// An open run (no `until_end`) given a drain request ends at the end offsets seen when the request
/// was made, having read what was sent after it started, and no more.
#[test]
fn a_drain_request_ends_an_open_run_at_the_end_offsets_seen_then() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("receipts", 3).unwrap();
    let brokers = cluster.bootstrap_servers();
    common::produce_receipts(&brokers, "receipts", 300, 7, 0.0, 0.0);

    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("receipts.out.jsonl");
    let drain = retailflow_stream::shutdown::Shutdown::new();
    let settings = StreamSettings {
        until_end: false,
        drain: Some(drain.clone()),
        ..stream_settings(&brokers, "receipts", &output)
    };
    let (env, status) = common::environment();
    let summary = std::thread::scope(|scope| {
        let run = scope.spawn(|| run_stream(&settings, &env));
        common::produce_receipts(&brokers, "receipts", 200, 8, 0.0, 0.0);
        drain.request();
        run.join().unwrap()
    })
    .unwrap();
    assert_eq!(summary.end, RunEnd::EndOfInput, "{}", status.text());
    assert_eq!(summary.messages, 500);
    assert_eq!(lines(&output).len(), 500);
    assert!(!env.shutdown.is_requested());

    // What arrives after the drain is left for the group's next run.
    common::produce_receipts(&brokers, "receipts", 50, 9, 0.0, 0.0);
    let rest = dir.path().join("rest.out.jsonl");
    let next = run_stream(&stream_settings(&brokers, "receipts", &rest), &env).unwrap();
    assert_eq!(next.messages, 50);
}

#[test]
fn every_produced_receipt_is_processed_or_dead_lettered() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("receipts", 3).unwrap();
    cluster.create_topic("receipts-dlq", 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    let produced = common::produce_receipts(&brokers, "receipts", 3_000, 7, 0.05, 0.05);
    assert!(produced.malformed.total() > 100, "{produced:?}");
    assert_eq!(
        produced.malformed.get(Reason::TooLarge),
        1,
        "one 2 MB message"
    );

    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("receipts.out.jsonl");
    let (env, status) = common::environment();
    let summary = run_stream(&stream_settings(&brokers, "receipts", &output), &env).unwrap();

    assert_eq!(summary.end, RunEnd::EndOfInput);
    assert_eq!(summary.messages, 3_000);
    assert_eq!(summary.processed, produced.valid + produced.late);
    assert_eq!(
        summary.dead_lettered,
        produced.malformed,
        "{}",
        status.text()
    );
    assert_eq!(summary.processed + summary.dead_lettered.total(), 3_000);

    // Every processed receipt was written once.
    let written = lines(&output);
    assert_eq!(written.len() as u64, summary.processed);
    let mut ids: Vec<String> = written
        .iter()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["receipt_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as u64, summary.processed);

    // Every dead letter reached the dead-letter topic with its reason, partition and offset.
    let letters: Vec<String> = common::read_topic(
        &brokers,
        "receipts-dlq",
        1,
        summary.dead_lettered.total() as usize,
    )
    .into_iter()
    .map(|message| message.payload)
    .collect();
    assert_eq!(letters.len() as u64, summary.dead_lettered.total());
    let mut by_reason: HashMap<String, u64> = HashMap::new();
    let mut places = std::collections::HashSet::new();
    for letter in &letters {
        let value: serde_json::Value = serde_json::from_str(letter).unwrap();
        *by_reason
            .entry(value["reason"].as_str().unwrap().to_string())
            .or_default() += 1;
        assert_eq!(value["source"], "kafka:receipts");
        assert!(value["detail"].as_str().is_some_and(|d| !d.is_empty()));
        places.insert((
            value["partition"].as_i64().unwrap(),
            value["offset"].as_i64().unwrap(),
        ));
        if value["reason"] == "too_large" {
            assert_eq!(value["payload_truncated"], true);
            assert!(value["payload_bytes"].as_u64().unwrap() > 2_000_000);
        }
        if value["payload_encoding"] == "base64" {
            assert_eq!(value["reason"], "malformed_json");
        }
    }
    assert_eq!(
        places.len(),
        letters.len(),
        "each dead letter names a distinct message"
    );
    for (reason, count) in produced.malformed.nonzero() {
        assert_eq!(
            by_reason.get(reason.as_str()).copied().unwrap_or(0),
            count,
            "{reason}"
        );
    }

    // The group committed its offsets: a second bounded run finds nothing new.
    let (env, _) = common::environment();
    let again = run_stream(
        &stream_settings(&brokers, "receipts", &dir.path().join("again.jsonl")),
        &env,
    )
    .unwrap();
    assert_eq!((again.messages, again.batches), (0, 0));

    // New messages are read by the next run, and only those.
    let more = common::produce_receipts(&brokers, "receipts", 100, 8, 0.05, 0.0);
    let (env, _) = common::environment();
    let third = run_stream(
        &stream_settings(&brokers, "receipts", &dir.path().join("third.jsonl")),
        &env,
    )
    .unwrap();
    assert_eq!(third.messages, 100);
    assert_eq!(third.processed, more.valid + more.late);
}

#[test]
fn values_from_a_file_dead_letter_file_and_latest_start() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("test-topic", 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    let (env, _) = common::environment();
    let produce = ProduceSettings {
        brokers: brokers.clone(),
        topic: "test-topic".to_string(),
        mode: ProduceMode::Value,
        seed: 3,
        event_clock: EventClock::Wall,
        faults: Faults {
            malformed_fraction: 0.2,
            ..Faults::default()
        },
        plan: ProducePlan {
            count: Some(500),
            ..ProducePlan::default()
        },
        out: None,
        delivery_timeout: Duration::from_secs(30),
    };
    let produced = run_produce(&produce, &env).unwrap();
    assert_eq!(produced.tally.delivered, 500);

    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let mut settings = stream_settings(&brokers, "test-topic", &dir.path().join("values.jsonl"));
    settings.format = StreamFormat::Value;
    settings.dead_letters = Some(DeadLetterSpec::File(dead.clone()));
    let (env, _) = common::environment();
    let summary = run_stream(&settings, &env).unwrap();
    assert_eq!(summary.processed, produced.valid);
    assert_eq!(summary.dead_lettered, produced.malformed);
    assert_eq!(lines(&dead).len() as u64, produced.malformed.total());
    let values = lines(&dir.path().join("values.jsonl"));
    assert!(values.iter().all(|v| v.starts_with("{\"value\":")));

    // A new group starting from `latest` has nothing to read in a bounded run.
    settings.group = "another-group".to_string();
    settings.start = StartFrom::Latest;
    let (env, _) = common::environment();
    assert_eq!(run_stream(&settings, &env).unwrap().messages, 0);
}

/// Checks that every record's partition was announced before the record arrived.
#[derive(Default)]
struct PartitionsFirst {
    known: Vec<i32>,
    announcements: Vec<Vec<i32>>,
    records: u64,
}

impl retailflow_stream::Stage<retailflow_eventtime::Receipt> for PartitionsFirst {
    fn on_partitions(&mut self, partitions: &[i32], _now: retailflow_eventtime::ProcessingTime) {
        self.known = partitions.to_vec();
        self.announcements.push(partitions.to_vec());
    }

    fn on_record(
        &mut self,
        meta: &retailflow_stream::MessageMeta,
        _record: retailflow_eventtime::Receipt,
    ) -> Result<(), retailflow_stream::Rejection> {
        assert!(
            self.known.contains(&meta.partition),
            "{} not announced",
            meta.partition
        );
        self.records += 1;
        Ok(())
    }

    fn end_batch(
        &mut self,
        _context: &retailflow_stream::BatchContext<'_>,
    ) -> Vec<Box<dyn retailflow_stream::output::ResultSet>> {
        Vec::new()
    }
}

#[test]
fn a_stage_is_told_the_assigned_partitions_before_their_records() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("receipts", 3).unwrap();
    let brokers = cluster.bootstrap_servers();
    let produced = common::produce_receipts(&brokers, "receipts", 300, 4, 0.05, 0.0);
    let dir = tempfile::tempdir().unwrap();
    let settings = stream_settings(&brokers, "receipts", &dir.path().join("unused.jsonl"));
    let (env, _) = common::environment();
    let mut source = settings.open_source(&env).unwrap();
    let dead = retailflow_stream::dead_letter_sink::FileDeadLetters::create(
        &dir.path().join("dead.jsonl"),
        false,
    )
    .unwrap();
    let mut pipeline = retailflow_stream::Pipeline::new(
        settings.pipeline.clone(),
        env,
        Vec::new(),
        Box::new(dead),
    );
    let mut stage = PartitionsFirst::default();
    let summary = pipeline
        .run(
            source.as_mut(),
            &retailflow_stream::schema::ReceiptFormat::default(),
            &mut stage,
        )
        .unwrap();
    assert_eq!(summary.processed, produced.valid + produced.late);
    assert_eq!(stage.records, summary.processed);
    assert_eq!(
        stage.announcements.first(),
        Some(&vec![0, 1, 2]),
        "{:?}",
        stage.announcements
    );
}
