#!/usr/bin/env python3
"""One run of the dashboard benchmark: starts `retailflow stream`, and with CLIENTS > 0 connects
that many server-sent-event clients (`curl -sN http://127.0.0.1:PORT/api/events`) as soon as the
dashboard's port answers, keeping them connected for the whole run.

    run.py RESULTS.jsonl VARIANT RECEIPTS CLIENTS PORT -- COMMAND...

The run lasts from the start of the process to its `done (end of input)` line on stderr (a stream
with a dashboard stays up after that, serving its results; it is then stopped with SIGINT). CPU
seconds are the process's user + system time at that line. With clients, it also records when the
last one was connected, how many were still connected at the end (the dashboard drops a client
that falls behind rather than wait for it), and the dashboard's `dropped_updates` (updates the
pipeline left out rather than wait). Appends {"variant", "receipts", "wall_s", "receipts_per_s",
"cpu_s", "clients", "clients_connected_s", "clients_stayed", "dropped_updates", "exit"} to
RESULTS.jsonl; exits non-zero when the run failed. Standard library only."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system seconds of the process and its threads, from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def port_answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05):
            return True
    except OSError:
        return False


def main(argv):
    if len(argv) < 8 or argv[6] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    results, variant = argv[1], argv[2]
    receipts, clients, port = int(argv[3]), int(argv[4]), int(argv[5])
    command = argv[7:]

    start = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    done = threading.Event()
    marks = {}
    log = []

    def follow():
        for line in process.stderr:
            log.append(line)
            if line.startswith("done (") and not done.is_set():
                marks["done"] = time.perf_counter()
                marks["cpu"] = cpu_seconds(process.pid)
                done.set()
        done.set()

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()

    curls = []
    connected = None
    if clients:
        while not port_answers(port):
            if process.poll() is not None or done.is_set():
                break
            time.sleep(0.001)
        else:
            url = f"http://127.0.0.1:{port}/api/events"
            curls = [subprocess.Popen(["curl", "-sN", "-o", "/dev/null", url],
                                      stdin=subprocess.DEVNULL) for _ in range(clients)]
            connected = time.perf_counter() - start

    done.wait(timeout=900)
    stayed = sum(curl.poll() is None for curl in curls) if clients else None
    dropped = None
    if clients and "done" in marks:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/snapshot", timeout=10) as r:
            dropped = json.load(r)["health"].get("dropped_updates")
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
    for curl in curls:
        curl.terminate()
        curl.wait()
    follower.join(timeout=5)

    ok = code == 0 and "done" in marks and (not clients or connected is not None)
    wall = marks["done"] - start if "done" in marks else None
    record = {
        "variant": variant,
        "receipts": receipts,
        "wall_s": round(wall, 4) if wall else None,
        "receipts_per_s": round(receipts / wall) if wall else None,
        "cpu_s": marks.get("cpu"),
        "clients": clients,
        "clients_connected_s": round(connected, 4) if connected is not None else None,
        "clients_stayed": stayed,
        "dropped_updates": dropped,
        "exit": code if ok else (code or 1),
    }
    with open(results, "a") as f:
        f.write(json.dumps(record) + "\n")
    if not ok:
        sys.stderr.write("".join(log[-20:]))
        if clients and connected is None:
            print(f"{variant}: the dashboard's port {port} never answered", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
