//! `retailflow produce --anomalies`: what it says it injects is what the alerting analyses find,
//! in batch (`retailflow windows`) and in the stream, and nothing else alerts at the cashiers.

use std::path::Path;

use crate::support;

/// 60,000 receipts at 200 per second of event time from a window boundary: 30 windows of 10 s.
const PRODUCE: [&str; 8] = [
    "--seed",
    "42",
    "--start-time",
    "2025-01-01T00:00:00Z",
    "--events-per-second",
    "200",
    "--count",
    "60000",
];

fn produce(path: &Path) -> String {
    let output = support::retailflow()
        .args(["produce", "--mode", "receipts", "--anomalies"])
        .args(PRODUCE)
        .arg("--out")
        .arg(path)
        .output()
        .unwrap();
    support::succeeded("produce --anomalies", &output)
}

fn of_kind<'a>(results: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    results.iter().filter(|r| r["kind"] == kind).collect()
}

#[test]
fn the_injected_anomalies_are_printed_and_found_in_batch_and_stream() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("receipts.jsonl");
    let stderr = produce(&input);
    let injected: Vec<&str> = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("produce: injecting "))
        .collect();
    assert_eq!(
        injected,
        [
            "revenue spike: store S002 sells 6x in [2025-01-01T00:02:30.000Z, 2025-01-01T00:02:40.000Z)",
            "store going silent: no receipts from store S003 in [2025-01-01T00:04:10.000Z, 2025-01-01T00:04:40.000Z)",
            "cashier burst: 3 receipts of 5084.00 by cashier S047-C4 8s apart, from 2025-01-01T00:03:20.000Z",
            "association rule: 80% of receipts with Item_2_BEV also hold Item_9_PAT",
        ],
        "{stderr}"
    );

    let batch = dir.path().join("batch.jsonl");
    let output = support::retailflow()
        .arg("windows")
        .arg(&input)
        .args(["--big-receipt", "5000"])
        .arg(format!("--output=jsonl:{}", batch.display()))
        .output()
        .unwrap();
    support::succeeded("windows", &output);
    let results = support::json_lines(&batch);

    let anomalies: Vec<(String, String, String)> = of_kind(&results, "store_anomaly")
        .iter()
        .map(|a| {
            (
                a["window_start"].as_str().unwrap().to_owned(),
                a["store_id"].as_str().unwrap().to_owned(),
                a["direction"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("2025-01-01T00:02:30.000Z", "S002", "spike"),
        ("2025-01-01T00:04:10.000Z", "S003", "drop"),
    ] {
        let expected = (
            expected.0.to_owned(),
            expected.1.to_owned(),
            expected.2.to_owned(),
        );
        assert!(
            anomalies.contains(&expected),
            "{expected:?} not in {anomalies:#?}"
        );
    }

    let alerts = of_kind(&results, "cashier_alert");
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["cashier_id"], "S047-C4");
    assert_eq!(alerts[0]["first_ts"], "2025-01-01T00:03:20.000Z");
    assert_eq!(alerts[0]["last_ts"], "2025-01-01T00:03:36.000Z");
    assert_eq!(alerts[0]["total"], 15252.0);

    let together = of_kind(&results, "bought_together");
    assert_eq!(together.len(), 30);
    for window in &together {
        let top = &window["pairs"][0];
        assert_eq!(
            (&top["a"], &top["b"]),
            (&"Item_2_BEV".into(), &"Item_9_PAT".into())
        );
        assert!(top["lift"].as_f64().unwrap() > 5.0, "{top}");
        assert!(top["confidence_ab"].as_f64().unwrap() > 0.7, "{top}");
    }

    let streamed = dir.path().join("stream.jsonl");
    let output = support::retailflow()
        .args(["stream", "--format", "receipts", "--big-receipt", "5000"])
        .arg(format!("--source=file:{}", input.display()))
        .arg(format!("--output=jsonl:{}", streamed.display()))
        .output()
        .unwrap();
    let stderr = support::succeeded("stream", &output);
    assert_eq!(
        support::sorted_lines(&streamed),
        support::sorted_lines(&batch)
    );
    let alert_lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("ALERT "))
        .collect();
    assert_eq!(alert_lines.len(), anomalies.len() + 1, "{stderr}");
    assert!(
        alert_lines.iter().any(|line| line.contains(
            "ALERT cashier S047-C4 at store S047: 3 big receipts from 2025-01-01T00:03:20.000Z to 2025-01-01T00:03:36.000Z"
        )),
        "{stderr}"
    );
    assert!(
        alert_lines
            .iter()
            .any(|line| line.contains("ALERT store S003 drop in window 2025-01-01T00:04:10.000Z")),
        "{stderr}"
    );
}
