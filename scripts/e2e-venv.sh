#!/usr/bin/env bash
# Makes the Python venv the end-to-end tests use for kafka-python (pinned in tests/e2e/requirements.txt)
# and prints the path of its python. Idempotent: an up-to-date venv is reused.
#
#   E2E_VENV   where to make it (default .venv-e2e/ in the repository)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${E2E_VENV:-$ROOT/.venv-e2e}"
REQUIREMENTS="$ROOT/tests/e2e/requirements.txt"
STAMP="$VENV/.requirements.sha256"

want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ] \
  && "$VENV/bin/python" -c 'import kafka' 2>/dev/null; then
  echo "$VENV/bin/python"
  exit 0
fi

PYTHON="${PYTHON:-$(command -v python3 || true)}"
[ -n "$PYTHON" ] || { echo "e2e-venv: error: python3 is not installed" >&2; exit 1; }
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV" >&2 \
  || { echo "e2e-venv: error: '$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)" >&2; exit 1; }
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
"$VENV/bin/python" -c 'import kafka' >&2
echo "$want" >"$STAMP"
echo "$VENV/bin/python"
