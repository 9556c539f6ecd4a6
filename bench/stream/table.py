#!/usr/bin/env python3
"""Summarises the stream benchmark as the README's markdown table.

    table.py RESULTS.jsonl RECEIPTS.jsonl [CHECKS.jsonl [CPU.jsonl]]

RESULTS.jsonl holds bench/measure.py's runs ({"engine", "wall_s", "peak_rss_mb", "exit"}),
RECEIPTS.jsonl one {"engine", "receipts", "note"} per engine (how many receipts it read), CHECKS.jsonl
bench/stream/compare.py's --summary lines, CPU.jsonl {"engine", "user_s", "system_s"} per run (GNU time). Per engine: median wall time over its runs, receipts/s
from it, the highest peak RSS, and how many times faster retailflow (the first engine whose name
starts with `retailflow`) is; the median CPU seconds (user + system) and receipts per CPU second,
which a busy machine disturbs less than wall time; the check column says whether its results
matched."""

import json
import statistics
import sys


def read_jsonl(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def check_cell(checks, engine):
    rows = [c for c in checks if c["engine"] == engine]
    if engine == "retailflow-sliding":
        sliding = [c for c in checks if c["baseline"] == engine and c["kind"] == "window_summary"]
        if sliding:
            c = sliding[0]
            return (f"summaries {c['common'] - c['mismatched']}/{c['common']} equal to the reference's"
                    f" ({c['engine']}, on the peers' input)")
    if not rows:
        return "baseline" if any(c["baseline"] == engine for c in checks) else "not checked"
    identical = [c for c in rows if c["kind"] == "byte_identical"]
    if identical:
        c = identical[0]
        return f"{'same bytes as' if c['equal'] else 'DIFFERS from'} {c['baseline']}"
    by_kind = {c["kind"]: c for c in rows}
    summary = by_kind.get("window_summary")
    cell = []
    if summary:
        cell.append(f"summaries {summary['common'] - summary['mismatched']}/{summary['common']} equal")
        if summary["only_baseline"]:
            cell.append(f"{summary['only_baseline']} not emitted")
    others = [f"{kind} {c['mismatched']} differ" for kind, c in by_kind.items()
              if kind != "window_summary" and c["mismatched"]]
    cell.extend(others or ["other analyses equal"])
    return ", ".join(cell)


def main(argv):
    runs = {}
    for result in read_jsonl(argv[1]):
        if result["exit"] == 0:
            runs.setdefault(result["engine"], []).append(result)
    receipts = {r["engine"]: r for r in read_jsonl(argv[2])}
    checks = read_jsonl(argv[3]) if len(argv) > 3 else []
    cpu = {}
    for r in read_jsonl(argv[4]) if len(argv) > 4 else []:
        cpu.setdefault(r["engine"], []).append(r["user_s"] + r["system_s"])
    rows = []
    for engine, results in runs.items():
        wall = statistics.median(r["wall_s"] for r in results)
        count = receipts.get(engine, {}).get("receipts", 0)
        cpu_s = statistics.median(cpu[engine]) if engine in cpu else None
        rows.append((engine, count / wall if wall else 0.0, wall, max(r["peak_rss_mb"] for r in results),
                     len(results), count, receipts.get(engine, {}).get("note", ""), cpu_s))
    base = next((row[1] for row in rows if row[0].startswith("retailflow")), None)
    print("| engine | receipts/s | wall s | peak RSS MB | retailflow is × faster | CPU s |"
          " receipts per CPU s | receipts | runs | results check | notes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for engine, rate, wall, rss, n, count, note, cpu_s in rows:
        ratio = f"{base / rate:.1f}" if base and rate else "n/a"
        cpu_cells = f"{cpu_s:.2f} | {count / cpu_s:,.0f}" if cpu_s else "n/a | n/a"
        print(f"| {engine} | {rate:,.0f} | {wall:.2f} | {rss:.0f} | {ratio} | {cpu_cells} | {count:,} |"
              f" {n} | {check_cell(checks, engine)} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
