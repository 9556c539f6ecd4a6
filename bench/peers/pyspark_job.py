#!/usr/bin/env python3
"""The batch job in PySpark (local mode): pyspark_job.py INPUT OUT_PARQUET REPORT_JSON.

The notebook's steps as DataFrame operations: read as text, rename, cast, catalog, repair, drop, add
the date features, write Parquet (a directory, as Spark writes it) and aggregate."""

import os
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from common import (FALSE_WORDS, FORMATS, TRUE_WORDS, choose_date_format, main, make_report,
                    snake_columns, write_report)

# strftime -> Spark datetime patterns. `M` and `d` take one or two digits, like strptime's.
SPARK_PATTERNS = {
    "%Y-%m-%d": "yyyy-M-d",
    "%d/%m/%Y": "d/M/yyyy",
    "%m/%d/%Y": "M/d/yyyy",
    "%d-%m-%y": "d-M-yy",
    "%d.%m.%Y": "d.M.yyyy",
}


def text(column):
    value = F.trim(F.col(f"`{column}`"))
    return F.when(F.length(value) > 0, value)


def to_float(column):
    number = text(column).cast("double")
    return F.when(~F.isnan(number) & (F.abs(number) != float("inf")), number + F.lit(0.0))


def run(input_path, out_path, report_path):
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    cores = os.cpu_count() or 1
    spark = (SparkSession.builder.master(f"local[{cores}]").appName("retailflow-peer")
             .config("spark.sql.shuffle.partitions", str(2 * cores))
             .config("spark.sql.ansi.enabled", "false")
             .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        raw = spark.read.csv(input_path, header=True, inferSchema=False, encoding="UTF-8")
        headers = raw.columns
        names = snake_columns(headers)
        original = dict(zip(names, headers))

        # Each distinct date text is tried once: a file has far fewer distinct dates than rows.
        dates = raw.select(text(original["transaction_date"]).alias("d")).dropna() \
            .groupBy("d").count()
        mask = sum(F.when(F.to_date("d", SPARK_PATTERNS[f]).isNotNull(), 1 << i).otherwise(0)
                   for i, f in enumerate(FORMATS))
        date_format = choose_date_format(
            (r[0], r[1]) for r in dates.groupBy(mask.alias("mask")).agg(F.sum("count")).collect())

        casts = []
        for name in names:
            column = original[name]
            if name in ("price_per_unit", "total_spent"):
                expr = to_float(column)
            elif name == "quantity":
                number = to_float(column)
                expr = F.when(number == F.floor(number), number.cast("long"))
            elif name == "discount_applied":
                word = F.lower(text(column))
                expr = F.when(word.isin(TRUE_WORDS), F.lit(True)) \
                    .when(word.isin(FALSE_WORDS), F.lit(False))
            elif name == "transaction_date":
                expr = F.to_date(text(column), SPARK_PATTERNS[date_format])
            else:
                expr = text(column)
            casts.append(expr.alias(name))
        cast = raw.select(*casts).cache()

        def null_counts(frame, columns):
            row = frame.agg(*[F.count_if(F.col(c).isNull()).alias(c) for c in columns]).first()
            return row.asDict()

        base = cast.agg(F.count(F.lit(1)).alias("rows"),
                        *[F.count_if(F.col(c).isNull()).alias(c) for c in names]).first()
        rows_loaded = base["rows"]
        nulls_after_cast = {c: base[c] for c in names}

        catalog = cast.select("category", "item", "price_per_unit").dropna().distinct().cache()
        keys = catalog.groupBy("category", "price_per_unit").agg(
            F.count(F.lit(1)).alias("items"), F.min("item").alias("catalog_item")).cache()
        catalog_rows = catalog.count()
        ambiguous = keys.filter(F.col("items") > 1).count()
        unambiguous = keys.filter(F.col("items") == 1).drop("items")

        q, p, t = F.col("quantity"), F.col("price_per_unit"), F.col("total_spent")
        ratio = t / p
        repaired = (
            cast.withColumn("total_spent", F.coalesce(t, q * p))
            .withColumn("quantity", F.when(
                q.isNull() & (p != 0) & (F.abs(ratio - F.round(ratio)) <= 1e-9),
                F.round(ratio).cast("long")).otherwise(q))
            .withColumn("price_per_unit", F.when(p.isNull() & (q != 0), F.round(t / q, 2))
                        .otherwise(p))
            .join(F.broadcast(unambiguous), ["category", "price_per_unit"], "left")
            .withColumn("item", F.coalesce(F.col("item"), F.col("catalog_item")))
            .drop("catalog_item")
            .select(*names)
            .cache()
        )
        clean = (
            repaired.filter(F.col("category").isNotNull() & q.isNotNull() & t.isNotNull()
                            & p.isNotNull())
            .withColumn("day_of_week", F.date_format("transaction_date", "EEEE"))
            .withColumn("transaction_month", F.month("transaction_date"))
        )
        clean.write.mode("overwrite").parquet(out_path)
        clean = spark.read.parquet(out_path).cache()

        repaired_nulls = repaired.agg(
            *[F.count_if(F.col(c).isNull()).alias(c)
              for c in ("item", "total_spent", "quantity", "price_per_unit")]).first().asDict()
        restored = {c: nulls_after_cast[c] - repaired_nulls[c] for c in repaired_nulls}

        output_columns = names + ["day_of_week", "transaction_month"]
        summary = clean.agg(F.count(F.lit(1)).alias("__rows"),
                            *[F.count_if(F.col(c).isNull()).alias(c)
                              for c in output_columns]).first()
        top = (clean.filter(F.col("category").isNotNull()).groupBy("category")
               .agg(F.sum("quantity").alias("units"))
               .orderBy(F.desc("units"), F.asc("category")).limit(5).collect())

        def average_by(key):
            rows = clean.groupBy(key).agg(F.round(F.avg("total_spent"), 2).alias("a")).collect()
            return [(r[0], r[1]) for r in rows]

        def count_by(key):
            return [(r[0], r[1]) for r in clean.groupBy(key).count().collect()]

        report = make_report(
            rows_loaded=rows_loaded, columns=names, nulls_after_cast=nulls_after_cast,
            catalog_rows=catalog_rows, catalog_ambiguous_keys=ambiguous, restored=restored,
            rows_clean=summary["__rows"],
            still_null={c: summary[c] for c in output_columns}, date_format=date_format,
            top_categories=[(r["category"], r["units"]) for r in top],
            avg_by_payment=average_by("payment_method"), avg_by_location=average_by("location"),
            rows_by_day_of_week=count_by("day_of_week"),
            rows_by_month=count_by("transaction_month"),
        )
        write_report(report_path, report)
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main(run, sys.argv))
