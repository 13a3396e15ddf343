#!/usr/bin/env bash
# Installs ctrtrain's build dependencies from Debian packages, and the test-only Python packages
# (onnxruntime, onnx, numpy, scikit-learn) into .venv-test/ from PyPI; idempotent, root or sudo.
# Usage: scripts/setup.sh [--bench] [--sweep] [--fuzz]
#   --bench adds what scripts/bench_*.sh compare against: python3-pandas, python3-torch,
#           python3-sklearn, GNU time
#   --sweep adds python3-matplotlib for scripts/sweep.sh's plots
#   --fuzz  adds clang with libFuzzer and its OpenMP runtime, and zstd, for the sanitizer and fuzz
#           builds (scripts/test.sh --sanitize, scripts/fuzz.sh)
set -euo pipefail

packages=(cmake g++ make pkg-config libcli11-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
          libzstd-dev zlib1g-dev catch2 libopenblas-openmp-dev libonnx-dev libprotobuf-dev protobuf-compiler
          python3-venv)
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(python3-pandas python3-torch python3-sklearn time) ;;
    --sweep) packages+=(python3-matplotlib) ;;
    --fuzz) packages+=(clang libclang-rt-dev libomp-dev zstd) ;;
    *) echo "setup: unknown option '$arg' (expected --bench, --sweep or --fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  # dpkg-query reports "install ok installed" only for fully installed packages.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The test-only Python environment: the tests run its python (tests/CMakeLists.txt, CTR_TEST_PYTHON).
venv="$(cd "$(dirname "$0")/.." && pwd)/.venv-test"
venv_packages=(onnxruntime onnx numpy scikit-learn)
setup_venv() {
  # Tests run this script in parallel (two sweep tests at once); the lock keeps a second pip from
  # writing into a half-installed venv, and it then finds the modules the first one installed.
  exec 9>"$venv.lock"
  flock 9
  # find_spec looks the modules up without importing them (onnxruntime and sklearn take seconds).
  if "$venv/bin/python" -c "import importlib.util as u, sys
sys.exit(any(u.find_spec(m) is None for m in ('onnxruntime', 'onnx', 'numpy', 'sklearn')))" 2>/dev/null; then
    echo "setup: test venv .venv-test has ${venv_packages[*]}"
    return
  fi
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  echo "setup: installing ${venv_packages[*]} into .venv-test"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${venv_packages[@]}"
}

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  setup_venv
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "setup: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
setup_venv
