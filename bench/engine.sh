#!/usr/bin/env bash
# The event-time engine alone, this commit against an earlier one, in one run on one core:
# receipts per second through `Engine::process` (crates/retailflow-eventtime/examples/
# engine_throughput.rs) for 10 s tumbling, 10 s every 2 s, and 10 s every 2 s in update mode.
# The earlier commit (BASE, default beef39e: the last one before the store anomalies, cashier alerts
# and bought-together pairs) runs its four analyses; this commit runs the same four, then all seven
# as `retailflow stream` does. Prints one table with the ratios.
#
#   bench/engine.sh                     # 2M receipts, 10,000 per event-time second, core 0
#   BASE=<commit> RECEIPTS=5000000 CORE=2 bench/engine.sh
#
# Builds go to target/bench-engine (this commit) and target/bench-engine-base; the earlier commit
# is checked out into a temporary git worktree, removed at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BASE=${BASE:-beef39e}
RECEIPTS=${RECEIPTS:-2000000}
EVENTS_PER_SECOND=${EVENTS_PER_SECOND:-10000}
CORE=${CORE:-0}
log() { echo "engine bench: $*" >&2; }

worktree=$(mktemp -d)
trap 'git -C "$ROOT" worktree remove --force "$worktree" >/dev/null 2>&1 || rm -rf "$worktree"' EXIT
git -C "$ROOT" worktree add --detach --quiet "$worktree" "$BASE"

build() { # SOURCE TARGET_DIR
  (cd "$1" && cargo build --release --quiet -p retailflow-eventtime --example engine_throughput \
    --target-dir "$2")
}
log "building this commit ($(git -C "$ROOT" rev-parse --short HEAD)) and $BASE (release)"
build "$ROOT" "$ROOT/target/bench-engine"
build "$worktree" "$ROOT/target/bench-engine-base"

PIN=()
command -v taskset >/dev/null 2>&1 && PIN=(taskset -c "$CORE")
run() { "${PIN[@]}" "$1/release/examples/engine_throughput" "$RECEIPTS" "$EVENTS_PER_SECOND"; }
log "running $BASE, then this commit, on core $CORE"
base_out=$(run "$ROOT/target/bench-engine-base")
this_out=$(run "$ROOT/target/bench-engine")
echo "$base_out" | head -1

# Lines look like `NAME[, 4 analyses|, all 7 analyses]   1234567 receipts/s  (...)`.
python3 - "$base_out" "$this_out" "$BASE" <<'PY'
import re, sys
base, this, ref = sys.argv[1], sys.argv[2], sys.argv[3]
line = re.compile(r"^(.*?)\s+(\d+) receipts/s")
def rates(text):
    out = {}
    for l in text.splitlines():
        m = line.match(l)
        if m:
            out[m.group(1).strip()] = float(m.group(2))
    return out
b, t = rates(base), rates(this)
print(f"| case | {ref}, 4 analyses | this commit, 4 | this commit, all 7 | all 7 / {ref} |")
print("|---|---:|---:|---:|---:|")
worst = None
for name, rate in b.items():
    four, seven = t.get(f"{name}, 4 analyses"), t.get(f"{name}, all 7 analyses")
    if four is None or seven is None:
        continue
    ratio = seven / rate
    worst = ratio if worst is None else min(worst, ratio)
    print(f"| {name} | {rate/1e6:.2f}M/s | {four/1e6:.2f}M/s | {seven/1e6:.2f}M/s | {ratio:.2f} |")
if worst is not None:
    print(f"\nlowest all-7 / {ref} ratio: {worst:.2f}")
PY
