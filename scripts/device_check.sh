#!/usr/bin/env bash
# One-shot check on a GPU machine (the `device` tool's H100): shows the driver and the binary's
# shared libraries, then runs the cuda tests and every other test from the carried build folder.
# The build happens beforehand on the dev machine: scripts/device_bundle.sh, then carry
# device-bundle.tar.gz and run:  tar xzf device-bundle.tar.gz && scripts/device_check.sh
# Usage on the device: scripts/device_check.sh [BUILD_DIR]   (results also go to $OUT if set)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-sm90}
# The carried build folder holds absolute paths of the dev machine (/work/main); recreate them.
here=$(pwd -P)
if [[ "$here" != /work/main && ! -e /work/main ]]; then mkdir -p /work && ln -s "$here" /work/main; fi
out=${OUT:-/tmp/device_check}
mkdir -p "$out"
{
  echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  echo "== commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "== shared libraries of ctrtrain and of a test"; ldd "$build/app/ctrtrain"; ldd "$build/tests/unit_test_core"
  echo "== ctrtrain --version"; "$build/app/ctrtrain" --version
  echo "== cuda tests"; (cd "$build" && ctest -L cuda --output-on-failure)
  echo "== all other tests"; (cd "$build" && ctest -LE cuda --output-on-failure -j 8)
} 2>&1 | tee "$out/device_check.log"
