#!/usr/bin/env bash
# Data-pipeline benchmark: preprocess speed and peak memory on a 5M-row synthetic Criteo file,
# reader rows/s (1 thread and all threads), and the pandas reference pipeline on the same file.
# Writes its figures into docs/benchmarks.md between the bench_data markers.
# Each pipeline runs BENCH_RUNS times (default 3) and the run with the median time is reported:
# on a shared VM one run can be 30% off either way.
# Usage: scripts/bench_data.sh [ROWS]   (default 5000000; needs ~6 GB of free disk in $BENCH_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
rows=${1:-5000000}
work=${BENCH_DIR:-/tmp/ctrtrain-bench}
runs=${BENCH_RUNS:-3}
scripts/setup.sh --bench
scripts/build.sh >/dev/null
bin=build/app/ctrtrain
rm -rf "$work" && mkdir -p "$work"

timed() {  # timed NAME OUT CMD...: runs CMD (which writes OUT) $runs times under GNU time, removing
           # OUT before each; leaves the median run's "seconds peak-RSS-KB" in $work/NAME.time
           # and every run's seconds in $work/NAME.all
  local name=$1 out=$2; shift 2
  : > "$work/$name.runs"
  for ((k = 1; k <= runs; k++)); do
    rm -rf "$out"; sync
    /usr/bin/time -f "%e %M" -o "$work/$name.one" "$@"
    cat "$work/$name.one" >> "$work/$name.runs"
  done
  sort -n "$work/$name.runs" | sed -n "$(( (runs + 1) / 2 ))p" > "$work/$name.time"
  cut -d' ' -f1 "$work/$name.runs" | paste -sd' ' > "$work/$name.all"
}
secs() { cut -d' ' -f1 "$work/$1.time"; }
rss_mb() { awk '{printf "%.0f", $2/1024}' "$work/$1.time"; }

echo "== synth $rows rows"
"$bin" synth --dataset criteo --rows "$rows" --seed 1 --output "$work/criteo.txt"
bytes=$(stat -c %s "$work/criteo.txt")
sync  # flush the freshly written input first, so its writeback does not slow the timed runs

echo "== ctrtrain preprocess"
timed ctr "$work/ctr" "$bin" preprocess --quiet --dataset criteo --input "$work/criteo.txt" --output "$work/ctr"
echo "== ctrtrain reader"
reader_1=$(build/bench/ctr_bench_reader --shards "$work/ctr/train" --batch-size 8192 --threads 1 --reader streaming --epochs 2 | tail -1)
reader_all=$(build/bench/ctr_bench_reader --shards "$work/ctr/train" --batch-size 8192 --threads 0 --reader streaming --epochs 2 | tail -1)
reader_mem=$(build/bench/ctr_bench_reader --shards "$work/ctr/train" --batch-size 8192 --threads 0 --reader memory --epochs 2 | tail -1)
echo "== pandas reference"
timed pandas "$work/pandas" /usr/bin/python3 bench/pandas_preprocess.py "$work/criteo.txt" "$work/pandas"

ctr_s=$(secs ctr); pd_s=$(secs pandas)
report=$(cat <<REPORT
<!-- bench_data:begin -->
### Data pipeline (\`scripts/bench_data.sh $rows\`)

- Machine: $(bench_machine)
- Commit: $(bench_commit)
- Input: \`ctrtrain synth --dataset criteo --rows $rows --seed 1\`, $(awk -v b="$bytes" 'BEGIN{printf "%.0f", b/1e6}') MB of plain text

| pipeline | seconds | rows/s | MB/s | peak RSS (MB) |
|---|---|---|---|---|
| ctrtrain preprocess ($(nproc) threads) | $ctr_s | $(awk -v r="$rows" -v s="$ctr_s" 'BEGIN{printf "%.0f", r/s}') | $(awk -v b="$bytes" -v s="$ctr_s" 'BEGIN{printf "%.1f", b/1e6/s}') | $(rss_mb ctr) |
| pandas read_csv + factorize + min-max | $pd_s | $(awk -v r="$rows" -v s="$pd_s" 'BEGIN{printf "%.0f", r/s}') | $(awk -v b="$bytes" -v s="$pd_s" 'BEGIN{printf "%.1f", b/1e6/s}') | $(rss_mb pandas) |

Median of $runs runs each (seconds of every run: ctrtrain $(cat "$work/ctr.all"); pandas $(cat "$work/pandas.all")).
Speed ratio ctrtrain / pandas: $(awk -v a="$pd_s" -v b="$ctr_s" 'BEGIN{printf "%.1fx", a/b}'); memory ratio: $(awk -v a="$(rss_mb ctr)" -v b="$(rss_mb pandas)" 'BEGIN{printf "%.2f", a/b}') of pandas' peak RSS.

Reader over the train shards (batch 8192, 2 epochs, \`build/bench/ctr_bench_reader\`):

- streaming, 1 thread: $reader_1
- streaming, all threads: $reader_all
- in-memory, all threads: $reader_mem
<!-- bench_data:end -->
REPORT
)
bench_write_section bench_data "$report"
echo "$report"
