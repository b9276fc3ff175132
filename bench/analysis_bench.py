"""Analysis benchmark: frequencies and co-occurrence on a large generated project, against naive
pandas baselines measured in the same run.

    python bench/analysis_bench.py                          # 1,000 documents, 100 codes, 1,000,000 codings, 3 coders
    python bench/analysis_bench.py --documents 100 --codings 100000   # a quick look
    python bench/analysis_bench.py --db /tmp/big.db         # reuse (or create once) a generated database

The project comes from :func:`qualcode.analysis.synthetic.random_project` (seeded): each document
has ``--sentences`` sentences in two-speaker turns; a coding covers 1+ whole sentences or part of
one. Timed (fastest of ``--repeat`` runs, data already loaded; loading is timed separately):

* ``frequencies`` — per code with roll-up: codings, documents, participants, words coded
  (union of spans);
* ``cooccurrence_overlap`` and ``cooccurrence_sentence`` — the count matrix;

and the baselines, the obvious pandas code without our interval tricks:

* frequencies: merge codings with the code→ancestor table, ``groupby().nunique()``, and the word
  union per group in a ``groupby().apply`` that merges sorted intervals in Python;
* overlap: per document, a self-merge of the codings on ``document_id`` filtered to overlapping
  pairs (quadratic per document, so it is run on ``--baseline-documents`` documents and scaled
  linearly to all of them; said in the output);
* sentence: the coding→sentence incidence (``merge_asof``), then a self-merge on the sentence.

Each baseline's result is compared with ours (``agree``). Peak memory: the process's peak RSS
after our computations, and tracemalloc's peak for each operation in one extra run. Prints JSON.
Tests never assert timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.data import load
from qualcode.analysis.frequencies import frequencies
from qualcode.analysis.synthetic import random_project
from qualcode.store.db import Database

TARGETS = {"frequencies": 1.0, "cooccurrence_overlap": 3.0, "cooccurrence_sentence": 2.0}


def best_of(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def traced_peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return round(peak / 1e6, 1)


def baseline_frequencies(data):
    c = data.codings
    pairs = data.codes["ancestors"].explode().rename("node").astype("int64").reset_index()
    rows = c.merge(pairs, on="code_id")
    rows = rows.assign(participant=data.documents["participant_id"].reindex(rows["document_id"]).to_numpy())
    wstart, wend = data.words()
    base = data.documents["base"]

    def words(group):
        spans = sorted(zip(group["start"] + base[group["document_id"]].to_numpy(),
                           group["end"] + base[group["document_id"]].to_numpy()))
        total, cur_lo, cur_hi = 0, None, None
        for s, e in spans:
            lo = int(np.searchsorted(wend, s, side="right"))
            hi = int(np.searchsorted(wstart, e, side="left"))
            if cur_hi is None or lo > cur_hi:
                if cur_hi is not None:
                    total += cur_hi - cur_lo
                cur_lo, cur_hi = lo, hi
            else:
                cur_hi = max(cur_hi, hi)
        if cur_hi is not None:
            total += cur_hi - cur_lo
        return total

    g = rows.groupby("node")
    out = pd.DataFrame({"codings": g["coding_id"].nunique(), "documents": g["document_id"].nunique(),
                        "participants": g["participant"].nunique()})
    out["words"] = g[["start", "end", "document_id"]].apply(words)
    return out


def baseline_overlap(data, documents):
    c = data.codings[data.codings["document_id"].isin(documents)][["document_id", "code_id", "start", "end"]]
    c = c.reset_index(drop=True).reset_index()
    counts = []
    for _, cs in c.groupby("document_id"):  # one document at a time keeps memory bounded
        m = cs.merge(cs, on="document_id", suffixes=("_a", "_b"))
        m = m[(m["index_a"] != m["index_b"]) & (m["start_a"] < m["end_b"]) & (m["start_b"] < m["end_a"])
              & (m["code_id_a"] != m["code_id_b"])]
        counts.append(m.groupby(["code_id_a", "code_id_b"]).size())
    return pd.concat(counts).groupby(level=[0, 1]).sum()


def baseline_sentence(data):
    s = data.sentences.sort_values(["document_id", "start"]).reset_index(drop=True).reset_index()
    s = s.rename(columns={"index": "sentence"})
    c = data.codings[["document_id", "code_id", "start", "end"]]
    # every (coding, sentence) pair that shares a character: a range join done the pandas way
    # (merge on the document, then filter), chunked by document to keep memory bounded
    parts = []
    for doc, cs in c.groupby("document_id"):
        ss = s[s["document_id"] == doc]
        m = cs.merge(ss, on="document_id", suffixes=("", "_s"))
        m = m[(m["start"] < m["end_s"]) & (m["start_s"] < m["end"])]
        parts.append(m[["sentence", "code_id"]].drop_duplicates())
    inc = pd.concat(parts)
    pairs = inc.merge(inc, on="sentence")
    pairs = pairs[pairs["code_id_x"] != pairs["code_id_y"]]
    return pairs.groupby(["code_id_x", "code_id_y"]).size(), inc.groupby("code_id").size()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--codes", type=int, default=100)
    ap.add_argument("--codings", type=int, default=1_000_000)
    ap.add_argument("--coders", type=int, default=3)
    ap.add_argument("--sentences", type=int, default=200, help="sentences per document")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline-documents", type=int, default=50,
                    help="documents the quadratic overlap baseline runs on (then scaled)")
    ap.add_argument("--db", help="SQLite file to reuse (generated into it when new)")
    args = ap.parse_args()

    path = Path(args.db) if args.db else Path(f"/tmp/qualcode-analysis-bench-{os.getpid()}.db")
    fresh = not path.exists()
    db = Database(path)
    generated, gen_s = None, None
    if fresh:
        t = time.perf_counter()
        generated = random_project(db, seed=1, documents=args.documents, codes=args.codes,
                                   codings=args.codings, coders=args.coders,
                                   sentences_per_document=args.sentences)
        gen_s = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    data = load(db)
    load_s = time.perf_counter() - t
    data.words()  # the word index is built once per loaded project, like the load itself
    data.turn_index()

    ours = {
        "frequencies": lambda: frequencies(data),
        "cooccurrence_overlap": lambda: cooccurrence(data, unit="overlap"),
        "cooccurrence_sentence": lambda: cooccurrence(data, unit="sentence"),
    }
    timings, results = {}, {}
    for name, fn in ours.items():
        timings[name], results[name] = best_of(fn, args.repeat)
    peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    traced = {name: traced_peak_mb(fn) for name, fn in ours.items()}

    # -- baselines, same data, same run -------------------------------------------------------
    base = {}
    t = time.perf_counter()
    bf = baseline_frequencies(data)
    base["frequencies"] = time.perf_counter() - t
    f = results["frequencies"].assign(node=data.codes.sort_values("order").index).set_index("node")
    f = f[f["codings"] > 0][["codings", "documents", "participants", "words"]]
    agree_f = bool((bf.reindex(f.index).astype("int64") == f).all().all())

    doc_ids = data.documents.index.to_numpy()
    sample = np.random.default_rng(0).choice(doc_ids, size=min(args.baseline_documents, len(doc_ids)),
                                             replace=False)
    t = time.perf_counter()
    bo = baseline_overlap(data, sample)
    base["cooccurrence_overlap"] = (time.perf_counter() - t) * len(doc_ids) / len(sample)
    sub = type(data)(**{**data.__dict__, "codings": data.codings[data.codings["document_id"].isin(sample)]
                        .reset_index(drop=True), "_cache": data._cache})
    mine = cooccurrence(sub, unit="overlap", codes=list(results["cooccurrence_overlap"].index))
    paths = data.codes["path"]
    agree_o = all(mine.at[paths[a], paths[b]] == n for (a, b), n in bo.items())
    agree_o = agree_o and int(bo.sum()) == int(mine.to_numpy().sum() - np.trace(mine.to_numpy()))

    t = time.perf_counter()
    bs, bn = baseline_sentence(data)
    base["cooccurrence_sentence"] = time.perf_counter() - t
    ms = results["cooccurrence_sentence"]
    agree_s = all(ms.at[paths[a], paths[b]] == n for (a, b), n in bs.items())
    agree_s = agree_s and all(ms.at[paths[a], paths[a]] == n for a, n in bn.items())

    out = {
        "project": generated or {"reused": str(path)},
        "generate_seconds": gen_s,
        "load_seconds": round(load_s, 3),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "results": {
            name: {
                "seconds": round(timings[name], 3),
                "target_seconds": TARGETS[name],
                "meets_target": timings[name] <= TARGETS[name],
                "baseline_seconds": round(base[name], 3),
                "speedup_vs_baseline": round(base[name] / timings[name], 1),
                "traced_peak_mb": traced[name],
            }
            for name in ours
        },
        "baseline_notes": {
            "frequencies": "pandas merge + groupby.nunique + groupby.apply interval union in Python",
            "cooccurrence_overlap": f"pandas self-merge per document on {len(sample)} random documents, "
                                    "scaled linearly to all documents",
            "cooccurrence_sentence": "pandas merge/filter coding→sentence per document, self-merge on sentence",
        },
        "agree_with_baseline": {"frequencies": agree_f, "cooccurrence_overlap": bool(agree_o),
                                "cooccurrence_sentence": bool(agree_s)},
        "peak_rss_mb_after_ours": peak_rss_mb,
        "peak_rss_mb_total": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(out, indent=2))
    db.close()
    if fresh and not args.db:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
