#!/usr/bin/env bash
# `bench/stream.sh kafka`: retailflow, PySpark Structured Streaming and Apache Flink SQL reading the
# same receipts from the same Apache Kafka topic, side by side.
#
#   bench/stream/kafka.sh RETAILFLOW_BINARY WINDOWED(0|1)     (run it through bench/stream.sh)
#
# Starts a broker of the benchmark's own with scripts/broker.sh (Apache Kafka, its own port and
# state dir), pre-fills its `receipts` topic (3 partitions, keyed by store) with RECEIPTS deterministic
# receipts (`retailflow produce --seed`, event clock EVENTS_PER_SECOND receipts/s from START_TIME),
# then has each engine read the topic from the earliest offsets to the end and compute the same
# tumbling 10 s windows (top-5 stores, big receipts, popular items, window summary):
#
#   retailflow   `retailflow stream --source kafka --from earliest --until-end --analytics`, JSONL out
#   pyspark      bench/stream/pyspark_kafka_job.py: the Kafka source (spark-sql-kafka-0-10 from Maven
#                Central), from_json with a StructType, withWatermark + window(), Trigger.AvailableNow
#   flink        bench/peers/flink: Flink SQL, Kafka connector, TUMBLE with a watermark on ts, local
#                execution; built with Maven into bench/.work/flink
#   reference    bench/stream/reference.py on the same receipts written to a file (on by default when
#                RECEIPTS <= 1,000,000): the plain-Python model the file benchmark checks with
#
# checks every engine's results against retailflow's (bench/stream/compare.py), and prints receipts/s,
# wall and CPU seconds (user + system of the whole process tree) and peak RSS per engine, with the
# ratios to retailflow. RESUME=1 keeps the other engines' runs of the last run on the same receipts
# (run some engines now, others later; the check and the table cover them all). A broker the benchmark started is stopped at the end (KEEP_BROKER=1 keeps it,
# with its filled topic, for the next run with the same receipts).
#
# Environment: RECEIPTS (5,000,000), SEED (42), START_TIME (2025-01-01T00:00:00Z), EVENTS_PER_SECOND
# (2000), RUNS (1; the table shows the median), ENGINES ("retailflow pyspark flink", plus reference as
# said), PEER_RECEIPTS (default RECEIPTS: with fewer, the engines named in SHORT_PEERS, default
# "pyspark flink reference", read a second topic, receipts-peers, holding the first PEER_RECEIPTS of
# the same receipts, and retailflow reads it too for their check),
# BROKER_PORT (19092) and RETAILFLOW_STATE_DIR (bench/out/.broker) for the broker, KAFKA_VENV
# (bench/out/.venv-stream-kafka, from bench/stream-kafka-requirements.txt), FLINK_WORK
# (bench/.work/flink), FLINK_PARALLELISM (nproc), JAVA_HEAP (2g, Flink's JVM and Spark's driver).
set -euo pipefail

RETAILFLOW=$1
WINDOWED=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/bench/stream"
OUT="$ROOT/bench/out"
RECEIPTS=${RECEIPTS:-5000000}
PEER_RECEIPTS=${PEER_RECEIPTS:-$RECEIPTS}
SHORT_PEERS=${SHORT_PEERS:-pyspark flink reference}
SEED=${SEED:-42}
START_TIME=${START_TIME:-2025-01-01T00:00:00Z}
EVENTS_PER_SECOND=${EVENTS_PER_SECOND:-2000}
RUNS=${RUNS:-1}
PORT=${BROKER_PORT:-19092}
export RETAILFLOW_STATE_DIR=${RETAILFLOW_STATE_DIR:-$OUT/.broker}
KAFKA_VENV=${KAFKA_VENV:-$OUT/.venv-stream-kafka}
FLINK_WORK=${FLINK_WORK:-$ROOT/bench/.work/flink}
FLINK_PARALLELISM=${FLINK_PARALLELISM:-$(nproc)}
JAVA_HEAP=${JAVA_HEAP:-2g}
BROKERS="127.0.0.1:$PORT"
TOPIC=receipts
PEER_TOPIC=receipts-peers
WINDOW=10s
LATENESS=5s
BIG=500
ANALYSES=(--window "$WINDOW" --allowed-lateness "$LATENESS" --big-receipt "$BIG")

log() { printf '== %s\n' "$*" >&2; }
die() { echo "bench/stream.sh kafka: $*" >&2; exit 1; }
# shellcheck source=bench/stream/topics.sh
. "$HERE/topics.sh"

[ "$WINDOWED" = 1 ] || die "this retailflow build has no windowed analytics (\`retailflow stream --help\` lists no --window)"
[ "$PEER_RECEIPTS" -le "$RECEIPTS" ] || die "PEER_RECEIPTS ($PEER_RECEIPTS) is above RECEIPTS ($RECEIPTS)"
ENGINES=${ENGINES:-retailflow pyspark flink}
if [ "$PEER_RECEIPTS" -le 1000000 ] && [ -z "${NO_REFERENCE:-}" ] && [[ " $ENGINES " != *" reference "* ]]; then
  ENGINES="$ENGINES reference"
fi
has() { [[ " $ENGINES " == *" $1 "* ]]; }
if has pyspark || has flink; then
  java -version >/dev/null 2>&1 || die "PySpark and Flink need Java 17 or later on PATH"
fi
has flink && { command -v mvn >/dev/null 2>&1 || die "the Flink peer is built with Maven: install it (Debian: apt-get install maven)"; }

RUN_DIR="$OUT/stream_kafka_$RECEIPTS"
RESULTS="$RUN_DIR/results.jsonl"
COUNTS="$RUN_DIR/receipts.jsonl"
CHECKS="$RUN_DIR/checks.jsonl"
CPU="$RUN_DIR/cpu.jsonl"
if [ -n "${RESUME:-}" ] && [ -d "$RUN_DIR" ]; then
  # Keep the other engines' runs of the last run (same receipts): drop those of the engines run now.
  for file in "$RESULTS" "$COUNTS" "$CPU"; do
    [ -f "$file" ] || continue
    python3 - "$file" $ENGINES <<'PY'
import json, sys
path, engines = sys.argv[1], set(sys.argv[2:])
rows = [line for line in open(path) if line.strip() and json.loads(line)["engine"] not in engines]
open(path, "w").writelines(rows)
PY
  done
  rm -f "$CHECKS"
else
  rm -rf "$RUN_DIR"
fi
mkdir -p "$RUN_DIR"

# 1. The peers: PySpark in a throw-away venv (reinstalled when its requirements change), Flink built
# from its pinned pom (rebuilt when the pom or the job changes).
export SPARK_LOCAL_IP=127.0.0.1 PYTHONDONTWRITEBYTECODE=1 SPARK_DRIVER_MEMORY=$JAVA_HEAP
if has pyspark; then
  if ! cmp -s "$ROOT/bench/stream-kafka-requirements.txt" "$KAFKA_VENV/requirements.txt" 2>/dev/null; then
    log "installing PySpark into $KAFKA_VENV"
    rm -rf "$KAFKA_VENV"
    python3 -m venv "$KAFKA_VENV"
    "$KAFKA_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/bench/stream-kafka-requirements.txt"
    cp "$ROOT/bench/stream-kafka-requirements.txt" "$KAFKA_VENV/requirements.txt"
  fi
  export PYSPARK_PYTHON="$KAFKA_VENV/bin/python"
fi
FLINK_POM="$ROOT/bench/peers/flink/pom.xml"
if has flink; then
  stamp=$(cat "$FLINK_POM" $(find "$ROOT/bench/peers/flink/src" -type f | sort) | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$FLINK_WORK/built" 2>/dev/null)" != "$stamp" ]; then
    log "building the Flink peer with Maven into $FLINK_WORK"
    rm -rf "$FLINK_WORK"
    mvn -B -q -f "$FLINK_POM" -Dwork.dir="$FLINK_WORK" package dependency:copy-dependencies \
      >"$RUN_DIR/flink-build.log" 2>&1 || { tail -20 "$RUN_DIR/flink-build.log" >&2; die "building the Flink peer failed"; }
    echo "$stamp" >"$FLINK_WORK/built"
  fi
fi

# 2. The broker and its topic, filled once per (count, seed, clock).
started_broker=0
cleanup() {
  if [ "$started_broker" = 1 ] && [ -z "${KEEP_BROKER:-}" ]; then
    BROKER_PORT=$PORT "$ROOT/scripts/broker.sh" stop || true
  fi
}
trap cleanup EXIT
PARAMS="receipts=$RECEIPTS peer_receipts=$PEER_RECEIPTS seed=$SEED start=$START_TIME events_per_second=$EVENTS_PER_SECOND port=$PORT"
FILLED="$RETAILFLOW_STATE_DIR/bench-kafka.params"
if BROKER_PORT=$PORT "$ROOT/scripts/broker.sh" status >/dev/null 2>&1 && [ "$(cat "$FILLED" 2>/dev/null)" = "$PARAMS" ]; then
  log "broker on $BROKERS already holds the receipts ($PARAMS)"
  [ -n "${KEEP_BROKER:-}" ] || started_broker=1
else
  # A fresh start wipes the data and creates the topics (receipts: 3 partitions).
  BROKER_PORT=$PORT "$ROOT/scripts/broker.sh" stop >/dev/null 2>&1 || true
  rm -f "$FILLED"
  log "starting the broker on $BROKERS (state $RETAILFLOW_STATE_DIR)"
  BROKER_PORT=$PORT "$ROOT/scripts/broker.sh" start
  started_broker=1
  fill() { # TOPIC COUNT
    log "pre-filling topic $1 with $2 receipts"
    local start
    start=$(date +%s%N)
    "$RETAILFLOW" produce --brokers "$BROKERS" --topic "$1" --mode receipts --seed "$SEED" \
      --start-time "$START_TIME" --events-per-second "$EVENTS_PER_SECOND" --count "$2" \
      2>"$RUN_DIR/produce-$1.log" || { tail -5 "$RUN_DIR/produce-$1.log" >&2; die "filling $1 failed"; }
    grep -q " $(python3 -c "print(f'{$2:,}')") delivered, 0 delivery errors" "$RUN_DIR/produce-$1.log" \
      || { tail -2 "$RUN_DIR/produce-$1.log" >&2; die "not every receipt reached $1"; }
    log "filled $1 in $(( ($(date +%s%N) - start) / 1000000 )) ms: $(tail -1 "$RUN_DIR/produce-$1.log")"
  }
  fill "$TOPIC" "$RECEIPTS"
  if [ "$PEER_RECEIPTS" -ne "$RECEIPTS" ]; then
    create_topic "$BROKERS" "$PEER_TOPIC" 3
    fill "$PEER_TOPIC" "$PEER_RECEIPTS"
  fi
  echo "$PARAMS" >"$FILLED"
fi
# Whether an engine reads the peers' shorter topic; sets ITS_TOPIC and ITS_COUNT.
short() { [ "$PEER_RECEIPTS" -ne "$RECEIPTS" ] && [[ " $SHORT_PEERS " == *" $1 "* ]]; }
input_of() {
  if short "$1"; then ITS_TOPIC=$PEER_TOPIC; ITS_COUNT=$PEER_RECEIPTS; else ITS_TOPIC=$TOPIC; ITS_COUNT=$RECEIPTS; fi
}

# The same receipts as a file, for the reference.
if has reference; then
  input_of reference
  "$RETAILFLOW" produce --mode receipts --seed "$SEED" --start-time "$START_TIME" \
    --events-per-second "$EVENTS_PER_SECOND" --count "$ITS_COUNT" --out "$RUN_DIR/receipts-file.jsonl" \
    2>"$RUN_DIR/produce-file.log" || die "writing the reference's file failed"
fi

retailflow_command() { # TOPIC OUTPUT
  COMMAND=("$RETAILFLOW" stream --brokers "$BROKERS" --topic "$1" --group "bench-kafka-$(date +%s%N)"
    --from earliest --source kafka --until-end --format receipts --analytics "${ANALYSES[@]}"
    --output "jsonl:$2" --dlq "file:$2.dlq.jsonl")
}

# Sets COMMAND, INPUT_COUNT, OUTPUT, NOTE for one engine.
command_for() {
  local engine=$1
  input_of "$engine"
  case "$engine" in
    retailflow) OUTPUT="$RUN_DIR/retailflow.jsonl"; INPUT_COUNT=$RECEIPTS
      retailflow_command "$TOPIC" "$OUTPUT"
      NOTE="tumbling $WINDOW, --until-end, 1 consumer of 3 partitions" ;;
    pyspark) OUTPUT="$RUN_DIR/pyspark"; INPUT_COUNT=$ITS_COUNT
      COMMAND=("$KAFKA_VENV/bin/python" "$HERE/pyspark_kafka_job.py" "$BROKERS" "$ITS_TOPIC" "$OUTPUT"
        "${ANALYSES[@]}")
      NOTE="PySpark $(cut -d= -f3 <<<"$(grep -m1 '^pyspark==' "$ROOT/bench/stream-kafka-requirements.txt")" | tr -d ' '), local[*], 4 queries (4 consumers), AvailableNow" ;;
    flink) OUTPUT="$RUN_DIR/flink"; INPUT_COUNT=$ITS_COUNT
      COMMAND=(java "-Xmx$JAVA_HEAP" "-Dlog4j2.configurationFile=$ROOT/bench/peers/flink/src/main/resources/log4j2.properties"
        -cp "$FLINK_WORK/target/*:$FLINK_WORK/lib/*" dev.retailflow.bench.FlinkJob "$BROKERS" "$ITS_TOPIC" "$OUTPUT"
        "${ANALYSES[@]}" --parallelism "$FLINK_PARALLELISM")
      NOTE="Flink $(sed -n 's:.*<flink.version>\(.*\)</flink.version>.*:\1:p' "$FLINK_POM") SQL, local, parallelism $FLINK_PARALLELISM, 4 queries in 1 job" ;;
    reference) OUTPUT="$RUN_DIR/reference.jsonl"; INPUT_COUNT=$ITS_COUNT
      COMMAND=(python3 "$HERE/reference.py" "$RUN_DIR/receipts-file.jsonl" "$OUTPUT" "${ANALYSES[@]}")
      NOTE="plain Python from a file of the same receipts, the check's model" ;;
    *) die "unknown engine $engine" ;;
  esac
  if [ "$INPUT_COUNT" != "$RECEIPTS" ]; then
    NOTE="$NOTE; first $INPUT_COUNT receipts"
  fi
}

# 3. Each engine, measured by bench/measure.py (wall time, peak RSS and CPU time of the process tree).
for engine in $ENGINES; do
  for run in $(seq 1 "$RUNS"); do
    command_for "$engine"
    rm -rf "$OUTPUT" "$OUTPUT.dlq.jsonl"
    log "$engine run $run/$RUNS ($INPUT_COUNT receipts)"
    if ! python3 "$ROOT/bench/measure.py" "$engine" "$RESULTS" -- "${COMMAND[@]}" >"$RUN_DIR/$engine.log" 2>&1; then
      echo "$engine failed; see $RUN_DIR/$engine.log:" >&2
      grep -v '^\s*at ' "$RUN_DIR/$engine.log" | tail -8 >&2
      exit 1
    fi
    tail -1 "$RESULTS" | python3 -c 'import json, sys; r = json.load(sys.stdin); print(json.dumps({"engine": r["engine"], "user_s": r["cpu_s"], "system_s": 0}))' >>"$CPU"
  done
  printf '{"engine": "%s", "receipts": %s, "note": "%s"}\n' "$engine" "$INPUT_COUNT" "$NOTE" >>"$COUNTS"
done

# 4. The check: every engine against retailflow on the same receipts (retailflow once more on the
# peers' topic when that is shorter).
status=0
full=()
shorter=()
# Every engine of this run (with RESUME, of the last ones too).
ENGINES=$(python3 -c 'import json, sys; print(" ".join(dict.fromkeys(json.loads(l)["engine"] for l in open(sys.argv[1]) if l.strip())))' "$COUNTS")
for engine in $ENGINES; do
  [ "$engine" = retailflow ] && continue
  command_for "$engine"
  if short "$engine"; then shorter+=("$engine=$OUTPUT"); else full+=("$engine=$OUTPUT"); fi
done
if has retailflow && [ ${#full[@]} -gt 0 ]; then
  echo
  python3 "$HERE/compare.py" --summary "$CHECKS" "retailflow=$RUN_DIR/retailflow.jsonl" "${full[@]}" || status=1
fi
if has retailflow && [ ${#shorter[@]} -gt 0 ]; then
  log "retailflow on the peers' $PEER_RECEIPTS receipts, for the check"
  retailflow_command "$PEER_TOPIC" "$RUN_DIR/retailflow-peers.jsonl"
  "${COMMAND[@]}" 2>"$RUN_DIR/retailflow-peers.log" || die "retailflow on the peers' topic failed"
  echo
  python3 "$HERE/compare.py" --summary "$CHECKS" "retailflow=$RUN_DIR/retailflow-peers.jsonl" "${shorter[@]}" || status=1
fi

# 5. The table.
echo
echo "Stream benchmark on Apache Kafka: $RECEIPTS receipts pre-filled in topic $TOPIC (3 partitions) of" \
  "scripts/broker.sh's Apache Kafka on $BROKERS (seed $SEED, $EVENTS_PER_SECOND receipts per second of" \
  "event time from $START_TIME), read from the earliest offsets to the end; window $WINDOW, allowed" \
  "lateness $LATENESS, big receipt > $BIG"
"$ROOT/bench/machine.sh"
echo
# retailflow first (the ratios' base), then the peers, then the reference.
python3 - "$RESULTS" <<'PY'
import json, sys
order = {"retailflow": 0, "flink": 1, "pyspark": 2, "reference": 3}
rows = [line for line in open(sys.argv[1]) if line.strip()]
rows.sort(key=lambda line: order.get(json.loads(line)["engine"], 9))
open(sys.argv[1], "w").writelines(rows)
PY
python3 "$HERE/table.py" "$RESULTS" "$COUNTS" "$CHECKS" "$CPU"
if [ "$status" != 0 ]; then
  echo
  echo "The engines' results DISAGREE (see above)." >&2
fi
exit "$status"
