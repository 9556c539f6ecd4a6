#!/usr/bin/env bash
# Runs the end-to-end tests against a real broker: starts Apache Kafka (scripts/broker.sh), makes
# the kafka-python venv (scripts/e2e-venv.sh), runs the integration tests that need them (those
# whose names hold `e2e`), and stops the broker again if this script started it. Extra arguments go
# to `cargo test`.
#
#   scripts/e2e.sh                 # the end-to-end tests only
#   BROKER_PORT=19092 scripts/e2e.sh
#   BROKER=tansu scripts/e2e.sh    # on Tansu instead (no transactions)
set -euo pipefail
cd "$(dirname "$0")/.."

started_here=false
if ! scripts/broker.sh status >/dev/null; then
  started_here=true
fi
scripts/broker.sh start
if $started_here; then
  trap 'scripts/broker.sh stop' EXIT
fi

RETAILFLOW_E2E_BROKERS="127.0.0.1:$(cat "${RETAILFLOW_STATE_DIR:-.broker}/broker.port")"
RETAILFLOW_E2E_PYTHON="$(scripts/e2e-venv.sh)"
export RETAILFLOW_E2E_BROKERS RETAILFLOW_E2E_PYTHON
echo "e2e: brokers $RETAILFLOW_E2E_BROKERS, python $RETAILFLOW_E2E_PYTHON" >&2
cargo test -p retailflow --test integration "$@" e2e
