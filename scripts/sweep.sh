#!/usr/bin/env bash
# Batch-size sweep: trains BASE.yaml at every (scaling rule, batch size), then writes
# DIR/summary.md (`ctrtrain report`: a table per rule), DIR/summary.csv (a row per run),
# DIR/epochs.csv (a row per run and epoch), DIR/auc_vs_batch.png and DIR/time_vs_batch.png
# (scripts/plot_sweep.py). CowClip is on for the cowclip rule only, unless a
# --set cowclip.enabled=... says otherwise. A run that already has its report.json is skipped,
# so an interrupted sweep resumes where it stopped.
# --seeds 1,2,3: each point once per seed (ctrtrain --seeds into DIR/RULE/BATCH/seed-S), and the
# mean, sd and 95% CI per point in DIR/summary_seeds.csv, summary.md and the plots' error bars; a
# point whose seeds.json has the same seeds is skipped, one without is trained again whole.
#
# Usage: scripts/sweep.sh --config BASE.yaml --batch-sizes 1024,2048,...,131072
#                         [--rules cowclip,sqrt,linear,none] [--seeds 1,2,3] [--set KEY=VALUE ...] [--out DIR]
# Relative --config and --out paths are the caller's: they resolve against the directory the
# script is run from (the default --out is runs/sweep_BASE there).
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."

# --help: the usage on stdout, exit 0; a usage error: on stderr, exit 2.
usage() {
  # The comment block at the top of this file, whatever its length.
  local text
  text=$(awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0")
  if [[ ${1:-error} == help ]]; then echo "$text"; exit 0; fi
  echo "$text" >&2
  exit 2
}
config="" batches="" rules="cowclip,sqrt,linear,none" seeds="" out="" sets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --config) config=${2:?--config needs a file}; shift 2 ;;
    --batch-sizes) batches=${2:?--batch-sizes needs a list}; shift 2 ;;
    --rules) rules=${2:?--rules needs a list}; shift 2 ;;
    --seeds) seeds=${2?--seeds needs a list}; seeds=${seeds// /}; [[ -n $seeds ]] || { echo "sweep.sh: --seeds: the list is empty" >&2; exit 2; }; shift 2 ;;
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
declare -A seen_seed=()
for s in ${seeds//,/ }; do
  [[ $s =~ ^[0-9]+$ ]] || { echo "sweep.sh: --seeds: '$s' is not a non-negative integer" >&2; exit 2; }
  [[ -z ${seen_seed[$s]:-} ]] || { echo "sweep.sh: --seeds: seed $s is given twice" >&2; exit 2; }
  seen_seed[$s]=1
done
[[ -z $seeds || ( $seeds != ,* && $seeds != *, && $seeds != *,,* ) ]] || { echo "sweep.sh: --seeds $seeds: an entry is empty" >&2; exit 2; }
for s in "${sets[@]}"; do
  [[ -n $seeds && $s == train.seed=* ]] && { echo "sweep.sh: --seeds sets train.seed of each run; leave out --set $s" >&2; exit 2; }
done
scripts/setup.sh --sweep
bin=${CTRTRAIN:-build/app/ctrtrain}
if [[ -z ${CTRTRAIN:-} ]]; then scripts/build.sh >/dev/null; fi
user_sets_clip=0
for s in "${sets[@]}"; do [[ $s == cowclip.enabled=* ]] && user_sets_clip=1; done

# The seeds a finished `ctrtrain --seeds` point holds, comma-separated ("" when none).
seeds_done() {
  [[ -f $1/seeds.json ]] || return 0
  /usr/bin/python3 -c 'import json, sys; print(",".join(str(s) for s in json.load(open(sys.argv[1]))["seeds"]))' "$1/seeds.json"
}

mkdir -p "$out"
points=() runs=()
for rule in ${rules//,/ }; do
  for b in ${batches//,/ }; do
    dir="$out/$rule/$b"
    points+=("$dir")
    seed_args=()
    if [[ -n $seeds ]]; then
      for s in ${seeds//,/ }; do runs+=("$dir/seed-$s"); done
      done_before=$(seeds_done "$dir" 2>/dev/null || true)  # a damaged seeds.json: train again
      if [[ $done_before == "$seeds" ]]; then
        echo "== $rule, batch $b: seeds $seeds done before, skipped ($dir/seeds.json)"
        continue
      fi
      [[ -n $done_before ]] && echo "== $rule, batch $b: $dir/seeds.json has seeds $done_before, not $seeds: training again"
      seed_args=(--seeds "$seeds")
    else
      runs+=("$dir")
      if [[ -f $dir/report.json ]]; then
        echo "== $rule, batch $b: done before, skipped ($dir/report.json)"
        continue
      fi
    fi
    clip=()
    [[ $user_sets_clip -eq 0 ]] && clip=(--set "cowclip.enabled=$([[ $rule == cowclip ]] && echo true || echo false)")
    echo "== $rule, batch $b${seeds:+, seeds $seeds} -> $dir"
    "$bin" --config "$config" --no-progress --force "${seed_args[@]}" --set "name=${rule}_$b" \
      --set "scaling.rule=$rule" --set "train.batch_size=$b" --set "output.dir=$(realpath -m "$dir")" "${clip[@]}" \
      "${sets[@]}" | tail -1
  done
done

"$bin" report "${runs[@]}" --output "$out/summary.md" > /dev/null
/usr/bin/python3 scripts/plot_sweep.py "$out" "${points[@]}"
echo "sweep: $out/summary.md, $out/summary.csv, $out/epochs.csv,${seeds:+ $out/summary_seeds.csv,} $out/auc_vs_batch.png," \
  "$out/time_vs_batch.png"
