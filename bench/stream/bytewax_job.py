#!/usr/bin/env python3
"""The stream benchmark in Bytewax: reads a receipts JSONL file with Bytewax's FileSource and computes
retailflow's four analyses on event time: epoch-aligned windows (tumbling, or sliding with --slide)
over an EventClock that waits --allowed-lateness, big receipts as a filter. All windowed analyses
share one fold per window (receipts, revenue, units, revenue per store, units per item) and are
ranked when the window closes. Few steps per item (parse+key, big-receipt filter, the fold): each step
is a crossing between Bytewax's runtime and Python, and they dominate its cost.

    bytewax_job.py INPUT.jsonl OUTPUT.jsonl [--window 10s] [--slide 10s]
                   [--allowed-lateness 5s] [--big-receipt 500]

Writes result lines in retailflow's `--output jsonl` form (see common.py); runs Bytewax's
single-worker execution in this process."""

import argparse
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import bytewax.operators as op  # noqa: E402
from bytewax.connectors.files import FileSink, FileSource  # noqa: E402
from bytewax.dataflow import Dataflow  # noqa: E402
from bytewax.operators.windowing import (  # noqa: E402
    EventClock,
    SlidingWindower,
    TumblingWindower,
    fold_window,
)
from bytewax.testing import run_main  # noqa: E402

UTC = datetime.timezone.utc


def build(input_path, output_path, length_ms, slide_ms, lateness_ms, big_cents):
    flow = Dataflow("retailflow_stream_bench")
    lines = op.input("read", flow, FileSource(input_path, batch_size=2000))

    def parse(raw):
        try:
            fields = common.receipt_fields(json.loads(raw))
        except (ValueError, KeyError, TypeError):
            return None
        receipt_id, store, cashier, ts, total, units, items = fields
        moment = common.EPOCH + datetime.timedelta(milliseconds=ts)
        return ("all", (receipt_id, store, cashier, ts, total, units, items, moment))

    # One key: every window holds the whole stream (the analyses rank across stores and items).
    keyed = op.filter_map("parse", lines, parse)

    def big_line(keyed_receipt):
        r = keyed_receipt[1]
        return ("out", common.big_receipt_line(*r[:5])) if r[4] > big_cents else None

    big_lines = op.filter_map("big", keyed, big_line)

    clock = EventClock(lambda r: r[7], wait_for_system_duration=datetime.timedelta(milliseconds=lateness_ms))
    length = datetime.timedelta(milliseconds=length_ms)
    if slide_ms == length_ms:
        windower = TumblingWindower(length=length, align_to=common.EPOCH)
    else:
        windower = SlidingWindower(length=length, offset=datetime.timedelta(milliseconds=slide_ms),
                                   align_to=common.EPOCH)

    def fold(acc, r):
        return acc.add(r[1], r[4], r[5], r[6])

    windows = fold_window("windows", keyed, clock, windower, common.WindowAccumulator, fold,
                          common.WindowAccumulator.merge)

    def render(key_and_window):
        _key, (window_id, acc) = key_and_window
        start = window_id * slide_ms
        return [("out", line) for line in acc.lines(start, length_ms)]

    window_lines = op.flat_map("render", windows.down, render)
    op.output("write", op.merge("all_lines", big_lines, window_lines), FileSink(output_path))
    return flow


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
    if os.path.exists(args.output):
        os.remove(args.output)
    flow = build(os.path.abspath(args.input), os.path.abspath(args.output), length, slide, lateness,
                 round(args.big_receipt * 100))
    run_main(flow)


if __name__ == "__main__":
    main()
