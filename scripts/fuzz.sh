#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan, in build-sanitize/) and runs
# them on their corpora, seeded from tests/data; docs/reliability.md records the figures.
# Usage: scripts/fuzz.sh [TARGET...] [--seconds S | --runs N]
#   TARGET      raw_criteo raw_avazu shard dataset_meta vocab checkpoint config (default: all)
#   --seconds S fuzz each target for S seconds (default 30, what CI runs)
#   --runs N    fuzz each target for N executions instead
# Corpora grow in build-sanitize/fuzz/corpus/TARGET between runs. A finding (crash, leak, hang,
# out-of-memory) is written to build-sanitize/fuzz/findings/TARGET/ and the script exits 1: copy the
# input into tests/data/fuzz-regressions/TARGET/ (CTest replays it), fix the bug, run again.
# Per target it prints executions, coverage and findings, and appends them to
# build-sanitize/fuzz/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
all_targets=(raw_criteo raw_avazu shard dataset_meta vocab checkpoint config)
targets=()
limit=(-max_total_time=30)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) limit=(-max_total_time="${2:?--seconds needs a number}"); shift 2 ;;
    --runs) limit=(-runs="${2:?--runs needs a number}"); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *)
      [[ " ${all_targets[*]} " == *" $1 "* ]] || { echo "fuzz.sh: unknown target '$1' (expected one of: ${all_targets[*]})" >&2; exit 2; }
      targets+=("$1"); shift ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")

build=build-sanitize
scripts/setup.sh --fuzz >/dev/null
CC=clang CXX=clang++ BUILD_DIR=$build BUILD_TYPE=RelWithDebInfo scripts/build.sh -DCTR_FUZZ=ON -DCTR_CUDA=OFF \
  -DCTR_BUILD_BENCH=OFF
grep -q '^CTR_FUZZ:BOOL=ON' $build/CMakeCache.txt || {
  echo "fuzz.sh: $build was configured without CTR_FUZZ=ON; remove it and run again" >&2; exit 1; }
work=$build/fuzz
scripts/fuzz_seeds.sh "$build/app/ctrtrain" "$work/seeds"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
[[ -f $work/results.tsv ]] || printf 'date\tcommit\ttarget\texecutions\tcoverage\tfeatures\tfindings\tcommand\n' >$work/results.tsv
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t" "$work/findings/$t"
  cmd=("$build/tests/fuzz_$t" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
       -artifact_prefix="$work/findings/$t/" "$work/corpus/$t" "$work/seeds/$t")
  echo "fuzz.sh: ${cmd[*]}"
  log=$work/$t.log
  rc=0
  "${cmd[@]}" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  findings=$(find "$work/findings/$t" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$(git rev-parse --short HEAD)" "$t" \
    "${execs:-0}" "${cov:-0}" "${ft:-0}" "$findings" "scripts/fuzz.sh $t ${limit[*]}" >>"$work/results.tsv"
  echo "fuzz.sh: $t: ${execs:-0} executions, coverage ${cov:-0} edges, ${ft:-0} features, $findings findings"
  if [[ $rc -ne 0 || $findings -ne 0 ]]; then
    echo "fuzz.sh: $t FAILED (exit $rc); the log's last lines ($log):" >&2
    tail -40 "$log" >&2
    failed=1
  fi
done
exit $failed
