//! `--workers`: a file read as several parts gives the same results, byte for byte, and the same
//! dead letters whatever the number of threads, and a checkpointed run resumes on another number.

use std::path::{Path, PathBuf};

use crate::support;

/// 45,000 receipts of about 430 bytes: 19 MiB, three parts of 8 MiB blocks, with late and
/// malformed ones and the injected anomalies.
fn receipts(dir: &Path) -> PathBuf {
    let input = dir.join("receipts.jsonl");
    support::produce_receipts_to(
        &input,
        &[
            "--seed",
            "5",
            "--start-time",
            "2025-03-01T09:00:00Z",
            "--events-per-second",
            "300",
            "--count",
            "45000",
            "--late-fraction",
            "0.01",
            "--malformed-fraction",
            "0.01",
            "--anomalies",
        ],
    );
    let size = std::fs::metadata(&input).unwrap().len();
    assert!(size > 16 << 20 && size < 24 << 20, "{size} bytes");
    input
}

/// Runs the analytics over `input` with `workers` threads; returns the results and the dead
/// letters as written.
fn run(input: &Path, dir: &Path, slide: &str, workers: &str, extra: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let out = dir.join(format!("out-{slide}-{workers}.jsonl"));
    let dlq = dir.join(format!("dlq-{slide}-{workers}.jsonl"));
    let output = support::retailflow()
        .args(["stream", "--format", "receipts", "--slide", slide])
        .args(["--workers", workers, "--max-records-per-batch", "7000"])
        .arg(format!("--source=file:{}", input.display()))
        .arg(format!("--output=jsonl:{}", out.display()))
        .arg(format!("--dlq=file:{}", dlq.display()))
        .args(extra)
        .output()
        .unwrap();
    support::succeeded("stream", &output);
    (std::fs::read(&out).unwrap(), std::fs::read(&dlq).unwrap())
}

#[test]
fn the_parts_of_a_file_give_the_same_bytes_with_any_number_of_workers() {
    let dir = tempfile::tempdir().unwrap();
    let input = receipts(dir.path());
    for slide in ["10s", "2s"] {
        let (results, dead_letters) = run(&input, dir.path(), slide, "1", &[]);
        let text = String::from_utf8_lossy(&results);
        for kind in [
            "window_summary",
            "big_receipt",
            "bought_together",
            "store_anomaly",
            "cashier_alert",
        ] {
            assert!(
                text.contains(&format!(r#"{{"kind":"{kind}""#)),
                "slide {slide}: no {kind}"
            );
        }
        let dead = String::from_utf8_lossy(&dead_letters);
        assert!(dead.contains(r#""reason":"late""#) && dead.contains(r#""reason":"schema""#));
        // Dead letters carry the part of the file a line lies in.
        for part in 0..3 {
            assert!(
                dead.contains(&format!(r#""partition":{part},"#)),
                "part {part}"
            );
        }
        for workers in ["2", "3", "8"] {
            let (other_results, other_dead_letters) = run(&input, dir.path(), slide, workers, &[]);
            assert!(
                other_results == results,
                "slide {slide}: {workers} workers wrote other results"
            );
            assert!(
                other_dead_letters == dead_letters,
                "slide {slide}: {workers} workers wrote other dead letters"
            );
        }
    }
}

#[test]
fn a_checkpointed_run_resumes_on_another_number_of_workers() {
    let dir = tempfile::tempdir().unwrap();
    let input = receipts(dir.path());
    let (whole, _) = run(&input, dir.path(), "10s", "2", &[]);
    let checkpoint = dir.path().join("checkpoint");
    let checkpoint_arg = format!("--checkpoint={}", checkpoint.display());
    let out = dir.path().join("resumed.jsonl");
    let stream = |workers: &str, max_batches: Option<&str>| {
        let mut command = support::retailflow();
        command
            .args([
                "stream",
                "--format",
                "receipts",
                "--analytics",
                "--workers",
                workers,
            ])
            .args(["--max-records-per-batch", "7000"])
            .arg(format!("--source=file:{}", input.display()))
            .arg(format!("--output=jsonl:{}", out.display()))
            .arg(format!(
                "--dlq=file:{}",
                dir.path().join("resumed.dlq").display()
            ))
            .arg(&checkpoint_arg);
        if let Some(max) = max_batches {
            command.args(["--max-batches", max]);
        }
        support::succeeded("stream", &command.output().unwrap());
    };
    stream("1", Some("3"));
    stream("3", Some("2"));
    stream("2", None);
    let resumed = std::fs::read_to_string(&out).unwrap();
    let whole = String::from_utf8(whole).unwrap();
    let first_difference = whole.lines().zip(resumed.lines()).position(|(a, b)| a != b);
    assert!(
        resumed == whole,
        "a run resumed twice on other worker counts wrote other results: {} vs {} lines, first \
         difference at line {first_difference:?}: {:?} vs {:?}",
        whole.lines().count(),
        resumed.lines().count(),
        first_difference.and_then(|at| whole.lines().nth(at)),
        first_difference.and_then(|at| resumed.lines().nth(at)),
    );
}
