#!/usr/bin/env bash
# CPU training benchmark: samples/s of every model at batch 1024 and 8192 on synthetic
# Criteo-shaped data, and the same DeepFM in plain PyTorch (Debian's python3-torch, same threads,
# same batch, same data and hyper-parameters) with the ratio and both test AUCs.
# Writes its figures into docs/benchmarks.md between the bench_cpu markers.
# Usage: scripts/bench_cpu.sh [ROWS] [EPOCHS]   (default 500000 rows, 1 epoch)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
rows=${1:-500000}
epochs=${2:-1}
threads=$(nproc)
work=${BENCH_DIR:-/tmp/ctrtrain-bench-cpu}
scripts/setup.sh --bench
scripts/build.sh >/dev/null
bin=build/app/ctrtrain
rm -rf "$work" && mkdir -p "$work"

echo "== synth $rows rows, preprocess (seq split: the last 1/7 is the test split)"
# vocab-scale 0.01: a ~340k-row table, so the dense (authors') embedding update stays a small part.
"$bin" synth --dataset criteo --rows "$rows" --vocab-scale 0.01 --seed 1 --output "$work/raw.txt"
"$bin" preprocess --quiet --dataset criteo --split seq --input "$work/raw.txt" --output "$work/data"
test_rows=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['rows']['test'])" "$work/data/meta.json")

field() {  # field REPORT KEY.PATH
  /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'): d=d[k]
print(d)" "$1" "$2"
}

cat > "$work/base.yaml" <<YAML
name: bench
data: {path: $work/data}
model: {type: deepfm, embedding_dim: 10, hidden: [400, 400, 400], cross_layers: 3}
train: {batch_size: 1024, epochs: $epochs, seed: 1234, threads: $threads}
optimizer: {lr: 8e-4, lr_embed: 1e-4, l2: 1e-5, warmup_epochs: 1, init_stddev: 1e-2, embedding_update: dense}
cowclip: {enabled: true, r: 1.0, zeta: 1e-5, bound_mode: code}
scaling: {rule: cowclip, base_batch_size: 1024}
output: {dir: $work/runs/bench, checkpoint: none}
YAML

rows_md=""
declare -A ctr_sps ctr_auc
for model in lr fm wdl deepfm dcn dcnv2; do
  for batch in 1024 8192; do
    echo "== ctrtrain $model batch $batch"
    run="$work/runs/${model}_$batch"
    "$bin" --config "$work/base.yaml" --no-progress --set model.type=$model --set train.batch_size=$batch \
      --set output.dir="$run" --set name=${model}_$batch | tail -1
    sps=$(field "$run/report.json" train.samples_per_sec)
    auc=$(field "$run/report.json" test.auc)
    ctr_sps[$model,$batch]=$sps
    ctr_auc[$model,$batch]=$auc
    rows_md+="| $model | $batch | $(printf '%.0f' "$sps") | $(printf '%.4f' "$auc") |"$'\n'
  done
done

torch_md=""
# Same threads on both sides: all cores, and one (PyTorch's OpenMP and a pthread BLAS can fight
# over cores, so both settings are shown).
for t in "$threads" 1; do
  for batch in 1024 8192; do
    run="$work/runs/deepfm_${batch}_t$t"
    if [[ $t == "$threads" ]]; then
      run="$work/runs/deepfm_$batch"
    else
      echo "== ctrtrain deepfm batch $batch, $t thread"
      "$bin" --config "$work/base.yaml" --no-progress --set train.batch_size=$batch --set train.threads=$t \
        --set output.dir="$run" --set name=deepfm_${batch}_t$t | tail -1
    fi
    c_sps=$(field "$run/report.json" train.samples_per_sec)
    c_auc=$(field "$run/report.json" test.auc)
    echo "== PyTorch DeepFM batch $batch, $t thread(s)"
    out=$(/usr/bin/python3 bench/torch_deepfm.py "$work/raw.txt" --test-rows "$test_rows" --batch-size $batch \
          --epochs "$epochs" --threads "$t" --lr "$(field "$run/report.json" hyperparameters.lr)" \
          --lr-embed "$(field "$run/report.json" hyperparameters.lr_embed)" \
          --l2 "$(field "$run/report.json" hyperparameters.l2)" --warmup-epochs 1)
    echo "$out"
    t_sps=$(echo "$out" | /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read())['samples_per_sec'])")
    t_auc=$(echo "$out" | /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read())['auc'])")
    ratio=$(awk -v a="$c_sps" -v b="$t_sps" 'BEGIN{printf "%.2fx", a/b}')
    torch_md+="| $t | $batch | $(printf '%.0f' "$c_sps") | $(printf '%.0f' "$t_sps") | $ratio | $(printf '%.4f' "$c_auc") | $(printf '%.4f' "$t_auc") |"$'\n'
  done
done

report=$(cat <<REPORT
<!-- bench_cpu:begin -->
### CPU training (\`scripts/bench_cpu.sh $rows $epochs\`)

- Machine: $(bench_machine)
- Commit: $(bench_commit)
- Data: \`ctrtrain synth --dataset criteo --rows $rows --vocab-scale 0.01 --seed 1\`, \`preprocess --split seq\`
  ($test_rows test rows); $epochs epoch(s); $threads threads; embedding dim 10, DNN 400-400-400, 3 cross
  layers; CowClip on (code bound), dense embedding update, cowclip scaling from base 1024.
- samples/s is training throughput (evaluation excluded), from report.json.

| model | batch | ctrtrain samples/s | test AUC |
|---|---|---|---|
${rows_md}
DeepFM against a straightforward PyTorch implementation (\`bench/torch_deepfm.py\`, torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'),
same data, threads, batch, hyper-parameters and epochs; PyTorch without CowClip):

| threads | batch | ctrtrain samples/s | PyTorch samples/s | ratio | ctrtrain AUC | PyTorch AUC |
|---|---|---|---|---|---|---|
${torch_md}<!-- bench_cpu:end -->
REPORT
)
bench_write_section bench_cpu "$report"
echo "$report"
