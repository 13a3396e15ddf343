#!/usr/bin/env bash
# The whole GPU check in one run of at most 480 s on the GPU machine (docs/development.md):
# info -> cuda tests -> full-size data -> bench -> ten epochs -> PyTorch -> peaks -> memcheck.
# Each stage runs under its own timeout and leaves its log and figures in $OUT as soon as it ends,
# so a run cut short still returns everything it measured; one line per stage says name, seconds
# and pass/fail. scripts/device_record.py then turns $OUT into docs/benchmarks.md's GPU section.
#
# Usage (after scripts/device_bundle.sh here, with device-bundle.tar.gz carried):
#   tar xzf device-bundle.tar.gz && scripts/device_check.sh            the full check, <= 480 s
#   scripts/device_check.sh --quick     the cuda tests and one DeepFM point at 128K, <= 150 s
#   scripts/device_check.sh --dry-run   the same flow on a machine without a GPU (CPU backend, tiny
#                                       sizes), <= 3 minutes: a CI test, so the script cannot rot
# Needs bash, coreutils and python3 only (no bc, no ctest, no Debian packages).
# Environment: OUT (/tmp/device_check), BUILD (build-sm90; build for --dry-run), WORK
# (/tmp/ctrtrain-gpu), ROWS (45840617), PYTHON (python3).
set -uo pipefail
cd "$(dirname "$0")/.."

mode=full
case "${1:-}" in
  "") ;;
  --quick) mode=quick ;;
  --dry-run) mode=dry ;;
  *) echo "device_check: unknown option '$1' (expected --quick or --dry-run)" >&2; exit 2 ;;
esac

out=${OUT:-/tmp/device_check}
work=${WORK:-/tmp/ctrtrain-gpu}
python=${PYTHON:-python3}
if [[ $mode == dry ]]; then
  build=${BUILD:-build}; rows=${ROWS:-60000}; vocab_scale=0.002; device=cpu; precision=fp32
  big=4096; batches="256 1024 2048 4096"; torch_batches="1024 4096"; steps=5; warmup=2; breakdown=2
  ten_limit=20; torch_rows=40000; hidden="[32, 32]"
else
  build=${BUILD:-build-sm90}; rows=${ROWS:-45840617}; vocab_scale=1; device=cuda; precision=tf32
  big=131072; batches="1024 8192 32768 131072"; torch_batches="8192 131072"; steps=50; warmup=5
  breakdown=10; ten_limit=62; torch_rows=8000000; hidden="[400, 400, 400]"
  # --quick on a machine without data left from a full run makes a smaller set (the bench point
  # wraps into further epochs); with data there, it reuses it.
  [[ $mode == quick && ! -f $work/data/meta.json && -z ${ROWS:-} ]] && rows=8000000
fi
# Seconds per stage; the full run's add up to 455 of the 480.
declare -A limit=([info]=15 [cuda_tests]=80 [data]=75 [bench]=100 [ten]=80 [torch]=50 [peaks]=20 [memcheck]=45)
if [[ $mode == quick ]]; then limit[bench]=40; fi
if [[ $mode == dry ]]; then limit[cuda_tests]=30; limit[data]=40; limit[bench]=40; limit[ten]=40; limit[torch]=40; fi
bin="$build/app/ctrtrain"
mkdir -p "$out" "$work"
: > "$out/stages.tsv"
: > "$out/figures.tsv"
failed=0

# The carried build holds the dev machine's absolute paths (/work/main); recreate them.
here=$(pwd -P)
if [[ "$here" != /work/main && ! -e /work/main ]]; then mkdir -p /work && ln -s "$here" /work/main; fi
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  [[ -d $d ]] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100)); }  # milliseconds -> "12.3"
figure() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$out/figures.tsv"; }  # figure STAGE KEY VALUE
json_get() {  # json_get FILE KEY.PATH (list indices as numbers)
  "$python" -c "import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'): d=d[int(k)] if isinstance(d, list) else d[k]
print(d)" "$1" "$2"
}

# stage NAME FUNCTION: runs FUNCTION under the stage's timeout with its output in $OUT/NAME.log,
# then prints and records "NAME SECONDS pass|fail|skipped".
stage() {
  local name=$1 fn=$2 t0 rc status
  t0=$(now_ms)
  timeout --kill-after=5 "${limit[$name]}" bash -c "$(declare -f); $(declare -p out work python build rows vocab_scale device precision big batches torch_batches steps warmup breakdown ten_limit torch_rows hidden bin mode); $fn" \
    > "$out/$name.log" 2>&1
  rc=$?
  case $rc in
    0) status=pass ;;
    77) status=skipped ;;
    124|137) status="fail (timed out after ${limit[$name]} s)" ;;
    *) status="fail (exit $rc)" ;;
  esac
  [[ $status == fail* ]] && failed=1
  local took; took=$(secs $(( $(now_ms) - t0 )))
  printf '%-11s %7s s  %s\n' "$name" "$took" "$status"
  printf '%s\t%s\t%s\n' "$name" "$took" "$status" >> "$out/stages.tsv"
}

config() {  # config NAME MODEL BATCH EPOCHS EXTRA_TRAIN -> path of a config in $work
  local path="$work/$1.yaml"
  cat > "$path" <<YAML
name: $1
data: {path: $work/data, cache: device}
model: {type: $2, embedding_dim: 10, hidden: $hidden, cross_layers: 3}
train: {batch_size: $3, epochs: $4, seed: 1234, device: $device, precision: $precision$5}
optimizer: {lr: 8e-4, lr_embed: 1e-4, l2: 1e-5, warmup_epochs: 1, init_stddev: 1e-2, embedding_update: dense}
cowclip: {enabled: true, r: 1.0, zeta: 1e-5, bound_mode: code}
scaling: {rule: cowclip, base_batch_size: 1024}
output: {dir: $work/runs/$1, checkpoint: none}
YAML
  echo "$path"
}

stage_info() {
  if [[ $mode != dry ]]; then
    nvidia-smi -L || { echo "no GPU visible: nvidia-smi -L failed"; exit 1; }
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    figure info gpu "$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)"
  fi
  figure info cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
  figure info commit "$(cat "$build/COMMIT" 2>/dev/null || git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  local missing=0 f
  for f in "$bin" "$build"/tests/cuda_test_* "$build"/bench/ctr_bench_*; do
    [[ -x $f ]] || continue
    echo "== ldd $f"; ldd "$f"
    if ldd "$f" | grep -q 'not found'; then echo "MISSING LIBRARY in $f"; missing=1; fi
  done
  "$bin" --version
  [[ $missing == 0 ]]
}

# Each cuda test binary directly; a skip (77) is a failure here: the GPU must be visible.
stage_cuda_tests() {
  local t rc bad=0 n=0
  for t in "$build"/tests/cuda_test_*; do
    [[ -x $t ]] || continue
    n=$((n + 1))
    echo "== $t"
    "$t" --warn NoTests; rc=$?
    figure cuda_tests "$(basename "$t")" "$rc"
    if [[ $rc == 77 && $mode == dry ]]; then continue; fi
    [[ $rc == 0 ]] || bad=1
  done
  figure cuda_tests binaries "$n"
  # Without a GPU the binaries can only show they start and skip; with one, none may be missing.
  [[ $mode == dry ]] && exit 77
  [[ $n -gt 0 && $bad == 0 ]] || exit 1
  exit 0
}

# Criteo-shaped rows straight into preprocess through a pipe: no text file on disk.
stage_data() {
  local have=""
  [[ -f $work/data/meta.json ]] && have=$(json_get "$work/data/meta.json" rows.total)
  if [[ -n $have && ( $have == "$rows" || $mode == quick ) ]]; then
    echo "reusing $work/data ($have rows)"; figure data reused "$have"; return 0
  fi
  rm -rf "$work/data"
  local t0; t0=$(now_ms)
  "$bin" synth --dataset criteo --rows "$rows" --vocab-scale "$vocab_scale" --seed 7 --output /dev/stdout |
    "$bin" preprocess --quiet --dataset criteo --input /dev/stdin --output "$work/data" || exit 1
  figure data seconds "$(secs $(( $(now_ms) - t0 )))"
  figure data train_rows "$(json_get "$work/data/meta.json" rows.train)"
  figure data test_rows "$(json_get "$work/data/meta.json" rows.test)"
  figure data table_rows "$(json_get "$work/data/meta.json" total_vocab_size)"
}

stage_bench() {
  local points="deepfm@$big" m b
  if [[ $mode != quick ]]; then
    for m in lr fm wdl dcn dcnv2; do points+=",$m@$big"; done
    for b in $batches; do [[ $b == "$big" ]] || points+=",deepfm@$b"; done
  fi
  "$bin" bench --config "$(config bench deepfm "$big" 1 "")" --points "$points" --warmup "$warmup" \
    --steps "$steps" --breakdown-steps "$breakdown" --output "$out/bench.json"
}

# Ten epochs of DeepFM at the big batch in TF32, time-boxed: as many epochs as fit.
stage_ten() {
  local cfg; cfg=$(config ten deepfm "$big" 10 ", time_limit_seconds: $ten_limit")
  "$bin" --config "$cfg" --no-progress --force || exit 1
  cp "$work/runs/ten/report.json" "$out/ten_report.json"
  cp "$work/runs/ten/metrics.csv" "$out/ten_metrics.csv"
}

stage_torch() {
  "$python" -c "import torch" 2>/dev/null || { echo "no torch in $python"; exit 77; }
  local tdev=cuda b resolved lr lr_embed l2
  [[ $mode == dry ]] && tdev=cpu
  "$build/bench/ctr_bench_export_arrays" "$work/data" "$work/arrays" --force --max-train-rows "$torch_rows" || exit 1
  for b in $torch_batches; do
    resolved=$("$bin" --config "$(config "torch_$b" deepfm "$b" 1 "")" --print-config)
    lr=$(echo "$resolved" | awk '/^resolved:/{r=1} r && /^ *lr:/{print $2; exit}')
    lr_embed=$(echo "$resolved" | awk '/^resolved:/{r=1} r && /^ *lr_embed:/{print $2; exit}')
    l2=$(echo "$resolved" | awk '/^resolved:/{r=1} r && /^ *l2:/{print $2; exit}')
    "$python" bench/torch_deepfm_cowclip.py "$work/arrays" --device "$tdev" $([[ $precision == tf32 ]] && echo --tf32) --batch-size "$b" \
      --hidden "$(echo "$hidden" | tr -d '[] ')" --max-steps "$steps" --warmup-steps "$warmup" \
      --lr "$lr" --lr-embed "$lr_embed" --l2 "$l2" > "$out/torch_$b.json" || exit 1
    cat "$out/torch_$b.json"
  done
}

stage_peaks() {
  [[ $mode == dry ]] && { echo "no GPU: peaks need one"; exit 77; }
  "$build/bench/ctr_bench_gpu_peak" | tee "$out/peaks.txt"
  [[ ${PIPESTATUS[0]} == 0 ]]
}

# compute-sanitizer over the op tests at small shapes ([large] cases excluded).
stage_memcheck() {
  [[ $mode == dry ]] && { echo "no GPU: memcheck needs one"; exit 77; }
  local san; san=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  if [[ ! -x $san ]]; then figure memcheck result unsupported; echo "no compute-sanitizer"; exit 0; fi
  # The project's own kernels (cuBLAS GEMMs are NVIDIA's), at the op tests' small shapes.
  "$san" --tool memcheck --error-exitcode 3 "$build/tests/cuda_test_cuda_ops" \
    '[embedding],[table],[layers],[loss],[adam],[batch],[dense]' 2>&1 | tail -40
  local rc=${PIPESTATUS[0]}
  if grep -qiE 'not supported|unsupported|Target application terminated before first instrumented API' "$out/memcheck.log"; then
    figure memcheck result unsupported; exit 0
  fi
  figure memcheck result "$([[ $rc == 0 ]] && echo clean || echo "errors (exit $rc)")"
  [[ $rc == 0 ]]
}

echo "device_check $mode: build $build, $rows rows, output $out"
stage info stage_info
if [[ $mode != dry ]] && ! grep -q "^info.*pass" "$out/stages.tsv"; then
  echo "device_check: the info stage failed (no GPU, or a library is missing): see $out/info.log" >&2
  exit 1
fi
stage cuda_tests stage_cuda_tests
stage data stage_data
stage bench stage_bench
if [[ $mode != quick ]]; then
  stage ten stage_ten
  stage torch stage_torch
  stage peaks stage_peaks
  stage memcheck stage_memcheck
fi
echo "device_check $mode: $([[ $failed == 0 ]] && echo passed || echo FAILED); figures and logs in $out"
exit $failed
