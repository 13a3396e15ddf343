#!/usr/bin/python3
"""The reference preprocessing approach, for scripts/bench_data.sh to compare against.

What the CowClip authors' (DeepCTR-style) pipeline does with Criteo: pandas read_csv of the raw
TSV, categorical missing -> "-1", label-encode every categorical field over the whole file, dense
missing -> 0, then min-max to [0, 1]. The encoded arrays are saved with numpy so the work is not
optimised away. Usage: pandas_preprocess.py INPUT.txt OUTPUT_DIR
"""
import os
import sys
import time

import numpy as np
import pandas as pd


def main():
    src, out = sys.argv[1], sys.argv[2]
    t0 = time.time()
    dense = [f"I{i}" for i in range(1, 14)]
    cat = [f"C{i}" for i in range(1, 27)]
    df = pd.read_csv(src, sep="\t", header=None, names=["label"] + dense + cat)
    df[cat] = df[cat].fillna("-1")
    df[dense] = df[dense].fillna(0)
    for c in cat:  # LabelEncoder semantics: ids in sorted order of the values
        df[c] = pd.factorize(df[c], sort=True)[0].astype(np.uint32)
    lo, hi = df[dense].min(), df[dense].max()
    df[dense] = ((df[dense] - lo) / (hi - lo).replace(0, 1)).astype(np.float32)
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "label.npy"), df["label"].to_numpy(np.float32))
    np.save(os.path.join(out, "dense.npy"), df[dense].to_numpy(np.float32))
    np.save(os.path.join(out, "cat.npy"), df[cat].to_numpy(np.uint32))
    print(f"pandas: {len(df)} rows in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
