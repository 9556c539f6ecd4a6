//! Integration tests of `retailflow generate`.

use crate::support::retailflow;

const HEADER: &str = "Transaction ID,Customer ID,Category,Item,Price Per Unit,Quantity,Total Spent,\
Payment Method,Location,Transaction Date,Discount Applied";

fn generate(args: &[&str]) -> Vec<u8> {
    let output = retailflow().arg("generate").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn data_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut lines: Vec<String> = text.split_terminator("\r\n").map(str::to_string).collect();
    assert_eq!(lines.remove(0), HEADER);
    lines
}

#[test]
fn generate_writes_the_real_header_and_crlf_rows_to_stdout() {
    let bytes = generate(&["--rows", "5", "--seed", "42"]);
    let text = String::from_utf8(bytes).unwrap();
    let expected = [
        HEADER,
        "TXN_4089627,CUST_24,Electric household essentials,Item_2_EHE,6.5,7.0,45.5,Cash,In-store,2024-03-29,",
        "TXN_6769676,CUST_05,Butchers,Item_7_BUT,14.0,9.0,126.0,Digital Wallet,Online,2023-05-14,False",
        "TXN_7029591,CUST_25,Milk Products,Item_2_MILK,6.5,8.0,52.0,Digital Wallet,Online,2023-11-15,False",
        "TXN_6976546,CUST_17,Patisserie,Item_11_PAT,20.0,8.0,160.0,Credit Card,Online,2024-03-30,True",
        "TXN_4727932,CUST_14,Furniture,Item_21_FUR,35.0,6.0,210.0,Credit Card,In-store,2024-10-31,False",
    ];
    assert_eq!(text, expected.map(|line| format!("{line}\r\n")).concat());
}

#[test]
fn generate_defaults_to_seed_42() {
    assert_eq!(
        generate(&["--rows", "300"]),
        generate(&["--rows", "300", "--seed", "42"])
    );
}

#[test]
fn generate_is_deterministic_for_a_seed_and_differs_between_seeds() {
    let first = generate(&["--rows", "70000", "--seed", "7"]);
    let again = generate(&["--rows", "70000", "--seed", "7"]);
    let other = generate(&["--rows", "70000", "--seed", "8"]);
    assert_eq!(first, again);
    assert_ne!(first, other);
    assert_eq!(data_lines(&first).len(), 70_000);
    assert_eq!(data_lines(&other).len(), 70_000);
}

#[test]
fn generate_out_writes_the_same_bytes_as_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sales.csv");
    let output = retailflow()
        .args(["generate", "--rows", "1234", "--seed", "3", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        generate(&["--rows", "1234", "--seed", "3"])
    );
}

#[test]
fn generate_zero_rows_writes_only_the_header() {
    assert_eq!(
        generate(&["--rows", "0"]),
        format!("{HEADER}\r\n").into_bytes()
    );
}

#[test]
fn generate_damages_rows_like_the_real_file() {
    let rows = 100_000;
    let lines = data_lines(&generate(&["--rows", "100000", "--seed", "11"]));
    let mut missing = [0usize; 11];
    for line in &lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 11, "{line}");
        for (column, field) in fields.iter().enumerate() {
            missing[column] += usize::from(field.is_empty());
        }
        assert!(
            fields[5].is_empty() || fields[5].ends_with(".0"),
            "float quantity: {line}"
        );
    }
    let share = |column: usize| missing[column] as f64 / rows as f64;
    // The real file: item 9.6 %, price 4.8 %, quantity and total 4.8 %, discount 33.4 %.
    assert!((share(3) - 0.0965).abs() < 0.006, "item {}", share(3));
    assert!((share(4) - 0.0484).abs() < 0.004, "price {}", share(4));
    assert!((share(5) - 0.0480).abs() < 0.004, "quantity {}", share(5));
    assert_eq!(
        missing[5], missing[6],
        "quantity and total go missing together"
    );
    assert!((share(10) - 0.3339).abs() < 0.01, "discount {}", share(10));
    for column in [0, 1, 2, 7, 8, 9] {
        assert_eq!(missing[column], 0, "column {column}");
    }
}

#[test]
fn generate_into_a_missing_folder_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/folder/sales.csv");
    let output = retailflow()
        .args(["generate", "--rows", "10", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    // The path given cannot be used: the user's to fix, as with `clean --out`.
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: cannot create "), "{stderr}");
    assert!(stderr.ends_with("(os error 2)\n"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn generate_without_rows_is_a_usage_error() {
    let output = retailflow().args(["generate"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--rows <N>"), "{stderr}");
}
