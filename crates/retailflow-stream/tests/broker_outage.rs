//! A broker that goes away while `retailflow stream` reads: the outage is reported on the status
//! log, retried with back-off without burning CPU, and reading resumes when the broker returns.
//! (Its own test binary, so the CPU measurement sees no other test's work.)
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use retailflow_stream::command::{StreamFormat, StreamSettings, run_stream};
use retailflow_stream::kafka::MockKafka;
use retailflow_stream::output::OutputSpec;
use retailflow_stream::source::{SourceSpec, StartFrom};
use retailflow_stream::{PipelineConfig, RunEnd};

/// CPU time this process has used (user + system), from /proc.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

#[test]
fn a_broker_outage_is_reported_retried_and_survived_without_spinning() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("receipts", 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    common::produce_receipts(&brokers, "receipts", 50, 1, 0.0, 0.0);

    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.jsonl");
    let settings = StreamSettings {
        source: SourceSpec::Kafka,
        brokers: brokers.clone(),
        topic: "receipts".to_string(),
        group: "outage-test".to_string(),
        start: StartFrom::Earliest,
        until_end: false,
        drain: None,
        format: StreamFormat::Receipts,
        dead_letters: Some(retailflow_stream::dead_letter_sink::DeadLetterSpec::File(
            dir.path().join("dead.jsonl"),
        )),
        outputs: vec![OutputSpec::JsonlFile(output.clone())],
        show_rows: 20,
        pipeline: PipelineConfig {
            trigger: Duration::from_millis(200),
            ..PipelineConfig::default()
        },
        checkpoint: None,
        rules: Default::default(),
    };
    let (env, status) = common::environment();
    let shutdown = env.shutdown.clone();
    let consumer = std::thread::spawn(move || run_stream(&settings, &env));

    let wait_for = |what: &str, condition: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !condition() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; status:\n{}",
                status.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let written = || {
        std::fs::read_to_string(&output)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    wait_for("the first 50 receipts", &|| written() == 50);

    cluster.broker_down(1).unwrap();
    let cpu_before = cpu_time();
    wait_for("the outage to be reported", &|| {
        status.text().contains("kafka: cannot read receipts")
    });
    std::thread::sleep(Duration::from_secs(3));
    let cpu_used = cpu_time() - cpu_before;
    cluster.broker_up(1).unwrap();

    common::produce_receipts(&brokers, "receipts", 50, 2, 0.0, 0.0);
    wait_for("the receipts sent after the outage", &|| written() == 100);
    shutdown.request();
    let summary = consumer.join().unwrap().unwrap();
    assert_eq!(summary.end, RunEnd::Shutdown);
    assert_eq!(summary.processed, 100);
    let text = status.text();
    eprintln!("{text}");
    assert!(text.contains("retrying in"), "{text}");
    assert!(text.contains("kafka: reading receipts again"), "{text}");
    // Waiting on a dead broker must not burn a core: well under one CPU-second over ~3 s.
    assert!(
        cpu_used < Duration::from_millis(1500),
        "{cpu_used:?} of CPU during the outage"
    );
}
