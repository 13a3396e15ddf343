#!/usr/bin/env bash
# Makes the fuzz targets' seed corpora from tests/data (for scripts/fuzz.sh): raw rows in pieces
# (plain, gzip, zstd), the shipped schemas with rows, the shards, meta.json and vocabulary files
# preprocess writes from them, a checkpoint of a short run on them, and the shipped configs.
# Made once; delete OUT to remake.
# Usage: scripts/fuzz_seeds.sh CTRTRAIN OUT
set -euo pipefail
cd "$(dirname "$0")/.."
ctrtrain=${1:?usage: fuzz_seeds.sh CTRTRAIN OUT}
out=${2:?usage: fuzz_seeds.sh CTRTRAIN OUT}
[[ -f $out/.complete ]] && exit 0
rm -rf "$out"
mkdir -p "$out"/{raw_criteo,raw_avazu,schema,shard,dataset_meta,vocab,checkpoint,config}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Raw rows: 20 pieces of 10 rows each; Avazu's keep their header line. One of each compressed.
split -l 10 -d tests/data/criteo_sample.txt "$out/raw_criteo/rows-"
tail -n +2 tests/data/avazu_sample.csv | split -l 10 -d - "$tmp/avazu-"
for f in "$tmp"/avazu-*; do
  { head -1 tests/data/avazu_sample.csv; cat "$f"; } >"$out/raw_avazu/$(basename "$f")"
done
gzip -c "$out/raw_criteo/rows-00" >"$out/raw_criteo/rows-00.gz"
zstd -q -c "$out/raw_criteo/rows-01" >"$out/raw_criteo/rows-01.zst"
gzip -c "$out/raw_avazu/avazu-00" >"$out/raw_avazu/avazu-00.gz"
zstd -q -c "$out/raw_avazu/avazu-01" >"$out/raw_avazu/avazu-01.zst"

# Schemas, each followed by a NUL byte and rows in its layout (fuzz_schema's input).
{ cat configs/schemas/example_clicks.yaml; printf '\0'; head -40 tests/data/clicks_sample.csv; } >"$out/schema/clicks"
{ cat configs/schemas/criteo.yaml; printf '\0'; head -10 tests/data/criteo_sample.txt; } >"$out/schema/criteo"
{ cat configs/schemas/avazu.yaml; printf '\0'; head -10 tests/data/avazu_sample.csv; } >"$out/schema/avazu"
cp configs/schemas/example_clicks.yaml "$out/schema/clicks-schema-only"

# Datasets: small shards (several row groups), train, valid and test splits.
for kind in criteo avazu; do
  input=tests/data/criteo_sample.txt
  [[ $kind == avazu ]] && input=tests/data/avazu_sample.csv
  "$ctrtrain" preprocess --quiet --dataset $kind --input $input --output "$tmp/$kind" --valid-ratio 0.1 \
    --shard-rows 64 --threads 1 >/dev/null
  cp "$tmp/$kind/meta.json" "$out/dataset_meta/$kind-meta.json"
  for s in "$tmp/$kind"/*/*.ctrs; do cp "$s" "$out/shard/$kind-$(basename "$(dirname "$s")")-$(basename "$s")"; done
  # fuzz_vocab's input: a case byte, then the text (0x00: compressed by the target) or the file (0x80).
  for field in C1 C2 C14; do
    v="$tmp/$kind/vocab/$field.tsv.zst"
    [[ -f $v ]] || continue
    { printf '\x00'; zstd -q -d -c "$v"; } >"$out/vocab/$kind-$field-text"
    { printf '\x80'; cat "$v"; } >"$out/vocab/$kind-$field-file"
  done
done

# A checkpoint of a short run (a small model, so each fuzz input stays small).
cat >"$tmp/ckpt.yaml" <<EOF
name: seed
data: {path: $tmp/criteo}
model: {type: deepfm, embedding_dim: 2, hidden: [4]}
train: {batch_size: 64, epochs: 1, seed: 1, threads: 1}
output: {dir: $tmp/run}
EOF
"$ctrtrain" --config "$tmp/ckpt.yaml" --no-progress --quiet >/dev/null
cp "$tmp/run/checkpoint.ckpt" "$out/checkpoint/checkpoint.ckpt"

# Configs: every shipped one, and one with --set overrides after the NUL byte.
cp configs/*.yaml "$out/config/"
for f in configs/models/*.yaml; do cp "$f" "$out/config/models-$(basename "$f")"; done
{ cat configs/quickstart.yaml; printf '\0train.batch_size=8192\nmodel.type=dcn\noptimizer.lr=1e-3'; } \
  >"$out/config/quickstart-with-set"
touch "$out/.complete"
