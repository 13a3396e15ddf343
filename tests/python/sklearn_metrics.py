#!/usr/bin/env python3
"""scikit-learn's AUC, logloss and gAUC of prediction files, for tests/unit/test_metrics_sklearn.cpp.

Usage: sklearn_metrics.py FILE.csv...   (each with the header prob,label,group)

Prints one JSON object per file: {"file", "rows", "auc", "logloss", "gauc", "groups_used",
"groups_skipped", "rows_used"} ("gauc" is null when no group holds both classes).

- prob is a float32 written in its shortest round-trip form; it is read back as float32 and widened
  to float64, which is what ctrtrain's metrics do with the same bits.
- logloss: ctr::log_loss clips p to [1e-7, 1 - 1e-7] in double (Keras' epsilon), so the same clip
  is applied here before sklearn's log_loss; sklearn's own clip (machine epsilon of float64 since
  1.5, its removed eps argument before) then changes nothing, so the result does not depend on the
  sklearn version.
- gAUC: rows grouped by the group key (an unsigned 64-bit integer), groups with one class skipped,
  roc_auc_score per group weighted by the group's rows (FuxiCTR / DeepCTR).
Exits 3 when numpy or scikit-learn cannot be imported.
"""
import csv
import json
import sys

try:
    import numpy as np
    from sklearn.metrics import log_loss, roc_auc_score
except ImportError as e:  # the C++ test checks first; this is for a direct call
    print(f"SKIP: cannot import numpy / scikit-learn ({e})", file=sys.stderr)
    sys.exit(3)

EPS = 1e-7  # ctr::log_loss's default clip (lib/metrics/logloss.h)


def read(path):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        if next(rows) != ["prob", "label", "group"]:
            sys.exit(f"{path}: expected the header prob,label,group")
        p, y, g = [], [], []
        for r in rows:
            p.append(float(r[0]))
            y.append(int(r[1]))
            g.append(int(r[2]))
    p = np.asarray(p, dtype=np.float32).astype(np.float64)
    return p, np.asarray(y, dtype=np.int64), np.asarray(g, dtype=np.uint64)


def gauc(p, y, g):
    order = np.argsort(g, kind="stable")
    starts = np.flatnonzero(np.diff(g[order])) + 1
    weighted, rows, used, skipped = 0.0, 0, 0, 0
    for idx in np.split(order, starts):
        yg = y[idx]
        if yg.min() == yg.max():
            skipped += 1
            continue
        used += 1
        rows += len(idx)
        weighted += len(idx) * roc_auc_score(yg, p[idx])
    return (weighted / rows if used else None), used, skipped, rows


def main(paths):
    for path in paths:
        p, y, g = read(path)
        value, used, skipped, rows = gauc(p, y, g)
        print(json.dumps({
            "file": path,
            "rows": len(p),
            "auc": roc_auc_score(y, p),
            "logloss": log_loss(y, np.clip(p, EPS, 1 - EPS), labels=[0, 1]),
            "gauc": value,
            "groups_used": used,
            "groups_skipped": skipped,
            "rows_used": rows,
        }))


if __name__ == "__main__":
    main(sys.argv[1:])
