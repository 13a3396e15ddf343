#!/usr/bin/env python3
"""Plain PyTorch DeepFM + CowClip: the GPU baseline ctrtrain's speed-up is measured against.

Reads the raw arrays `ctr_bench_export_arrays DATASET_DIR ARRAYS_DIR` writes (meta.json,
{train,test}_labels.f32, _dense.f32, _cat.u32; little-endian), so the data is exactly what
ctrtrain trains on. Needs only torch, numpy and the standard library.

Model and loss as bench/torch_deepfm.py (ctrtrain's deepfm): one embedding table for all fields
(per-field offsets from vocab_sizes), a 1-dim linear table, a dense linear kernel, FM, DNN with
ReLU, Dense(1, no bias) head, output bias; glorot-normal dense layers, N(0, init_stddev)
embeddings, zero linear table; mean BCE + l2 * (|E|^2 + |L|^2 + |dense kernel|^2); Adam
(eps 1e-7) with two groups: both tables at lr_embed (constant), the rest at lr with linear
warm-up from 1e-8 over warmup_epochs.

CowClip as in the paper authors' code (docs/cowclip.md sections 2-3): after backward(), on the
d-dim embedding table only, for each distinct row of the batch with count cnt,
    g *= min(1, r * cnt * max(|w|, r * sqrt(d) * zeta) / |g|)
where g already holds the L2 term. The table gradient is dense (nn.Embedding default), so Adam
updates every row every step: ctrtrain's `embedding_update: all_rows`.

The whole split lives on the device; batches are index slices of a per-epoch torch.randperm
(the same cached-data footing as ctrtrain's GPU path). Hyper-parameters are taken as given: pass
the values ctrtrain resolves for the batch size (this script does no scaling).

Only the training loop is timed (torch.cuda.synchronize() around it on CUDA). With --max-steps N
the first --warmup-steps steps of epoch 1 run untimed, the next N are timed, and there is no
evaluation (auc/logloss null). Prints one JSON line:
{"samples_per_sec", "train_seconds", "steps", "batch_size", "device", "torch", "auc", "logloss", ...}
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch

from torch_deepfm import DeepFM  # the same model as the CPU reference (same folder)


def load_split(arrays_dir, split, meta, device):
    """(cat int64 [N, F] with field offsets added, dense f32 [N, Nd], labels f32 [N]) on `device`."""
    n, nd, nf = meta[split + "_rows"], meta["num_dense"], meta["num_fields"]

    def read(name, dtype, count):
        path = os.path.join(arrays_dir, f"{split}_{name}")
        a = np.fromfile(path, dtype=dtype)
        if a.size != count:
            raise SystemExit(f"{path}: {a.size} values, expected {count} (meta.json)")
        return a

    labels = read("labels.f32", "<f4", n)
    dense = read("dense.f32", "<f4", n * nd).reshape(n, nd)
    cat = read("cat.u32", "<u4", n * nf).reshape(n, nf)
    # Ids are < vocab size < 2^31, so the int32 view is exact; widen on the device.
    cat_t = torch.from_numpy(cat.view(np.int32)).to(device).to(torch.int64)
    sizes = meta["vocab_sizes"]
    offsets = torch.tensor([0] + list(np.cumsum(sizes[:-1], dtype=np.int64)), dtype=torch.int64, device=device)
    cat_t += offsets
    return cat_t, torch.from_numpy(dense).to(device), torch.from_numpy(labels).to(device)


@torch.no_grad()
def cowclip_(weight, cat, r, zeta):
    """Clips weight.grad in place, row by row, for the distinct rows of batch `cat` (authors' bound)."""
    ids, cnt = torch.unique(cat, return_counts=True)  # one id per field per sample: cnt = samples holding it
    g = weight.grad[ids]                                # [U, D], data term + 2*l2*w
    w = weight[ids]
    floor = r * math.sqrt(weight.shape[1]) * zeta
    bound = r * cnt.to(g.dtype) * torch.clamp(w.norm(dim=1), min=floor)
    gn = g.norm(dim=1)
    # min(1, bound/|g|); |g| = 0 gives inf -> 1 (nothing to clip)
    scale = torch.clamp(bound / gn, max=1.0)
    weight.grad[ids] = g * scale.unsqueeze(1)


def auc_exact(y, p):
    """Mann-Whitney AUC; tied scores share their average rank."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(p, kind="mergesort")
    ps = p[order]
    # Average 1-based rank of each run of equal scores.
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
    ends = np.r_[starts[1:], len(ps)]
    avg = (starts + 1 + ends) / 2.0
    ranks = np.empty(len(p), dtype=np.float64)
    ranks[order] = np.repeat(avg, ends - starts)
    pos = y > 0.5
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def logloss(y, p):
    y = np.asarray(y, dtype=np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("arrays", help="directory written by ctr_bench_export_arrays")
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=8e-4, help="dense lr (as resolved by ctrtrain)")
    ap.add_argument("--lr-embed", type=float, default=1e-4, help="embedding lr (as resolved by ctrtrain)")
    ap.add_argument("--l2", type=float, default=1e-5, help="L2 lambda (as resolved by ctrtrain)")
    ap.add_argument("--warmup-epochs", type=float, default=1.0)
    ap.add_argument("--r", type=float, default=1.0, help="CowClip r")
    ap.add_argument("--zeta", type=float, default=1e-5, help="CowClip zeta (lower bound)")
    ap.add_argument("--no-cowclip", action="store_true", help="skip the clip (to see what it costs)")
    ap.add_argument("--dim", type=int, default=10)
    ap.add_argument("--hidden", default="400,400,400")
    ap.add_argument("--init-stddev", type=float, default=1e-2)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0 = torch default)")
    ap.add_argument("--max-steps", type=int, default=0,
                    help="time only N steps of epoch 1 (after --warmup-steps untimed ones); no evaluation")
    ap.add_argument("--warmup-steps", type=int, default=10, help="untimed steps before --max-steps ones")
    ap.add_argument("--fused-adam", action="store_true", help="torch.optim.Adam(fused=True) (CUDA only)")
    ap.add_argument("--tf32", action="store_true",
                    help="TF32 tensor cores for matmuls (as ctrtrain's train.precision: tf32)")
    ap.add_argument("--eval-batch-size", type=int, default=65536)
    a = ap.parse_args()

    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch.cuda.is_available() is False (pass --device cpu)")
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    torch.manual_seed(a.seed)

    with open(os.path.join(a.arrays, "meta.json")) as f:
        meta = json.load(f)
    xc, xd, y = load_split(a.arrays, "train", meta, dev)
    rows = int(sum(meta["vocab_sizes"]))
    hidden = [int(h) for h in a.hidden.split(",") if h]
    model = DeepFM(rows, meta["num_fields"], meta["num_dense"], a.dim, hidden, a.init_stddev).to(dev)
    embed = [model.emb.weight, model.lin.weight]
    rest = [p for n, p in model.named_parameters() if not n.startswith(("emb.", "lin."))]
    adam_kw = {"fused": True} if a.fused_adam else {}
    opt = torch.optim.Adam([{"params": embed, "lr": a.lr_embed}, {"params": rest, "lr": a.lr}],
                           betas=(0.9, 0.999), eps=1e-7, **adam_kw)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    n, b = len(y), a.batch_size
    steps_per_epoch = math.ceil(n / b)
    warmup = round(a.warmup_epochs * steps_per_epoch)

    def train_step(idx, step):
        opt.param_groups[1]["lr"] = a.lr if step >= warmup else 1e-8 + (a.lr - 1e-8) * step / warmup
        cat = xc[idx]
        logits = model(cat, xd[idx])
        loss = loss_fn(logits, y[idx]) + a.l2 * (model.emb.weight.pow(2).sum() + model.lin.weight.pow(2).sum()
                                                 + model.dense_kernel.weight.pow(2).sum())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if not a.no_cowclip:
            cowclip_(model.emb.weight, cat, a.r, a.zeta)
        opt.step()

    # Untimed: CUDA context, cuBLAS handles, kernel loading (no parameter is changed).
    with torch.no_grad():
        model(xc[:b], xd[:b])
    sync()

    step, timed_steps, timed_rows, train_s = 0, 0, 0, 0.0
    if a.max_steps > 0:
        perm = torch.randperm(n, device=dev)
        starts = list(range(0, n, b))
        if a.warmup_steps + a.max_steps > len(starts):
            raise SystemExit(f"--warmup-steps {a.warmup_steps} + --max-steps {a.max_steps} exceed the "
                             f"{len(starts)} steps of an epoch")
        for i in starts[:a.warmup_steps]:
            train_step(perm[i:i + b], step)
            step += 1
        sync()
        t0 = time.perf_counter()
        for i in starts[a.warmup_steps:a.warmup_steps + a.max_steps]:
            idx = perm[i:i + b]
            train_step(idx, step)
            step += 1
            timed_steps += 1
            timed_rows += len(idx)
        sync()
        train_s = time.perf_counter() - t0
    else:
        for epoch in range(a.epochs):
            sync()
            t0 = time.perf_counter()
            perm = torch.randperm(n, device=dev)
            for i in range(0, n, b):
                train_step(perm[i:i + b], step)
                step += 1
            sync()
            train_s += time.perf_counter() - t0
        timed_steps, timed_rows = step, a.epochs * n

    auc = ll = None
    if a.max_steps <= 0:
        del xc, xd, y
        tc, td, ty = load_split(a.arrays, "test", meta, dev)
        model.eval()
        with torch.no_grad():
            p = torch.cat([torch.sigmoid(model(tc[i:i + a.eval_batch_size], td[i:i + a.eval_batch_size]))
                           for i in range(0, len(ty), a.eval_batch_size)])
        p = p.double().cpu().numpy()
        yt = ty.cpu().numpy()
        auc, ll = auc_exact(yt, p), logloss(yt, p)

    out = {"samples_per_sec": timed_rows / train_s, "train_seconds": train_s, "steps": timed_steps,
           "batch_size": b, "device": a.device, "torch": torch.__version__, "auc": auc, "logloss": ll,
           "epochs": a.epochs if a.max_steps <= 0 else None, "rows": timed_rows,
           "cowclip": not a.no_cowclip, "fused_adam": a.fused_adam, "tf32": a.tf32,
           "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None,
           "threads": torch.get_num_threads() if dev.type == "cpu" else None}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
