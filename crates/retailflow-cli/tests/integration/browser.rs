//! The dashboard and the batch report as a person sees them: Debian's Chromium, headless, opens
//! the page of a running demo and of a stream with a hostile item name, and what it renders is
//! compared with `/api/snapshot`; it opens the `report.html` of `clean --plots` and finds its
//! charts drawn with their text. Screenshots land in `target/tmp/browser/`. Without `chromium` on
//! the path the tests skip, except with `CI=true`, where they fail.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{plots, support};

const HOSTILE_ITEM: &str = "<img src=x onerror=alert(1)>";
const HOSTILE_STORE: &str = "<b>S999</b>";

fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|path| path.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true and chromium is not installed"
        );
        eprintln!("skipping: chromium is not installed");
    }
    found
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Headless Chromium on `url`: the DOM after the page's scripts ran, and a screenshot if asked.
fn render(chromium: &Path, url: &str, screenshot: Option<&Path>) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut command = Command::new(chromium);
    command
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
        ])
        .args(["--disable-sync", "--no-first-run", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--virtual-time-budget=5000", "--window-size=1366,900"]);
    match screenshot {
        Some(path) => command.arg(format!("--screenshot={}", path.display())),
        None => command.arg("--dump-dom"),
    };
    let output = command.arg(url).stdin(Stdio::null()).output().unwrap();
    assert!(
        output.status.success(),
        "chromium on {url} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    if let Some(path) = screenshot {
        let png = std::fs::read(path).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{} is no PNG", path.display());
        assert!(png.len() > 20_000, "{} is blank", path.display());
    }
    String::from_utf8(output.stdout).unwrap()
}

/// The store ids of the page's top-stores table, in order.
fn page_top_stores(dom: &str) -> Vec<String> {
    let table = dom
        .split("id=\"top-stores-list\"")
        .nth(1)
        .expect("no top-stores table")
        .split("</table>")
        .next()
        .unwrap();
    table
        .split("<span class=\"store-id\">")
        .skip(1)
        .map(|cell| cell.split("</span>").next().unwrap().to_string())
        .collect()
}

fn text_of(dom: &str, id: &str) -> String {
    let after = dom.split(&format!("id=\"{id}\"")).nth(1).unwrap();
    let inner = after.split_once('>').unwrap().1;
    inner.split('<').next().unwrap().to_string()
}

fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The text of each `<text>` element of `svg`, in order, with the entities read back.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|element| {
            let inner = element.split_once('>').unwrap().1;
            inner
                .split('<')
                .next()
                .unwrap()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn the_dashboard_of_a_demo_shows_the_top_stores_of_its_snapshot() {
    let Some(chromium) = chromium() else { return };
    let mut demo = support::Running::spawn(
        &[
            "demo",
            "--skip-batch",
            "--duration",
            "40s",
            "--dashboard",
            "127.0.0.1:0",
        ]
        .map(String::from),
    );
    let address = demo.dashboard();
    let deadline = Instant::now() + Duration::from_secs(60);
    while support::snapshot(address)["top_stores"].is_null() {
        assert!(Instant::now() < deadline, "no window closed");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Snapshot only (`live=0`): an open event stream would keep headless Chromium from finishing.
    let url = format!("http://{address}/?live=0");
    let dom = render(&chromium, &url, None);
    let after = support::snapshot(address);
    assert!(dom.contains("data-ready=\"1\""), "{dom}");
    let shown = page_top_stores(&dom);
    let window = text_of(&dom, "top-stores-window");
    // The page shows the newest window it was given; find that window in the snapshot's history.
    let history = after["top_store_history"].as_array().unwrap();
    let matching: Vec<&serde_json::Value> = history
        .iter()
        .filter(|top| {
            let start = &top["window_start"].as_str().unwrap()[11..19];
            window.contains(&format!("{start}–"))
        })
        .collect();
    assert_eq!(matching.len(), 1, "window {window:?} in {history:?}");
    let expected: Vec<String> = matching[0]["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|store| store["store_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(shown, expected);
    assert_eq!(shown.len(), 5, "{shown:?}");
    assert_eq!(text_of(&dom, "health-state"), "running");

    render(&chromium, &url, Some(&screenshots().join("dashboard.png")));
    demo.interrupt_and_wait();
}

#[test]
fn a_hostile_item_name_renders_as_text() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("receipts.jsonl");
    support::produce_receipts_to(&input, &["--seed", "5", "--count", "2000"]);
    // Last, in the last window: a receipt of a hostile store selling a hostile item, many of it.
    let hostile = serde_json::json!({
        "receipt_id": "R-hostile",
        "store_id": HOSTILE_STORE,
        "cashier_id": "C-1",
        "ts": "2025-01-01T00:00:01.990Z",
        "items": [{"name": HOSTILE_ITEM, "category": "Furniture", "price": 40.0, "quantity": 900}],
    });
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .unwrap();
    writeln!(file, "{hostile}").unwrap();
    drop(file);

    let mut stream = support::Running::spawn(&[
        "stream".to_string(),
        "--analytics".to_string(),
        "--window".to_string(),
        "1s".to_string(),
        "--big-receipt".to_string(),
        "5000".to_string(),
        format!("--source=file:{}", input.display()),
        format!("--output=jsonl:{}", dir.path().join("out.jsonl").display()),
        format!("--dlq=file:{}", dir.path().join("dlq.jsonl").display()),
        "--dashboard".to_string(),
        "127.0.0.1:0".to_string(),
    ]);
    let address = stream.dashboard();
    stream.wait_for("still shows its results");
    let data = support::snapshot(address);
    let items = serde_json::to_string(&data["popular_items"]).unwrap();
    assert!(items.contains("<img src=x onerror=alert(1)>"), "{items}");
    assert_eq!(data["big_receipts"][0]["store_id"], HOSTILE_STORE);

    let url = format!("http://{address}/?live=0");
    let dom = render(&chromium, &url, None);
    assert!(dom.contains("data-ready=\"1\""), "{dom}");
    assert!(dom.contains(&html_text(HOSTILE_ITEM)), "{dom}");
    assert!(dom.contains(&html_text(HOSTILE_STORE)), "{dom}");
    for injected in ["<img src=\"x\"", "<img src=x", "<b>S999"] {
        assert!(!dom.contains(injected), "{injected} became markup:\n{dom}");
    }
    render(
        &chromium,
        &url,
        Some(&screenshots().join("dashboard-hostile.png")),
    );
    stream.interrupt_and_wait();
}

#[test]
fn the_batch_report_renders_with_its_charts() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = plots::generated_with_plots(dir.path(), true);
    let folder = dir.path().join("plots");
    let url = format!("file://{}", folder.join("report.html").display());
    let dom = render(&chromium, &url, None);
    assert!(
        dom.contains("<title>Clean report: generated.csv</title>"),
        "{dom}"
    );

    // Every chart, inline and in the page's order, with the text of its file as text in the DOM.
    let drawn: Vec<&str> = dom
        .split("<svg")
        .skip(1)
        .map(|chart| chart.split("</svg>").next().unwrap())
        .collect();
    assert_eq!(drawn.len(), plots::CHARTS.len(), "{dom}");
    let titles = [
        "Nulls per column: after the cast and after the repairs",
        "Top 5 categories by units sold",
        "Average total_spent by payment method",
        "Average total_spent by location",
        "Rows by day of week",
        "Rows by month",
    ];
    for ((name, title), chart) in plots::CHARTS.iter().zip(titles).zip(&drawn) {
        let file = std::fs::read_to_string(folder.join(name)).unwrap();
        let texts = svg_texts(chart);
        assert_eq!(texts, svg_texts(&file), "{name}");
        assert_eq!(texts[0], title, "{name}");
        assert!(chart.contains(&format!("<title>{title}</title>")), "{name}");
    }
    let top = svg_texts(drawn[1]);
    for category in report["top_categories"].as_array().unwrap() {
        let name = category["category"].as_str().unwrap();
        assert!(top.iter().any(|text| text == name), "{name} in {top:?}");
    }
    let weekdays = svg_texts(drawn[4]);
    for day in ["Monday", "Sunday"] {
        assert!(weekdays.iter().any(|text| text == day), "{weekdays:?}");
    }
    let months = svg_texts(drawn[5]);
    for month in ["Jan", "Dec"] {
        assert!(months.iter().any(|text| text == month), "{months:?}");
    }

    render(&chromium, &url, Some(&screenshots().join("report.png")));
}
