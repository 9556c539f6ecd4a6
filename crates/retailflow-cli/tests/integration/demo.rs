//! Integration tests of `retailflow demo`: the batch half's story, and the stream half's alerts on
//! its injected anomalies (the stream's tables are covered in `stream`).

use crate::support::retailflow;

#[test]
fn demo_batch_half_tells_the_whole_story_on_a_generated_sample() {
    let output = retailflow()
        .args(["demo", "--rows", "2000", "--seed", "7", "--skip-stream"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("a generated sample of 2000 dirty sales rows"),
        "{stdout}"
    );
    assert!(
        stdout.contains("root\n |-- Transaction ID: string (nullable = true)"),
        "{stdout}"
    );
    assert!(stdout.contains("transaction_month"), "{stdout}");
    assert!(!stdout.contains("== Stream:"), "{stdout}");
}

/// The stream half with its injected anomalies, event time 20x the wall clock so that the 28
/// windows of the layout pass in 14 s: every alert the producer announces fires.
#[test]
fn demo_stream_half_shows_each_injected_anomaly_alert() {
    let output = retailflow()
        .args(["demo", "--skip-batch", "--duration", "30s"])
        .args(["--rate", "4000", "--event-speed", "20"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let injected = stderr
        .lines()
        .filter(|line| line.starts_with("produce: injecting "))
        .count();
    assert_eq!(injected, 4, "{stderr}");
    for alert in [
        "ALERT store S002 spike",
        "ALERT store S003 drop",
        "ALERT cashier S047-C4 at store S047: 3 big receipts",
    ] {
        assert!(stderr.contains(alert), "no `{alert}` in:\n{stderr}");
    }
    assert!(stdout.contains("Bought together"), "{stdout}");
    assert!(
        stdout.contains("|   1|Item_2_BEV| Item_9_PAT|"),
        "the rule's pair is not ranked first:\n{stdout}"
    );
}
