"""kill -9 in the middle of an import and of a merge: the database opens cleanly and is whole.

Each test runs the real work in a child process (its own process group, so the parsing
workers die with it), sends SIGKILL while it is writing, then reopens the database and checks
every row the crash could have touched. Both engines run (PostgreSQL through ``db_url``).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from bench.corpus import generate
from qualcode.coding.codebook_edit import merge_codes
from qualcode.store.db import Database
from qualcode.project.documents import prepare
from qualcode.store.models import ChangeLog, Code, Coder, Coding, Document, EditHistory, Sentence, Turn

ROOT = Path(__file__).resolve().parent.parent
N_FILES = 200
#: Words per transcript: enough that the import takes seconds, so the kill lands mid-way.
N_WORDS = 1500


def spawn(args: list[str]) -> subprocess.Popen:
    """A child ``python`` in its own process group (killed as a whole, like kill -9 on a job)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QUALCODE_USER": "crash-test"}
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill9(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def count_documents(engine) -> int:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM document")).scalar()
    except Exception:  # noqa: BLE001 - any error while the child starts up means "none yet"
        return 0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """200 generated transcripts on disk and what a correct import makes of each (by name)."""
    folder = tmp_path_factory.mktemp("corpus")
    expected = {}
    for g in generate(N_FILES, N_WORDS, seed=11):
        (folder / g.filename).write_bytes(g.data)
        _name, parsed, sents, error = prepare((g.filename, g.data, 10**8))
        assert error is None, error
        expected[Path(g.filename).stem] = (hashlib.sha256(parsed.text.encode()).hexdigest(),
                                           len(parsed.turns), len(sents))
    return folder, expected


def check_documents_whole(db: Database, expected: dict) -> int:
    """Every stored document has exactly its turns, sentences, text hash and one log entry."""
    if db.path is not None:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    with db.session() as s:
        docs = s.execute(select(Document.id, Document.name, Document.text, Document.content_hash)).all()
        turns = dict(s.execute(select(Turn.document_id, func.count()).group_by(Turn.document_id)).all())
        sents = dict(s.execute(select(Sentence.document_id, func.count())
                               .group_by(Sentence.document_id)).all())
        logged = Counter(s.scalars(select(ChangeLog.entity_id).where(
            ChangeLog.entity == "document", ChangeLog.action == "import")))
    assert set(turns) | set(sents) <= {d.id for d in docs}  # no orphan rows
    for d in docs:
        digest = hashlib.sha256(d.text.encode()).hexdigest()
        got = (d.content_hash, digest, turns.get(d.id, 0), sents.get(d.id, 0), logged[d.id])
        want_hash, want_turns, want_sents = expected[d.name]
        assert got == (want_hash, want_hash, want_turns, want_sents, 1), d.name
    return len(docs)


def test_kill_9_during_a_200_file_import_leaves_whole_documents(db_url, corpus):
    folder, expected = corpus
    Database(db_url).close()  # the schema exists before the child starts, so polling is simple
    engine = create_engine(db_url if "://" in db_url else f"sqlite:///{db_url}")
    proc = spawn(["-m", "qualcode", "--db", db_url, "import", str(folder), "--no-progress"])
    try:
        while count_documents(engine) < 5:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.02)
        kill9(proc)
    finally:
        if proc.poll() is None:
            kill9(proc)
        engine.dispose()

    db = Database(db_url)  # opens cleanly (and finds its schema current)
    present = check_documents_whole(db, expected)
    assert 5 <= present < N_FILES, "the import finished before the kill; make the corpus larger"
    print(f"killed with {present} of {N_FILES} documents stored")
    db.close()

    again = spawn(["-m", "qualcode", "--db", db_url, "import", str(folder), "--no-progress"])
    _out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    db = Database(db_url)
    assert check_documents_whole(db, expected) == N_FILES
    db.close()


# -- merge -----------------------------------------------------------------------------------------

N_CODINGS = 1200
N_TWINS = 40  # codings the target already has: a merge collapses these

#: The child merges Source into Target and freezes at a chosen instant inside the transaction,
#: so that the kill always lands mid-merge (no timing guesswork).
MERGE_CHILD = """
import sys, time
from sqlalchemy import event
from qualcode.store.db import Database
from qualcode.coding.codebook_edit import merge_codes
url, when = sys.argv[1], sys.argv[2]
db = Database(url)
seen = {"updates": 0}
def freeze():
    print("frozen", flush=True)
    time.sleep(600)
@event.listens_for(db.engine, "before_cursor_execute")
def count(conn, cursor, statement, params, context, executemany):
    if statement.lstrip().upper().startswith("UPDATE CODING"):
        seen["updates"] += 1
        if (when == "first" and seen["updates"] == 1) or (when == "half" and seen["updates"] == HALF):
            freeze()
@event.listens_for(db.engine, "commit")
def before_commit(conn):
    if when == "commit" and seen["updates"]:
        freeze()
merge_codes(db, "Source", "Target", actor="crash-test")
print("merged", flush=True)
""".replace("HALF", str(N_CODINGS // 2))


def merge_fixture(db: Database) -> None:
    """One document, codes Source and Target, N_CODINGS codings on Source (N_TWINS also on Target)."""
    data = ("Interviewer: Tell me.\n\nP1: " + " ".join(f"word{i}." for i in range(N_CODINGS))).encode()
    from qualcode.project.documents import import_files

    assert import_files(db, [("long.txt", data)]).imported
    with db.session() as s:
        pid = db.project_id(s)
        doc = s.scalar(select(Document))
        src, dst, coder = Code(project_id=pid, name="Source"), Code(project_id=pid, name="Target", ordinal=1), \
            Coder(project_id=pid, name="ana")
        s.add_all([src, dst, coder])
        s.flush()
        rows = []
        for i in range(N_CODINGS):
            start = doc.text.index(f"word{i}.")
            span = {"document_id": doc.id, "coder_id": coder.id, "start": start,
                    "end": start + len(f"word{i}"), "quote": f"word{i}", "memo": None}
            rows.append({**span, "code_id": src.id})
            if i < N_TWINS:
                rows.append({**span, "code_id": dst.id})
        s.execute(Coding.__table__.insert(), rows)


def merge_state(db: Database) -> tuple:
    """Codes, codings (by code name) and the edit history: everything a merge changes."""
    with db.session() as s:
        codes = sorted(s.scalars(select(Code.name)))
        names = dict(s.execute(select(Code.id, Code.name)).all())
        codings = sorted((c.document_id, names[c.code_id], c.coder_id, c.start, c.end, c.memo)
                         for c in s.scalars(select(Coding)))
        edits = s.scalar(select(func.count()).select_from(EditHistory))
    return codes, codings, edits


def merged(state: tuple) -> tuple:
    """What a complete merge of Source into Target makes of ``state`` (computed independently)."""
    codes, codings, edits = state
    moved = sorted({(d, "Target" if c == "Source" else c, who, a, b, m) for d, c, who, a, b, m in codings})
    return [c for c in codes if c != "Source"], moved, edits + 1


@pytest.mark.parametrize("when", ["first", "half", "commit"])
def test_kill_9_during_a_merge_leaves_it_all_or_nothing(db_url, when):
    db = Database(db_url)
    merge_fixture(db)
    before = merge_state(db)
    assert len(before[1]) == N_CODINGS + N_TWINS
    db.close()

    proc = spawn(["-c", MERGE_CHILD, db_url, when])
    try:
        line = proc.stdout.readline()
        assert line == "frozen\n", (line, proc.stderr.read() if proc.poll() is not None else "")
        kill9(proc)
    finally:
        if proc.poll() is None:
            kill9(proc)

    db = Database(db_url)  # opens cleanly after the crash
    if db.path is not None:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    # Frozen inside the transaction, so the merge must not have happened at all.
    assert merge_state(db) == before
    # Running it again completes it, exactly as a merge that never crashed.
    counts = merge_codes(db, "Source", "Target", actor="crash-test")
    assert (counts["moved"], counts["collapsed"]) == (N_CODINGS - N_TWINS, N_TWINS)
    assert merge_state(db) == merged(before)
    db.close()


# -- online backup -----------------------------------------------------------------------------------


def test_a_backup_taken_during_an_import_restores_whole_documents(db_url, corpus, tmp_path):
    """`qualcode backup` while an import writes: the copy is consistent, and restoring it works."""
    from qualcode.team.backup import backup, restore

    folder, expected = corpus
    Database(db_url).close()
    engine = create_engine(db_url if "://" in db_url else f"sqlite:///{db_url}")
    proc = spawn(["-m", "qualcode", "--db", db_url, "import", str(folder), "--no-progress"])
    try:
        while count_documents(engine) < 5:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.02)
        made = backup(Database(db_url, migrate=False), tmp_path / "during-import.bak")
        _out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            kill9(proc)
        engine.dispose()

    done = restore(Database(db_url, migrate=False), made["output"], yes=True)
    assert done["done"] is True
    db = Database(db_url)
    present = check_documents_whole(db, expected)
    assert 5 <= present < N_FILES, "the import finished before the backup; make the corpus larger"
    db.close()
