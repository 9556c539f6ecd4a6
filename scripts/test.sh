#!/usr/bin/env bash
# The test command: every unit, golden, CLI and integration test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets
