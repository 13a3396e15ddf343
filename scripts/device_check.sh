#!/usr/bin/env bash
# Everything ctrtrain needs a GPU for, in one scripted run on the GPU machine (the `device` tool):
# the cuda tests, compute-sanitizer, the GPU's own ceilings, then the issue-4 benchmarks on
# full-size synthetic Criteo generated on that machine, recorded in docs/benchmarks.md.
#
# The build happens beforehand on the dev machine (scripts/device_bundle.sh); carry
# device-bundle.tar.gz and run:  tar xzf device-bundle.tar.gz && scripts/device_check.sh [STAGE...]
#
# Stages, in order (default: all):
#   info       driver, shared libraries, --version
#   tests      ctest -L cuda (op-level and parity tests), then every other test
#   sanitizer  compute-sanitizer memcheck over the op-level cuda tests
#   peak       SGEMM rate (fp32, tf32) and copy bandwidth: the denominators of the floor
#   data       synth + preprocess ROWS rows of Criteo-shaped data (45,840,617 = Criteo's size)
#   bench      samples/s per model and batch size, GPU memory, input wait
#   ten        10 epochs of DeepFM at batch 131072: wall time against the floor
#   torch      a plain PyTorch DeepFM with the same CowClip step on the same data
#   record     writes the figures into docs/benchmarks.md (and copies it to $OUT)
# Environment: BUILD (build-sm90), WORK (/tmp/ctrtrain-gpu), ROWS (45840617), MODELS, BATCHES,
# BENCH_STEPS (steps timed per bench run, 200), TORCH_BATCHES ("8192 131072"), TEN_PRECISIONS ("fp32 tf32"), PYTHON (python3), DEVICE (cuda; cpu
# only to try the script's flow on a machine without a GPU).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build-sm90}
work=${WORK:-/tmp/ctrtrain-gpu}
rows=${ROWS:-45840617}
models=${MODELS:-"lr fm wdl deepfm dcn dcnv2"}
batches=${BATCHES:-"1024 8192 32768 131072"}
bench_steps=${BENCH_STEPS:-200}
torch_batches=${TORCH_BATCHES:-"8192 131072"}
ten_precisions=${TEN_PRECISIONS:-"fp32 tf32"}
device=${DEVICE:-cuda}
python=${PYTHON:-python3}
out=${OUT:-/tmp/device_check}
stages=("$@")
[[ ${#stages[@]} -eq 0 ]] && stages=(info tests sanitizer peak data bench ten torch record)
mkdir -p "$out" "$work"
results="$work/results.tsv"   # STAGE KEY VALUE lines, read back by `record`
bin="$build/app/ctrtrain"

# The carried build folder holds absolute paths of the dev machine (/work/main); recreate them.
here=$(pwd -P)
if [[ "$here" != /work/main && ! -e /work/main ]]; then mkdir -p /work && ln -s "$here" /work/main; fi

# cuBLAS comes from the device's CUDA installation; make sure the loader can find it.
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib; do
  [[ -d $d ]] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done

has_stage() { local s; for s in "${stages[@]}"; do [[ $s == "$1" ]] && return 0; done; return 1; }
put() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$results"; }
get() { awk -F'\t' -v s="$1" -v k="$2" '$1==s && $2==k {v=$3} END{print v}' "$results" 2>/dev/null; }
json() {  # json FILE KEY.PATH
  python3 -c "import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'): d=d[int(k)] if isinstance(d, list) else d[k]
print(d)" "$1" "$2"
}
# Peak GPU memory in MiB while CMD runs (nvidia-smi sampled every 200 ms).
with_peak_memory() {  # with_peak_memory OUTFILE CMD...
  local f=$1; shift
  ( while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -1; sleep 0.2; done ) > "$f.mem" &
  local sampler=$!
  "$@"
  local rc=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  sort -n "$f.mem" | tail -1 > "$f"
  return $rc
}
config() {  # config NAME MODEL BATCH EPOCHS PRECISION MAX_STEPS -> path of a config in $work
  local path="$work/$1.yaml"
  cat > "$path" <<YAML
name: $1
data: {path: $work/data, cache: auto}
model: {type: $2, embedding_dim: 10, hidden: [400, 400, 400], cross_layers: 3}
train: {batch_size: $3, epochs: $4, seed: 1234, device: $device, precision: $5, max_steps_per_epoch: $6}
optimizer: {lr: 8e-4, lr_embed: 1e-4, l2: 1e-5, warmup_epochs: 1, init_stddev: 1e-2, embedding_update: dense}
cowclip: {enabled: true, r: 1.0, zeta: 1e-5, bound_mode: code}
scaling: {rule: cowclip, base_batch_size: 1024}
output: {dir: $work/runs/$1, checkpoint: none}
YAML
  echo "$path"
}

{
if has_stage info; then
  : > "$results"
  echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  put info gpu "$(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1)"
  put info cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  put info commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "== commit $(get info commit)"
  echo "== shared libraries of ctrtrain and of a cuda test"; ldd "$bin"; ldd "$build/tests/cuda_test_cuda_ops"
  echo "== ctrtrain --version"; "$bin" --version
fi

if has_stage tests; then
  echo "== cuda tests"
  (cd "$build" && ctest -L cuda --output-on-failure --timeout 900)
  put tests cuda_rc $?
  echo "== all other tests"
  (cd "$build" && ctest -LE cuda --output-on-failure -j "$(nproc)")
  put tests other_rc $?
fi

if has_stage sanitizer; then
  echo "== compute-sanitizer memcheck (op-level tests)"
  sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  "$sanitizer" --tool memcheck --error-exitcode 3 --leak-check full "$build/tests/cuda_test_cuda_ops" 2>&1 | tail -25
  put sanitizer memcheck_rc "${PIPESTATUS[0]}"
fi

if has_stage peak; then
  echo "== GPU ceilings"
  "$build/bench/ctr_bench_gpu_peak" | tee "$work/peak.txt"
  put peak fp32_tflops "$(awk '/^SGEMM_FP32_TFLOPS/{print $2}' "$work/peak.txt")"
  put peak tf32_tflops "$(awk '/^SGEMM_TF32_TFLOPS/{print $2}' "$work/peak.txt")"
  put peak copy_gbps "$(awk '/^COPY_GBPS/{print $2}' "$work/peak.txt")"
fi

if has_stage data; then
  echo "== synth $rows rows + preprocess"
  rm -rf "$work/data" "$work/raw.txt"
  t0=$(date +%s.%N)
  "$bin" synth --dataset criteo --rows "$rows" --seed 7 --output "$work/raw.txt"
  t1=$(date +%s.%N)
  "$bin" preprocess --quiet --dataset criteo --input "$work/raw.txt" --output "$work/data"
  t2=$(date +%s.%N)
  rm -f "$work/raw.txt"
  put data synth_s "$(echo "$t1 - $t0" | bc)"
  put data preprocess_s "$(echo "$t2 - $t1" | bc)"
  put data train_rows "$(json "$work/data/meta.json" rows.train)"
  put data test_rows "$(json "$work/data/meta.json" rows.test)"
fi

if has_stage bench; then
  for m in $models; do
    for b in $batches; do
      name="bench_${m}_$b"
      echo "== $name ($bench_steps steps)"
      cfg=$(config "$name" "$m" "$b" 1 fp32 "$bench_steps")
      with_peak_memory "$work/$name.mem_mib" "$bin" --config "$cfg" --no-progress --force | tail -2
      rep="$work/runs/$name/report.json"
      [[ -f $rep ]] || { put bench "$name.failed" 1; continue; }
      put bench "$name.sps" "$(json "$rep" train.samples_per_sec)"
      put bench "$name.wait" "$(json "$rep" train.input_wait_seconds)"
      put bench "$name.seconds" "$(json "$rep" train.seconds)"
      put bench "$name.mem_mib" "$(cat "$work/$name.mem_mib")"
    done
  done
fi

if has_stage ten; then
  for p in $ten_precisions; do
    name="ten_deepfm_131072_$p"
    echo "== $name: 10 epochs"
    cfg=$(config "$name" deepfm 131072 10 "$p" 0)
    t0=$(date +%s.%N)
    with_peak_memory "$work/$name.mem_mib" "$bin" --config "$cfg" --no-progress --force | tail -4
    t1=$(date +%s.%N)
    rep="$work/runs/$name/report.json"
    [[ -f $rep ]] || { put ten "$p.failed" 1; continue; }
    put ten "$p.wall_s" "$(echo "$t1 - $t0" | bc)"
    put ten "$p.train_s" "$(json "$rep" train.seconds)"
    put ten "$p.eval_s" "$(json "$rep" train.eval_seconds)"
    put ten "$p.wait_s" "$(json "$rep" train.input_wait_seconds)"
    put ten "$p.auc" "$(json "$rep" test.auc)"
    put ten "$p.logloss" "$(json "$rep" test.logloss)"
    put ten "$p.mem_mib" "$(cat "$work/$name.mem_mib")"
  done
fi

if has_stage torch; then
  echo "== PyTorch DeepFM + CowClip on the same data"
  "$build/bench/ctr_bench_export_arrays" "$work/data" "$work/arrays"
  for b in $torch_batches; do
    # The values ctrtrain resolves for this batch (cowclip rule from base 1024), passed as-is.
    cfg=$(config "torch_resolve_$b" deepfm "$b" 1 fp32 1)
    resolved=$("$bin" --config "$cfg" --print-config)
    lr=$(echo "$resolved" | awk '/^resolved:/{r=1} r && /^ *lr:/{print $2; exit}')
    lr_embed=$(echo "$resolved" | awk '/^resolved:/{r=1} r && /^ *lr_embed:/{print $2; exit}')
    l2=$(echo "$resolved" | awk '/^resolved:/{r=1} r && /^ *l2:/{print $2; exit}')
    "$python" bench/torch_deepfm_cowclip.py "$work/arrays" --device "$device" --batch-size "$b" --epochs 1 \
      --max-steps "$bench_steps" --lr "$lr" --lr-embed "$lr_embed" --l2 "$l2" --r 1.0 --zeta 1e-5 | tee "$work/torch_$b.json"
    put torch "$b.sps" "$(json "$work/torch_$b.json" samples_per_sec)"
    put torch "$b.torch" "$(json "$work/torch_$b.json" torch)"
  done
fi

if has_stage record; then
  echo "== record"
  python3 scripts/device_record.py "$results" "$work" docs/benchmarks.md "$rows" "$bench_steps"
  cp docs/benchmarks.md "$out/benchmarks.md"
fi
cp "$results" "$out/results.tsv" 2>/dev/null
} 2>&1 | tee -a "$out/device_check.log"
