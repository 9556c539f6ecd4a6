//! Integration tests of `retailflow clean`: the printed story and report on a hand-made dirty fixture
//! (golden files, `UPDATE_GOLDEN=1` rewrites them), every bad input, and the acceptance figures on the
//! real retail file.

use std::path::Path;

use serde_json::Value;

use crate::support;

const KAGGLE_HEADER: &str = "Transaction ID,Customer ID,Category,Item,Price Per Unit,Quantity,Total Spent,Payment Method,Location,Transaction Date,Discount Applied";

/// A CSV with the real file's header and these rows.
fn sales_csv(rows: &[&str]) -> String {
    let mut text = format!("{KAGGLE_HEADER}\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text
}

/// A sales row with this date.
fn row_dated(id: usize, date: &str) -> String {
    format!("TXN_{id:07},CUST_01,Food,Item_3_FOOD,8.0,1.0,8.0,Cash,Online,{date},True")
}

/// Runs `retailflow clean` in `dir` with `args`.
fn clean_in(dir: &Path, args: &[&str]) -> std::process::Output {
    support::retailflow()
        .current_dir(dir)
        .arg("clean")
        .args(args)
        .output()
        .unwrap()
}

/// Asserts a failed run printed exactly one line, `error: …` containing `fragment`.
fn assert_one_line_error(output: &std::process::Output, fragment: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "expected failure, stderr: {stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        1,
        "expected one line, got: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(fragment),
        "{stderr:?} should contain {fragment:?}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

fn read_report(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs `clean INPUT --out clean.parquet --report report.json --quiet EXTRA…` in `dir`, checks that
/// it succeeded and printed nothing, and returns the report.
fn quiet_report(dir: &Path, input: &str, extra: &[&str]) -> Value {
    let flags = [
        input,
        "--out",
        "clean.parquet",
        "--report",
        "report.json",
        "--quiet",
    ];
    let output = clean_in(dir, &[&flags[..], extra].concat());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.is_empty(), "--quiet prints nothing");
    read_report(&dir.join("report.json"))
}

#[test]
fn story_and_report_on_the_dirty_fixture_match_the_golden_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::fixture("dirty_sales.csv"),
        dir.path().join("dirty_sales.csv"),
    )
    .unwrap();
    let output = clean_in(dir.path(), &["dirty_sales.csv", "--report", "report.json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    support::assert_golden(
        "clean_story.txt",
        &String::from_utf8(output.stdout).unwrap(),
    );
    let report = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    support::assert_golden("clean_report.json", &report);
    assert!(dir.path().join("dirty_sales_clean.parquet").is_file());
    for left in [
        ".dirty_sales_clean.parquet.partial",
        ".dirty_sales_clean.parquet.spool",
    ] {
        assert!(!dir.path().join(left).exists(), "{left} left behind");
    }
}

#[test]
fn dirty_fixture_figures() {
    let dir = tempfile::tempdir().unwrap();
    let report = quiet_report(
        dir.path(),
        support::fixture("dirty_sales.csv").to_str().unwrap(),
        &[],
    );
    assert_eq!(report["rows_loaded"], 28);
    assert_eq!(report["columns"].as_array().unwrap().len(), 12);
    assert_eq!(report["columns"][11], "store_notes");
    assert_eq!(report["date_format"], "%Y-%m-%d");
    // junk: "abc" price, "N/A" and "13/01/2023" dates, "3.5" quantity, "NaN" total, "maybe" discount;
    // out of range: the zero quantity of TXN_0000027
    assert_eq!(report["nulls_after_cast"]["price_per_unit"], 4);
    assert_eq!(report["nulls_after_cast"]["transaction_date"], 2);
    assert_eq!(report["nulls_after_cast"]["quantity"], 7);
    assert_eq!(
        report["out_of_range"]["quantity"],
        serde_json::json!({"below_min": 1, "above_max": 0})
    );
    assert_eq!(report["nulls_after_cast"]["total_spent"], 4);
    assert_eq!(report["nulls_after_cast"]["discount_applied"], 3);
    assert_eq!(report["catalog_ambiguous_keys"], 1);
    assert_eq!(
        report["restored"],
        serde_json::json!({"item": 2, "total_spent": 2, "quantity": 1, "price_per_unit": 2})
    );
    assert_eq!(report["rows_dropped"], 7);
    assert_eq!(report["rows_clean"], 21);
    assert_eq!(
        report["still_null"]["item"], 1,
        "the ambiguous key is never guessed"
    );
    assert_eq!(report["still_null"]["day_of_week"], 2);
}

#[test]
fn csv_output_keeps_extra_columns_and_adds_the_features() {
    let dir = tempfile::tempdir().unwrap();
    let input = support::fixture("dirty_sales.csv");
    let output = clean_in(
        dir.path(),
        &[input.to_str().unwrap(), "--out", "clean.csv", "--quiet"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written = std::fs::read_to_string(dir.path().join("clean.csv")).unwrap();
    let mut lines = written.lines();
    assert_eq!(
        lines.next().unwrap(),
        "transaction_id,customer_id,category,item,price_per_unit,quantity,total_spent,payment_method,location,transaction_date,discount_applied,store_notes,day_of_week,transaction_month"
    );
    assert_eq!(lines.clone().count(), 21);
    assert_eq!(
        lines.next().unwrap(),
        "TXN_0000001,CUST_01,Patisserie,Item_10_PAT,18.5,10,185.0,Digital Wallet,Online,2024-04-08,true,,Monday,4"
    );
    assert!(written.contains("\"Corner shop, north\""), "{written}");
    assert!(
        written.contains("TXN_0000007,CUST_07,Milk Products,Item_17_MILK,29.0,5,145.0"),
        "{written}"
    );
}

#[test]
fn format_flag_and_default_output_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::fixture("dirty_sales.csv"),
        dir.path().join("sales.csv"),
    )
    .unwrap();
    let output = clean_in(dir.path(), &["sales.csv", "--format", "csv", "--quiet"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("sales_clean.csv").is_file());
    let output = clean_in(dir.path(), &["sales.csv", "--show", "2"]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("only showing top 2 rows"), "{stdout}");
    assert!(
        stdout.contains("Wrote 21 clean rows to sales_clean.parquet (parquet)."),
        "{stdout}"
    );
}

#[test]
fn help_describes_every_option() {
    let output = support::retailflow()
        .args(["clean", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--out",
        "--format",
        "--report",
        "--show",
        "--date-format",
        "--quiet",
        "snake_case",
        ".<name>.spool/",
    ] {
        assert!(help.contains(flag), "help lacks {flag}: {help}");
    }
}

#[test]
fn missing_file_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["nope.csv"]),
        "nope.csv: no such file",
    );
}

#[test]
fn a_folder_without_csv_files_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.md"), "not, a, sales file").unwrap();
    let output = clean_in(dir.path(), &["."]);
    assert_eq!(output.status.code(), Some(2));
    assert_one_line_error(
        &output,
        ".: the folder holds no .csv, .tsv or .txt file (compressed or not) to read",
    );
}

#[test]
fn empty_file_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.csv"), "").unwrap();
    assert_one_line_error(&clean_in(dir.path(), &["empty.csv"]), "empty.csv is empty");
    std::fs::write(dir.path().join("bom.csv"), "\u{feff}\r\n").unwrap();
    assert_one_line_error(&clean_in(dir.path(), &["bom.csv"]), "bom.csv is empty");
}

#[test]
fn no_header_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("\n{}", sales_csv(&[&row_dated(1, "2024-01-01")]));
    std::fs::write(dir.path().join("blank_first.csv"), text).unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["blank_first.csv"]),
        "has no header line",
    );

    let headerless = format!(
        "{}\n{}\n",
        row_dated(1, "2024-01-01"),
        row_dated(2, "2024-01-02")
    );
    std::fs::write(dir.path().join("headerless.csv"), headerless).unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["headerless.csv"]),
        "(is the first line a header?)",
    );
}

#[test]
fn missing_columns_are_listed_with_what_was_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("short.csv"),
        "Transaction ID,Category,Item\nTXN_1,Food,Item_1_FOOD\n",
    )
    .unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["short.csv"]),
        "short.csv: missing required column(s): customer_id, price_per_unit, quantity, total_spent, payment_method, location, transaction_date, discount_applied; found: Transaction ID, Category, Item",
    );
}

#[test]
fn colliding_headers_name_both() {
    let dir = tempfile::tempdir().unwrap();
    let text = sales_csv(&[]).replace("Discount Applied", "Discount Applied,discount_applied");
    std::fs::write(dir.path().join("twice.csv"), text).unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["twice.csv"]),
        "headers \"Discount Applied\" (column 11) and \"discount_applied\" (column 12) both become \"discount_applied\"",
    );
}

#[test]
fn unreadable_bytes_are_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut header = KAGGLE_HEADER.as_bytes().to_vec();
    header.splice(3..3, [0xff, 0xfe]);
    header.push(b'\n');
    std::fs::write(dir.path().join("header.csv"), &header).unwrap();
    assert_one_line_error(&clean_in(dir.path(), &["header.csv"]), "unreadable bytes");

    let mut body = sales_csv(&[&row_dated(1, "2024-01-01")]).into_bytes();
    body.extend_from_slice(
        b"TXN_2,CUST_\xff\xfe,Food,Item_3_FOOD,8.0,1.0,8.0,Cash,Online,2024-01-02,True\n",
    );
    std::fs::write(dir.path().join("body.csv"), &body).unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["body.csv"]),
        "body.csv: unreadable bytes",
    );
}

#[test]
fn ragged_rows_are_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = sales_csv(&[
        &row_dated(1, "2024-01-01"),
        &format!("{},extra", row_dated(2, "2024-01-02")),
    ]);
    std::fs::write(dir.path().join("ragged.csv"), text).unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["ragged.csv"]),
        "ragged.csv: malformed CSV",
    );
}

#[test]
fn ambiguous_dates_ask_for_date_format_which_overrides_detection() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        row_dated(1, "01/02/2024"),
        row_dated(2, "03/04/2024"),
        row_dated(3, "05/06/2024"),
    ];
    let text = sales_csv(&rows.iter().map(String::as_str).collect::<Vec<_>>());
    std::fs::write(dir.path().join("tie.csv"), text).unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["tie.csv"]),
        "fits both %d/%m/%Y and %m/%d/%Y equally well (3 values each, none with a day over 12); choose one with --date-format '%d/%m/%Y' or --date-format '%m/%d/%Y'",
    );

    let report = quiet_report(dir.path(), "tie.csv", &["--date-format", "%m/%d/%Y"]);
    assert_eq!(report["date_format"], "%m/%d/%Y");
    assert_eq!(report["date_format_detected"], false);
    assert_eq!(report["rows_by_month"]["1"], 1);
    assert_eq!(report["rows_by_month"]["3"], 1);
    assert_eq!(report["rows_by_month"]["5"], 1);
    assert_eq!(report["still_null"]["transaction_date"], 0);
}

#[test]
fn mixed_dates_ask_for_date_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows: Vec<String> = (0..20).map(|i| row_dated(i, "2024-01-15")).collect();
    rows.push(row_dated(20, "25/12/2023"));
    rows.push(row_dated(21, "26/12/2023"));
    let text = sales_csv(&rows.iter().map(String::as_str).collect::<Vec<_>>());
    std::fs::write(dir.path().join("mixed.csv"), text).unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["mixed.csv"]),
        "transaction_date mixes date formats: %Y-%m-%d fits 20 values, but %d/%m/%Y fits 2 others",
    );
}

#[test]
fn a_custom_date_format_is_checked_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let text = sales_csv(&[&row_dated(1, "2024/01/31"), &row_dated(2, "junk")]);
    std::fs::write(dir.path().join("slashes.csv"), text).unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["slashes.csv", "--date-format", "%Y"]),
        "invalid --date-format \"%Y\"",
    );
    let report = quiet_report(dir.path(), "slashes.csv", &["--date-format", "%Y/%m/%d"]);
    assert_eq!(report["nulls_after_cast"]["transaction_date"], 1);
    assert_eq!(report["rows_by_day_of_week"]["Wednesday"], 1);
}

#[test]
fn the_output_never_overwrites_the_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.csv"),
        sales_csv(&[&row_dated(1, "2024-01-01")]),
    )
    .unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["in.csv", "--out", "./in.csv"]),
        "the output would overwrite the input",
    );
}

#[test]
fn a_second_run_on_an_output_being_written_is_refused_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.csv"),
        sales_csv(&[&row_dated(1, "2024-01-01")]),
    )
    .unwrap();
    // The first run, as the second sees it: the lock held, its partial output and spool present.
    let lock_path = dir.path().join(".out.parquet.lock");
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.try_lock().unwrap();
    std::fs::write(dir.path().join(".out.parquet.partial"), b"first run's rows").unwrap();
    std::fs::create_dir(dir.path().join(".out.parquet.spool")).unwrap();
    std::fs::write(dir.path().join(".out.parquet.spool/part-0.arrow"), b"x").unwrap();

    let refused = clean_in(dir.path(), &["in.csv", "--out", "out.parquet"]);
    assert_eq!(refused.status.code(), Some(2));
    assert_one_line_error(
        &refused,
        "out.parquet: another run is writing this output now (it holds ",
    );
    assert_eq!(
        std::fs::read(dir.path().join(".out.parquet.partial")).unwrap(),
        b"first run's rows"
    );
    assert!(dir.path().join(".out.parquet.spool/part-0.arrow").exists());
    assert!(!dir.path().join("out.parquet").exists());

    // The first run ends: the next one takes over the files it left.
    drop(lock);
    let output = clean_in(dir.path(), &["in.csv", "--out", "out.parquet", "--quiet"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["in.csv", "out.parquet"]);
}

#[test]
fn an_output_or_report_in_a_missing_folder_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.csv"),
        sales_csv(&[&row_dated(1, "2024-01-01")]),
    )
    .unwrap();
    assert_one_line_error(
        &clean_in(dir.path(), &["in.csv", "--out", "missing/out.parquet"]),
        "missing/out.parquet: cannot write",
    );
    assert_one_line_error(
        &clean_in(dir.path(), &["in.csv", "--report", "missing/report.json"]),
        "missing/report.json: cannot write",
    );
    assert!(
        !dir.path().join("in_clean.parquet").exists(),
        "nothing is written"
    );
}

#[test]
fn a_header_only_file_cleans_to_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("header.csv"), sales_csv(&[])).unwrap();
    let output = clean_in(dir.path(), &["header.csv", "--report", "r.json", "--quiet"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = read_report(&dir.path().join("r.json"));
    assert_eq!(report["rows_loaded"], 0);
    assert_eq!(report["rows_clean"], 0);
    assert_eq!(report["top_categories"], serde_json::json!([]));
}

/// The real Kaggle file: the figures every engine must agree on.
#[test]
fn real_file_acceptance() {
    let Some(input) = support::real_sales_csv() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = quiet_report(dir.path(), input.to_str().unwrap(), &[]);
    assert_eq!(report["rows_loaded"], 12575);
    assert_eq!(report["rows_clean"], 11971);
    assert_eq!(report["rows_dropped"], 604);
    assert_eq!(
        report["still_null"]["item"], 0,
        "every clean row has an item"
    );
    assert_eq!(report["date_format"], "%Y-%m-%d");
    assert_eq!(report["catalog_ambiguous_keys"], 0);
    assert_eq!(
        report["restored"],
        serde_json::json!({"item": 1213, "total_spent": 0, "quantity": 0, "price_per_unit": 609})
    );
    assert_eq!(
        report["top_categories"][0],
        serde_json::json!({"category": "Furniture", "units": 8462})
    );
    assert_eq!(report["avg_total_spent_by_payment_method"]["Cash"], 131.05);
    assert_eq!(report["avg_total_spent_by_location"]["Online"], 130.42);
    // No value of the real file breaks a value rule.
    let zero = serde_json::json!({"below_min": 0, "above_max": 0});
    assert_eq!(
        report["out_of_range"],
        serde_json::json!({"price_per_unit": zero, "quantity": zero, "total_spent": zero})
    );

    // The figures the independent engines agreed on: every key must match.
    let expected = read_report(&support::golden_path("real_report_expected.json"));
    assert_same_report(&expected, &report, "");
}

/// The real file compressed with gzip is read as it is, told by its first bytes: the same report
/// as the plain file, to the byte. A cluster refuses it (its executors would read the bytes as
/// text) before it connects, as the user's to fix; so too gzip-compressed CSV output, which a
/// local run writes.
#[test]
fn the_real_file_compressed_with_gzip_gives_the_plain_file_s_report() {
    use std::io::Write as _;
    let Some(input) = support::real_sales_csv() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&std::fs::read(&input).unwrap()).unwrap();
    std::fs::write(dir.path().join("sales.csv.gz"), encoder.finish().unwrap()).unwrap();
    let compressed = quiet_report(dir.path(), "sales.csv.gz", &[]);
    let plain = quiet_report(dir.path(), input.to_str().unwrap(), &[]);
    assert_eq!(compressed, plain);
    assert_eq!(compressed["rows_clean"], 11971);

    let output = clean_in(
        dir.path(),
        &["sales.csv.gz", "--cluster", "df://127.0.0.1:1", "--quiet"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: sales.csv.gz: a cluster's executors cannot read a gzip-compressed file (the plans \
         they are sent do not carry the compression); decompress it first, or run without \
         --cluster\n"
    );

    // Output named .csv.gz is gzip-compressed CSV; a cluster refuses to write it, before it
    // connects.
    let output = clean_in(
        dir.path(),
        &["sales.csv.gz", "--out", "clean.csv.gz", "--quiet"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written = std::fs::read(dir.path().join("clean.csv.gz")).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&written[..]), &mut text)
        .unwrap();
    assert!(
        text.starts_with("transaction_id,customer_id,category,"),
        "{text:.200}"
    );
    assert_eq!(text.lines().count(), 11971 + 1);
    let output = clean_in(
        dir.path(),
        &[
            input.to_str().unwrap(),
            "--out",
            "c.csv.gz",
            "--cluster",
            "df://127.0.0.1:1",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .starts_with("error: c.csv.gz: a cluster's executors cannot write gzip-compressed CSV"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The real file with `;` between its fields (it quotes none): read with `--delimiter ';'` it gives
/// the agreed figures; read as comma-separated, the error names the separator to use. With decimal
/// commas too (`18,5`), `--decimal-comma` gives the same figures.
#[test]
fn a_semicolon_separated_file_is_read_with_its_delimiter() {
    let Some(input) = support::real_sales_csv() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&input).unwrap();
    assert!(!text.contains('"') && !text.contains(';'));
    let semicolons = dir.path().join("sales_semicolons.csv");
    std::fs::write(&semicolons, text.replace(',', ";")).unwrap();
    let report_path = dir.path().join("report.json");
    let args = [
        semicolons.to_str().unwrap(),
        "--out",
        "clean.parquet",
        "--report",
        report_path.to_str().unwrap(),
        "--quiet",
    ];
    let output = clean_in(dir.path(), &[&args[..], &["--delimiter", ";"]].concat());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = read_report(&support::golden_path("real_report_expected.json"));
    assert_same_report(&expected, &read_report(&report_path), "");

    let output = clean_in(dir.path(), &args);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("(the header is one field holding ';' between names: try --delimiter ';')"),
        "{stderr}"
    );

    // Only numbers hold a `.` in this file: as a European locale writes them.
    std::fs::write(&semicolons, text.replace(',', ";").replace('.', ",")).unwrap();
    let european = [&args[..], &["--delimiter", ";", "--decimal-comma"]].concat();
    let output = clean_in(dir.path(), &european);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_same_report(&expected, &read_report(&report_path), "");
    // Without the flag every number is junk, counted as such, and the story suggests the flag.
    let told = [&args[..args.len() - 1], &["--delimiter", ";"]].concat();
    assert_eq!(args.last(), Some(&"--quiet"));
    let output = clean_in(dir.path(), &told);
    assert!(output.status.success());
    let story = String::from_utf8_lossy(&output.stdout);
    assert!(
        story.contains(
            "if the file writes decimals with a comma (18,5), run again with --decimal-comma"
        ),
        "{story}"
    );
    let report = read_report(&report_path);
    assert_eq!(report["nulls_after_cast"]["price_per_unit"], 12575);
    assert_eq!(report["rows_clean"], 0);
}

/// Every key of `expected` is in `actual` with the same value (floats within 1e-9).
fn assert_same_report(expected: &Value, actual: &Value, at: &str) {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                let actual_value = actual
                    .get(key)
                    .unwrap_or_else(|| panic!("report lacks {at}.{key}"));
                assert_same_report(value, actual_value, &format!("{at}.{key}"));
            }
        }
        (Value::Array(expected), Value::Array(actual)) => {
            assert_eq!(expected.len(), actual.len(), "length of {at}");
            for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
                assert_same_report(e, a, &format!("{at}[{i}]"));
            }
        }
        (Value::Number(e), Value::Number(a)) if e.is_f64() || a.is_f64() => {
            let (e, a) = (e.as_f64().unwrap(), a.as_f64().unwrap());
            assert!((e - a).abs() <= 1e-9, "{at}: expected {e}, got {a}");
        }
        _ => assert_eq!(expected, actual, "{at}"),
    }
}
