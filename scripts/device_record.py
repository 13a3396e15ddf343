#!/usr/bin/env python3
"""Writes the GPU figures of one scripts/device_check.sh run into docs/benchmarks.md.

Usage: device_record.py RESULTS_TSV WORK_DIR BENCHMARKS_MD ROWS BENCH_STEPS
RESULTS_TSV holds "stage<TAB>key<TAB>value" lines written by device_check.sh. The floor uses the
counts of docs/performance.md with this run's measured GEMM rate and copy bandwidth.
"""
import json, os, re, sys

results_path, work, md_path, rows, bench_steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
R = {}
for line in open(results_path):
    parts = line.rstrip("\n").split("\t")
    if len(parts) == 3:
        R[(parts[0], parts[1])] = parts[2]


def get(stage, key, default=None):
    return R.get((stage, key), default)


def num(stage, key):
    v = get(stage, key)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, spec=",.0f"):
    return "n/a" if v is None else format(v, spec)


# Work per sample and per step (docs/performance.md).
HIDDEN, DIM, FIELDS, NDENSE = 400, 10, 26, 13
x0 = FIELDS * DIM + NDENSE
gemm_flops_per_sample = 6 * (x0 * HIDDEN + 2 * HIDDEN * HIDDEN + HIDDEN)
eval_flops_per_sample = gemm_flops_per_sample // 3
meta = json.load(open(os.path.join(work, "data", "meta.json"))) if os.path.exists(os.path.join(work, "data", "meta.json")) else None
table_rows = sum(meta["vocab_sizes"]) if meta else None
train_rows = meta["rows"]["train"] if meta else None
test_rows = meta["rows"]["test"] if meta else None


def bytes_per_step(batch):
    table = table_rows * (DIM + 1) * 4 * 3 * 2             # w, m, v of both tables, read and written
    gather = 2 * batch * FIELDS * (DIM + 1) * 4            # rows gathered, gradients reduced
    activations = 2 * 2 * (x0 + 3 * HIDDEN) * 4 * batch    # written forward, read backward, and their gradients
    inputs = batch * (1 + NDENSE + FIELDS) * 4
    return table + gather + activations + inputs


lines = []
gpu, cpu, commit = get("info", "gpu", "unknown GPU"), get("info", "cpu", "unknown CPU"), get("info", "commit", "unknown")
lines += ["<!-- bench_gpu:begin -->", "### GPU (`scripts/device_check.sh`)", "",
          f"- Machine: {gpu}; host {cpu}", f"- Commit: {commit}",
          f"- Data: `ctrtrain synth --dataset criteo --rows {rows} --seed 7`, then `ctrtrain preprocess` (rand split): "
          f"{fmt(train_rows)} train rows, {fmt(test_rows)} test rows, {fmt(table_rows)} table rows"
          + (f"; synth {fmt(num('data', 'synth_s'), '.1f')} s, preprocess {fmt(num('data', 'preprocess_s'), '.1f')} s" if num('data', 'synth_s') else ""),
          ""]
for key, label in [("cuda_rc", "cuda tests (`ctest -L cuda`)"), ("other_rc", "all other tests")]:
    if get("tests", key) is not None:
        lines.append(f"- {label}: {'passed' if get('tests', key) == '0' else 'FAILED (exit ' + get('tests', key) + ')'}")
if get("sanitizer", "memcheck_rc") is not None:
    rc = get("sanitizer", "memcheck_rc")
    lines.append(f"- compute-sanitizer memcheck over the op-level cuda tests: {'no errors' if rc == '0' else 'ERRORS (exit ' + rc + ')'}")
fp32, tf32, bw = num("peak", "fp32_tflops"), num("peak", "tf32_tflops"), num("peak", "copy_gbps")
if fp32:
    lines.append(f"- Measured ceilings (`ctr_bench_gpu_peak`): SGEMM {fp32:.1f} TFLOPS fp32, {fmt(tf32, '.1f')} TFLOPS tf32; "
                 f"device copy {fmt(bw, ',.0f')} GB/s")
lines.append("")

models = sorted({k.split("_")[1] for (s, k) in R if s == "bench" and k.startswith("bench_")},
                key=lambda m: ["lr", "fm", "wdl", "deepfm", "dcn", "dcnv2"].index(m) if m in ["lr", "fm", "wdl", "deepfm", "dcn", "dcnv2"] else 99)
batches = sorted({int(k.split("_")[2].split(".")[0]) for (s, k) in R if s == "bench" and k.startswith("bench_")})
if models:
    lines += [f"Training samples/s (fp32, dense embedding update, CowClip on; the first {bench_steps} steps of an epoch, "
              "evaluation excluded). In brackets: peak GPU memory (MiB) and the share of training time spent waiting for input.", "",
              "| model | " + " | ".join(f"batch {b}" for b in batches) + " |", "|---|" + "---|" * len(batches)]
    for m in models:
        cells = []
        for b in batches:
            sps, wait, secs, mem = (num("bench", f"bench_{m}_{b}.{k}") for k in ("sps", "wait", "seconds", "mem_mib"))
            share = f"{100 * wait / secs:.0f}%" if wait is not None and secs else "n/a"
            cells.append(f"{fmt(sps)} ({fmt(mem)} MiB, wait {share})" if sps else "failed")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines.append("")

ten = [p for p in ("fp32", "tf32") if num("ten", f"{p}.wall_s")]
if ten and fp32 and bw and train_rows:
    lines += ["10 epochs of DeepFM at batch 131072 (the issue's target: under 30 s), against the floor of "
              "docs/performance.md with this GPU's measured rates:", "",
              "| precision | wall s (whole run) | train s | eval s | input wait s | floor s | train / floor | test AUC | logloss | GPU MiB |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    steps = 10 * -(-train_rows // 131072)
    for p in ten:
        rate = (fp32 if p == "fp32" else tf32) * 1e12
        floor = 10 * train_rows * gemm_flops_per_sample / rate + steps * bytes_per_step(131072) / (bw * 1e9)
        train_s = num("ten", f"{p}.train_s")
        lines.append(f"| {p} | {fmt(num('ten', p + '.wall_s'), '.1f')} | {fmt(train_s, '.1f')} | {fmt(num('ten', p + '.eval_s'), '.1f')} | "
                     f"{fmt(num('ten', p + '.wait_s'), '.2f')} | {floor:.1f} | {train_s / floor:.2f}x | "
                     f"{fmt(num('ten', p + '.auc'), '.4f')} | {fmt(num('ten', p + '.logloss'), '.4f')} | {fmt(num('ten', p + '.mem_mib'))} |")
    lines.append("")

torch_b = sorted({int(k.split(".")[0]) for (s, k) in R if s == "torch" and k.endswith(".sps")})
if torch_b:
    lines += [f"PyTorch DeepFM with the same CowClip step (`bench/torch_deepfm_cowclip.py`, torch {get('torch', str(torch_b[0]) + '.torch')}, "
              f"data resident on the GPU, the same {bench_steps} steps):", "",
              "| batch | ctrtrain samples/s | PyTorch samples/s | speed-up |", "|---|---|---|---|"]
    for b in torch_b:
        ours, theirs = num("bench", f"bench_deepfm_{b}.sps"), num("torch", f"{b}.sps")
        ratio = f"{ours / theirs:.1f}x" if ours and theirs else "n/a"
        lines.append(f"| {b} | {fmt(ours)} | {fmt(theirs)} | {ratio} |")
    lines.append("")
lines.append("<!-- bench_gpu:end -->")
block = "\n".join(lines)

text = open(md_path).read()
pat = re.compile(r"<!-- bench_gpu:begin -->.*?<!-- bench_gpu:end -->", re.S)
text = pat.sub(lambda _: block, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + block + "\n"
open(md_path, "w").write(text)
print(block)
