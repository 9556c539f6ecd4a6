#!/usr/bin/env bash
# The dashboard benchmark: `retailflow stream` from a receipts file with every analysis on, without
# a dashboard and with `--dashboard` and CLIENTS server-sent-event clients (`curl -sN
# .../api/events`) connected for the whole run, the two runs interleaved (A, B, A, B, ...) so
# that a change in the machine's load touches both alike. Prints the median receipts/s of each and
# their ratio, which the dashboard must keep within 5% of 1.
#
#   bench/dashboard.sh             # 2M receipts, 5 runs of each, 10 clients
#   RECEIPTS=5000000 RUNS=9 bench/dashboard.sh
#
# Environment: RECEIPTS (2,000,000), RUNS (5 of each), CLIENTS (10), PORT (18080, the dashboard's
# port on 127.0.0.1), SEED (42), START_TIME (2025-01-01T00:00:00Z), EVENTS_PER_SECOND (2000),
# RETAILFLOW_BIN (a built binary instead of building one with `cargo build --release`).
# The receipts and the analyses are those of bench/stream.sh (tumbling 10 s, allowed lateness 5 s,
# big receipt > 500). A run lasts from the start of the process to its `done` line
# (bench/dashboard/run.py). Everything it writes stays under bench/out/, which git ignores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/bench/out"
HERE="$ROOT/bench/dashboard"
RECEIPTS=${RECEIPTS:-2000000}
RUNS=${RUNS:-5}
CLIENTS=${CLIENTS:-10}
PORT=${PORT:-18080}
SEED=${SEED:-42}
START_TIME=${START_TIME:-2025-01-01T00:00:00Z}
EVENTS_PER_SECOND=${EVENTS_PER_SECOND:-2000}
ANALYSES=(--analytics --window 10s --allowed-lateness 5s --big-receipt 500)
mkdir -p "$OUT"

log() { printf '== %s\n' "$*" >&2; }
die() { echo "bench/dashboard.sh: $*" >&2; exit 1; }

command -v curl >/dev/null 2>&1 || die "the SSE clients need curl"

# retailflow, optimised, unless RETAILFLOW_BIN names a build.
RETAILFLOW=${RETAILFLOW_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/retailflow}
if [ -n "${RETAILFLOW_BIN:-}" ]; then
  [ -x "$RETAILFLOW" ] || die "RETAILFLOW_BIN=$RETAILFLOW is not an executable"
else
  log "building retailflow (release)"
  (cd "$ROOT" && cargo build --release --quiet -p retailflow)
fi
"$RETAILFLOW" stream --help | grep -q -- '--dashboard' || die "this retailflow build has no --dashboard"

# The receipts, generated once per (count, seed, clock).
DATA="$OUT/dashboard_receipts.jsonl"
PARAMS="receipts=$RECEIPTS seed=$SEED start=$START_TIME events_per_second=$EVENTS_PER_SECOND"
if [ ! -s "$DATA" ] || [ "$(cat "$DATA.params" 2>/dev/null)" != "$PARAMS" ]; then
  log "generating $RECEIPTS receipts ($PARAMS)"
  rm -f "$DATA" "$DATA.params"
  "$RETAILFLOW" produce --mode receipts --seed "$SEED" --start-time "$START_TIME" \
    --events-per-second "$EVENTS_PER_SECOND" --count "$RECEIPTS" --out "$DATA.tmp" 2>"$OUT/dashboard_receipts.log" \
    || { tail -5 "$OUT/dashboard_receipts.log" >&2; die "generating the receipts failed"; }
  mv "$DATA.tmp" "$DATA"
  echo "$PARAMS" >"$DATA.params"
fi
lines=$(wc -l <"$DATA")
[ "$lines" -eq "$RECEIPTS" ] || die "$DATA has $lines lines, expected $RECEIPTS"

RUN_DIR="$OUT/dashboard_run_$RECEIPTS"
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
RESULTS="$RUN_DIR/runs.jsonl"
WITHOUT="no dashboard"
WITH="--dashboard, $CLIENTS SSE clients"

run() { # VARIANT CLIENTS [FLAGS...]
  local variant=$1 clients=$2
  shift 2
  local output="$RUN_DIR/results.jsonl"
  rm -f "$output" "$output.dlq.jsonl"
  python3 "$HERE/run.py" "$RESULTS" "$variant" "$RECEIPTS" "$clients" "$PORT" -- \
    "$RETAILFLOW" stream --source "file:$DATA" --format receipts --output "jsonl:$output" \
    --dlq "file:$output.dlq.jsonl" "${ANALYSES[@]}" "$@" 2>>"$RUN_DIR/runs.log" \
    || { tail -20 "$RUN_DIR/runs.log" >&2; die "$variant failed"; }
}

for i in $(seq 1 "$RUNS"); do
  log "run $i/$RUNS: $WITHOUT"
  run "$WITHOUT" 0
  log "run $i/$RUNS: $WITH"
  run "$WITH" "$CLIENTS" --dashboard "127.0.0.1:$PORT"
done

echo
echo "Dashboard benchmark: $RECEIPTS receipts (seed $SEED, $EVENTS_PER_SECOND receipts per second of" \
  "event time from $START_TIME), all 7 analyses, window 10s, allowed lateness 5s, big receipt > 500;" \
  "$RUNS runs of each, interleaved; medians"
"$ROOT/bench/machine.sh"
echo
python3 "$HERE/table.py" "$RESULTS"
