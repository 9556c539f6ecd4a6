//! Same answers in batch and stream: one deterministic receipts file gives the same windowed
//! results of all seven analyses three ways — `retailflow windows` (DataFusion over the file), `retailflow stream` from
//! the file, and `retailflow stream` from Kafka (the in-process mock cluster, three partitions) —
//! for tumbling and sliding windows. Results are compared as sorted sets of JSON lines: the runs
//! may write them in different orders (Kafka interleaves partitions).

use std::path::{Path, PathBuf};
use std::time::Duration;

use retailflow_stream::kafka::MockKafka;

use crate::support;

/// 6000 receipts at 20 per second of event time: 300 s, so 30 tumbling 10 s windows, with the
/// anomalies `--anomalies` lays out for them (a spike, a silent store, a cashier burst, a rule).
const PRODUCE: [&str; 12] = [
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
    "6000",
    "--anomalies",
];

const TIMEOUT: Duration = Duration::from_secs(180);

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
    support::succeeded("stream from the file", &output)
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
    support::succeeded("stream from Kafka", &output)
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
    support::succeeded("windows", &output)
}

/// Fails, showing the first dead letter, unless `path` holds none.
fn assert_no_dead_letters(what: &str, path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let count = text.lines().count();
    assert!(
        count == 0,
        "{what}: {count} dead letters, the first: {}",
        text.lines().next().unwrap_or_default()
    );
}

/// The receipts file, written by `retailflow produce --out`.
fn produce_file(dir: &Path) -> PathBuf {
    let input = dir.join("receipts.jsonl");
    support::produce_receipts_to(&input, &PRODUCE[3..]);
    input
}

/// The batch results for `slide`, checked to be non-trivial: every window with its rankings and
/// summary, and big receipts.
fn batch_results(input: &Path, slide: &str, windows: usize, out: &Path) -> Vec<String> {
    let stderr = batch_windows(input, slide, out);
    assert!(
        stderr.contains("6000 lines") && stderr.contains("0 rejected"),
        "{stderr}"
    );
    let batch = support::sorted_lines(out);
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
        count_kind(&batch, "bought_together"),
        windows,
        "slide {slide}"
    );
    let anomalies = count_kind(&batch, "store_anomaly");
    let alerts = count_kind(&batch, "cashier_alert");
    assert!(alerts > 0, "slide {slide}: no cashier alerts");
    assert!(anomalies > 0, "slide {slide}: no store anomalies");
    assert_eq!(
        batch.len(),
        big + 3 * windows + popular + anomalies + alerts,
        "slide {slide}: only the seven kinds"
    );
    eprintln!(
        "slide {slide}: {} results ({windows} windows, {big} big receipts, {popular} popular-items, \
         {anomalies} store anomalies, {alerts} cashier alerts)",
        batch.len()
    );
    batch
}

/// (slide, windows expected): 300 s of event time from a 10 s boundary, 10 s windows.
const WINDOWINGS: [(&str, usize); 2] = [("10s", 30), ("2s", 154)];

/// The file plain and compressed with gzip: the stream and the batch windows read either as the
/// same receipts.
#[test]
fn stream_from_the_file_and_batch_windows_agree() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let input = produce_file(dir.path());
    let compressed = dir.path().join("receipts.jsonl.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&std::fs::read(&input).unwrap()).unwrap();
    std::fs::write(&compressed, encoder.finish().unwrap()).unwrap();
    for (slide, windows) in WINDOWINGS {
        let path = |name: &str| dir.path().join(format!("{name}-{slide}.jsonl"));
        let batch = batch_results(&input, slide, windows, &path("batch"));
        assert_eq!(
            batch_results(&compressed, slide, windows, &path("batch-gz")),
            batch,
            "slide {slide}: the batch windows of the compressed file"
        );
        for (file, name) in [(&input, "file"), (&compressed, "file-gz")] {
            let dlq = path(&format!("{name}-dlq"));
            stream_from_file(file, slide, &path(name), &dlq);
            assert_no_dead_letters("stream from the file", &dlq);
            assert_same(
                &format!("slide {slide}: stream from {} vs batch", file.display()),
                &support::sorted_lines(&path(name)),
                &batch,
            );
        }
    }
}

#[test]
fn stream_from_kafka_agrees_with_the_batch_windows() {
    let dir = tempfile::tempdir().unwrap();
    let input = produce_file(dir.path());
    let cluster = MockKafka::start(1).unwrap();
    cluster.create_topic("receipts", 3).unwrap();
    let brokers = cluster.bootstrap_servers();
    let output = support::retailflow()
        .args(PRODUCE)
        .args(["--brokers", &brokers, "--topic", "receipts"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let stderr = support::succeeded("produce to Kafka", &output);
    assert!(
        stderr.contains("6,000 delivered, 0 delivery errors"),
        "{stderr}"
    );
    for (slide, windows) in WINDOWINGS {
        let path = |name: &str| dir.path().join(format!("{name}-{slide}.jsonl"));
        let batch = batch_results(&input, slide, windows, &path("batch"));
        let group = format!("agreement-{slide}");
        stream_from_kafka(&brokers, &group, slide, &path("kafka"), &path("kafka-dlq"));
        assert_no_dead_letters("stream from Kafka", &path("kafka-dlq"));
        assert_same(
            &format!("slide {slide}: stream from Kafka vs batch"),
            &support::sorted_lines(&path("kafka")),
            &batch,
        );
    }
}
