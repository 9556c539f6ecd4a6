//! Integration tests of `retailflow demo`'s batch half (the stream half is covered in `stream`).

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
