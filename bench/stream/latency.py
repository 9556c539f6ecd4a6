#!/usr/bin/env python3
"""End-to-end latency of `retailflow stream` through a broker, for `bench/stream.sh latency`.

    latency.py watch OUTPUT.jsonl ARRIVALS.tsv
        Follows OUTPUT.jsonl (created later is fine) until SIGTERM/SIGINT, writing one
        `WALL_MS<TAB>LINE` per complete line, WALL_MS the wall time (ms since the epoch, 3 decimals)
        at which the line was first seen in the file. Polls every 0.5 ms.

    latency.py report ARRIVALS.tsv --lateness 5s --from MS --until MS [--window 1s]
                      [--latency-log FILE] [--json OUT.json]
        Prints p50/p90/p99/max of:
        - window close -> result written: a window closes when the watermark passes its end. The
          producer stamps each receipt with the wall clock, so that happens at wall time
          window_end + lateness (plus the time for the receipt that moves the watermark to reach
          the stream through the broker, which is part of end to end). Latency = the time the
          window's results appeared in the output file - (window_end + lateness). Only windows
          whose close falls in [--from, --until] (the steady part of the run) count; one sample per
          window (its window_summary line; its other lines are written in the same flush).
        - receipt -> big receipt written: for each big_receipt line, the time it appeared - its ts
          (the producer's wall clock at creation): produce, broker, consume, parse, engine, write.
        - the same window latency less the transport: minus the median receipt -> big receipt
          latency of the receipts created within 500 ms of the window's close (an estimate of the
          time spent inside the stream, until it measures that itself).
        - with --latency-log FILE (written by the stream when it supports it; see bench/stream.sh):
          per window, written_at_ms - watermark_passed_at_ms, and written_at_ms - received_at_ms,
          both measured inside retailflow.

Both sides read the same machine's clock. Standard library only."""

import argparse
import bisect
import json
import math
import os
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def now_ms():
    return time.time_ns() / 1e6


def watch(output, arrivals):
    stop = False

    def on_signal(_signum, _frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    fd = None
    pending = b""
    with open(arrivals, "w") as out:
        while True:
            if fd is None:
                try:
                    fd = os.open(output, os.O_RDONLY)
                except FileNotFoundError:
                    if stop:
                        return
                    time.sleep(0.0005)
                    continue
            chunk = os.read(fd, 1 << 20)
            if chunk:
                seen = now_ms()
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    out.write(f"{seen:.3f}\t{line.decode('utf-8', 'replace')}\n")
                continue
            if stop:
                out.flush()
                return
            time.sleep(0.0005)


def percentile(values, share):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def describe(values):
    if not values:
        return {"samples": 0}
    return {"samples": len(values), "p50_ms": round(percentile(values, 0.50), 1),
            "p90_ms": round(percentile(values, 0.90), 1), "p99_ms": round(percentile(values, 0.99), 1),
            "max_ms": round(max(values), 1)}


def read_arrivals(path):
    with open(path) as f:
        for row in f:
            seen, _, line = row.rstrip("\n").partition("\t")
            if line.strip():
                yield float(seen), json.loads(line)


def report(args):
    lateness = common.parse_duration_ms(args.lateness)
    window = common.parse_duration_ms(args.window)
    closes, big = [], []
    windows_outside = 0
    for seen, result in read_arrivals(args.arrivals):
        kind = result.get("kind")
        if kind == "window_summary" and result.get("final", True):
            if "window_end" in result:
                end = common.ts_millis(result["window_end"])
            else:  # a peer's row: window start in epoch ms (bench/peers/flink --follow)
                end = result["window_start_ms"] + window
            closed = end + lateness
            if args.from_ms <= closed <= args.until_ms:
                closes.append((closed, seen))
            else:
                windows_outside += 1
        elif kind == "big_receipt":
            created = common.ts_millis(result["ts"]) if "ts" in result else result["ts_ms"]
            if args.from_ms <= created <= args.until_ms:
                big.append((created, seen - created))
    close_to_write = [seen - closed for closed, seen in closes]
    # The transport part (producer, broker, consumer fetch) of a window's latency, estimated by the
    # median receipt -> big_receipt latency of the receipts created within 500 ms of its close.
    big.sort()
    created_times = [created for created, _ in big]
    in_stream = []
    for closed, seen in closes:
        lo, hi = bisect.bisect_left(created_times, closed - 500), bisect.bisect_right(created_times, closed + 500)
        nearby = [latency for _, latency in big[lo:hi]]
        if nearby:
            in_stream.append(seen - closed - statistics.median(nearby))
    figures = {
        "window_close_to_written": describe(close_to_write),
        "receipt_to_big_receipt_written": describe([latency for _, latency in big]),
        "window_close_to_written_less_transport": describe(in_stream),
        "windows_outside_steady_part": windows_outside,
    }
    if args.latency_log and os.path.exists(args.latency_log) and os.path.getsize(args.latency_log):
        inside, from_received = [], []
        with open(args.latency_log) as f:
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)
                if "watermark_passed_at_ms" in r:
                    inside.append(r["written_at_ms"] - r["watermark_passed_at_ms"])
                if "received_at_ms" in r:
                    from_received.append(r["written_at_ms"] - r["received_at_ms"])
        figures["instrumented_watermark_passed_to_written"] = describe(inside)
        figures["instrumented_closing_record_received_to_written"] = describe(from_received)
    labels = {
        "window_close_to_written": "window close (wall window_end + lateness) -> results in the file",
        "receipt_to_big_receipt_written": "receipt created -> its big_receipt line in the file",
        "window_close_to_written_less_transport":
            "window close -> written, less the transport (estimate: minus the median of the row above within 500 ms)",
        "instrumented_watermark_passed_to_written": "watermark passed the end -> written (retailflow's log)",
        "instrumented_closing_record_received_to_written": "closing record received -> written (retailflow's log)",
    }
    print("| latency | samples | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, label in labels.items():
        if key in figures:
            d = figures[key]
            if d["samples"]:
                print(f"| {label} | {d['samples']} | {d['p50_ms']} | {d['p90_ms']} | {d['p99_ms']} |"
                      f" {d['max_ms']} |")
            else:
                print(f"| {label} | 0 | | | | |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)
    return 0 if close_to_write else 1


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("watch")
    w.add_argument("output")
    w.add_argument("arrivals")
    r = sub.add_parser("report")
    r.add_argument("arrivals")
    r.add_argument("--lateness", default="5s")
    r.add_argument("--window", default="1s", help="window length, for rows that give only the start")
    r.add_argument("--from", dest="from_ms", type=float, required=True)
    r.add_argument("--until", dest="until_ms", type=float, required=True)
    r.add_argument("--latency-log")
    r.add_argument("--json")
    args = parser.parse_args(argv[1:])
    if args.command == "watch":
        watch(args.output, args.arrivals)
        return 0
    return report(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
