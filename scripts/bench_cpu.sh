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

# pinned T CMD...: runs CMD on cores 0..T-1 with every OpenMP/BLAS pool sized T. PyTorch's
# torch.set_num_threads alone does not stop its oneDNN GEMMs from using every core, so without
# this a "1 thread" PyTorch figure silently measures the whole machine.
pinned() {
  local t=$1; shift
  OMP_NUM_THREADS=$t MKL_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t taskset -c "0-$((t - 1))" "$@"
}

# Roofline: the DNN's GEMM work per sample (forward, and backward for both the weights and the
# inputs) against this machine's measured FMA peak bounds what any implementation can reach.
peak_core=$(build/bench/ctr_bench_fma_peak | awk '{print $2}')
dnn_in=$((26 * 10 + 13))
flops_per_sample=$((6 * (dnn_in * 400 + 400 * 400 + 400 * 400 + 400)))
pct_peak() {  # pct_peak SAMPLES_PER_SEC THREADS
  awk -v s="$1" -v f="$flops_per_sample" -v p="$peak_core" -v t="$2" 'BEGIN{printf "%.0f%%", 100 * s * f / 1e9 / (p * t)}'
}

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
optimizer: {lr: 8e-4, lr_embed: 1e-4, l2: 1e-5, warmup_epochs: 1, init_stddev: 1e-2, embedding_update: all_rows}
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
    pinned "$threads" "$bin" --config "$work/base.yaml" --no-progress --set model.type=$model --set train.batch_size=$batch \
      --set output.dir="$run" --set name=${model}_$batch | tail -1
    sps=$(field "$run/report.json" train.samples_per_sec)
    auc=$(field "$run/report.json" test.auc)
    ctr_sps[$model,$batch]=$sps
    ctr_auc[$model,$batch]=$auc
    rows_md+="| $model | $batch | $(printf '%.0f' "$sps") | $(printf '%.4f' "$auc") |"$'\n'
  done
done

json_key() { echo "$1" | /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$2'])"; }

# torch_run THREADS BATCH RUN_DIR SEED: the PyTorch DeepFM with the hyper-parameters ctrtrain
# resolved in RUN_DIR; prints its JSON line.
torch_run() {
  pinned "$1" /usr/bin/python3 bench/torch_deepfm.py "$work/raw.txt" --test-rows "$test_rows" --batch-size "$2" \
    --epochs "$epochs" --threads "$1" --seed "$4" --lr "$(field "$3/report.json" hyperparameters.lr)" \
    --lr-embed "$(field "$3/report.json" hyperparameters.lr_embed)" \
    --l2 "$(field "$3/report.json" hyperparameters.l2)" --warmup-epochs 1
}

torch_md=""
# Same cores on both sides (pinned): all of them, and one.
for t in "$threads" 1; do
  for batch in 1024 8192; do
    run="$work/runs/deepfm_${batch}_t$t"
    if [[ $t == "$threads" ]]; then
      run="$work/runs/deepfm_$batch"
    else
      echo "== ctrtrain deepfm batch $batch, $t thread"
      pinned "$t" "$bin" --config "$work/base.yaml" --no-progress --set train.batch_size=$batch --set train.threads=$t \
        --set output.dir="$run" --set name=deepfm_${batch}_t$t | tail -1
    fi
    c_sps=$(field "$run/report.json" train.samples_per_sec)
    c_auc=$(field "$run/report.json" test.auc)
    echo "== PyTorch DeepFM batch $batch, $t thread(s)"
    out=$(torch_run "$t" "$batch" "$run" 1234)
    echo "$out"
    t_sps=$(json_key "$out" samples_per_sec)
    t_auc=$(json_key "$out" auc)
    ratio=$(awk -v a="$c_sps" -v b="$t_sps" 'BEGIN{printf "%.2fx", a/b}')
    torch_md+="| $t | $batch | $(printf '%.0f' "$c_sps") ($(pct_peak "$c_sps" "$t")) | $(printf '%.0f' "$t_sps") ($(pct_peak "$t_sps" "$t")) | $ratio | $(printf '%.4f' "$c_auc") | $(printf '%.4f' "$t_auc") |"$'\n'
  done
done

# "Equal AUC" needs the seed-to-seed spread: one seed's AUC differs from another's by more than
# the two implementations differ.
spread_md=""
for seed in 1 2 3; do
  run="$work/runs/deepfm_8192_seed$seed"
  echo "== seed $seed, batch 8192: ctrtrain and PyTorch"
  pinned "$threads" "$bin" --config "$work/base.yaml" --no-progress --set train.batch_size=8192 \
    --set train.seed=$seed --set output.dir="$run" --set name=deepfm_8192_seed$seed | tail -1
  out=$(torch_run "$threads" 8192 "$run" "$seed")
  spread_md+="| $seed | $(printf '%.4f' "$(field "$run/report.json" test.auc)") | $(printf '%.4f' "$(json_key "$out" auc)") |"$'\n'
done

report=$(cat <<REPORT
<!-- bench_cpu:begin -->
### CPU training (\`scripts/bench_cpu.sh $rows $epochs\`)

- Machine: $(bench_machine)
- Commit: $(bench_commit)
- Data: \`ctrtrain synth --dataset criteo --rows $rows --vocab-scale 0.01 --seed 1\`, \`preprocess --split seq\`
  ($test_rows test rows); $epochs epoch(s); $threads threads; embedding dim 10, DNN 400-400-400, 3 cross
  layers; CowClip on (code bound), all_rows embedding update, cowclip scaling from base 1024.
- samples/s is training throughput (evaluation excluded), from report.json.

| model | batch | ctrtrain samples/s | test AUC |
|---|---|---|---|
${rows_md}
DeepFM against a straightforward PyTorch implementation (\`bench/torch_deepfm.py\`, torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'),
same data, batch, hyper-parameters and epochs; PyTorch without CowClip). Both run pinned to the
same cores (\`taskset\`, every OpenMP/BLAS pool sized to match). In brackets: the DNN's GEMM work
($flops_per_sample FLOPs per sample: forward, weight and input gradients) as a share of the measured FMA
peak ($peak_core GFLOPS per core, \`build/bench/ctr_bench_fma_peak\`); no implementation of this
model can pass 100%, and a 3x ratio needs the faster side at three times the other's share.

| cores | batch | ctrtrain samples/s (share of peak) | PyTorch samples/s (share of peak) | ratio | ctrtrain AUC | PyTorch AUC |
|---|---|---|---|---|---|---|
${torch_md}
Test AUC over seeds (DeepFM, batch 8192, $threads cores), the noise the AUC columns above sit in:

| seed | ctrtrain AUC | PyTorch AUC |
|---|---|---|
${spread_md}<!-- bench_cpu:end -->
REPORT
)
bench_write_section bench_cpu "$report"
echo "$report"
