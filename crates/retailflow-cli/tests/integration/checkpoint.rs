//! `retailflow stream --checkpoint DIR`: a run killed with SIGKILL at random moments and started
//! again with the same arguments writes exactly the results of an uninterrupted run — here from a
//! file (the same bytes, in the same order); `e2e.rs` does the same through the real broker. Also:
//! a finished run started again adds nothing, another job's checkpoint is refused, and an output
//! changed behind the checkpoint's back is refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support;

const TIMEOUT: Duration = Duration::from_secs(180);

/// Analytics flags shared by every run here: tumbling 10 s windows, the default lateness.
const ANALYTICS: [&str; 6] = [
    "--format",
    "receipts",
    "--window",
    "10s",
    "--big-receipt",
    "500",
];

/// A deterministic receipts file: `count` receipts at 100 per second of event time.
pub fn receipts_file(dir: &Path, count: usize) -> PathBuf {
    let input = dir.join("receipts.jsonl");
    let count = count.to_string();
    support::produce_receipts_to(
        &input,
        &[
            "--seed",
            "11",
            "--start-time",
            "2025-06-01T08:00:00Z",
            "--events-per-second",
            "100",
            "--count",
            &count,
        ],
    );
    input
}

/// The newest checkpoint's epoch in `dir` (0 when there is none).
pub fn latest_epoch(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_prefix("checkpoint-")?
                .strip_suffix(".json")?
                .parse()
                .ok()
        })
        .max()
        .unwrap_or(0)
}

/// A small deterministic generator of kill delays (SplitMix64).
struct Delays(u64);

impl Delays {
    fn next(&mut self, max_ms: u64) -> Duration {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Duration::from_millis((z ^ (z >> 31)) % (max_ms + 1))
    }
}

/// What [`run_until_done_killing`] did.
pub struct KilledRuns {
    /// Runs killed with SIGKILL.
    pub kills: u32,
    /// Standard error of the run that finished.
    pub last_stderr: String,
    /// How long after its new checkpoint appeared each killed run was killed.
    pub delays: Vec<Duration>,
}

/// Starts `command` (a `retailflow stream ... --checkpoint checkpoint_dir` run) again and again:
/// each time it has saved at least one new checkpoint, it is killed with SIGKILL after a random
/// further 0–`max_delay_ms` ms, until a run finishes by itself. Fails unless that run succeeds.
pub fn run_until_done_killing(
    command: impl Fn() -> Command,
    checkpoint_dir: &Path,
    seed: u64,
    max_delay_ms: u64,
) -> KilledRuns {
    let mut delays = Delays(seed);
    let mut kills = 0;
    let mut kill_delays = Vec::new();
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < TIMEOUT,
            "still running after {kills} kills"
        );
        let before = latest_epoch(checkpoint_dir);
        let mut child = command()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for progress (a new checkpoint) or the end of the run.
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if latest_epoch(checkpoint_dir) > before {
                break None;
            }
            assert!(
                started.elapsed() < TIMEOUT,
                "no progress after {kills} kills"
            );
            std::thread::sleep(Duration::from_millis(2));
        };
        let delay = delays.next(max_delay_ms);
        if finished.is_none() {
            std::thread::sleep(delay);
        }
        if finished.is_none() && child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
            kill_delays.push(delay);
            continue;
        }
        let output = child.wait_with_output().unwrap();
        let last_stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            output.status.success(),
            "the resumed run failed after {kills} kills:\n{last_stderr}"
        );
        return KilledRuns {
            kills,
            last_stderr,
            delays: kill_delays,
        };
    }
}

fn stream_command(input: &Path, out: &Path, dlq: &Path, checkpoint: Option<&Path>) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("retailflow"));
    command
        .arg("stream")
        .args(ANALYTICS)
        .arg(format!("--source=file:{}", input.display()))
        .arg(format!("--output=jsonl:{}", out.display()))
        .arg(format!("--dlq=file:{}", dlq.display()))
        .args(["--max-records-per-batch", "100"]);
    if let Some(dir) = checkpoint {
        command.arg("--checkpoint").arg(dir);
    }
    command
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn file_stream_killed_at_random_moments_writes_exactly_the_uninterrupted_results() {
    let dir = tempfile::tempdir().unwrap();
    let input = receipts_file(dir.path(), 30_000);
    let path = |name: &str| dir.path().join(name);

    let reference = stream_command(&input, &path("full.jsonl"), &path("full.dlq"), None)
        .output()
        .unwrap();
    assert!(reference.status.success());
    let expected = read(&path("full.jsonl"));
    // Every analysis on: 30 windows of 11 lines (top stores, 8 categories' popular items, summary,
    // bought together), the big receipts, and the store anomalies and cashier alerts they raise.
    for (kind, count) in [
        ("window_summary", 30),
        ("bought_together", 30),
        ("big_receipt", 2_713),
        ("store_anomaly", 9),
        ("cashier_alert", 747),
    ] {
        let key = format!(r#"{{"kind":"{kind}""#);
        assert_eq!(expected.matches(&key).count(), count, "{kind}");
    }
    assert_eq!(expected.lines().count(), 30 * 11 + 2_713 + 9 + 747);

    let checkpoint = path("checkpoint");
    let runs = run_until_done_killing(
        || {
            stream_command(
                &input,
                &path("killed.jsonl"),
                &path("killed.dlq"),
                Some(&checkpoint),
            )
        },
        &checkpoint,
        2025,
        10,
    );
    assert!(runs.kills >= 10, "only {} kills", runs.kills);
    eprintln!(
        "{} runs killed with SIGKILL before one finished",
        runs.kills
    );
    assert!(
        runs.last_stderr.contains("checkpoint: resuming from"),
        "{}",
        runs.last_stderr
    );
    // A single partition read in order: the same lines in the same order, byte for byte.
    assert!(
        read(&path("killed.jsonl")) == expected,
        "{} kills: the results differ from the uninterrupted run's",
        runs.kills
    );
    assert_eq!(read(&path("killed.dlq")), "");

    // Started again after the end, the run reads nothing and writes nothing more.
    let again = stream_command(
        &input,
        &path("killed.jsonl"),
        &path("killed.dlq"),
        Some(&checkpoint),
    )
    .output()
    .unwrap();
    assert!(again.status.success());
    assert!(read(&path("killed.jsonl")) == expected);
}

#[test]
fn results_written_after_the_last_checkpoint_are_cut_back_and_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = receipts_file(dir.path(), 3_000);
    let path = |name: &str| dir.path().join(name);
    let checkpoint = path("checkpoint");
    let run = |max_batches: Option<&str>| {
        let mut command = stream_command(
            &input,
            &path("out.jsonl"),
            &path("out.dlq"),
            Some(&checkpoint),
        );
        if let Some(max) = max_batches {
            command.args(["--max-batches", max]);
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    run(Some("4"));
    let at_checkpoint = read(&path("out.jsonl"));
    // A crash between writing results and saving the checkpoint leaves extra lines behind.
    std::fs::write(
        path("out.jsonl"),
        format!("{at_checkpoint}{{\"kind\":\"written after the checkpoint\"}}\n"),
    )
    .unwrap();
    let stderr = run(None);
    assert!(
        stderr.contains("checkpoint: resuming from") && stderr.contains("(batch 4,"),
        "{stderr}"
    );
    let resumed = read(&path("out.jsonl"));
    stream_command(&input, &path("full.jsonl"), &path("full.dlq"), None)
        .output()
        .unwrap();
    assert!(resumed == read(&path("full.jsonl")));
    assert!(!resumed.contains("written after the checkpoint"));
}

#[test]
fn a_latency_log_beside_the_output_does_not_change_what_a_resumed_run_writes() {
    let dir = tempfile::tempdir().unwrap();
    let input = receipts_file(dir.path(), 3_000);
    let path = |name: &str| dir.path().join(name);
    let run = |more: &[&str]| {
        let output = stream_command(
            &input,
            &path("out.jsonl"),
            &path("out.dlq"),
            Some(&path("checkpoint")),
        )
        .arg("--latency-log")
        .arg(path("latency.jsonl"))
        .args(more)
        .output()
        .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(&["--max-batches", "4"]);
    run(&[]);
    stream_command(&input, &path("full.jsonl"), &path("full.dlq"), None)
        .output()
        .unwrap();
    assert!(read(&path("out.jsonl")) == read(&path("full.jsonl")));
}

#[test]
fn several_outputs_each_resume_where_the_checkpoint_left_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = receipts_file(dir.path(), 3_000);
    let path = |name: &str| dir.path().join(name);
    let run = |more: &[&str]| {
        let output = stream_command(
            &input,
            &path("out.jsonl"),
            &path("out.dlq"),
            Some(&path("checkpoint")),
        )
        .arg(format!("--output=jsonl:{}", path("copy.jsonl").display()))
        .args(["--output", "console"])
        .args(more)
        .output()
        .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let console = run(&["--max-batches", "20"]);
    assert!(
        console.contains("Batch: 19") && console.contains("Top stores by revenue\n+-"),
        "{console}"
    );
    // Written after the checkpoint of batch 20 and lost in a crash: cut off on resume.
    for name in ["out.jsonl", "copy.jsonl"] {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(path(name))
            .unwrap();
        std::io::Write::write_all(&mut file, b"{\"written after the checkpoint\":1}\n").unwrap();
    }
    run(&[]);
    stream_command(&input, &path("full.jsonl"), &path("full.dlq"), None)
        .output()
        .unwrap();
    let expected = read(&path("full.jsonl"));
    assert!(expected.lines().count() > 100);
    assert!(read(&path("out.jsonl")) == expected);
    assert!(read(&path("copy.jsonl")) == expected);
}

#[test]
fn another_job_or_a_shortened_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = receipts_file(dir.path(), 2_000);
    let path = |name: &str| dir.path().join(name);
    let checkpoint = path("checkpoint");
    let first = stream_command(
        &input,
        &path("out.jsonl"),
        &path("out.dlq"),
        Some(&checkpoint),
    )
    .args(["--max-batches", "3"])
    .output()
    .unwrap();
    assert!(first.status.success());

    let other_window = Command::new(assert_cmd::cargo::cargo_bin("retailflow"))
        .args(["stream", "--format", "receipts", "--window", "5s"])
        .arg(format!("--source=file:{}", input.display()))
        .arg(format!("--output=jsonl:{}", path("out.jsonl").display()))
        .arg(format!("--dlq=file:{}", path("out.dlq").display()))
        .arg("--checkpoint")
        .arg(&checkpoint)
        .output()
        .unwrap();
    assert_eq!(other_window.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&other_window.stderr);
    assert!(
        stderr.contains(
            "it belongs to another job (its settings.analytics.window_length was `10000`, \
             this run's is `5000`)"
        ) && stderr.contains("use another directory, or remove it to start over"),
        "{stderr}"
    );

    for (flag, setting) in [
        (
            "--anomaly-z=3.5",
            "settings.analytics.anomalies.z was `4.0`, this run's is `3.5`",
        ),
        (
            "--without=bought-together",
            "settings.analytics.analyses was `[\"top-stores\",\"big-receipts\",\
             \"popular-items\",\"window-summary\",\"bought-together\",\"store-anomalies\",\
             \"cashier-alerts\"]`, this run's is `[\"top-stores\",\"big-receipts\",\
             \"popular-items\",\"window-summary\",\"store-anomalies\",\"cashier-alerts\"]`",
        ),
    ] {
        let other_analysis = stream_command(
            &input,
            &path("out.jsonl"),
            &path("out.dlq"),
            Some(&checkpoint),
        )
        .arg(flag)
        .output()
        .unwrap();
        assert_eq!(other_analysis.status.code(), Some(2), "{flag}");
        let stderr = String::from_utf8_lossy(&other_analysis.stderr);
        assert!(
            stderr.contains(&format!("it belongs to another job (its {setting})")),
            "{stderr}"
        );
    }

    let another_output = stream_command(
        &input,
        &path("out.jsonl"),
        &path("out.dlq"),
        Some(&checkpoint),
    )
    .arg(format!("--output=jsonl:{}", path("more.jsonl").display()))
    .output()
    .unwrap();
    assert_eq!(another_output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&another_output.stderr);
    assert!(
        stderr.contains("it belongs to another job (its settings.outputs was"),
        "{stderr}"
    );

    std::fs::write(path("out.jsonl"), "").unwrap();
    let shortened = stream_command(
        &input,
        &path("out.jsonl"),
        &path("out.dlq"),
        Some(&checkpoint),
    )
    .output()
    .unwrap();
    assert_eq!(shortened.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&shortened.stderr);
    assert!(
        stderr.contains("cannot resume")
            && stderr.contains("it holds 0 bytes but the checkpoint recorded"),
        "{stderr}"
    );
}

#[test]
fn the_plain_record_stream_resumes_too_and_max_batches_counts_this_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let values: String = (1..=50).map(|n| format!("{{\"value\": {n}}}\n")).collect();
    std::fs::write(path("values.jsonl"), values).unwrap();
    let run = || {
        let output = Command::new(assert_cmd::cargo::cargo_bin("retailflow"))
            .args([
                "stream",
                "--format",
                "value",
                "--max-records-per-batch",
                "10",
            ])
            .args(["--max-batches", "2", "--output"])
            .arg(format!("jsonl:{}", path("out.jsonl").display()))
            .arg(format!("--source=file:{}", path("values.jsonl").display()))
            .arg("--checkpoint")
            .arg(path("checkpoint"))
            .output()
            .unwrap();
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    assert!(run().ends_with("done (--max-batches reached): 2 batches, 20 messages, 20 processed, 0 dead-lettered (none)\n"));
    let second = run();
    assert!(
        second.contains("checkpoint: resuming from")
            && second.ends_with(
                "done (--max-batches reached): 4 batches, 40 messages, 40 processed, 0 dead-lettered (none)\n"
            ),
        "{second}"
    );
    let third = run();
    assert!(
        third.ends_with(
            "done (end of input): 5 batches, 50 messages, 50 processed, 0 dead-lettered (none)\n"
        ),
        "{third}"
    );
    let written: Vec<u64> = read(&path("out.jsonl"))
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["value"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(written, (1..=50).collect::<Vec<u64>>());
}

#[test]
fn a_kafka_run_from_latest_killed_before_any_message_keeps_its_start() {
    let cluster = retailflow_stream::kafka::MockKafka::start(1).unwrap();
    cluster.create_topic("late-start", 2).unwrap();
    let brokers = cluster.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let stream = || {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("retailflow"));
        command
            .args(["stream", "--brokers", &brokers, "--topic", "late-start"])
            .args([
                "--format",
                "value",
                "--from",
                "latest",
                "--trigger",
                "100ms",
            ])
            .arg(format!("--output=jsonl:{}", path("out.jsonl").display()))
            .arg(format!("--dlq=file:{}", path("out.dlq").display()))
            .arg("--checkpoint")
            .arg(path("checkpoint"));
        command
    };
    // Started with nothing to read: it pins the latest offsets in a first checkpoint.
    let mut first = stream()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while latest_epoch(&path("checkpoint")) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no first checkpoint"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    // Messages arrive while it is down; the restart must read them, not start from the new latest.
    support::retailflow()
        .args([
            "produce",
            "--mode",
            "value",
            "--brokers",
            &brokers,
            "--topic",
            "late-start",
        ])
        .args(["--count", "40", "--rate", "1000"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    let output = stream().arg("--until-end").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("checkpoint: resuming from"), "{stderr}");
    assert_eq!(read(&path("out.jsonl")).lines().count(), 40, "{stderr}");
}
