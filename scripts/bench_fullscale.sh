#!/usr/bin/env bash
# Full-size data check: synthesizes a raw file the size of the real one (Criteo's train.txt:
# 45,840,617 rows, ~11.6 GB; or Avazu's train: 40,428,967 rows, ~6.3 GB; the real
# cardinalities), preprocesses it under GNU time (wall time, peak RSS) and verifies the output.
# Shows that the real files preprocess within this machine's memory. Needs ~20 GB of disk.
# Writes its figures into docs/benchmarks.md between the bench_fullscale (Criteo) or
# bench_fullscale_avazu markers.
# Usage: scripts/bench_fullscale.sh [criteo|avazu] [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
dataset=${1:-criteo}
case "$dataset" in
  criteo) rows=${2:-45840617}; seed=7; section=bench_fullscale; title="Criteo's train.txt"; ext=txt ;;
  avazu) rows=${2:-40428967}; seed=8; section=bench_fullscale_avazu; title="Avazu's train"; ext=csv ;;
  *) echo "usage: scripts/bench_fullscale.sh [criteo|avazu] [ROWS]" >&2; exit 2 ;;
esac
work=${BENCH_DIR:-/tmp/ctrtrain-fullscale}
scripts/setup.sh --bench
scripts/build.sh >/dev/null
bin=build/app/ctrtrain
rm -rf "$work" && mkdir -p "$work"
"$bin" synth --dataset "$dataset" --rows "$rows" --seed "$seed" --output "$work/train.$ext" 2>&1 | tee "$work/synth.log"
sync
/usr/bin/time -f "%e %M" -o "$work/pp.time" "$bin" preprocess --dataset "$dataset" --input "$work/train.$ext" --output "$work/data" | tee "$work/pp.log"
/usr/bin/time -f "%e %M" -o "$work/verify.time" "$bin" inspect "$work/data" --verify | tail -1 | tee "$work/verify.log"
read -r pp_s pp_kb < "$work/pp.time"
read -r v_s v_kb < "$work/verify.time"
bytes=$(stat -c %s "$work/train.$ext")
fields=$(grep -o 'vocabulary: [0-9]* fields' "$work/pp.log" | grep -o '[0-9]*')
report=$(cat <<REPORT
<!-- $section:begin -->
### Full-size preprocessing, $dataset (\`scripts/bench_fullscale.sh $dataset $rows\`)

- Machine: $(bench_machine)
- Commit: $(bench_commit)
- Input: \`ctrtrain synth --dataset $dataset --rows $rows --seed $seed\`: $(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e9}') GB of raw text, the size of $title

| step | wall seconds | peak RSS (MB) | result |
|---|---|---|---|
| preprocess ($(nproc) threads) | $pp_s | $((pp_kb / 1024)) | $(grep -o '[0-9.]*M ids in total' "$work/pp.log") over $fields fields; $(awk -v r="$rows" -v b="$bytes" -v s="$pp_s" 'BEGIN{printf "%.0f rows/s, %.0f MB/s", r/s, b/1e6/s}') |
| inspect --verify | $v_s | $((v_kb / 1024)) | $(cat "$work/verify.log") |
<!-- $section:end -->
REPORT
)
bench_write_section "$section" "$report"
echo "$report"
rm -rf "$work"
