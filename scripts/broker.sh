#!/usr/bin/env bash
# A real Kafka broker without Docker, for local use and CI: Apache Kafka (KRaft, one combined
# broker+controller node) from Maven Central, started with `java -cp`.
#
#   scripts/broker.sh start    fetch the pinned jars if they are not cached, start the broker in the
#                              background on 127.0.0.1, wait until it answers an admin request, create
#                              the project's topics; idempotent (a running broker is left as it is)
#   scripts/broker.sh stop     stop the broker this script started (and nothing else); its data stays
#                              on disk until the next `start`
#   scripts/broker.sh restart  stop it and start the same broker again on the same data: topics,
#                              records, committed offsets and transactions survive (as with
#                              `KEEP_DATA=1 ... start`)
#   scripts/broker.sh status   say which broker runs (exit 0) or that none does (exit 3)
#
# Every plain `start` begins with empty topics: the data of an earlier run is wiped. A test that stops
# the broker and starts it again later, keeping what was written, runs `stop` and then `restart` (or
# `KEEP_DATA=1 scripts/broker.sh start`).
#
# Environment:
#   BROKER                 kafka (default): Apache Kafka; tansu: Tansu, a Kafka-protocol broker in
#                          Rust installed from crates.io, for machines without Java (no transactions)
#   BROKER_PORT            port to listen on (default 9092)
#   RETAILFLOW_STATE_DIR   where the data, the pid file, the port file and the log go
#                          (default .broker/ in the repository)
#   BROKER_START_TIMEOUT   seconds to wait for the broker to answer (default 60)
#   KEEP_DATA              1: `start` keeps the data of the last run instead of wiping it
#   KAFKA_CACHE            where the Kafka jars are kept
#                          (default ${XDG_CACHE_HOME:-~/.cache}/retailflow/kafka-<version>)
#   KAFKA_HEAP_OPTS        the broker's JVM heap (default -Xms256m -Xmx512m)
#   TANSU                  (BROKER=tansu) a tansu binary to use instead of the pinned install
#
# Apache Kafka needs Java 17 or newer, and Maven to fetch the jars the first time: the version and the
# artifacts are pinned in scripts/kafka/pom.xml, copied with `mvn dependency:copy-dependencies` into
# the cache folder once, and reused from there. The controller listens on a second local port, chosen
# at the first start of a data dir and kept by restarts. Files in the state dir: broker.pid,
# broker.port, broker.kind, broker.log, and for Kafka server.properties and kafka-data/.
#
# Tansu keeps its data in a SQLite file in the state dir. Its libsql engine is used rather than its
# in-memory one (memory://), whose ListOffsets answers the offset of the last record batch instead of
# the end of the partition, so clients that read up to the end offsets (high watermarks) stop early.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
KIND="${BROKER:-kafka}"
PORT="${BROKER_PORT:-9092}"
STATE_DIR="${RETAILFLOW_STATE_DIR:-$ROOT/.broker}"
STATE_DIR="$(mkdir -p "$STATE_DIR" && cd "$STATE_DIR" && pwd)"
PID_FILE="$STATE_DIR/broker.pid"
PORT_FILE="$STATE_DIR/broker.port"
KIND_FILE="$STATE_DIR/broker.kind"
LOG_FILE="$STATE_DIR/broker.log"
START_TIMEOUT="${BROKER_START_TIMEOUT:-60}"
KEEP_DATA="${KEEP_DATA:-0}"
# name:partitions
TOPICS=(test-topic:1 receipts:3 receipts-dlq:1 analytics:1)

say() { echo "broker: $*" >&2; }
die() { echo "broker: error: $*" >&2; exit 1; }

case "$KIND" in
  kafka | tansu) ;;
  *) die "BROKER=$KIND is not a broker this script runs (kafka or tansu)" ;;
esac

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The command line of a process, spaces between the arguments; empty when it is gone.
cmdline_of() {
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true
}

# The pid recorded by `start` when that process is still the broker it started; empty otherwise.
# The pid may have been reused by another program since: only our broker's command line counts.
running_pid() {
  [ -f "$PID_FILE" ] || return 0
  local pid kind cmdline
  pid="$(cat "$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  kind="$(cat "$KIND_FILE" 2>/dev/null || echo tansu)"
  cmdline="$(cmdline_of "$pid")"
  case "$kind" in
    kafka) [[ "$cmdline" == *" kafka.Kafka $STATE_DIR/server.properties "* ]] && echo "$pid" ;;
    tansu) grep -q "tansu.* broker " <<<"$cmdline" && echo "$pid" ;;
  esac
  return 0
}

running_kind() { cat "$KIND_FILE" 2>/dev/null || echo tansu; }

# ---------------------------------------------------------------------------------------------------
# Apache Kafka

KAFKA_POM="$ROOT/scripts/kafka/pom.xml"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM")"
[ -n "$KAFKA_VERSION" ] || die "no <kafka.version> in $KAFKA_POM"
KAFKA_CACHE="${KAFKA_CACHE:-${XDG_CACHE_HOME:-${HOME:-$ROOT}/.cache}/retailflow/kafka-$KAFKA_VERSION}"
KAFKA_LIBS="$KAFKA_CACHE/libs"
KAFKA_MARKER="$KAFKA_CACHE/libs.complete"
KAFKA_PROPERTIES="$STATE_DIR/server.properties"
KAFKA_DATA="$STATE_DIR/kafka-data"
# The admin tools are short-lived JVMs: the quick JIT tier and the serial collector start fastest.
TOOL_JAVA_OPTS=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
  "-Dlog4j2.configurationFile=$ROOT/scripts/kafka/log4j2-tools.properties")

require_java() {
  local line major
  command -v java >/dev/null 2>&1 \
    || die "Apache Kafka needs Java 17 or newer: install it (Debian: apt-get install openjdk-17-jre-headless), or use BROKER=tansu"
  line="$(java -version 2>&1 | head -n 1)"
  major="$(sed -n 's/.*version "\([0-9]*\)\.*\([0-9]*\).*/\1 \2/p' <<<"$line")"
  # Java 8 and older call themselves 1.x.
  if [ "${major% *}" = 1 ]; then major="${major#* }"; else major="${major% *}"; fi
  if ! [[ "$major" =~ ^[0-9]+$ ]] || [ "$major" -lt 17 ]; then
    die "Apache Kafka needs Java 17 or newer, found: $line (Debian: apt-get install openjdk-17-jre-headless)"
  fi
}

# The jars of the pinned Kafka, copied from Maven Central into the cache on first use. The marker
# holds the pom's checksum, so a changed pom fetches again.
kafka_libs() {
  local want
  want="$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)"
  if [ -d "$KAFKA_LIBS" ] && [ "$(cat "$KAFKA_MARKER" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 \
    || die "the Apache Kafka jars are not cached yet and Maven is not installed: install it (Debian: apt-get install maven), or use BROKER=tansu"
  say "fetching Apache Kafka $KAFKA_VERSION from Maven Central into $KAFKA_LIBS"
  local started=$SECONDS tmp mvn_log
  mkdir -p "$KAFKA_CACHE"
  tmp="$(mktemp -d "$KAFKA_CACHE/libs.XXXXXX")"
  mvn_log="$KAFKA_CACHE/mvn.log"
  if ! mvn -B -q -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
    rm -rf "$tmp"
    tail -n 20 "$mvn_log" >&2 || true
    die "mvn dependency:copy-dependencies failed for Apache Kafka $KAFKA_VERSION; log: $mvn_log"
  fi
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  echo "$want" >"$KAFKA_MARKER"
  say "fetched $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $((SECONDS - started))s"
}

# One admin tool, e.g. `kafka_tool org.apache.kafka.tools.TopicCommand --list ...`; with
# TOOL_TIMEOUT set, killed after that many seconds.
kafka_tool() {
  local limit=()
  [ -z "${TOOL_TIMEOUT:-}" ] || limit=(timeout "$TOOL_TIMEOUT")
  "${limit[@]}" java "${TOOL_JAVA_OPTS[@]}" -cp "$KAFKA_LIBS/*" "$@"
}

topics_cmd() {
  local port="$1"
  shift
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" "$@"
}

# A local port nothing listens on, other than $PORT, for the controller: one below the range the
# kernel hands out to outgoing connections, where no client takes it before the controller binds it.
free_port() {
  local candidate low
  low="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
  [[ "$low" =~ ^[0-9]+$ ]] && [ "$low" -gt 21000 ] || low=32768
  for candidate in $((PORT + 1)) $((PORT + 2)) $((PORT + 3)) $(shuf -i "20000-$((low - 1))" -n 20); do
    if [ "$candidate" -ne "$PORT" ] && [ "$candidate" -lt "$low" ] && ! port_open "$candidate"; then
      echo "$candidate"
      return
    fi
  done
  die "found no free local port for the Kafka controller"
}

# The controller port in the current server.properties; empty when there is none.
kafka_controller_port() {
  sed -n 's/^controller.quorum.bootstrap.servers=127.0.0.1:\([0-9]*\)$/\1/p' "$KAFKA_PROPERTIES" 2>/dev/null || true
}

write_server_properties() {
  local controller_port="$1"
  cat >"$KAFKA_PROPERTIES" <<EOF
# Written by scripts/broker.sh: one Apache Kafka $KAFKA_VERSION node, broker and KRaft controller.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DATA
# One node: every internal topic (consumer offsets, transaction state) has one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
num.partitions=1
# Topics are created explicitly (by this script and by the tests), as on the docker compose broker.
auto.create.topics.enable=false
# A new consumer group starts at once instead of waiting for more members.
group.initial.rebalance.delay.ms=0
log.retention.hours=168
EOF
}

# Formats a new, empty data dir for a standalone KRaft controller with a random cluster id.
format_kafka_storage() {
  local cluster_id
  rm -rf "$KAFKA_DATA"
  # A cluster id is 16 random bytes in URL-safe base64 without padding, as `random-uuid` prints;
  # like it, draw again when the id starts with '-', which the tool would read as an option.
  cluster_id=-
  while [[ "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  done
  kafka_tool kafka.tools.StorageTool format --standalone --cluster-id "$cluster_id" \
    --config "$KAFKA_PROPERTIES" >>"$LOG_FILE" 2>&1 \
    || { tail -n 20 "$LOG_FILE" >&2; die "formatting the Kafka storage in $KAFKA_DATA failed; log: $LOG_FILE"; }
}

# Creates every project topic that does not exist yet, given the output of `--list`.
kafka_create_topics() {
  local port="$1" existing="$2" spec name partitions pids=() names=()
  for spec in "${TOPICS[@]}"; do
    name="${spec%%:*}"
    partitions="${spec##*:}"
    grep -qxF "$name" <<<"$existing" && continue
    # In parallel: each is a JVM start of about a second.
    topics_cmd "$port" --create --if-not-exists --topic "$name" --partitions "$partitions" \
      --replication-factor 1 >/dev/null &
    pids+=($!)
    names+=("$name:$partitions")
  done
  local i failed=()
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]%%:*}")
  done
  [ ${#failed[@]} -eq 0 ] || die "creating topic(s) ${failed[*]} on 127.0.0.1:$port failed"
  for i in "${!names[@]}"; do
    say "created topic ${names[$i]%%:*} (${names[$i]##*:} partitions)"
  done
}

kafka_start() {
  require_java
  kafka_libs
  local keep="$1" controller_port
  controller_port="$(kafka_controller_port)"
  if [ "$keep" = 1 ] && [ -f "$KAFKA_DATA/meta.properties" ] && [ -n "$controller_port" ] \
    && grep -qxF "advertised.listeners=PLAINTEXT://127.0.0.1:$PORT" "$KAFKA_PROPERTIES"; then
    # The same data dir and the same controller port: the formatted voter set names it.
    port_open "$controller_port" \
      && die "the Kafka controller port 127.0.0.1:$controller_port of the kept data is in use by another program"
    : >"$LOG_FILE"
    say "starting on the data of the last run ($KAFKA_DATA)"
  else
    [ "$keep" = 1 ] && say "no data of an earlier run on 127.0.0.1:$PORT to keep: starting empty"
    : >"$LOG_FILE"
    controller_port="$(free_port)"
    write_server_properties "$controller_port"
    format_kafka_storage
  fi

  local started=$SECONDS pid
  # Started from the state dir, so nothing it might write lands in the caller's directory.
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM options.
  (
    cd "$STATE_DIR"
    exec nohup java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true \
      "-Dlog4j2.configurationFile=$ROOT/scripts/kafka/log4j2-broker.properties" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPERTIES" \
      </dev/null >>"$LOG_FILE" 2>&1
  ) &
  pid=$!
  echo kafka >"$KIND_FILE"
  echo "$pid" >"$PID_FILE"
  echo "$PORT" >"$PORT_FILE"

  # Wait until it listens and answers an admin request (listing the topics).
  local deadline=$((SECONDS + START_TIMEOUT)) existing
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE" "$PORT_FILE"
      tail -n 20 "$LOG_FILE" >&2 || true
      grep -q "Address already in use" "$LOG_FILE" \
        && die "Apache Kafka could not listen on 127.0.0.1:$PORT or its controller port 127.0.0.1:$controller_port: another program took it; log: $LOG_FILE"
      die "Apache Kafka exited during start-up; log: $LOG_FILE"
    fi
    if port_open "$PORT" \
      && existing="$(TOOL_TIMEOUT=30 topics_cmd "$PORT" --list 2>>"$LOG_FILE")"; then
      break
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      kill_pid "$pid"
      rm -f "$PID_FILE" "$PORT_FILE"
      tail -n 20 "$LOG_FILE" >&2 || true
      die "Apache Kafka did not answer on 127.0.0.1:$PORT within ${START_TIMEOUT}s; log: $LOG_FILE"
    fi
    sleep 0.2
  done
  kafka_create_topics "$PORT" "$existing"
  say "running (pid $pid, 127.0.0.1:$PORT, Apache Kafka $KAFKA_VERSION, ready in $((SECONDS - started))s, log $LOG_FILE)"
}

kafka_ensure_topics() {
  local port="$1" existing
  require_java
  kafka_libs
  existing="$(topics_cmd "$port" --list)" || die "listing topics on 127.0.0.1:$port failed"
  kafka_create_topics "$port" "$existing"
}

# ---------------------------------------------------------------------------------------------------
# Tansu (BROKER=tansu)

TANSU_VERSION=0.6.0
TANSU_FEATURES=dynostore,libsql
TANSU_DB=tansu.db

# The tansu binary of the pinned version, installing it when missing.
tansu_bin() {
  if [ -n "${TANSU:-}" ]; then
    [ -x "$TANSU" ] || die "TANSU=$TANSU is not an executable"
    echo "$TANSU"
    return
  fi
  local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin/tansu"
  local candidate
  for candidate in "$cargo_bin" "$(command -v tansu 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] \
      && "$candidate" --version 2>/dev/null | grep -qw "$TANSU_VERSION" \
      && "$candidate" --help 2>/dev/null | grep -q "^Storage engines:.*libsql"; then
      echo "$candidate"
      return
    fi
  done
  command -v cargo >/dev/null 2>&1 || die "tansu $TANSU_VERSION is not installed and cargo is not on PATH"
  say "installing tansu $TANSU_VERSION ($TANSU_FEATURES) from crates.io (a one-time build of several minutes)"
  local started=$SECONDS
  cargo install tansu --version "$TANSU_VERSION" --locked --features "$TANSU_FEATURES" >&2 \
    || die "cargo install tansu --version $TANSU_VERSION failed"
  say "tansu installed in $((SECONDS - started))s"
  echo "$cargo_bin"
}

tansu_url() { echo "tcp://127.0.0.1:$1"; }

# Creates every project topic that does not exist yet.
tansu_create_topics() {
  local tansu="$1" port="$2" existing spec name partitions
  existing="$("$tansu" topic list --broker "$(tansu_url "$port")")" \
    || die "listing topics on 127.0.0.1:$port failed"
  for spec in "${TOPICS[@]}"; do
    name="${spec%%:*}"
    partitions="${spec##*:}"
    if grep -q "\"name\":\"$name\"" <<<"$existing"; then
      continue
    fi
    "$tansu" topic create --broker "$(tansu_url "$port")" --partitions "$partitions" "$name" >/dev/null \
      || die "creating topic $name on 127.0.0.1:$port failed"
    say "created topic $name ($partitions partitions)"
  done
}

tansu_start() {
  local keep="$1" tansu pid url
  tansu="$(tansu_bin)"
  url="$(tansu_url "$PORT")"
  : >"$LOG_FILE"
  if [ "$keep" != 1 ]; then
    rm -f "$STATE_DIR/$TANSU_DB" "$STATE_DIR/$TANSU_DB"-*
  fi
  # Started from the state dir: the database lives there (and tansu reads a .env from its cwd).
  (
    cd "$STATE_DIR"
    exec nohup "$tansu" broker \
      --listener-url "$url" \
      --advertised-listener-url "$url" \
      --storage-engine "sqlite://$TANSU_DB" \
      </dev/null >>"$LOG_FILE" 2>&1
  ) &
  pid=$!
  echo tansu >"$KIND_FILE"
  echo "$pid" >"$PID_FILE"
  echo "$PORT" >"$PORT_FILE"

  # Wait until it accepts connections and answers a metadata request.
  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$PORT" && "$tansu" topic list --broker "$url" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE" "$PORT_FILE"
      tail -n 20 "$LOG_FILE" >&2 || true
      die "tansu exited during start-up; log: $LOG_FILE"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      kill_pid "$pid"
      rm -f "$PID_FILE" "$PORT_FILE"
      tail -n 20 "$LOG_FILE" >&2 || true
      die "tansu did not answer on 127.0.0.1:$PORT within ${START_TIMEOUT}s; log: $LOG_FILE"
    fi
    sleep 0.2
  done
  tansu_create_topics "$tansu" "$PORT"
  say "running (pid $pid, 127.0.0.1:$PORT, tansu $TANSU_VERSION, log $LOG_FILE)"
}

# ---------------------------------------------------------------------------------------------------

# Ends one process: SIGTERM (Kafka shuts down cleanly in a few seconds), SIGKILL after 30 s.
kill_pid() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  say "pid $pid did not stop on SIGTERM within 30s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

cmd_start() {
  local keep="$1" pid
  pid="$(running_pid)"
  if [ -n "$pid" ]; then
    local running_port kind
    running_port="$(cat "$PORT_FILE" 2>/dev/null || echo "$PORT")"
    kind="$(running_kind)"
    [ "$kind" = "$KIND" ] \
      || die "a $kind broker is already running (pid $pid, 127.0.0.1:$running_port): stop it first"
    say "already running (pid $pid, 127.0.0.1:$running_port)"
    case "$kind" in
      kafka) kafka_ensure_topics "$running_port" ;;
      tansu) tansu_create_topics "$(tansu_bin)" "$running_port" ;;
    esac
    return 0
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
  if port_open "$PORT"; then
    die "127.0.0.1:$PORT is already in use by another program; set BROKER_PORT to a free port"
  fi
  case "$KIND" in
    kafka) kafka_start "$keep" ;;
    tansu) tansu_start "$keep" ;;
  esac
}

cmd_stop() {
  local pid
  pid="$(running_pid)"
  if [ -z "$pid" ]; then
    rm -f "$PID_FILE" "$PORT_FILE"
    say "stopped (was not running)"
    return 0
  fi
  kill_pid "$pid"
  rm -f "$PID_FILE" "$PORT_FILE"
  say "stopped (pid $pid)"
}

cmd_status() {
  local pid
  pid="$(running_pid)"
  if [ -n "$pid" ]; then
    local kind
    kind="$(running_kind)"
    case "$kind" in
      kafka) kind="Apache Kafka $KAFKA_VERSION" ;;
      tansu) kind="tansu $TANSU_VERSION" ;;
    esac
    echo "running: $kind (pid $pid, 127.0.0.1:$(cat "$PORT_FILE" 2>/dev/null || echo "$PORT"))"
    return 0
  fi
  echo "stopped"
  return 3
}

case "${1:-}" in
  start) cmd_start "$KEEP_DATA" ;;
  stop) cmd_stop ;;
  restart)
    # The broker that runs (or ran last) comes back, whatever BROKER says.
    if [ -f "$KIND_FILE" ]; then KIND="$(running_kind)"; fi
    cmd_stop
    cmd_start 1
    ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|restart|status" >&2
    exit 2
    ;;
esac
