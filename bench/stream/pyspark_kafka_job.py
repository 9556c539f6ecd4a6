#!/usr/bin/env python3
"""The stream benchmark in PySpark Structured Streaming reading Kafka, written the way the classic
tutorial consumer is: the `kafka` source (the `spark-sql-kafka-0-10` package of the installed
PySpark's version and Scala, resolved from Maven Central through `spark.jars.packages`) from the
earliest offsets, `from_json(value, StructType)`, then the same four queries as
bench/stream/pyspark_job.py (`withWatermark('ts', LATENESS)`, `window()` aggregations in append mode,
`Trigger.AvailableNow`: read up to the end offsets seen at start, then stop).

    pyspark_kafka_job.py BROKERS TOPIC OUTPUT_DIR [--window 10s] [--slide 10s]
                         [--allowed-lateness 5s] [--big-receipt 500] [--follow OUTPUT.jsonl]

With --follow (the latency benchmark) it reads from the latest offsets without an end, micro-batch
after micro-batch, and appends each batch's window summaries and big receipts to OUTPUT.jsonl (one
JSON line each with its `kind`, flushed at once) until it is stopped.

Each of the four queries is its own Kafka consumer of the topic, as with the file source each query
reads the files. The output is that of pyspark_job.py (bench/stream/compare.py reads it); windows
still open when the input ends are not emitted (Spark has no end-of-input flush)."""

import argparse
import glob
import json
import os
import re
import shutil
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyspark  # noqa: E402
from pyspark.sql import SparkSession, functions as F  # noqa: E402

from pyspark_job import SCHEMA, start_queries  # noqa: E402


def kafka_package():
    """`org.apache.spark:spark-sql-kafka-0-10_SCALA:VERSION` for the installed PySpark."""
    jars = glob.glob(os.path.join(os.path.dirname(pyspark.__file__), "jars", "scala-library-*.jar"))
    match = re.search(r"scala-library-(\d+\.\d+)\.", os.path.basename(jars[0])) if jars else None
    scala = match.group(1) if match else "2.13"
    return f"org.apache.spark:spark-sql-kafka-0-10_{scala}:{pyspark.__version__}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("brokers")
    parser.add_argument("topic")
    parser.add_argument("output_dir")
    parser.add_argument("--window", default="10s")
    parser.add_argument("--slide", default=None)
    parser.add_argument("--allowed-lateness", default="5s")
    parser.add_argument("--big-receipt", type=float, default=500.0)
    parser.add_argument("--follow")
    args = parser.parse_args()
    out = args.output_dir
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)

    spark = (SparkSession.builder.master("local[*]").appName("retailflow-stream-bench-kafka")
             .config("spark.jars.packages", kafka_package())
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "2g"))
             .config("spark.sql.streaming.noDataMicroBatches.enabled", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    raw = (spark.readStream.format("kafka")
           .option("kafka.bootstrap.servers", args.brokers)
           .option("subscribe", args.topic)
           .option("startingOffsets", "latest" if args.follow else "earliest")
           .option("failOnDataLoss", "false")
           .load()
           .select(F.from_json(F.col("value").cast("string"), SCHEMA).alias("receipt"))
           .select("receipt.*"))
    follow = None
    if args.follow:
        lock = threading.Lock()
        followed = open(args.follow, "a")

        def follow(kind, batch):
            rows = [json.dumps({"kind": kind, **row.asDict()}) + "\n" for row in batch.collect()]
            with lock:
                followed.writelines(rows)
                followed.flush()
    for query in start_queries(raw, out, args, follow):
        query.awaitTermination()
    spark.stop()


if __name__ == "__main__":
    main()
