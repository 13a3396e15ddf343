#!/usr/bin/env python3
"""A straightforward PyTorch DeepFM, the reference scripts/bench_cpu.sh measures ctrtrain against.

Same data and semantics as ctrtrain's deepfm: a raw Criteo TSV file, categorical values
label-encoded over the whole file ("missing" is a value of its own), dense missing -> 0 then
min-max; the last `test_rows` lines are the test split (ctrtrain preprocess --split seq). Model:
one embedding table for all fields (offsets), a 1-dim linear table, a dense linear kernel, FM,
DNN with ReLU, Dense(1, no bias) head, output bias; mean BCE plus lambda*|W|^2 on both tables and
the dense kernel (the authors' dense L2); Adam with two groups (embeddings at lr_embed; the rest
at lr with linear warm-up from 1e-8). No CowClip (a plain implementation has none).

Prints one JSON line: {"samples_per_sec": ..., "train_seconds": ..., "auc": ..., "logloss": ...}.
Only the training loop is timed (batches are slices of in-memory tensors).
"""
import argparse, json, math, time

import numpy as np
import torch


def load(path, test_rows):
    import pandas as pd  # here, not at the top: torch_deepfm_cowclip.py imports DeepFM on machines without pandas
    df = pd.read_csv(path, sep="\t", header=None, dtype=str, keep_default_na=False)
    y = df[0].astype(np.float32).to_numpy()
    dense = df.iloc[:, 1:14].replace("", "0").astype(np.float64).to_numpy()
    lo, hi = dense.min(axis=0), dense.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    dense = ((dense - lo) / span).astype(np.float32)
    ids, sizes = [], []
    for c in range(14, 40):
        codes, uniq = pd.factorize(df[c])
        ids.append(codes.astype(np.int64))
        sizes.append(len(uniq))
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    cat = np.stack(ids, axis=1) + offsets
    n = len(df) - test_rows
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    return (t(cat[:n]), t(dense[:n]), t(y[:n])), (t(cat[n:]), t(dense[n:]), t(y[n:])), int(sum(sizes))


class DeepFM(torch.nn.Module):
    def __init__(self, rows, fields, num_dense, dim, hidden, init_stddev):
        super().__init__()
        self.emb = torch.nn.Embedding(rows, dim)
        self.lin = torch.nn.Embedding(rows, 1)
        torch.nn.init.normal_(self.emb.weight, 0.0, init_stddev)
        torch.nn.init.zeros_(self.lin.weight)
        self.dense_kernel = torch.nn.Linear(num_dense, 1, bias=False)
        layers, width = [], fields * dim + num_dense
        for h in hidden:
            layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
            width = h
        self.dnn = torch.nn.Sequential(*layers)
        self.head = torch.nn.Linear(width, 1, bias=False)
        self.bias = torch.nn.Parameter(torch.zeros(1))
        for m in [self.dense_kernel, self.head] + [l for l in layers if isinstance(l, torch.nn.Linear)]:
            torch.nn.init.xavier_normal_(m.weight)
            if getattr(m, "bias", None) is not None:
                torch.nn.init.zeros_(m.bias)

    def forward(self, cat, dense):
        e = self.emb(cat)                                   # [B, F, D]
        linear = self.lin(cat).sum(dim=(1, 2)) + self.dense_kernel(dense).squeeze(1)
        s = e.sum(dim=1)
        fm = 0.5 * (s * s - (e * e).sum(dim=1)).sum(dim=1)
        x0 = torch.cat([e.flatten(1), dense], dim=1)
        return self.bias + linear + fm + self.head(self.dnn(x0)).squeeze(1)


def main():
    from sklearn.metrics import roc_auc_score, log_loss
    ap = argparse.ArgumentParser()
    ap.add_argument("raw"); ap.add_argument("--test-rows", type=int, required=True)
    ap.add_argument("--batch-size", type=int, default=1024); ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1); ap.add_argument("--lr", type=float, default=8e-4)
    ap.add_argument("--lr-embed", type=float, default=1e-4); ap.add_argument("--l2", type=float, default=1e-5)
    ap.add_argument("--warmup-epochs", type=float, default=1.0); ap.add_argument("--hidden", default="400,400,400")
    ap.add_argument("--dim", type=int, default=10); ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    (xc, xd, y), (tc, td, ty), rows = load(a.raw, a.test_rows)
    model = DeepFM(rows, xc.shape[1], xd.shape[1], a.dim, [int(h) for h in a.hidden.split(",") if h], 1e-2)
    embed = [model.emb.weight, model.lin.weight]
    rest = [p for n, p in model.named_parameters() if not n.startswith(("emb.", "lin."))]
    opt = torch.optim.Adam([{"params": embed, "lr": a.lr_embed}, {"params": rest, "lr": a.lr}],
                           betas=(0.9, 0.999), eps=1e-7)
    n, b = len(y), a.batch_size
    steps_per_epoch = math.ceil(n / b)
    warmup = round(a.warmup_epochs * steps_per_epoch)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    step, train_s = 0, 0.0
    for epoch in range(a.epochs):
        perm = torch.randperm(n)
        t0 = time.perf_counter()
        for i in range(0, n, b):
            idx = perm[i:i + b]
            opt.param_groups[1]["lr"] = a.lr if step >= warmup else 1e-8 + (a.lr - 1e-8) * step / warmup
            logits = model(xc[idx], xd[idx])
            loss = loss_fn(logits, y[idx]) + a.l2 * (model.emb.weight.pow(2).sum() + model.lin.weight.pow(2).sum()
                                                     + model.dense_kernel.weight.pow(2).sum())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
        train_s += time.perf_counter() - t0
    with torch.no_grad():
        p = torch.cat([torch.sigmoid(model(tc[i:i + 16384], td[i:i + 16384])) for i in range(0, len(ty), 16384)])
    p = p.numpy().astype(np.float64)
    print(json.dumps({"samples_per_sec": a.epochs * n / train_s, "train_seconds": train_s,
                      "auc": roc_auc_score(ty.numpy(), p), "logloss": log_loss(ty.numpy(), np.clip(p, 1e-7, 1 - 1e-7)),
                      "threads": a.threads, "batch_size": b, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
