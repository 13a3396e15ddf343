#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: set-up, build, then every CTest test
# (labels unit, integration, cuda; cuda tests report "skipped" where no GPU is visible).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" "$@"
