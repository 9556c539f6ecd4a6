#!/usr/bin/env python3
"""Runs one command and measures it: wall time, and peak resident memory of the whole process tree
(a JVM or worker processes included), sampled from /proc every 5 ms and never below the kernel's
own high-water mark for the largest process (getrusage).

    measure.py ENGINE RESULTS.jsonl -- COMMAND...

Appends {"engine", "wall_s", "peak_rss_mb", "exit"} to RESULTS.jsonl and exits with the command's
status. Standard library only."""

import json
import os
import resource
import subprocess
import sys
import threading
import time

PAGE = os.sysconf("SC_PAGE_SIZE")


def children_of():
    """Parent pid -> child pids, read from /proc."""
    tree = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rfind(b")") + 2:].split()
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def tree_rss(root):
    tree = children_of()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE
        except OSError:
            pass
        stack.extend(tree.get(pid, []))
    return total


def main(argv):
    if len(argv) < 5 or argv[3] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    engine, results, command = argv[1], argv[2], argv[4:]
    start = time.perf_counter()
    process = subprocess.Popen(command)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    peak = max(peak, largest)
    with open(results, "a") as f:
        f.write(json.dumps({"engine": engine, "wall_s": round(wall, 4),
                            "peak_rss_mb": round(peak / 2**20, 1), "exit": code}) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
