#!/usr/bin/env python3
"""Click probabilities for raw rows from a `ctrtrain export` directory, with onnxruntime.

Usage: scripts/onnx_predict.py --model DIR --input RAW --output FILE [--batch-size N]

RAW is a file in the training layout (plain, gzip or zstd, detected by magic bytes; with its header
line where the dataset's schema has one); its labels are ignored. FILE gets one probability per row, in order, written
exactly as `ctrtrain predict` writes them ("%.9g"). Raw values become model inputs by the rules
in DIR/features.json (docs/serving.md), which are those of `ctrtrain preprocess --vocab-from`:
a categorical value maps to its line number in DIR/vocab/<field>.tsv, or to the field's OOV id
when it is not there (the missing value is the empty string, a value like any other); a dense
value is an integer, missing counts as 0, and its column's transform applies in float64 before
rounding to float32. A malformed row stops the run with FILE:LINE and the reason, as ctrtrain's
does. Needs numpy and onnxruntime; .zst input also the zstandard module or the zstd program.
"""

import argparse
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

SERVING_FORMAT = "ctrtrain-serving"
SERVING_VERSION = 2
INT_RE = re.compile(rb"[+-]?[0-9]{1,18}")  # preprocess/raw_parser.cpp's parse_int64
ODD_BYTE_RE = re.compile(rb"[^\x20-\x7e]")  # outside printable ASCII: control bytes, DEL, non-ASCII


class BadInput(Exception):
    """An input problem to report as 'onnx_predict.py: error: ...' with exit code 1."""


def load_features(model_dir):
    path = os.path.join(model_dir, "features.json")
    try:
        with open(path, encoding="utf-8") as f:
            feat = json.load(f)
    except OSError as e:
        raise BadInput(f"{path}: cannot read ({e.strerror}); is --model a `ctrtrain export` directory?")
    if feat.get("format") != SERVING_FORMAT or feat.get("format_version") != SERVING_VERSION:
        raise BadInput(f"{path}: not a {SERVING_FORMAT} version {SERVING_VERSION} file (re-export the model "
                       "with this ctrtrain)")
    return feat


def load_vocab(model_dir, feat):
    """Per categorical field: {raw value bytes: id}, and the OOV id."""
    cat = feat["categorical"]
    vocabs = []
    for name, rel, size, oov in zip(cat["fields"], cat["vocab_files"], cat["vocab_sizes"], cat["oov_ids"]):
        path = os.path.join(model_dir, rel)
        ids = {}
        try:
            with open(path, "rb") as f:
                for i, line in enumerate(f):
                    tab = line.rfind(b"\t")
                    if tab < 0:
                        raise BadInput(f"{path}:{i + 1}: expected 'value<TAB>count' (re-export the model)")
                    ids[line[:tab]] = i
        except OSError as e:
            raise BadInput(f"{path}: cannot read ({e.strerror}); the serving directory is incomplete")
        if len(ids) != size - 1:
            raise BadInput(f"{path}: has {len(ids)} distinct values but features.json says {size - 1} for {name}")
        vocabs.append((ids, oov))
    return vocabs


def raw_lines(path):
    """The lines of RAW (bytes, with their newlines), decompressing gzip or zstd as ctrtrain's ByteSource
    does: by magic bytes, not by name."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise BadInput(f"--input {path}: cannot open ({e.strerror})")
    if magic[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as f:
            yield from f
    elif magic == b"\x28\xb5\x2f\xfd":
        yield from zstd_lines(path)
    else:
        with open(path, "rb") as f:
            yield from f


def zstd_lines(path):
    if shutil.which("zstd"):
        with subprocess.Popen(["zstd", "-dcq", "--", path], stdout=subprocess.PIPE) as proc:
            yield from proc.stdout
        if proc.returncode != 0:
            raise BadInput(f"--input {path}: zstd could not decompress it (exit code {proc.returncode})")
        return
    try:
        import zstandard
    except ImportError:
        raise BadInput(f"--input {path}: zstd-compressed, and neither the zstd program nor the zstandard module is "
                       "here (apt-get install zstd, or pip install zstandard)")
    with open(path, "rb") as raw:
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        yield from io.BufferedReader(reader)


class RowParser:
    """Splits and checks one raw line like preprocess/raw_parser.cpp (RowParser::parse)."""

    def __init__(self, feat):
        raw = feat["raw"]
        self.sep = raw["separator"].encode()
        self.quote = raw["quote"].encode()
        self.columns = raw["columns"]
        self.label_col = raw["label_column"]
        self.dense_cols = raw["dense_columns"]
        self.cat_cols = raw["cat_columns"]
        self.max_bytes = raw["max_value_bytes"]
        self.header = raw["header"]

    def split(self, where, line):
        """The values of a line, unquoted as preprocess/raw_parser.cpp (RowParser::split_quoted) does."""
        if not self.quote or self.quote not in line:
            return line.split(self.sep)
        q, cols, i = self.quote, [], 0
        while True:
            if line[i:i + 1] == q:
                j, value = i + 1, bytearray()
                while True:
                    k = line.find(q, j)
                    if k < 0:
                        raise BadInput(f"{where}: bad_quoting: column {len(cols) + 1}: quoted value is not closed")
                    value += line[j:k]
                    if line[k + 1:k + 2] == q:
                        value += q
                        j = k + 2
                        continue
                    break
                i = k + 1
                if i < len(line) and line[i:i + 1] != self.sep:
                    raise BadInput(f"{where}: bad_quoting: column {len(cols) + 1}: text after the closing quote")
                cols.append(bytes(value))
            else:
                k = line.find(self.sep, i)
                k = len(line) if k < 0 else k
                cols.append(line[i:k])
                i = k
            if i >= len(line):
                return cols
            i += 1

    def check_header(self, where, line):
        if line.endswith(b"\r"):
            line = line[:-1]
        expected = [c.encode() for c in self.columns]
        if self.split(where, line) != expected:
            raise BadInput(f"{where}: header is '{line[:200].decode('latin-1')}' (expected "
                           f"'{self.sep.decode().join(self.columns)}')")

    def parse(self, where, line):
        """(dense ints, categorical values) of a line without its '\\n'; raises BadInput for a bad row."""
        if line.endswith(b"\r"):
            line = line[:-1]
        cols = self.split(where, line)
        if len(cols) != len(self.columns):
            raise BadInput(f"{where}: column_count: found {len(cols)} columns (expected {len(self.columns)})")
        if cols[self.label_col] not in (b"0", b"1"):
            raise BadInput(f"{where}: bad_label: column {self.label_col + 1}: label is not 0 or 1")
        dense = []
        for c in self.dense_cols:
            s = cols[c]
            if not s:
                dense.append(0)
            elif INT_RE.fullmatch(s):
                dense.append(int(s))
            else:
                raise BadInput(f"{where}: bad_dense: column {c + 1} ({self.columns[c]}): not an integer")
        cats = []
        for c in self.cat_cols:
            s = cols[c]
            if len(s) > self.max_bytes:
                raise BadInput(f"{where}: field_too_long: column {c + 1} ({self.columns[c]}) is {len(s)} bytes long "
                               f"(at most {self.max_bytes})")
            if ODD_BYTE_RE.search(s):
                raise BadInput(f"{where}: invalid_bytes: column {c + 1} ({self.columns[c]}) holds bytes outside "
                               "printable ASCII")
            cats.append(s)
        return dense, cats


def transform_dense(feat, raw):
    """dataset/dense_transform.h: float64 arithmetic on the raw integers, then float32."""
    d = feat["dense"]
    out = np.empty(raw.shape, dtype=np.float32)
    for j, kind in enumerate(d["transforms"]):  # one per dense column
        x = raw[:, j].astype(np.float64)
        if kind == "minmax":
            lo, hi = d["min"][j], d["max"][j]
            fitted = lo is not None and hi is not None and hi > lo  # max == min (or no statistics) gives 0
            col = (x - lo) / (hi - lo) if fitted else np.zeros_like(x)
        elif kind == "log":
            col = np.where(x > -1.0, np.log1p(np.maximum(x, -0.5)), 0.0)
        elif kind == "none":
            col = x
        else:
            raise BadInput(f"features.json: unknown dense transform '{kind}'")
        out[:, j] = col.astype(np.float32)
    return out


class Predictor:
    def __init__(self, model_dir, feat):
        try:
            import onnxruntime as ort
        except ImportError:
            raise BadInput("onnxruntime is not installed (pip install onnxruntime; scripts/setup.sh puts it in "
                           ".venv-test)")
        onnx = feat["onnx"]
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(os.path.join(model_dir, onnx["file"]), opts,
                                            providers=["CPUExecutionProvider"])
        self.ids_input = onnx["ids_input"]
        self.dense_input = onnx["dense_input"]
        self.output = onnx["probability_output"]

    def __call__(self, ids, dense):
        feed = {self.ids_input: ids}
        if self.dense_input:
            feed[self.dense_input] = dense
        return self.session.run([self.output], feed)[0]


def predict_file(args, feat, vocabs, parser, predictor, out):
    nd, nc = len(parser.dense_cols), len(parser.cat_cols)
    rows, dense_rows, id_rows = 0, [], []
    fmt = feat["prediction_format"]

    def flush():
        if not id_rows:
            return
        ids = np.array(id_rows, dtype=np.int64).reshape(len(id_rows), nc)
        dense = transform_dense(feat, np.array(dense_rows, dtype=np.int64).reshape(len(id_rows), nd))
        out.write("".join(fmt % float(p) + "\n" for p in predictor(ids, dense)))
        dense_rows.clear()
        id_rows.clear()

    for number, line in enumerate(raw_lines(args.input), start=1):
        line = line[:-1] if line.endswith(b"\n") else line
        where = f"{args.input}:{number}"
        if number == 1 and parser.header:
            parser.check_header(where, line)
            continue
        dense, cats = parser.parse(where, line)
        dense_rows.append(dense)
        id_rows.append([v.get(s, oov) for (v, oov), s in zip(vocabs, cats)])
        rows += 1
        if len(id_rows) >= args.batch_size:
            flush()
    flush()
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="directory written by `ctrtrain export`")
    ap.add_argument("--input", required=True, help="raw Criteo/Avazu file (plain, .gz or .zst)")
    ap.add_argument("--output", required=True, help="output file: one probability per line")
    ap.add_argument("--batch-size", type=int, default=16384, help="rows per onnxruntime call")
    args = ap.parse_args()
    if args.batch_size < 1:
        ap.error("--batch-size must be at least 1")
    tmp = args.output + ".tmp"  # renamed into place once complete, as ctrtrain writes its files
    try:
        feat = load_features(args.model)
        vocabs = load_vocab(args.model, feat)
        parser = RowParser(feat)
        predictor = Predictor(args.model, feat)
        with open(tmp, "w", encoding="ascii") as out:
            rows = predict_file(args, feat, vocabs, parser, predictor, out)
        os.replace(tmp, args.output)
    except (BadInput, OSError, EOFError) as e:  # OSError, EOFError: a damaged gzip stream, a full disk
        if os.path.exists(tmp):
            os.remove(tmp)
        print(f"onnx_predict.py: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {rows} predictions to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
