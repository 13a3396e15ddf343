#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: set-up, build, every CTest test (labels unit,
# integration, regression, cuda; cuda tests report "skipped" where no GPU is visible). Set-up
# includes python3-matplotlib, which the sweep test plots with.
# Usage: scripts/test.sh [--sanitize] [CTEST ARGS...]
#   --sanitize  instead, the unit and integration tests in a build with AddressSanitizer and
#               UBSan (CUDA off, in build-sanitize/; docs/reliability.md)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=normal
case "${1:-}" in
  --sanitize) mode=sanitize; shift ;;
  -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
scripts/setup.sh --sweep

run_normal() {
  scripts/build.sh
  if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "note: no GPU visible: the cuda-labelled tests will report 'Skipped' (they run only where a GPU is present)"
  fi
  (cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j "$(nproc)" "$@")
}

# Every finding stops the test that hit it (halt_on_error); leaks are findings too.
run_sanitize() {
  BUILD_DIR=build-sanitize BUILD_TYPE=RelWithDebInfo scripts/build.sh -DCTR_SANITIZE=ON -DCTR_CUDA=OFF \
    -DCTR_BUILD_BENCH=OFF
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build-sanitize && ctest --output-on-failure -j "$(nproc)" -L "unit|integration" "$@")
}

case "$mode" in
  normal) run_normal "$@" ;;
  sanitize) run_sanitize "$@" ;;
esac
