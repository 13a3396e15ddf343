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
seed=7  # of the synthetic data
work=${WORK:-/tmp/ctrtrain-gpu}
python=${PYTHON:-python3}
if [[ $mode == dry ]]; then
  build=${BUILD:-build}; rows=${ROWS:-60000}; vocab_scale=0.002; device=cpu; precision=fp32
  big=4096; batches="256 1024 2048 4096"; torch_batches="1024 4096"; steps=5; warmup=2; breakdown=2
  ten_limit=20; torch_rows=40000; hidden="[32, 32]"
else
  build=${BUILD:-build-sm90}; rows=${ROWS:-45840617}; vocab_scale=1; device=cuda; precision=tf32
  big=131072; batches="1024 8192 32768 131072"; torch_batches="8192 131072"; steps=50; warmup=5
  breakdown=10; ten_limit=50; torch_rows=8000000; hidden="[400, 400, 400]"
  # --quick on a machine without data left from a full run makes a smaller set (the bench point
  # wraps into further epochs); with data there, it reuses it.
  [[ $mode == quick && ! -f $work/data.stamp && -z ${ROWS:-} ]] && rows=8000000
fi
# Seconds per stage (the full run's add up to 440), and a deadline for the whole run: a stage gets
# at most what is left before it, and is skipped when under 10 s are left.
declare -A limit=([info]=15 [cuda_tests]=60 [cuda_large]=40 [data]=70 [bench]=90 [ten]=75 [torch]=45 [peaks]=15
                  [memcheck]=30)
deadline_s=470
if [[ $mode == quick ]]; then limit[info]=10; limit[cuda_tests]=60; limit[data]=35; limit[bench]=35; deadline_s=145; fi
if [[ $mode == dry ]]; then
  for s in cuda_tests cuda_large data bench ten torch; do limit[$s]=40; done
  deadline_s=300
fi
bin="$build/app/ctrtrain"
mkdir -p "$out" "$work"
# Nothing from an earlier run in the same OUT may pass for this run's.
rm -f "$out"/*.log "$out"/*.json "$out"/*.txt "$out"/*.csv "$out"/*.tsv
: > "$out/stages.tsv"
: > "$out/figures.tsv"
failed=0
run_start=$(date +%s)

# The carried build holds the dev machine's absolute paths (/work/main: RPATH, test data); recreate them.
here=$(pwd -P)
if [[ $mode != dry && "$here" != /work/main && ! -e /work/main ]]; then
  mkdir -p /work && ln -s "$here" /work/main ||
    { echo "device_check: cannot create /work/main -> $here (the carried build's RPATH and test paths need it)" >&2; exit 1; }
fi
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
  local name=$1 fn=$2 t0 rc status left
  left=$(( deadline_s - ($(date +%s) - run_start) - 5 ))
  if (( left < 10 )); then
    printf '%-11s %7s s  %s\n' "$name" 0.0 "fail (not run: the run's ${deadline_s} s were spent)"
    printf '%s\t%s\t%s\n' "$name" 0.0 "fail (not run: out of time)" >> "$out/stages.tsv"
    failed=1
    return
  fi
  local lim=$(( limit[$name] < left ? limit[$name] : left ))
  t0=$(now_ms)
  timeout --kill-after=5 "$lim" bash -c "set -uo pipefail; $(declare -f); $(declare -p out work python build rows vocab_scale seed device precision big batches torch_batches steps warmup breakdown ten_limit torch_rows hidden bin mode); $fn" \
    > "$out/$name.log" 2>&1
  rc=$?
  case $rc in
    0) status=pass ;;
    77) status=skipped ;;
    124|137) status="fail (timed out after $lim s)" ;;
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
optimizer: {lr: 8e-4, lr_embed: 1e-4, l2: 1e-5, warmup_epochs: 1, init_stddev: 1e-2, embedding_update: all_rows}
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

# run_cuda_tests STAGE FILTER: each cuda test binary directly, with FILTER (a Catch2 test spec);
# a skip (77) is a failure here: the GPU must be visible. Binaries with no case in FILTER are left out.
run_cuda_tests() {
  local t rc t0 bad=0 n=0 name
  for t in "$build"/tests/cuda_test_*; do
    [[ -x $t && ! $t == *.cmake ]] || continue
    [[ -n $("$t" --list-test-names-only "$2" 2>/dev/null | grep -v '^$') ]] || continue
    n=$((n + 1)); name=$(basename "$t"); t0=$(now_ms)
    echo "== $name $2"
    "$t" --warn NoTests --durations yes "$2"; rc=$?
    figure "$1" "$name" "exit $rc, $(secs $(( $(now_ms) - t0 ))) s"
    [[ $rc == 0 || ( $rc == 77 && $mode == dry ) ]] || bad=1
  done
  figure "$1" binaries "$n"
  [[ $bad == 0 ]] || exit 1
  # Without a GPU the binaries can only show they start and skip; with one, none may be missing.
  [[ $mode == dry ]] && exit 77
  [[ $n -gt 0 ]] || exit 1
  exit 0
}
stage_cuda_tests() { run_cuda_tests cuda_tests '~[large]'; }
# The production-scale and 64-bit-index cases: up to 55 GB of GPU memory each, timed apart.
stage_cuda_large() { run_cuda_tests cuda_large '[large]'; }

# The data's figures, whether it was made now or reused.
data_figures() {
  figure data train_rows "$(json_get "$work/data/meta.json" rows.train)"
  figure data test_rows "$(json_get "$work/data/meta.json" rows.test)"
  figure data table_rows "$(json_get "$work/data/meta.json" total_vocab_size)"
}

# Criteo-shaped rows straight into preprocess through a pipe: no text file on disk.
stage_data() {
  # The stamp says what the data in WORK is; --quick takes any full-cardinality set a run left.
  local want="rows $rows vocab_scale $vocab_scale seed $seed" have=""
  [[ -f $work/data.stamp && -f $work/data/meta.json ]] && have=$(cat "$work/data.stamp")
  if [[ -n $have && ( $have == "$want" || ( $mode == quick && $have == *"vocab_scale $vocab_scale seed $seed" ) ) ]]; then
    echo "reusing $work/data ($have)"; figure data reused "$have"; data_figures; return 0
  fi
  rm -rf "$work/data" "$work/data.stamp"
  local t0; t0=$(now_ms)
  "$bin" synth --dataset criteo --rows "$rows" --vocab-scale "$vocab_scale" --seed "$seed" --output /dev/stdout |
    "$bin" preprocess --quiet --dataset criteo --input /dev/stdin --output "$work/data" || exit 1
  echo "$want" > "$work/data.stamp"
  figure data seconds "$(secs $(( $(now_ms) - t0 )))"
  data_figures
}

stage_bench() {
  local points="deepfm@$big" m b
  if [[ $mode != quick ]]; then
    for m in lr fm wdl dcn dcnv2 dlrm; do points+=",$m@$big"; done
    for b in $batches; do [[ $b == "$big" ]] || points+=",deepfm@$b"; done
  fi
  "$bin" bench --config "$(config bench deepfm "$big" 1 "")" --points "$points" --warmup "$warmup" \
    --steps "$steps" --breakdown-steps "$breakdown" --output "$out/bench.json"
}

# Ten epochs of DeepFM at the big batch in TF32, time-boxed: as many epochs as fit.
# The limit counts from the start of training: loading the splits, building the model and the
# final report come on top, hence the margin below the stage's own limit.
stage_ten() {
  local cfg rc; cfg=$(config ten deepfm "$big" 10 ", time_limit_seconds: $ten_limit")
  "$bin" --config "$cfg" --no-progress --force; rc=$?
  # metrics.csv has every finished epoch even when the run was cut short.
  cp "$work/runs/ten/metrics.csv" "$out/ten_metrics.csv" 2>/dev/null
  [[ $rc == 0 ]] || exit 1
  cp "$work/runs/ten/report.json" "$out/ten_report.json"
}

stage_torch() {
  "$python" -c "import torch" 2>/dev/null || { echo "no torch in $python"; exit 77; }
  local tdev=cuda b resolved lr lr_embed l2
  [[ $mode == dry ]] && tdev=cpu
  "$build/bench/ctr_bench_export_arrays" "$work/data" "$work/arrays" --force --max-train-rows "$torch_rows" \
    --train-only || exit 1
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
  if [[ ! -x $san ]]; then figure memcheck result "unsupported (no compute-sanitizer)"; exit 77; fi
  # The project's own kernels (cuBLAS GEMMs are NVIDIA's) at the op tests' small shapes; the
  # [large] cases live in another binary. The whole output goes to a file first, so a timeout
  # still leaves what it had printed.
  "$san" --tool memcheck --error-exitcode 3 "$build/tests/cuda_test_cuda_ops" \
    '[embedding],[table],[layers],[loss],[adam],[batch],[dense]' > "$out/memcheck_full.txt" 2>&1
  local rc=$?
  tail -40 "$out/memcheck_full.txt"
  if grep -qiE 'not supported|unsupported|Target application terminated before first instrumented API' "$out/memcheck_full.txt"; then
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
[[ $mode != quick ]] && stage cuda_large stage_cuda_large
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
