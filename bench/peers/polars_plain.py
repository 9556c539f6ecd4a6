#!/usr/bin/env python3
"""The notebook's steps in Polars, written plainly: polars_plain.py INPUT OUT_PARQUET REPORT_JSON.

What a user comparing tools writes: read, snake_case the headers, cast with a fixed date format
(%Y-%m-%d), one pass of repairs (total, quantity, price, item from the catalog), drop the rows still
missing a key figure, add the date features, write Parquet and compute the three aggregates. No
date detection, no repairs to a fixpoint, no null accounting: its report holds only the figures it
produces (rows after the drop, the top-5 categories, the two averages)."""

import sys

import polars as pl

from common import main, plain_report, write_report


def run(input_path, out_path, report_path):
    frame = pl.read_csv(input_path, infer_schema=False)
    frame = frame.rename({c: c.strip().lower().replace(" ", "_") for c in frame.columns})
    q, p, t = pl.col("quantity"), pl.col("price_per_unit"), pl.col("total_spent")
    frame = frame.with_columns(
        pl.col("price_per_unit", "total_spent").cast(pl.Float64, strict=False),
        pl.col("quantity").cast(pl.Float64, strict=False).cast(pl.Int64, strict=False),
        pl.col("transaction_date").str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        pl.col("discount_applied").str.to_lowercase().replace_strict(
            {"true": True, "false": False}, default=None, return_dtype=pl.Boolean),
    )
    catalog = (frame.select("category", "item", "price_per_unit").drop_nulls().unique()
               .group_by("category", "price_per_unit")
               .agg(pl.col("item").first().alias("catalog_item"), pl.len().alias("items"))
               .filter(pl.col("items") == 1).drop("items"))
    clean = (
        frame.lazy()
        .with_columns(pl.coalesce(t, q * p).alias("total_spent"))
        .with_columns(pl.coalesce(q, (t / p).round().cast(pl.Int64)).alias("quantity"))
        .with_columns(pl.coalesce(p, (t / q).round(2)).alias("price_per_unit"))
        .join(catalog.lazy(), on=["category", "price_per_unit"], how="left")
        .with_columns(pl.coalesce("item", "catalog_item").alias("item"))
        .drop("catalog_item")
        .drop_nulls(["category", "quantity", "total_spent", "price_per_unit"])
        .with_columns(pl.col("transaction_date").dt.to_string("%A").alias("day_of_week"),
                      pl.col("transaction_date").dt.month().alias("transaction_month"))
        .collect()
    )
    clean.write_parquet(out_path)

    top = (clean.group_by("category").agg(pl.col("quantity").sum().alias("units"))
           .sort(["units", "category"], descending=[True, False]).head(5))
    by_payment = clean.group_by("payment_method").agg(pl.col("total_spent").mean().round(2))
    by_location = clean.group_by("location").agg(pl.col("total_spent").mean().round(2))
    write_report(report_path, plain_report(
        rows_clean=clean.height, top_categories=top.rows(), avg_by_payment=by_payment.rows(),
        avg_by_location=by_location.rows()))


if __name__ == "__main__":
    sys.exit(main(run, sys.argv))
