#!/usr/bin/env python3
"""Turns the files one scripts/device_check.sh run left in its OUT folder into the GPU section of
docs/benchmarks.md (between <!-- bench_gpu:begin --> and <!-- bench_gpu:end -->), with the
machine, the commit and the command beside every figure, and the issue's goals side by side.

Usage: device_record.py OUT_DIR [--md docs/benchmarks.md] [--command "scripts/device_check.sh"]

Reads OUT_DIR/stages.tsv (stage, seconds, status), figures.tsv (stage, key, value), bench.json
(`ctrtrain bench --output`), ten_report.json (the time-boxed ten-epoch run's report.json; its
metrics.csv, ten_metrics.csv, when the run was cut short),
torch_BATCH.json (bench/torch_deepfm_cowclip.py) and peaks.txt (ctr_bench_gpu_peak); a missing
file leaves its table out and says so. The floor uses docs/performance.md's counts with the
measured TF32 GEMM rate and copy bandwidth of the same run.
"""
import argparse
import json
import os
import re
import sys

# docs/performance.md: DeepFM on Criteo, D = 10, DNN 400-400-400.
FIELDS, NDENSE, DIM, HIDDEN = 26, 13, 10, 400
X0 = FIELDS * DIM + NDENSE
GEMM_FLOPS_PER_SAMPLE = 6 * (X0 * HIDDEN + 2 * HIDDEN * HIDDEN + HIDDEN)
GOAL_TEN_EPOCH_S, GOAL_TORCH_X, GOAL_EPOCH_RATIO = 30.0, 10.0, 50.0


def bytes_per_step(batch, table_rows):
    table = table_rows * (DIM + 1) * 4 * 3 * 2            # w, m, v of both tables, read and written
    gather = 2 * batch * FIELDS * (DIM + 1) * 4           # rows gathered, gradients reduced
    activations = 2 * 2 * (X0 + 3 * HIDDEN) * 4 * batch   # written forward, read backward, and their gradients
    inputs = batch * (1 + NDENSE + FIELDS) * 4
    return table + gather + activations + inputs


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_tsv(path):
    rows = []
    if os.path.exists(path):
        for line in open(path):
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3:
                rows.append(parts)
    return rows


def fmt(v, spec=",.0f"):
    return "n/a" if v is None else format(v, spec)


def peaks_of(out):
    peaks = {}
    path = os.path.join(out, "peaks.txt")
    if os.path.exists(path):
        for line in open(path):
            parts = line.split()
            if len(parts) == 2:
                try:
                    peaks[parts[0]] = float(parts[1])
                except ValueError:
                    pass
    return peaks


def header_lines(stages, fig, command):
    lines = ["### GPU (`scripts/device_check.sh`)", "",
             f"- Machine: {fig.get(('info', 'gpu'), 'unknown GPU')}; host {fig.get(('info', 'cpu'), 'unknown CPU')}",
             f"- Commit: {fig.get(('info', 'commit'), 'unknown')}; command: `{command}`", "",
             "| stage | seconds | result |", "|---|---|---|"]
    lines += [f"| {name} | {secs} | {status} |" for name, secs, status in stages]
    if ("data", "train_rows") in fig:
        lines += ["", f"- Data: `ctrtrain synth --dataset criteo --rows ... | ctrtrain preprocess` through a pipe: "
                      f"{fig[('data', 'train_rows')]} train rows, {fig[('data', 'test_rows')]} test rows, "
                      f"{fig[('data', 'table_rows')]} table rows, made in {fig.get(('data', 'seconds'), 'n/a')} s"]
    if ("memcheck", "result") in fig:
        lines.append(f"- compute-sanitizer memcheck over the op tests: {fig[('memcheck', 'result')]}")
    return lines


def bench_lines(bench):
    if not bench:
        return ["", "No bench figures (the bench stage did not finish)."]
    lines = ["", f"Training step, `ctrtrain bench` on {bench['device']} (train split held in backend memory, dense embedding "
                 f"update, CowClip on; {bench['warmup_steps']} warm-up steps excluded; the breakdown comes from "
                 f"{bench['breakdown_steps']} further steps with a device wait after each phase):", "",
             "| model | batch | samples/s | ms/step | input | forward | backward | optimizer | host wait ms/step | first step s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for p in bench["points"]:
        b = p["breakdown_ms"]
        lines.append(f"| {p['model']} | {p['batch_size']} | {fmt(p['samples_per_sec'])} | {p['step_ms']:.2f} | "
                     f"{b['input']:.2f} | {b['forward']:.2f} | {b['backward']:.2f} | {b['optimizer']:.2f} | "
                     f"{p['host_wait_ms']:.3f} | {p['first_step_seconds']:.2f} |")
    return lines


def epochs_from_csv(path):
    """The epoch rows of a metrics.csv (what a ten-epoch run cut short leaves), as report.json spells them."""
    if not os.path.exists(path):
        return []
    lines = open(path).read().splitlines()
    cols = lines[0].split(",") if lines else []
    out = []
    for line in lines[1:]:
        row = dict(zip(cols, line.split(",")))
        if row.get("kind") == "epoch":
            out.append({"epoch": int(row["epoch"]), "seconds": float(row["seconds"]),
                        "samples_per_sec": float(row["samples_per_sec"]), "eval_seconds": float("nan"),
                        "test_auc": float(row["test_auc"]), "test_logloss": float(row["test_logloss"])})
    return out


def ten_lines(ten, csv_path):
    if not ten:
        epochs = epochs_from_csv(csv_path)
        if not epochs:
            return ["", "No ten-epoch figures (the ten stage did not finish an epoch)."], None
        lines = ["", f"The ten-epoch run was cut short; its metrics.csv has {len(epochs)} epochs:", "",
                 "| epoch | train s | samples/s | test AUC | logloss |", "|---|---|---|---|---|"]
        lines += [f"| {e['epoch']} | {e['seconds']:.2f} | {fmt(e['samples_per_sec'])} | {e['test_auc']:.5f} | "
                  f"{e['test_logloss']:.5f} |" for e in epochs]
        return lines, None
    # The run has no valid split, so each epoch's evaluation (eval_auc; test_auc before the valid
    # split existed) is of the test split.
    epochs = [dict(e, eval_auc=e.get("eval_auc", e.get("test_auc")), eval_logloss=e.get("eval_logloss", e.get("test_logloss")))
              for e in ten["epochs_detail"]]
    lines = ["", f"DeepFM at batch {ten['batch_size']} on {ten['device']}, time-boxed (train.time_limit_seconds): "
                 f"{len(epochs)} of {ten['epochs']} epochs ran.", "",
             "| epoch | train s | samples/s | eval s | test AUC | logloss |", "|---|---|---|---|---|---|"]
    for e in epochs:
        lines.append(f"| {e['epoch']} | {e['seconds']:.2f} | {fmt(e['samples_per_sec'])} | {e['eval_seconds']:.2f} | "
                     f"{e['eval_auc']:.5f} | {e['eval_logloss']:.5f} |")
    tr = ten["train"]
    if len(epochs) >= 10:
        ten_s, how = tr["seconds"], "measured"
    else:
        # The first step's one-time cost once, then ten epochs at the steady rate of those that ran.
        per_epoch = tr["samples"] / len(epochs)
        ten_s = tr["first_step_seconds"] + 10 * per_epoch / tr["samples_per_sec"]
        how = f"projection from {len(epochs)} epochs at their steady rate (not measured)"
    return lines, (ten_s, how, tr["samples_per_sec"], ten["batch_size"], ten["device"])


def goal_lines(bench, ten_figures, torch, peaks, fig):
    by = {(p["model"], p["batch_size"]): p for p in (bench or {}).get("points", [])}
    train_rows = int(fig.get(("data", "train_rows"), 0))
    on_gpu = (bench or {}).get("device", "").startswith("cuda")
    if not on_gpu or ("deepfm", 131072) not in by or train_rows < 41_000_000:
        return ["", f"Goals are judged only on a GPU run at batch 131072 over Criteo-sized data; this run: "
                    f"{(bench or {}).get('device', 'no bench')}, {train_rows} train rows."]
    lines = ["", "Against the goals (issue 14):", "", "| goal | target | measured | met |", "|---|---|---|---|"]
    if ten_figures and ten_figures[3] == 131072:
        ten_s, how, sps = ten_figures[:3]
        lines.append(f"| 10 epochs of DeepFM at 128K | <= {GOAL_TEN_EPOCH_S:.0f} s (>= 13.7M samples/s) | "
                     f"{ten_s:.1f} s, {fmt(sps)} samples/s ({how}) | {'yes' if ten_s <= GOAL_TEN_EPOCH_S else 'no'} |")
    for b, t in sorted(torch.items()):
        ours = by.get(("deepfm", b))
        if ours and t.get("samples_per_sec"):
            x = ours["samples_per_sec"] / t["samples_per_sec"]
            math = "TF32" if t.get("tf32") else "fp32"
            lines.append(f"| vs PyTorch {t.get('torch', '?')} ({math}, same CowClip step) at batch {b} | >= {GOAL_TORCH_X:.0f}x | "
                         f"{x:.1f}x ({fmt(ours['samples_per_sec'])} vs {fmt(t['samples_per_sec'])} samples/s) | "
                         f"{'yes' if x >= GOAL_TORCH_X else 'no'} |")
    small, large = by.get(("deepfm", 1024)), by.get(("deepfm", 131072))
    if small and large:
        ratio = large["samples_per_sec"] / small["samples_per_sec"]
        lines.append(f"| epoch time at 128K vs 1K | <= 1/{GOAL_EPOCH_RATIO:.0f} | 1/{ratio:.1f} | "
                     f"{'yes' if ratio >= GOAL_EPOCH_RATIO else 'no'} |")
    rate, bw = peaks.get("SGEMM_TF32_TFLOPS"), peaks.get("COPY_GBPS")
    table_rows = fig.get(("data", "table_rows"))
    if large and rate and bw and table_rows:
        b = large["batch_size"]
        floor_ms = 1e3 * (b * GEMM_FLOPS_PER_SAMPLE / (rate * 1e12) + bytes_per_step(b, int(table_rows)) / (bw * 1e9))
        lines.append(f"| share of the floor (docs/performance.md; TF32 {rate:.0f} TFLOPS, copy {bw:,.0f} GB/s measured) | "
                     f"1.0 | {floor_ms / large['step_ms']:.2f} (floor {floor_ms:.2f} ms, step {large['step_ms']:.2f} ms) | - |")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="the OUT folder of one device_check.sh run")
    ap.add_argument("--md", default=os.path.join(os.path.dirname(__file__), "..", "docs", "benchmarks.md"))
    ap.add_argument("--command", default="scripts/device_check.sh")
    a = ap.parse_args()
    stages = read_tsv(os.path.join(a.out, "stages.tsv"))
    if not stages:
        sys.exit(f"device_record: {a.out}/stages.tsv is missing or empty: not the OUT folder of a device_check.sh run")
    fig = {(s, k): v for s, k, v in read_tsv(os.path.join(a.out, "figures.tsv"))}
    bench = load_json(os.path.join(a.out, "bench.json"))
    ten = load_json(os.path.join(a.out, "ten_report.json"))
    torch = {}
    for name in os.listdir(a.out):
        m = re.fullmatch(r"torch_(\d+)\.json", name)
        if m and load_json(os.path.join(a.out, name)):
            torch[int(m.group(1))] = load_json(os.path.join(a.out, name))
    peaks = peaks_of(a.out)
    lines = header_lines(stages, fig, a.command)
    if peaks:
        lines.append(f"- Measured ceilings (`ctr_bench_gpu_peak`, random data): SGEMM {fmt(peaks.get('SGEMM_FP32_TFLOPS'), '.1f')} "
                     f"TFLOPS fp32, {fmt(peaks.get('SGEMM_TF32_TFLOPS'), '.1f')} TFLOPS tf32; device copy "
                     f"{fmt(peaks.get('COPY_GBPS'), ',.0f')} GB/s")
    lines += bench_lines(bench)
    tl, ten_figures = ten_lines(ten, os.path.join(a.out, "ten_metrics.csv"))
    lines += tl
    lines += goal_lines(bench, ten_figures, torch, peaks, fig)
    block = "\n".join(["<!-- bench_gpu:begin -->"] + lines + ["<!-- bench_gpu:end -->"])
    text = open(a.md).read()
    pat = re.compile(r"<!-- bench_gpu:begin -->.*?<!-- bench_gpu:end -->", re.S)
    text = pat.sub(lambda _: block, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + block + "\n"
    with open(a.md, "w") as f:
        f.write(text)
    print(block)


if __name__ == "__main__":
    main()
