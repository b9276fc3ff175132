"""Many-coders benchmark: codings per second with one coder, and with ten coding at once.

    python bench/concurrency_bench.py                          # SQLite, 1 vs 10 processes × 300
    python bench/concurrency_bench.py --codings 100            # a quick look
    python bench/concurrency_bench.py --postgres postgresql+psycopg://user@host/db

Each coder is its own process that adds codings with ``qualcode.coding.editing.add`` (one transaction
each, recorded for undo, exactly as the app does) to three sample transcripts, as its own coder.
All processes start together (a start file) and the clock runs from the start to the last one
finishing, so start-up is not counted. On PostgreSQL each run gets its own schema, dropped after.

It prints JSON per engine: codings per second with 1 and with N processes, their ratio, and the
retries (``qualcode.store.db.retry_stats``: busy, serialization, integrity, stale, ran alone, gave
up — the last must be 0). SQLite lets one writer in at a time, so N processes cannot beat one by
much there (the ratio shows what waiting for the lock costs); PostgreSQL runs writes side by
side, bounded by the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAMPLES = ["p01_program_director_internal_medicine.txt", "p03_global_health_faculty.txt",
           "p05_visiting_student_uganda.txt"]


def setup(url: str) -> dict:
    from qualcode.coding import codebook_edit
    from qualcode.store.db import Database
    from qualcode.project.documents import import_files

    db = Database(url)
    files = [(n, (ROOT / "transcripts_sample" / n).read_bytes()) for n in SAMPLES]
    result = import_files(db, files, workers=0)
    assert not result.errors, result.errors
    codes = [codebook_edit.create_code(db, f"C{i}", actor="bench").id for i in range(5)]
    from sqlalchemy import func, select

    from qualcode.store.models import Document

    with db.session() as s:
        docs = [list(r) for r in s.execute(select(Document.id, func.length(Document.text))
                                           .order_by(Document.id))]
    db.close()
    return {"documents": docs, "codes": codes}


def worker(url: str, index: int, n: int, plan: dict, go: Path, out: Path) -> None:
    from qualcode.store import db as qdb
    from qualcode.coding import editing

    db = qdb.Database(url)
    (out.parent / f"ready-{index}").touch()
    while not go.exists():
        time.sleep(0.005)
    t0 = time.perf_counter()
    docs, codes = plan["documents"], plan["codes"]
    for i in range(n):
        doc_id, _length = docs[i % len(docs)]
        start = (i // len(docs)) * 4
        editing.add(db, doc_id, codes[i % len(codes)], f"coder-{index}", start, start + 3 + index)
    out.write_text(json.dumps({"seconds": time.perf_counter() - t0, "stats": qdb.retry_stats}))
    db.close()


def run(url: str, processes: int, codings: int, plan: dict, folder: Path) -> dict:
    folder.mkdir()
    go = folder / "go"
    procs = [subprocess.Popen([sys.executable, __file__, "--phase", "worker", "--url", url,
                               "--index", str(i), "--codings", str(codings),
                               "--plan", json.dumps(plan), "--go", str(go),
                               "--out", str(folder / f"w{i}.json")],
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
             for i in range(processes)]
    while len(list(folder.glob("ready-*"))) < processes:
        if any(p.poll() not in (None, 0) for p in procs):
            raise SystemExit("a worker failed to start")
        time.sleep(0.02)
    t0 = time.perf_counter()
    go.touch()
    codes = [p.wait() for p in procs]
    wall = time.perf_counter() - t0
    if any(codes):
        raise SystemExit(f"worker exit codes {codes}")
    stats: Counter = Counter()
    for i in range(processes):
        stats.update(json.loads((folder / f"w{i}.json").read_text())["stats"])
    total = processes * codings
    return {"processes": processes, "codings": total, "seconds": round(wall, 1),
            "codings_per_second": round(total / wall, 1), "retries": dict(stats)}


def bench_engine(name: str, make_url, processes: int, codings: int) -> dict:
    out = {"engine": name}
    with tempfile.TemporaryDirectory() as tmp:
        for label, n_proc in (("one", 1), ("many", processes)):
            url, cleanup = make_url(Path(tmp), label)
            try:
                plan = setup(url)
                out[label] = run(url, n_proc, codings, plan, Path(tmp) / f"run-{label}")
            finally:
                cleanup()
    out["ratio_many_to_one"] = round(out["many"]["codings_per_second"]
                                     / out["one"]["codings_per_second"], 2)
    return out


def sqlite_url(folder: Path, label: str):
    return str(folder / f"{label}.db"), lambda: None


def postgres_urls(server: str):
    from sqlalchemy import create_engine, text

    def make(_folder: Path, _label: str):
        schema = "qc_bench_" + uuid.uuid4().hex[:10]
        admin = create_engine(server)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in server else "?"

        def cleanup():
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        return f"{server}{sep}options=-csearch_path%3D{schema}", cleanup

    return make


def main() -> None:
    ap = argparse.ArgumentParser(description="qualcode many-coders benchmark")
    ap.add_argument("--processes", type=int, default=10)
    ap.add_argument("--codings", type=int, default=300, help="codings per process")
    ap.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    ap.add_argument("--phase", choices=["worker"], help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--index", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--plan", help=argparse.SUPPRESS)
    ap.add_argument("--go", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase == "worker":
        worker(args.url, args.index, args.codings, json.loads(args.plan), args.go, args.out)
        return
    results = [bench_engine("sqlite", sqlite_url, args.processes, args.codings)]
    if args.postgres:
        results.append(bench_engine("postgresql", postgres_urls(args.postgres), args.processes,
                                    args.codings))
    print(json.dumps({"cores": os.cpu_count(), "codings_per_process": args.codings,
                      "results": results}, indent=2))


if __name__ == "__main__":
    main()
