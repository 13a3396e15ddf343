#!/usr/bin/env python3
"""Writes a sweep's summary.csv and its two plots from the runs' report.json files.

Usage: plot_sweep.py OUT_DIR RUN_DIR...   (called by scripts/sweep.sh)
OUT_DIR/summary.csv      one row per run: rule, batch, resolved lr/lr_embed/l2, CowClip, AUC, logloss,
                         train seconds, speed-up over the rule's smallest batch, clipped fraction
                         (whole run, and per epoch separated by ';')
OUT_DIR/auc_vs_batch.png test AUC against batch size, one line per rule, log2 x-axis
OUT_DIR/time_vs_batch.png train seconds against batch size, same axes
Needs python3-matplotlib (scripts/setup.sh --sweep installs it).
"""
import csv, json, os, sys

out_dir, run_dirs = sys.argv[1], sys.argv[2:]
rows = []
for d in run_dirs:
    path = os.path.join(d, "report.json")
    try:
        r = json.load(open(path))
    except (OSError, ValueError) as e:
        sys.exit(f"plot_sweep.py: {path}: {e} (did that run finish?)")
    h = r["hyperparameters"]
    rows.append({"rule": h["scaling_rule"], "batch_size": r["batch_size"], "lr": h["lr"], "lr_embed": h["lr_embed"],
                 "l2": h["l2"], "cowclip": h["cowclip"]["enabled"], "bound_mode": h["cowclip"]["bound_mode"],
                 "embedding_update": h["embedding_update"], "loss_reduction": h.get("loss_reduction", "mean"),
                 "init_stddev": h["init_stddev"], "test_auc": r["test"]["auc"],
                 "test_logloss": r["test"]["logloss"], "train_seconds": r["train"]["seconds"],
                 "clipped_fraction": r["cowclip"]["clipped_fraction"],
                 "clipped_fraction_by_epoch": ";".join(f'{e["clipped_fraction"]:.3g}' for e in r["epochs_detail"]),
                 "run": d})
rows.sort(key=lambda x: (x["rule"], x["batch_size"]))
base = {}
for x in rows:
    base.setdefault(x["rule"], x["train_seconds"])
    x["speedup"] = base[x["rule"]] / x["train_seconds"] if x["train_seconds"] > 0 else ""
with open(os.path.join(out_dir, "summary.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("plot_sweep.py: matplotlib is missing; run scripts/setup.sh --sweep (Debian's python3-matplotlib)")

for key, ylabel, name in [("test_auc", "test AUC", "auc_vs_batch.png"), ("train_seconds", "train seconds", "time_vs_batch.png")]:
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for rule in sorted({x["rule"] for x in rows}):
        pts = [(x["batch_size"], x[key]) for x in rows if x["rule"] == rule]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=rule)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(title="scaling rule")
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, name), dpi=120)
    plt.close(fig)
