#!/usr/bin/env bash
# The batch benchmark: the same job (every step, Parquet out, the three aggregates, the report) in
# retailflow, Polars, DuckDB and PySpark, on a generated file, with the figures cross-checked.
#
#   bench/batch.sh            compare the engines: ROWS rows (default 1,000,000), RUNS runs each (5)
#   bench/batch.sh rss        retailflow alone on ROWS rows (default 10,000,000): peak RSS and wall
#   bench/batch.sh plain      retailflow (the whole job, unchanged) against the notebook's steps
#                             written plainly in Polars and DuckDB (polars-plain, duckdb-plain: fixed
#                             date format, one pass of repairs, Parquet, the three aggregates), each
#                             also on one core (taskset -c 0); ROWS rows (default 1,000,000), RUNS 5.
#                             The plain jobs' figures are checked against the reference's.
# With the reference (compare, plain and real), every engine's Parquet is also read back with PyArrow
# and must hold the reference's rows (bench/compare_parquet.py).
#   bench/batch.sh cluster    retailflow in-process against `clean --cluster` on a scheduler and two
#                             executors of one core each started here (127.0.0.1, ports CLUSTER_PORT
#                             and the next two, default 50250); ROWS rows (default 10,000,000), RUNS 1;
#                             both reports must agree; prints each executor's peak RSS and whether
#                             all stayed under 500 MB
#   bench/batch.sh real       every engine once on the real file ($RETAIL_SALES_CSV, default
#                             ../shared/data/retail_store_sales.csv), each report checked against
#                             tests/golden/real_report_expected.json (the pure-Python reference's)
#
# Environment: ROWS, RUNS, SEED (42), VENV (bench/out/.venv), RETAILFLOW_BIN (a built binary to use
# instead of building target/release/retailflow), ENGINES (default
# "retailflow polars duckdb pyspark"; an engine name ending in -1core runs on core 0 only),
# CHECK_REFERENCE (1 in compare mode: also run the pure-Python
# reference once and check every engine's report against it; 0 in rss mode).
# Everything it writes (venv, data, Parquet, reports) stays under bench/out/, which git ignores.
set -euo pipefail

MODE=${1:-compare}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/bench/out"
SEED=${SEED:-42}
VENV=${VENV:-$OUT/.venv}
PEERS="$ROOT/bench/peers"
mkdir -p "$OUT"
case "$MODE" in
  compare) ROWS=${ROWS:-1000000}; RUNS=${RUNS:-5}; CHECK_REFERENCE=${CHECK_REFERENCE:-1} ;;
  rss) ROWS=${ROWS:-10000000}; RUNS=${RUNS:-1}; CHECK_REFERENCE=${CHECK_REFERENCE:-0} ;;
  real) ROWS=real; RUNS=${RUNS:-1}; CHECK_REFERENCE=1 ;;
  plain) ROWS=${ROWS:-1000000}; RUNS=${RUNS:-5}; CHECK_REFERENCE=${CHECK_REFERENCE:-1}
    ENGINES=${ENGINES:-retailflow polars-plain duckdb-plain retailflow-1core polars-plain-1core duckdb-plain-1core} ;;
  cluster) ROWS=${ROWS:-10000000}; RUNS=${RUNS:-1}; CHECK_REFERENCE=${CHECK_REFERENCE:-0}
    ENGINES=${ENGINES:-retailflow retailflow-cluster} ;;
  *) echo "usage: bench/batch.sh [compare|rss|real|plain|cluster]" >&2; exit 2 ;;
esac
ENGINES=${ENGINES:-retailflow polars duckdb pyspark}
[ "$MODE" = rss ] && ENGINES=retailflow
if [ "$MODE" = plain ] && [ "$(nproc)" -lt 2 ]; then
  echo "bench/batch.sh plain compares 2 cores with one: this machine has $(nproc)" >&2; exit 1
fi

log() { printf '== %s\n' "$*" >&2; }

# 1. The peers, pinned, in a throw-away venv (reinstalled when bench/requirements.txt changes).
if [[ " $ENGINES " == *" polars"* || " $ENGINES " == *" duckdb"* || " $ENGINES " == *" pyspark "* ]] \
    || [ "$CHECK_REFERENCE" = 1 ]; then
  if ! cmp -s "$ROOT/bench/requirements.txt" "$VENV/requirements.txt" 2>/dev/null; then
    log "installing the peers into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/bench/requirements.txt"
    cp "$ROOT/bench/requirements.txt" "$VENV/requirements.txt"
  fi
fi
PY="$VENV/bin/python"
if [[ " $ENGINES " == *" pyspark "* ]]; then
  java -version >/dev/null 2>&1 || { echo "PySpark needs Java 17 or later on PATH" >&2; exit 1; }
fi
export SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$PY" PYTHONDONTWRITEBYTECODE=1

# 2. retailflow, optimised (only when it runs or generates the input).
DATA="$OUT/sales_${ROWS}_seed${SEED}.csv"
RETAILFLOW=${RETAILFLOW_BIN:-$ROOT/target/release/retailflow}
if [ -n "${RETAILFLOW_BIN:-}" ]; then
  [ -x "$RETAILFLOW" ] || { echo "RETAILFLOW_BIN=$RETAILFLOW is not an executable" >&2; exit 1; }
elif [[ " $ENGINES " == *" retailflow"* ]] || { [ "$MODE" != real ] && [ ! -s "$DATA" ]; }; then
  log "building retailflow (release)"
  (cd "$ROOT" && cargo build --release --quiet -p retailflow)
fi

# 3. The input: the real file, or one generated once per (rows, seed).
if [ "$MODE" = real ]; then
  DATA=${RETAIL_SALES_CSV:-$ROOT/../shared/data/retail_store_sales.csv}
  [ -f "$DATA" ] || { echo "the real sales file is missing at $DATA" >&2; exit 1; }
elif [ ! -s "$DATA" ]; then
  log "generating $ROWS rows"
  start=$(date +%s%N)
  "$RETAILFLOW" generate --rows "$ROWS" --seed "$SEED" --out "$DATA.tmp"
  mv "$DATA.tmp" "$DATA"
  log "generated $(du -h "$DATA" | cut -f1) in $(( ($(date +%s%N) - start) / 1000000 )) ms"
fi

RUN_DIR="$OUT/run_${MODE}_${ROWS}"
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
RESULTS="$RUN_DIR/results.jsonl"

# The cluster of the retailflow-cluster engine: a scheduler and two one-core executors, stopped at
# the end.
CLUSTER_PORT=${CLUSTER_PORT:-50250}
CLUSTER_PIDS=()
stop_cluster() { [ ${#CLUSTER_PIDS[@]} -eq 0 ] || kill "${CLUSTER_PIDS[@]}" 2>/dev/null || true; }
trap stop_cluster EXIT
wait_port() {
  for _ in $(seq 300); do
    (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; exit 1
}
if [[ " $ENGINES " == *" retailflow-cluster "* ]]; then
  log "starting a scheduler on $CLUSTER_PORT and two executors"
  "$RETAILFLOW" cluster scheduler --bind "127.0.0.1:$CLUSTER_PORT" 2>"$RUN_DIR/scheduler.log" &
  CLUSTER_PIDS+=($!)
  wait_port "$CLUSTER_PORT"
  for n in 1 2; do
    mkdir -p "$RUN_DIR/executor-$n"
    "$RETAILFLOW" cluster executor --scheduler "127.0.0.1:$CLUSTER_PORT" \
      --bind "127.0.0.1:$((CLUSTER_PORT + n))" --work-dir "$RUN_DIR/executor-$n" --cores 1 \
      2>"$RUN_DIR/executor-$n.log" &
    CLUSTER_PIDS+=($!)
    wait_port "$((CLUSTER_PORT + n))"
  done
fi

# Sets COMMAND to the command line of one engine's run; ENGINE-1core is ENGINE pinned to core 0.
command_for() {
  local engine=$1 parquet=$2 report=$3 pin=()
  if [[ "$engine" == *-1core ]]; then
    engine=${engine%-1core}
    pin=(taskset -c 0)
  fi
  case "$engine" in
    retailflow) COMMAND=("$RETAILFLOW" clean "$DATA" --out "$parquet" --report "$report" --quiet) ;;
    retailflow-cluster) COMMAND=("$RETAILFLOW" clean "$DATA" --out "$parquet" --report "$report"
      --quiet --cluster "df://127.0.0.1:$CLUSTER_PORT") ;;
    polars | duckdb | pyspark) COMMAND=("$PY" "$PEERS/${engine}_job.py" "$DATA" "$parquet" "$report") ;;
    polars-plain | duckdb-plain)
      COMMAND=("$PY" "$PEERS/${engine%-plain}_plain.py" "$DATA" "$parquet" "$report") ;;
    *) echo "unknown engine $engine" >&2; exit 2 ;;
  esac
  COMMAND=("${pin[@]}" "${COMMAND[@]}")
}

# 4. Each engine RUNS times, in rounds (every engine once per round), so that a slower spell of a
# shared machine falls on every engine alike; the outputs of the last run are kept for the figure
# check.
for run in $(seq 1 "$RUNS"); do
  for engine in $ENGINES; do
    parquet="$RUN_DIR/$engine.parquet"
    report="$RUN_DIR/$engine.json"
    rm -rf "$parquet" "$report"
    log "$engine run $run/$RUNS"
    command_for "$engine" "$parquet" "$report"
    if ! python3 "$ROOT/bench/measure.py" "$engine" "$RESULTS" -- "${COMMAND[@]}" \
        >"$RUN_DIR/$engine.log" 2>&1; then
      echo "$engine failed; see $RUN_DIR/$engine.log:" >&2
      tail -5 "$RUN_DIR/$engine.log" >&2
      exit 1
    fi
  done
done

# 5. The figures: every engine against the pure-Python reference (or, without it, against the first).
status=0
reports=()
plain_reports=()
for engine in $ENGINES; do
  case "$engine" in
    *-plain | *-plain-1core) plain_reports+=("$RUN_DIR/$engine.json") ;;
    *) reports+=("$RUN_DIR/$engine.json") ;;
  esac
done
if [ "$CHECK_REFERENCE" = 1 ]; then
  log "computing the reference report (pure Python)"
  "$PY" "$PEERS/reference.py" "$DATA" "$RUN_DIR/reference.parquet" "$RUN_DIR/reference.json"
  expected="$RUN_DIR/reference.json"
  if [ "$MODE" = real ]; then
    expected="$ROOT/tests/golden/real_report_expected.json"
    reports=("$RUN_DIR/reference.json" "${reports[@]}")
  fi
  python3 "$ROOT/bench/compare_reports.py" "$expected" "${reports[@]}" || status=1
  # A plain job's report holds a few of the figures: each of those must equal the reference's.
  for report in "${plain_reports[@]}"; do
    python3 "$ROOT/bench/compare_reports.py" "$report" "$expected" >/dev/null \
      && echo "$report: its figures agree with $expected" \
      || { echo "$report: its figures DISAGREE with $expected:" >&2
           python3 "$ROOT/bench/compare_reports.py" "$report" "$expected" >&2; status=1; }
  done
  # The rows themselves: every engine's Parquet, read back with PyArrow, against the reference's.
  parquets=()
  for engine in $ENGINES; do parquets+=("$RUN_DIR/$engine.parquet"); done
  "$PY" "$ROOT/bench/compare_parquet.py" "$RUN_DIR/reference.parquet" "${parquets[@]}" || status=1
elif [ ${#reports[@]} -gt 1 ]; then
  python3 "$ROOT/bench/compare_reports.py" "${reports[@]}" || status=1
fi

# 6. The table.
echo
"$ROOT/bench/machine.sh" "rows: $ROWS, runs: $RUNS"
echo
python3 "$ROOT/bench/table.py" "$RESULTS"
if [ ${#CLUSTER_PIDS[@]} -gt 1 ]; then
  echo
  most=0
  for n in 1 2; do
    pid=${CLUSTER_PIDS[$n]}
    mb=$(awk '/VmHWM/{printf "%d", $2/1024}' "/proc/$pid/status")
    echo "executor $n: peak RSS $mb MB"
    [ "$mb" -gt "$most" ] && most=$mb
  done
  echo "scheduler: peak RSS $(awk '/VmHWM/{printf "%d MB", $2/1024}' "/proc/${CLUSTER_PIDS[0]}/status")"
  if [ "$most" -lt 500 ]; then
    echo "every executor under 500 MB peak RSS (goal): yes, at most $most MB"
  else
    echo "every executor under 500 MB peak RSS (goal): NO, one reached $most MB"
  fi
fi
if [ "$status" != 0 ]; then
  echo
  echo "The engines' reports DISAGREE (see above)." >&2
fi
exit "$status"
