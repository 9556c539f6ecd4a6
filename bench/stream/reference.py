#!/usr/bin/env python3
"""The stream benchmark's plain-Python reference: the four analyses over a receipts JSONL file with
the same event-time rules as retailflow (one partition, watermark = largest event time seen minus
the allowed lateness, epoch-aligned windows closed once the watermark reaches their end, late
records left out, every open window emitted at the end of the input). Slow but obviously right;
it checks the engines on small inputs.

    reference.py INPUT.jsonl OUTPUT.jsonl [--window 10s] [--slide 10s] [--allowed-lateness 5s]
                 [--big-receipt 500]

Malformed lines are skipped and counted on stderr. Standard library only."""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--window", default="10s")
    parser.add_argument("--slide", default=None)
    parser.add_argument("--allowed-lateness", default="5s")
    parser.add_argument("--big-receipt", type=float, default=500.0)
    args = parser.parse_args()
    length = common.parse_duration_ms(args.window)
    slide = common.parse_duration_ms(args.slide or args.window)
    lateness = common.parse_duration_ms(args.allowed_lateness)
    big_cents = round(args.big_receipt * 100)

    open_windows = {}
    watermark = None
    newest = None
    skipped = late = 0
    with open(args.input, "rb") as source, open(args.output, "w") as out:
        def close_until(limit):
            for start in sorted(s for s in open_windows if limit is None or s + length <= limit):
                for line in open_windows.pop(start).lines(start, length):
                    out.write(line + "\n")

        for raw in source:
            try:
                receipt_id, store, cashier, ts, total, units, lines = \
                    common.receipt_fields(json.loads(raw))
            except (ValueError, KeyError, TypeError):
                skipped += 1
                continue
            if total > big_cents:
                out.write(common.big_receipt_line(receipt_id, store, cashier, ts, total) + "\n")
            starts = common.window_starts(ts, length, slide)
            if watermark is not None and starts[-1] + length <= watermark:
                late += 1
            else:
                for start in starts:
                    if watermark is None or start + length > watermark:
                        acc = open_windows.get(start)
                        if acc is None:
                            acc = open_windows[start] = common.WindowAccumulator()
                        acc.add(store, total, units, lines)
            newest = ts if newest is None else max(newest, ts)
            new_watermark = newest - lateness
            if watermark is None or new_watermark > watermark:
                watermark = new_watermark
                close_until(watermark)
        close_until(None)
    print(f"reference: {skipped} malformed lines skipped, {late} late records", file=sys.stderr)


if __name__ == "__main__":
    main()
