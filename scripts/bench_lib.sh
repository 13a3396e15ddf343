# Shared helpers for scripts/bench_*.sh (sourced, not run): machine/commit lines and the rewrite
# of one marked section of docs/benchmarks.md.

bench_machine() {
  echo "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, no GPU"
}

bench_commit() {
  echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- lib app || echo " (with uncommitted changes)"), $(date -u +%Y-%m-%d)"
}

# bench_write_section NAME TEXT: replaces <!-- NAME:begin --> ... <!-- NAME:end --> (TEXT carries
# the markers) in docs/benchmarks.md, or appends TEXT when the section is new.
bench_write_section() {
  python3 - docs/benchmarks.md "$1" "$2" <<'PY'
import re, sys
path, name, block = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
pat = re.compile(r"<!-- %s:begin -->.*?<!-- %s:end -->" % (name, name), re.S)
text = pat.sub(lambda _: block, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + block + "\n"
open(path, "w").write(text)
PY
}
