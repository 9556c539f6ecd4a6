#!/usr/bin/env python3
"""Runs one command and measures it: wall time, and peak resident memory of the whole process tree
(a JVM or worker processes included), sampled from /proc every 10 ms and never below the kernel's
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


def children_of(pid):
    """The child pids of pid, from each of its threads' children list in /proc (much cheaper than
    reading every process's stat: the sampler must not take the cores the command runs on)."""
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", "rb") as f:
                kids.extend(int(kid) for kid in f.read().split())
    except OSError:
        pass
    return kids


TICKS = os.sysconf("SC_CLK_TCK")


def tree_rss(root, cpu=None):
    """Resident bytes of the tree under root; with `cpu`, records each process's user + system
    seconds in it (keyed by pid and start time, so that a reused pid is another process)."""
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
        stack.extend(children_of(pid))
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
            time.sleep(0.01)

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
