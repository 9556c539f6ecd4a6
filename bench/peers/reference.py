#!/usr/bin/env python3
"""The independent reference of the batch job: every step of the clean pipeline in plain Python
(standard library only), row by row, written straight from the job's rules.

    reference.py INPUT OUT REPORT_JSON

Writes the clean rows to OUT (Parquet when pyarrow can be imported and OUT does not end in `.csv`,
else CSV) and the report to REPORT_JSON. Slow but obvious: it is the yardstick the engines are checked
against, not a contender.
"""

import csv
import datetime
import decimal
import json
import re
import sys

REQUIRED = [
    "transaction_id", "customer_id", "category", "item", "price_per_unit", "quantity",
    "total_spent", "payment_method", "location", "transaction_date", "discount_applied",
]
FLOAT_COLUMNS = {"price_per_unit", "total_spent"}
FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%y", "%d.%m.%Y"]
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0"}


class JobError(Exception):
    """A problem with the input that stops the job (one line for the user)."""


def snake_case(header):
    """`Price Per Unit` -> `price_per_unit`, `TransactionID` -> `transaction_id`, `totalSpent` ->
    `total_spent`, `Discount-Applied` -> `discount_applied`."""
    words = []
    for chunk in re.split(r"[\s\-_]", header):
        word = ""
        for i, c in enumerate(chunk):
            if i > 0 and c.isupper():
                prev = chunk[i - 1]
                next_lower = i + 1 < len(chunk) and chunk[i + 1].islower()
                camel = prev.islower() or prev.isdigit()
                acronym_end = prev.isupper() and next_lower
                if (camel or acronym_end) and word:
                    words.append(word)
                    word = ""
            word += c.lower()
        if word:
            words.append(word)
    return "_".join(words)


def text(value):
    value = value.strip()
    return value if value else None


def to_float(value):
    value = value.strip()
    if not DECIMAL_TEXT.fullmatch(value):
        return None
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return number + 0.0


def to_quantity(value):
    number = to_float(value)
    if number is None or number != int(number):
        return None
    return int(number)


def to_bool(value):
    value = value.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    return None


_parse_cache = {}


def parse_date(value, fmt):
    key = (value, fmt)
    if key not in _parse_cache:
        try:
            _parse_cache[key] = datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            _parse_cache[key] = None
    return _parse_cache[key]


def detect_date_format(values):
    """The format most values fit; errors on a tie or on formats mixed in earnest."""
    non_empty = [v for v in (x.strip() for x in values) if v]
    masks = {}
    for v in non_empty:
        mask = tuple(parse_date(v, f) is not None for f in FORMATS)
        masks[mask] = masks.get(mask, 0) + 1
    parsed = [sum(n for m, n in masks.items() if m[i]) for i in range(len(FORMATS))]
    best = max(range(len(FORMATS)), key=lambda i: (parsed[i], -i))
    if parsed[best] == 0:
        return FORMATS[0]
    for i in range(len(FORMATS)):
        if i != best and parsed[i] == parsed[best]:
            raise JobError(f"dates fit {FORMATS[best]} and {FORMATS[i]} equally well; "
                           "give --date-format")
    for i in range(len(FORMATS)):
        only_other = sum(n for m, n in masks.items() if m[i] and not m[best])
        if i != best and only_other >= 2 and only_other * 100 > len(non_empty):
            raise JobError(f"dates mix {FORMATS[best]} and {FORMATS[i]}; give --date-format")
    return FORMATS[best]


def round2(value):
    """Rounds to 2 decimals, half away from zero, on the exact binary value."""
    exact = decimal.Decimal(value)
    return float(exact.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP))


def load(path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError as e:
        raise JobError(f"{path} is not UTF-8 text: {e}")
    if not rows:
        raise JobError(f"{path} is empty")
    header, body = rows[0], rows[1:]
    names = [snake_case(h) for h in header]
    seen = {}
    for original, name in zip(header, names):
        if name in seen:
            raise JobError(f"headers {seen[name]!r} and {original!r} both become {name!r}")
        seen[name] = original
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        raise JobError(f"missing required columns {missing}; found {names}")
    return names, body


def run(input_path, out_path, report_path):
    names, body = load(input_path)
    index = {name: i for i, name in enumerate(names)}
    date_column = index["transaction_date"]
    date_format = detect_date_format(r[date_column] if date_column < len(r) else "" for r in body)

    # Cast.
    rows = []
    for raw in body:
        row = {}
        raw = raw + [""] * (len(names) - len(raw))  # a short row's missing fields are empty
        for name, value in zip(names, raw):
            if name in FLOAT_COLUMNS:
                row[name] = to_float(value)
            elif name == "quantity":
                row[name] = to_quantity(value)
            elif name == "discount_applied":
                row[name] = to_bool(value)
            elif name == "transaction_date":
                v = value.strip()
                row[name] = parse_date(v, date_format) if v else None
            else:
                row[name] = text(value)
        rows.append(row)
    nulls_after_cast = {n: sum(1 for r in rows if r[n] is None) for n in names}

    # Catalog.
    catalog = set()
    for r in rows:
        if r["category"] is not None and r["item"] is not None and r["price_per_unit"] is not None:
            catalog.add((r["category"], r["item"], r["price_per_unit"]))
    items_by_key = {}
    for category, item, price in catalog:
        items_by_key.setdefault((category, price), set()).add(item)
    ambiguous = sum(1 for items in items_by_key.values() if len(items) > 1)

    # Repairs until nothing changes.
    restored = {"item": 0, "total_spent": 0, "quantity": 0, "price_per_unit": 0}
    for r in rows:
        before = {k: r[k] is None for k in restored}
        while True:
            changed = False
            q, p, t = r["quantity"], r["price_per_unit"], r["total_spent"]
            if t is None and q is not None and p is not None:
                r["total_spent"] = q * p
                changed = True
            q, p, t = r["quantity"], r["price_per_unit"], r["total_spent"]
            if q is None and t is not None and p is not None and p != 0:
                ratio = t / p
                if abs(ratio - round(ratio)) <= 1e-9:
                    r["quantity"] = int(round(ratio))
                    changed = True
            q, p, t = r["quantity"], r["price_per_unit"], r["total_spent"]
            if p is None and t is not None and q is not None and q != 0:
                r["price_per_unit"] = round2(t / q)
                changed = True
            if r["item"] is None and r["category"] is not None and r["price_per_unit"] is not None:
                items = items_by_key.get((r["category"], r["price_per_unit"]))
                if items is not None and len(items) == 1:
                    r["item"] = next(iter(items))
                    changed = True
            if not changed:
                break
        for k in restored:
            if before[k] and r[k] is not None:
                restored[k] += 1

    # Drop, then add the date features.
    needed = ("category", "quantity", "total_spent", "price_per_unit")
    clean = [r for r in rows if all(r[k] is not None for k in needed)]
    for r in clean:
        d = r["transaction_date"]
        r["day_of_week"] = DAY_NAMES[d.weekday()] if d is not None else None
        r["transaction_month"] = d.month if d is not None else None
    out_names = names + ["day_of_week", "transaction_month"]
    still_null = {n: sum(1 for r in clean if r[n] is None) for n in out_names}

    # Aggregates.
    units = {}
    for r in clean:
        units[r["category"]] = units.get(r["category"], 0) + r["quantity"]
    top = sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))[:5]

    def average_by(key):
        sums = {}
        for r in clean:
            k = r[key]
            if k is not None:
                s = sums.setdefault(k, [0.0, 0])
                s[0] += r["total_spent"]
                s[1] += 1
        return {k: round2(s / n) for k, (s, n) in sorted(sums.items())}

    by_day = {name: 0 for name in DAY_NAMES}
    by_month = {str(m): 0 for m in range(1, 13)}
    for r in clean:
        if r["day_of_week"] is not None:
            by_day[r["day_of_week"]] += 1
            by_month[str(r["transaction_month"])] += 1

    report = {
        "rows_loaded": len(rows),
        "columns": names,
        "nulls_after_cast": nulls_after_cast,
        "catalog_rows": len(catalog),
        "catalog_ambiguous_keys": ambiguous,
        "restored": restored,
        "rows_dropped": len(rows) - len(clean),
        "rows_clean": len(clean),
        "still_null": still_null,
        "date_format": date_format,
        "top_categories": [{"category": c, "units": u} for c, u in top],
        "avg_total_spent_by_payment_method": average_by("payment_method"),
        "avg_total_spent_by_location": average_by("location"),
        "rows_by_day_of_week": by_day,
        "rows_by_month": by_month,
    }
    write_rows(out_path, out_names, clean)
    with open(report_path, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


def write_rows(path, names, rows):
    if not str(path).endswith(".csv"):
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            pa = None
        if pa is not None:
            table = pa.table({n: [r[n] for r in rows] for n in names})
            pq.write_table(table, path)
            return
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        for r in rows:
            writer.writerow(["" if r[n] is None else r[n] for n in names])


def main(argv):
    if len(argv) != 4:
        print(f"usage: {argv[0]} INPUT OUT REPORT_JSON", file=sys.stderr)
        return 2
    try:
        run(argv[1], argv[2], argv[3])
    except (JobError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
