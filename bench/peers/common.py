"""What the engine peers (Polars, DuckDB, PySpark) share outside their engines: turning headers into
snake_case and checking them, choosing the date format from per-format counts the engine computed,
and writing the report with the job's exact keys. The cleaning itself runs inside each engine."""

import json
import re
import sys

REQUIRED = [
    "transaction_id", "customer_id", "category", "item", "price_per_unit", "quantity",
    "total_spent", "payment_method", "location", "transaction_date", "discount_applied",
]
ADDED = ["day_of_week", "transaction_month"]
FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%y", "%d.%m.%Y"]
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TRUE_WORDS = ["true", "yes", "1"]
FALSE_WORDS = ["false", "no", "0"]


class JobError(Exception):
    """A problem with the input that stops the job (one line for the user)."""


def snake_case(header):
    words = []
    for chunk in re.split(r"[\s\-_]", header):
        word = ""
        for i, c in enumerate(chunk):
            if i > 0 and c.isupper():
                prev = chunk[i - 1]
                next_lower = i + 1 < len(chunk) and chunk[i + 1].islower()
                if (prev.islower() or prev.isdigit() or (prev.isupper() and next_lower)) and word:
                    words.append(word)
                    word = ""
            word += c.lower()
        if word:
            words.append(word)
    return "_".join(words)


def snake_columns(headers):
    """The snake_case names of `headers`; errors on a collision or a missing required column."""
    headers = [h.lstrip("\ufeff") for h in headers]
    names = [snake_case(h) for h in headers]
    seen = {}
    for original, name in zip(headers, names):
        if name in seen:
            raise JobError(f"headers {seen[name]!r} and {original!r} both become {name!r}")
        seen[name] = original
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        raise JobError(f"missing required columns {missing}; found {names}")
    return names


def choose_date_format(mask_counts):
    """The format of FORMATS the dates fit, from (mask, values) pairs over the non-empty values,
    where bit i of mask is set when FORMATS[i] parses the value. Errors on a tie between the best
    two and on a second format that parses over 1% of the values (at least 2) the best does not."""
    mask_counts = [(int(m), int(n)) for m, n in mask_counts]
    non_empty = sum(n for _, n in mask_counts)
    parsed = [sum(n for m, n in mask_counts if m >> i & 1) for i in range(len(FORMATS))]
    best = max(range(len(FORMATS)), key=lambda i: (parsed[i], -i))
    if parsed[best] == 0:
        return FORMATS[0]
    for i in range(len(FORMATS)):
        if i != best and parsed[i] == parsed[best]:
            raise JobError(f"dates fit {FORMATS[best]} and {FORMATS[i]} equally well; "
                           "give --date-format")
    for i in range(len(FORMATS)):
        only_other = sum(n for m, n in mask_counts if m >> i & 1 and not m >> best & 1)
        if i != best and only_other >= 2 and only_other * 100 > non_empty:
            raise JobError(f"dates mix {FORMATS[best]} and {FORMATS[i]}; give --date-format")
    return FORMATS[best]


def make_report(*, rows_loaded, columns, nulls_after_cast, catalog_rows, catalog_ambiguous_keys,
                restored, rows_clean, still_null, date_format, top_categories, avg_by_payment,
                avg_by_location, rows_by_day_of_week, rows_by_month):
    """The report dict, keys in the job's order; maps given as dicts or (key, value) pairs."""
    by_day = {name: 0 for name in DAY_NAMES}
    by_day.update({k: int(v) for k, v in dict(rows_by_day_of_week).items() if k is not None})
    by_month = {str(m): 0 for m in range(1, 13)}
    by_month.update({str(int(k)): int(v) for k, v in dict(rows_by_month).items() if k is not None})
    return {
        "rows_loaded": int(rows_loaded),
        "columns": list(columns),
        "nulls_after_cast": {c: int(nulls_after_cast[c]) for c in columns},
        "catalog_rows": int(catalog_rows),
        "catalog_ambiguous_keys": int(catalog_ambiguous_keys),
        "restored": {k: int(restored[k])
                     for k in ("item", "total_spent", "quantity", "price_per_unit")},
        "rows_dropped": int(rows_loaded) - int(rows_clean),
        "rows_clean": int(rows_clean),
        "still_null": {c: int(still_null[c]) for c in list(columns) + ADDED},
        "date_format": date_format,
        "top_categories": [{"category": c, "units": int(u)} for c, u in top_categories],
        "avg_total_spent_by_payment_method":
            {k: float(v) for k, v in sorted(dict(avg_by_payment).items()) if k is not None},
        "avg_total_spent_by_location":
            {k: float(v) for k, v in sorted(dict(avg_by_location).items()) if k is not None},
        "rows_by_day_of_week": by_day,
        "rows_by_month": by_month,
    }


def plain_report(*, rows_clean, top_categories, avg_by_payment, avg_by_location):
    """A plain job's report: only the figures the notebook's steps produce, under the job's keys."""
    return {
        "rows_clean": int(rows_clean),
        "top_categories": [{"category": c, "units": int(u)} for c, u in top_categories],
        "avg_total_spent_by_payment_method": {k: float(v) for k, v in sorted(avg_by_payment)},
        "avg_total_spent_by_location": {k: float(v) for k, v in sorted(avg_by_location)},
    }


def write_report(path, report):
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


def main(run, argv):
    if len(argv) != 4:
        print(f"usage: {argv[0]} INPUT OUT_PARQUET REPORT_JSON", file=sys.stderr)
        return 2
    try:
        run(argv[1], argv[2], argv[3])
    except JobError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
