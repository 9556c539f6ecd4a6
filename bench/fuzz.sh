#!/usr/bin/env bash
# Fuzzing: runs each cargo-fuzz target in fuzz/ for a set time and reports what it did.
#
#   bench/fuzz.sh              every target for FUZZ_SECONDS seconds each (default 600)
#   bench/fuzz.sh SECONDS      every target for SECONDS seconds each
#   bench/fuzz.sh smoke        every target for 20 s: a quick check that each builds and runs
#
# Targets (fuzz/fuzz_targets/): receipt_parser, csv_casts, date_detection, duration_size_args; set
# TARGETS to run fewer. Each starts from its corpus (fuzz/corpus/<target>, kept between runs, not in
# git) and the seeds in fuzz/seeds/<target>, with the dictionary fuzz/dictionaries/<target>.dict.
# A crash is written to fuzz/artifacts/<target>/; reproduce it with
#   cd fuzz && cargo +nightly fuzz run -s none --codegen-units 8 <target> artifacts/<target>/<file>
# and shrink it with `cargo +nightly fuzz tmin -s none --codegen-units 8 <target> <file>`.
#
# Prints a table (target, executions, crashes, seconds) and exits 1 if any target crashed.
# Installs cargo-fuzz (cargo install cargo-fuzz --locked) and the nightly toolchain when missing.
# Environment: FUZZ_SECONDS, TARGETS, FUZZ_TOOLCHAIN (nightly), NICE (niceness of builds and runs,
# default 0). Logs go to bench/out/fuzz/<target>.log, which git ignores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FUZZ="$ROOT/fuzz"
LOGS="$ROOT/bench/out/fuzz"
ALL_TARGETS="receipt_parser csv_casts date_detection duration_size_args"
TARGETS=${TARGETS:-$ALL_TARGETS}
TOOLCHAIN=${FUZZ_TOOLCHAIN:-nightly}
NICE=${NICE:-0}
# No sanitizer: the project's code has no unsafe, and panics and failed checks are what the
# targets look for, so the runs go about twice as fast without ASan's instrumentation.
BUILD_FLAGS=(--sanitizer none --codegen-units 8)

ARG=${1:-${FUZZ_SECONDS:-600}}
case "$ARG" in
  smoke) SECONDS_EACH=20 ;;
  *[!0-9]* | "" | 0) echo "usage: bench/fuzz.sh [SECONDS|smoke]" >&2; exit 2 ;;
  *) SECONDS_EACH=$ARG ;;
esac

log() { printf '== %s\n' "$*" >&2; }
# A crash's log shows where it panicked.
export RUST_BACKTRACE=${RUST_BACKTRACE:-1}

if ! rustup run "$TOOLCHAIN" rustc --version >/dev/null 2>&1; then
  log "installing the $TOOLCHAIN toolchain"
  rustup toolchain install "$TOOLCHAIN" --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz"
  nice -n "$NICE" cargo install cargo-fuzz --locked
fi

cd "$FUZZ"
log "building the fuzz targets (fuzz/target)"
nice -n "$NICE" cargo "+$TOOLCHAIN" fuzz build "${BUILD_FLAGS[@]}"
# The targets built above are run as they are (not through `cargo fuzz run`, which would rebuild
# them whenever a source file changed during the runs), so every target tests the same code.
HOST=$(rustup run "$TOOLCHAIN" rustc -vV | sed -n 's/^host: //p')
BINARIES="$FUZZ/target/$HOST/release"

mkdir -p "$LOGS"
count_artifacts() {
  find "$FUZZ/artifacts/$1" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) 2>/dev/null | wc -l
}

rows=()
crashed=0
for target in $TARGETS; do
  [ -d "seeds/$target" ] || { echo "unknown target: $target (known: $ALL_TARGETS)" >&2; exit 2; }
  mkdir -p "corpus/$target" "artifacts/$target"
  before=$(count_artifacts "$target")
  dictionary=()
  [ -f "dictionaries/$target.dict" ] && dictionary=("-dict=dictionaries/$target.dict")
  log "$target: ${SECONDS_EACH}s"
  start=$(date +%s.%N)
  status=0
  nice -n "$NICE" "$BINARIES/$target" -artifact_prefix="$FUZZ/artifacts/$target/" \
    -max_total_time="$SECONDS_EACH" -timeout=10 -print_final_stats=1 "${dictionary[@]}" \
    "corpus/$target" "seeds/$target" >"$LOGS/$target.log" 2>&1 || status=$?
  end=$(date +%s.%N)
  seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/$target.log" | tail -1)
  [ -n "$executions" ] || executions=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$LOGS/$target.log" | tail -1)
  crashes=$(( $(count_artifacts "$target") - before ))
  if [ "$crashes" -gt 0 ] || [ "$status" -ne 0 ]; then
    crashed=1
    [ "$crashes" -gt 0 ] || crashes="exit $status"
    log "$target failed: see $LOGS/$target.log and fuzz/artifacts/$target/"
    grep -m3 -E "panicked at|ERROR: libFuzzer|SUMMARY" "$LOGS/$target.log" >&2 || tail -5 "$LOGS/$target.log" >&2
  fi
  rows+=("| $target | ${executions:-?} | $crashes | $seconds |")
done

echo
"$ROOT/bench/machine.sh"
echo
echo "| target | executions | crashes | seconds |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
exit "$crashed"
