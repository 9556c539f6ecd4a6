//! Helpers shared by the integration tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

/// A local port nothing listens on, for a server a test starts as another process (a broker, a
/// scheduler, an executor). It is taken below the range the kernel hands out to outgoing connections
/// (`ip_local_port_range`): a port from `127.0.0.1:0` lies inside that range, and another test's
/// client may take it between this check and the server's own bind.
pub fn free_port() -> u16 {
    const LOWEST: u32 = 20_000;
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768)
        .min(u32::from(u16::MAX));
    if let Some(span) = ephemeral_low
        .checked_sub(LOWEST)
        .filter(|&span| span >= 1_000)
    {
        // Tests that ask at the same moment start their search at different places.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        let start = (nanos ^ std::process::id().wrapping_mul(7_919)) % span;
        for step in 0..span {
            let port = u16::try_from(LOWEST + (start + step) % span).unwrap();
            if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return port;
            }
        }
    }
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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

/// Fails the test, showing `what` and stderr, unless `output` is a success; returns its stderr.
pub fn succeeded(what: &str, output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stderr}",
        output.status
    );
    stderr
}

/// The JSON objects of a JSON-lines file, in order.
pub fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A run of `retailflow stream --source kafka --until-end` computing the windowed analytics of
/// `topic` (tumbling 10 s windows, big receipts over 500) in small batches, with `--output output`
/// and `--dlq dead_letters`, checkpointed in `checkpoint` when given; as a command to spawn.
pub fn kafka_analytics(
    brokers: &str,
    topic: &str,
    group: &str,
    output: &str,
    dead_letters: &str,
    checkpoint: Option<&Path>,
) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("retailflow"));
    command
        .args(["stream", "--source", "kafka", "--brokers", brokers])
        .args(["--topic", topic, "--group", group])
        .args(["--from", "earliest", "--until-end", "--trigger", "100ms"])
        .args(["--max-records-per-batch", "50"])
        .args(["--format", "receipts", "--window", "10s"])
        .args(["--big-receipt", "500"])
        .arg(format!("--output={output}"))
        .arg(format!("--dlq={dead_letters}"));
    if let Some(dir) = checkpoint {
        command.arg("--checkpoint").arg(dir);
    }
    command
}

/// Every message of `topic` that a `read_committed` consumer sees (retailflow's own consumer,
/// reading to the end offsets), as text, sorted.
pub fn read_committed(brokers: &str, topic: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("read-back.jsonl");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    // As `--format value` no message parses, so each one is a dead letter holding it as payload.
    let output = retailflow()
        .args(["stream", "--brokers", brokers, "--topic", topic])
        .args(["--group", &format!("read-back-{topic}-{nanos}")])
        .args(["--format", "value", "--from", "earliest", "--until-end"])
        .args(["--trigger", "200ms", "--output", "jsonl:-"])
        .arg(format!("--dlq=file:{}", dead.display()))
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "reading {topic} back failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut payloads: Vec<String> = std::fs::read_to_string(&dead)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let letter: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(letter["source"], format!("kafka:{topic}"));
            letter["payload"].as_str().unwrap().to_string()
        })
        .collect();
    payloads.sort();
    payloads
}

/// The newest checkpoint in `dir` (`checkpoint-<epoch>.json`), parsed; `None` when there is none.
pub fn latest_checkpoint(dir: &Path) -> Option<serde_json::Value> {
    let newest = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let epoch: u64 = name
                .strip_prefix("checkpoint-")?
                .strip_suffix(".json")?
                .parse()
                .ok()?;
            Some((epoch, name))
        })
        .max()?;
    let text = std::fs::read_to_string(dir.join(newest.1)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The Kafka source offsets (`partition -> next offset`) of the newest checkpoint in `dir`; empty
/// when there is none.
pub fn checkpoint_offsets(dir: &Path) -> std::collections::BTreeMap<i32, i64> {
    let Some(checkpoint) = latest_checkpoint(dir) else {
        return Default::default();
    };
    checkpoint["source"]["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                i32::try_from(pair[0].as_i64().unwrap()).unwrap(),
                pair[1].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The offsets consumer group `group` has committed for the `partitions` of `topic`, read from the
/// broker's group coordinator (`OffsetFetch`, as the admin tools do); partitions without one are
/// left out.
pub fn group_offsets(
    brokers: &str,
    group: &str,
    topic: &str,
    partitions: i32,
) -> std::collections::BTreeMap<i32, i64> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut list = rdkafka::TopicPartitionList::new();
    for partition in 0..partitions {
        list.add_partition(topic, partition);
    }
    let committed = consumer
        .committed_offsets(list, std::time::Duration::from_secs(30))
        .unwrap();
    committed
        .elements()
        .iter()
        .filter_map(|element| match element.offset() {
            rdkafka::Offset::Offset(offset) => Some((element.partition(), offset)),
            _ => None,
        })
        .collect()
}

/// The environment variable of the transactional output's test hook: a pause (ms) just before
/// every commit, so a kill can land between a transaction's last send and its commit.
pub const PAUSE_BEFORE_COMMIT: &str = retailflow_stream::kafka::PAUSE_BEFORE_COMMIT_VAR;

/// The golden file `name` in `tests/golden`.
pub fn golden_path(name: &str) -> PathBuf {
    workspace_root().join("tests/golden").join(name)
}

/// Compares `actual` with the golden file `name`; `UPDATE_GOLDEN=1` rewrites the file instead.
pub fn assert_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    if actual != expected {
        let (actual_lines, expected_lines): (Vec<&str>, Vec<&str>) =
            (actual.lines().collect(), expected.lines().collect());
        let line = actual_lines
            .iter()
            .zip(&expected_lines)
            .position(|(a, e)| a != e)
            .unwrap_or(actual_lines.len().min(expected_lines.len()))
            + 1;
        panic!(
            "{} differs from the output (first at line {line}); run with \
             UPDATE_GOLDEN=1 to accept.\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// The body of `GET path` from the server at `address`.
pub fn get(address: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text.split_once("\r\n\r\n").unwrap().1.to_string()
}

/// The dashboard's `/api/snapshot` at `address`.
pub fn snapshot(address: SocketAddr) -> serde_json::Value {
    serde_json::from_str(&get(address, "/api/snapshot")).unwrap()
}

/// A `retailflow` process whose stderr lines are forwarded as they come.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    /// Starts `retailflow` with `args`.
    pub fn spawn(args: &[String]) -> Running {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("retailflow"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `text`, and returns it.
    pub fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                self.seen.push(line.clone());
                if line.contains(text) {
                    return line;
                }
            }
        }
        panic!("no `{text}` line in:\n{}", self.seen.join("\n"));
    }

    /// The address of the `dashboard: http://…/` line.
    pub fn dashboard(&mut self) -> SocketAddr {
        let line = self.wait_for("dashboard: http://");
        let url = line.split("http://").nth(1).unwrap();
        url.split('/').next().unwrap().parse().unwrap()
    }

    /// Stops it with Ctrl-C (SIGINT) and checks that it ends well.
    pub fn interrupt_and_wait(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
