//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The `retailflow` binary under test.
pub fn retailflow() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("retailflow").unwrap()
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The real Kaggle file: `$RETAIL_SALES_CSV`, else `../shared/data/retail_store_sales.csv` beside the
/// workspace. `None` when it is absent and we are not in CI; in CI (`CI=true`) its absence fails the
/// test instead of skipping it.
pub fn real_sales_csv() -> Option<PathBuf> {
    let path = std::env::var_os("RETAIL_SALES_CSV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/data/retail_store_sales.csv"));
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true and the real sales file is missing at {}",
            path.display()
        );
    }
    eprintln!(
        "skipping: the real sales file is missing at {}",
        path.display()
    );
    None
}

/// The project's hand-made fixtures folder.
pub fn fixture(name: &str) -> PathBuf {
    workspace_root().join("tests/fixtures").join(name)
}

/// The lines of a results file, sorted: the same results as a multiset, whatever order the run wrote
/// them in (Kafka interleaves partitions).
pub fn sorted_lines(path: &Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// Writes receipts to `path` with `retailflow produce --mode receipts FLAGS --out PATH` (seed,
/// count, clock and faults in `flags`); fails the test, showing stderr, unless it succeeds.
pub fn produce_receipts_to(path: &Path, flags: &[&str]) {
    let output = retailflow()
        .args(["produce", "--mode", "receipts"])
        .args(flags)
        .arg("--out")
        .arg(path)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "produce to {} failed:\n{}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The JSON objects of a JSON-lines file, in order.
pub fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
