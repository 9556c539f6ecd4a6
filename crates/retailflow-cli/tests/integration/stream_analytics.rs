//! `retailflow stream --analytics` over a receipts file written by `retailflow produce`: window
//! results checked against what was produced, late receipts in the dead letters.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::support;

/// 3000 receipts at 100 per second of event time from 2025-03-01T09:00:00Z, 5% pushed back 60 s.
fn produce(path: &Path) {
    support::produce_receipts_to(
        path,
        &[
            "--seed",
            "11",
            "--count",
            "3000",
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

#[test]
fn windowed_results_account_for_every_receipt_and_late_ones_are_dead_lettered() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("receipts.jsonl");
    produce(&input);
    let (out, dlq) = (dir.path().join("out.jsonl"), dir.path().join("dlq.jsonl"));
    let output = support::retailflow()
        .args([
            "stream",
            "--analytics",
            "--window",
            "10s",
            "--allowed-lateness",
            "5s",
        ])
        .arg(format!("--source=file:{}", input.display()))
        .arg(format!("--output=jsonl:{}", out.display()))
        .arg(format!("--dlq=file:{}", dlq.display()))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let dead = support::json_lines(&dlq);
    assert!((100..=200).contains(&dead.len()), "{} late", dead.len());
    assert!(dead.iter().all(|letter| letter["reason"] == "late"));
    assert!(stderr.contains(&format!("{} late", dead.len())), "{stderr}");

    let results = support::json_lines(&out);
    let mut receipts_per_window: BTreeMap<String, u64> = BTreeMap::new();
    for summary in results.iter().filter(|r| r["kind"] == "window_summary") {
        receipts_per_window.insert(
            summary["window_start"].as_str().unwrap().to_owned(),
            summary["receipts"].as_u64().unwrap(),
        );
    }
    // 3000 receipts over 30 s of event time: three tumbling 10 s windows, aligned to the epoch.
    assert_eq!(
        receipts_per_window.keys().collect::<Vec<_>>(),
        [
            "2025-03-01T09:00:00.000Z",
            "2025-03-01T09:00:10.000Z",
            "2025-03-01T09:00:20.000Z"
        ]
    );
    assert_eq!(
        receipts_per_window.values().sum::<u64>(),
        3000 - dead.len() as u64
    );
    let tops: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r["kind"] == "top_stores")
        .collect();
    assert_eq!(tops.len(), 3);
    assert!(
        tops.iter()
            .all(|top| top["stores"].as_array().unwrap().len() == 5)
    );
    let popular = results
        .iter()
        .filter(|r| r["kind"] == "popular_items")
        .count();
    assert_eq!(popular, 3 * 8, "8 categories in each of 3 windows");
    assert!(results.iter().any(|r| r["kind"] == "big_receipt"));
}

#[test]
fn console_shows_a_table_per_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("receipts.jsonl");
    produce(&input);
    let output = support::retailflow()
        .args(["stream", "--big-receipt", "500"])
        .arg(format!("--source=file:{}", input.display()))
        .arg(format!(
            "--dlq=file:{}",
            dir.path().join("dlq.jsonl").display()
        ))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    for title in [
        "Batch: 0",
        "Top stores by revenue",
        "Big receipts",
        "Popular items by category",
        "Window summary",
        "|       window_start|         window_end|receipts|",
    ] {
        assert!(stdout.contains(title), "{title} missing from\n{stdout}");
    }
}

#[test]
fn latency_log_has_one_line_per_closed_window_with_ordered_times() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("receipts.jsonl");
    produce(&input);
    let (out, log) = (
        dir.path().join("out.jsonl"),
        dir.path().join("latency.jsonl"),
    );
    let output = support::retailflow()
        .args(["stream", "--window", "5s", "--trigger", "10ms"])
        .args(["--max-records-per-batch", "200"])
        .arg(format!("--source=file:{}", input.display()))
        .arg(format!("--output=jsonl:{}", out.display()))
        .arg(format!(
            "--dlq=file:{}",
            dir.path().join("dlq.jsonl").display()
        ))
        .arg(format!("--latency-log={}", log.display()))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let windows: Vec<String> = support::json_lines(&out)
        .iter()
        .filter(|r| r["kind"] == "window_summary")
        .map(|r| r["window_end"].as_str().unwrap().to_owned())
        .collect();
    // 30 s of event time in 5 s windows.
    assert_eq!(windows.len(), 6, "{windows:?}");
    let lines = support::json_lines(&log);
    let logged: Vec<String> = lines
        .iter()
        .map(|line| line["window_end"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(logged, windows);
    for line in &lines {
        let [received, passed, written] =
            ["received_at_ms", "watermark_passed_at_ms", "written_at_ms"]
                .map(|key| line[key].as_i64().unwrap());
        assert!(received <= passed && passed <= written, "{line}");
        assert!(received > 1_700_000_000_000, "{line}");
    }
}

/// `count` receipts at 1000 per second of event time, in order.
fn produce_in_order(path: &Path, count: u64) {
    let count = count.to_string();
    support::produce_receipts_to(
        path,
        &[
            "--seed",
            "5",
            "--count",
            &count,
            "--start-time",
            "2025-03-01T09:00:00Z",
            "--events-per-second",
            "1000",
        ],
    );
}

/// Runs the analytics over `input` in batches of 1000; returns the peak RSS in KiB, the most
/// panes one partition held and the partitions.
fn peak_memory_and_state(input: &Path, dir: &Path) -> (u64, u64, u64) {
    let output = support::retailflow()
        .args(["stream", "--window", "10s", "--slide", "2s"])
        .args(["--max-records-per-batch", "1000"])
        .arg(format!("--source=file:{}", input.display()))
        .arg(format!(
            "--output=jsonl:{}",
            dir.join("out.jsonl").display()
        ))
        .arg(format!("--dlq=file:{}", dir.join("dlq.jsonl").display()))
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let number_after = |label: &str| -> u64 {
        let at = stderr
            .find(label)
            .unwrap_or_else(|| panic!("no `{label}` in {stderr}"));
        stderr[at + label.len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (
        number_after("peak RSS "),
        number_after(" panes ("),
        number_after(" in one of "),
    )
}

/// The open-window state is freed as windows close: eight times the receipts (and event time) need
/// no more state per partition and about the same memory. (The long file is read as 16 parts, the
/// short one as 3: each part holds its own open windows.)
#[test]
fn memory_and_window_state_stay_flat_over_a_long_run() {
    let dir = tempfile::tempdir().unwrap();
    let (short, long) = (
        dir.path().join("short.jsonl"),
        dir.path().join("long.jsonl"),
    );
    produce_in_order(&short, 50_000);
    produce_in_order(&long, 400_000);
    let (short_rss, short_panes, short_parts) = peak_memory_and_state(&short, dir.path());
    let (long_rss, long_panes, long_parts) = peak_memory_and_state(&long, dir.path());
    assert_eq!((short_parts, long_parts), (3, 16));
    // 10 s windows every 2 s: a few 2 s panes between the watermark (5 s behind) and the newest
    // receipt per partition, however long the run.
    assert!((3..=10).contains(&short_panes), "{short_panes} panes");
    assert!(
        long_panes <= short_panes + 1,
        "{long_panes} vs {short_panes}"
    );
    // Memory grows with the parts only: each holds its own open windows (a few panes, each with
    // the pair counts of the catalog's 200 items, 160 KiB) and names, about 2 MiB.
    let per_part = 2 * 1024;
    assert!(
        long_rss <= short_rss + short_rss / 4 + (long_parts - short_parts) * per_part,
        "peak RSS {long_rss} KiB over 400,000 receipts in {long_parts} parts vs {short_rss} KiB \
         over 50,000 in {short_parts}"
    );
}
