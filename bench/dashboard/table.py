#!/usr/bin/env python3
"""Summarises the dashboard benchmark as the README's markdown table.

    table.py RESULTS.jsonl

RESULTS.jsonl holds bench/dashboard/run.py's runs. Per variant: the median receipts/s, wall and
CPU seconds over its runs, the fewest SSE clients still connected at the end of a run, the most
updates the dashboard left out in a run, and the ratio of its median receipts/s to that of the
first variant (the stream without a dashboard); then whether each other variant is within 5% of
it. Standard library only."""

import json
import statistics
import sys

TOLERANCE = 0.05


def main(argv):
    runs = {}
    with open(argv[1]) as f:
        for line in f:
            if line.strip():
                result = json.loads(line)
                if result["exit"] == 0:
                    runs.setdefault(result["variant"], []).append(result)
    if not runs:
        print("no successful runs", file=sys.stderr)
        return 1
    baseline = statistics.median(r["receipts_per_s"] for r in next(iter(runs.values())))
    print("| variant | receipts/s | wall s | CPU s | SSE clients at the end | updates left out "
          "| runs | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    verdicts = []
    for variant, rs in runs.items():
        rate = statistics.median(r["receipts_per_s"] for r in rs)
        wall = statistics.median(r["wall_s"] for r in rs)
        cpu = [r["cpu_s"] for r in rs if r["cpu_s"] is not None]
        cpu_cell = f"{statistics.median(cpu):.2f}" if cpu else "n/a"
        clients = rs[0]["clients"]
        clients_cell = f"{min(r['clients_stayed'] for r in rs)}/{clients}" if clients else "–"
        dropped_cell = str(max(r["dropped_updates"] or 0 for r in rs)) if clients else "–"
        ratio = rate / baseline
        print(f"| {variant} | {rate:,.0f} | {wall:.3f} | {cpu_cell} | {clients_cell} "
              f"| {dropped_cell} | {len(rs)} | {ratio:.3f} |")
        if clients:
            verdicts.append(f"{variant}: {ratio:.1%} of the throughput without the dashboard, "
                            f"{'within' if ratio >= 1 - TOLERANCE else 'NOT within'} "
                            f"{TOLERANCE:.0%}")
    if verdicts:
        print()
        print("\n".join(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
