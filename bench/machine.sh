#!/usr/bin/env bash
# The machine a benchmark ran on, as one line for its table: cores, CPU, memory, kernel and the load
# average at the end; any arguments are appended after a semicolon (e.g. "rows: 1000000, runs: 5").
#
#   bench/machine.sh [MORE TEXT...]
set -euo pipefail

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
[ -n "$cpu" ] || cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
line="Machine: $(nproc) cores, ${cpu:-unknown CPU}, $(free -g | awk '/^Mem:/{print $2}') GiB RAM,"
line="$line $(uname -sr); load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"
[ $# -eq 0 ] || line="$line; $*"
echo "$line"
