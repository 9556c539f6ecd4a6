//! The HTTP endpoints as a browser or `curl` meets them: a dashboard on `127.0.0.1:0`, spoken to
//! over plain TCP, fed the way `retailflow dashboard --from` feeds it.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use retailflow_eventtime::{BigReceipt, EventTime, Money, Output};
use retailflow_stream::analytics::result_sets;
use retailflow_stream::monitor::RunHealth;

use crate::board::FEED_KEPT;
use crate::health::HealthView;
use crate::test_data::{entry, window};
use crate::{Dashboard, DashboardError};

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// A response: status line, headers (names lower-cased) and body.
struct Response {
    status: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends `method path` as HTTP/1.0 (the body then ends with the connection) and reads the reply.
fn request(dashboard: &Dashboard, method: &str, path: &str) -> Response {
    let mut stream = TcpStream::connect(dashboard.address()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: localhost\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().to_string();
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(key, value)| (key.to_ascii_lowercase(), value.to_string()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_string(),
    }
}

fn get_json(dashboard: &Dashboard, path: &str) -> serde_json::Value {
    let response = request(dashboard, "GET", path);
    assert!(response.status.contains(" 200 "), "{}", response.status);
    serde_json::from_str(&response.body).unwrap()
}

fn health(processed: u64) -> HealthView {
    HealthView {
        job: "test".to_string(),
        state: "running",
        processed,
        received: processed,
        batches: processed,
        ..HealthView::default()
    }
}

/// A stream's health after `batches` batches of one receipt each.
fn run_health(batches: u64) -> RunHealth {
    RunHealth {
        source: "file:test".to_string(),
        at: retailflow_eventtime::ProcessingTime::from_millis(0),
        ended: false,
        received: batches,
        processed: batches,
        dead_letters: Default::default(),
        batches,
        stage: Default::default(),
        checkpoint: None,
    }
}

/// Waits until the snapshot's health has `processed` at `expected`.
fn wait_for_processed(dashboard: &Dashboard, expected: u64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let snapshot = get_json(dashboard, "/api/snapshot");
        if snapshot["health"]["processed"] == expected {
            return snapshot;
        }
        assert!(Instant::now() < deadline, "{snapshot}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An open `/api/events` stream, read event by event.
struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    fn open(dashboard: &Dashboard) -> (Events, Vec<String>) {
        let mut stream = TcpStream::connect(dashboard.address()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET /api/events HTTP/1.0\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            head.push(line.trim_end().to_string());
        }
        (Events { reader }, head)
    }

    /// The next event's lines (`event: …`, `data: …`), keep-alive comments skipped.
    fn next(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            assert!(
                self.reader.read_line(&mut line).unwrap() > 0,
                "stream ended"
            );
            let line = line.trim_end_matches('\n').to_string();
            if line.is_empty() {
                if !lines.is_empty() {
                    return lines;
                }
            } else if !line.starts_with(':') {
                lines.push(line);
            }
        }
    }
}

#[test]
fn the_snapshot_has_every_key_and_keeps_result_objects_as_they_came() {
    let dashboard = Dashboard::start("127.0.0.1:0", "test job").unwrap();
    let empty = get_json(&dashboard, "/api/snapshot");
    let keys: Vec<&str> = empty
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "health",
        "windows",
        "top_stores",
        "popular_items",
        "big_receipts",
        "anomalies",
        "bought_together",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert_eq!(empty["health"]["state"], "starting");
    assert_eq!(empty["health"]["job"], "test job");
    assert_eq!(empty["top_stores"], serde_json::Value::Null);
    for key in [
        "received",
        "processed",
        "dead_letters",
        "late",
        "watermark",
        "watermark_lag_ms",
        "receipts_per_s",
        "batches",
        "partitions",
        "checkpoint",
    ] {
        assert!(empty["health"].get(key).is_some(), "health.{key} missing");
    }

    let top = format!(
        r#"{{"kind":"top_stores",{},"stores":[{{"store_id":"<b>S9</b>","revenue":120.5}},{{"store_id":"S1","revenue":80.0}}]}}"#,
        window(0)
    );
    let item = format!(
        r#"{{"kind":"popular_items",{},"category":"Furniture","items":[{{"item":"{HOSTILE}","units":3}}]}}"#,
        window(0)
    );
    dashboard.send_topic(vec![entry(&top), entry(&item)], health(7));
    let snapshot = wait_for_processed(&dashboard, 7);
    assert_eq!(
        snapshot["top_stores"],
        serde_json::from_str::<serde_json::Value>(&top).unwrap()
    );
    assert_eq!(snapshot["top_stores"]["stores"][0]["store_id"], "<b>S9</b>");
    assert_eq!(snapshot["popular_items"][0]["items"][0]["item"], HOSTILE);
}

#[test]
fn it_answers_get_only_with_safe_headers_and_no_cors() {
    let dashboard = Dashboard::start("127.0.0.1:0", "test job").unwrap();
    let page = request(&dashboard, "GET", "/");
    assert!(page.status.contains(" 200 "), "{}", page.status);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.body.contains(r#"<script src="app.js""#),
        "{}",
        page.body
    );
    for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(!page.body.contains(external), "the page loads {external}");
    }
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .starts_with("default-src 'self'; script-src 'self'")
    );
    assert_eq!(page.header("access-control-allow-origin"), None);

    let chart = request(&dashboard, "GET", "/vendor/chart.umd.js");
    assert_eq!(
        chart.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(chart.body.len() > 100_000, "{} bytes", chart.body.len());
    let license = request(&dashboard, "GET", "/vendor/chart.js.LICENSE.md");
    assert!(license.body.contains("MIT"), "{}", license.body);

    let snapshot = request(&dashboard, "GET", "/api/snapshot");
    assert_eq!(snapshot.header("content-type"), Some("application/json"));
    assert_eq!(snapshot.header("cache-control"), Some("no-store"));
    assert_eq!(snapshot.header("access-control-allow-origin"), None);

    for method in ["POST", "PUT", "DELETE"] {
        let refused = request(&dashboard, method, "/api/snapshot");
        assert!(
            refused.status.contains(" 405 "),
            "{method}: {}",
            refused.status
        );
    }
    let missing = request(&dashboard, "GET", "/../../etc/passwd");
    assert!(missing.status.contains(" 404 "), "{}", missing.status);
}

#[test]
fn events_are_a_hello_snapshot_then_one_results_event_per_batch() {
    let dashboard = Dashboard::start("127.0.0.1:0", "test job").unwrap();
    let summary = format!(
        r#"{{"kind":"window_summary",{},"receipts":12,"revenue":345.5}}"#,
        window(0)
    );
    dashboard.send_topic(vec![entry(&summary)], health(12));
    wait_for_processed(&dashboard, 12);

    let (mut events, head) = Events::open(&dashboard);
    assert!(head[0].contains(" 200 "), "{head:?}");
    assert!(
        head.iter()
            .any(|line| line.eq_ignore_ascii_case("content-type: text/event-stream")),
        "{head:?}"
    );
    let hello = events.next();
    assert_eq!(hello[0], "event: hello");
    assert_eq!(hello.len(), 2, "{hello:?}");
    let data: serde_json::Value =
        serde_json::from_str(hello[1].strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(data["windows"][0]["receipts"], 12);
    assert_eq!(data["health"]["processed"], 12);

    let big = r#"{"kind":"big_receipt","receipt_id":"R-1","store_id":"S3","ts":"2026-12-03T08:00:04.000Z","total":9000.0}"#;
    dashboard.send_topic(vec![entry(big)], health(13));
    let results = events.next();
    assert_eq!(results[0], "event: results");
    let data: serde_json::Value =
        serde_json::from_str(results[1].strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(
        data["results"],
        serde_json::json!([serde_json::from_str::<serde_json::Value>(big).unwrap()])
    );
    assert_eq!(data["health"]["processed"], 13);

    dashboard.send_topic(Vec::new(), health(14));
    let idle = events.next();
    let data: serde_json::Value =
        serde_json::from_str(idle[1].strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(data["results"], serde_json::json!([]));
    assert_eq!(data["health"]["processed"], 14);
}

#[test]
fn a_client_that_never_reads_stalls_nothing() {
    let dashboard = Dashboard::start("127.0.0.1:0", "test job").unwrap();
    // Opens the event stream and never reads a byte of it.
    let (_stalled, _) = Events::open(&dashboard);
    let (mut reading, _) = Events::open(&dashboard);
    assert_eq!(reading.next()[0], "event: hello");

    // Each batch ~10 kB: 3,000 of them are far more than the socket buffers hold.
    let padding = "x".repeat(10_000);
    let started = Instant::now();
    let batches = 3_000u64;
    for batch in 1..=batches {
        let big = format!(
            r#"{{"kind":"big_receipt","receipt_id":"R-{batch}","store_id":"S1","ts":"2026-12-03T08:00:04.000Z","total":9000.0,"note":"{padding}"}}"#
        );
        dashboard.send_topic(vec![entry(&big)], health(batch));
    }
    let snapshot = wait_for_processed(&dashboard, batches);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(snapshot["big_receipts"].as_array().unwrap().len(), 100);
    assert_eq!(
        snapshot["big_receipts"][0]["receipt_id"],
        format!("R-{batches}")
    );
    // The reading client kept up or, if it fell behind, was told so by the end of its stream;
    // either way a fresh client sees the latest batch at once.
    let (mut fresh, _) = Events::open(&dashboard);
    let hello = fresh.next();
    let data: serde_json::Value =
        serde_json::from_str(hello[1].strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(data["health"]["processed"], batches);
}

#[test]
fn the_monitor_never_waits_for_the_dashboard() {
    let dashboard = Dashboard::start("127.0.0.1:0", "test job").unwrap();
    let monitor = dashboard.monitor();
    let health = run_health(1);
    let started = Instant::now();
    for _ in 0..100_000 {
        monitor.on_batch(&[], &health);
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Updates it could not take at once were left out and counted, not queued without bound.
    let snapshot = wait_for_processed(&dashboard, 1);
    assert!(dashboard.dropped_updates() > 0);
    assert!(snapshot["health"]["dropped_updates"].as_u64().unwrap() <= dashboard.dropped_updates());
}

#[test]
fn of_a_large_batch_only_the_big_receipts_the_page_keeps_are_sent() {
    let dashboard = Dashboard::start("127.0.0.1:0", "test job").unwrap();
    let (mut events, _) = Events::open(&dashboard);
    assert_eq!(events.next()[0], "event: hello");
    let receipts = (0..250)
        .map(|n| {
            Output::BigReceipt(BigReceipt {
                receipt_id: format!("R{n}"),
                store_id: "S1".to_string(),
                cashier_id: "C1".to_string(),
                ts: EventTime::from_millis(1_000 * n),
                total: Money::from_hundredths(60_000 + n),
            })
        })
        .collect();
    dashboard
        .monitor()
        .on_batch(&result_sets(receipts, false), &run_health(1));

    let results = events.next();
    assert_eq!(results[0], "event: results");
    let data: serde_json::Value =
        serde_json::from_str(results[1].strip_prefix("data: ").unwrap()).unwrap();
    let sent = data["results"].as_array().unwrap();
    assert_eq!(sent.len(), FEED_KEPT);
    assert_eq!(sent[0]["receipt_id"], "R150");
    assert_eq!(sent[FEED_KEPT - 1]["receipt_id"], "R249");
    assert_eq!(sent[FEED_KEPT - 1]["total"], 602.49);
    let snapshot = wait_for_processed(&dashboard, 1);
    let shown = snapshot["big_receipts"].as_array().unwrap();
    assert_eq!(shown.len(), FEED_KEPT);
    assert_eq!(shown[0]["receipt_id"], "R249");
    assert_eq!(shown[FEED_KEPT - 1]["receipt_id"], "R150");
    assert_eq!(dashboard.dropped_updates(), 0);
}

#[test]
fn a_port_in_use_is_a_clear_error_at_start() {
    let first = Dashboard::start("127.0.0.1:0", "first").unwrap();
    let taken = first.address().to_string();
    let error = Dashboard::start(&taken, "second").unwrap_err();
    assert!(matches!(error, DashboardError::Listen { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&taken), "{message}");
    assert!(
        message.contains("uses that port; choose another HOST:PORT)"),
        "{message}"
    );
    assert!(
        !message.contains("--"),
        "names no flag of one command: {message}"
    );

    let elsewhere = Dashboard::start_or_any_port(&taken, "second").unwrap();
    assert_ne!(elsewhere.address(), first.address());
    assert!(elsewhere.address().ip().is_loopback());

    let error = Dashboard::start("localhost", "third").unwrap_err();
    assert!(matches!(error, DashboardError::Address { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "dashboard: localhost is not an address to listen on (expected HOST:PORT, e.g. 127.0.0.1:8080)"
    );
}
