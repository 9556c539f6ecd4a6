//! Hostile values, as a new user would try them: a till with a broken clock, absurd quantities and
//! prices, a price of 1e308 in the CSV, negative quantities on both sides, repeated receipts. Each
//! is refused or nulled and counted; no figure is clamped, non-finite or silently wrong.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support;

fn receipt(id: &str, store: &str, ts: &str, price: &str, quantity: &str) -> String {
    format!(
        r#"{{"receipt_id":"{id}","store_id":"{store}","cashier_id":"{store}-C1","ts":"{ts}","items":[{{"name":"Item_1_FOOD","category":"Food","price":{price},"quantity":{quantity}}}]}}"#
    )
}

/// Runs `retailflow stream --analytics` over `lines`; returns (results, dead letters, stderr).
fn stream(dir: &Path, lines: &[String], flags: &[&str]) -> (Vec<Value>, Vec<Value>, String) {
    let input = dir.join("receipts.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let (out, dlq) = (dir.join("out.jsonl"), dir.join("dlq.jsonl"));
    let output = support::retailflow()
        .args(["stream", "--analytics", "--window", "10s"])
        .args(flags)
        .arg(format!("--source=file:{}", input.display()))
        .arg(format!("--output=jsonl:{}", out.display()))
        .arg(format!("--dlq=file:{}", dlq.display()))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    (support::json_lines(&out), support::json_lines(&dlq), stderr)
}

/// `(window_start, receipts, revenue, items)` of every window summary.
fn summaries(results: &[Value]) -> Vec<(String, u64, f64, i64)> {
    results
        .iter()
        .filter(|r| r["kind"] == "window_summary")
        .map(|r| {
            (
                r["window_start"].as_str().unwrap().to_owned(),
                r["receipts"].as_u64().unwrap(),
                r["revenue"].as_f64().unwrap(),
                r["items"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn reasons(dead: &[Value]) -> Vec<(&str, &str, i64)> {
    dead.iter()
        .map(|d| {
            (
                d["reason"].as_str().unwrap(),
                d["detail"].as_str().unwrap(),
                d["offset"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_far_future_receipt_is_dead_lettered_as_future_and_the_later_receipts_count() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        receipt("R1", "S001", "2025-01-01T00:00:01.000Z", "10", "1"),
        receipt("R2", "S001", "9999-12-31T23:59:59.999Z", "10", "1"),
        receipt("R3", "S002", "2025-01-01T00:00:12.000Z", "20", "2"),
        receipt("R4", "S001", "2025-01-01T00:00:03.000Z", "5", "1"),
        receipt("R5", "S002", "2025-01-01T00:00:25.000Z", "1", "3"),
    ];
    let (results, dead, stderr) = stream(dir.path(), &lines, &[]);
    let dead = reasons(&dead);
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!((dead[0].0, dead[0].2), ("future", 2));
    assert!(
        dead[0].1.starts_with(
            "event time 9999-12-31T23:59:59.999Z is more than 3600s ahead of the clock"
        ),
        "{}",
        dead[0].1
    );
    assert_eq!(
        summaries(&results),
        [
            ("2025-01-01T00:00:00.000Z".to_string(), 2, 15.0, 2),
            ("2025-01-01T00:00:10.000Z".to_string(), 1, 40.0, 2),
            ("2025-01-01T00:00:20.000Z".to_string(), 1, 3.0, 3),
        ]
    );
    assert!(stderr.contains("dead-lettered (future 1)"), "{stderr}");
    assert!(stderr.contains("0 late, 1 future"), "{stderr}");
    for result in &results {
        if let (Some(start), Some(end)) = (
            result["window_start"].as_str(),
            result["window_end"].as_str(),
        ) {
            assert!(start < end, "{result}");
        }
    }
}

#[test]
fn a_widened_max_future_lets_synthetic_clocks_through_within_the_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        receipt("R1", "S001", "9000-01-01T00:00:01.000Z", "10", "1"),
        receipt("R2", "S001", "9999-12-31T23:59:55.000Z", "10", "1"),
    ];
    let (results, dead, _) = stream(dir.path(), &lines, &["--max-future", "100000000h"]);
    // R2's window would end in the year 10000: refused, not printed with a clamped end.
    assert_eq!(reasons(&dead).len(), 1);
    assert_eq!(reasons(&dead)[0].0, "invalid_value");
    assert_eq!(
        reasons(&dead)[0].1,
        "ts 9999-12-31T23:59:55.000Z: its windows reach outside years 1 to 9999"
    );
    assert_eq!(
        summaries(&results),
        [("9000-01-01T00:00:00.000Z".to_string(), 1, 10.0, 1)]
    );
}

#[test]
fn absurd_quantities_and_prices_are_dead_lettered_with_the_field_and_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        receipt("R1", "S001", "2025-01-01T00:00:01.000Z", "10", "1"),
        receipt(
            "R2",
            "S001",
            "2025-01-01T00:00:02.000Z",
            "10",
            "4611686018427387904",
        ),
        receipt("R3", "S001", "2025-01-01T00:00:03.000Z", "1e300", "1"),
        receipt("R4", "S001", "2025-01-01T00:00:04.000Z", "10", "-3"),
    ];
    let (results, dead, _) = stream(dir.path(), &lines, &[]);
    assert_eq!(
        reasons(&dead),
        [
            (
                "invalid_value",
                "items[0].quantity 4611686018427387904 breaks above_max (allowed: 1..=100000)",
                2
            ),
            (
                "invalid_value",
                "items[0].price 1e300 breaks above_max (allowed: 0..=1000000)",
                3
            ),
            (
                "invalid_value",
                "items[0].quantity -3 breaks below_min (allowed: 1..=100000)",
                4
            ),
        ]
    );
    assert_eq!(
        summaries(&results),
        [("2025-01-01T00:00:00.000Z".to_string(), 1, 10.0, 1)]
    );
}

#[test]
fn tighter_rules_are_used_by_stream_and_windows_alike() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        receipt("R1", "S001", "2025-01-01T00:00:01.000Z", "10", "5"),
        receipt("R2", "S001", "2025-01-01T00:00:02.000Z", "10", "6"),
        receipt("R3", "S001", "2025-01-01T00:00:03.000Z", "60", "1"),
    ];
    let flags = ["--max-quantity", "5", "--max-price", "50"];
    let (results, dead, _) = stream(dir.path(), &lines, &flags);
    assert_eq!(
        reasons(&dead)
            .iter()
            .map(|(reason, detail, _)| (*reason, *detail))
            .collect::<Vec<_>>(),
        [
            (
                "invalid_value",
                "items[0].quantity 6 breaks above_max (allowed: 1..=5)"
            ),
            (
                "invalid_value",
                "items[0].price 60 breaks above_max (allowed: 0..=50)"
            ),
        ]
    );
    let output = support::retailflow()
        .arg("windows")
        .arg(dir.path().join("receipts.jsonl"))
        .args(flags)
        .args(["--output", "jsonl:-"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let batch: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(summaries(&batch), summaries(&results));
    assert_eq!(
        summaries(&batch),
        [("2025-01-01T00:00:00.000Z".to_string(), 1, 50.0, 5)]
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid_value 2"), "{stderr}");
}

#[test]
fn dedupe_counts_a_repeated_receipt_once() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        receipt("R1", "S001", "2025-01-01T00:00:01.000Z", "10", "1"),
        receipt("R1", "S001", "2025-01-01T00:00:02.000Z", "10", "1"),
        receipt("R2", "S001", "2025-01-01T00:00:03.000Z", "10", "1"),
    ];
    let (results, dead, stderr) = stream(dir.path(), &lines, &["--dedupe"]);
    assert_eq!(
        reasons(&dead),
        [(
            "duplicate",
            "receipt_id R1 was already counted (first at event time 2025-01-01T00:00:01.000Z)",
            2
        )]
    );
    assert_eq!(
        summaries(&results),
        [("2025-01-01T00:00:00.000Z".to_string(), 2, 20.0, 2)]
    );
    assert!(stderr.contains("1 duplicates"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let (results, dead, _) = stream(dir.path(), &lines, &[]);
    assert!(dead.is_empty());
    assert_eq!(
        summaries(&results),
        [("2025-01-01T00:00:00.000Z".to_string(), 3, 30.0, 3)]
    );
}

const HEADER: &str = "Transaction ID,Customer ID,Category,Item,Price Per Unit,Quantity,Total Spent,Payment Method,Location,Transaction Date,Discount Applied";

/// Runs `retailflow clean` over `rows` with `flags`; returns the report.
fn clean(dir: &Path, rows: &[&str], flags: &[&str]) -> Value {
    let input = dir.join("sales.csv");
    std::fs::write(&input, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
    let report = dir.join("report.json");
    let output = support::retailflow()
        .arg("clean")
        .arg(&input)
        .arg("--report")
        .arg(&report)
        .arg("--quiet")
        .args(flags)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap()
}

#[test]
fn a_price_of_1e308_is_out_of_range_and_the_averages_are_those_of_the_sane_rows() {
    let dir = tempfile::tempdir().unwrap();
    let sane = [
        "TXN_1,C1,Food,Item_1_FOOD,10.0,2,20.0,Cash,Online,2024-01-01,True",
        "TXN_2,C2,Food,Item_1_FOOD,10.0,3,30.0,Cash,In-store,2024-01-02,False",
        "TXN_4,C4,Food,Item_1_FOOD,10.0,1,10.0,Credit Card,Online,2024-01-04,False",
    ];
    let hostile = "TXN_3,C3,Food,Item_2_FOOD,1e308,1,,Cash,Online,2024-01-03,True";
    let report = clean(dir.path(), &[sane[0], sane[1], hostile, sane[2]], &[]);
    assert_eq!(
        report["out_of_range"],
        json!({
            "price_per_unit": {"below_min": 0, "above_max": 1},
            "quantity": {"below_min": 0, "above_max": 0},
            "total_spent": {"below_min": 0, "above_max": 0}
        })
    );
    assert_eq!(
        report["value_rules"],
        json!({"max_quantity": 100000, "max_price": 1000000.0, "max_total": 100000000000.0})
    );
    assert_eq!(report["rows_dropped"], 1);
    assert_eq!(report["nulls_after_cast"]["price_per_unit"], 1);
    let averages = json!({"Cash": 25.0, "Credit Card": 10.0});
    assert_eq!(report["avg_total_spent_by_payment_method"], averages);
    assert_eq!(
        report["avg_total_spent_by_location"],
        json!({"In-store": 30.0, "Online": 15.0})
    );
    let dir = tempfile::tempdir().unwrap();
    let sane_only = clean(dir.path(), &sane, &[]);
    assert_eq!(sane_only["avg_total_spent_by_payment_method"], averages);
}

#[test]
fn clean_and_stream_give_a_negative_quantity_the_same_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let report = clean(
        dir.path(),
        &[
            "TXN_1,C1,Food,Item_1_FOOD,10.0,2,20.0,Cash,Online,2024-01-01,True",
            "TXN_2,C2,Food,Item_1_FOOD,10.0,-3,,Cash,Online,2024-01-02,True",
        ],
        &[],
    );
    assert_eq!(
        report["out_of_range"]["quantity"],
        json!({"below_min": 1, "above_max": 0})
    );
    assert_eq!(
        (report["rows_dropped"].clone(), report["rows_clean"].clone()),
        (json!(1), json!(1))
    );
    let (_, dead, _) = stream(
        dir.path(),
        &[receipt(
            "R1",
            "S001",
            "2025-01-01T00:00:01.000Z",
            "10",
            "-3",
        )],
        &[],
    );
    assert_eq!(
        reasons(&dead),
        [(
            "invalid_value",
            "items[0].quantity -3 breaks below_min (allowed: 1..=100000)",
            1
        )]
    );
}

#[test]
fn unusable_limits_are_one_line_errors_naming_the_flag() {
    let output = support::retailflow()
        .args(["clean", "whatever.csv", "--max-quantity", "0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: --max-quantity must be at least 1, not 0\n"
    );
    let output = support::retailflow()
        .args(["stream", "--source", "file:x.jsonl", "--max-price=-1"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: --max-price must be a finite number above 0, not -1\n"
    );
}

#[test]
fn help_states_the_value_rules() {
    for command in ["clean", "stream", "windows"] {
        let output = support::retailflow()
            .args([command, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(
            help.contains("Value rules (the same in clean, stream and windows)"),
            "{command}"
        );
        assert!(help.contains("--max-quantity"), "{command}");
    }
    let output = support::retailflow()
        .args(["stream", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--max-future") && help.contains("--dedupe"));
}
