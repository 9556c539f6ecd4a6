#!/usr/bin/env python3
"""The batch job in DuckDB SQL: duckdb_job.py INPUT OUT_PARQUET REPORT_JSON.

The CSV is read as text and cast into a table in one pass; the repairs, the drop and the date
features are one query copied to Parquet; the report comes from queries over the tables."""

import sys

import duckdb

from common import (FALSE_WORDS, FORMATS, TRUE_WORDS, choose_date_format, main, make_report,
                    snake_columns, write_report)


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def literal(value):
    return "'" + value.replace("'", "''") + "'"


def text(column):
    return f"NULLIF(TRIM({quote(column)}), '')"


def run(input_path, out_path, report_path):
    con = duckdb.connect()
    source = (f"read_csv({literal(input_path)}, header = true, all_varchar = true, "
              "auto_detect = true)")
    headers = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    names = snake_columns(headers)
    original = dict(zip(names, headers))

    mask = " + ".join(f"CASE WHEN try_strptime(d, {literal(f)}) IS NULL THEN 0 ELSE {1 << i} END"
                      for i, f in enumerate(FORMATS))
    # Each distinct date text is tried once: a file has far fewer distinct dates than rows.
    date_format = choose_date_format(con.execute(
        f"SELECT {mask} AS mask, sum(n) FROM (SELECT {text(original['transaction_date'])} AS d, "
        f"count(*) AS n FROM {source} GROUP BY d) WHERE d IS NOT NULL GROUP BY mask").fetchall())

    casts = []
    for name in names:
        column = original[name]
        if name in ("price_per_unit", "total_spent"):
            number = f"TRY_CAST({text(column)} AS DOUBLE)"
            expr = f"CASE WHEN isfinite({number}) THEN {number} + 0.0 END"
        elif name == "quantity":
            number = f"TRY_CAST({text(column)} AS DOUBLE)"
            expr = (f"CASE WHEN isfinite({number}) AND {number} = floor({number}) "
                    f"THEN CAST({number} AS BIGINT) END")
        elif name == "discount_applied":
            word = f"lower({text(column)})"
            expr = (f"CASE WHEN {word} IN ({', '.join(map(literal, TRUE_WORDS))}) THEN true "
                    f"WHEN {word} IN ({', '.join(map(literal, FALSE_WORDS))}) THEN false END")
        elif name == "transaction_date":
            expr = f"CAST(try_strptime({text(column)}, {literal(date_format)}) AS DATE)"
        else:
            expr = text(column)
        casts.append(f"{expr} AS {quote(name)}")
    con.execute(f"CREATE TABLE cast_rows AS SELECT {', '.join(casts)} FROM {source}")

    def nulls(table, columns):
        row = con.execute("SELECT " + ", ".join(f"count(*) - count({quote(c)})" for c in columns)
                          + f" FROM {table}").fetchone()
        return dict(zip(columns, row))

    rows_loaded = con.execute("SELECT count(*) FROM cast_rows").fetchone()[0]
    nulls_after_cast = nulls("cast_rows", names)

    con.execute("""
        CREATE TABLE catalog AS SELECT DISTINCT category, item, price_per_unit FROM cast_rows
        WHERE category IS NOT NULL AND item IS NOT NULL AND price_per_unit IS NOT NULL""")
    con.execute("""
        CREATE TABLE catalog_keys AS SELECT category, price_per_unit, count(*) AS items,
               min(item) AS catalog_item FROM catalog GROUP BY category, price_per_unit""")
    catalog_rows = con.execute("SELECT count(*) FROM catalog").fetchone()[0]
    ambiguous = con.execute("SELECT count(*) FROM catalog_keys WHERE items > 1").fetchone()[0]

    con.execute(f"""
        CREATE TABLE repaired AS
        WITH with_total AS (
            SELECT * REPLACE (coalesce(total_spent, quantity * price_per_unit) AS total_spent)
            FROM cast_rows),
        with_quantity AS (
            SELECT * REPLACE (CASE
                WHEN quantity IS NULL AND price_per_unit <> 0
                     AND abs(total_spent / price_per_unit - round(total_spent / price_per_unit))
                         <= 1e-9
                THEN CAST(round(total_spent / price_per_unit) AS BIGINT)
                ELSE quantity END AS quantity)
            FROM with_total),
        with_price AS (
            SELECT * REPLACE (CASE WHEN price_per_unit IS NULL AND quantity <> 0
                THEN round(total_spent / quantity, 2) ELSE price_per_unit END AS price_per_unit)
            FROM with_quantity)
        SELECT w.* REPLACE (coalesce(w.item, k.catalog_item) AS item)
        FROM with_price w LEFT JOIN catalog_keys k
          ON k.items = 1 AND w.category = k.category AND w.price_per_unit = k.price_per_unit""")
    nulls_after_repair = nulls("repaired", ["item", "total_spent", "quantity", "price_per_unit"])
    restored = {c: nulls_after_cast[c] - nulls_after_repair[c] for c in nulls_after_repair}

    con.execute("""
        CREATE TABLE clean AS SELECT *, dayname(transaction_date) AS day_of_week,
               CAST(month(transaction_date) AS INTEGER) AS transaction_month
        FROM repaired WHERE category IS NOT NULL AND quantity IS NOT NULL
          AND total_spent IS NOT NULL AND price_per_unit IS NOT NULL""")
    con.execute(f"COPY clean TO {literal(out_path)} (FORMAT parquet)")

    rows_clean = con.execute("SELECT count(*) FROM clean").fetchone()[0]
    still_null = nulls("clean", names + ["day_of_week", "transaction_month"])
    top = con.execute("""
        SELECT category, sum(quantity) AS units FROM clean WHERE category IS NOT NULL
        GROUP BY category ORDER BY units DESC, category LIMIT 5""").fetchall()

    def average_by(key):
        return con.execute(f"SELECT {key}, round(avg(total_spent), 2) FROM clean "
                           f"GROUP BY {key}").fetchall()

    def count_by(key):
        return con.execute(f"SELECT {key}, count(*) FROM clean GROUP BY {key}").fetchall()

    report = make_report(
        rows_loaded=rows_loaded, columns=names, nulls_after_cast=nulls_after_cast,
        catalog_rows=catalog_rows, catalog_ambiguous_keys=ambiguous, restored=restored,
        rows_clean=rows_clean, still_null=still_null, date_format=date_format,
        top_categories=top, avg_by_payment=average_by("payment_method"),
        avg_by_location=average_by("location"), rows_by_day_of_week=count_by("day_of_week"),
        rows_by_month=count_by("transaction_month"),
    )
    write_report(report_path, report)


if __name__ == "__main__":
    sys.exit(main(run, sys.argv))
