"""Export benchmark (issue 13): the excerpts XLSX of 100,000 passages, streamed.

    python bench/export_bench.py                 # 100,000 excerpts, 3 rounds
    python bench/export_bench.py --rows 20000    # a quick look

Generates a seeded table shaped like ``analysis.excerpts.excerpts`` output (document,
participant, an attribute, code, coders, speaker, offsets, a quote of ~40 words and its context
of ~120) and, each in a fresh process so that peak memory is its own, times:

* ``to_xlsx`` — qualcode's writer (openpyxl write-only mode, every text cell through the
  spreadsheet formula guard);
* baseline — pandas' ``DataFrame.to_excel`` with openpyxl on the same table (the usual way,
  a cell object per value kept until the file is saved).

Each process reports its wall time and peak RSS (``ru_maxrss``); the table's own size is
printed too. Target: peak RSS under 1 GB for 100,000 excerpts.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("visa letter rotation observership program director licence exam hospital "
         "mentor network clerkship interview residency funding housing schedule").split()


def frame(rows: int, seed: int):
    """A DataFrame like the excerpts table, with ``rows`` rows."""
    import pandas as pd

    rng = random.Random(seed)

    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    return pd.DataFrame({
        "document": [f"p{rng.randrange(1000):04d}" for _ in range(rows)],
        "participant": [f"P{rng.randrange(1000):04d}" for _ in range(rows)],
        "role": [rng.choice(["graduate", "director", "faculty"]) for _ in range(rows)],
        "code": [f"Barriers/Branch {rng.randrange(8)}/Code {rng.randrange(12)}" for _ in range(rows)],
        "coders": [rng.choice(["ana", "ana, ben", "ben, chen"]) for _ in range(rows)],
        "codings": [rng.randrange(1, 4) for _ in range(rows)],
        "speaker": [rng.choice(["Interviewer", "Participant"]) for _ in range(rows)],
        "start": [rng.randrange(100_000) for _ in range(rows)],
        "end": [rng.randrange(100_000, 200_000) for _ in range(rows)],
        "quote": [text(40) for _ in range(rows)],
        "context": [text(120) for _ in range(rows)],
        "memo": [rng.choice(["", "=SUM(A1)", "check this"]) for _ in range(rows)],
    })


def _phase(which: str, rows: int, seed: int) -> dict:
    data = frame(rows, seed)
    t = time.perf_counter()
    if which == "to_xlsx":
        from qualcode.analysis.excerpts import to_xlsx

        size = len(to_xlsx(data))
    else:
        import io

        out = io.BytesIO()
        data.to_excel(out, index=False, engine="openpyxl")
        size = len(out.getvalue())
    return {"seconds": time.perf_counter() - t, "bytes": size,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description="excerpts XLSX export benchmark")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--phase", choices=["to_xlsx", "baseline", "table"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        if args.phase == "table":
            frame(args.rows, args.seed)
            out = {"seconds": 0, "bytes": 0,
                   "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        else:
            out = _phase(args.phase, args.rows, args.seed)
        print(json.dumps(out))
        return

    def run(which: str) -> dict:
        line = subprocess.run([sys.executable, __file__, "--phase", which, "--rows", str(args.rows),
                               "--seed", str(args.seed)], check=True, capture_output=True, text=True)
        return json.loads(line.stdout.strip().splitlines()[-1])

    results: dict[str, list[dict]] = {"to_xlsx": [], "baseline": [], "table": []}
    for _ in range(args.rounds):
        for which in results:
            results[which].append(run(which))
    summary = {which: {"median_s": round(statistics.median(r["seconds"] for r in runs), 2),
                       "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs)),
                       "mb_written": round(runs[0]["bytes"] / 1e6, 1)}
               for which, runs in results.items()}
    ratio = summary["to_xlsx"]["median_s"] / summary["baseline"]["median_s"]
    print(f"excerpts XLSX, {args.rows:,} rows, {args.rounds} rounds "
          f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    print(f"{'':32}{'median s':>10}{'peak RSS MB':>13}{'MB written':>12}")
    names = {"table": "the table alone (no export)", "to_xlsx": "qualcode to_xlsx (write-only)",
             "baseline": "pandas to_excel (openpyxl)"}
    for which in ("table", "to_xlsx", "baseline"):
        s = summary[which]
        print(f"{names[which]:32}{s['median_s']:>10.2f}{s['peak_rss_mb']:>13}{s['mb_written']:>12}")
    rss = summary["to_xlsx"]["peak_rss_mb"]
    print(f"time ratio to_xlsx / baseline: {ratio:.2f}; peak RSS {rss} MB "
          f"(target < 1024 MB: {'met' if rss < 1024 else 'not met'})")
    print(json.dumps({"benchmark": "export_xlsx", "rows": args.rows, "rounds": args.rounds,
                      "summary": summary, "time_ratio": round(ratio, 2),
                      "meets_memory": rss < 1024}, indent=2))


if __name__ == "__main__":
    main()
