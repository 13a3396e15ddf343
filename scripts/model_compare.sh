#!/usr/bin/env bash
# Models side by side (docs/results.md): every model type trained with configs/model_compare.yaml
# (only model.type changes) on the same 1M synthetic Criteo-shaped rows, then one table of test
# AUC, logloss and time (`ctrtrain report` of the runs). Runs that have a report.json are skipped.
# Usage: scripts/model_compare.sh [--models deepfm,dlrm,...]
#        (CTRTRAIN=/path/to/ctrtrain uses that binary instead of building)
set -euo pipefail
cd "$(dirname "$0")/.."
models=lr,fm,wdl,deepfm,dcn,dcnv2,dlrm
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) models=${2:?--models needs a list}; shift 2 ;;
    *) echo "model_compare.sh: unknown argument '$1' (usage: --models deepfm,dlrm,...)" >&2; exit 2 ;;
  esac
done
bin=${CTRTRAIN:-build/app/ctrtrain}
if [[ -z ${CTRTRAIN:-} ]]; then scripts/setup.sh && scripts/build.sh >/dev/null; fi
if [[ ! -f data/model_compare/meta.json ]]; then
  mkdir -p data
  "$bin" synth --dataset criteo --rows 1000000 --vocab-scale 0.01 --seed 31 --output data/model_compare_raw.txt
  "$bin" preprocess --quiet --dataset criteo --input data/model_compare_raw.txt --output data/model_compare --force
  rm data/model_compare_raw.txt
fi
runs=()
for m in ${models//,/ }; do
  dir=runs/model_compare/$m
  runs+=("$dir")
  [[ -f $dir/report.json ]] && continue
  "$bin" --config configs/model_compare.yaml --no-progress --force --set model.type="$m" --set output.dir="$dir"
done
"$bin" report "${runs[@]}"
