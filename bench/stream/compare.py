#!/usr/bin/env python3
"""Checks that the stream benchmark's engines computed the same results.

    compare.py [--summary CHECKS.jsonl] BASELINE=PATH ENGINE=PATH...

Each PATH is either a JSONL file in retailflow's `--output jsonl` form (retailflow, Bytewax, the
reference) or the output directory of bench/stream/pyspark_job.py (JSON part files per analysis,
window times in epoch milliseconds, money in cents). Results are compared exactly, money in cents:

- window_summary by window start: receipts, revenue, units
- top_stores by window start: the ranked (store, revenue, receipts) list
- popular_items by (window start, category): the ranked (item, quantity) list
- big_receipt by receipt id: the total

For every engine and kind it prints windows in common, mismatches among them, and windows only
one side has, and whether the first window agrees; `--summary` appends the same as JSON lines.
Provisional results (`"final": false`, update mode) are ignored. Exits 1 on any mismatch among
common keys; a key only one side has is reported, not failed (PySpark never emits the windows
still open when its input ends). Standard library only."""

import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

KINDS = ("window_summary", "top_stores", "popular_items", "big_receipt")


def millis(value):
    return value if isinstance(value, int) else common.ts_millis(value)


def to_cents(value):
    return round(value * 100)


def load_jsonl(path):
    results = {kind: {} for kind in KINDS}
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            kind = r.get("kind")
            if kind not in results or r.get("final", True) is False:
                continue
            if kind == "big_receipt":
                results[kind][r["receipt_id"]] = to_cents(r["total"])
                continue
            start = millis(r["window_start"])
            if kind == "window_summary":
                results[kind][start] = (r["receipts"], to_cents(r["revenue"]), r["items"])
            elif kind == "top_stores":
                results[kind][start] = tuple((s["store_id"], to_cents(s["revenue"]), s["receipts"])
                                             for s in r["stores"])
            else:
                results[kind][(start, r["category"])] = tuple((i["name"], i["quantity"])
                                                              for i in r["items"])
    return results


def spark_rows(directory, kind):
    for part in sorted(glob.glob(os.path.join(directory, kind, "*.json"))):
        with open(part) as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def load_spark(directory):
    results = {kind: {} for kind in KINDS}
    for r in spark_rows(directory, "window_summary"):
        results["window_summary"][r["window_start_ms"]] = (r["receipts"], r["revenue_cents"], r["items"])
    ranked = {}
    for r in spark_rows(directory, "top_stores"):
        ranked.setdefault(r["window_start_ms"], []).append(
            (r["rank"], (r["store_id"], r["revenue_cents"], r["receipts"])))
    results["top_stores"] = {k: tuple(v for _, v in sorted(rows)) for k, rows in ranked.items()}
    ranked = {}
    for r in spark_rows(directory, "popular_items"):
        ranked.setdefault((r["window_start_ms"], r["category"]), []).append(
            (r["rank"], (r["name"], r["quantity"])))
    results["popular_items"] = {k: tuple(v for _, v in sorted(rows)) for k, rows in ranked.items()}
    for r in spark_rows(directory, "big_receipt"):
        results["big_receipt"][r["receipt_id"]] = r["total_cents"]
    return results


def load(path):
    return load_spark(path) if os.path.isdir(path) else load_jsonl(path)


def window_of(key):
    return key[0] if isinstance(key, tuple) else key


def compare(baseline, other):
    """Per kind: common, mismatched, only_baseline, only_engine, first_window_agrees."""
    out = {}
    for kind in KINDS:
        a, b = baseline[kind], other[kind]
        common_keys = a.keys() & b.keys()
        mismatched = sorted((k for k in common_keys if a[k] != b[k]), key=str)
        first = None
        if kind != "big_receipt" and a:
            first_window = min(window_of(k) for k in a)
            keys = [k for k in a if window_of(k) == first_window]
            first = all(k in b and a[k] == b[k] for k in keys)
        out[kind] = {"common": len(common_keys), "mismatched": len(mismatched),
                     "only_baseline": len(a.keys() - b.keys()), "only_engine": len(b.keys() - a.keys()),
                     "first_window_agrees": first, "examples": [
                         {"key": str(k), "baseline": str(a[k]), "engine": str(b[k])} for k in mismatched[:3]]}
    return out


def main(argv):
    summary_path = None
    if len(argv) > 2 and argv[1] == "--summary":
        summary_path, argv = argv[2], [argv[0]] + argv[3:]
    pairs = [arg.split("=", 1) for arg in argv[1:]]
    if len(pairs) < 2 or any(len(p) != 2 for p in pairs):
        print(__doc__, file=sys.stderr)
        return 2
    (base_name, base_path), others = pairs[0], pairs[1:]
    baseline = load(base_path)
    print(f"results checked against {base_name}: " + ", ".join(
        f"{len(baseline[k])} {k}" for k in KINDS))
    status = 0
    records = []
    for name, path in others:
        report = compare(baseline, load(path))
        for kind, r in report.items():
            agrees = "agree" if r["mismatched"] == 0 else "DISAGREE"
            first = "" if r["first_window_agrees"] is None else \
                f", first window {'agrees' if r['first_window_agrees'] else 'DIFFERS'}"
            print(f"  {name} {kind}: {r['common']} in common, {r['mismatched']} mismatched ({agrees}), "
                  f"{r['only_baseline']} only in {base_name}, {r['only_engine']} only in {name}{first}")
            for example in r["examples"]:
                print(f"    e.g. {example['key']}: {base_name} {example['baseline']} / "
                      f"{name} {example['engine']}")
            if r["mismatched"]:
                status = 1
            records.append({"engine": name, "baseline": base_name, "kind": kind,
                            **{k: v for k, v in r.items() if k != "examples"}})
    if summary_path:
        with open(summary_path, "a") as f:
            for record in records:
                f.write(json.dumps(record) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
