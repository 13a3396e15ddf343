#!/usr/bin/env bash
# The CowClip paper's central experiment scaled to a CPU, as recorded in docs/results.md: DeepFM
# on 2M synthetic Criteo-shaped rows, every scaling rule over batch 256 -> 32768 (128x), then the
# follow-ups the results discuss, each a sweep of its own under runs/:
#   paper_cpu          the four rules at every batch size                (32 runs)
#   paper_cpu_noclip   the cowclip rule with cowclip.enabled: false     (8 runs)
#   paper_cpu_sparse   embedding_update: batch_rows, at 256 and 32768        (2 runs)
#   paper_cpu_paper    bound_mode: paper, at 256 and 32768               (2 runs)
#   paper_cpu_init     init_stddev: 1e-4 (DeepCTR's default), 256/32768 (2 runs)
#   paper_cpu_sum      loss_reduction: sum, at 256 and 32768             (2 runs)
#   paper_cpu_8m       4x the rows (8M): cowclip at 256, 4096, 32768; sqrt at 32768 (4 runs)
# About 2 hours on 2 cores for everything; finished runs are skipped, so it resumes. Prints
# each sweep's summary.md at the end.
# Usage: scripts/paper_cpu.sh   (CTRTRAIN=/path/to/ctrtrain uses that binary instead of building)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --sweep
bin=${CTRTRAIN:-build/app/ctrtrain}
if [[ -z ${CTRTRAIN:-} ]]; then scripts/build.sh >/dev/null; fi
cfg=configs/paper_cpu.yaml

if [[ ! -f data/paper_cpu/meta.json ]]; then
  mkdir -p data
  "$bin" synth --dataset criteo --rows 2000000 --vocab-scale 0.01 --seed 21 --output data/paper_cpu_raw.txt
  "$bin" preprocess --quiet --dataset criteo --input data/paper_cpu_raw.txt --output data/paper_cpu
fi
if [[ ! -f data/paper_cpu_8m/meta.json ]]; then  # same generator, 4x the rows
  "$bin" synth --dataset criteo --rows 8000000 --vocab-scale 0.01 --seed 21 --output data/paper_cpu_8m_raw.txt
  "$bin" preprocess --quiet --dataset criteo --input data/paper_cpu_8m_raw.txt --output data/paper_cpu_8m
  rm data/paper_cpu_8m_raw.txt
fi

all=256,512,1024,2048,4096,8192,16384,32768
ends=256,32768
sweep() { CTRTRAIN=$bin scripts/sweep.sh --config "$cfg" "$@"; }
sweep --batch-sizes "$all" --rules cowclip,sqrt,linear,none --out runs/paper_cpu
sweep --batch-sizes "$all" --rules cowclip --set cowclip.enabled=false --out runs/paper_cpu_noclip
sweep --batch-sizes "$ends" --rules cowclip --set optimizer.embedding_update=batch_rows --out runs/paper_cpu_sparse
sweep --batch-sizes "$ends" --rules cowclip --set cowclip.bound_mode=paper --out runs/paper_cpu_paper
sweep --batch-sizes "$ends" --rules cowclip --set optimizer.init_stddev=1e-4 --out runs/paper_cpu_init
sweep --batch-sizes "$ends" --rules cowclip --set optimizer.loss_reduction=sum --out runs/paper_cpu_sum
eight=(--set "data.path=$(realpath data/paper_cpu_8m)")
sweep --batch-sizes 256,4096,32768 --rules cowclip "${eight[@]}" --out runs/paper_cpu_8m
sweep --batch-sizes 32768 --rules sqrt "${eight[@]}" --out runs/paper_cpu_8m_sqrt

for d in runs/paper_cpu runs/paper_cpu_noclip runs/paper_cpu_sparse runs/paper_cpu_paper runs/paper_cpu_init \
         runs/paper_cpu_sum runs/paper_cpu_8m runs/paper_cpu_8m_sqrt; do
  echo "## $d"
  cat "$d/summary.md"
done
