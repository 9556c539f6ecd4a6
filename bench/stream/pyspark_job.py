#!/usr/bin/env python3
"""The stream benchmark in PySpark Structured Streaming: a JSON file source with an explicit schema,
`withWatermark('ts', LATENESS)`, `window()` aggregations in append mode, `Trigger.AvailableNow`,
output to files — the four analyses as four streaming queries over the same source:

- window summary: groupBy(window) count, Σ total, Σ units -> JSON files
- top stores: groupBy(window, store_id) Σ total, count -> foreachBatch ranks the top 5 -> JSON
- popular items: explode(items), groupBy(window, category, name) Σ quantity -> foreachBatch
  ranks the top 3 per category -> JSON
- big receipts: filter(total > threshold) -> JSON files (no window)

    pyspark_job.py INPUT_DIR OUTPUT_DIR [--window 10s] [--slide 10s] [--allowed-lateness 5s]
                   [--big-receipt 500]

Money is summed in exact cents (long). Window times are written as epoch milliseconds
(`window_start_ms`); bench/stream/compare.py reads that form. Spark emits a window in append mode
only once a later batch's watermark passes its end and has no end-of-input flush, so the
windows that end after (largest event time - lateness) stay in its state and are not written."""

import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

from pyspark.sql import SparkSession, Window, functions as F, types as T  # noqa: E402

SCHEMA = T.StructType([
    T.StructField("receipt_id", T.StringType()),
    T.StructField("store_id", T.StringType()),
    T.StructField("cashier_id", T.StringType()),
    T.StructField("ts", T.TimestampType()),
    T.StructField("items", T.ArrayType(T.StructType([
        T.StructField("name", T.StringType()),
        T.StructField("category", T.StringType()),
        T.StructField("price", T.DoubleType()),
        T.StructField("quantity", T.LongType()),
    ]))),
])


def spark_session():
    return (SparkSession.builder.master("local[*]").appName("retailflow-stream-bench")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "2g"))
            .config("spark.sql.streaming.noDataMicroBatches.enabled", "true")
            .getOrCreate())


def window_columns(frame):
    return (frame.withColumn("window_start_ms", F.unix_millis(F.col("window.start")))
            .withColumn("window_end_ms", F.unix_millis(F.col("window.end"))).drop("window"))


def start_queries(raw, out, args, follow=None):
    """The four analyses over a streaming frame of receipts (SCHEMA's columns) as four started
    queries writing under `out`, each with `Trigger.AvailableNow`. With `follow` (a function of
    (kind, batch frame)), they run without an end (micro-batches one after the other) and the window
    summaries and big receipts of each batch go to `follow` instead (the latency benchmark)."""
    trigger = {"availableNow": True} if follow is None else {"processingTime": "0 seconds"}
    length = f"{common.parse_duration_ms(args.window)} milliseconds"
    slide = f"{common.parse_duration_ms(args.slide or args.window)} milliseconds"
    lateness = f"{common.parse_duration_ms(args.allowed_lateness)} milliseconds"
    big_cents = round(args.big_receipt * 100)
    receipts = (raw.where(F.col("ts").isNotNull() & F.col("store_id").isNotNull())
                .withColumn("total_cents", F.aggregate(
                    "items", F.lit(0).cast("long"),
                    lambda acc, x: acc + F.round(x["price"] * 100).cast("long") * x["quantity"]))
                .withColumn("units", F.aggregate("items", F.lit(0).cast("long"),
                                                 lambda acc, x: acc + x["quantity"]))
                .withWatermark("ts", lateness))
    win = F.window("ts", length, slide)

    def sink(frame, name, mode="append"):
        if follow is not None:
            return (frame.writeStream.outputMode(mode).foreachBatch(lambda batch, _id: follow(name, batch))
                    .option("checkpointLocation", f"{out}/_cp_{name}").trigger(**trigger))
        return (frame.writeStream.outputMode(mode).format("json")
                .option("path", f"{out}/{name}").option("checkpointLocation", f"{out}/_cp_{name}")
                .trigger(**trigger))

    summary = window_columns(receipts.groupBy(win).agg(
        F.count(F.lit(1)).alias("receipts"), F.sum("total_cents").alias("revenue_cents"),
        F.sum("units").alias("items")))

    per_store = window_columns(receipts.groupBy(win, "store_id").agg(
        F.sum("total_cents").alias("revenue_cents"), F.count(F.lit(1)).alias("receipts")))

    def rank_stores(batch, _batch_id):
        order = Window.partitionBy("window_start_ms").orderBy(F.desc("revenue_cents"), "store_id")
        (batch.withColumn("rank", F.row_number().over(order)).where(F.col("rank") <= common.TOP_STORES)
         .write.mode("append").json(f"{out}/top_stores"))

    lines = (receipts.select("ts", F.explode("items").alias("item"))
             .select("ts", F.col("item.category").alias("category"), F.col("item.name").alias("name"),
                     F.col("item.quantity").alias("quantity")))
    per_item = window_columns(lines.groupBy(win, "category", "name").agg(
        F.sum("quantity").alias("quantity")))

    def rank_items(batch, _batch_id):
        order = Window.partitionBy("window_start_ms", "category").orderBy(F.desc("quantity"), "name")
        (batch.withColumn("rank", F.row_number().over(order)).where(F.col("rank") <= common.TOP_ITEMS)
         .write.mode("append").json(f"{out}/popular_items"))

    big = (receipts.where(F.col("total_cents") > big_cents)
           .select("receipt_id", "store_id", "cashier_id", F.unix_millis("ts").alias("ts_ms"),
                   "total_cents"))

    queries = [
        sink(summary, "window_summary").start(),
        (per_store.writeStream.outputMode("append").foreachBatch(rank_stores)
         .option("checkpointLocation", f"{out}/_cp_top_stores").trigger(**trigger).start()),
        (per_item.writeStream.outputMode("append").foreachBatch(rank_items)
         .option("checkpointLocation", f"{out}/_cp_popular_items").trigger(**trigger).start()),
        sink(big, "big_receipt").start(),
    ]
    return queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input_dir")
    parser.add_argument("output_dir")
    parser.add_argument("--window", default="10s")
    parser.add_argument("--slide", default=None)
    parser.add_argument("--allowed-lateness", default="5s")
    parser.add_argument("--big-receipt", type=float, default=500.0)
    args = parser.parse_args()
    out = args.output_dir
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)

    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    raw = (spark.readStream.schema(SCHEMA).option("mode", "DROPMALFORMED")
           .option("maxFilesPerTrigger", 1).json(args.input_dir))
    queries = start_queries(raw, out, args)
    for query in queries:
        query.awaitTermination()
    spark.stop()


if __name__ == "__main__":
    main()
