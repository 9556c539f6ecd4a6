//! Same answers in batch and stream: one deterministic receipts file gives the same windowed
//! results three ways — `retailflow stream` from the file, `retailflow stream` from Kafka (the
//! in-process mock cluster, three partitions), and `retailflow windows` (DataFusion over the file)
//! — for tumbling and sliding windows.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use retailflow_stream::kafka::MockKafka;

use crate::support;

/// 5000 receipts at 20 per second of event time: 250 s, so 25 tumbling 10 s windows.
const PRODUCE: [&str; 11] = [
    "produce",
    "--mode",
    "receipts",
    "--seed",
    "7",
    "--start-time",
    "2025-01-01T00:00:00Z",
    "--events-per-second",
    "20",
    "--count",
    "5000",
];

const TIMEOUT: Duration = Duration::from_secs(180);

fn succeeded(what: &str, output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{what} failed:\n{stderr}");
    stderr
}

/// The lines of a JSONL results file, sorted (a set with multiplicity: the three runs may write
/// results in different orders, e.g. Kafka interleaves partitions).
fn sorted_lines(path: &Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

fn count_kind(lines: &[String], kind: &str) -> usize {
    let prefix = format!(r#"{{"kind":"{kind}""#);
    lines
        .iter()
        .filter(|line| line.starts_with(&prefix))
        .count()
}

/// Fails with the first lines only one side has.
fn assert_same(what: &str, left: &[String], right: &[String]) {
    if left == right {
        return;
    }
    let only_left: Vec<&String> = left.iter().filter(|l| !right.contains(l)).take(3).collect();
    let only_right: Vec<&String> = right.iter().filter(|l| !left.contains(l)).take(3).collect();
    panic!(
        "{what}: {} vs {} lines\nonly on the left: {only_left:#?}\nonly on the right: {only_right:#?}",
        left.len(),
        right.len()
    );
}

fn stream_from_file(input: &Path, slide: &str, out: &Path, dlq: &Path) -> String {
    let output = support::retailflow()
        .args([
            "stream", "--format", "receipts", "--window", "10s", "--slide", slide,
        ])
        .arg(format!("--source=file:{}", input.display()))
        .arg(format!("--output=jsonl:{}", out.display()))
        .arg(format!("--dlq=file:{}", dlq.display()))
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    succeeded("stream from the file", &output)
}

fn stream_from_kafka(brokers: &str, group: &str, slide: &str, out: &Path, dlq: &Path) -> String {
    let output = support::retailflow()
        .args(["stream", "--format", "receipts", "--source", "kafka"])
        .args([
            "--brokers",
            brokers,
            "--topic",
            "receipts",
            "--group",
            group,
        ])
        .args(["--from", "earliest", "--until-end", "--trigger", "500ms"])
        .args(["--window", "10s", "--slide", slide])
        .arg(format!("--output=jsonl:{}", out.display()))
        .arg(format!("--dlq=file:{}", dlq.display()))
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    succeeded("stream from Kafka", &output)
}

fn batch_windows(input: &Path, slide: &str, out: &Path) -> String {
    let output = support::retailflow()
        .arg("windows")
        .arg(input)
        .args(["--window", "10s", "--slide", slide])
        .arg(format!("--output=jsonl:{}", out.display()))
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    succeeded("windows", &output)
}

fn dead_letters(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |text| text.lines().count())
}

#[test]
#[ignore = "the file stream dead-letters receipts as late that the batch counts; under investigation"]
fn stream_from_file_stream_from_kafka_and_batch_windows_agree() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("receipts.jsonl");
    let output = support::retailflow()
        .args(PRODUCE)
        .arg("--out")
        .arg(&input)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    succeeded("produce to the file", &output);

    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("receipts", 3).unwrap();
    let brokers = cluster.bootstrap_servers();
    let output = support::retailflow()
        .args(PRODUCE)
        .args(["--brokers", &brokers, "--topic", "receipts"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let stderr = succeeded("produce to Kafka", &output);
    assert!(
        stderr.contains("5,000 delivered, 0 delivery errors"),
        "{stderr}"
    );

    // (slide, windows expected): 250 s of event time from a 10 s boundary.
    for (slide, windows) in [("10s", 25), ("2s", 129)] {
        let path = |name: &str| dir.path().join(format!("{name}-{slide}.jsonl"));
        stream_from_file(&input, slide, &path("file"), &path("file-dlq"));
        let stderr = batch_windows(&input, slide, &path("batch"));
        assert!(
            stderr.contains("5000 lines") && stderr.contains("0 rejected"),
            "{stderr}"
        );
        stream_from_kafka(
            &brokers,
            &format!("agreement-{slide}"),
            slide,
            &path("kafka"),
            &path("kafka-dlq"),
        );
        // Nothing was late or malformed on either stream.
        assert_eq!(dead_letters(&path("file-dlq")), 0);
        assert_eq!(dead_letters(&path("kafka-dlq")), 0);

        let from_file = sorted_lines(&path("file"));
        let from_kafka = sorted_lines(&path("kafka"));
        let batch = sorted_lines(&path("batch"));
        assert_same(
            &format!("slide {slide}: stream from file vs batch"),
            &from_file,
            &batch,
        );
        assert_same(
            &format!("slide {slide}: stream from file vs Kafka"),
            &from_file,
            &from_kafka,
        );

        // The results are not trivial: every window, rankings in each, and big receipts.
        assert_eq!(
            count_kind(&batch, "window_summary"),
            windows,
            "slide {slide}"
        );
        assert_eq!(count_kind(&batch, "top_stores"), windows, "slide {slide}");
        let popular = count_kind(&batch, "popular_items");
        assert!(
            popular >= 7 * windows,
            "slide {slide}: {popular} popular-items results"
        );
        let big = count_kind(&batch, "big_receipt");
        assert!(big >= 20, "slide {slide}: {big} big receipts");
        assert_eq!(
            batch.len(),
            big + 2 * windows + popular,
            "slide {slide}: only the four kinds"
        );
        eprintln!(
            "slide {slide}: {} identical results ({windows} windows, {big} big receipts, {popular} popular-items)",
            batch.len()
        );
    }
}
