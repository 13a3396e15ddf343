#!/usr/bin/env bash
# Full-size data check: synthesizes a Criteo-sized raw file (45,840,617 rows, ~11.6 GB, the real
# cardinalities), preprocesses it under GNU time (wall time, peak RSS) and verifies the output.
# Shows that the real train.txt preprocesses within this machine's memory. Needs ~20 GB of disk.
# Writes its figures into docs/benchmarks.md between the bench_fullscale markers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
rows=${1:-45840617}
work=${BENCH_DIR:-/tmp/ctrtrain-fullscale}
scripts/setup.sh --bench
scripts/build.sh >/dev/null
bin=build/app/ctrtrain
rm -rf "$work" && mkdir -p "$work"
"$bin" synth --dataset criteo --rows "$rows" --seed 7 --output "$work/train.txt" 2>&1 | tee "$work/synth.log"
sync
/usr/bin/time -f "%e %M" -o "$work/pp.time" "$bin" preprocess --dataset criteo --input "$work/train.txt" --output "$work/data" | tee "$work/pp.log"
/usr/bin/time -f "%e %M" -o "$work/verify.time" "$bin" inspect "$work/data" --verify | tail -1 | tee "$work/verify.log"
read -r pp_s pp_kb < "$work/pp.time"
read -r v_s v_kb < "$work/verify.time"
bytes=$(stat -c %s "$work/train.txt")
report=$(cat <<REPORT
<!-- bench_fullscale:begin -->
### Full-size preprocessing (\`scripts/bench_fullscale.sh $rows\`)

- Machine: $(bench_machine)
- Commit: $(bench_commit)
- Input: \`ctrtrain synth --dataset criteo --rows $rows --seed 7\`: $(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e9}') GB of raw text, the size of Criteo's train.txt

| step | wall seconds | peak RSS (MB) | result |
|---|---|---|---|
| preprocess ($(nproc) threads) | $pp_s | $((pp_kb / 1024)) | $(grep -o '[0-9.]*M ids in total' "$work/pp.log") over 26 fields; $(awk -v r="$rows" -v b="$bytes" -v s="$pp_s" 'BEGIN{printf "%.0f rows/s, %.0f MB/s", r/s, b/1e6/s}') |
| inspect --verify | $v_s | $((v_kb / 1024)) | $(cat "$work/verify.log") |
<!-- bench_fullscale:end -->
REPORT
)
bench_write_section bench_fullscale "$report"
echo "$report"
rm -rf "$work"
