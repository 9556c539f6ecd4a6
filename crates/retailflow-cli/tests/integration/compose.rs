//! Checks `docker-compose.yml` without a Docker engine: the file parses, every image is pinned, the
//! KRaft default and the `zookeeper` profile are wired by their images' documented settings, the
//! topics are created on start, and the two stacks never publish the same host port.
//! When a docker CLI with the compose plugin is present, `docker compose config -q` must accept it too.

use std::collections::BTreeSet;
use std::process::Command;

use serde_yaml_ng::{Mapping, Value};

use crate::support;

const TOPICS: [&str; 4] = ["test-topic", "receipts", "receipts-dlq", "analytics"];

fn compose_file() -> Value {
    let path = support::workspace_root().join("docker-compose.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn services(doc: &Value) -> &Mapping {
    doc.get("services")
        .and_then(Value::as_mapping)
        .expect("a `services` mapping")
}

fn service<'a>(doc: &'a Value, name: &str) -> &'a Value {
    services(doc)
        .get(name)
        .unwrap_or_else(|| panic!("service `{name}` is missing"))
}

fn str_at<'a>(value: &'a Value, key: &str) -> &'a str {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("`{key}` is not a string"))
}

/// An environment variable of a service, as text (numbers included).
fn env(service: &Value, key: &str) -> String {
    let value = service
        .get("environment")
        .and_then(|environment| environment.get(key))
        .unwrap_or_else(|| panic!("environment variable {key} is missing"));
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => panic!("{key} has an unexpected value {other:?}"),
    }
}

fn profiles(service: &Value) -> Vec<String> {
    service
        .get("profiles")
        .and_then(Value::as_sequence)
        .map(|list| {
            list.iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Host ports a service publishes (`"HOST:CONTAINER"` entries).
fn host_ports(service: &Value) -> Vec<u16> {
    service
        .get("ports")
        .and_then(Value::as_sequence)
        .map(|ports| {
            ports
                .iter()
                .map(|port| {
                    let spec = port
                        .as_str()
                        .expect("ports are written as quoted HOST:CONTAINER");
                    let (host, _container) = spec.split_once(':').expect("HOST:CONTAINER");
                    host.parse().unwrap()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `NAME://host:port` listeners as (name, host, port).
fn listeners(spec: &str) -> Vec<(String, String, u16)> {
    spec.split(',')
        .map(|listener| {
            let (name, address) = listener.trim().split_once("://").unwrap();
            let (host, port) = address.rsplit_once(':').unwrap();
            (name.to_owned(), host.to_owned(), port.parse().unwrap())
        })
        .collect()
}

fn protocol_map_names(service: &Value) -> BTreeSet<String> {
    env(service, "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
        .split(',')
        .map(|entry| entry.split_once(':').unwrap().0.to_owned())
        .collect()
}

/// The init service's script: the text of its `command`.
fn command_text(service: &Value) -> String {
    match service.get("command").expect("a command") {
        Value::String(text) => text.clone(),
        Value::Sequence(parts) => parts
            .iter()
            .map(|part| part.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" "),
        other => panic!("unexpected command {other:?}"),
    }
}

fn depends_on_healthy(service: &Value, on: &str) -> bool {
    service
        .get("depends_on")
        .and_then(|deps| deps.get(on))
        .and_then(|dep| dep.get("condition"))
        .and_then(Value::as_str)
        == Some("service_healthy")
}

#[test]
fn compose_has_the_kraft_default_and_the_zookeeper_profile() {
    let doc = compose_file();
    let names: BTreeSet<&str> = services(&doc).keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["kafka", "topics", "zookeeper", "kafka-zk", "topics-zk"]),
    );
    for name in ["kafka", "topics"] {
        assert!(
            profiles(service(&doc, name)).is_empty(),
            "{name} must run by default"
        );
    }
    for name in ["zookeeper", "kafka-zk", "topics-zk"] {
        assert_eq!(profiles(service(&doc, name)), ["zookeeper"], "{name}");
    }
}

/// The Kafka version pinned in `scripts/kafka/pom.xml`, the jars `scripts/broker.sh` runs.
fn broker_script_kafka_version() -> String {
    let pom =
        std::fs::read_to_string(support::workspace_root().join("scripts/kafka/pom.xml")).unwrap();
    let (_, rest) = pom
        .split_once("<kafka.version>")
        .expect("scripts/kafka/pom.xml has a <kafka.version>");
    let (version, _) = rest.split_once("</kafka.version>").unwrap();
    assert!(
        version.starts_with("4.") && version.split('.').all(|n| n.parse::<u32>().is_ok()),
        "kafka.version {version:?} is a release"
    );
    version.to_owned()
}

#[test]
fn compose_images_are_pinned() {
    let doc = compose_file();
    for (name, service) in services(&doc) {
        let image = str_at(service, "image");
        let (_, tag) = image
            .rsplit_once(':')
            .unwrap_or_else(|| panic!("{name:?}: image {image} has no tag"));
        assert!(
            !tag.is_empty() && tag != "latest",
            "{name:?}: image {image} is not pinned"
        );
        assert!(
            tag.chars().next().unwrap().is_ascii_digit(),
            "{name:?}: {image}"
        );
    }
    // The KRaft stack runs the Apache Kafka that scripts/broker.sh runs without Docker.
    let kafka = format!("apache/kafka:{}", broker_script_kafka_version());
    assert_eq!(str_at(service(&doc, "kafka"), "image"), kafka);
    assert_eq!(str_at(service(&doc, "topics"), "image"), kafka);
    assert_eq!(
        str_at(service(&doc, "zookeeper"), "image"),
        "confluentinc/cp-zookeeper:7.5.0"
    );
    assert_eq!(
        str_at(service(&doc, "kafka-zk"), "image"),
        "confluentinc/cp-kafka:7.5.0"
    );
    assert_eq!(
        str_at(service(&doc, "topics-zk"), "image"),
        "confluentinc/cp-kafka:7.5.0"
    );
}

#[test]
fn compose_kraft_broker_is_a_single_combined_node() {
    let doc = compose_file();
    let kafka = service(&doc, "kafka");
    let roles: BTreeSet<String> = env(kafka, "KAFKA_PROCESS_ROLES")
        .split(',')
        .map(str::to_owned)
        .collect();
    assert_eq!(
        roles,
        BTreeSet::from(["broker".to_owned(), "controller".to_owned()])
    );
    let node_id = env(kafka, "KAFKA_NODE_ID");
    let controller = env(kafka, "KAFKA_CONTROLLER_LISTENER_NAMES");

    let bound = listeners(&env(kafka, "KAFKA_LISTENERS"));
    let advertised = listeners(&env(kafka, "KAFKA_ADVERTISED_LISTENERS"));
    let mapped = protocol_map_names(kafka);
    for (name, _, _) in bound.iter().chain(&advertised) {
        assert!(
            mapped.contains(name),
            "listener {name} has no security protocol"
        );
    }
    let (_, _, controller_port) = bound
        .iter()
        .find(|(name, _, _)| *name == controller)
        .unwrap();
    assert_eq!(
        env(kafka, "KAFKA_CONTROLLER_QUORUM_VOTERS"),
        format!("{node_id}@kafka:{controller_port}")
    );
    assert!(
        advertised.iter().all(|(name, _, _)| *name != controller),
        "the controller is not advertised"
    );

    // The host reaches localhost:9092, other containers kafka:<inter-broker port>.
    assert_eq!(host_ports(kafka), [9092]);
    assert!(advertised.contains(&("PLAINTEXT_HOST".to_owned(), "localhost".to_owned(), 9092)));
    assert!(
        bound
            .iter()
            .any(|(name, _, port)| name == "PLAINTEXT_HOST" && *port == 9092)
    );
    let inter = env(kafka, "KAFKA_INTER_BROKER_LISTENER_NAME");
    let (_, host, port) = advertised
        .iter()
        .find(|(name, _, _)| *name == inter)
        .unwrap();
    assert_eq!(host, "kafka");
    assert!(
        bound
            .iter()
            .any(|(name, _, bound_port)| *name == inter && bound_port == port)
    );

    // One node: every internal topic must have replication factor 1.
    for key in [
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ] {
        assert_eq!(env(kafka, key), "1", "{key}");
    }
    assert!(kafka.get("healthcheck").is_some());
}

#[test]
fn compose_zookeeper_profile_uses_the_documented_confluent_settings() {
    let doc = compose_file();
    let zookeeper = service(&doc, "zookeeper");
    let client_port = env(zookeeper, "ZOOKEEPER_CLIENT_PORT");
    assert_eq!(client_port, "2181");
    assert!(!env(zookeeper, "ZOOKEEPER_TICK_TIME").is_empty());

    let kafka = service(&doc, "kafka-zk");
    assert_eq!(
        env(kafka, "KAFKA_ZOOKEEPER_CONNECT"),
        format!("zookeeper:{client_port}")
    );
    assert_eq!(env(kafka, "KAFKA_BROKER_ID"), "1");
    let advertised = listeners(&env(kafka, "KAFKA_ADVERTISED_LISTENERS"));
    let mapped = protocol_map_names(kafka);
    for (name, _, _) in &advertised {
        assert!(
            mapped.contains(name),
            "listener {name} has no security protocol"
        );
    }
    // The host listener is published on the same port it advertises.
    assert_eq!(host_ports(kafka), [29092]);
    assert!(advertised.contains(&("PLAINTEXT_HOST".to_owned(), "localhost".to_owned(), 29092)));
    let inter = env(kafka, "KAFKA_INTER_BROKER_LISTENER_NAME");
    assert!(advertised.contains(&(inter, "kafka-zk".to_owned(), 9092)));
    for key in [
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ] {
        assert_eq!(env(kafka, key), "1", "{key}");
    }
    assert!(kafka.get("healthcheck").is_some());
}

#[test]
fn compose_stacks_never_publish_the_same_host_port() {
    // `docker compose --profile zookeeper up` starts the default services as well.
    let doc = compose_file();
    let mut seen = BTreeSet::new();
    for (name, service) in services(&doc) {
        for port in host_ports(service) {
            assert!(
                seen.insert(port),
                "{name:?} publishes host port {port} a second time"
            );
        }
    }
    assert_eq!(seen, BTreeSet::from([2181, 9092, 29092]));
}

#[test]
fn compose_creates_the_topics_on_start() {
    let doc = compose_file();
    for (init, broker, bootstrap, tool) in [
        (
            "topics",
            "kafka",
            "kafka:19092",
            "/opt/kafka/bin/kafka-topics.sh",
        ),
        ("topics-zk", "kafka-zk", "kafka-zk:9092", "kafka-topics"),
    ] {
        let service = service(&doc, init);
        assert!(
            depends_on_healthy(service, broker),
            "{init} waits for a healthy {broker}"
        );
        assert_eq!(
            service.get("restart").and_then(Value::as_str),
            Some("no"),
            "{init} runs once"
        );
        let script = command_text(service);
        assert!(script.contains(&format!(
            "{tool} --bootstrap-server {bootstrap} --create --if-not-exists"
        )));
        for topic in TOPICS {
            assert!(
                script.contains(&format!(" {topic}:")),
                "{init} creates {topic}"
            );
        }
        assert!(
            script.contains(" receipts:3 "),
            "{init} gives receipts 3 partitions"
        );
    }
}

#[test]
fn compose_config_is_accepted_by_docker_compose_when_present() {
    let has_compose = Command::new("docker")
        .args(["compose", "version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_compose {
        eprintln!("skipping `docker compose config`: no docker compose CLI");
        return;
    }
    let root = support::workspace_root();
    for profile in [None, Some("zookeeper")] {
        let mut command = Command::new("docker");
        command.current_dir(&root).arg("compose");
        if let Some(profile) = profile {
            command.args(["--profile", profile]);
        }
        let output = command.args(["config", "-q"]).output().unwrap();
        assert!(
            output.status.success(),
            "docker compose config ({profile:?}): {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
