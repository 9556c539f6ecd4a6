#!/usr/bin/env bash
# `bench/stream.sh latency`: end-to-end latency of `retailflow stream` through the real broker.
#
#   bench/stream/latency.sh RETAILFLOW_BINARY WINDOWED(0|1)     (run it through bench/stream.sh)
#
# Starts the broker with scripts/broker.sh unless it is running (and stops it at the end only if it
# started it), starts `retailflow stream --source kafka --from latest` on a fresh consumer group with
# a JSONL output, follows that file with bench/stream/latency.py (the wall time each line appears),
# produces RATE receipts/s with wall-clock event times for DURATION, lets the stream settle, stops it
# with SIGTERM, and reports p50/p99 of window close -> results written, and of receipt -> big
# receipt written. When the stream has `--latency-log`, its own per-window timings are reported too.
# LATENCY_ENGINES (default retailflow; also flink: bench/peers/flink --follow, unbounded from the
# latest offsets, every row flushed to a JSONL file as it is collected) runs the same for each, one
# after the other on the same broker, and ends with one row per engine.
# pyspark: bench/stream/pyspark_kafka_job.py --follow, micro-batches one after the other from the
# latest offsets, each batch's window summaries and big receipts appended to a JSONL file.
# Environment: see bench/stream.sh; FLINK_WARMUP (40) and PYSPARK_WARMUP (60): seconds the JVM
# engines get to start before the producer.
set -euo pipefail

RETAILFLOW=$1
WINDOWED=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/bench/stream"
RUN_DIR="$ROOT/bench/out/stream_latency"
RATE=${RATE:-5000}
DURATION=${DURATION:-60s}
LATENCY_WINDOW=${LATENCY_WINDOW:-1s}
LATENCY_TRIGGER=${LATENCY_TRIGGER:-10ms}
LATENESS=5s
PORT=${BROKER_PORT:-19092}
# A broker of the benchmark's own (its own port and state dir), so that the load never reaches the
# tests' or a user's broker.
export RETAILFLOW_STATE_DIR=${RETAILFLOW_STATE_DIR:-$ROOT/bench/out/.broker}
TOPIC=${TOPIC:-receipts}
SETTLE=${SETTLE:-3}
WARMUP=${WARMUP:-5}

log() { printf '== %s\n' "$*" >&2; }
die() { echo "bench/stream.sh latency: $*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

[ "$WINDOWED" = 1 ] || die "this retailflow build has no windowed analytics (\`retailflow stream --help\` lists no --window)"

rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
started_broker=0
stream_pid=""
watch_pid=""
cleanup() {
  [ -n "$stream_pid" ] && kill -TERM "$stream_pid" 2>/dev/null || true
  [ -n "$watch_pid" ] && kill -TERM "$watch_pid" 2>/dev/null || true
  if [ "$started_broker" = 1 ]; then
    "$ROOT/scripts/broker.sh" stop || true
  fi
}
trap cleanup EXIT

if BROKER_PORT=$PORT "$ROOT/scripts/broker.sh" status >/dev/null 2>&1; then
  log "broker already running on 127.0.0.1:$PORT"
else
  log "starting the broker on 127.0.0.1:$PORT"
  BROKER_PORT=$PORT "$ROOT/scripts/broker.sh" start
  started_broker=1
fi
# The topic gets more receipts: a topic that `bench/stream.sh kafka` filled is no longer what it was.
rm -f "$RETAILFLOW_STATE_DIR/bench-kafka.params"

window_ms=$(python3 -c "import sys; sys.path.insert(0, '$HERE'); import common; print(common.parse_duration_ms('$LATENCY_WINDOW'))")
lateness_ms=5000
case "${BROKER:-kafka}" in tansu) broker_name="Tansu" ;; *) broker_name="Apache Kafka $(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/scripts/kafka/pom.xml")" ;; esac
FLINK_WORK=${FLINK_WORK:-$ROOT/bench/.work/flink}
FLINK_WARMUP=${FLINK_WARMUP:-40}
PYSPARK_WARMUP=${PYSPARK_WARMUP:-60}
KAFKA_VENV=${KAFKA_VENV:-$ROOT/bench/out/.venv-stream-kafka}
SUMMARY="$RUN_DIR/summary.jsonl"

# One engine: start it on a fresh consumer group reading from the latest offsets, follow its output,
# produce, settle, stop it, report.
measure_engine() { # ENGINE
  local engine=$1 dir="$RUN_DIR/$1" warmup=$WARMUP
  mkdir -p "$dir"
  local results="$dir/results.jsonl" latency_log="" extra=()
  case "$engine" in
    retailflow)
      latency_log="$dir/latency-log.jsonl"
      if "$RETAILFLOW" stream --help | grep -q -- '--latency-log'; then
        extra+=(--latency-log "$latency_log")
      else
        log "this build has no --latency-log: measuring from outside only (see bench/stream/latency.py)"
      fi
      log "retailflow stream: window $LATENCY_WINDOW, lateness $LATENESS, trigger $LATENCY_TRIGGER, topic $TOPIC"
      "$RETAILFLOW" stream --brokers "127.0.0.1:$PORT" --topic "$TOPIC" --group "bench-latency-$(date +%s%N)" \
        --from latest --format receipts --output "jsonl:$results" --dlq "file:$dir/dlq.jsonl" \
        --window "$LATENCY_WINDOW" --slide "$LATENCY_WINDOW" --allowed-lateness "$LATENESS" --big-receipt 500 \
        --trigger "$LATENCY_TRIGGER" "${extra[@]}" 2>"$dir/stream.log" &
      ;;
    flink)
      [ -s "$FLINK_WORK/target/retailflow-bench-flink-1.jar" ] \
        || die "the Flink peer is not built: run \`bench/stream.sh kafka\` (ENGINES=flink) once first"
      log "flink (bench/peers/flink --follow): window $LATENCY_WINDOW, lateness $LATENESS, topic $TOPIC; warming up ${FLINK_WARMUP}s"
      java -Xmx1g "-Dlog4j2.configurationFile=$ROOT/bench/peers/flink/src/main/resources/log4j2.properties" \
        -cp "$FLINK_WORK/target/*:$FLINK_WORK/lib/*" dev.retailflow.bench.FlinkJob "127.0.0.1:$PORT" "$TOPIC" \
        "$dir/out" --window "$LATENCY_WINDOW" --allowed-lateness "$LATENESS" --big-receipt 500 \
        --parallelism "$(nproc)" --follow "$results" 2>"$dir/stream.log" &
      warmup=$FLINK_WARMUP
      ;;
    pyspark)
      [ -x "$KAFKA_VENV/bin/python" ] \
        || die "PySpark is not installed: run \`bench/stream.sh kafka\` (ENGINES=pyspark) once first"
      log "pyspark (bench/stream/pyspark_kafka_job.py --follow): window $LATENCY_WINDOW, lateness $LATENESS, topic $TOPIC; warming up ${PYSPARK_WARMUP}s"
      SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$KAFKA_VENV/bin/python" SPARK_DRIVER_MEMORY=1g \
        "$KAFKA_VENV/bin/python" "$HERE/pyspark_kafka_job.py" "127.0.0.1:$PORT" "$TOPIC" "$dir/out" \
        --window "$LATENCY_WINDOW" --allowed-lateness "$LATENESS" --big-receipt 500 --follow "$results" \
        2>"$dir/stream.log" &
      warmup=$PYSPARK_WARMUP
      ;;
    *) die "no latency run for engine $engine (retailflow, flink, pyspark)" ;;
  esac
  stream_pid=$!
  python3 "$HERE/latency.py" watch "$results" "$dir/arrivals.tsv" &
  watch_pid=$!
  sleep "$warmup"
  kill -0 "$stream_pid" 2>/dev/null || { tail -5 "$dir/stream.log" >&2; die "$engine exited early"; }

  log "producing $RATE receipts/s for $DURATION"
  local produce_start produce_end
  produce_start=$(now_ms)
  "$RETAILFLOW" produce --brokers "127.0.0.1:$PORT" --topic "$TOPIC" --mode receipts --rate "$RATE" \
    --duration "$DURATION" 2>"$dir/produce.log" \
    || { tail -5 "$dir/produce.log" >&2; die "retailflow produce failed"; }
  produce_end=$(now_ms)
  sleep "$SETTLE"
  kill -TERM "$stream_pid"
  wait "$stream_pid" || log "$engine exited with $? on SIGTERM (see $dir/stream.log)"
  stream_pid=""
  kill -TERM "$watch_pid"
  wait "$watch_pid" || true
  watch_pid=""

  # The steady part: windows that opened after the producer started and closed before it stopped.
  local from_ms=$((produce_start + 1000 + window_ms + lateness_ms))
  echo
  echo "Stream latency of $engine: $RATE receipts/s for $DURATION through $broker_name (scripts/broker.sh) on 127.0.0.1:$PORT (topic $TOPIC)," \
    "window $LATENCY_WINDOW, allowed lateness $LATENESS$([ "$engine" = retailflow ] && echo ", --trigger $LATENCY_TRIGGER");" \
    "$(grep -c . "$results" 2>/dev/null || echo 0) result lines"
  echo "Producer: $(tail -1 "$dir/produce.log")"
  echo
  python3 "$HERE/latency.py" report "$dir/arrivals.tsv" --lateness "$LATENESS" --window "$LATENCY_WINDOW" \
    --from "$from_ms" --until "$produce_end" ${latency_log:+--latency-log "$latency_log"} --json "$dir/latency.json" \
    || log "$engine: no window closed in the steady part"
  python3 -c 'import json, sys; f = json.load(open(sys.argv[1])); f["engine"] = sys.argv[2]; print(json.dumps(f))' \
    "$dir/latency.json" "$engine" >>"$SUMMARY" 2>/dev/null || true
}

for engine in ${LATENCY_ENGINES:-retailflow}; do
  measure_engine "$engine"
done

echo
"$ROOT/bench/machine.sh"
echo
python3 - "$SUMMARY" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| engine | windows | window close -> results visible p50 ms | p99 ms | receipt -> big receipt visible p50 ms | p99 ms |")
print("|---|---:|---:|---:|---:|---:|")
for r in rows:
    w, b = r["window_close_to_written"], r["receipt_to_big_receipt_written"]
    cell = lambda d, k: d.get(k, "")
    print(f"| {r['engine']} | {w['samples']} | {cell(w, 'p50_ms')} | {cell(w, 'p99_ms')} | {cell(b, 'p50_ms')} | {cell(b, 'p99_ms')} |")
PY
