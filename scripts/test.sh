#!/usr/bin/env bash
# The test command. Sets up everything the tests need, then runs every unit, golden, CLI, integration
# and end-to-end test of the workspace:
#   - a real Apache Kafka broker on 127.0.0.1 (scripts/broker.sh: jars from Maven Central on first
#     use, Java 17 and Maven needed), stopped again at the end if this script started it;
#   - kafka-python (pinned, from PyPI) in a venv for the interoperability tests (scripts/e2e-venv.sh).
# RETAILFLOW_SKIP_E2E=1 runs without the broker: the end-to-end tests then skip, except under
# CI=true, where they fail.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${RETAILFLOW_SKIP_E2E:-0}" != 1 ]; then
  started_here=false
  scripts/broker.sh status >/dev/null 2>&1 || started_here=true
  # Apache Kafka, whatever BROKER says: the transactional tests need a broker that has transactions.
  BROKER=kafka scripts/broker.sh start
  if $started_here; then
    trap 'scripts/broker.sh stop' EXIT
  fi
  RETAILFLOW_E2E_BROKERS="127.0.0.1:$(cat "${RETAILFLOW_STATE_DIR:-.broker}/broker.port")"
  RETAILFLOW_E2E_PYTHON="$(scripts/e2e-venv.sh)"
  export RETAILFLOW_E2E_BROKERS RETAILFLOW_E2E_PYTHON
  echo "test: end-to-end tests on $RETAILFLOW_E2E_BROKERS with $RETAILFLOW_E2E_PYTHON" >&2
fi

cargo test --workspace --all-targets --no-fail-fast "$@"
