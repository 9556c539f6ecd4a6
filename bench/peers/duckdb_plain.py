#!/usr/bin/env python3
"""The notebook's steps in DuckDB, written plainly: duckdb_plain.py INPUT OUT_PARQUET REPORT_JSON.

The same steps as polars_plain.py, as a DuckDB user writes them: the CSV read as text, one query
that casts with a fixed date format, repairs once, joins the catalog, drops and adds the date
features, copied to Parquet; then the three aggregates. Its report holds only those figures."""

import sys

import duckdb

from common import main, plain_report, write_report


def run(input_path, out_path, report_path):
    con = duckdb.connect()
    con.execute(f"""
        CREATE TABLE sales AS SELECT
            "Transaction ID" AS transaction_id, "Customer ID" AS customer_id,
            "Category" AS category, "Item" AS item,
            TRY_CAST("Price Per Unit" AS DOUBLE) AS price_per_unit,
            TRY_CAST(TRY_CAST("Quantity" AS DOUBLE) AS BIGINT) AS quantity,
            TRY_CAST("Total Spent" AS DOUBLE) AS total_spent,
            "Payment Method" AS payment_method, "Location" AS location,
            CAST(try_strptime("Transaction Date", '%Y-%m-%d') AS DATE) AS transaction_date,
            TRY_CAST("Discount Applied" AS BOOLEAN) AS discount_applied
        FROM read_csv('{input_path}', header = true, all_varchar = true)""")
    con.execute(f"""
        COPY (
            WITH catalog AS (
                SELECT category, price_per_unit, min(item) AS catalog_item
                FROM (SELECT DISTINCT category, item, price_per_unit FROM sales
                      WHERE category IS NOT NULL AND item IS NOT NULL
                        AND price_per_unit IS NOT NULL)
                GROUP BY category, price_per_unit HAVING count(*) = 1),
            t AS (SELECT * REPLACE (coalesce(total_spent, quantity * price_per_unit)
                                    AS total_spent) FROM sales),
            q AS (SELECT * REPLACE (coalesce(quantity, CAST(round(total_spent / price_per_unit)
                                    AS BIGINT)) AS quantity) FROM t),
            p AS (SELECT * REPLACE (coalesce(price_per_unit, round(total_spent / quantity, 2))
                                    AS price_per_unit) FROM q)
            SELECT p.* REPLACE (coalesce(p.item, c.catalog_item) AS item),
                   dayname(p.transaction_date) AS day_of_week,
                   month(p.transaction_date) AS transaction_month
            FROM p LEFT JOIN catalog c USING (category, price_per_unit)
            WHERE p.category IS NOT NULL AND p.quantity IS NOT NULL
              AND p.total_spent IS NOT NULL AND p.price_per_unit IS NOT NULL
        ) TO '{out_path}' (FORMAT parquet)""")
    clean = f"read_parquet('{out_path}')"
    top = con.execute(f"""SELECT category, sum(quantity) AS units FROM {clean}
                          GROUP BY category ORDER BY units DESC, category LIMIT 5""").fetchall()

    def average_by(key):
        return con.execute(
            f"SELECT {key}, round(avg(total_spent), 2) FROM {clean} GROUP BY {key}").fetchall()

    write_report(report_path, plain_report(
        rows_clean=con.execute(f"SELECT count(*) FROM {clean}").fetchone()[0],
        top_categories=top, avg_by_payment=average_by("payment_method"),
        avg_by_location=average_by("location")))


if __name__ == "__main__":
    sys.exit(main(run, sys.argv))
