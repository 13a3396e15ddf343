#!/usr/bin/env python3
"""Writes a sweep's flat CSV summaries and its two plots from the runs' report.json files.

Usage: plot_sweep.py OUT_DIR POINT_DIR...   (called by scripts/sweep.sh)
A POINT_DIR is one (rule, batch size) point of the sweep: a run directory (report.json), or a
`ctrtrain --seeds` directory (seeds.json lists its runs and holds their mean, sd and 95% CI).

OUT_DIR/summary.csv       one row per run: rule, batch_size, seed, model, epochs, epochs_done, the
                          resolved lr/lr_embed/l2, CowClip and the optimizer setup, valid and test
                          AUC/logloss (empty for a split the run lacks), train seconds, speed-up
                          over the rule's smallest batch with the same seed, clipped fraction, run
OUT_DIR/epochs.csv        one row per run and epoch: rule, batch_size, seed, run, then the epoch's
                          figures from report.json's epochs_detail (clipped_fraction among them)
OUT_DIR/summary_seeds.csv with seeds only: one row per point, n and the mean, sd and 95% CI of
                          test/valid AUC and logloss and of train seconds, as seeds.json has them
OUT_DIR/summary.md        with seeds only: gains an "Across seeds" section, a table per rule
OUT_DIR/auc_vs_batch.png  test AUC against batch size, one line per rule, log2 x-axis; with seeds
                          the mean over the seeds with its 95% CI as error bars
OUT_DIR/time_vs_batch.png train seconds against batch size, same axes (with seeds, the mean)
No cell holds a list: per-epoch values are rows of epochs.csv.
Needs python3-matplotlib for the plots (scripts/setup.sh --sweep installs it).
"""
import csv, json, math, os, sys

RUN_COLUMNS = ["rule", "batch_size", "seed", "model", "epochs", "epochs_done", "lr", "lr_embed", "l2", "cowclip",
               "bound_mode", "embedding_update", "loss_reduction", "init_stddev", "valid_auc", "valid_logloss",
               "test_auc", "test_logloss", "train_seconds", "speedup", "clipped_fraction", "run"]
FIGURES = [("test", "auc"), ("test", "logloss"), ("valid", "auc"), ("valid", "logloss")]
STATS = ["mean", "sd", "ci_low", "ci_high"]


def load_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"plot_sweep.py: {path}: {e} ({what})")


def load_point(d):
    """The point's runs as (report, run dir) pairs and its seeds aggregate (None for a single run)."""
    seeds_json = os.path.join(d, "seeds.json")
    if os.path.isfile(seeds_json):
        s = load_json(seeds_json, "did ctrtrain --seeds finish there?")
        runs = [(load_json(os.path.join(r["dir"], "report.json"), "did that run finish?"), r["dir"]) for r in s["runs"]]
        return {"dir": d, "runs": runs, "aggregate": s["aggregate"]}
    return {"dir": d, "runs": [(load_json(os.path.join(d, "report.json"), "did that run finish?"), d)],
            "aggregate": None}


def run_row(r, run_dir):
    h = r["hyperparameters"]
    valid, test = r.get("valid") or {}, r.get("test") or {}
    return {"rule": h["scaling_rule"], "batch_size": r["batch_size"], "seed": r["seed"], "model": r["model"],
            "epochs": r["epochs"], "epochs_done": len(r["epochs_detail"]), "lr": h["lr"], "lr_embed": h["lr_embed"],
            "l2": h["l2"], "cowclip": h["cowclip"]["enabled"], "bound_mode": h["cowclip"]["bound_mode"],
            "embedding_update": h["embedding_update"], "loss_reduction": h.get("loss_reduction", "mean"),
            "init_stddev": h["init_stddev"], "valid_auc": valid.get("auc"), "valid_logloss": valid.get("logloss"),
            "test_auc": test.get("auc"), "test_logloss": test.get("logloss"), "train_seconds": r["train"]["seconds"],
            "clipped_fraction": r["cowclip"]["clipped_fraction"], "run": run_dir}


def epoch_rows(r, run_dir):
    head = {"rule": r["hyperparameters"]["scaling_rule"], "batch_size": r["batch_size"], "seed": r["seed"],
            "run": run_dir}
    # Scalars only, so the file stays flat whatever epochs_detail gains.
    return [dict(head, **{k: v for k, v in e.items() if not isinstance(v, (list, dict))}) for e in r["epochs_detail"]]


def write_csv(path, rows, columns=None):
    if columns is None:  # every key, in the order first seen
        columns = list(dict.fromkeys(k for row in rows for k in row))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")  # not the csv module's \r\n
        w.writeheader()
        w.writerows(rows)


def point_row(p):
    first = p["runs"][0][0]
    a = p["aggregate"]
    row = {"rule": first["hyperparameters"]["scaling_rule"], "batch_size": first["batch_size"],
           "model": first["model"], "epochs": first["epochs"], "n": a["n"]}
    for split, metric in FIGURES:
        s = (a.get(split) or {}).get(metric) or {}
        for k in STATS:
            row[f"{split}_{metric}_{k}"] = s.get(k)
    for k in STATS:
        row[f"train_seconds_{k}"] = a["train_seconds"].get(k)
    row["dir"] = p["dir"]
    return row


def cell(v, spec):
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def seeds_markdown(prows):
    """The "Across seeds" section of summary.md: a table per rule, rows by batch size."""
    valid = any(x["valid_auc_mean"] is not None for x in prows)
    out = ["", "## Across seeds", "",
           "Per batch size: the mean over the seeds, the sample standard deviation (sd) and the 95% confidence "
           "interval of the mean (Student's t, n - 1 degrees of freedom), from each point's seeds.json; the "
           "point's seeds.md lists its runs.", ""]
    for rule in sorted({x["rule"] for x in prows}):
        rs = sorted((x for x in prows if x["rule"] == rule), key=lambda x: x["batch_size"])
        out += [f"### scaling rule: {rule} ({rs[0]['model']}, {rs[0]['epochs']} epoch{'' if rs[0]['epochs'] == 1 else 's'})", ""]
        cols = ["batch", "seeds", "test AUC", "sd", "95% CI", "test logloss", "sd", "95% CI"]
        cols += ["valid AUC", "sd", "95% CI"] if valid else []
        out += ["| " + " | ".join(cols + ["train s", "dir"]) + " |", "|" + "---|" * (len(cols) + 2)]
        for x in rs:
            cells = [str(x["batch_size"]), str(x["n"])]
            for split, metric in FIGURES[:3] if valid else FIGURES[:2]:
                k = f"{split}_{metric}"
                ci = ("n/a" if x[k + "_ci_low"] is None else
                      f"[{cell(x[k + '_ci_low'], '.5f')}, {cell(x[k + '_ci_high'], '.5f')}]")
                cells += [cell(x[k + "_mean"], ".5f"), cell(x[k + "_sd"], ".5f"), ci]
            cells += [cell(x["train_seconds_mean"], ".1f"), x["dir"]]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out) + "\n"


def plot(points, out_dir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("plot_sweep.py: matplotlib is missing; run scripts/setup.sh --sweep (Debian's python3-matplotlib)")
    seeded = [p for p in points if p["aggregate"]]
    n = seeded[0]["aggregate"]["n"] if seeded else 1
    for split_metric, ylabel, name in [(("test", "auc"), "test AUC", "auc_vs_batch.png"),
                                       (None, "train seconds", "time_vs_batch.png")]:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        series = {}
        for p in points:
            r = p["runs"][0][0]
            if p["aggregate"]:
                a = p["aggregate"]
                s = a["train_seconds"] if split_metric is None else (a.get(split_metric[0]) or {}).get(split_metric[1])
                y, err = (s or {}).get("mean"), (s or {}).get("half_width")
            else:
                y = r["train"]["seconds"] if split_metric is None else (r.get("test") or {}).get("auc")
                err = None
            if y is not None:
                series.setdefault(r["hyperparameters"]["scaling_rule"], []).append((r["batch_size"], y, err or 0.0))
        for i, rule in enumerate(sorted(series)):
            pts = sorted(series[rule])
            xs, ys, es = [q[0] for q in pts], [q[1] for q in pts], [q[2] for q in pts]
            if seeded:
                # Each rule's bars a little to the side on the log axis, so overlapping intervals stay readable.
                shift = 2 ** (0.04 * (i - (len(series) - 1) / 2))
                ax.errorbar([x * shift for x in xs], ys, yerr=es, marker="o", capsize=3, label=rule)
            else:
                ax.plot(xs, ys, marker="o", label=rule)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("batch size")
        ax.set_ylabel(f"{ylabel}, mean of {n} seeds" + (" (95% CI)" if n > 1 else "") if seeded else ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend(title="scaling rule")
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, name), dpi=120)
        plt.close(fig)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: plot_sweep.py OUT_DIR POINT_DIR...")
    out_dir = sys.argv[1]
    points = [load_point(d) for d in sys.argv[2:]]
    rows = [run_row(r, d) for p in points for r, d in p["runs"]]
    rows.sort(key=lambda x: (x["rule"], x["batch_size"], x["seed"]))
    base = {}  # the rule's smallest batch, per seed, so each speed-up compares like with like
    for x in rows:
        base.setdefault((x["rule"], x["seed"]), x["train_seconds"])
        x["speedup"] = base[(x["rule"], x["seed"])] / x["train_seconds"] if x["train_seconds"] > 0 else ""
    write_csv(os.path.join(out_dir, "summary.csv"), rows, RUN_COLUMNS)
    write_csv(os.path.join(out_dir, "epochs.csv"),
              [e for p in points for r, d in p["runs"] for e in epoch_rows(r, d)])
    prows = [point_row(p) for p in points if p["aggregate"]]
    if prows:
        prows.sort(key=lambda x: (x["rule"], x["batch_size"]))
        write_csv(os.path.join(out_dir, "summary_seeds.csv"), prows)
        with open(os.path.join(out_dir, "summary.md"), "a") as f:
            f.write(seeds_markdown(prows))
    plot(points, out_dir)


if __name__ == "__main__":
    main()
