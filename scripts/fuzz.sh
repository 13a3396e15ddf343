#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan, in build-sanitize/) and runs
# them on their corpora; docs/reliability.md records the figures.
# Usage: scripts/fuzz.sh [TARGET...] [--seconds S | --runs N] [--jobs J] [--save-corpus]
#   TARGET        raw_criteo raw_avazu schema shard dataset_meta vocab checkpoint config (default: all)
#   --seconds S   fuzz each target for S seconds (default 30, what CI runs)
#   --runs N      fuzz each target for N executions instead
#   --jobs J      fuzz J targets at a time, one core each (default 1)
#   --save-corpus afterwards, merge into tests/data/fuzz-corpus/TARGET the inputs that add coverage
# Each target starts from three corpora: the committed one (tests/data/fuzz-corpus/TARGET, what
# earlier campaigns found), seeds made from tests/data (scripts/fuzz_seeds.sh), and the working
# one in build-sanitize/fuzz/corpus/TARGET, where new inputs go. A finding (crash, leak, hang,
# out-of-memory) is written to build-sanitize/fuzz/findings/TARGET/ and the script exits 1: copy
# the input into tests/data/fuzz-regressions/TARGET/ (CTest replays it), fix the bug, run again.
# Per target it prints executions, coverage and findings, and appends them to
# build-sanitize/fuzz/results.tsv. Ctrl-C (SIGINT to the fuzzers) ends a long campaign early:
# what ran is recorded as "interrupted", not as a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
all_targets=(raw_criteo raw_avazu schema shard dataset_meta vocab checkpoint config)
targets=()
limit=(-max_total_time=30)
jobs=1
save_corpus=0
number() { [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: $1 needs a positive whole number, not '${2:-}'" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) number "$1" "${2:-}"; limit=(-max_total_time="$2"); shift 2 ;;
    --runs) number "$1" "${2:-}"; limit=(-runs="$2"); shift 2 ;;
    --jobs) number "$1" "${2:-}"; jobs=$2; shift 2 ;;
    --save-corpus) save_corpus=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# One target's campaign: its log in $work/TARGET.log, its figures in results.tsv; 1 on a finding.
fuzz_one() {
  local t=$1 committed=tests/data/fuzz-corpus/$1
  mkdir -p "$work/corpus/$t" "$work/findings/$t"
  # Only one that exists: an empty directory in the source tree would register a CTest test
  # that a fresh clone (git keeps no empty directories) does not have.
  local corpora=("$work/corpus/$t" "$work/seeds/$t")
  [[ -d $committed ]] && corpora+=("$committed")
  local cmd=("$build/tests/fuzz_$t" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
             -artifact_prefix="$work/findings/$t/" "${corpora[@]}")
  echo "fuzz.sh: ${cmd[*]}"
  local log=$work/$t.log rc=0 note=""
  "${cmd[@]}" >"$log" 2>&1 || rc=$?
  # libFuzzer's exit status after SIGINT (-interrupted_exit_code, 72 by default).
  if [[ $rc -eq 72 ]] && grep -q 'libFuzzer: run interrupted' "$log"; then rc=0; note=" (interrupted)"; fi
  local execs cov ft findings
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  findings=$(find "$work/findings/$t" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$(git rev-parse --short HEAD)" "$t" \
    "${execs:-0}" "${cov:-0}" "${ft:-0}" "$findings" "scripts/fuzz.sh $t ${limit[*]}$note" >>"$work/results.tsv"
  echo "fuzz.sh: $t: ${execs:-0} executions, coverage ${cov:-0} edges, ${ft:-0} features, $findings findings$note"
  if [[ $rc -ne 0 || $findings -ne 0 ]]; then
    echo "fuzz.sh: $t FAILED (exit $rc); the log's last lines ($log):" >&2
    tail -40 "$log" >&2
    return 1
  fi
  if [[ $save_corpus -eq 1 ]]; then
    mkdir -p "$committed"
    "$build/tests/fuzz_$t" -merge=1 "$committed" "$work/corpus/$t" >"$work/$t.merge.log" 2>&1
    echo "fuzz.sh: $t: tests/data/fuzz-corpus/$t holds $(find "$committed" -type f | wc -l) inputs"
  fi
}

failed=0
running=0
for t in "${targets[@]}"; do
  if [[ $running -ge $jobs ]]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
while [[ $running -gt 0 ]]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit $failed
