#!/usr/bin/env bash
# The main job end to end on an embedded default: set-up, build, synthetic Criteo-shaped data,
# preprocess, then DeepFM with CowClip on the CPU (configs/quickstart.yaml) and its report
# (`ctrtrain report`: the run's table).
# Everything goes under runs/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
bin=build/app/ctrtrain
out=runs/quickstart
mkdir -p "$out"
"$bin" --version
"$bin" synth --dataset criteo --rows 200000 --vocab-scale 0.001 --seed 1 --output "$out/criteo_synth.txt.zst"
"$bin" preprocess --dataset criteo --input "$out/criteo_synth.txt.zst" --output "$out/data" --force
"$bin" inspect "$out/data" --verify
"$bin" --config configs/quickstart.yaml --force
"$bin" report runs/quickstart/run
