"""Analysis benchmark: frequencies and co-occurrence at 1 M codings against DuckDB, same data, same run.

    pip install -r bench/requirements.txt                # DuckDB (bench only)
    python bench/analysis_bench.py                       # 1,000 documents, 100 codes, 1 M codings, 3 coders
    python bench/analysis_bench.py --documents 100 --codings 100000   # a quick look
    python bench/analysis_bench.py --db /tmp/bench1m.db  # reuse (or create once) a generated database

The project comes from :func:`qualcode.analysis.synthetic.random_project` (seeded): each document
has ``--sentences`` sentences in two-speaker turns; a coding covers 1+ whole sentences or part of
one. It is loaded with :func:`qualcode.analysis.data.load`'s default coding set (3 coders, no
consensus: all coders, counted as passages). Loading is timed separately, and so is copying the
loaded tables into an in-memory DuckDB database (``duckdb_load``); the word and turn indexes are
built before the timings, like the load.

Timed (fastest of ``--repeat`` runs, ours and DuckDB's alternating):

* ``frequencies`` — :func:`qualcode.analysis.frequencies.frequencies` (per code with roll-up:
  passages, codings, documents, participants, words coded = spoken words touching the union
  of the spans);
* ``cooccurrence_overlap`` and ``cooccurrence_sentence`` — the count matrix of
  :func:`qualcode.analysis.cooccurrence.cooccurrence`.

The DuckDB baselines compute the same definitions in SQL, from the same loaded rows (codings
with their passage id, documents' global base offsets, sentences, the word index, the code
tree's ancestor pairs); each is the fastest of the plans we tried (``SQL_NOTES``):

* overlap — an interval self-join of the codings on global offsets, each coder on its own
  stretch of the line (so it is a pure inequality join: DuckDB's IEJoin), pairs of different
  codes, then DISTINCT pairs of *passages* (one coder's overlap counts once per passage pair),
  counted per pair of codes; n1 = distinct passages per code;
* sentence — the coding × sentence interval join (IEJoin), DISTINCT (sentence, coder, code),
  n1 = distinct sentences per code, n12 = distinct sentences where one coder has both codes
  (self-join on sentence and coder);
* frequencies — ASOF joins for each coding's word range, the ancestor pairs for the roll-up, a
  running maximum (window) for the union of word ranges, and one GROUP BY per code with the
  DISTINCT counts.

``agree``: the whole matrix (every cell, diagonal = n1) or the whole frequency table is
compared exactly with ours. The baselines take our passage ids as input (as our functions do:
``load`` computes them); a separate, untimed query computes DuckDB's own passages (gaps and
islands) and checks they are ours up to numbering (``passages_agree``).

``ratio`` = our seconds / DuckDB's (below 1: we are faster). Targets (issue #13): each at
most 0.5 s on an idle machine and faster than DuckDB; the load average is printed, since this
machine is shared, and so is the process CPU time of each side (fastest run; DuckDB's summed
over its threads), which a busy machine inflates far less than wall time. Prints a table, then
JSON. Tests never assert timings.
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
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.data import load
from qualcode.analysis.frequencies import frequencies
from qualcode.analysis.synthetic import random_project
from qualcode.store.db import Database

TARGET_SECONDS = 0.5
OPS = ("frequencies", "cooccurrence_overlap", "cooccurrence_sentence")

# -- DuckDB: the same definitions in SQL ------------------------------------------------------

#: Each baseline is a short script: temporary tables of global offsets (documents' base
#: offsets, as ours), then the query. With the offsets computed inside one statement (CTEs,
#: materialized or not) DuckDB 2.0 planned a piecewise merge join or an IEJoin over hash-join
#: output that ran 100+ s at 100,000 codings; as tables they take the IEJoin, about 0.5 s.
SQL = {
    "cooccurrence_overlap": [
        # each coder on its own stretch of the line: one coder's codings only meet that coder's,
        # and the join stays a pure inequality join (IEJoin)
        """CREATE OR REPLACE TEMP TABLE g AS
           SELECT c.code_id, c.passage, c.coder_rank * w.width + d.base + c.start AS gs,
                  c.coder_rank * w.width + d.base + c."end" AS ge
           FROM codings c JOIN documents d USING (document_id),
                (SELECT max(base) + max(length) + 1 AS width FROM documents) w""",
        # distinct pairs of passages one coder coded overlapping (code a < code b), per pair of codes
        """SELECT a, b, count(*) AS n FROM (
               SELECT DISTINCT a.passage AS pa, b.passage AS pb, a.code_id AS a, b.code_id AS b
               FROM g a JOIN g b ON a.gs < b.ge AND b.gs < a.ge AND a.code_id < b.code_id)
           GROUP BY a, b
           UNION ALL
           SELECT code_id, code_id, count(DISTINCT passage) FROM codings GROUP BY code_id""",
    ],
    "cooccurrence_sentence": [
        """CREATE OR REPLACE TEMP TABLE gc AS
           SELECT c.code_id, c.coder_rank, d.base + c.start AS gs, d.base + c."end" AS ge
           FROM codings c JOIN documents d USING (document_id)""",
        """CREATE OR REPLACE TEMP TABLE gsen AS
           SELECT s.sentence, d.base + s.start AS ss, d.base + s."end" AS se
           FROM sentences s JOIN documents d USING (document_id)""",
        # (sentence, coder, code) for every sentence a coding shares a character with
        """CREATE OR REPLACE TEMP TABLE inc AS
           SELECT DISTINCT s.sentence, c.coder_rank, c.code_id
           FROM gc c JOIN gsen s ON c.gs < s.se AND s.ss < c.ge""",
        # n12: sentences where one coder has both codes; n1: sentences with the code (any coder)
        """SELECT x.code_id AS a, y.code_id AS b, count(DISTINCT x.sentence) AS n
           FROM inc x JOIN inc y ON x.sentence = y.sentence AND x.coder_rank = y.coder_rank
                                AND x.code_id < y.code_id
           GROUP BY a, b
           UNION ALL
           SELECT code_id, code_id, count(DISTINCT sentence) FROM inc GROUP BY code_id""",
    ],
    "frequencies": [
        # word range [lo, hi) of each coding: the words ending after its start and starting
        # before its end (ASOF joins on the sorted word index)
        """CREATE OR REPLACE TEMP TABLE r AS
           WITH c AS (
               SELECT c.code_id, c.document_id, c.passage, d.participant_id,
                      d.base + c.start AS gs, d.base + c."end" AS ge
               FROM codings c JOIN documents d USING (document_id))
           SELECT c.*, coalesce(w1.word, (SELECT count(*) FROM words)) AS lo, coalesce(w2.word + 1, 0) AS hi
           FROM c ASOF LEFT JOIN words w1 ON c.gs < w1.wend
                  ASOF LEFT JOIN words w2 ON c.ge > w2.wstart""",
        # one row per (coding, its code or a theme above it); words = the union of the word
        # ranges per code (a running maximum of the ranges so far, in order of first word)
        """WITH x AS (
               SELECT a.node, r.*,
                      max(r.hi) OVER (PARTITION BY a.node ORDER BY r.lo, r.hi
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
               FROM r JOIN ancestors a USING (code_id))
           SELECT node, count(DISTINCT passage) AS passages, count(*) AS codings,
                  count(DISTINCT document_id) AS documents, count(DISTINCT participant_id) AS participants,
                  sum(greatest(0, hi - greatest(lo, coalesce(reach, -1)))) AS words
           FROM x GROUP BY node""",
    ],
}

#: Not timed: DuckDB's own passages (gaps and islands: per document and code, in order of
#: start, a coding opens a new passage when it starts at or after the furthest end so far)
#: must be ours up to numbering: as many passages as ours, and each of ours one of DuckDB's.
PASSAGE_CHECK = """
    WITH w AS (
        SELECT document_id, code_id, passage, start,
               max("end") OVER (PARTITION BY document_id, code_id ORDER BY start, "end"
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
        FROM codings),
    i AS (
        SELECT passage, document_id, code_id,
               sum(CASE WHEN reach IS NULL OR start >= reach THEN 1 ELSE 0 END)
                   OVER (PARTITION BY document_id, code_id ORDER BY start, reach NULLS FIRST
                         ROWS UNBOUNDED PRECEDING) AS island
        FROM w)
    SELECT count(DISTINCT passage), count(DISTINCT (document_id, code_id, island)),
           count(DISTINCT (passage, document_id, code_id, island))
    FROM i
"""

SQL_NOTES = {
    "cooccurrence_overlap": "IEJoin on global offsets (each coder a stretch of the line), DISTINCT "
                            "passage pairs; an equi-join on (document, coder) filtered by the "
                            "inequalities was slower",
    "cooccurrence_sentence": "IEJoin coding x sentence on global offsets, DISTINCT incidence, self-join on "
                             "(sentence, coder)",
    "frequencies": "ASOF joins for word ranges, ancestor join for the roll-up, running max window for the "
                   "union of word ranges, GROUP BY with DISTINCT counts",
}


def duckdb_tables(con, data) -> None:
    """Copy the loaded tables DuckDB needs into ``con`` (what ``load`` is to us)."""
    c = data.codings
    docs = data.documents
    coder_rank = pd.factorize(c["coder"], sort=True)[0]
    codings = pd.DataFrame({  # noqa: F841 (read by DuckDB by name)
        "coding_id": c["coding_id"].to_numpy(np.int64), "document_id": c["document_id"].to_numpy(np.int64),
        "code_id": c["code_id"].to_numpy(np.int64), "coder_rank": coder_rank.astype(np.int64),
        "start": c["start"].to_numpy(np.int64), "end": c["end"].to_numpy(np.int64),
        "passage": c["passage"].to_numpy(np.int64)})
    documents = pd.DataFrame({  # noqa: F841
        "document_id": docs.index.to_numpy(np.int64), "base": docs["base"].to_numpy(np.int64),
        "length": docs["length"].to_numpy(np.int64),
        "participant_id": docs["participant_id"].astype("Int64")})
    s = data.sentences
    sentences = pd.DataFrame({  # noqa: F841
        "sentence": np.arange(len(s), dtype=np.int64), "document_id": s["document_id"].to_numpy(np.int64),
        "start": s["start"].to_numpy(np.int64), "end": s["end"].to_numpy(np.int64)})
    wstart, wend = data.words()
    words = pd.DataFrame({"word": np.arange(len(wstart), dtype=np.int64),  # noqa: F841
                          "wstart": wstart, "wend": wend})
    pairs = data.codes["ancestors"].explode().rename("node").reset_index()
    ancestors = pd.DataFrame({"code_id": pairs["code_id"].to_numpy(np.int64),  # noqa: F841
                              "node": pairs["node"].to_numpy(np.int64)})
    for name in ("codings", "documents", "sentences", "words", "ancestors"):
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}")


def duck_matrix(result: pd.DataFrame, like: pd.DataFrame, paths: pd.Series) -> pd.DataFrame:
    """A DuckDB (a, b, n) result as our matrix: symmetric n12, n1 on the diagonal, same labels."""
    pos = {p: i for i, p in enumerate(like.index)}
    values = np.zeros(like.shape, dtype=np.int64)
    for a, b, n in result.itertuples(index=False):
        if paths[a] not in pos or paths[b] not in pos:  # a code we do not show: cannot agree
            values[0, 0] = -1
            continue
        i, j = pos[paths[a]], pos[paths[b]]
        values[i, j] = values[j, i] = n
    return pd.DataFrame(values, index=like.index, columns=like.columns)


def duck_frequencies(result: pd.DataFrame, data) -> pd.DataFrame:
    """A DuckDB frequency result as our table (every code in tree order, zeros included)."""
    cols = ["passages", "codings", "documents", "participants", "words"]
    codes = data.codes.sort_values("order")
    out = result.set_index("node")[cols].reindex(codes.index).fillna(0).astype(np.int64)
    return out.reset_index(drop=True)


# -- timing ------------------------------------------------------------------------------------

def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def timed_cpu(fn):
    """(wall seconds, process CPU seconds, result): CPU time is what a busy machine inflates
    least (for DuckDB it is the sum over its threads)."""
    t, c = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - t, time.process_time() - c, result


def traced_peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return round(peak / 1e6, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--codes", type=int, default=100)
    ap.add_argument("--codings", type=int, default=1_000_000)
    ap.add_argument("--coders", type=int, default=3)
    ap.add_argument("--sentences", type=int, default=200, help="sentences per document")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's, all cores)")
    ap.add_argument("--db", help="SQLite file to reuse (generated into it when new)")
    args = ap.parse_args()
    try:
        import duckdb
    except ImportError:
        sys.exit("DuckDB is a bench-only dependency: pip install -r bench/requirements.txt")

    load_before = os.getloadavg()
    path = Path(args.db) if args.db else Path(f"/tmp/qualcode-analysis-bench-{os.getpid()}.db")
    fresh = not path.exists()
    db = Database(path)
    generated, gen_s = None, None
    if fresh:
        gen_s, generated = timed(lambda: random_project(
            db, seed=1, documents=args.documents, codes=args.codes, codings=args.codings,
            coders=args.coders, sentences_per_document=args.sentences))
    load_s, data = timed(lambda: load(db))
    index_s, _ = timed(lambda: (data.words(), data.turn_index()))
    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    duck_load_s, _ = timed(lambda: duckdb_tables(con, data))

    ours = {
        "frequencies": lambda: frequencies(data),
        "cooccurrence_overlap": lambda: cooccurrence(data, unit="overlap"),
        "cooccurrence_sentence": lambda: cooccurrence(data, unit="sentence"),
    }

    def script(statements):
        for statement in statements[:-1]:
            con.execute(statement)
        return con.execute(statements[-1]).df()

    theirs = {name: (lambda q=SQL[name]: script(q)) for name in OPS}
    times = {name: {"ours": [], "duckdb": []} for name in OPS}
    cpu = {name: {"ours": [], "duckdb": []} for name in OPS}
    results: dict[str, dict] = {name: {} for name in OPS}
    for _ in range(args.repeat):  # alternate, so a burst of load elsewhere hits both sides
        for name in OPS:
            for side, fn in (("ours", ours[name]), ("duckdb", theirs[name])):
                s, c, results[name][side] = timed_cpu(fn)
                times[name][side].append(s)
                cpu[name][side].append(c)
    peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    traced = {name: traced_peak_mb(fn) for name, fn in ours.items()}

    paths = data.codes["path"]
    agree = {}
    f = results["frequencies"]["ours"]
    cols = ["passages", "codings", "documents", "participants", "words"]
    agree["frequencies"] = bool(f[cols].reset_index(drop=True).equals(
        duck_frequencies(results["frequencies"]["duckdb"], data)))
    for name in ("cooccurrence_overlap", "cooccurrence_sentence"):
        m = results[name]["ours"]
        agree[name] = bool(m.equals(duck_matrix(results[name]["duckdb"], m, paths)))

    ours_n, theirs_n, pairs_n = con.execute(PASSAGE_CHECK).fetchone()
    passages_agree = ours_n == theirs_n == pairs_n

    rows = {}
    for name in OPS:
        o, d = min(times[name]["ours"]), min(times[name]["duckdb"])
        rows[name] = {
            "seconds": round(o, 3),
            "duckdb_seconds": round(d, 3),
            "ratio": round(o / d, 2),
            "target_seconds": TARGET_SECONDS,
            "meets_seconds": o <= TARGET_SECONDS,
            "faster_than_duckdb": o < d,
            "meets_target": o <= TARGET_SECONDS and o < d,
            "agree": agree[name],
            "cpu_seconds": round(min(cpu[name]["ours"]), 3),
            "duckdb_cpu_seconds": round(min(cpu[name]["duckdb"]), 3),
            "median_seconds": round(float(np.median(times[name]["ours"])), 3),
            "duckdb_median_seconds": round(float(np.median(times[name]["duckdb"])), 3),
            "traced_peak_mb": traced[name],
            "duckdb_sql": SQL_NOTES[name],
        }
    out = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "project": generated or {"reused": str(path), "codings": len(data.codings),
                                 "documents": len(data.documents), "sentences": len(data.sentences)},
        "coding_set": data.coding_set.as_dict(),
        "generate_seconds": None if gen_s is None else round(gen_s, 2),
        "load_seconds": round(load_s, 3),
        "word_and_turn_index_seconds": round(index_s, 3),
        "duckdb_load_seconds": round(duck_load_s, 3),
        "duckdb": {"version": duckdb.__version__, "threads": threads},
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__,
                    "cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "repeat": args.repeat,
        "results": rows,
        "passages_agree": {"agree": bool(passages_agree), "ours": int(ours_n), "duckdb": int(theirs_n)},
        "peak_rss_mb": peak_rss_mb,
    }
    print(f"{'operation':<24}{'ours s':>8}{'DuckDB s':>10}{'ratio':>7}{'target':>8}{'met':>5}{'agree':>7}"
          f"{'ours CPU s':>12}{'DuckDB CPU s':>14}")
    for name, r in rows.items():
        met, agree = "yes" if r["meets_target"] else "no", str(r["agree"]).lower()
        print(f"{name:<24}{r['seconds']:>8.3f}{r['duckdb_seconds']:>10.3f}{r['ratio']:>7.2f}"
              f"{r['target_seconds']:>8}{met:>5}{agree:>7}"
              f"{r['cpu_seconds']:>12.3f}{r['duckdb_cpu_seconds']:>14.3f}")
    print(f"passage ids: {ours_n} ours, {theirs_n} DuckDB (gaps and islands), "
          f"agree {str(bool(passages_agree)).lower()}")
    print(f"load {load_s:.2f} s, word/turn index {index_s:.2f} s, DuckDB copy {duck_load_s:.2f} s "
          f"({threads} threads); load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(json.dumps(out, indent=2))
    con.close()
    db.close()
    if fresh and not args.db:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
