#!/usr/bin/env python3
"""kafka-python side of retailflow's end-to-end tests: a standard client talking to the same broker.

Sub-commands:
  create-topic      create a topic (an existing one is fine)
  produce-values    the classic producer: {"value": n}, n uniform in 1..=100, one message per interval
  consume-receipts  read receipts written by `retailflow produce`, check their schema, print a summary
  end-offsets       the end offset (high watermark) of every partition of a topic
  check             produce one message to a topic and read it back (is the broker usable?)

Every sub-command prints one JSON object on stdout and exits non-zero when something is wrong.
"""

import argparse
import json
import random
import re
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

RECEIPT_KEYS = {"receipt_id", "store_id", "cashier_id", "ts", "items"}
ITEM_KEYS = {"name", "category", "price", "quantity"}
RFC3339_UTC_MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def create_topic(args):
    admin = KafkaAdminClient(bootstrap_servers=args.brokers, client_id="retailflow-e2e")
    try:
        admin.create_topics([NewTopic(args.topic, num_partitions=args.partitions, replication_factor=1)])
        created = True
    except TopicAlreadyExistsError:
        created = False
    finally:
        admin.close()
    # Wait until the topic's partitions are visible to a client's metadata.
    consumer = KafkaConsumer(bootstrap_servers=args.brokers)
    deadline = time.monotonic() + args.timeout
    partitions = None
    while time.monotonic() < deadline:
        partitions = consumer.partitions_for_topic(args.topic)
        if partitions and len(partitions) == args.partitions:
            break
        time.sleep(0.2)
    consumer.close()
    print(json.dumps({"topic": args.topic, "created": created, "partitions": sorted(partitions or [])}))
    return 0 if partitions and len(partitions) == args.partitions else 1


def produce_values(args):
    """The classic example: a JSON {"value": n} every second (or every --interval seconds)."""
    rng = random.Random(args.seed)
    producer = KafkaProducer(
        bootstrap_servers=args.brokers,
        value_serializer=lambda v: json.dumps(v).encode("utf-8"),
    )
    sent = []
    for i in range(args.count):
        value = rng.randint(1, 100)
        producer.send(args.topic, {"value": value}).get(timeout=30)
        sent.append(value)
        if i + 1 < args.count:
            time.sleep(args.interval)
    producer.flush()
    producer.close()
    print(json.dumps({"topic": args.topic, "values": sent}))
    return 0


def receipt_problems(key, receipt):
    """What is wrong with one receipt message, as a list of strings (empty when it is right)."""
    problems = []
    if not isinstance(receipt, dict):
        return ["not a JSON object"]
    if set(receipt) != RECEIPT_KEYS:
        problems.append(f"keys {sorted(receipt)}")
        return problems
    for field in ("receipt_id", "store_id", "cashier_id", "ts"):
        if not isinstance(receipt[field], str) or not receipt[field]:
            problems.append(f"{field} is not a non-empty string")
    if isinstance(receipt["ts"], str) and not RFC3339_UTC_MILLIS.match(receipt["ts"]):
        problems.append(f"ts {receipt['ts']!r} is not RFC 3339 UTC with milliseconds")
    if key != receipt["store_id"]:
        problems.append(f"message key {key!r} is not the store_id {receipt['store_id']!r}")
    items = receipt["items"]
    if not isinstance(items, list) or not items:
        problems.append("items is not a non-empty list")
        return problems
    for item in items:
        if not isinstance(item, dict) or set(item) != ITEM_KEYS:
            problems.append(f"item {item!r} does not have the keys {sorted(ITEM_KEYS)}")
            continue
        if not isinstance(item["name"], str) or not isinstance(item["category"], str):
            problems.append(f"item {item!r}: name and category must be strings")
        if isinstance(item["price"], bool) or not isinstance(item["price"], (int, float)) or item["price"] <= 0:
            problems.append(f"item {item!r}: price must be a positive number")
        if isinstance(item["quantity"], bool) or not isinstance(item["quantity"], int) or item["quantity"] <= 0:
            problems.append(f"item {item!r}: quantity must be a positive integer")
    return problems


def consume_receipts(args):
    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.brokers,
        group_id=args.group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
    )
    deadline = time.monotonic() + args.timeout
    receipt_ids = []
    invalid = []
    partitions = {}
    while len(receipt_ids) + len(invalid) < args.expect and time.monotonic() < deadline:
        for message in consumer:
            key = message.key.decode("utf-8") if message.key is not None else None
            try:
                receipt = json.loads(message.value.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                invalid.append({"offset": message.offset, "problems": [f"not JSON: {error}"]})
                continue
            problems = receipt_problems(key, receipt)
            if problems:
                invalid.append({"offset": message.offset, "problems": problems})
            else:
                receipt_ids.append(receipt["receipt_id"])
            partitions[message.partition] = partitions.get(message.partition, 0) + 1
            if len(receipt_ids) + len(invalid) >= args.expect or time.monotonic() >= deadline:
                break
    consumer.close()
    summary = {
        "topic": args.topic,
        "count": len(receipt_ids) + len(invalid),
        "valid": len(receipt_ids),
        "invalid": invalid[:20],
        "receipt_ids": receipt_ids,
        "partitions": {str(p): n for p, n in sorted(partitions.items())},
    }
    print(json.dumps(summary))
    return 0 if not invalid and len(receipt_ids) == args.expect else 1


def end_offsets(args):
    consumer = KafkaConsumer(bootstrap_servers=args.brokers)
    partitions = [TopicPartition(args.topic, p) for p in sorted(consumer.partitions_for_topic(args.topic) or [])]
    ends = consumer.end_offsets(partitions) if partitions else {}
    consumer.close()
    print(json.dumps({"topic": args.topic, "end_offsets": {str(tp.partition): ends[tp] for tp in partitions}}))
    return 0 if partitions else 1


def check(args):
    """Round trip one message, so a set-up script can tell the broker and the client work together."""
    args.partitions, args.timeout = 1, 30
    if create_topic(args) != 0:
        return 1
    producer = KafkaProducer(bootstrap_servers=args.brokers)
    payload = json.dumps({"check": time.time()}).encode("utf-8")
    metadata = producer.send(args.topic, payload).get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        bootstrap_servers=args.brokers, auto_offset_reset="earliest", consumer_timeout_ms=10000
    )
    partition = TopicPartition(args.topic, metadata.partition)
    consumer.assign([partition])
    consumer.seek(partition, metadata.offset)
    received = next(iter(consumer), None)
    consumer.close()
    ok = received is not None and received.value == payload
    print(json.dumps({"topic": args.topic, "partition": metadata.partition, "offset": metadata.offset, "ok": ok}))
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brokers", default="127.0.0.1:9092")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("create-topic")
    p.add_argument("--topic", required=True)
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--timeout", type=float, default=30)
    p.set_defaults(run=create_topic)

    p = sub.add_parser("produce-values")
    p.add_argument("--topic", default="test-topic")
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--interval", type=float, default=1.0, help="seconds between messages")
    p.add_argument("--seed", type=int, default=None)
    p.set_defaults(run=produce_values)

    p = sub.add_parser("consume-receipts")
    p.add_argument("--topic", default="receipts")
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--group", default=None)
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(run=consume_receipts)

    p = sub.add_parser("end-offsets")
    p.add_argument("--topic", required=True)
    p.set_defaults(run=end_offsets)

    p = sub.add_parser("check")
    p.add_argument("--topic", default="e2e-check")
    p.set_defaults(run=check)

    args = parser.parse_args()
    sys.exit(args.run(args))


if __name__ == "__main__":
    main()
