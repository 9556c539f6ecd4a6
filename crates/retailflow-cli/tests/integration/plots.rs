//! Integration tests of `retailflow clean --plots DIR`: the SVG charts and the self-contained
//! `report.html` carry the same figures as the JSON report, on the real file and on a generated one;
//! `demo` writes them too and says where.

use std::path::Path;

use serde_json::Value;

use crate::support;

/// The chart files of a plots folder, in the page's order.
pub(crate) const CHARTS: [&str; 6] = [
    "nulls.svg",
    "top_categories.svg",
    "spend_by_payment.svg",
    "spend_by_location.svg",
    "rows_by_weekday.svg",
    "rows_by_month.svg",
];

/// `1234567` as `1,234,567`, as the charts print whole numbers.
fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Element text as the charts and the page escape it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn entries(value: &Value) -> Vec<(String, Value)> {
    value
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Runs `clean INPUT --plots plots --report report.json` in `dir`; returns the report and stdout.
fn clean_with_plots(dir: &Path, input: &Path, quiet: bool) -> (Value, String) {
    let mut command = support::retailflow();
    command
        .current_dir(dir)
        .arg("clean")
        .arg(input)
        .args(["--out", "clean.parquet", "--report", "report.json"])
        .args(["--plots", "plots"]);
    if quiet {
        command.arg("--quiet");
    }
    let output = command.output().unwrap();
    support::succeeded("clean --plots", &output);
    let report = std::fs::read_to_string(dir.join("report.json")).unwrap();
    (
        serde_json::from_str(&report).unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

/// Reads every chart and the page from `plots`, checks their shape and that they tell the figures
/// of `report`; returns the page.
fn assert_plots_match(plots: &Path, report: &Value) -> String {
    let html = std::fs::read_to_string(plots.join("report.html")).unwrap();
    let svg = |name: &str| std::fs::read_to_string(plots.join(name)).unwrap();

    for name in CHARTS {
        let chart = svg(name);
        assert!(
            chart.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{name}"
        );
        assert!(chart.ends_with("</svg>\n"), "{name}");
        assert!(chart.contains("font-family=\"sans-serif\""), "{name}");
        let texts = chart.matches("<text").count();
        assert!(texts >= 5, "{name} has {texts} text elements");
        assert_eq!(texts, chart.matches("</text>").count(), "{name}");
        assert_eq!(chart.matches("<svg").count(), 1, "{name}");
        assert!(
            !chart.contains("<script") && !chart.contains("href="),
            "{name}"
        );
        assert!(!chart.contains(">no data<"), "{name} has data");
        // Inline in the page, less the namespace URL that HTML implies.
        let inline = chart.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
        assert!(html.contains(&inline), "report.html lacks {name} inline");
    }
    assert_eq!(html.matches("<svg").count(), CHARTS.len());

    // Nothing external, nothing to run.
    assert!(html.starts_with("<!doctype html>"));
    for banned in [
        "src=\"http",
        "href=\"http",
        "http://",
        "https://",
        "<script",
        "<link",
        "<img",
        "url(",
        "@import",
    ] {
        assert!(!html.contains(banned), "report.html has {banned}");
    }

    // The top categories, most first, with their units.
    let top = svg("top_categories.svg");
    let categories = report["top_categories"].as_array().unwrap();
    assert_eq!(categories.len(), 5);
    let mut last_at = 0;
    for category in categories {
        let name = escaped(category["category"].as_str().unwrap());
        let units = grouped(category["units"].as_u64().unwrap());
        let at = top
            .find(&format!(">{name}</text>"))
            .unwrap_or_else(|| panic!("top_categories.svg lacks {name}"));
        assert!(at > last_at, "{name} is out of order");
        last_at = at;
        assert!(top.contains(&format!(">{units}</text>")), "{name}: {units}");
        assert!(
            html.contains(&format!(
                "<td>{name}</td><td class=\"num\">{units}</td></tr>"
            )),
            "report.html lacks the row of {name}"
        );
    }

    // Average spend, to 2 decimals, as the report rounds it.
    for (file, key) in [
        ("spend_by_payment.svg", "avg_total_spent_by_payment_method"),
        ("spend_by_location.svg", "avg_total_spent_by_location"),
    ] {
        let chart = svg(file);
        let averages = entries(&report[key]);
        assert!(!averages.is_empty(), "{key}");
        for (name, mean) in averages {
            let mean = format!("{:.2}", mean.as_f64().unwrap());
            let name = escaped(&name);
            assert!(chart.contains(&format!(">{name}</text>")), "{file}: {name}");
            assert!(chart.contains(&format!(">{mean}</text>")), "{file}: {mean}");
            assert!(html.contains(&format!("<td>{name}</td><td class=\"num\">{mean}</td>")));
        }
    }

    // Rows by weekday and by month, each summing to the clean rows.
    let rows_clean = report["rows_clean"].as_u64().unwrap();
    for (file, key) in [
        ("rows_by_weekday.svg", "rows_by_day_of_week"),
        ("rows_by_month.svg", "rows_by_month"),
    ] {
        let chart = svg(file);
        let counts = entries(&report[key]);
        let total: u64 = counts.iter().map(|(_, n)| n.as_u64().unwrap()).sum();
        assert_eq!(total, rows_clean, "{key}");
        for (name, count) in counts {
            let count = grouped(count.as_u64().unwrap());
            assert!(
                chart.contains(&format!(">{count}</text>")),
                "{file}: {name} {count}"
            );
            assert!(html.contains(&format!("<td>{name}</td><td class=\"num\">{count}</td>")));
        }
    }
    let weekday = svg("rows_by_weekday.svg");
    assert!(weekday.contains(">Monday</text>") && weekday.contains(">Sunday</text>"));
    let month = svg("rows_by_month.svg");
    assert!(month.contains(">Jan</text>") && month.contains(">Dec</text>"));

    // Nulls per column, after the cast and after the repairs.
    let nulls = svg("nulls.svg");
    assert!(
        nulls.contains(">after the cast</text>") && nulls.contains(">after the repairs</text>")
    );
    for (column, count) in entries(&report["nulls_after_cast"]) {
        let after_cast = grouped(count.as_u64().unwrap());
        let after_repairs = grouped(report["still_null"][&column].as_u64().unwrap());
        assert!(
            nulls.contains(&format!(
                "<title>{column} · after the cast: {after_cast}</title>"
            )),
            "nulls.svg: {column} after the cast"
        );
        assert!(
            nulls.contains(&format!(
                "<title>{column} · after the repairs: {after_repairs}</title>"
            )),
            "nulls.svg: {column} after the repairs"
        );
        assert!(html.contains(&format!(
            "<tr><td>{column}</td><td class=\"num\">{after_cast}</td><td class=\"num\">{after_repairs}</td></tr>"
        )));
    }

    // The headline figures of the JSON report.
    for (label, key) in [
        ("Rows loaded", "rows_loaded"),
        ("Rows dropped", "rows_dropped"),
        ("Clean rows", "rows_clean"),
        ("Catalog rows", "catalog_rows"),
        ("Ambiguous catalog keys", "catalog_ambiguous_keys"),
    ] {
        let value = grouped(report[key].as_u64().unwrap());
        assert!(
            html.contains(&format!("<div><dt>{label}</dt><dd>{value}</dd></div>")),
            "report.html lacks {label} {value}"
        );
    }
    let restored: u64 = entries(&report["restored"])
        .iter()
        .map(|(_, n)| n.as_u64().unwrap())
        .sum();
    assert!(html.contains(&format!(
        "<div><dt>Values restored</dt><dd>{}</dd></div>",
        grouped(restored)
    )));
    let date_format = escaped(report["date_format"].as_str().unwrap());
    assert!(html.contains(&format!(
        "<div><dt>Date format (detected)</dt><dd>{date_format}</dd></div>"
    )));
    html
}

#[test]
fn real_file_plots_match_the_report() {
    let Some(input) = support::real_sales_csv() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, stdout) = clean_with_plots(dir.path(), &input, true);
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(report["rows_clean"], 11971);
    assert_eq!(report["top_categories"][0]["category"], "Furniture");
    let plots = dir.path().join("plots");
    let html = assert_plots_match(&plots, &report);

    // The figures every engine agreed on, as printed.
    let top = std::fs::read_to_string(plots.join("top_categories.svg")).unwrap();
    assert!(top.contains(">Furniture</text>") && top.contains(">8,462</text>"));
    let payment = std::fs::read_to_string(plots.join("spend_by_payment.svg")).unwrap();
    assert!(payment.contains(">Cash</text>") && payment.contains(">131.05</text>"));
    let location = std::fs::read_to_string(plots.join("spend_by_location.svg")).unwrap();
    assert!(location.contains(">Online</text>") && location.contains(">130.42</text>"));
    assert!(html.contains("<div><dt>Clean rows</dt><dd>11,971</dd></div>"));
    assert!(html.contains("<div><dt>Rows dropped</dt><dd>604</dd></div>"));
    assert!(
        html.contains("<tr><td>item</td><td class=\"num\">1,213</td><td class=\"num\">0</td></tr>")
    );
    assert!(html.contains("<title>Clean report: retail_store_sales.csv</title>"));
}

/// Generates `dir/generated.csv` (3,000 rows, seed 11) and runs [`clean_with_plots`] on it.
pub(crate) fn generated_with_plots(dir: &Path, quiet: bool) -> (Value, String) {
    let input = dir.join("generated.csv");
    let output = support::retailflow()
        .args(["generate", "--rows", "3000", "--seed", "11", "--out"])
        .arg(&input)
        .output()
        .unwrap();
    support::succeeded("generate", &output);
    clean_with_plots(dir, &input, quiet)
}

#[test]
fn generated_input_plots_match_the_report_and_the_story_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let (report, stdout) = generated_with_plots(dir.path(), false);
    let plots = dir.path().join("plots");
    assert!(
        stdout.contains("Wrote the charts to plots and the report page to plots/report.html.\n"),
        "{stdout}"
    );
    assert!(report["rows_dropped"].as_u64().unwrap() > 0);
    assert_plots_match(&plots, &report);
}

#[test]
fn plots_onto_a_file_is_a_one_line_user_error() {
    let dir = tempfile::tempdir().unwrap();
    let taken = dir.path().join("taken");
    std::fs::write(&taken, "").unwrap();
    let output = support::retailflow()
        .arg("clean")
        .arg(support::fixture("dirty_sales.csv"))
        .arg("--out")
        .arg(dir.path().join("clean.parquet"))
        .arg("--plots")
        .arg(&taken)
        .arg("--quiet")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a folder"), "{stderr}");
    assert!(
        !dir.path().join("clean.parquet").exists(),
        "refused before the job ran"
    );
}

#[test]
fn help_explains_plots() {
    let output = support::retailflow()
        .args(["clean", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("--plots <DIR>"), "{help}");
    assert!(help.contains("report.html"), "{help}");
    assert!(help.contains("self-contained"), "{help}");
}

#[test]
fn demo_writes_the_plots_and_prints_where() {
    let output = support::retailflow()
        .args(["demo", "--rows", "2000", "--seed", "7", "--skip-stream"])
        .output()
        .unwrap();
    support::succeeded("demo", &output);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let page = stdout
        .lines()
        .find_map(|line| line.strip_prefix("charts: "))
        .unwrap_or_else(|| panic!("no `charts:` line in:\n{stdout}"));
    let page = Path::new(page);
    assert!(page.ends_with("plots/report.html"), "{}", page.display());
    let folder = page.parent().unwrap();
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(folder.parent().unwrap().join("report.json")).unwrap(),
    )
    .unwrap();
    assert_plots_match(folder, &report);
    let _ = std::fs::remove_dir_all(folder.parent().unwrap());
}
