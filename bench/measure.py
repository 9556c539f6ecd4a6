#!/usr/bin/env python3
"""Runs one command and measures it: wall time, and peak resident memory of the whole process tree
(a JVM or worker processes included), sampled from /proc every 5 ms and never below the kernel's
own high-water mark for the largest process (getrusage); and the CPU time (user + system) of the
whole tree: per process the last value sampled from /proc, never below what getrusage reports for
the children that were waited for (a JVM that a Python launcher starts and never waits for, as
PySpark's, counts too).

    measure.py ENGINE RESULTS.jsonl -- COMMAND...

Appends {"engine", "wall_s", "peak_rss_mb", "cpu_s", "exit"} to RESULTS.jsonl and exits with the
command's status. Standard library only."""

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


TICKS = os.sysconf("SC_CLK_TCK")


def tree_rss(root, cpu=None):
    """Resident bytes of the tree under root; with `cpu`, records each process's user + system
    seconds in it (keyed by pid and start time, so that a reused pid is another process)."""
    tree = children_of()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE
            if cpu is not None:
                with open(f"/proc/{pid}/stat", "rb") as f:
                    stat = f.read()
                fields = stat[stat.rfind(b")") + 2:].split()
                # utime, stime: fields 14 and 15 of stat (11 and 12 after the command); start time 22.
                cpu[(pid, fields[19])] = (int(fields[11]) + int(fields[12])) / TICKS
        except (OSError, IndexError, ValueError):
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
    cpu = {}
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid, cpu))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = max(peak, usage.ru_maxrss * 1024)
    cpu_s = max(sum(cpu.values()), usage.ru_utime + usage.ru_stime)
    with open(results, "a") as f:
        f.write(json.dumps({"engine": engine, "wall_s": round(wall, 4),
                            "peak_rss_mb": round(peak / 2**20, 1), "cpu_s": round(cpu_s, 2),
                            "exit": code}) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
