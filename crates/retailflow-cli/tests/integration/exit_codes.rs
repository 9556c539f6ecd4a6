//! The exit code says who is at fault (`retailflow --help`): 2 the user's arguments or paths, 3 the
//! data, 4 the environment (tested with an unreachable broker in `stream` and `dashboard`).

use crate::support;

fn code(args: &[&str]) -> (Option<i32>, String) {
    let output = support::retailflow().args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn user_input_exits_2_and_data_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.csv");
    let (status, stderr) = code(&["clean", missing.to_str().unwrap()]);
    assert_eq!(status, Some(2), "{stderr}");
    let (status, stderr) = code(&["stream", "--format", "receipts", "--window", "0s"]);
    assert_eq!(status, Some(2), "{stderr}");
    let (status, stderr) = code(&["clean", "--no-such-flag"]);
    assert_eq!(status, Some(2), "{stderr}");

    let not_utf8 = dir.path().join("latin1.csv");
    std::fs::write(
        &not_utf8,
        b"Transaction ID,Customer ID,Category,Item,Price Per Unit,Quantity,Total Spent,Payment Method,Location,Transaction Date,Discount Applied\nTXN_1,CUST_01,Food,Item_1_FOOD,5.0,1,5.0,Cash,Online,2024-01-01,\xe9\n",
    )
    .unwrap();
    let (status, stderr) = code(&["clean", not_utf8.to_str().unwrap()]);
    assert_eq!(status, Some(3), "{stderr}");
}

#[test]
fn help_documents_the_exit_codes() {
    let (status, stdout) = {
        let output = support::retailflow().arg("--help").output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    assert_eq!(status, Some(0));
    assert!(
        stdout.contains("Exit status: 0 done; 2 an argument, path or setting cannot be used"),
        "{stdout}"
    );
}

/// `retailflow dashboard` of `kafka:analytics` at a port nothing listens on, served at `bind`: its
/// exit code and error line.
fn dashboard_without_a_broker(bind: &str) -> (Option<i32>, String) {
    let (status, stderr) = code(&[
        "dashboard",
        "--from",
        "kafka:analytics",
        "--brokers",
        "127.0.0.1:1",
        "--bind",
        bind,
    ]);
    let line = stderr
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    (status, line.to_string())
}

#[test]
fn a_port_in_use_is_the_user_s_choice_to_change_said_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let (status, line) = dashboard_without_a_broker(&address);
    assert_eq!(status, Some(2), "{line}");
    assert!(
        line.starts_with(&format!("error: dashboard: cannot listen on {address}: ")),
        "{line}"
    );
    assert!(line.contains("choose another HOST:PORT"), "{line}");
    assert_eq!(line.matches("(os error").count(), 1, "{line}");
}

#[test]
fn a_dashboard_without_a_broker_says_where_it_looked_and_exits_4() {
    let (status, line) = dashboard_without_a_broker("127.0.0.1:0");
    assert_eq!(status, Some(4), "{line}");
    assert!(
        line.starts_with(
            "error: dashboard: cannot read the metadata of analytics from 127.0.0.1:1: "
        ),
        "{line}"
    );
    assert!(
        line.ends_with("; is a broker running there (--brokers)?"),
        "{line}"
    );
}
