#!/usr/bin/env bash
# `bench/stream.sh scale`: how retailflow's stream grows with cores and processes.
#
#   bench/stream/scale.sh RETAILFLOW_BINARY     (run it through bench/stream.sh)
#
# 1. From a file: RECEIPTS receipts (default 2,000,000, written once by `retailflow produce --out`),
#    every analysis on, `--workers 1` and `--workers 2`, RUNS runs each (default 3) interleaved; the
#    two runs' results must be byte-identical. A file is read as up to 16 parts, dealt to the workers.
# 2. Through Kafka: a broker of the benchmark's own (scripts/broker.sh, Apache Kafka, port
#    BROKER_PORT 19093, state RETAILFLOW_STATE_DIR bench/out/.broker-scale), a 6-partition topic
#    pre-filled with KAFKA_RECEIPTS receipts (default 1,000,000); one process reading it to the end
#    (`stream --until-end`), then 1, 2 and 3 `--stage partial` workers and one `--stage merge`,
#    each split job timed from the workers' start to the merge's end and checked line for line
#    against the one process. Stops the broker at the end.
#
# Prints receipts/s per run (median wall) and the ratio to one worker or one process, and the machine.
set -euo pipefail

RETAILFLOW=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/bench/out"
RUN_DIR="$OUT/scale"
RECEIPTS=${RECEIPTS:-2000000}
KAFKA_RECEIPTS=${KAFKA_RECEIPTS:-1000000}
RUNS=${RUNS:-3}
PORT=${BROKER_PORT:-19093}
export RETAILFLOW_STATE_DIR=${RETAILFLOW_STATE_DIR:-$OUT/.broker-scale}
BROKERS="127.0.0.1:$PORT"
ANALYSES=(--analytics --window 10s --allowed-lateness 5s --big-receipt 500 --idle-timeout 1h)
TIMES="$RUN_DIR/times.txt"
mkdir -p "$RUN_DIR"
: >"$TIMES"

log() { printf '== %s\n' "$*" >&2; }
die() { echo "bench/stream.sh scale: $*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# shellcheck source=bench/stream/topics.sh
. "$ROOT/bench/stream/topics.sh"

produce_flags=(--mode receipts --seed 42 --start-time 2025-01-01T00:00:00Z --events-per-second 2000)

# 1. The file, with one and two workers.
DATA="$RUN_DIR/receipts-$RECEIPTS.jsonl"
if [ ! -s "$DATA" ]; then
  log "writing $RECEIPTS receipts to $DATA"
  "$RETAILFLOW" produce "${produce_flags[@]}" --count "$RECEIPTS" --out "$DATA" 2>/dev/null
fi
for run in $(seq 1 "$RUNS"); do
  for workers in 1 2; do
    log "file, --workers $workers, run $run/$RUNS"
    out="$RUN_DIR/file-w$workers.jsonl"
    rm -f "$out" "$out.dlq"
    start=$(now_ms)
    "$RETAILFLOW" stream --source "file:$DATA" "${ANALYSES[@]}" --workers "$workers" \
      --output "jsonl:$out" --dlq "file:$out.dlq" 2>"$RUN_DIR/file-w$workers.log"
    echo "file-workers-$workers $RECEIPTS $(( $(now_ms) - start ))" >>"$TIMES"
  done
done
cmp -s "$RUN_DIR/file-w1.jsonl" "$RUN_DIR/file-w2.jsonl" || die "--workers 1 and 2 wrote different results"

# 2. Kafka: one process, then 1, 2 and 3 stage-one workers with a merge.
BROKER_PORT=$PORT "$ROOT/scripts/broker.sh" stop >/dev/null 2>&1 || true
log "starting the broker on $BROKERS"
BROKER_PORT=$PORT "$ROOT/scripts/broker.sh" start
trap 'BROKER_PORT=$PORT "$ROOT/scripts/broker.sh" stop >/dev/null 2>&1 || true' EXIT
create_topic "$BROKERS" scale-receipts 6
log "pre-filling scale-receipts with $KAFKA_RECEIPTS receipts"
"$RETAILFLOW" produce --brokers "$BROKERS" --topic scale-receipts "${produce_flags[@]}" \
  --count "$KAFKA_RECEIPTS" 2>"$RUN_DIR/produce.log"
kafka_common=(--brokers "$BROKERS" --topic scale-receipts --from earliest --until-end "${ANALYSES[@]}")
for run in $(seq 1 "$RUNS"); do
  log "kafka, one process, run $run/$RUNS"
  out="$RUN_DIR/kafka-one.jsonl"
  rm -f "$out"
  start=$(now_ms)
  "$RETAILFLOW" stream "${kafka_common[@]}" --group "one-$run" --output "jsonl:$out" \
    --dlq "file:$out.dlq" 2>"$RUN_DIR/kafka-one.log"
  echo "kafka-one-process $KAFKA_RECEIPTS $(( $(now_ms) - start ))" >>"$TIMES"
  for workers in 1 2 3; do
    log "kafka, $workers stage-one workers and a merge, run $run/$RUNS"
    partials="partials-$workers-$run"
    create_topic "$BROKERS" "$partials" 3
    out="$RUN_DIR/kafka-split-$workers.jsonl"
    rm -rf "$out" "$RUN_DIR/states"
    start=$(now_ms)
    pids=()
    for n in $(seq 1 "$workers"); do
      "$RETAILFLOW" stream "${kafka_common[@]}" --group "split-$workers-$run" --stage partial \
        --partials "$partials" --state-dir "$RUN_DIR/states" --worker-id "w$n" \
        --dlq "file:$RUN_DIR/split-w$n.dlq" 2>"$RUN_DIR/split-$workers-w$n.log" &
      pids+=($!)
    done
    "$RETAILFLOW" stream --brokers "$BROKERS" --stage merge --partials "$partials" --until-end \
      "${ANALYSES[@]}" --output "jsonl:$out" --dlq "file:$out.dlq" 2>"$RUN_DIR/split-$workers-merge.log"
    echo "kafka-stage-one-$workers $KAFKA_RECEIPTS $(( $(now_ms) - start ))" >>"$TIMES"
    for pid in "${pids[@]}"; do wait "$pid" || die "a stage-one worker failed (see $RUN_DIR)"; done
    cmp -s "$RUN_DIR/kafka-one.jsonl" "$out" || die "$workers workers wrote other results than one process"
  done
done

python3 - "$TIMES" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, count, ms = line.split()
    rows.setdefault(name, (int(count), []))[1].append(int(ms))
base = {"file": "file-workers-1", "kafka": "kafka-one-process"}
print("| run | receipts | wall (median) | receipts/s | vs. " + "one worker / one process |")
print("|---|---:|---:|---:|---:|")
for name, (count, times) in rows.items():
    median = statistics.median(times) / 1000
    ref_count, ref_times = rows[base[name.split("-")[0]]]
    ratio = statistics.median(ref_times) / statistics.median(times)
    print(f"| {name} | {count:,} | {median:.2f} s | {count / median:,.0f} | {ratio:.2f}x |")
PY
echo "All results identical: --workers 1 and 2; one process and 1, 2, 3 stage-one workers with a merge."
"$ROOT/bench/machine.sh"
