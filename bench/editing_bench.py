"""Coding benchmark (issue 13): one ``editing.add`` on SQLite in a project of 2,000 codings.

    python bench/editing_bench.py                 # 2,000 codings, 300 timed adds
    python bench/editing_bench.py --adds 50       # a quick look

It loads the shipped sample project into a fresh SQLite file, tops it up to ``--codings``
codings by three coders (through ``editing.add``, untimed), then times ``--adds`` more calls of
``qualcode.coding.editing.add`` — each a new passage, one transaction, written to the change
log and the undo history, exactly as the workspace's "Code selection" does — alternating with
the baseline, so both see the same machine:

* baseline: the least a write can cost on the same file — one write transaction (``BEGIN
  IMMEDIATE``) inserting one ``coding`` row and one ``change_log`` row with SQLAlchemy Core, no
  look-ups, no checks, no undo history.

It prints a table (wall-clock p50, p95 and mean, and the p50 of the process's CPU time, in
milliseconds: on a loaded machine the wall clock mostly measures waiting for a core) and JSON
with the ratio of the p50s and the target (``editing.add`` p50 ≤ 25 ms).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_P50_MS = 25.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(ms: list[float], cpu_ms: list[float]) -> dict:
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(_percentile(ms, 0.95), 2), "mean_ms": round(statistics.fmean(ms), 2),
            "cpu_p50_ms": round(statistics.median(cpu_ms), 2)}


def build(folder: Path, codings: int, seed: int):
    """The sample project topped up to ``codings`` codings; returns (db, documents, codes)."""
    from sqlalchemy import func, select

    from qualcode.coding import editing
    from qualcode.project.sample import load_sample
    from qualcode.store.db import Database
    from qualcode.store.models import Code, Coding, Document

    db = Database(folder / "bench.db")
    load_sample(db)
    with db.session() as s:
        documents = [tuple(r) for r in s.execute(select(Document.id, func.length(Document.text)))]
        codes = list(s.scalars(select(Code.id)))
        have = s.scalar(select(func.count()).select_from(Coding))
    rng = random.Random(seed)
    while have < codings:
        for _ in range(codings - have):
            doc, length = rng.choice(documents)
            start = rng.randrange(0, length - 200)
            editing.add(db, doc, rng.choice(codes), rng.choice(["ana", "ben", "chloe"]),
                        start, start + rng.randint(20, 180))
        with db.session() as s:  # a passage drawn twice added nothing: top up again
            have = s.scalar(select(func.count()).select_from(Coding))
    return db, documents, codes


def main() -> None:
    ap = argparse.ArgumentParser(description="editing.add benchmark")
    ap.add_argument("--codings", type=int, default=2000)
    ap.add_argument("--adds", type=int, default=300)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()

    from sqlalchemy import insert, select

    from qualcode.coding import editing
    from qualcode.store.models import ChangeLog, Coder, Coding

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        db, documents, codes = build(Path(tmp), args.codings, args.seed)
        built = time.perf_counter() - t0
        with db.session() as s:
            coder_id = s.scalar(select(Coder.id).where(Coder.name == "ana"))
            pid = db.project_id(s)
        rng = random.Random(args.seed + 1)
        add_ms: list[float] = []
        base_ms: list[float] = []
        add_cpu: list[float] = []
        base_cpu: list[float] = []
        for i in range(args.adds):
            doc, length = rng.choice(documents)
            code = rng.choice(codes)
            start = rng.randrange(0, length - 400)
            end = start + rng.randint(20, 180)
            # editing.add: a new passage as the workspace sends it (ids), as "ana".
            t, c = time.perf_counter(), time.process_time()
            editing.add(db, doc, code, "ana", start, end)
            add_ms.append((time.perf_counter() - t) * 1000)
            add_cpu.append((time.process_time() - c) * 1000)
            # Baseline: one write transaction with the two rows and nothing else.
            t, c = time.perf_counter(), time.process_time()
            with db.session(write=True) as s:
                s.execute(insert(Coding).values(document_id=doc, code_id=code, coder_id=coder_id,
                                                start=end + 1, end=end + 2, quote="x"))
                s.execute(insert(ChangeLog).values(project_id=pid, actor="bench", action="create",
                                                   entity="coding", detail="{}"))
            base_ms.append((time.perf_counter() - t) * 1000)
            base_cpu.append((time.process_time() - c) * 1000)
        db.close()
    add, base = _summary(add_ms, add_cpu), _summary(base_ms, base_cpu)
    ratio = add["p50_ms"] / base["p50_ms"]
    print(f"editing.add on SQLite, {args.codings:,} codings, {args.adds} timed adds "
          f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
          f"{__import__('os').cpu_count()} cores)", file=sys.stderr)
    print(f"{'':28} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'CPU p50':>8}", file=sys.stderr)
    for name, row in (("editing.add", add), ("baseline (2 Core inserts)", base)):
        print(f"{name:28} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} {row['mean_ms']:8.2f} "
              f"{row['cpu_p50_ms']:8.2f}", file=sys.stderr)
    print(json.dumps({
        "benchmark": "editing.add", "codings": args.codings, "setup_seconds": round(built, 1),
        "editing_add": add, "baseline": base, "ratio_p50_to_baseline": round(ratio, 2),
        "target_p50_ms": TARGET_P50_MS, "meets_target": add["p50_ms"] <= TARGET_P50_MS,
    }, indent=2))


if __name__ == "__main__":
    main()
