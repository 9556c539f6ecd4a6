#!/usr/bin/env bash
# The stream benchmark: retailflow's event-time analytics (top stores, big receipts, popular items,
# window summary) against Bytewax and PySpark Structured Streaming on the same receipts, and
# retailflow's end-to-end latency through a real broker.
#
#   bench/stream.sh [throughput]   generate RECEIPTS receipts (default 5,000,000) to
#                                  bench/out/receipts.jsonl, run `retailflow stream` from the file with
#                                  every analysis on (tumbling 10 s; on all cores and pinned to one
#                                  core; sliding 10 s / 2 s), then Bytewax and PySpark on the first
#                                  PEER_RECEIPTS of them; check every engine's results against
#                                  retailflow's; print the table
#   bench/stream.sh kafka          start a broker of the benchmark's own (Apache Kafka, scripts/broker.sh),
#                                  pre-fill its 3-partition topic with RECEIPTS receipts, and read it to
#                                  the end with retailflow (--until-end), PySpark Structured Streaming
#                                  (Kafka source) and Flink SQL (Kafka connector); check every engine's
#                                  results against retailflow's; print the table (see
#                                  bench/stream/kafka.sh for its environment)
#   bench/stream.sh scale          receipts/s from a file with --workers 1 and 2, and through Kafka with
#                                  one process and with 1, 2 and 3 `--stage partial` workers and a
#                                  merge, results checked identical (see bench/stream/scale.sh)
#   bench/stream.sh latency        start the broker (scripts/broker.sh) if it is not running, produce
#                                  5,000 receipts/s with wall-clock event times for DURATION, run
#                                  `retailflow stream --source kafka` alongside, and print p50/p99 of
#                                  window close -> result written
#
# Environment (throughput): RECEIPTS, PEER_RECEIPTS (default min(RECEIPTS, 1,000,000): the peers
# read that many from the start of the same file, and their receipts/s are computed on that count),
# SEED (42), START_TIME (2025-01-01T00:00:00Z), EVENTS_PER_SECOND (2000), RUNS (3, retailflow runs per
# variant; the table shows the median), PEER_RUNS (1), ENGINES (default "retailflow retailflow-1core
# retailflow-sliding retailflow-sliding-1core bytewax pyspark", plus retailflow-windows, the batch
# `retailflow windows` over the whole file, when the build has it; also "reference", the plain-Python
# model in bench/stream/reference.py, on by default when PEER_RECEIPTS <= 1,000,000; also
# "base-1core": retailflow built at the commit BASE (default beef39e, the last one before the store
# anomalies, cashier alerts and bought-together pairs) with its four analyses, pinned, so that one
# run compares this build's seven analyses on one core with that one's four), CORE (the core
# for the pinned runs, 0), VENV (bench/out/.venv-stream), RETAILFLOW_BIN (a built binary instead of
# building target/release/retailflow).
# Environment (latency): RATE (5000), DURATION (60s), LATENCY_WINDOW (1s: many windows in a short
# run; closing does not depend on the length), LATENCY_TRIGGER (10ms, the stream's --trigger),
# BROKER_PORT (19092) and RETAILFLOW_STATE_DIR (bench/out/.broker): the benchmark starts a broker of its
# own there with scripts/broker.sh, away from the tests' one, unless one is running there; TOPIC (receipts), SETTLE (seconds after the producer ends before the stream is
# stopped, 3).
# Everything it writes (venv, data, outputs, logs) stays under bench/out/, which git ignores.
set -euo pipefail

MODE=${1:-throughput}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/bench/out"
HERE="$ROOT/bench/stream"
SEED=${SEED:-42}
START_TIME=${START_TIME:-2025-01-01T00:00:00Z}
EVENTS_PER_SECOND=${EVENTS_PER_SECOND:-2000}
VENV=${VENV:-$OUT/.venv-stream}
WINDOW=10s
SLIDE=2s
LATENESS=5s
BIG=500
mkdir -p "$OUT"

log() { printf '== %s\n' "$*" >&2; }
die() { echo "bench/stream.sh: $*" >&2; exit 1; }

# retailflow at BASE, for the base-1core row: built in a temporary worktree (sharing this
# repository's target folder, so the dependencies are built once), before this build.
BASE=${BASE:-beef39e}
BASE_BIN="$OUT/retailflow-$BASE"
if [[ " ${ENGINES:-} " == *" base-1core "* ]] && [ ! -x "$BASE_BIN" ]; then
  log "building retailflow at $BASE (release)"
  base_tree=$(mktemp -d)
  git -C "$ROOT" worktree add --detach --quiet "$base_tree" "$BASE"
  (cd "$base_tree" && cargo build --release --quiet -p retailflow --target-dir "$ROOT/target")
  cp "$ROOT/target/release/retailflow" "$BASE_BIN"
  git -C "$ROOT" worktree remove --force "$base_tree"
fi

# retailflow, optimised, unless RETAILFLOW_BIN names a build.
RETAILFLOW=${RETAILFLOW_BIN:-$ROOT/target/release/retailflow}
if [ -n "${RETAILFLOW_BIN:-}" ]; then
  [ -x "$RETAILFLOW" ] || die "RETAILFLOW_BIN=$RETAILFLOW is not an executable"
else
  log "building retailflow (release)"
  (cd "$ROOT" && cargo build --release --quiet -p retailflow)
fi

# The analyses' flags; a build without them cannot be measured.
ANALYSES=(--window "$WINDOW" --allowed-lateness "$LATENESS" --big-receipt "$BIG")
if ! "$RETAILFLOW" stream --help | grep -q -- '--window'; then
  WINDOWED=0
else
  WINDOWED=1
fi

if [ "$MODE" = latency ]; then
  exec "$HERE/latency.sh" "$RETAILFLOW" "$WINDOWED"
fi
if [ "$MODE" = kafka ]; then
  exec "$HERE/kafka.sh" "$RETAILFLOW" "$WINDOWED"
fi
if [ "$MODE" = scale ]; then
  exec "$HERE/scale.sh" "$RETAILFLOW"
fi
[ "$MODE" = throughput ] || { echo "usage: bench/stream.sh [throughput|kafka|latency|scale]" >&2; exit 2; }

RECEIPTS=${RECEIPTS:-5000000}
PEER_RECEIPTS=${PEER_RECEIPTS:-$((RECEIPTS < 1000000 ? RECEIPTS : 1000000))}
[ "$PEER_RECEIPTS" -le "$RECEIPTS" ] || die "PEER_RECEIPTS ($PEER_RECEIPTS) is above RECEIPTS ($RECEIPTS)"
RUNS=${RUNS:-3}
PEER_RUNS=${PEER_RUNS:-1}
CORE=${CORE:-0}
[ -n "${ENGINES:-}" ] && ENGINES_GIVEN=1
ENGINES=${ENGINES:-retailflow retailflow-1core retailflow-sliding retailflow-sliding-1core bytewax pyspark}
if [ -z "${ENGINES_GIVEN:-}" ] && "$RETAILFLOW" windows --help >/dev/null 2>&1; then
  ENGINES="$ENGINES retailflow-windows"
fi
if [ "$PEER_RECEIPTS" -le 1000000 ] && [ -z "${NO_REFERENCE:-}" ] && [[ " $ENGINES " != *" reference "* ]]; then
  ENGINES="$ENGINES reference"
fi
if [[ " $ENGINES " == *" retailflow"* ]] && [ "$WINDOWED" = 0 ]; then
  die "this retailflow build has no windowed analytics (\`retailflow stream --help\` lists no --window);" \
    "build one that does, or run only the peers: ENGINES=\"bytewax pyspark reference\""
fi

# 1. The peers, pinned, in a throw-away venv (reinstalled when bench/stream-requirements.txt changes).
if [[ " $ENGINES " == *" bytewax "* ]] || [[ " $ENGINES " == *" pyspark "* ]]; then
  if ! cmp -s "$ROOT/bench/stream-requirements.txt" "$VENV/requirements.txt" 2>/dev/null; then
    log "installing the peers into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/bench/stream-requirements.txt"
    cp "$ROOT/bench/stream-requirements.txt" "$VENV/requirements.txt"
  fi
fi
PY="$VENV/bin/python"
if [[ " $ENGINES " == *" pyspark "* ]]; then
  java -version >/dev/null 2>&1 || die "PySpark needs Java 17 or later on PATH"
fi
export SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$PY" PYTHONDONTWRITEBYTECODE=1

# 2. The receipts, generated once per (count, seed, clock).
DATA="$OUT/receipts.jsonl"
PARAMS="receipts=$RECEIPTS seed=$SEED start=$START_TIME events_per_second=$EVENTS_PER_SECOND"
if [ ! -s "$DATA" ] || [ "$(cat "$DATA.params" 2>/dev/null)" != "$PARAMS" ]; then
  log "generating $RECEIPTS receipts ($PARAMS)"
  rm -f "$DATA" "$DATA.params"
  start=$(date +%s%N)
  "$RETAILFLOW" produce --mode receipts --seed "$SEED" --start-time "$START_TIME" \
    --events-per-second "$EVENTS_PER_SECOND" --count "$RECEIPTS" --out "$DATA.tmp" 2>"$OUT/receipts.log" \
    || { tail -5 "$OUT/receipts.log" >&2; die "generating the receipts failed"; }
  mv "$DATA.tmp" "$DATA"
  echo "$PARAMS" >"$DATA.params"
  log "generated $(du -h "$DATA" | cut -f1) in $(( ($(date +%s%N) - start) / 1000000 )) ms"
fi
lines=$(wc -l <"$DATA")
[ "$lines" -eq "$RECEIPTS" ] || die "$DATA has $lines lines, expected $RECEIPTS"

RUN_DIR="$OUT/stream_run_$RECEIPTS"
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
RESULTS="$RUN_DIR/results.jsonl"
COUNTS="$RUN_DIR/receipts.jsonl"
CHECKS="$RUN_DIR/checks.jsonl"
CPU="$RUN_DIR/cpu.jsonl"
# CPU time (user + system) of each run, by GNU time when installed: on a shared machine it tells
# what a run costs better than wall time does. Its own process adds about 2 MB to the peak RSS.
GNU_TIME=$(command -v /usr/bin/time || true)

# The peers read the first PEER_RECEIPTS receipts, in a folder of their own (Spark's file source
# reads a folder).
PEER_DIR="$RUN_DIR/peer_input"
mkdir -p "$PEER_DIR"
if [ "$PEER_RECEIPTS" -eq "$RECEIPTS" ]; then
  ln -s "$DATA" "$PEER_DIR/receipts.jsonl"
else
  head -n "$PEER_RECEIPTS" "$DATA" >"$PEER_DIR/receipts.jsonl"
fi
PEER_DATA="$PEER_DIR/receipts.jsonl"

retailflow_command() { # INPUT OUTPUT SLIDE [PIN]
  COMMAND=()
  local workers=()
  if [ -n "${4:-}" ]; then
    COMMAND=(taskset -c "$CORE")
    workers=(--workers 1)
  fi
  COMMAND+=("$RETAILFLOW" stream --source "file:$1" --format receipts --output "jsonl:$2"
    --dlq "file:$2.dlq.jsonl" "${ANALYSES[@]}" --slide "$3" "${workers[@]}")
}

# Sets COMMAND, INPUT_COUNT, OUTPUT, NOTE for one engine.
command_for() {
  local engine=$1
  NOTE=""
  case "$engine" in
    retailflow) OUTPUT="$RUN_DIR/retailflow.jsonl"; INPUT_COUNT=$RECEIPTS
      retailflow_command "$DATA" "$OUTPUT" "$WINDOW"; NOTE="tumbling $WINDOW, all cores, all 7 analyses" ;;
    retailflow-1core) OUTPUT="$RUN_DIR/retailflow-1core.jsonl"; INPUT_COUNT=$RECEIPTS
      retailflow_command "$DATA" "$OUTPUT" "$WINDOW" pin; NOTE="tumbling $WINDOW, taskset -c $CORE" ;;
    retailflow-sliding) OUTPUT="$RUN_DIR/retailflow-sliding.jsonl"; INPUT_COUNT=$RECEIPTS
      retailflow_command "$DATA" "$OUTPUT" "$SLIDE"; NOTE="sliding $WINDOW/$SLIDE, all cores" ;;
    retailflow-sliding-1core) OUTPUT="$RUN_DIR/retailflow-sliding-1core.jsonl"; INPUT_COUNT=$RECEIPTS
      retailflow_command "$DATA" "$OUTPUT" "$SLIDE" pin; NOTE="sliding $WINDOW/$SLIDE, taskset -c $CORE" ;;
    base-1core) OUTPUT="$RUN_DIR/base-1core.jsonl"; INPUT_COUNT=$RECEIPTS
      COMMAND=(taskset -c "$CORE" "$BASE_BIN" stream --source "file:$DATA" --format receipts
        --output "jsonl:$OUTPUT" --dlq "file:$OUTPUT.dlq.jsonl" "${ANALYSES[@]}" --slide "$WINDOW")
      NOTE="retailflow at $BASE, its 4 analyses, tumbling $WINDOW, taskset -c $CORE" ;;
    retailflow-windows) OUTPUT="$RUN_DIR/retailflow-windows.jsonl"; INPUT_COUNT=$RECEIPTS
      COMMAND=("$RETAILFLOW" windows "$DATA" --window "$WINDOW" --big-receipt "$BIG" --output "jsonl:$OUTPUT")
      NOTE="\`retailflow windows\`: the same windows as a batch job (DataFusion), tumbling $WINDOW" ;;
    bytewax) OUTPUT="$RUN_DIR/bytewax.jsonl"; INPUT_COUNT=$PEER_RECEIPTS
      COMMAND=("$PY" "$HERE/bytewax_job.py" "$PEER_DATA" "$OUTPUT" --window "$WINDOW"
        --allowed-lateness "$LATENESS" --big-receipt "$BIG")
      NOTE="tumbling $WINDOW, 1 worker; the 4 analyses of the check, not the 3 alerting ones" ;;
    pyspark) OUTPUT="$RUN_DIR/pyspark"; INPUT_COUNT=$PEER_RECEIPTS
      COMMAND=("$PY" "$HERE/pyspark_job.py" "$PEER_DIR" "$OUTPUT" --window "$WINDOW"
        --allowed-lateness "$LATENESS" --big-receipt "$BIG")
      NOTE="tumbling $WINDOW, local[*], 4 queries (the 4 analyses of the check, not the 3 alerting ones), AvailableNow" ;;
    reference) OUTPUT="$RUN_DIR/reference.jsonl"; INPUT_COUNT=$PEER_RECEIPTS
      COMMAND=(python3 "$HERE/reference.py" "$PEER_DATA" "$OUTPUT" --window "$WINDOW"
        --allowed-lateness "$LATENESS" --big-receipt "$BIG")
      NOTE="plain Python, the check's model (the 4 analyses of the check)" ;;
    *) die "unknown engine $engine" ;;
  esac
  if [ "$INPUT_COUNT" != "$RECEIPTS" ]; then
    NOTE="$NOTE; first $INPUT_COUNT receipts"
  fi
}

# Runs of ENGINE: RUNS for retailflow's, PEER_RUNS for the peers'.
runs_of() {
  if [[ "$1" == retailflow* || "$1" == base-1core ]]; then echo "$RUNS"; else echo "$PEER_RUNS"; fi
}

# 3. Each engine, measured by the batch benchmark's helper (wall time, peak RSS of the process tree),
# in rounds (every engine that still has runs to do, once per round), so that a slower spell of a
# shared machine falls on every engine alike.
rounds=$(( RUNS > PEER_RUNS ? RUNS : PEER_RUNS ))
for run in $(seq 1 "$rounds"); do
  for engine in $ENGINES; do
    runs=$(runs_of "$engine")
    [ "$run" -le "$runs" ] || continue
    command_for "$engine"
    rm -rf "$OUTPUT" "$OUTPUT.dlq.jsonl"
    log "$engine run $run/$runs ($INPUT_COUNT receipts)"
    TIMED=()
    # (Not PySpark: its JVM is not a child that Python waits for, so its CPU time would be missed.)
    [ -n "$GNU_TIME" ] && [ "$engine" != pyspark ] && TIMED=("$GNU_TIME" -o "$RUN_DIR/cpu.txt" -f "%U %S")
    if ! python3 "$ROOT/bench/measure.py" "$engine" "$RESULTS" -- "${TIMED[@]}" "${COMMAND[@]}" \
        >"$RUN_DIR/$engine.log" 2>&1; then
      echo "$engine failed; see $RUN_DIR/$engine.log:" >&2
      tail -5 "$RUN_DIR/$engine.log" >&2
      exit 1
    fi
    if [ ${#TIMED[@]} -gt 0 ]; then
      read -r user system <"$RUN_DIR/cpu.txt"
      printf '{"engine": "%s", "user_s": %s, "system_s": %s}\n' "$engine" "$user" "$system" >>"$CPU"
    fi
    if [ "$run" -eq "$runs" ]; then
      printf '{"engine": "%s", "receipts": %s, "note": "%s"}\n' "$engine" "$INPUT_COUNT" "$NOTE" >>"$COUNTS"
    fi
  done
done

# Records whether two retailflow runs wrote byte-identical results.
same_results() { # ENGINE OTHER
  [ -s "$RUN_DIR/$1.jsonl" ] && [ -s "$RUN_DIR/$2.jsonl" ] || return 0
  local equal=true
  if ! cmp -s "$RUN_DIR/$1.jsonl" "$RUN_DIR/$2.jsonl"; then
    echo "$2 wrote different results from $1" >&2
    equal=false
    status=1
  fi
  printf '{"engine": "%s", "baseline": "%s", "kind": "byte_identical", "equal": %s}\n' "$2" "$1" "$equal" >>"$CHECKS"
}

# 4. The check: every engine against retailflow on the same input (retailflow once more on the
# peers' input when that is shorter), or against the first engine when retailflow did not run.
status=0
baseline=""
peers=()
for engine in $ENGINES; do
  command_for "$engine"
  case "$engine" in
    retailflow-sliding*) ;;  # the peers compute tumbling windows
    retailflow*) ;;
    *) peers+=("$engine=$OUTPUT") ;;
  esac
done
if [[ " $ENGINES " == *" retailflow "* ]] || [[ " $ENGINES " == *" retailflow-1core "* ]]; then
  baseline_output="$RUN_DIR/retailflow.jsonl"
  [ -s "$baseline_output" ] || baseline_output="$RUN_DIR/retailflow-1core.jsonl"
  if [ "$PEER_RECEIPTS" -ne "$RECEIPTS" ] && [ ${#peers[@]} -gt 0 ]; then
    log "retailflow on the peers' $PEER_RECEIPTS receipts, for the check"
    baseline_output="$RUN_DIR/retailflow-peer-input.jsonl"
    retailflow_command "$PEER_DATA" "$baseline_output" "$WINDOW"
    "${COMMAND[@]}" 2>"$RUN_DIR/retailflow-peer-input.log" || die "retailflow on the peers' input failed"
  fi
  baseline="retailflow=$baseline_output"
  # A pinned run must write exactly what the unpinned one wrote.
  same_results retailflow retailflow-1core
  same_results retailflow-sliding retailflow-sliding-1core
  # The batch computation of the same windows, on the same (whole) file.
  if [ -s "$RUN_DIR/retailflow-windows.jsonl" ] && [ -s "$RUN_DIR/retailflow.jsonl" ]; then
    echo
    python3 "$HERE/compare.py" --summary "$CHECKS" "retailflow=$RUN_DIR/retailflow.jsonl" \
      "retailflow-windows=$RUN_DIR/retailflow-windows.jsonl" || status=1
  fi
  # Sliding windows: retailflow against the reference on the peers' input.
  if [ -s "$RUN_DIR/retailflow-sliding.jsonl" ] && [[ " $ENGINES " == *" reference "* ]]; then
    log "sliding $WINDOW/$SLIDE: retailflow and the reference on the peers' $PEER_RECEIPTS receipts, for the check"
    retailflow_command "$PEER_DATA" "$RUN_DIR/retailflow-sliding-peer-input.jsonl" "$SLIDE"
    "${COMMAND[@]}" 2>"$RUN_DIR/retailflow-sliding-peer-input.log" || die "retailflow sliding on the peers' input failed"
    python3 "$HERE/reference.py" "$PEER_DATA" "$RUN_DIR/reference-sliding.jsonl" --window "$WINDOW" \
      --slide "$SLIDE" --allowed-lateness "$LATENESS" --big-receipt "$BIG" 2>/dev/null
    echo
    python3 "$HERE/compare.py" --summary "$CHECKS" "retailflow-sliding=$RUN_DIR/retailflow-sliding-peer-input.jsonl" \
      "reference-sliding=$RUN_DIR/reference-sliding.jsonl" || status=1
  fi
elif [ ${#peers[@]} -gt 0 ]; then
  baseline=${peers[0]}
  peers=("${peers[@]:1}")
fi
if [ -n "$baseline" ] && [ ${#peers[@]} -gt 0 ]; then
  echo
  python3 "$HERE/compare.py" --summary "$CHECKS" "$baseline" "${peers[@]}" || status=1
fi

# 5. The table.
echo
echo "Stream benchmark: $RECEIPTS receipts (seed $SEED, $EVENTS_PER_SECOND receipts per second of" \
  "event time from $START_TIME), window $WINDOW, allowed lateness $LATENESS, big receipt > $BIG"
"$ROOT/bench/machine.sh"
echo
python3 "$HERE/table.py" "$RESULTS" "$COUNTS" "$CHECKS" "$CPU"
if [[ " $ENGINES " == *" base-1core "* ]] && [[ " $ENGINES " == *" retailflow-1core "* ]]; then
  python3 - "$RESULTS" "$BASE" <<'PY'
import json, statistics, sys
rates = {}
for line in open(sys.argv[1]):
    row = json.loads(line)
    rates.setdefault(row["engine"], []).append(row["wall_s"])
this, base = statistics.median(rates["retailflow-1core"]), statistics.median(rates["base-1core"])
print(f"\nOne core, this build's seven analyses against {sys.argv[2]}'s four: "
      f"{base / this:.3f} of its receipts/s (wall {this:.2f} s against {base:.2f} s; goal: at least 0.90)")
PY
fi
if [ "$status" != 0 ]; then
  echo
  echo "The engines' results DISAGREE (see above)." >&2
fi
exit "$status"
