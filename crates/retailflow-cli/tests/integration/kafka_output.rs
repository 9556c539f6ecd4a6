//! `retailflow stream --analytics --output kafka[:TOPIC]` through librdkafka's in-process mock
//! cluster: the messages on the topic are exactly the lines `--output jsonl:PATH` writes for the
//! same input, and the flag is explained by `--help`; `retailflow dashboard --from kafka:TOPIC`
//! shows what such a topic holds. The same checks, plain and transactional, run
//! on the real broker when `RETAILFLOW_E2E_BROKERS` and `RETAILFLOW_E2E_PYTHON` are set, as in
//! `e2e.rs`.
//!
//! Exactly-once on the real broker: checkpointed runs reading a topic and writing results and dead
//! letters to topics, killed with SIGKILL again and again (also between a transaction's last send
//! and its commit, through the test hook [`support::PAUSE_BEFORE_COMMIT`]), leave exactly the
//! results and dead letters of an uninterrupted run for a `read_committed` reader, and the group's
//! committed offsets equal the checkpoint's; a second run on the same checkpoint directory fences a
//! first one frozen with SIGSTOP, which then stops with a one-line error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// A mock cluster with a topic `analytics` of 3 partitions, and its bootstrap servers.
fn analytics_cluster() -> (MockKafka, String) {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("analytics", 3).unwrap();
    let brokers = cluster.bootstrap_servers();
    (cluster, brokers)
}

#[test]
fn analytics_on_a_kafka_topic_are_the_jsonl_lines() {
    let (_cluster, brokers) = analytics_cluster();
    check_topic_equals_jsonl(&brokers, "analytics", "kafka");
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
    let (_cluster, brokers) = analytics_cluster();
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

/// The receipts of [`produce`] in `dir`, and their analytics written there as JSON lines: the
/// results every Kafka output of them must hold.
fn receipts_and_results(dir: &Path, brokers: &str) -> (PathBuf, PathBuf) {
    let input = dir.join("receipts.jsonl");
    produce(&input);
    let jsonl = dir.join("results.jsonl");
    let output = analytics(&input, dir, brokers, &format!("jsonl:{}", jsonl.display()));
    assert!(output.status.success(), "{}", stderr_of(&output));
    (input, jsonl)
}

/// [`check_topic_equals_jsonl`] where the Kafka output is written by one run per entry of `runs`,
/// each with those extra arguments (e.g. a checkpointed run stopped early, then resumed).
fn check_topic_equals_jsonl_with(brokers: &str, topic: &str, kafka_output: &str, runs: &[&[&str]]) {
    let dir = tempfile::tempdir().unwrap();
    let (input, jsonl) = receipts_and_results(dir.path(), brokers);
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

/// The window and store ids of each `top_stores` result among `results`, sorted by window.
fn top_stores_by_window(results: &[serde_json::Value]) -> Vec<(String, Vec<String>)> {
    let mut tops: Vec<(String, Vec<String>)> = results
        .iter()
        .filter(|result| result["kind"] == "top_stores")
        .map(|top| {
            let stores = top["stores"].as_array().unwrap();
            (
                top["window_start"].as_str().unwrap().to_string(),
                stores
                    .iter()
                    .map(|store| store["store_id"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    tops.sort();
    tops
}

/// `retailflow dashboard --from kafka:TOPIC` reads a result topic back: its health counts every
/// result on the topic, and its history of top stores is the run's, window by window.
#[test]
fn the_dashboard_of_a_result_topic_shows_the_run_s_results() {
    let (_cluster, brokers) = analytics_cluster();
    let dir = tempfile::tempdir().unwrap();
    let (input, jsonl) = receipts_and_results(dir.path(), &brokers);
    let output = analytics(&input, dir.path(), &brokers, "kafka:analytics");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let results = support::json_lines(&jsonl);
    let expected = top_stores_by_window(&results);
    assert!(expected.len() >= 2, "{expected:?}");

    let mut dashboard = support::Running::spawn(
        &[
            "dashboard",
            "--from",
            "kafka:analytics",
            "--brokers",
            &brokers,
            "--bind",
            "127.0.0.1:0",
        ]
        .map(String::from),
    );
    let address = dashboard.dashboard();
    let deadline = Instant::now() + Duration::from_secs(60);
    let snapshot = loop {
        let snapshot = support::snapshot(address);
        if snapshot["health"]["received"] == results.len() as u64 {
            break snapshot;
        }
        assert!(Instant::now() < deadline, "{snapshot}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        snapshot["health"]["job"],
        format!("results of kafka topic analytics at {brokers}")
    );
    let history = snapshot["top_store_history"].as_array().unwrap();
    assert_eq!(top_stores_by_window(history), expected);
    dashboard.interrupt_and_wait();
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

/// `count` deterministic receipts produced to `topic`.
fn produce_receipts(brokers: &str, topic: &str, count: usize) {
    let output = support::retailflow()
        .args(["produce", "--brokers", brokers, "--topic", topic])
        .args(["--mode", "receipts", "--seed", "47"])
        .args(["--start-time", "2026-04-01T10:00:00Z"])
        .args(["--events-per-second", "100", "--count", &count.to_string()])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
}

/// Receipts larger than this are dead letters (`too_large`): some of every batch, whatever the
/// order the partitions are read in.
const MAX_MESSAGE_SIZE: &str = "1000B";

/// The topics of one exactly-once case: the receipts read (filled with `count` receipts), the
/// results and the dead letters written.
struct Topics {
    brokers: String,
    input: String,
    results: String,
    dead_letters: String,
}

fn e2e_topics(case: &str, count: usize) -> Option<Topics> {
    let (brokers, input) = e2e_topic(&format!("{case}-in"))?;
    let (_, results) = e2e_topic(&format!("{case}-out"))?;
    let (_, dead_letters) = e2e_topic(&format!("{case}-dlq"))?;
    produce_receipts(&brokers, &input, count);
    Some(Topics {
        brokers,
        input,
        results,
        dead_letters,
    })
}

impl Topics {
    /// The results and dead letters of an uninterrupted run writing JSONL files, sorted.
    fn uninterrupted(&self, dir: &Path) -> (Vec<String>, Vec<String>) {
        let results = dir.join("reference.jsonl");
        let dead_letters = dir.join("reference.dlq.jsonl");
        let output = support::kafka_analytics(
            &self.brokers,
            &self.input,
            &format!("{}-reference", self.input),
            &format!("jsonl:{}", results.display()),
            &format!("file:{}", dead_letters.display()),
            None,
        )
        .args(["--max-message-size", MAX_MESSAGE_SIZE])
        .output()
        .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        let results = support::sorted_lines(&results);
        let dead_letters = support::sorted_lines(&dead_letters);
        assert!(results.len() > 5, "{} results", results.len());
        assert!(
            dead_letters.len() > 20,
            "{} receipts over {MAX_MESSAGE_SIZE}",
            dead_letters.len()
        );
        (results, dead_letters)
    }

    /// A checkpointed run writing the results and dead letters to their topics.
    fn checkpointed(&self, group: &str, checkpoint: &Path) -> Command {
        let mut command = support::kafka_analytics(
            &self.brokers,
            &self.input,
            group,
            &format!("kafka:{}", self.results),
            &format!("topic:{}", self.dead_letters),
            Some(checkpoint),
        );
        command.args(["--max-message-size", MAX_MESSAGE_SIZE]);
        command
    }

    /// Checks that a `read_committed` reader sees exactly `expected` on the two topics.
    fn assert_exactly(&self, expected: &(Vec<String>, Vec<String>), what: &str) {
        let results = support::read_committed(&self.brokers, &self.results);
        let dead_letters = support::read_committed(&self.brokers, &self.dead_letters);
        let missing = expected.0.iter().filter(|l| !results.contains(l)).count();
        assert!(
            results == expected.0,
            "{what}: {} results against {} uninterrupted, {missing} missing",
            results.len(),
            expected.0.len()
        );
        assert!(
            dead_letters == expected.1,
            "{what}: {} dead letters against {} uninterrupted",
            dead_letters.len(),
            expected.1.len()
        );
    }
}

/// The pause of the test hook in the SIGKILL test; kills drawn from 0 to twice this long after a
/// checkpoint appears, so about half land in it, between the transaction's last send and its commit.
const PAUSE_MS: u64 = 150;

#[test]
fn e2e_checkpointed_kafka_output_killed_at_random_moments_is_exactly_once() {
    let Some(topics) = e2e_topics("eos-killed", 1_500) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let expected = topics.uninterrupted(dir.path());

    let checkpoint = dir.path().join("checkpoint");
    let group = format!("{}-killed", topics.input);
    let runs = crate::checkpoint::run_until_done_killing(
        || {
            let mut command = topics.checkpointed(&group, &checkpoint);
            command.env(support::PAUSE_BEFORE_COMMIT, PAUSE_MS.to_string());
            command
        },
        &checkpoint,
        91,
        2 * PAUSE_MS,
    );
    assert!(runs.kills >= 10, "only {} kills", runs.kills);
    // A kill this soon after the checkpoint file appeared came while the run slept in the hook:
    // after the transaction's last send (and the checkpoint's save), before its commit.
    let before_commit = runs
        .delays
        .iter()
        .filter(|delay| delay.as_millis() < u128::from(PAUSE_MS) - 50)
        .count();
    let later = runs.delays.len() - before_commit;
    assert!(
        before_commit >= 3 && later >= 3,
        "{before_commit} kills before a commit, {later} later: {:?}",
        runs.delays
    );
    eprintln!(
        "{} runs killed with SIGKILL ({before_commit} between a transaction's last send and its commit)",
        runs.kills
    );
    topics.assert_exactly(&expected, &format!("after {} kills", runs.kills));

    // The group's committed offsets (committed in the transactions) are the checkpoint's, which
    // are the end of the input.
    let committed = support::group_offsets(&topics.brokers, &group, &topics.input, 3);
    let recorded = support::checkpoint_offsets(&checkpoint);
    assert_eq!(committed, recorded, "group {group} against the checkpoint");
    assert_eq!(recorded.values().sum::<i64>(), 1_500, "{recorded:?}");
}

/// Waits up to `limit` for `child` to exit.
fn exit_within(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the fenced run did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &std::process::Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} failed");
}

#[test]
fn e2e_a_second_run_on_the_checkpoint_fences_a_frozen_first_one() {
    let Some(topics) = e2e_topics("eos-fenced", 1_500) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let expected = topics.uninterrupted(dir.path());
    let checkpoint = dir.path().join("checkpoint");
    let group = format!("{}-fenced", topics.input);

    // The first run pauses a second before each commit, so it is frozen inside a transaction.
    let first_log = dir.path().join("first.stderr");
    let mut first = topics
        .checkpointed(&group, &checkpoint)
        .env(support::PAUSE_BEFORE_COMMIT, "1000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&first_log).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while crate::checkpoint::latest_epoch(&checkpoint) < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no progress: {}",
            std::fs::read_to_string(&first_log).unwrap_or_default()
        );
        assert!(first.try_wait().unwrap().is_none(), "the first run ended");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    signal(&first, "STOP");

    // The second run on the same directory takes over and does the whole job.
    let second = topics.checkpointed(&group, &checkpoint).output().unwrap();
    let second_log = stderr_of(&second);
    assert!(second.status.success(), "{second_log}");
    assert!(second_log.contains("taking over"), "{second_log}");

    // Woken up, the first run finds itself fenced and stops with one line, not retrying.
    signal(&first, "CONT");
    let status = exit_within(&mut first, Duration::from_secs(60));
    let first_stderr = std::fs::read_to_string(&first_log).unwrap();
    assert!(
        !status.success(),
        "the fenced run succeeded:\n{first_stderr}"
    );
    let last = first_stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: ")
            && (last.contains("fenced this one") || last.contains("took it over")),
        "{first_stderr}"
    );
    assert_eq!(
        first_stderr
            .lines()
            .filter(|l| l.starts_with("error"))
            .count(),
        1,
        "{first_stderr}"
    );

    eprintln!("the fenced run stopped with: {last}");

    // Nothing the first run wrote after the takeover is visible.
    topics.assert_exactly(&expected, "after the takeover");
    let committed = support::group_offsets(&topics.brokers, &group, &topics.input, 3);
    assert_eq!(committed, support::checkpoint_offsets(&checkpoint));
}
