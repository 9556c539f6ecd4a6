#!/usr/bin/env python3
"""The batch job in Polars: polars_job.py INPUT OUT_PARQUET REPORT_JSON.

The file is read once with every column as text; the date format is detected on it, every column
trimmed and cast in one select, and the cast frame repaired, filtered, written to Parquet and
aggregated, the way a Polars user would write it."""

import sys

import polars as pl

from common import (FALSE_WORDS, FORMATS, TRUE_WORDS, choose_date_format, main, make_report,
                    snake_columns, write_report)


def text(name):
    value = pl.col(name).str.strip_chars()
    return pl.when(value.str.len_bytes() > 0).then(value)


def to_float(name):
    number = text(name).cast(pl.Float64, strict=False)
    return pl.when(number.is_finite()).then(number + 0.0)


def detect_date_format(frame, original):
    # Each distinct date text is tried once: a file has far fewer distinct dates than rows.
    dates = frame.select(text(original).alias("d")).drop_nulls().group_by("d").len()
    mask = pl.sum_horizontal(
        pl.col("d").str.strptime(pl.Date, f, strict=False).is_not_null().cast(pl.UInt32) * (1 << i)
        for i, f in enumerate(FORMATS))
    return choose_date_format(dates.group_by(mask.alias("mask")).agg(pl.col("len").sum()).rows())


def run(input_path, out_path, report_path):
    raw = pl.read_csv(input_path, infer_schema=False)
    headers = raw.columns
    names = snake_columns(headers)
    original = dict(zip(names, headers))
    date_format = detect_date_format(raw, original["transaction_date"])

    casts = []
    for name in names:
        source = original[name]
        if name in ("price_per_unit", "total_spent"):
            expr = to_float(source)
        elif name == "quantity":
            number = to_float(source)
            expr = pl.when(number == number.floor()).then(number).cast(pl.Int64)
        elif name == "discount_applied":
            word = text(source).str.to_lowercase()
            expr = pl.when(word.is_in(TRUE_WORDS)).then(True).when(word.is_in(FALSE_WORDS)) \
                .then(False)
        elif name == "transaction_date":
            expr = text(source).str.strptime(pl.Date, date_format, strict=False)
        else:
            expr = text(source)
        casts.append(expr.alias(name))
    cast = raw.select(casts)
    del raw
    rows_loaded = cast.height
    nulls_after_cast = cast.null_count().row(0, named=True)

    catalog = cast.select("category", "item", "price_per_unit").drop_nulls().unique()
    keys = catalog.group_by("category", "price_per_unit").agg(
        pl.col("item").n_unique().alias("items"), pl.col("item").first().alias("catalog_item"))
    ambiguous = keys.filter(pl.col("items") > 1).height
    unambiguous = keys.filter(pl.col("items") == 1).select(
        "category", "price_per_unit", "catalog_item")

    q, p, t = pl.col("quantity"), pl.col("price_per_unit"), pl.col("total_spent")
    ratio = t / p
    repaired = (
        cast.lazy()
        .with_columns(pl.when(t.is_null()).then(q * p).otherwise(t).alias("total_spent"))
        .with_columns(pl.when(q.is_null() & (p != 0) & ((ratio - ratio.round()).abs() <= 1e-9))
                      .then(ratio.round().cast(pl.Int64)).otherwise(q).alias("quantity"))
        .with_columns(pl.when(p.is_null() & (q != 0))
                      .then((t / q).round(2, mode="half_away_from_zero"))
                      .otherwise(p).alias("price_per_unit"))
        .join(unambiguous.lazy(), on=["category", "price_per_unit"], how="left",
              maintain_order="left")
        .with_columns(pl.coalesce("item", "catalog_item").alias("item"))
        .drop("catalog_item")
        .collect()
    )
    nulls_after_repair = repaired.null_count().row(0, named=True)
    restored = {c: nulls_after_cast[c] - nulls_after_repair[c]
                for c in ("item", "total_spent", "quantity", "price_per_unit")}

    clean = (
        repaired.lazy()
        .filter(pl.all_horizontal(pl.col(c).is_not_null()
                                  for c in ("category", "quantity", "total_spent",
                                            "price_per_unit")))
        .with_columns(pl.col("transaction_date").dt.to_string("%A").alias("day_of_week"),
                      pl.col("transaction_date").dt.month().cast(pl.Int32)
                      .alias("transaction_month"))
        .collect()
    )
    clean.write_parquet(out_path)

    top = (clean.group_by("category").agg(pl.col("quantity").sum().alias("units"))
           .drop_nulls("category").sort(["units", "category"], descending=[True, False]).head(5))

    def average_by(key):
        frame = clean.group_by(key).agg(
            pl.col("total_spent").mean().round(2, mode="half_away_from_zero").alias("avg"))
        return frame.rows()

    report = make_report(
        rows_loaded=rows_loaded, columns=names, nulls_after_cast=nulls_after_cast,
        catalog_rows=catalog.height, catalog_ambiguous_keys=ambiguous, restored=restored,
        rows_clean=clean.height, still_null=clean.null_count().row(0, named=True),
        date_format=date_format, top_categories=top.rows(),
        avg_by_payment=average_by("payment_method"), avg_by_location=average_by("location"),
        rows_by_day_of_week=clean.group_by("day_of_week").len().rows(),
        rows_by_month=clean.group_by("transaction_month").len().rows(),
    )
    write_report(report_path, report)


if __name__ == "__main__":
    sys.exit(main(run, sys.argv))
