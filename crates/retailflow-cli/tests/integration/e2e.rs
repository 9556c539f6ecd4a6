//! End-to-end tests on a real Kafka-protocol broker (`scripts/broker.sh start` runs one):
//! `retailflow produce` → broker → `retailflow stream --output jsonl`, and interoperability both ways
//! with a standard client, kafka-python (`tests/e2e/kafka_tool.py`, in the venv `scripts/e2e-venv.sh`
//! makes).
//!
//! They run when `RETAILFLOW_E2E_BROKERS` names the broker and `RETAILFLOW_E2E_PYTHON` a python that
//! has kafka-python (`.ci/run` and `scripts/e2e.sh` set both). Without them they are skipped, except
//! in CI (`CI=true`), where a missing variable fails them. Every test writes to topics of its own; the
//! broker-restart test stops and restarts a broker of its own (`scripts/broker.sh` on another port
//! and state dir, so it needs the Java that script needs).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::support;

/// The longest any one command of these tests may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The broker and the kafka-python interpreter the tests talk to.
struct E2e {
    brokers: String,
    python: PathBuf,
}

fn required_env(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "CI=true and {name} is not set: the end-to-end tests need the broker started by \
             scripts/broker.sh and the venv of scripts/e2e-venv.sh (see .ci/run)"
        ),
        _ => {
            eprintln!("skipping the end-to-end test: {name} is not set (see scripts/e2e.sh)");
            None
        }
    }
}

fn e2e() -> Option<E2e> {
    let brokers = required_env("RETAILFLOW_E2E_BROKERS")?;
    let python = PathBuf::from(required_env("RETAILFLOW_E2E_PYTHON")?);
    assert!(
        python.is_file(),
        "RETAILFLOW_E2E_PYTHON={} is not a file",
        python.display()
    );
    Some(E2e { brokers, python })
}

/// A topic name no other test run uses.
fn unique_topic(case: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("e2e-{case}-{}-{nanos}", std::process::id())
}

/// Runs a command to its end (killing it after [`COMMAND_TIMEOUT`]) and returns stdout; fails the
/// test, showing stderr, when it does not succeed.
fn run_ok(command: &mut Command, what: &str) -> String {
    let output = wait_with_timeout(
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        what,
    );
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn wait_with_timeout(child: Child, what: &str) -> std::process::Output {
    let pid = child.id();
    let (done_tx, done_rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let output = child.wait_with_output();
        let _ = done_tx.send(());
        output
    });
    if done_rx.recv_timeout(COMMAND_TIMEOUT).is_err() {
        signal(pid, "KILL");
        let output = waiter.join().unwrap().unwrap();
        panic!(
            "{what} did not finish within {COMMAND_TIMEOUT:?}:\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    waiter.join().unwrap().unwrap()
}

/// Sends a signal to a process the test started.
fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} {pid} failed");
}

impl E2e {
    /// Runs `tests/e2e/kafka_tool.py ARGS` and returns the JSON object it prints.
    fn kafka_tool(&self, args: &[&str]) -> Value {
        let script = support::workspace_root().join("tests/e2e/kafka_tool.py");
        let stdout = run_ok(
            Command::new(&self.python)
                .arg(script)
                .args(["--brokers", &self.brokers])
                .args(args),
            &format!("kafka_tool.py {}", args.join(" ")),
        );
        let last_line = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(last_line).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    }

    fn create_topic(&self, topic: &str, partitions: u32) {
        let created = self.kafka_tool(&[
            "create-topic",
            "--topic",
            topic,
            "--partitions",
            &partitions.to_string(),
        ]);
        assert_eq!(
            created["partitions"].as_array().unwrap().len(),
            partitions as usize
        );
    }

    /// `retailflow produce` with these arguments, to the broker; returns stderr (the progress).
    fn retailflow_produce(&self, topic: &str, args: &[impl AsRef<std::ffi::OsStr>]) -> String {
        let output = support::retailflow()
            .args(["produce", "--brokers", &self.brokers, "--topic", topic])
            .args(args)
            .timeout(COMMAND_TIMEOUT)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            output.status.success(),
            "retailflow produce failed ({}): {stderr}",
            output.status
        );
        stderr
    }
}

/// The deterministic receipts flags shared by the producer runs of a test.
fn receipt_flags(seed: u64, count: usize) -> Vec<String> {
    [
        "--mode",
        "receipts",
        "--seed",
        &seed.to_string(),
        "--start-time",
        "2026-03-01T09:00:00Z",
        "--events-per-second",
        "200",
        "--count",
        &count.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The receipts `retailflow produce` writes for these flags, from its `--out FILE.jsonl` mode.
fn expected_receipts(dir: &Path, flags: &[String]) -> Vec<Value> {
    let path = dir.join("expected.jsonl");
    support::retailflow()
        .arg("produce")
        .args(flags)
        .arg("--out")
        .arg(&path)
        .timeout(COMMAND_TIMEOUT)
        .assert()
        .success();
    read_jsonl(&path)
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn by_receipt_id(receipts: &[Value]) -> BTreeMap<String, Value> {
    receipts
        .iter()
        .map(|r| (r["receipt_id"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

#[test]
fn e2e_receipts_go_from_produce_through_the_broker_to_stream_jsonl() {
    let Some(e2e) = e2e() else { return };
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_topic("receipts");
    e2e.create_topic(&topic, 3);
    let count = 400;
    let flags = receipt_flags(11, count);
    let expected = expected_receipts(dir.path(), &flags);
    assert_eq!(expected.len(), count);

    e2e.retailflow_produce(&topic, &flags);

    let out = dir.path().join("out.jsonl");
    let dlq = dir.path().join("dlq.jsonl");
    support::retailflow()
        .args([
            "stream",
            "--source",
            "kafka",
            "--brokers",
            &e2e.brokers,
            "--topic",
            &topic,
        ])
        .args([
            "--format",
            "receipts",
            "--from",
            "earliest",
            "--until-end",
            "--trigger",
            "200ms",
        ])
        .arg(format!("--output=jsonl:{}", out.display()))
        .arg(format!("--dlq=file:{}", dlq.display()))
        .timeout(COMMAND_TIMEOUT)
        .assert()
        .success();

    let streamed = read_jsonl(&out);
    assert_eq!(
        streamed.len(),
        count,
        "every produced receipt is streamed once"
    );
    let dead = if dlq.exists() {
        read_jsonl(&dlq)
    } else {
        Vec::new()
    };
    assert!(dead.is_empty(), "no dead letters: {dead:?}");

    let expected = by_receipt_id(&expected);
    let streamed = by_receipt_id(&streamed);
    assert_eq!(
        streamed.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (id, receipt) in &streamed {
        let want = &expected[id];
        for key in ["store_id", "cashier_id", "ts", "items"] {
            assert_eq!(receipt[key], want[key], "{id}: {key}");
        }
        let total: f64 = want["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["price"].as_f64().unwrap() * item["quantity"].as_f64().unwrap())
            .sum();
        assert!(
            (receipt["total"].as_f64().unwrap() - total).abs() < 0.005,
            "{id}: total"
        );
    }
}

#[test]
fn e2e_kafka_python_values_are_printed_by_stream() {
    let Some(e2e) = e2e() else { return };
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_topic("values");
    e2e.create_topic(&topic, 1);

    // The stream runs first, as in the classic set-up, and prints the values as they come.
    let stderr_path = dir.path().join("stream.stderr");
    let mut stream = Command::new(assert_cmd::cargo::cargo_bin("retailflow"))
        .args([
            "stream",
            "--brokers",
            &e2e.brokers,
            "--topic",
            &topic,
            "--source",
            "kafka",
        ])
        .args("--format value --from earliest --trigger 500ms".split(' '))
        .arg(format!(
            "--dlq=file:{}",
            dir.path().join("dlq.jsonl").display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let (line_tx, line_rx) = mpsc::channel::<String>();
    let stdout = stream.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });

    // The classic kafka-python producer: {"value": n}, one message per second.
    let produced = e2e.kafka_tool(&[
        "produce-values",
        "--topic",
        &topic,
        "--count",
        "4",
        "--interval",
        "1",
        "--seed",
        "5",
    ]);
    let produced: Vec<u64> = produced["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(produced.len(), 4);

    let mut lines = Vec::new();
    let mut printed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while printed.len() < produced.len() && Instant::now() < deadline {
        let Ok(line) = line_rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        if let Some(value) = value_cell(&line) {
            printed.push(value);
        }
        lines.push(line);
    }
    // Ctrl-C / SIGTERM: the current batch is finished, offsets committed, and it exits 0.
    signal(stream.id(), "TERM");
    let status = wait_child(&mut stream, Duration::from_secs(30));
    while let Ok(line) = line_rx.recv_timeout(Duration::from_millis(500)) {
        if let Some(value) = value_cell(&line) {
            printed.push(value);
        }
        lines.push(line);
    }
    reader.join().unwrap();
    let output = format!(
        "{}\n--- stderr ---\n{}",
        lines.join("\n"),
        std::fs::read_to_string(&stderr_path).unwrap_or_default()
    );
    assert!(
        status.success(),
        "retailflow stream exited with {status} on SIGTERM:\n{output}"
    );

    let mut want = produced.clone();
    want.sort_unstable();
    printed.sort_unstable();
    assert_eq!(printed, want, "every value printed once:\n{output}");
    let banner = lines.iter().position(|l| l.starts_with("Batch: "));
    let banner = banner.unwrap_or_else(|| panic!("a `Batch: N` banner:\n{output}"));
    assert!(
        banner > 0 && lines[banner - 1].starts_with("-----"),
        "dashes above the banner:\n{output}"
    );
    assert!(
        lines[banner + 1].starts_with("-----"),
        "dashes below the banner:\n{output}"
    );
    assert!(
        lines.iter().any(|l| l.trim() == "|value|"),
        "a `value` column:\n{output}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("+-") && l.ends_with("-+")),
        "bordered table:\n{output}"
    );
}

/// The number in a `|   42|` table row; `None` for any other line.
fn value_cell(line: &str) -> Option<u64> {
    let cell = line.strip_prefix('|')?.strip_suffix('|')?;
    cell.trim().parse().ok()
}

fn wait_child(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            signal(child.id(), "KILL");
            panic!("the process did not exit within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn e2e_receipts_from_produce_are_read_by_kafka_python() {
    let Some(e2e) = e2e() else { return };
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_topic("interop");
    e2e.create_topic(&topic, 3);
    let count = 300;
    let flags = receipt_flags(23, count);
    let expected = expected_receipts(dir.path(), &flags);

    e2e.retailflow_produce(&topic, &flags);

    let summary = e2e.kafka_tool(&[
        "consume-receipts",
        "--topic",
        &topic,
        "--expect",
        &count.to_string(),
    ]);
    assert_eq!(summary["count"], count, "{summary}");
    assert_eq!(summary["valid"], count, "{summary}");
    let read: BTreeSet<&str> = summary["receipt_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let want: BTreeSet<&str> = expected
        .iter()
        .map(|r| r["receipt_id"].as_str().unwrap())
        .collect();
    assert_eq!(read, want);
    // Keyed by store: the receipts spread over the partitions.
    let partitions = summary["partitions"].as_object().unwrap();
    assert!(
        partitions.len() > 1,
        "receipts keyed by store use several partitions: {partitions:?}"
    );
    let total: u64 = partitions.values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(total, count as u64);

    // The broker's end offsets (what a bounded `--until-end` run reads up to) count every record,
    // however the producer batched them.
    let ends = e2e.kafka_tool(&["end-offsets", "--topic", &topic]);
    let ends = ends["end_offsets"].as_object().unwrap();
    let end_total: u64 = ends.values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(end_total, count as u64, "end offsets {ends:?}");
    for (partition, read) in partitions {
        assert_eq!(ends[partition], *read, "partition {partition}");
    }
}

/// The windowed analytics of one `stream --until-end` run over `topic` into JSONL files, as a
/// command.
fn analytics_from_kafka(
    brokers: &str,
    topic: &str,
    group: &str,
    out: &Path,
    dlq: &Path,
    checkpoint: Option<&Path>,
) -> Command {
    support::kafka_analytics(
        brokers,
        topic,
        group,
        &format!("jsonl:{}", out.display()),
        &format!("file:{}", dlq.display()),
        checkpoint,
    )
}

#[test]
fn e2e_kafka_stream_killed_at_random_moments_writes_exactly_the_uninterrupted_results() {
    let Some(e2e) = e2e() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let topic = unique_topic("checkpoint");
    e2e.create_topic(&topic, 3);
    let flags = receipt_flags(23, 8_000);
    e2e.retailflow_produce(&topic, &flags);

    let reference = wait_with_timeout(
        analytics_from_kafka(
            &e2e.brokers,
            &topic,
            &format!("{topic}-reference"),
            &path("full.jsonl"),
            &path("full.dlq"),
            None,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap(),
        "the uninterrupted run",
    );
    assert!(reference.status.success());
    let expected = support::sorted_lines(&path("full.jsonl"));
    // 8,000 receipts at 200 per second: 40 s of event time, 4 windows.
    let summaries = expected
        .iter()
        .filter(|line| line.starts_with(r#"{"kind":"window_summary""#))
        .count();
    assert_eq!(summaries, 4);

    let checkpoint = path("checkpoint");
    let runs = crate::checkpoint::run_until_done_killing(
        || {
            analytics_from_kafka(
                &e2e.brokers,
                &topic,
                &format!("{topic}-killed"),
                &path("killed.jsonl"),
                &path("killed.dlq"),
                Some(&checkpoint),
            )
        },
        &checkpoint,
        77,
        10,
    );
    let killed = support::sorted_lines(&path("killed.jsonl"));
    let missing = expected.iter().filter(|l| !killed.contains(l)).count();
    let extra = killed.iter().filter(|l| !expected.contains(l)).count();
    assert!(
        killed == expected,
        "{} kills: {} result lines against {} uninterrupted, {missing} missing, {extra} extra",
        runs.kills,
        killed.len(),
        expected.len()
    );
    assert!(runs.kills >= 10, "only {} kills", runs.kills);
    eprintln!(
        "{} runs killed with SIGKILL before one finished",
        runs.kills
    );
    assert_eq!(std::fs::read_to_string(path("killed.dlq")).unwrap(), "");
}

/// A broker of one test's own: Apache Kafka started by `scripts/broker.sh` with a state dir and a
/// port of its own, so that stopping and restarting it disturbs no other test. Stopped when dropped.
pub(crate) struct OwnBroker {
    state: tempfile::TempDir,
    port: u16,
}

impl OwnBroker {
    /// Starts it, with empty topics (the project's four, `receipts` with 3 partitions).
    pub(crate) fn start() -> Self {
        let state = tempfile::tempdir().unwrap();
        let port = support::free_port();
        let broker = Self { state, port };
        broker.script("start");
        broker
    }

    pub(crate) fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the broker process; its data stays.
    pub(crate) fn stop(&self) {
        self.script("stop");
    }

    /// Starts the broker process again on its data: topics, records and committed offsets survive.
    pub(crate) fn restart(&self) {
        self.script("restart");
    }

    fn command(&self, action: &str) -> Command {
        let mut command = Command::new("bash");
        command
            .arg(support::workspace_root().join("scripts/broker.sh"))
            .arg(action)
            .env("BROKER", "kafka")
            .env("BROKER_PORT", self.port.to_string())
            .env("RETAILFLOW_STATE_DIR", self.state.path())
            .env_remove("KEEP_DATA");
        command
    }

    fn script(&self, action: &str) {
        run_ok(
            &mut self.command(action),
            &format!("scripts/broker.sh {action} (port {})", self.port),
        );
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        let _ = self
            .command("stop")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Waits up to a minute for `condition`; fails the test with `context()` when it does not come.
fn wait_until(what: &str, condition: impl Fn() -> bool, context: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}:\n{}",
            context()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A broker of a test's own whose `receipts` topic holds `count` receipts, with `count` more to send
/// once the broker has been stopped and started again, and a stream that reads through the outage.
struct Outage {
    broker: OwnBroker,
    own: E2e,
    dir: tempfile::TempDir,
    count: usize,
    after: Vec<String>,
    /// Every receipt of both halves, as `produce --out` writes them.
    expected: Vec<Value>,
}

impl Outage {
    /// The broker, and the first `count` receipts (seed `seed`) on it; the second half uses seed
    /// `seed + 1`.
    fn start(e2e: &E2e, seed: u64, count: usize) -> Self {
        let broker = OwnBroker::start();
        let own = E2e {
            brokers: broker.brokers(),
            python: e2e.python.clone(),
        };
        let dir = tempfile::tempdir().unwrap();
        let before = receipt_flags(seed, count);
        let after = receipt_flags(seed + 1, count);
        let mut expected = expected_receipts(dir.path(), &before);
        expected.extend(expected_receipts(dir.path(), &after));
        let outage = Outage {
            broker,
            own,
            dir,
            count,
            after,
            expected,
        };
        outage.produce(&before);
        outage
    }

    fn produce(&self, flags: &[String]) {
        self.own.retailflow_produce("receipts", flags);
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `retailflow stream` on `receipts` from its earliest offsets, with `args`, until `done()`
    /// counts the first half, stops the broker, waits for the stream to report the outage, starts
    /// the broker again, sends the second half, waits until `done()` counts both, and stops the
    /// stream with SIGTERM. Checks that it ended well and read again after the outage, and returns
    /// its log.
    fn stream_through(&self, args: &[String], done: impl Fn() -> usize) -> String {
        let stderr_path = self.path("stream.stderr");
        let mut stream = Command::new(assert_cmd::cargo::cargo_bin("retailflow"))
            .args([
                "stream",
                "--source",
                "kafka",
                "--brokers",
                &self.own.brokers,
            ])
            .args(["--topic", "receipts", "--format", "receipts"])
            .args(["--from", "earliest", "--trigger", "200ms"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let stderr = || std::fs::read_to_string(&stderr_path).unwrap_or_default();

        wait_until(
            "the first half of the receipts",
            || done() == self.count,
            stderr,
        );
        self.broker.stop();
        wait_until(
            "the outage to be reported",
            || stderr().contains("kafka: cannot read receipts"),
            stderr,
        );
        // The same broker on the same data: topics, records, transactions and the group's committed
        // offsets are still there.
        self.broker.restart();
        self.produce(&self.after);
        wait_until(
            "the receipts sent after the restart",
            || done() == 2 * self.count,
            stderr,
        );
        signal(stream.id(), "TERM");
        let status = wait_child(&mut stream, Duration::from_secs(30));
        let log = stderr();
        assert!(status.success(), "{status}:\n{log}");
        assert!(log.contains("kafka: reading receipts again"), "{log}");
        log
    }
}

#[test]
fn e2e_a_stream_survives_a_broker_restart_and_reads_on_where_it_was() {
    let Some(e2e) = e2e() else { return };
    let outage = Outage::start(&e2e, 31, 50);
    let out = outage.path("out.jsonl");
    let args = [
        format!("--output=jsonl:{}", out.display()),
        format!("--dlq=file:{}", outage.path("dlq.jsonl").display()),
    ];
    let written = || {
        std::fs::read_to_string(&out)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    let log = outage.stream_through(&args, written);
    assert!(log.contains("retrying in"), "{log}");

    let streamed = read_jsonl(&out);
    assert_eq!(streamed.len(), 100, "each receipt once:\n{log}");
    let streamed = by_receipt_id(&streamed);
    let expected = by_receipt_id(&outage.expected);
    assert_eq!(expected.len(), 100);
    assert_eq!(
        streamed.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
}

/// The receipt ids of `payloads` (records written as JSON), each with how often it occurs.
fn receipt_id_counts(payloads: &[String]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for payload in payloads {
        let record: Value = serde_json::from_str(payload).unwrap();
        let id = record["receipt_id"].as_str().unwrap().to_owned();
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

#[test]
fn e2e_a_checkpointed_kafka_output_survives_a_broker_restart_exactly_once() {
    let Some(e2e) = e2e() else { return };
    let outage = Outage::start(&e2e, 41, 60);
    let checkpoint = outage.path("checkpoint");
    let copy = outage.path("copy.jsonl");
    let args = [
        "--group=eos-restart".to_owned(),
        "--output=kafka:analytics".to_owned(),
        "--dlq=topic:receipts-dlq".to_owned(),
        format!("--output=jsonl:{}", copy.display()),
        format!("--checkpoint={}", checkpoint.display()),
    ];
    let checkpointed = || {
        let offsets: i64 = support::checkpoint_offsets(&checkpoint).values().sum();
        usize::try_from(offsets).unwrap_or(0)
    };
    let log = outage.stream_through(&args, checkpointed);

    // Each receipt exactly once for a read-committed reader.
    let brokers = &outage.own.brokers;
    let written = receipt_id_counts(&support::read_committed(brokers, "analytics"));
    let want: BTreeMap<String, usize> = by_receipt_id(&outage.expected)
        .into_keys()
        .map(|id| (id, 1))
        .collect();
    assert_eq!(want.len(), 120);
    assert_eq!(written, want, "{log}");
    // The second output holds the same records, once each.
    let copied: Vec<String> = std::fs::read_to_string(&copy)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(receipt_id_counts(&copied), want, "{log}");
    assert_eq!(
        support::group_offsets(brokers, "eos-restart", "receipts", 3),
        support::checkpoint_offsets(&checkpoint),
        "{log}"
    );
}

/// One receipts topic of 6 partitions read by stage-one workers (`stream --stage partial`) and
/// one merge, against one process reading the same topic.
struct SplitJob<'a> {
    e2e: &'a E2e,
    dir: &'a Path,
    topic: String,
    partials: String,
}

impl<'a> SplitJob<'a> {
    /// The topic with `count` deterministic receipts, and an empty partials topic.
    fn new(e2e: &'a E2e, dir: &'a Path, case: &str, count: usize) -> Self {
        let topic = unique_topic(case);
        let partials = format!("{topic}-partials");
        e2e.create_topic(&topic, 6);
        e2e.create_topic(&partials, 3);
        let flags = receipt_flags(31, count);
        e2e.retailflow_produce(&topic, &flags);
        SplitJob {
            e2e,
            dir,
            topic,
            partials,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `retailflow stream` reading the topic to its end with the analytics, in group `TOPIC-GROUP`.
    fn reading(&self, group: &str) -> Command {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("retailflow"));
        command
            .args([
                "stream",
                "--brokers",
                &self.e2e.brokers,
                "--topic",
                &self.topic,
            ])
            .args(["--group", &format!("{}-{group}", self.topic)])
            .args(["--from", "earliest", "--until-end", "--analytics"])
            .args(["--idle-timeout", "1h"]);
        command
    }

    /// The results of one process reading the topic, in order.
    fn one_process(&self) -> Vec<String> {
        let out = self.path("one.jsonl");
        run_ok(
            self.reading("one")
                .arg("--output")
                .arg(format!("jsonl:{}", out.display()))
                .arg("--dlq")
                .arg(format!("file:{}", self.path("one.dlq").display())),
            "the one-process run",
        );
        std::fs::read_to_string(out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Starts stage-one worker `name`, its status lines in `NAME.err`.
    fn worker(&self, name: &str) -> Child {
        let err = std::fs::File::create(self.path(&format!("{name}.err"))).unwrap();
        self.reading("split")
            .args(["--stage", "partial", "--partials", &self.partials])
            .arg("--state-dir")
            .arg(self.path("states"))
            .args(["--worker-id", name])
            .args(["--max-records-per-batch", "100", "--trigger", "100ms"])
            .arg("--dlq")
            .arg(format!(
                "file:{}",
                self.path(&format!("{name}.dlq")).display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap()
    }

    /// Transactions worker `name` has committed so far (by its status lines).
    fn batches_of(&self, name: &str) -> usize {
        std::fs::read_to_string(self.path(&format!("{name}.err")))
            .unwrap_or_default()
            .lines()
            .filter(|line| line.starts_with("partial batch "))
            .count()
    }

    /// Waits until the workers named have committed `batches` transactions between them.
    fn wait_for_batches(&self, names: &[&str], batches: usize) {
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        while names.iter().map(|n| self.batches_of(n)).sum::<usize>() < batches {
            assert!(Instant::now() < deadline, "the workers made no progress");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the merge, which ends once every partition has finished.
    fn merge(&self) -> Child {
        Command::new(assert_cmd::cargo::cargo_bin("retailflow"))
            .args(["stream", "--brokers", &self.e2e.brokers, "--stage", "merge"])
            .args(["--partials", &self.partials, "--until-end", "--analytics"])
            .args(["--idle-timeout", "1h", "--output"])
            .arg(format!("jsonl:{}", self.path("merged.jsonl").display()))
            .arg("--dlq")
            .arg(format!("file:{}", self.path("merge.dlq").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Waits for the merge and the workers, and returns the merged results.
    fn results(&self, merge: Child, workers: Vec<(String, Child)>) -> Vec<String> {
        let merged = wait_with_timeout(merge, "the merge");
        assert!(
            merged.status.success(),
            "the merge failed: {}",
            String::from_utf8_lossy(&merged.stderr)
        );
        for (name, worker) in workers {
            let output = wait_with_timeout(worker, &format!("worker {name}"));
            let status = std::fs::read_to_string(self.path(&format!("{name}.err"))).unwrap();
            assert!(output.status.success(), "worker {name} failed:\n{status}");
            eprintln!("worker {name}: {} transactions", self.batches_of(&name));
        }
        for entry in std::fs::read_dir(self.dir).unwrap().flatten() {
            if entry.path().extension().is_some_and(|ext| ext == "dlq") {
                let letters = std::fs::read_to_string(entry.path()).unwrap();
                assert_eq!(letters, "", "{}", entry.path().display());
            }
        }
        std::fs::read_to_string(self.path("merged.jsonl"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

fn started(job: &SplitJob<'_>, names: &[&str]) -> Vec<(String, Child)> {
    names
        .iter()
        .map(|name| (name.to_string(), job.worker(name)))
        .collect()
}

/// The results of the split job are checked line for line, in order, and must hold every kind.
fn assert_same_results(split: &[String], one: &[String]) {
    for kind in [
        "window_summary",
        "bought_together",
        "cashier_alert",
        "big_receipt",
    ] {
        assert!(
            one.iter()
                .any(|line| line.contains(&format!(r#""kind":"{kind}""#))),
            "no {kind} results"
        );
    }
    assert_eq!(split.len(), one.len());
    assert!(split == one, "the split job's results differ");
}

#[test]
fn e2e_three_partial_workers_and_a_merge_give_the_results_of_one_process() {
    let Some(e2e) = e2e() else { return };
    let dir = tempfile::tempdir().unwrap();
    let job = SplitJob::new(&e2e, dir.path(), "split", 30_000);
    let one = job.one_process();
    let workers = started(&job, &["a", "b", "c"]);
    let merge = job.merge();
    let split = job.results(merge, workers);
    assert_same_results(&split, &one);
    let busy = ["a", "b", "c"]
        .iter()
        .filter(|name| job.batches_of(name) > 0)
        .count();
    assert!(busy >= 2, "only {busy} worker did any work");
}

#[test]
fn e2e_a_partial_worker_killed_mid_run_and_replaced_changes_no_result() {
    let Some(e2e) = e2e() else { return };
    let dir = tempfile::tempdir().unwrap();
    let job = SplitJob::new(&e2e, dir.path(), "split-kill", 30_000);
    let one = job.one_process();
    let mut workers = started(&job, &["a", "b", "c"]);
    let merge = job.merge();
    job.wait_for_batches(&["b"], 5);
    let (_, mut killed) = workers.remove(1);
    signal(killed.id(), "KILL");
    let _ = killed.wait();
    // The replacement takes the killed worker's name, fencing its open transaction at once.
    workers.push(("b-again".to_string(), {
        let err = job.path("b-again.err");
        let child = job.worker("b");
        std::fs::copy(job.path("b.err"), err).unwrap();
        child
    }));
    let split = job.results(merge, workers);
    assert_same_results(&split, &one);
}

#[test]
fn e2e_a_fourth_partial_worker_joining_mid_run_changes_no_result() {
    let Some(e2e) = e2e() else { return };
    let dir = tempfile::tempdir().unwrap();
    let job = SplitJob::new(&e2e, dir.path(), "split-join", 30_000);
    let one = job.one_process();
    let mut workers = started(&job, &["a", "b", "c"]);
    let merge = job.merge();
    job.wait_for_batches(&["a", "b", "c"], 10);
    workers.push(("d".to_string(), job.worker("d")));
    let split = job.results(merge, workers);
    assert_same_results(&split, &one);
}
