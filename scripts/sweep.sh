#!/usr/bin/env bash
# Batch-size sweep: trains BASE.yaml at every (scaling rule, batch size), then writes
# DIR/summary.md (`ctrtrain report`: a table per rule), DIR/summary.csv, DIR/auc_vs_batch.png and
# DIR/time_vs_batch.png (scripts/plot_sweep.py). CowClip is on for the cowclip rule only, unless
# a --set cowclip.enabled=... says otherwise. A run that already has its report.json is skipped,
# so an interrupted sweep resumes where it stopped.
#
# Usage: scripts/sweep.sh --config BASE.yaml --batch-sizes 1024,2048,...,131072
#                         [--rules cowclip,sqrt,linear,none] [--set KEY=VALUE ...] [--out DIR]
# Relative --config and --out paths are the caller's: they resolve against the directory the
# script is run from (the default --out is runs/sweep_BASE there).
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."

# --help: the usage on stdout, exit 0; a usage error: on stderr, exit 2.
usage() {
  if [[ ${1:-error} == help ]]; then sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
config="" batches="" rules="cowclip,sqrt,linear,none" out="" sets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --config) config=${2:?--config needs a file}; shift 2 ;;
    --batch-sizes) batches=${2:?--batch-sizes needs a list}; shift 2 ;;
    --rules) rules=${2:?--rules needs a list}; shift 2 ;;
    --set) sets+=(--set "${2:?--set needs KEY=VALUE}"); shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) usage help ;;
    *) echo "sweep.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ -n $config && -n $batches ]] || { echo "sweep.sh: --config and --batch-sizes are required" >&2; usage; }
out=${out:-runs/sweep_$(basename "$config" .yaml)}
[[ $config == /* ]] || config=$caller/$config
[[ $out == /* ]] || out=$caller/$out
[[ -f $config ]] || { echo "sweep.sh: --config $config: no such file" >&2; exit 2; }
for b in ${batches//,/ }; do
  [[ $b =~ ^[1-9][0-9]*$ ]] || { echo "sweep.sh: --batch-sizes: '$b' is not a positive integer" >&2; exit 2; }
done
for r in ${rules//,/ }; do
  case "$r" in cowclip|sqrt|linear|none) ;; *) echo "sweep.sh: --rules: '$r' is not one of cowclip, sqrt, linear, none" >&2; exit 2 ;; esac
done
scripts/setup.sh --sweep
bin=${CTRTRAIN:-build/app/ctrtrain}
if [[ -z ${CTRTRAIN:-} ]]; then scripts/build.sh >/dev/null; fi
user_sets_clip=0
for s in "${sets[@]}"; do [[ $s == cowclip.enabled=* ]] && user_sets_clip=1; done

mkdir -p "$out"
dirs=()
for rule in ${rules//,/ }; do
  for b in ${batches//,/ }; do
    dir="$out/$rule/$b"
    dirs+=("$dir")
    if [[ -f $dir/report.json ]]; then
      echo "== $rule, batch $b: done before, skipped ($dir/report.json)"
      continue
    fi
    clip=()
    [[ $user_sets_clip -eq 0 ]] && clip=(--set "cowclip.enabled=$([[ $rule == cowclip ]] && echo true || echo false)")
    echo "== $rule, batch $b -> $dir"
    "$bin" --config "$config" --no-progress --force --set "name=${rule}_$b" --set "scaling.rule=$rule" \
      --set "train.batch_size=$b" --set "output.dir=$(realpath -m "$dir")" "${clip[@]}" "${sets[@]}" | tail -1
  done
done

"$bin" report "${dirs[@]}" --output "$out/summary.md" > /dev/null
/usr/bin/python3 scripts/plot_sweep.py "$out" "${dirs[@]}"
echo "sweep: $out/summary.md, $out/summary.csv, $out/auc_vs_batch.png, $out/time_vs_batch.png"
