"""Agreement benchmark: every statistic for every code, against a pure-Python pass, same run.

    python bench/agreement_bench.py                      # 2 coders × 1,000 documents × 100 codes
    python bench/agreement_bench.py --documents 100      # a quick look

The data are synthetic and seeded: each document has about 40 sentences (Poisson), giving
~40,000 sentence units; for each of 100 codes a unit is "truly" relevant with the code's own
prevalence (1 %–30 %), and each coder marks it with a code- and coder-specific sensitivity
(60 %–95 %) and false-positive rate (0.5 %–5 %), so agreement is partial and varies by code.

It times, on the same ``codes × units × coders`` array of 0/1:

* ``batch`` — :func:`qualcode.agreement.stats.binary_agreement`: percent agreement, Cohen's kappa,
  Scott's pi, Fleiss' kappa, Krippendorff's alpha (nominal), Gwet's AC1 and Brennan–Prediger
  for all codes at once (vectorised across codes);
* ``per_code_api`` — the public one-table functions called code by code on a units × coders
  numpy array (what a caller does for one code), all seven statistics;
* ``pure_python`` — a straightforward loop over codes and units in plain Python (lists of
  0/1) tallying each code's 2 × 2 table, then the seven statistics in closed form (the
  baseline; it also cross-checks the batch results).

It prints JSON with the seconds of each (fastest of ``--repeat`` runs), the ratio
pure_python / batch, and whether the target (every statistic for every code in at most 5 s)
is met. Tests never assert timings.

``--end-to-end`` (issue #13's agreement target) also writes a seeded SQLite project of two
coders over ``--e2e-documents`` × 40 sentences (7,000 documents: 280,000 sentences) with
:func:`qualcode.analysis.synthetic.random_project`, and times, in the same run:

* ``report`` — what ``qualcode agreement`` does: :func:`build_unit_matrix` then
  :func:`build_report` (1,000 bootstrap draws, the per-document breakdown, pooled figures);
* ``numpy_pass`` — a plain numpy pass over the same rows: the sentence and coding rows read
  with the DBAPI cursor into arrays, each coding's sentences marked with ``searchsorted``, the
  sentences of documents both coders coded kept, the 2 × 2 table per code counted and Cohen's
  kappa, alpha and percent agreement in closed form (checked against the report's).

The target is ``report`` ≤ 2 × ``numpy_pass``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualcode.agreement import stats as ag

TARGET_SECONDS = 5.0


def synthesise(documents: int, codes: int, coders: int = 2, sentences: float = 40.0,
               seed: int = 20240605) -> np.ndarray:
    """A seeded ``codes × units × coders`` int8 array of 0/1 (one unit per sentence)."""
    rng = np.random.default_rng(seed)
    units = int(rng.poisson(sentences, size=documents).clip(min=1).sum())
    prevalence = rng.uniform(0.01, 0.30, size=codes)
    sensitivity = rng.uniform(0.60, 0.95, size=(codes, coders))
    false_pos = rng.uniform(0.005, 0.05, size=(codes, coders))
    truth = rng.random((codes, units)) < prevalence[:, None]
    noise = rng.random((codes, units, coders))
    p_mark = np.where(truth[..., None], sensitivity[:, None, :], false_pos[:, None, :])
    return (noise < p_mark).astype(np.int8)


def run_batch(x: np.ndarray) -> tuple[float, ag.BinaryBatchResult]:
    t0 = time.perf_counter()
    result = ag.binary_agreement(x)
    return time.perf_counter() - t0, result


def run_per_code_api(x: np.ndarray) -> tuple[float, list[dict]]:
    out = []
    t0 = time.perf_counter()
    for code in range(x.shape[0]):
        table = x[code]  # units × coders
        out.append({
            "percent": ag.percent_agreement(table).value,
            "cohen": ag.cohen_kappa(table).value,
            "scott": ag.scott_pi(table).value,
            "fleiss": ag.fleiss_kappa(table).value,
            "alpha": ag.krippendorff_alpha(table).value,
            "ac1": ag.gwet_ac1(table, n_categories=2).value,
            "bp": ag.brennan_prediger(table, n_categories=2).value,
        })
    return time.perf_counter() - t0, out


def run_pure_python(columns: list[tuple[list[int], list[int]]]) -> tuple[float, list[dict]]:
    """The baseline: one plain loop per code tallies the 2 × 2 table, then closed forms.

    For two coders and a present/absent code every statistic follows from the table
    (a = both 1, b = only coder 1, c = only coder 2, d = both 0): percent (a+d)/n; Cohen with
    p_e = p1 p2 + (1-p1)(1-p2); Scott and Fleiss with pi = (p1+p2)/2, p_e = pi^2 + (1-pi)^2;
    alpha = 1 - (2n-1)(b+c) / (n1 n0) with n1 = 2a+b+c, n0 = 2d+b+c; AC1 with
    p_e = 2 pi (1-pi); Brennan–Prediger with p_e = 1/2.
    """
    nan = float("nan")

    def ratio(num, den):
        return num / den if den else nan

    out = []
    t0 = time.perf_counter()
    for col_a, col_b in columns:
        a = b = c = d = 0
        for x, y in zip(col_a, col_b, strict=True):
            if x == 1:
                if y == 1:
                    a += 1
                else:
                    b += 1
            elif y == 1:
                c += 1
            else:
                d += 1
        n = a + b + c + d
        po = (a + d) / n
        p1, p2 = (a + b) / n, (a + c) / n
        pe_cohen = p1 * p2 + (1 - p1) * (1 - p2)
        pi = (p1 + p2) / 2
        pe_scott = pi * pi + (1 - pi) * (1 - pi)
        pe_ac1 = 2 * pi * (1 - pi)
        n1, n0 = 2 * a + b + c, 2 * d + b + c
        out.append({
            "percent": po,
            "cohen": ratio(po - pe_cohen, 1 - pe_cohen),
            "scott": ratio(po - pe_scott, 1 - pe_scott),
            "fleiss": ratio(po - pe_scott, 1 - pe_scott),
            "alpha": 1 - ratio((2 * n - 1) * (b + c), n1 * n0) if n1 * n0 else nan,
            "ac1": ratio(po - pe_ac1, 1 - pe_ac1),
            "bp": (po - 0.5) / 0.5,
        })
    return time.perf_counter() - t0, out


def numpy_pass(path: Path) -> dict:
    """The baseline of ``--end-to-end``: read the rows with sqlite3 and count with numpy."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        sent = np.array(con.execute('SELECT document_id, start, "end" FROM sentence '
                                    "ORDER BY document_id, start").fetchall(), dtype=np.int64)
        cod = np.array(con.execute('SELECT document_id, code_id, coder_id, start, "end" '
                                   "FROM coding").fetchall(), dtype=np.int64)
    finally:
        con.close()
    span = int(sent[:, 2].max()) + 1
    start_key, end_key = sent[:, 0] * span + sent[:, 1], sent[:, 0] * span + sent[:, 2]
    lo = np.searchsorted(end_key, cod[:, 0] * span + cod[:, 3], side="right")
    hi = np.searchsorted(start_key, cod[:, 0] * span + cod[:, 4], side="left")
    codes, code_idx = np.unique(cod[:, 1], return_inverse=True)
    _, coder_idx = np.unique(cod[:, 2], return_inverse=True)
    n, k = len(sent), len(codes)
    marks = np.zeros((k, n + 1, 2), dtype=np.int32)
    np.add.at(marks, (code_idx, lo, coder_idx), 1)
    np.add.at(marks, (code_idx, hi, coder_idx), -1)
    x = np.cumsum(marks, axis=1)[:, :n] > 0
    # The comparable units only: sentences of documents both coders coded.
    docs = np.unique(sent[:, 0])
    coded = np.zeros((docs.size, 2), dtype=bool)
    coded[np.searchsorted(docs, cod[:, 0]), coder_idx] = True
    keep = coded[np.searchsorted(docs, sent[:, 0])].all(axis=1)
    x, n = x[:, keep], int(keep.sum())
    a = (x[..., 0] & x[..., 1]).sum(1)
    b = (x[..., 0] & ~x[..., 1]).sum(1)
    c = (~x[..., 0] & x[..., 1]).sum(1)
    d = n - a - b - c
    po = (a + d) / n
    p1, p2 = (a + b) / n, (a + c) / n
    pe = p1 * p2 + (1 - p1) * (1 - p2)
    with np.errstate(divide="ignore", invalid="ignore"):
        cohen = (po - pe) / (1 - pe)
        n1, n0 = 2 * a + b + c, 2 * d + b + c
        alpha = 1 - (2 * n - 1) * (b + c) / (n1 * n0)
    return {"codes": codes, "units": n, "cohen": cohen, "alpha": alpha, "percent": po}


def end_to_end(documents: int, repeat: int, seed: int) -> dict:
    """``--end-to-end``: the whole report on a two-coder SQLite project against numpy_pass."""
    import tempfile

    from qualcode.agreement.report import build_report
    from qualcode.agreement.units import build_unit_matrix
    from qualcode.analysis.synthetic import random_project
    from qualcode.project.codes import paths_by_id
    from qualcode.store.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "e2e.db"
        db = Database(path)
        t0 = time.perf_counter()
        sizes = random_project(db, seed=seed, documents=documents, codes=40, coders=2,
                               codings=documents * 12, sentences_per_document=40)
        build_s = time.perf_counter() - t0
        runs, base = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            report = build_report(build_unit_matrix(db, coders=["coder1", "coder2"]), draws=1000)
            runs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            baseline = numpy_pass(path)
            base.append(time.perf_counter() - t0)
        with db.session() as session:
            paths = paths_by_id(session, db.project_id(session))
        db.close()
    # The same numbers from both, code by code.
    assert baseline["units"] == report.comparable.units
    table = report.table.set_index("code")
    order = [paths[int(c)] for c in baseline["codes"]]
    for name in ("cohen", "alpha", "percent"):
        assert np.allclose(baseline[name], table.loc[order, name].to_numpy(), equal_nan=True), name
    ratio = min(runs) / min(base)
    return {"project": sizes, "build_seconds": round(build_s, 1),
            "report_seconds": round(min(runs), 3), "numpy_pass_seconds": round(min(base), 3),
            "ratio_report_over_numpy_pass": round(ratio, 2), "target_ratio": 2.0,
            "meets_target": ratio <= 2.0}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--codes", type=int, default=100)
    parser.add_argument("--coders", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20240605)
    parser.add_argument("--repeat", type=int, default=3,
                        help="time each pass this many times and report the fastest (the "
                             "machine is shared, so the minimum is the least noisy)")
    parser.add_argument("--skip-per-code", action="store_true",
                        help="do not time the per-code public API loop")
    parser.add_argument("--end-to-end", action="store_true",
                        help="also time build_unit_matrix + build_report on a two-coder SQLite "
                             "project against a plain numpy pass over the same rows")
    parser.add_argument("--e2e-documents", type=int, default=7000,
                        help="documents of 40 sentences for --end-to-end (7,000: 280,000)")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    x = synthesise(args.documents, args.codes, args.coders, seed=args.seed)
    synth = time.perf_counter() - t0
    codes, units, coders = x.shape

    if coders != 2:
        raise SystemExit("the pure-Python baseline is written for two coders")
    repeat = max(1, args.repeat)
    batch_runs = [run_batch(x) for _ in range(repeat)]
    batch_s, batch = min(batch_runs, key=lambda run: run[0])
    columns = [(x[c, :, 0].tolist(), x[c, :, 1].tolist()) for c in range(codes)]  # not timed
    python_runs = [run_pure_python(columns) for _ in range(repeat)]
    python_s, baseline = min(python_runs, key=lambda run: run[0])

    # Same data, independent formulas: the two must give the same numbers.
    for name in batch.statistics:
        ours = getattr(batch, name)
        theirs = np.array([row[name] for row in baseline])
        assert np.allclose(ours, theirs, equal_nan=True), f"batch {name} differs from baseline"

    result = {
        "data": {"documents": args.documents, "codes": codes, "units": units, "coders": coders,
                 "seed": args.seed, "synthesis_seconds": round(synth, 3)},
        "statistics": list(batch.statistics),
        "repeat": repeat,
        "batch_seconds": round(batch_s, 4),
        "pure_python_seconds": round(python_s, 3),
        "pure_python_statistics": list(batch.statistics),
        "speedup_pure_python_over_batch": round(python_s / batch_s, 1),
        "target_seconds": TARGET_SECONDS,
        "meets_target": batch_s <= TARGET_SECONDS,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__},
    }
    if not args.skip_per_code:
        api_s, api = run_per_code_api(x)
        assert np.allclose([r["alpha"] for r in api], batch.alpha, equal_nan=True)
        assert np.allclose([r["ac1"] for r in api], batch.ac1, equal_nan=True)
        result["per_code_api_seconds"] = round(api_s, 3)
        result["per_code_api_meets_target"] = api_s <= TARGET_SECONDS
    if args.end_to_end:
        result["end_to_end"] = end_to_end(args.e2e_documents, repeat, args.seed)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
