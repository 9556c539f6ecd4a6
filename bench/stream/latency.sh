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
# Environment: see bench/stream.sh.
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

EXTRA=()
LATENCY_LOG="$RUN_DIR/latency-log.jsonl"
if "$RETAILFLOW" stream --help | grep -q -- '--latency-log'; then
  EXTRA+=(--latency-log "$LATENCY_LOG")
else
  log "this build has no --latency-log: measuring from outside only (see bench/stream/latency.py)"
fi

RESULTS="$RUN_DIR/results.jsonl"
log "retailflow stream: window $LATENCY_WINDOW, lateness $LATENESS, trigger $LATENCY_TRIGGER, topic $TOPIC"
"$RETAILFLOW" stream --brokers "127.0.0.1:$PORT" --topic "$TOPIC" --group "bench-latency-$(date +%s%N)" \
  --from latest --format receipts --output "jsonl:$RESULTS" --dlq "file:$RUN_DIR/dlq.jsonl" \
  --window "$LATENCY_WINDOW" --slide "$LATENCY_WINDOW" --allowed-lateness "$LATENESS" --big-receipt 500 \
  --trigger "$LATENCY_TRIGGER" "${EXTRA[@]}" 2>"$RUN_DIR/stream.log" &
stream_pid=$!
python3 "$HERE/latency.py" watch "$RESULTS" "$RUN_DIR/arrivals.tsv" &
watch_pid=$!
sleep "$WARMUP"
kill -0 "$stream_pid" 2>/dev/null || { tail -5 "$RUN_DIR/stream.log" >&2; die "retailflow stream exited early"; }

log "producing $RATE receipts/s for $DURATION"
produce_start=$(now_ms)
"$RETAILFLOW" produce --brokers "127.0.0.1:$PORT" --topic "$TOPIC" --mode receipts --rate "$RATE" \
  --duration "$DURATION" 2>"$RUN_DIR/produce.log" \
  || { tail -5 "$RUN_DIR/produce.log" >&2; die "retailflow produce failed"; }
produce_end=$(now_ms)
sleep "$SETTLE"
kill -TERM "$stream_pid"
wait "$stream_pid" || log "retailflow stream exited with $? on SIGTERM (see $RUN_DIR/stream.log)"
stream_pid=""
kill -TERM "$watch_pid"
wait "$watch_pid" || true
watch_pid=""

window_ms=$(python3 -c "import sys; sys.path.insert(0, '$HERE'); import common; print(common.parse_duration_ms('$LATENCY_WINDOW'))")
lateness_ms=5000
# The steady part: windows that opened after the producer started and closed before it stopped.
from_ms=$((produce_start + 1000 + window_ms + lateness_ms))
echo
case "${BROKER:-kafka}" in tansu) broker_name="Tansu" ;; *) broker_name="Apache Kafka $(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/scripts/kafka/pom.xml")" ;; esac
echo "Stream latency: $RATE receipts/s for $DURATION through $broker_name (scripts/broker.sh) on 127.0.0.1:$PORT (topic $TOPIC)," \
  "window $LATENCY_WINDOW, allowed lateness $LATENESS, --trigger $LATENCY_TRIGGER;" \
  "$(grep -c . "$RESULTS" 2>/dev/null || echo 0) result lines"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
echo "Machine: $(nproc) cores, ${cpu:-unknown CPU}, $(free -g | awk '/^Mem:/{print $2}') GiB RAM, $(uname -sr); load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"
echo "Producer: $(tail -1 "$RUN_DIR/produce.log")"
echo
python3 "$HERE/latency.py" report "$RUN_DIR/arrivals.tsv" --lateness "$LATENESS" --from "$from_ms" \
  --until "$produce_end" --latency-log "$LATENCY_LOG" --json "$RUN_DIR/latency.json"
