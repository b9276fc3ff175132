"""Storage: schema, pragmas, guards and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from qualcode.team.changelog import history, log
from qualcode.store.db import Database, DatabaseError, resolve_url
from qualcode.store.models import Base, ChangeLog, Code, Coder, Coding, Document, Project


def test_new_database_is_at_head_and_matches_the_models(db):
    assert db.current_revision() == Database.head_revision()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # The expression index of migration 0002 is not in the models (SQLAlchemy cannot compare
    # expression indexes); test_sibling_code_names_are_unique... checks it does its job.
    diff = [d for d in diff if not (d[0] == "remove_index" and d[1].name == "uq_code_sibling_name")]
    assert diff == []


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(sqlite_path):
    db = Database(sqlite_path)
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_change_log_is_append_only(db):
    with db.session() as s:
        log(s, project_id=None, actor="ana", action="create", entity="code", entity_id=1, path="A")
    for statement in ("UPDATE change_log SET actor = 'mallory'", "DELETE FROM change_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.session() as s:
                s.execute(text(statement))
    with db.session() as s:
        assert [(h["actor"], h["detail"]) for h in history(s)] == [("ana", {"path": "A"})]


def test_sibling_code_names_are_unique_case_insensitively(db):
    with db.session() as s:
        pid = db.project_id(s)
        s.add(Code(project_id=pid, name="Barriers"))
    with pytest.raises(IntegrityError):
        with db.session() as s:
            s.add(Code(project_id=db.project_id(s), name="barriers"))
    with db.session() as s:  # the same name under another parent is fine
        pid = db.project_id(s)
        parent = s.scalar(select(Code).where(Code.name == "Barriers"))
        s.add(Code(project_id=pid, name="Barriers", parent_id=parent.id))
        assert len(s.scalars(select(Code)).all()) == 2


@pytest.mark.parametrize("start,end", [(5, 5), (7, 3), (-1, 4)])
def test_a_coding_span_must_be_non_empty_and_non_negative(db, start, end):
    with db.session() as s:
        pid = db.project_id(s)
        doc = Document(project_id=pid, name="d", original_filename="d.txt", format="txt",
                       content_hash="x", text="0123456789")
        code, coder = Code(project_id=pid, name="c"), Coder(project_id=pid, name="ana")
        s.add_all([doc, code, coder])
    with pytest.raises(IntegrityError):
        with db.session() as s:
            s.add(Coding(document_id=doc.id, code_id=code.id, coder_id=coder.id,
                         start=start, end=end, quote=""))


def test_a_failed_transaction_writes_nothing(db):
    with pytest.raises(RuntimeError):
        with db.session() as s:
            s.add(Project(name="half-done"))
            s.flush()
            raise RuntimeError("crash in the middle")
    with db.session() as s:
        assert s.scalars(select(Project)).all() == []


def test_opening_an_older_sqlite_database_backs_it_up_then_migrates(sqlite_path):
    old = Database(sqlite_path, migrate=False)
    with old.engine.begin() as conn:
        command.upgrade(old._alembic_config(conn), "0001")
    with old.engine.begin() as conn:  # raw SQL: today's ORM classes have columns 0001 lacks
        conn.execute(text("INSERT INTO project (name, guid, blind_coding, created_at) "
                          "VALUES ('from an older qualcode', 'g', 0, '2026-01-01')"))
    old.close()

    db = Database(sqlite_path)
    assert db.current_revision() == Database.head_revision()
    assert db.backup_path is not None and db.backup_path.name.startswith("project.db.bak-0001-")
    backup = sqlite3.connect(db.backup_path)
    assert backup.execute("select version_num from alembic_version").fetchall() == [("0001",)]
    assert backup.execute("select name from project").fetchall() == [("from an older qualcode",)]
    backup.close()
    with db.session() as s:
        assert s.scalars(select(Project.name)).all() == ["from an older qualcode"]
    # the upgrade really ran: the append-only guard of 0002 now exists
    with pytest.raises(DBAPIError):
        with db.session() as s:
            s.add(ChangeLog(actor="a", action="b", entity="c"))
            s.flush()
            s.execute(text("DELETE FROM change_log"))


def test_a_database_that_is_not_qualcodes_is_refused(sqlite_path):
    conn = sqlite3.connect(sqlite_path)
    conn.execute("create table invoices (id integer)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="not a qualcode database"):
        Database(sqlite_path)


def test_database_location_comes_from_argument_environment_or_default(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QUALCODE_DB", raising=False)
    assert resolve_url() == f"sqlite:///{tmp_path / 'qualcode.db'}"
    monkeypatch.setenv("QUALCODE_DB", "team.db")
    assert resolve_url() == f"sqlite:///{tmp_path / 'team.db'}"
    assert resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_a_missing_folder_gives_a_clear_error(tmp_path):
    with pytest.raises(DatabaseError, match="does not exist"):
        Database(tmp_path / "nowhere" / "x.db")
