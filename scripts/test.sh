#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: set-up, build, then every CTest test
# (labels unit, integration, regression, cuda; cuda tests report "skipped" where no GPU is
# visible). Set-up includes python3-matplotlib, which the sweep test plots with.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --sweep
scripts/build.sh
cd "${BUILD_DIR:-build}"
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "note: no GPU visible: the cuda-labelled tests will report 'Skipped' (they run only where a GPU is present)"
fi
ctest --output-on-failure -j "$(nproc)" "$@"
