"""One coder of the many-coders-at-once test (``tests/test_concurrency.py``), as its own process.

    python tests/concurrency_worker.py PLAN.json WORKER_INDEX

It opens the database named in the plan, waits for the plan's start file (so all workers
begin together), then writes its codings through ``qualcode.coding.editing.add`` as coder
``coder-N``, one transaction each, exactly as the app does. Between codings it carries out its
share of the plan's renames and merges (``qualcode.coding.codebook_edit``). Codes are named by id, so
renames never disturb the writers; when a merge has removed the code a coding was meant for,
``add`` says the code is gone (a clear error) and the worker codes the passage, and the later
ones meant for that code, with the merge target instead, and counts both.

The result (counts, retries, seconds) is written as JSON to ``RESULT_DIR/worker-N.json``; any
other error ends the process with a traceback and exit code 1.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qualcode.coding import codebook_edit

from qualcode.coding import editing
from qualcode.store import db as qdb
from qualcode.project.codings import CodingError
from qualcode.store.db import Database


def spans(worker: int, n: int, documents: list[list[int]]) -> list[tuple[int, int, int]]:
    """(document id, start, end) of the worker's n codings: all different within the worker.

    A merge collapses one coder's identical passages, so a worker never codes one passage twice
    (with different codes); other workers code overlapping, but never identical, spans.
    """
    out = []
    for i in range(n):
        doc_id, length = documents[i % len(documents)]
        start = (i // len(documents)) * 4
        end = start + 3 + worker
        assert end <= length
        out.append((doc_id, start, end))
    return out


def code_for(i: int, codes: list[int]) -> int:
    return codes[i % len(codes)]


def run(plan: dict, worker: int) -> dict:
    db = Database(plan["url"])
    coder = f"coder-{worker}"
    n = plan["codings"]
    my_spans = spans(worker, n, plan["documents"])
    renames = {int(k): v for k, v in plan["renames"].get(str(worker), {}).items()}
    merges = {int(k): v for k, v in plan["merges"].get(str(worker), {}).items()}
    merged_into = {int(k): v for k, v in plan["merged_into"].items()}
    gone: set[int] = set()
    (Path(plan["results"]) / f"ready-{worker}").touch()
    go = Path(plan["go"])
    deadline = time.monotonic() + 120
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the start file never appeared")
        time.sleep(0.01)
    t0, cpu0 = time.perf_counter(), time.process_time()
    code_gone = redirected = 0
    done_renames, done_merges = [], []
    for i, (doc_id, start, end) in enumerate(my_spans):
        meant = code = code_for(i, plan["codes"])
        while code in gone:
            code = merged_into[code]
        try:
            view = editing.add(db, doc_id, code, coder, start, end)
        except CodingError as exc:
            if f"no code with id {code}" not in str(exc) or code not in merged_into:
                raise
            code_gone += 1  # merged away meanwhile: code the passage with the merge target
            gone.add(code)
            code = merged_into[code]
            view = editing.add(db, doc_id, code, coder, start, end)
        redirected += code != meant
        assert (view.document_id, view.start, view.end, view.coder) == (doc_id, start, end, coder)
        if i in renames:
            code_id, new_name = renames[i]
            codebook_edit.rename_code(db, code_id, new_name, actor=coder)
            done_renames.append(new_name)
        if i in merges:
            source, target = merges[i]
            counts = codebook_edit.merge_codes(db, source, target, actor=coder)
            assert counts["collapsed"] == 0, counts  # no coder ever codes a passage twice
            done_merges.append(counts)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    db.close()
    return {"worker": worker, "codings": n, "code_gone": code_gone, "redirected": redirected, "renames": done_renames,
            "merges": done_merges, "seconds": seconds, "cpu_seconds": cpu,
            "start_cpu_seconds": cpu0, "retry_stats": dict(qdb.retry_stats),
            "pid": os.getpid()}


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    worker = int(sys.argv[2])
    # Each retry, with its reason, goes to the worker's own log (the test prints a summary).
    logging.basicConfig(filename=Path(plan["results"]) / f"retries-{worker}.log",
                        level=logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("qualcode.db").setLevel(logging.INFO)
    result = run(plan, worker)
    out = Path(plan["results"]) / f"worker-{worker}.json"
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
