#!/usr/bin/env bash
# The main job end to end on an embedded default: set-up, build, synthetic Criteo-shaped data,
# preprocess into train/valid/test, then DeepFM with CowClip on the CPU (configs/quickstart.yaml:
# selected on valid with early stopping, reported on test) and its report (`ctrtrain report`: the
# run's table; `--plot`: loss, AUC, clipped share and calibration PNGs in runs/quickstart/plots).
# The data goes to data/quickstart, the run to runs/quickstart.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
bin=build/app/ctrtrain
data=data/quickstart
mkdir -p data
"$bin" --version
"$bin" synth --dataset criteo --rows 200000 --vocab-scale 0.001 --seed 1 --output data/quickstart_raw.txt.zst
"$bin" preprocess --dataset criteo --input data/quickstart_raw.txt.zst --output "$data" --valid-ratio 0.1 --force
"$bin" inspect "$data" --verify
"$bin" --config configs/quickstart.yaml --force
"$bin" report runs/quickstart
"$bin" report --plot runs/quickstart
