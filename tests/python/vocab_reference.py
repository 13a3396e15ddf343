#!/usr/bin/env python3
"""An independent count of a Criteo-layout dataset's vocabularies, checked against ctrtrain's.

Usage: vocab_reference.py --dataset DIR --train FILE... [--other FILE...] [--min-count M] [--max-vocab N]

Reads the raw files (plain or gzip; tab-separated, label, 13 dense, 26 categorical columns) with
nothing but the standard library, and counts each categorical field's values the way
docs/preprocess.md says preprocess does: --train files' rows are the train split; --other files'
rows (valid and test) count towards the values seen but not towards --min-count or --max-vocab.
The kept values are those seen at least M times in train (all values when M is 1), then the N
most frequent in train (ties: the smaller value, in byte order), listed in byte order with their
count over all files. Compares them with DIR/vocab/<field>.tsv.zst (through the zstd program) and
DIR/meta.json's vocab_sizes; prints OK, or each difference and exits 1.
"""

import argparse
import collections
import gzip
import json
import os
import subprocess
import sys

FIELDS = [f"C{i}" for i in range(1, 27)]


def rows(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        for line in f:
            cols = line.rstrip(b"\n").split(b"\t")
            yield cols[14:40]


def expected(args):
    train = [collections.Counter() for _ in FIELDS]
    total = [collections.Counter() for _ in FIELDS]
    for group, is_train in ((args.train, True), (args.other, False)):
        for path in group:
            for cats in rows(path):
                for f, v in enumerate(cats):
                    total[f][v] += 1
                    if is_train:
                        train[f][v] += 1
    out = []
    for f in range(len(FIELDS)):
        kept = [v for v in total[f] if args.min_count <= 1 or train[f][v] >= args.min_count]
        if args.max_vocab and len(kept) > args.max_vocab:
            kept = sorted(kept, key=lambda v: (-train[f][v], v))[: args.max_vocab]
        out.append([(v, total[f][v]) for v in sorted(kept)])
    return out


def actual(dataset, field):
    text = subprocess.run(["zstd", "-dc", os.path.join(dataset, "vocab", field + ".tsv.zst")], check=True,
                          capture_output=True).stdout
    values = []
    for line in text.split(b"\n")[:-1]:
        value, count = line.rsplit(b"\t", 1)
        values.append((value, int(count)))
    return values


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", required=True)
    p.add_argument("--train", nargs="+", required=True)
    p.add_argument("--other", nargs="*", default=[])
    p.add_argument("--min-count", type=int, default=1)
    p.add_argument("--max-vocab", type=int, default=0)
    args = p.parse_args()
    meta = json.load(open(os.path.join(args.dataset, "meta.json")))
    problems = 0
    for f, want in enumerate(expected(args)):
        got = actual(args.dataset, FIELDS[f])
        if got != want:
            problems += 1
            print(f"{FIELDS[f]}: ctrtrain keeps {len(got)} values, the reference {len(want)}; first difference: "
                  f"{next((g, w) for g, w in zip(got + [None] * len(want), want + [None] * len(got)) if g != w)}")
        if meta["vocab_sizes"][f] != len(want) + 1:
            problems += 1
            print(f"{FIELDS[f]}: meta.json vocab_size {meta['vocab_sizes'][f]}, the reference {len(want) + 1}")
    print("OK" if problems == 0 else f"{problems} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
