#!/usr/bin/env bash
# A real Kafka-protocol broker without Docker, for local use and CI: Tansu, pinned, from crates.io.
#
#   scripts/broker.sh start    install Tansu if missing, start it in the background on 127.0.0.1,
#                              wait until it answers, create the project's topics; idempotent
#   scripts/broker.sh stop     stop the broker this script started (and nothing else)
#   scripts/broker.sh status   say whether it is running (exit 0) or stopped (exit 3)
#
# Environment:
#   BROKER_PORT            port to listen on (default 9092)
#   RETAILFLOW_STATE_DIR   where the pid file and the log go (default .broker/ in the repository)
#   BROKER_START_TIMEOUT   seconds to wait for the broker to answer (default 60)
#   TANSU                  a tansu binary to use instead of the pinned install
#
# Storage: a SQLite file in the state dir, emptied at each start (a restart starts from empty topics).
# Tansu's libsql engine is used rather than its in-memory one (memory://), whose ListOffsets answers
# the offset of the last record batch instead of the end of the partition, so clients that read up to
# the end offsets (high watermarks) stop early there.
set -euo pipefail

TANSU_VERSION=0.6.0
TANSU_FEATURES=dynostore,libsql
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${BROKER_PORT:-9092}"
STATE_DIR="${RETAILFLOW_STATE_DIR:-$ROOT/.broker}"
STATE_DIR="$(mkdir -p "$STATE_DIR" && cd "$STATE_DIR" && pwd)"
PID_FILE="$STATE_DIR/broker.pid"
PORT_FILE="$STATE_DIR/broker.port"
LOG_FILE="$STATE_DIR/broker.log"
DB_NAME=tansu.db
START_TIMEOUT="${BROKER_START_TIMEOUT:-60}"
# name:partitions
TOPICS=(test-topic:1 receipts:3 receipts-dlq:1 analytics:1)

say() { echo "broker: $*" >&2; }
die() { echo "broker: error: $*" >&2; exit 1; }

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

# The pid recorded by `start` when that process is still a tansu broker; empty otherwise.
running_pid() {
  [ -f "$PID_FILE" ] || return 0
  local pid
  pid="$(cat "$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [ -r "/proc/$pid/cmdline" ] || return 0
  # The pid may have been reused by another program since: only a tansu broker counts.
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "tansu.* broker "; then
    echo "$pid"
  fi
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

broker_url() { echo "tcp://127.0.0.1:$1"; }

# Creates every project topic that does not exist yet.
create_topics() {
  local tansu="$1" port="$2" existing spec name partitions
  existing="$("$tansu" topic list --broker "$(broker_url "$port")")" \
    || die "listing topics on 127.0.0.1:$port failed"
  for spec in "${TOPICS[@]}"; do
    name="${spec%%:*}"
    partitions="${spec##*:}"
    if grep -q "\"name\":\"$name\"" <<<"$existing"; then
      continue
    fi
    "$tansu" topic create --broker "$(broker_url "$port")" --partitions "$partitions" "$name" >/dev/null \
      || die "creating topic $name on 127.0.0.1:$port failed"
    say "created topic $name ($partitions partitions)"
  done
}

cmd_start() {
  mkdir -p "$STATE_DIR"
  local tansu pid
  tansu="$(tansu_bin)"
  pid="$(running_pid)"
  if [ -n "$pid" ]; then
    local running_port
    running_port="$(cat "$PORT_FILE" 2>/dev/null || echo "$PORT")"
    say "already running (pid $pid, 127.0.0.1:$running_port)"
    create_topics "$tansu" "$running_port"
    return 0
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
  if port_open "$PORT"; then
    die "127.0.0.1:$PORT is already in use by another program; set BROKER_PORT to a free port"
  fi

  local url
  url="$(broker_url "$PORT")"
  : >"$LOG_FILE"
  rm -f "$STATE_DIR/$DB_NAME" "$STATE_DIR/$DB_NAME"-*
  # Started from the state dir: the database lives there (and tansu reads a .env from its cwd).
  (
    cd "$STATE_DIR"
    exec nohup "$tansu" broker \
      --listener-url "$url" \
      --advertised-listener-url "$url" \
      --storage-engine "sqlite://$DB_NAME" \
      </dev/null >>"$LOG_FILE" 2>&1
  ) &
  pid=$!
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
      kill "$pid" 2>/dev/null || true
      rm -f "$PID_FILE" "$PORT_FILE"
      tail -n 20 "$LOG_FILE" >&2 || true
      die "tansu did not answer on 127.0.0.1:$PORT within ${START_TIMEOUT}s; log: $LOG_FILE"
    fi
    sleep 0.2
  done
  create_topics "$tansu" "$PORT"
  say "running (pid $pid, 127.0.0.1:$PORT, tansu $TANSU_VERSION, log $LOG_FILE)"
}

cmd_stop() {
  local pid
  pid="$(running_pid)"
  if [ -z "$pid" ]; then
    rm -f "$PID_FILE" "$PORT_FILE"
    say "stopped (was not running)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid did not stop on SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
  say "stopped (pid $pid)"
}

cmd_status() {
  local pid
  pid="$(running_pid)"
  if [ -n "$pid" ]; then
    echo "running (pid $pid, 127.0.0.1:$(cat "$PORT_FILE" 2>/dev/null || echo "$PORT"))"
    return 0
  fi
  echo "stopped"
  return 3
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
