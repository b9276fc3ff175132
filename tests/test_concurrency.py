"""Many coders at once: real processes writing through the library, on SQLite (WAL) and PostgreSQL.

The big test starts 10 worker processes (``tests/concurrency_worker.py``) that each add 1,000
codings with ``qualcode.coding.editing.add`` as their own coder, while four of them rename codes and
five merge codes into a target, all interleaved. The plan is built so the exact end state is
known; the test then checks that no coding was lost or doubled, every rename and merge happened
exactly once, and no worker saw an error (none of them "database is locked").

The smaller tests pin down the parts: the retry decorator on its own, a busy SQLite database
(waits, then either succeeds or says "busy, try again"), and two coders changing the same
coding (the second one gets a clear conflict, never a silent overwrite).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from concurrency_worker import code_for, spans
from sqlalchemy import event, func, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError

from qualcode.coding import codebook_edit

from qualcode.coding import editing
from qualcode.store import db as qdb
from qualcode.store.db import Database, DatabaseBusy, DatabaseError, read_only, retrying
from qualcode.project.documents import import_files
from qualcode.store.models import ChangeLog, Code, Coder, Coding, Document, EditHistory, Project

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "concurrency_worker.py"
SAMPLES = ["p01_program_director_internal_medicine.txt", "p03_global_health_faculty.txt",
           "p05_visiting_student_uganda.txt"]
N_WORKERS = 10
#: Codings per worker (an environment variable lets a developer try a shorter run).
N_CODINGS = int(os.environ.get("QUALCODE_TEST_CODINGS_EACH", "1000"))
RENAMES_EACH = 10
#: How long the workers may take in all before the test fails.
WORKER_SECONDS = 900
LOCKED = "database is locked"


# -- the retry decorator on its own ----------------------------------------------------------------


def _locked() -> sa_exc.OperationalError:
    return sa_exc.OperationalError("UPDATE coding ...", {}, sqlite3.OperationalError(LOCKED))


class _PgError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__(f"pg error {sqlstate}")
        self.sqlstate = sqlstate


@pytest.fixture
def no_sleep(monkeypatch):
    """Backoff sleeps recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(qdb.time, "sleep", slept.append)
    return slept


@pytest.mark.parametrize("error", [
    _locked(),
    sa_exc.OperationalError("x", {}, _PgError("40001")),   # serialization failure
    sa_exc.OperationalError("x", {}, _PgError("40P01")),   # deadlock
    sa_exc.IntegrityError("x", {}, Exception("UNIQUE constraint failed: coder.name")),
    StaleDataError("UPDATE statement on table 'coding' expected to update 1 row(s); 0 were matched."),
    DatabaseBusy("busy"),
], ids=["sqlite-locked", "pg-40001", "pg-40P01", "integrity", "stale", "busy"])
def test_a_transient_error_is_retried_then_the_call_succeeds(error, no_sleep):
    calls = []

    @retrying
    def work(x):
        calls.append(x)
        if len(calls) < 3:
            raise error
        return x * 2

    assert work(21) == 42
    assert calls == [21, 21, 21]
    assert len(no_sleep) == 2 and 0 < no_sleep[0] < no_sleep[1] * 2  # backoff grows (jittered)


def test_the_backoff_grows_exponentially_with_jitter_and_is_capped(no_sleep, monkeypatch):
    monkeypatch.setattr(qdb, "RETRY_SECONDS", 10_000)
    monkeypatch.setattr(qdb, "RETRY_ATTEMPTS", 20)

    @retrying
    def always_busy():
        raise _locked()

    with pytest.raises(DatabaseBusy):
        always_busy()
    assert len(no_sleep) == 19
    assert no_sleep[0] < 0.02 and no_sleep[5] > 0.1 and max(no_sleep) <= 1.5
    assert len(set(no_sleep)) == len(no_sleep)  # jitter: no two waits alike


def test_a_call_that_stays_busy_gives_up_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(qdb, "RETRY_SECONDS", 0.3)
    attempts = []

    @retrying
    def always_busy():
        attempts.append(1)
        raise _locked()

    t0 = time.monotonic()
    with pytest.raises(DatabaseBusy) as info:
        always_busy()
    assert time.monotonic() - t0 < 1.0
    message = str(info.value)
    assert "busy" in message and "try again" in message and "Nothing was changed" in message
    assert LOCKED not in message
    assert isinstance(info.value, DatabaseError)  # the CLI and the app show those verbatim
    assert len(attempts) > 2


@pytest.mark.parametrize("error", [ValueError("a code needs a name"), KeyError("x"),
                                   sa_exc.OperationalError("x", {}, sqlite3.OperationalError(
                                       "no such table: coding"))])
def test_a_non_transient_error_is_not_retried(error, no_sleep):
    calls = []

    @retrying
    def work():
        calls.append(1)
        raise error

    with pytest.raises(type(error)):
        work()
    assert calls == [1] and no_sleep == []


def test_an_integrity_error_that_persists_is_raised_after_a_few_retries(no_sleep):
    calls = []

    @retrying
    def work():
        calls.append(1)
        raise sa_exc.IntegrityError("INSERT", {}, Exception("CHECK constraint failed"))

    with pytest.raises(sa_exc.IntegrityError):
        work()
    assert len(calls) == qdb.INTEGRITY_RETRIES + 1


def test_nested_calls_retry_only_at_the_outer_level(no_sleep, monkeypatch):
    monkeypatch.setattr(qdb, "RETRY_ATTEMPTS", 3)
    inner_calls, outer_calls = [], []

    @retrying
    def inner(fail: bool):
        inner_calls.append(1)
        if fail:
            raise _locked()

    @retrying
    def outer(fail_times: int):
        outer_calls.append(1)
        inner(len(outer_calls) <= fail_times)
        inner(False)
        return "done"

    assert outer(1) == "done"
    assert (len(outer_calls), len(inner_calls)) == (2, 3)  # not retried inside, once outside
    outer_calls.clear(), inner_calls.clear()
    with pytest.raises(DatabaseBusy):
        outer(99)
    assert (len(outer_calls), len(inner_calls)) == (3, 3)  # 3 attempts in all, not 3 × 3


def test_a_call_that_failed_twice_runs_alone(no_sleep):
    modes = []

    @retrying
    def work():
        modes.append(qdb._MODE.get())
        if len(modes) < 4:
            raise sa_exc.OperationalError("x", {}, _PgError("40001"))

    work()
    assert modes == ["write", "write", "exclusive", "exclusive"]
    assert qdb._MODE.get() == "auto"  # and everything is as before afterwards


def test_a_long_attempt_that_conflicts_runs_alone_at_once_even_after_the_time_is_up(monkeypatch):
    monkeypatch.setattr(qdb, "RETRY_SECONDS", 0.05)
    modes = []

    @retrying
    def long_merge():
        modes.append(qdb._MODE.get())
        time.sleep(0.1)  # longer than LONG_ATTEMPT and than the whole retry budget
        if len(modes) == 1:
            raise sa_exc.IntegrityError("DELETE FROM code", {}, Exception("still referenced"))
        return "merged"

    assert long_merge() == "merged"
    assert modes == ["write", "exclusive"]


def test_retrying_keeps_the_function_name_and_doc():
    assert editing.add.__name__ == "add" and "Code ``text[start:end]``" in editing.add.__doc__
    assert codebook_edit.merge_codes.__wrapped__.__name__ == "merge_codes"


# -- transactions on a real database ---------------------------------------------------------------


def _project(db: Database, n_docs: int = 3) -> list[tuple[int, int]]:
    """Import sample transcripts; (document id, text length) of each."""
    files = [(name, (ROOT / "transcripts_sample" / name).read_bytes()) for name in SAMPLES[:n_docs]]
    result = import_files(db, files, workers=0)
    assert not result.errors, result.errors
    with db.session() as s:
        return [tuple(r) for r in s.execute(select(Document.id, func.length(Document.text))
                                            .order_by(Document.id))]


def _lock_sqlite(path: Path) -> sqlite3.Connection:
    """Another program holding SQLite's write lock (an open BEGIN IMMEDIATE)."""
    con = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO change_log (at, actor, action, entity, detail) "
                "VALUES ('2026-01-01', 'other', 'x', 'y', '{}')")
    return con


def test_sqlite_write_and_read_transactions_begin_as_their_mode_asks(sqlite_path):
    db = Database(sqlite_path)
    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda conn, cur, statement, *a: seen.append(statement.split()[0] + (
                     " " + statement.split()[1] if statement.startswith("BEGIN ") else "")))
    with db.session(write=True) as s:
        s.execute(select(Project.id)).all()
    assert seen[0] == "BEGIN IMMEDIATE"
    seen.clear()
    with db.session(readonly=True) as s:
        s.execute(select(Project.id)).all()
    assert seen[0] == "BEGIN"
    seen.clear()
    with db.session() as s:  # as before: no lock for reading, the write lock at the first write
        s.execute(select(Project.id)).all()
        raw = s.connection().connection.dbapi_connection
        assert not raw.in_transaction  # the reads held no snapshot and no lock
        db.project_id(s)  # inserts the project
        assert raw.in_transaction
    assert "BEGIN" not in seen and "INSERT" in seen
    with db.session() as s:  # savepoints work (pysqlite no longer interferes)
        s.add(Coder(project_id=db.project_id(s), name="ana"))
        try:
            with s.begin_nested():
                s.add(Coder(project_id=db.project_id(s), name="ana"))
                s.flush()
        except sa_exc.IntegrityError:
            pass
    with db.session() as s:
        assert s.scalars(select(Coder.name)).all() == ["ana"]
    db.close()


def test_a_coder_waits_for_a_short_lock_then_the_coding_is_saved(sqlite_path):
    db = Database(sqlite_path)
    docs = _project(db, 1)
    code = codebook_edit.create_code(db, "A", actor="setup")
    other = _lock_sqlite(sqlite_path)
    threading.Timer(0.5, other.commit).start()
    t0 = time.monotonic()
    view = editing.add(db, docs[0][0], code.id, "ana", 0, 5)
    assert time.monotonic() - t0 >= 0.4 and view.version == 1
    other.close()
    db.close()


def test_a_database_that_stays_locked_says_busy_never_database_is_locked(sqlite_path, monkeypatch):
    db = Database(sqlite_path)
    docs = _project(db, 1)
    code = codebook_edit.create_code(db, "A", actor="setup")
    db.close()
    # Short waits so the test is quick: a 50 ms busy timeout, 0.5 s of retrying.
    monkeypatch.setattr(qdb, "SQLITE_BUSY_MS", 50)
    monkeypatch.setattr(qdb, "RETRY_SECONDS", 0.5)
    other = _lock_sqlite(sqlite_path)
    try:
        with pytest.raises(DatabaseBusy) as info:
            editing.add(db, docs[0][0], code.id, "ana", 0, 5)
        assert LOCKED not in str(info.value) and "try again" in str(info.value)
        # A plain session outside any retrying function says the same.
        with pytest.raises(DatabaseBusy) as info, db.session() as s:
            s.add(Coder(project_id=db.project_id(s), name="bob"))
        assert LOCKED not in str(info.value)
        # Reading never waits for a writer (WAL): the workspace still shows the document.
        t0 = time.monotonic()
        assert editing.codings_for_document(db, docs[0][0], viewer=None) == []
        assert time.monotonic() - t0 < 0.5
    finally:
        other.rollback()
        other.close()
    assert editing.add(db, docs[0][0], code.id, "ana", 0, 5).quote  # free again: it works
    db.close()


def test_two_coders_creating_the_same_coder_at_once_get_one_row(db):
    """The get-or-create race in ``coder_id``: many threads, one new coder name, one row."""
    docs = _project(db, 1)
    code = codebook_edit.create_code(db, "A", actor="setup")
    others = [Database(db.url) for _ in range(6)]
    barrier = threading.Barrier(len(others))
    errors: list[BaseException] = []

    def code_as_newcomer(i: int, other: Database) -> None:
        try:
            barrier.wait()
            editing.add(other, docs[0][0], code.id, "newcomer", i * 10, i * 10 + 5)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=code_as_newcomer, args=(i, o)) for i, o in enumerate(others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for o in others:
        o.close()
    assert errors == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Coder).where(Coder.name == "newcomer")) == 1
        assert s.scalar(select(func.count()).select_from(Coding)) == len(others)
        assert s.scalar(select(func.count()).select_from(ChangeLog).where(
            ChangeLog.entity == "coder", ChangeLog.action == "create")) == 1


# -- two coders editing the same coding ------------------------------------------------------------


def test_the_second_of_two_edits_from_the_same_version_gets_a_clear_conflict(db):
    docs = _project(db, 1)
    a = codebook_edit.create_code(db, "A", actor="setup")
    b = codebook_edit.create_code(db, "B", actor="setup")
    first = editing.add(db, docs[0][0], a.id, "ana", 10, 20)
    ana, bob = Database(db.url), Database(db.url)  # two coders, two connections
    loaded = editing.get_coding(bob, first.id)     # both see version 1
    assert editing.set_memo(ana, first.id, "ana's memo", actor="ana",
                            expected_version=loaded.version).version == 2
    attempts = [
        lambda: editing.set_memo(bob, first.id, "bob's memo", actor="bob",
                                 expected_version=loaded.version),
        lambda: editing.resize(bob, first.id, 10, 30, actor="bob", expected_version=loaded.version),
        lambda: editing.recode(bob, first.id, b.id, actor="bob", expected_version=loaded.version),
        lambda: editing.remove(bob, first.id, actor="bob", expected_version=loaded.version),
    ]
    for attempt in attempts:
        with pytest.raises(editing.StaleCoding) as info:
            attempt()
        message = str(info.value)
        assert "was changed since you loaded it" in message and "reload" in message
        assert "version 1, now 2" in message
    now = editing.get_coding(db, first.id)  # nothing of bob's landed: no silent overwrite
    assert (now.memo, now.start, now.end, now.code_id, now.version) == ("ana's memo", 10, 20, a.id, 2)
    ana.close(), bob.close()


def test_racing_edits_of_one_coding_let_exactly_one_through_each_round(db):
    """Two coders press save at the same moment, 15 times: one wins, the other is told."""
    docs = _project(db, 1)
    code = codebook_edit.create_code(db, "A", actor="setup")
    coding = editing.add(db, docs[0][0], code.id, "ana", 10, 20)
    coders = {"ana": Database(db.url), "bob": Database(db.url)}

    def save(name: str, version: int, memo: str, barrier: threading.Barrier, outcome: dict) -> None:
        barrier.wait()
        try:
            outcome[name] = editing.set_memo(coders[name], coding.id, memo, actor=name,
                                             expected_version=version).version
        except Exception as exc:  # noqa: BLE001 - checked below
            outcome[name] = exc

    for round_ in range(15):
        version = editing.get_coding(db, coding.id).version
        barrier, outcome = threading.Barrier(2), {}
        threads = [threading.Thread(target=save, args=(n, version, f"{n} {round_}", barrier, outcome))
                   for n in coders]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        won = [n for n, r in outcome.items() if r == version + 1]
        lost = [r for r in outcome.values() if isinstance(r, editing.StaleCoding)]
        assert len(won) == 1 and len(lost) == 1, outcome
        assert "changed since you loaded it" in str(lost[0])
        now = editing.get_coding(db, coding.id)
        assert (now.memo, now.version) == (f"{won[0]} {round_}", version + 1)
    for c in coders.values():
        c.close()


@pytest.mark.postgres
def test_postgresql_writes_run_side_by_side_and_alone_when_escalated(postgres_schema_url):
    db = Database(postgres_schema_url)
    locks = text("SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                 "WHERE l.pid = pg_backend_pid() AND c.relname IN ('code', 'coding')")
    with db.session(write=True) as s:
        assert s.scalar(text("SHOW transaction_isolation")) == "repeatable read"
        assert s.scalar(text("SHOW lock_timeout")) == "30s"
        assert s.execute(locks).all() == []
    seen = []

    @retrying
    def escalated():
        with db.session() as s:
            seen.append((s.scalar(text("SHOW transaction_isolation")), sorted(s.execute(locks))))
        if len(seen) < 3:
            raise sa_exc.OperationalError("x", {}, _PgError("40P01"))

    escalated()
    assert seen[0] == ("repeatable read", [])
    assert seen[-1] == ("read committed", [("code", "ShareRowExclusiveLock"),
                                           ("coding", "ShareRowExclusiveLock")])
    with db.session() as s:  # outside: as before
        assert s.scalar(text("SHOW transaction_isolation")) == "read committed"
        assert s.execute(locks).all() == []
    db.close()


@pytest.mark.parametrize("engine_name", ["sqlite", "postgres"])
def test_read_only_functions_read_one_snapshot(engine_name, request, tmp_path):
    url = (str(tmp_path / "p.db") if engine_name == "sqlite"
           else request.getfixturevalue("postgres_schema_url"))
    db = Database(url)
    _project(db, 1)
    writer = Database(url)
    seen = []

    @read_only
    def count_twice():
        with db.session() as s:
            seen.append(s.scalar(select(func.count()).select_from(Code)))
            codebook_edit.create_code(writer, "new", actor="w")  # commits in between
            seen.append(s.scalar(select(func.count()).select_from(Code)))

    count_twice()
    assert seen == [0, 0]  # one snapshot, and the writer did not wait for the reader
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Code)) == 1
    writer.close(), db.close()


# -- ten processes at once -------------------------------------------------------------------------


def _plan(db: Database, tmp_path: Path) -> dict:
    """The workload: codes, documents, who renames and who merges what, and when."""
    docs = _project(db)
    code = {name: codebook_edit.create_code(db, name, actor="setup").id
            for name in ["R0", "R1", "R2", "T", "M1", "M2", "M3", "M4", "M5"]}
    writers_codes = list(code.values())
    # Workers 0-3 rename R0, R1, R2 and the merge target T every 100 codings (10 each);
    # workers 5-9 merge M1..M5 into T, one each, at codings 150, 300, ... 750 (spread over the
    # run, so writers meet both sides of each merge). Worker 4 only codes.
    step = N_CODINGS // RENAMES_EACH
    renames = {str(w): {str(k * step + step - 1): [code[name], f"{name} v{k + 1}"]
                        for k in range(RENAMES_EACH)}
               for w, name in enumerate(["R0", "R1", "R2", "T"])}
    merges = {str(w): {str(N_CODINGS * (w - 4) * 3 // 20): [code[f"M{w - 4}"], code["T"]]}
              for w in range(5, 10)}
    results = tmp_path / "results"
    results.mkdir()
    return {"url": db.url, "codings": N_CODINGS, "documents": docs, "codes": writers_codes,
            "names": code, "renames": renames, "merges": merges,
            "merged_into": {str(code[f"M{k}"]): code["T"] for k in range(1, 6)},
            "go": str(tmp_path / "go"), "results": str(results)}


def _run_workers(plan: dict, tmp_path: Path) -> tuple[list[dict], float]:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    results = Path(plan["results"])
    with contextlib.ExitStack() as stack:
        procs = []
        for w in range(N_WORKERS):
            out = stack.enter_context(open(tmp_path / f"worker-{w}.out", "w"))
            procs.append(subprocess.Popen([sys.executable, str(WORKER), str(plan_file), str(w)],
                                          cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
            stack.callback(lambda p=procs[-1]: p.poll() is None and (p.kill(), p.wait()))
        deadline = time.monotonic() + 180
        while len(list(results.glob("ready-*"))) < N_WORKERS:
            failed = [p.returncode for p in procs if p.poll() is not None]
            assert not failed, [(tmp_path / f"worker-{w}.out").read_text() for w in range(N_WORKERS)]
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.05)
        t0 = time.perf_counter()
        Path(plan["go"]).touch()
        for p in procs:  # on 2 busy cores: SQLite about 70 s, PostgreSQL about 3 minutes
            p.wait(timeout=max(0.0, t0 + WORKER_SECONDS - time.perf_counter()))
    wall = time.perf_counter() - t0
    logs = [(tmp_path / f"worker-{w}.out").read_text() for w in range(N_WORKERS)]
    for w, (p, log) in enumerate(zip(procs, logs, strict=True)):
        assert LOCKED not in log.lower(), f"worker {w}:\n{log}"
        assert p.returncode == 0, f"worker {w} exited with {p.returncode}:\n{log}"
    return [json.loads((results / f"worker-{w}.json").read_text()) for w in range(N_WORKERS)], wall


def _check_final_state(db: Database, plan: dict, results: list[dict]) -> dict:
    code = plan["names"]
    target = {int(k): v for k, v in plan["merged_into"].items()}
    expected: dict[tuple[str, int, int, int], int] = {}
    for w in range(N_WORKERS):
        for i, (doc_id, start, end) in enumerate(spans(w, N_CODINGS, plan["documents"])):
            c = code_for(i, plan["codes"])
            expected[(f"coder-{w}", doc_id, start, end)] = target.get(c, c)
    assert len(expected) == N_WORKERS * N_CODINGS
    with db.session() as s:
        rows = s.execute(select(Coder.name, Coding.document_id, Coding.start, Coding.end,
                                Coding.code_id, Coding.quote, Document.text, Coding.version)
                         .join(Coder, Coder.id == Coding.coder_id)
                         .join(Document, Document.id == Coding.document_id)).all()
        # Exactly once each: no coding lost, none doubled (under any code), each on its code.
        keys = Counter((r[0], r[1], r[2], r[3]) for r in rows)
        assert [k for k, n in keys.items() if n > 1] == []
        assert set(keys) == set(expected)
        assert {(r[0], r[1], r[2], r[3]): r[4] for r in rows} == expected
        assert all(quote == text_[start:end] for _, _, start, end, _, quote, text_, _ in rows)
        per_coder = Counter(r[0] for r in rows)
        assert per_coder == {f"coder-{w}": N_CODINGS for w in range(N_WORKERS)}
        # One coder row and one "create coder" entry per worker (the get-or-create race).
        assert s.scalar(select(func.count()).select_from(Coder)) == N_WORKERS
        logged = Counter(s.execute(select(ChangeLog.entity, ChangeLog.action)).all())
        assert logged[("coder", "create")] == N_WORKERS
        assert logged[("coding", "create")] == N_WORKERS * N_CODINGS  # no add logged twice
        # Codes: every rename applied once and in order, the merged codes gone.
        names = dict(s.execute(select(Code.id, Code.name)).all())
        assert names == {code[n]: f"{n} v{RENAMES_EACH}" for n in ["R0", "R1", "R2", "T"]}
        history = Counter(s.execute(select(EditHistory.actor, EditHistory.kind)).all())
        for w in range(N_WORKERS):
            assert history[(f"coder-{w}", "add")] == N_CODINGS
            assert history[(f"coder-{w}", "rename code")] == (RENAMES_EACH if w < 4 else 0)
            assert history[(f"coder-{w}", "merge codes")] == (1 if w >= 5 else 0)
        renamed = [r for r in s.execute(select(ChangeLog.detail).where(
            ChangeLog.entity == "code", ChangeLog.action == "update")).scalars()
                   if json.loads(r).get("edit") == "rename code"]
        assert len(renamed) == 4 * RENAMES_EACH
        # Every coding meant for a merged code was either moved by its merge or, once the code
        # was gone, coded with the target directly: nothing fell between the two.
        meant_for_merged = sum(1 for w in range(N_WORKERS) for i in range(N_CODINGS)
                               if code_for(i, plan["codes"]) in target)
        moved = sum(m["moved"] for r in results for m in r["merges"])
        redirected = sum(r["redirected"] for r in results)
        assert moved + redirected == meant_for_merged
        codings_on = Counter(r[4] for r in rows)
        assert codings_on[code["T"]] == sum(1 for c in expected.values() if c == code["T"])
    if db.path is not None:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    return {"moved": moved, "redirected": redirected,
            "code_gone": sum(r["code_gone"] for r in results)}


def _many_coders(url: str, tmp_path: Path, engine_name: str) -> None:
    db = Database(url)
    plan = _plan(db, tmp_path)
    results, wall = _run_workers(plan, tmp_path)
    stats: Counter = Counter()
    for r in results:
        stats.update(r["retry_stats"])
    total = N_WORKERS * N_CODINGS
    slowest = max(r["seconds"] for r in results)
    cpu = sum(r["cpu_seconds"] for r in results)
    print(f"\n[{engine_name}] {N_WORKERS} processes x {N_CODINGS} codings = {total} in {wall:.1f} s "
          f"wall ({total / wall:.0f} codings/s; slowest worker {slowest:.1f} s; workers' CPU "
          f"{cpu:.1f} s = {cpu / total * 1000:.1f} ms a coding); "
          f"{4 * RENAMES_EACH} renames, 5 merges; library calls {stats['calls']}, retried "
          f"{stats['retried_calls']}, retries {stats['retries']} (busy {stats['busy']}, "
          f"serialization {stats['serialization']}, integrity {stats['integrity']}, stale "
          f"{stats['stale']}), ran alone after two failures {stats['escalated']}, gave up "
          f"{stats['gave_up']}")
    checked = _check_final_state(db, plan, results)
    db.close()
    print(f"[{engine_name}] merges moved {checked['moved']} codings; {checked['redirected']} were "
          f"coded with the target after their code was merged away ({checked['code_gone']} "
          "'code gone' errors)")
    assert stats["gave_up"] == 0


@pytest.mark.timeout(WORKER_SECONDS + 300)
def test_ten_coders_at_once_on_sqlite(tmp_path):
    _many_coders(str(tmp_path / "many.db"), tmp_path, "sqlite")


@pytest.mark.timeout(WORKER_SECONDS + 300)
@pytest.mark.postgres
def test_ten_coders_at_once_on_postgresql(postgres_schema_url, tmp_path):
    _many_coders(postgres_schema_url, tmp_path, "postgresql")
