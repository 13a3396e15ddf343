#!/usr/bin/env bash
# Builds for the GPU machine (sm_90, CUDA on) into build-sm90 and packs what the device needs into
# one file to carry: device-bundle.tar.gz, holding only what scripts/device_check.sh runs there
# (ctrtrain, the cuda test binaries, the bench programs) and the shared libraries the device lacks
# (OpenBLAS and its libgfortran/libgomp/libquadmath, in build-sm90/runtime, which the binaries'
# RPATH names), so it stays well under the device tool's 64 MiB carry limit.
# Then, on the device:  tar xzf device-bundle.tar.gz && scripts/device_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=build-sm90 scripts/build.sh -DCTR_CUDA=ON -DCTR_CUDA_ARCHITECTURES=90 >/dev/null
rm -f device-bundle.tar.gz
mkdir -p build-sm90/runtime
blas=$(ldd build-sm90/app/ctrtrain | awk '/libopenblas/{print $3}')
cp -L "$blas" build-sm90/runtime/
for lib in $(ldd "$blas" | awk '/=> \//{print $3}' | grep -E 'gfortran|gomp|quadmath'); do
  cp -L "$lib" build-sm90/runtime/
done
# The device copy has no .git: the commit travels in the bundle (with "+dirty" for local changes).
echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +dirty)" > build-sm90/COMMIT
tar czf device-bundle.tar.gz build-sm90/COMMIT build-sm90/runtime build-sm90/app/ctrtrain \
  build-sm90/tests/cuda_test_* build-sm90/bench/ctr_bench_*
echo "device-bundle.tar.gz: $(du -h device-bundle.tar.gz | cut -f1) ($(ls build-sm90/runtime | tr '\n' ' '))"
