#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: set-up, then three stages (docs/reliability.md):
#   1. the normal build: every CTest test (labels unit, integration, regression, fuzz, cuda; cuda
#      tests report "skipped" where no GPU is visible);
#   2. the sanitizer build (clang, AddressSanitizer + UBSan, CUDA off, build-sanitize/): the unit,
#      integration and fuzz-labelled tests again;
#   3. each fuzz target of tests/fuzz for 30 s on its corpus (scripts/fuzz.sh).
# Set-up includes python3-matplotlib, which the sweep test plots with, and clang for stages 2-3.
# Usage: scripts/test.sh [--normal | --sanitize | --fuzz] [CTEST ARGS...]
#   --normal    stage 1 only      --sanitize  stage 2 only      --fuzz  stage 3 only
# CTEST ARGS go to the CTest runs of stages 1 and 2.
set -euo pipefail
cd "$(dirname "$0")/.."
stages=(normal sanitize fuzz)
case "${1:-}" in
  --normal|--sanitize|--fuzz) stages=("${1#--}"); shift ;;
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
scripts/setup.sh --sweep --fuzz

run_normal() {
  scripts/build.sh
  if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "note: no GPU visible: the cuda-labelled tests will report 'Skipped' (they run only where a GPU is present)"
  fi
  (cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j "$(nproc)" "$@")
}

# The build scripts/fuzz.sh fuzzes in: with CTR_FUZZ the library carries libFuzzer's coverage
# hooks too, which cost the tests little and save a second sanitizer build. Every finding stops
# the test that hit it (halt_on_error); leaks are findings too.
run_sanitize() {
  CC=clang CXX=clang++ BUILD_DIR=build-sanitize BUILD_TYPE=RelWithDebInfo scripts/build.sh -DCTR_FUZZ=ON \
    -DCTR_CUDA=OFF -DCTR_BUILD_BENCH=OFF
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build-sanitize && ctest --output-on-failure -j "$(nproc)" -L "unit|integration|fuzz" "$@")
}

run_fuzz() { scripts/fuzz.sh --seconds 30 --jobs "$(nproc)"; }

for stage in "${stages[@]}"; do
  echo "test.sh: stage '$stage'"
  "run_$stage" "$@"
done
