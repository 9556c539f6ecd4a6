"""Shared by the stream benchmark's Python programs: the receipt fields they need, money in exact
cents, epoch-aligned windows, the rankings, and result lines in retailflow's `--output jsonl` form:

    {"kind":"top_stores","window_start":T,"window_end":T,"stores":[{"store_id":s,"revenue":x,"receipts":n}]}
    {"kind":"big_receipt","receipt_id":s,"store_id":s,"cashier_id":s,"ts":T,"total":x}
    {"kind":"popular_items","window_start":T,"window_end":T,"category":s,"items":[{"name":s,"quantity":n}]}
    {"kind":"window_summary","window_start":T,"window_end":T,"receipts":n,"revenue":x,"items":n}

T is RFC 3339 UTC with milliseconds, money a number rounded to 2 decimals (computed in cents).
Standard library only, so every peer's interpreter can import it."""

import datetime
import json

TOP_STORES = 5
TOP_ITEMS = 3
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def parse_duration_ms(text):
    """`10s`, `500ms`, `2m` -> milliseconds."""
    text = text.strip()
    for suffix, factor in (("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)):
        if text.endswith(suffix) and text[: -len(suffix)].replace(".", "", 1).isdigit():
            return int(float(text[: -len(suffix)]) * factor)
    raise ValueError(f"not a duration: {text!r}")


def ts_millis(text):
    """RFC 3339 (`2025-01-01T00:00:00.000Z`) -> milliseconds since the epoch."""
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def format_ts(millis):
    """Milliseconds since the epoch -> `2025-01-01T00:00:00.000Z`."""
    moment = EPOCH + datetime.timedelta(milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def cents(price):
    """A price (a float with at most 2 decimals) -> integer cents."""
    return round(price * 100)


def money(cents_value):
    """Integer cents -> the JSON number retailflow prints (2 decimals at most)."""
    return round(cents_value / 100, 2)


def receipt_fields(receipt):
    """(receipt_id, store_id, cashier_id, ts_ms, total_cents, units, lines) of a parsed receipt,
    lines as (category, name, quantity)."""
    total = 0
    units = 0
    lines = []
    for item in receipt["items"]:
        quantity = item["quantity"]
        total += cents(item["price"]) * quantity
        units += quantity
        lines.append((item["category"], item["name"], quantity))
    return (receipt["receipt_id"], receipt["store_id"], receipt["cashier_id"],
            ts_millis(receipt["ts"]), total, units, lines)


def window_starts(ts_ms, length_ms, slide_ms):
    """Starts of the epoch-aligned windows (length, slide) holding ts_ms, oldest first."""
    last = ts_ms - ts_ms % slide_ms
    first = last - ((length_ms - 1) // slide_ms) * slide_ms
    return [start for start in range(first, last + 1, slide_ms) if start <= ts_ms < start + length_ms]


def top_stores(stores):
    """{store: [cents, receipts]} -> the top stores by revenue, ties by store id."""
    ranked = sorted(stores.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP_STORES]
    return [{"store_id": store, "revenue": money(c), "receipts": n} for store, (c, n) in ranked]


def popular_items(items):
    """{(category, name): quantity} -> [(category, [top items])] by category name."""
    by_category = {}
    for (category, name), quantity in items.items():
        by_category.setdefault(category, []).append((name, quantity))
    out = []
    for category in sorted(by_category):
        ranked = sorted(by_category[category], key=lambda nq: (-nq[1], nq[0]))[:TOP_ITEMS]
        out.append((category, [{"name": name, "quantity": q} for name, q in ranked]))
    return out


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


def window_lines(start_ms, length_ms, receipts, revenue_cents, units, stores, items):
    """The result lines of one closed window, in retailflow's order: top stores, popular items
    by category, the summary."""
    window = {"window_start": format_ts(start_ms), "window_end": format_ts(start_ms + length_ms)}
    out = [dumps({"kind": "top_stores", **window, "stores": top_stores(stores)})]
    for category, ranked in popular_items(items):
        out.append(dumps({"kind": "popular_items", **window, "category": category, "items": ranked}))
    out.append(dumps({"kind": "window_summary", **window, "receipts": receipts,
                      "revenue": money(revenue_cents), "items": units}))
    return out


def big_receipt_line(receipt_id, store_id, cashier_id, ts_ms, total_cents):
    return dumps({"kind": "big_receipt", "receipt_id": receipt_id, "store_id": store_id,
                  "cashier_id": cashier_id, "ts": format_ts(ts_ms), "total": money(total_cents)})


class WindowAccumulator:
    """What one window holds: receipts, revenue, units, per-store revenue and per-item units."""

    __slots__ = ("receipts", "revenue", "units", "stores", "items")

    def __init__(self):
        self.receipts = 0
        self.revenue = 0
        self.units = 0
        self.stores = {}
        self.items = {}

    def add(self, store_id, total_cents, units, lines):
        self.receipts += 1
        self.revenue += total_cents
        self.units += units
        entry = self.stores.get(store_id)
        if entry is None:
            self.stores[store_id] = [total_cents, 1]
        else:
            entry[0] += total_cents
            entry[1] += 1
        items = self.items
        for category, name, quantity in lines:
            key = (category, name)
            items[key] = items.get(key, 0) + quantity
        return self

    def merge(self, other):
        self.receipts += other.receipts
        self.revenue += other.revenue
        self.units += other.units
        for store, (c, n) in other.stores.items():
            entry = self.stores.setdefault(store, [0, 0])
            entry[0] += c
            entry[1] += n
        for key, quantity in other.items.items():
            self.items[key] = self.items.get(key, 0) + quantity
        return self

    def lines(self, start_ms, length_ms):
        return window_lines(start_ms, length_ms, self.receipts, self.revenue, self.units,
                            self.stores, self.items)
