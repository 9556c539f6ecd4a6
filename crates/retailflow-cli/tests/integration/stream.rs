//! Integration tests of `retailflow produce`, `retailflow stream` and `retailflow demo`: golden
//! console output from small hand-made JSONL inputs (`UPDATE_GOLDEN=1` rewrites the golden files),
//! deterministic `produce --out`, produce → stream through an in-process Kafka mock cluster, clean
//! shutdown on SIGTERM, delivery failures, and every bad-argument case.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use retailflow_stream::kafka::MockKafka;

use crate::support;

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `retailflow stream` on a golden input file with its dead letters in `dlq`.
fn stream_file(input: &str, format: &str, dlq: &Path, extra: &[&str]) -> std::process::Output {
    let input = support::golden_path(input);
    let output = support::retailflow()
        .args(["stream", "--format", format, "--source"])
        .arg(format!("file:{}", input.display()))
        .arg("--dlq")
        .arg(format!("file:{}", dlq.display()))
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    output
}

#[test]
fn the_new_analyses_console_tables_and_alert_lines_match_the_golden_file() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = dir.path().join("dead.jsonl");
    let output = stream_file(
        "stream_alerts_input.jsonl",
        "receipts",
        &dlq,
        &[
            "--allowed-lateness",
            "5s",
            "--anomaly-warmup",
            "3",
            "--max-records-per-batch",
            "8",
        ],
    );
    support::assert_golden("stream_alerts_console.txt", &stdout_of(&output));
    let stderr = stderr_of(&output);
    let alerts: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("ALERT"))
        .collect();
    assert_eq!(
        alerts,
        [
            "ALERT store S1 spike in window 2025-01-01T00:00:50.000Z .. 2025-01-01T00:01:00.000Z: revenue 1000.00 where 100.00 was expected (z 180.0)",
            "ALERT cashier S2-C1 at store S2: 3 big receipts from 2025-01-01T00:01:02.000Z to 2025-01-01T00:01:06.000Z, 1800.00 in all (R026, R025, R027)",
            "ALERT store S2 spike in window 2025-01-01T00:01:00.000Z .. 2025-01-01T00:01:10.000Z: revenue 1864.00 where 64.00 was expected (z 562.5)",
        ]
    );
    assert!(
        stderr.contains("2 store anomalies, 1 cashier alerts (0 big receipts behind the watermark left out), 0 large baskets without pairs"),
        "{stderr}"
    );
}

#[test]
fn receipts_console_output_matches_the_golden_file() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = dir.path().join("dead.jsonl");
    let output = stream_file(
        "stream_receipts_input.jsonl",
        "receipts",
        &dlq,
        &["--max-records-per-batch", "5"],
    );
    support::assert_golden("stream_receipts_console.txt", &stdout_of(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains(
            "Batch 0: 5 messages, 3 processed, 2 dead-lettered (malformed_json 1, schema 1)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("Batch 1: 5 messages, 0 processed, 5 dead-lettered (malformed_json 1, schema 1, invalid_value 3)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Batch 2: 3 messages, 2 processed, 1 dead-lettered (malformed_json 1)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("done (end of input): 3 batches, 13 messages, 5 processed, 8 dead-lettered (malformed_json 3, schema 2, invalid_value 3)"),
        "{stderr}"
    );
}

#[test]
fn dead_letter_records_match_the_golden_file() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = dir.path().join("dead.jsonl");
    stream_file(
        "stream_receipts_input.jsonl",
        "receipts",
        &dlq,
        &["--output", "jsonl:-"],
    );
    let text = std::fs::read_to_string(&dlq).unwrap();
    // The `source` names the input path, which differs between checkouts.
    let input = support::golden_path("stream_receipts_input.jsonl");
    let text = text.replace(&input.display().to_string(), "INPUT");
    support::assert_golden("stream_receipts_dlq.jsonl", &text);
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "reason",
            "detail",
            "source",
            "partition",
            "offset",
            "payload",
            "payload_encoding",
        ] {
            assert!(record.get(key).is_some(), "{key} missing in {line}");
        }
    }
}

#[test]
fn values_console_output_matches_the_golden_file() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = dir.path().join("dead.jsonl");
    let output = stream_file("stream_values_input.jsonl", "value", &dlq, &["--show", "3"]);
    support::assert_golden("stream_values_console.txt", &stdout_of(&output));
    assert_eq!(std::fs::read_to_string(&dlq).unwrap().lines().count(), 2);
}

#[test]
fn jsonl_output_has_one_object_per_processed_record() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = dir.path().join("dead.jsonl");
    let output = stream_file(
        "stream_receipts_input.jsonl",
        "receipts",
        &dlq,
        &["--output", "-"],
    );
    let lines: Vec<serde_json::Value> = stdout_of(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["receipt_id"], "R0001");
    assert_eq!(lines[0]["ts"], "2025-01-01T00:00:00.250Z");
    assert_eq!(lines[0]["total"], 18.0);
    assert_eq!(lines[1]["total"], 544.0);
    assert_eq!(
        lines[4]["ts"], "2025-01-01T00:00:00.000Z",
        "offsets are converted to UTC"
    );
}

#[test]
fn the_default_dead_letter_file_sits_beside_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("values.jsonl");
    std::fs::copy(support::golden_path("stream_values_input.jsonl"), &input).unwrap();
    let output = support::retailflow()
        .args(["stream", "--format", "value", "--output", "-", "--source"])
        .arg(format!("file:{}", input.display()))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output).lines().count(), 5);
    let dead = std::fs::read_to_string(dir.path().join("values.dlq.jsonl")).unwrap();
    assert_eq!(dead.lines().count(), 2);
    assert!(dead.contains(r#""reason":"schema""#) && dead.contains(r#""reason":"malformed_json""#));
}

#[test]
fn produce_out_is_deterministic_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, seed: &str| {
        let path = dir.path().join(name);
        let output = support::retailflow()
            .args([
                "produce", "--mode", "receipts", "--count", "2000", "--seed", seed,
            ])
            .args([
                "--start-time",
                "2025-03-01T09:00:00Z",
                "--events-per-second",
                "50",
            ])
            .args([
                "--late-fraction",
                "0.05",
                "--late-by",
                "30s",
                "--malformed-fraction",
                "0.02",
            ])
            .arg("--out")
            .arg(&path)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        assert!(
            stderr_of(&output).contains("produce: done: 2,000 sent"),
            "{}",
            stderr_of(&output)
        );
        std::fs::read(&path).unwrap()
    };
    let first = run("a.jsonl", "7");
    assert_eq!(first, run("b.jsonl", "7"));
    assert_ne!(first, run("c.jsonl", "8"));
    assert_eq!(first.iter().filter(|&&b| b == b'\n').count(), 2000);
    let head = String::from_utf8_lossy(&first[..first.iter().position(|&b| b == b'\n').unwrap()])
        .into_owned();
    assert!(
        head.contains(r#""ts":"2025-03-01T09:00:00.000Z""#),
        "{head}"
    );

    // Streaming the file back: every line is processed or a dead letter.
    let dlq = dir.path().join("a.dlq.jsonl");
    let output = support::retailflow()
        .args(["stream", "--output", "jsonl:-", "--source"])
        .arg(format!("file:{}", dir.path().join("a.jsonl").display()))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let processed = stdout_of(&output).lines().count();
    let dead = std::fs::read_to_string(&dlq).unwrap().lines().count();
    assert_eq!(processed + dead, 2000);
    assert!(dead > 0);
}

#[test]
fn produce_out_dash_is_standard_output_and_a_closed_pipe_ends_it_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "produce",
        "--mode",
        "receipts",
        "--seed",
        "3",
        "--start-time",
        "2025-03-01T09:00:00Z",
    ];
    let file = dir.path().join("r.jsonl");
    let to_file = support::retailflow()
        .args(flags)
        .args(["--count", "300", "--out"])
        .arg(&file)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(to_file.status.success(), "{}", stderr_of(&to_file));
    let to_stdout = support::retailflow()
        .current_dir(dir.path())
        .args(flags)
        .args(["--count", "300", "--out", "-"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(to_stdout.status.success(), "{}", stderr_of(&to_stdout));
    assert_eq!(to_stdout.stdout, std::fs::read(&file).unwrap());
    assert!(
        stderr_of(&to_stdout).contains("sent in"),
        "{}",
        stderr_of(&to_stdout)
    );
    assert!(!dir.path().join("-").exists());

    // A reader that takes three lines and goes (`| head -3`): the run stops, and is no error.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_retailflow"))
        .args(flags)
        .args(["--count", "100000000", "--out", "-"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    for _ in 0..3 {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        assert!(line.starts_with('{'), "{line}");
    }
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("to standard output (closed by its reader; "),
        "{stderr}"
    );
    // What the reader did not take is neither sent nor delivered.
    assert!(stderr.contains("it did not take whole"), "{stderr}");
    assert!(stderr.contains(", 0 delivery errors"), "{stderr}");
    assert!(!stderr.contains("error:"), "{stderr}");
}

#[test]
fn standard_input_as_the_source_gives_the_file_s_results() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r.jsonl");
    support::produce_receipts_to(
        &input,
        &[
            "--seed",
            "5",
            "--count",
            "3000",
            "--start-time",
            "2025-03-01T09:00:00Z",
            "--malformed-fraction",
            "0.03",
        ],
    );
    let run = |source: &str, stdin: Vec<u8>| {
        let output = support::retailflow()
            .current_dir(dir.path())
            .args([
                "stream",
                "--analytics",
                "--output",
                "jsonl:-",
                "--source",
                source,
            ])
            .write_stdin(stdin)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        (stdout_of(&output), stderr_of(&output))
    };
    let (from_file, _) = run("file:r.jsonl", Vec::new());
    let (from_stdin, status) = run("file:-", std::fs::read(&input).unwrap());
    assert!(!from_file.is_empty());
    assert_eq!(from_stdin, from_file);
    assert!(
        status.contains("reading receipts from standard input")
            && status.contains("dead letters to file stdin.dlq.jsonl"),
        "{status}"
    );
    // The same dead letters, each naming its source.
    let without_source = |name: &str, source: &str| -> Vec<serde_json::Value> {
        support::json_lines(&dir.path().join(name))
            .into_iter()
            .map(|mut letter| {
                assert_eq!(letter["source"], source, "{letter}");
                letter["source"] = serde_json::Value::Null;
                letter
            })
            .collect()
    };
    let from_stdin = without_source("stdin.dlq.jsonl", "standard input");
    assert!(!from_stdin.is_empty());
    assert_eq!(from_stdin, without_source("r.dlq.jsonl", "file:r.jsonl"));

    // Standard input cannot be read again from a position: no checkpoint.
    let output = support::retailflow()
        .current_dir(dir.path())
        .args(["stream", "--source", "file:-", "--checkpoint", "ck"])
        .write_stdin("{}\n")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("standard input cannot be read again"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn produce_values_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("values.jsonl");
    let output = support::retailflow()
        .args([
            "produce", "--mode", "value", "--count", "50", "--seed", "1", "--out",
        ])
        .arg(&path)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 50);
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            (1..=100).contains(&value["value"].as_i64().unwrap()),
            "{line}"
        );
    }
}

/// A `retailflow` child process whose stdout and stderr lines arrive on channels.
struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
    seen_stderr: Vec<String>,
    /// How many lines of `seen_stderr` a `wait_stderr` has looked at.
    stderr_checked: usize,
}

impl Running {
    fn start(args: &[String]) -> Self {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("retailflow"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let forward = |pipe: Box<dyn std::io::Read + Send>| {
            let (sender, receiver) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
            receiver
        };
        let stdout = forward(Box::new(child.stdout.take().unwrap()));
        let stderr = forward(Box::new(child.stderr.take().unwrap()));
        Self {
            child,
            stdout,
            stderr,
            seen_stderr: Vec::new(),
            stderr_checked: 0,
        }
    }

    /// Waits (bounded) for a stdout line containing `text`.
    fn wait_stdout(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            self.seen_stderr.extend(self.stderr.try_iter());
            if let Ok(line) = self.stdout.recv_timeout(Duration::from_millis(100))
                && line.contains(text)
            {
                return;
            }
        }
        panic!(
            "no `{text}` on stdout within 60 s; stderr:\n{}",
            self.seen_stderr.join("\n")
        );
    }

    /// Waits (bounded) for a stderr line containing `text` (also one already taken in while
    /// waiting for stdout).
    fn wait_stderr(&mut self, text: &str) {
        let unchecked = &self.seen_stderr[self.stderr_checked..];
        let found = unchecked.iter().any(|line| line.contains(text));
        self.stderr_checked = self.seen_stderr.len();
        if found {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(100)) {
                let found = line.contains(text);
                self.seen_stderr.push(line);
                self.stderr_checked = self.seen_stderr.len();
                if found {
                    return;
                }
            }
        }
        panic!(
            "no `{text}` on stderr within 60 s; stderr:\n{}",
            self.seen_stderr.join("\n")
        );
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits (bounded) for the exit; returns the status and all of stderr.
    fn finish(mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                self.child.kill().unwrap();
                panic!(
                    "did not exit within 30 s; stderr:\n{}",
                    self.seen_stderr.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let until = Instant::now() + Duration::from_secs(5);
        while let Ok(line) = self
            .stderr
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            self.seen_stderr.push(line);
        }
        (status, self.seen_stderr.join("\n"))
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn produce_then_stream_through_the_mock_cluster() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("receipts", 3).unwrap();
    cluster.create_topic("receipts-dlq", 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    let output = support::retailflow()
        .args([
            "produce",
            "--brokers",
            &brokers,
            "--topic",
            "receipts",
            "--mode",
            "receipts",
        ])
        .args([
            "--count",
            "400",
            "--seed",
            "5",
            "--malformed-fraction",
            "0.1",
        ])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("400 delivered, 0 delivery errors"),
        "{}",
        stderr_of(&output)
    );

    let dir = tempfile::tempdir().unwrap();
    let dlq = dir.path().join("dead.jsonl");
    let output = support::retailflow()
        .args([
            "stream",
            "--brokers",
            &brokers,
            "--topic",
            "receipts",
            "--from",
            "earliest",
        ])
        .args([
            "--until-end",
            "--trigger",
            "500ms",
            "--output",
            "jsonl:-",
            "--dlq",
        ])
        .arg(format!("file:{}", dlq.display()))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let processed = stdout_of(&output).lines().count();
    let dead = std::fs::read_to_string(&dlq).unwrap().lines().count();
    assert_eq!(processed + dead, 400, "{}", stderr_of(&output));
    assert!(dead > 10, "{dead} dead letters");
    assert!(
        stderr_of(&output).contains("done (end of input)"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn stream_stops_cleanly_on_sigterm_and_commits() {
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("test-topic", 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    let produce = |count: &str| {
        let output = support::retailflow()
            .args([
                "produce",
                "--brokers",
                &brokers,
                "--mode",
                "value",
                "--rate",
                "1000",
                "--count",
                count,
            ])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
    };
    produce("30");
    let mut stream = Running::start(&strings(&[
        "stream",
        "--brokers",
        &brokers,
        "--format",
        "value",
        "--from",
        "earliest",
        "--trigger",
        "300ms",
    ]));
    stream.wait_stdout("Batch: 0");
    stream.wait_stderr("total 30 processed");
    stream.signal("-TERM");
    let (status, stderr) = stream.finish();
    assert!(status.success(), "{status:?}\n{stderr}");
    assert!(
        stderr.contains("stopping: finishing the current batch"),
        "{stderr}"
    );
    assert!(stderr.contains("done (stopped on request)"), "{stderr}");

    // The offsets were committed: the same group reads only what came after.
    produce("5");
    let output = support::retailflow()
        .args([
            "stream",
            "--brokers",
            &brokers,
            "--format",
            "value",
            "--until-end",
            "--output",
            "-",
        ])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        stdout_of(&output).lines().count(),
        5,
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn an_unreachable_broker_is_reported_and_retried_until_ctrl_c() {
    // Nothing listens on port 1.
    let mut stream = Running::start(&strings(&[
        "stream",
        "--brokers",
        "127.0.0.1:1",
        "--trigger",
        "200ms",
    ]));
    stream.wait_stderr("kafka: cannot read receipts at 127.0.0.1:1");
    stream.wait_stderr("retrying in");
    stream.signal("-INT");
    let (status, stderr) = stream.finish();
    assert!(status.success(), "{status:?}\n{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
}

#[test]
fn undelivered_messages_fail_produce_and_say_how_many() {
    let output = support::retailflow()
        .args([
            "produce",
            "--brokers",
            "127.0.0.1:1",
            "--mode",
            "value",
            "--count",
            "5",
        ])
        .args(["--rate", "100", "--delivery-timeout", "2s"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(4),
        "the broker is the environment's fault"
    );
    let stderr = stderr_of(&output);
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with(
            "error: 5 of 5 messages were not delivered to topic test-topic at 127.0.0.1:1"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("broker trouble, retrying"), "{stderr}");
}

#[test]
fn demo_streams_live_batches_for_a_duration() {
    let output = support::retailflow()
        .args([
            "demo",
            "--skip-batch",
            "--duration",
            "8s",
            "--rate",
            "50",
            "--trigger",
            "500ms",
            "--window",
            "2s",
        ])
        .timeout(Duration::from_secs(90))
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "{stderr}");
    let stdout = stdout_of(&output);
    assert!(stdout.contains("Batch: 0\n"), "{stdout}");
    // Windowed analytics by default, all seven: whole windows as they close.
    assert!(stdout.contains("Top stores by revenue"), "{stdout}");
    assert!(stdout.contains("Bought together"), "{stdout}");
    assert!(stderr.contains("windowed analytics: window 2s"), "{stderr}");
    assert!(stderr.contains("demo: Kafka mock cluster at"), "{stderr}");
    // Once the duration ends the producer stops and the stream reads on to its last receipt.
    assert!(
        stderr.contains("demo: the producer stopped after "),
        "{stderr}"
    );
    let closing = stderr
        .lines()
        .find(|line| line.starts_with("demo: produced "))
        .unwrap_or_else(|| panic!("no closing line in:\n{stderr}"));
    let number_after = |words: &str| -> u64 {
        let rest = &closing[closing.find(words).unwrap() + words.len()..];
        rest.split([' ', ',']).next().unwrap().parse().unwrap()
    };
    let produced = number_after("demo: produced ");
    assert!(produced > 0, "{closing}");
    assert_eq!(number_after("; the stream read "), produced, "{closing}");
    assert!(!closing.contains("left in the topic"), "{closing}");
}

#[test]
fn demo_shows_the_parsed_records_with_records() {
    let output = support::retailflow()
        .args(["demo", "--skip-batch", "--records", "--duration", "6s"])
        .args(["--rate", "50", "--trigger", "500ms"])
        .timeout(Duration::from_secs(90))
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "{stderr}");
    let stdout = stdout_of(&output);
    assert!(
        stdout.contains("receipt_id|store_id|cashier_id|                 ts|items| total|"),
        "{stdout}"
    );
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            strings(&["stream", "--source", "http://x"]),
            "use `kafka` or `file:PATH.jsonl`",
        ),
        (
            strings(&["stream", "--output", "parquet:x"]),
            "use `console`, `jsonl:PATH`, `jsonl:-` (standard output) or `kafka[:TOPIC]`",
        ),
        (
            strings(&["stream", "--output", "console", "--output", "-"]),
            "only one output can write to standard output",
        ),
        (
            strings(&["stream", "--output", "jsonl:a", "--output", "jsonl:a"]),
            "`jsonl:a` is named twice",
        ),
        (
            strings(&[
                "windows", "in.jsonl", "--output", "-", "--output", "console",
            ]),
            "only one output can write to standard output",
        ),
        (
            strings(&["stream", "--dlq", "dead.jsonl"]),
            "use `topic:NAME` or `file:PATH`",
        ),
        (strings(&["stream", "--trigger", "10"]), "missing unit"),
        (
            strings(&["stream", "--max-message-size", "lots"]),
            "invalid size `lots`",
        ),
        (
            strings(&["stream", "--source", "file:/no/such/input.jsonl"]),
            "cannot open /no/such/input.jsonl",
        ),
        (
            strings(&["produce", "--out", "x.jsonl"]),
            "--out needs --count or --duration",
        ),
        (
            strings(&["produce", "--malformed-fraction", "2", "--count", "1"]),
            "between 0 and 1",
        ),
        (
            strings(&["produce", "--start-time", "yesterday"]),
            "not an RFC 3339 time",
        ),
        (
            strings(&["produce", "--rate", "0"]),
            "--rate must be above 0",
        ),
        (
            strings(&["produce", "--duration", "5 fortnights"]),
            "unknown unit",
        ),
    ];
    for (args, message) in cases {
        let output = support::retailflow()
            .current_dir(dir.path())
            .args(&args)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{stderr}"
        );
        // Each cause is said once.
        for line in stderr.lines().filter(|l| l.starts_with("error: ")) {
            let parts: Vec<&str> = line.split(": ").collect();
            assert!(parts.windows(2).all(|w| w[0] != w[1]), "{args:?}: {line}");
        }
    }
}

#[test]
fn a_run_that_cannot_write_a_file_leaves_the_earlier_files_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let input = support::golden_path("stream_values_input.jsonl");
    let run = |output: &[String], dlq: &Path| {
        let mut command = support::retailflow();
        command
            .args(["stream", "--format", "value", "--source"])
            .arg(format!("file:{}", input.display()))
            .arg("--dlq")
            .arg(format!("file:{}", dlq.display()));
        for output in output {
            command.args(["--output", output]);
        }
        command.timeout(Duration::from_secs(60)).output().unwrap()
    };
    let earlier_dead = dir.path().join("dead.jsonl");
    std::fs::write(&earlier_dead, "earlier dead letters\n").unwrap();
    let missing = dir.path().join("missing");

    // The output cannot be created: the dead letters of the earlier run stay.
    let unwritable = missing.join("out.jsonl");
    let output = run(&[format!("jsonl:{}", unwritable.display())], &earlier_dead);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains(&format!("cannot create {}", unwritable.display())),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(
        std::fs::read_to_string(&earlier_dead).unwrap(),
        "earlier dead letters\n"
    );

    // The dead letters cannot be written: the earlier results stay, and no new output appears.
    let earlier_results = dir.path().join("results.jsonl");
    std::fs::write(&earlier_results, "earlier results\n").unwrap();
    let fresh = dir.path().join("fresh.jsonl");
    let output = run(
        &[
            format!("jsonl:{}", earlier_results.display()),
            format!("jsonl:{}", fresh.display()),
        ],
        &missing.join("dead.jsonl"),
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert_eq!(
        std::fs::read_to_string(&earlier_results).unwrap(),
        "earlier results\n"
    );
    assert!(!fresh.exists());
    assert!(!missing.exists());

    // Both writable: the run replaces them.
    let output = run(
        &[format!("jsonl:{}", earlier_results.display())],
        &earlier_dead,
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        std::fs::read_to_string(&earlier_results)
            .unwrap()
            .lines()
            .count(),
        5
    );
    assert_eq!(
        std::fs::read_to_string(&earlier_dead)
            .unwrap()
            .lines()
            .count(),
        2
    );
}
