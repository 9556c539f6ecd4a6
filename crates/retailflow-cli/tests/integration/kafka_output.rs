//! `retailflow stream --analytics --output kafka[:TOPIC]` through librdkafka's in-process mock
//! cluster: the messages on the topic are exactly the lines `--output jsonl:PATH` writes for the
//! same input, and the flag is explained by `--help`. The same checks, plain and transactional, run
//! on the real broker when `RETAILFLOW_E2E_BROKERS` and `RETAILFLOW_E2E_PYTHON` are set, as in
//! `e2e.rs`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use retailflow_stream::kafka::MockKafka;

use crate::support;

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// 2000 receipts at 100 per second of event time, 5% pushed back 60 s (late).
fn produce(path: &Path) {
    support::produce_receipts_to(
        path,
        &[
            "--seed",
            "23",
            "--count",
            "2000",
            "--start-time",
            "2025-03-01T09:00:00Z",
            "--events-per-second",
            "100",
            "--late-fraction",
            "0.05",
            "--late-by",
            "60s",
        ],
    );
}

/// Runs the analytics over `input` with `--output output` (and `--brokers brokers`).
fn analytics(input: &Path, dir: &Path, brokers: &str, output: &str) -> Output {
    analytics_with(input, dir, brokers, output, &[])
}

/// [`analytics`] with more arguments.
fn analytics_with(input: &Path, dir: &Path, brokers: &str, output: &str, more: &[&str]) -> Output {
    support::retailflow()
        .args([
            "stream",
            "--analytics",
            "--window",
            "10s",
            "--brokers",
            brokers,
        ])
        .arg(format!("--source=file:{}", input.display()))
        .arg(format!("--output={output}"))
        .arg(format!("--dlq=file:{}", dir.join("late.jsonl").display()))
        .args(more)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

#[test]
fn analytics_on_a_kafka_topic_are_the_jsonl_lines() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("analytics", 3).unwrap();
    check_topic_equals_jsonl(&cluster.bootstrap_servers(), "analytics", "kafka");
}

fn e2e_env(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and {name} is not set (see .ci/run)")
        }
        _ => {
            eprintln!("skipping the end-to-end test: {name} is not set (see scripts/e2e.sh)");
            None
        }
    }
}

/// The real broker and a new topic of 3 partitions on it, when the end-to-end tests run.
fn e2e_topic(case: &str) -> Option<(String, String)> {
    let (Some(brokers), Some(python)) = (
        e2e_env("RETAILFLOW_E2E_BROKERS"),
        e2e_env("RETAILFLOW_E2E_PYTHON"),
    ) else {
        return None;
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let topic = format!("e2e-{case}-{nanos}");
    let created = Command::new(python)
        .arg(support::workspace_root().join("tests/e2e/kafka_tool.py"))
        .args(["--brokers", &brokers, "create-topic", "--topic", &topic])
        .args(["--partitions", "3"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", stderr_of(&created));
    Some((brokers, topic))
}

#[test]
fn e2e_analytics_on_a_real_broker_topic_are_the_jsonl_lines() {
    let Some((brokers, topic)) = e2e_topic("analytics") else {
        return;
    };
    check_topic_equals_jsonl(&brokers, &topic, &format!("kafka:{topic}"));
}

/// The transactional output on a broker that isolates transactions: a checkpointed run stopped
/// early and resumed leaves exactly the results on the topic, as a read-committed consumer sees it
/// (the read-back skips the transaction markers to reach the end offsets).
#[test]
fn e2e_a_checkpointed_run_writes_a_real_broker_topic_in_transactions_and_resumes() {
    let Some((brokers, topic)) = e2e_topic("transactions") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("checkpoint");
    let at = checkpoint.display().to_string();
    let resumed = ["--checkpoint", &at, "--max-records-per-batch", "200"];
    let stopped_early = [&resumed[..], &["--max-batches", "4"]].concat();
    let output = format!("kafka:{topic}");
    check_topic_equals_jsonl_with(&brokers, &topic, &output, &[&stopped_early, &resumed]);
}

#[test]
fn a_checkpointed_run_writes_the_topic_in_transactions_and_resumes() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("analytics", 3).unwrap();
    let brokers = cluster.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("checkpoint");
    let at = checkpoint.display().to_string();
    let resumed = ["--checkpoint", &at, "--max-records-per-batch", "200"];
    let stopped_early = [&resumed[..], &["--max-batches", "4"]].concat();
    check_topic_equals_jsonl_with(&brokers, "analytics", "kafka", &[&stopped_early, &resumed]);
    let id = std::fs::read_to_string(checkpoint.join("transactional-id")).unwrap();
    assert!(id.starts_with("retailflow-"), "{id}");
}

/// Runs the analytics of one generated file to JSONL and to `--output kafka_output` (a Kafka topic
/// `topic` at `brokers`), reads the topic back and compares.
fn check_topic_equals_jsonl(brokers: &str, topic: &str, kafka_output: &str) {
    check_topic_equals_jsonl_with(brokers, topic, kafka_output, &[&[]]);
}

/// [`check_topic_equals_jsonl`] where the Kafka output is written by one run per entry of `runs`,
/// each with those extra arguments (e.g. a checkpointed run stopped early, then resumed).
fn check_topic_equals_jsonl_with(brokers: &str, topic: &str, kafka_output: &str, runs: &[&[&str]]) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("receipts.jsonl");
    produce(&input);

    let jsonl = dir.path().join("results.jsonl");
    let output = analytics(
        &input,
        dir.path(),
        brokers,
        &format!("jsonl:{}", jsonl.display()),
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let expected = support::sorted_lines(&jsonl);
    assert!(expected.len() > 50, "{} results", expected.len());

    for more in runs {
        let output = analytics_with(&input, dir.path(), brokers, kafka_output, more);
        assert!(output.status.success(), "{}", stderr_of(&output));
        assert!(output.stdout.is_empty(), "results go to the topic only");
    }

    // Read the topic back with retailflow itself: as `--format value` no result parses, so each
    // one is a dead letter holding the message as its payload.
    let dead = dir.path().join("read-back.jsonl");
    let output = support::retailflow()
        .args(["stream", "--brokers", brokers, "--topic", topic])
        .args(["--format", "value", "--from", "earliest", "--until-end"])
        .args(["--trigger", "200ms", "--output", "jsonl:-"])
        .arg(format!("--dlq=file:{}", dead.display()))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let mut payloads: Vec<String> = support::sorted_lines(&dead)
        .iter()
        .map(|line| {
            let letter: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(letter["source"], format!("kafka:{topic}"));
            letter["payload"].as_str().unwrap().to_string()
        })
        .collect();
    payloads.sort();
    assert_eq!(payloads, expected);
}

#[test]
fn stream_help_explains_the_kafka_output() {
    let output = support::retailflow()
        .args(["stream", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("`kafka[:TOPIC]`: each result as one JSON message"),
        "{help}"
    );
    assert!(
        words.contains("(`kafka` alone: topic analytics), keyed by store id"),
        "{help}"
    );
}

#[test]
fn an_output_topic_without_a_name_is_refused_in_one_line() {
    let output = support::retailflow()
        .args(["stream", "--analytics", "--output", "kafka:"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = stderr_of(&output);
    assert!(stderr.contains("invalid output `kafka:`"), "{stderr}");
    assert!(stderr.contains("`kafka[:TOPIC]`"), "{stderr}");
}
