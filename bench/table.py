#!/usr/bin/env python3
"""Summarises measure.py results as the README's markdown table.

    table.py RESULTS.jsonl [BASELINE_ENGINE]

Per engine: median wall time and the highest peak RSS over its runs, with ratios to the baseline
engine (default retailflow); an engine run on one core (NAME-1core) is compared with the baseline's
one-core run when there is one."""

import json
import statistics
import sys


def main(argv):
    baseline = argv[2] if len(argv) > 2 else "retailflow"
    runs = {}
    with open(argv[1]) as f:
        for line in f:
            result = json.loads(line)
            if result["exit"] == 0:
                runs.setdefault(result["engine"], []).append(result)
    summary = {engine: (statistics.median(r["wall_s"] for r in rs),
                        max(r["peak_rss_mb"] for r in rs), len(rs))
               for engine, rs in runs.items()}
    print("| engine | median wall s | peak RSS MB | wall ratio to retailflow (same cores) | RSS ratio | runs |")
    print("|---|---:|---:|---:|---:|---:|")
    for engine, (wall, rss, n) in summary.items():
        base = baseline
        if engine.endswith("-1core") and f"{baseline}-1core" in summary:
            base = f"{baseline}-1core"
        base_wall, base_rss, _ = summary.get(base, (None, None, 0))
        wall_ratio = f"{wall / base_wall:.2f}" if base_wall else "n/a"
        rss_ratio = f"{rss / base_rss:.2f}" if base_rss else "n/a"
        print(f"| {engine} | {wall:.3f} | {rss:.0f} | {wall_ratio} | {rss_ratio} | {n} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
