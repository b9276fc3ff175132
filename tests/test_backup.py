"""Backups, restores, the automatic daily backup and the ``history`` command."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import click
import pytest
from click.testing import CliRunner

from qualcode.team import backup as bk
from qualcode.team.backup import BackupError, auto_backup, auto_backups, backup, restore
from qualcode.cli import admin, main
from qualcode.store.db import Database
from qualcode.project.documents import import_files, list_documents


def _qualcode() -> click.Group:
    """The ``qualcode`` group with the admin commands, without changing the shared one."""
    if "backup" in main.commands:  # registered by qualcode/cli/__init__.py
        return main
    group = click.Group("qualcode", params=main.params, callback=main.callback,
                        context_settings=main.context_settings, commands=dict(main.commands))
    admin.register(group)
    return group


QUALCODE = _qualcode()

T0 = datetime(2026, 3, 1, 9, 30, 0, tzinfo=UTC)


def add_doc(db: Database, name: str) -> None:
    result = import_files(db, [(f"{name}.txt", f"Interviewer: Who is {name}?\n\nP1: I am {name}.".encode())])
    assert [d.document for d in result.imported] == [name]


def names(db: Database) -> list[str]:
    return [d["name"] for d in list_documents(db)]


def cli(*args, expect=0):
    result = CliRunner().invoke(QUALCODE, list(map(str, args)), catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


# -- backup and restore on both engines ----------------------------------------------------------


def test_backup_then_restore_brings_back_the_backed_up_state(db, tmp_path):
    add_doc(db, "alpha")
    out = tmp_path / "copy.bak"
    made = backup(db, out)
    assert (made["engine"], made["output"], made["bytes"] > 0) == (db.dialect, str(out), True)
    add_doc(db, "beta")

    plan = restore(db, out, now=T0)
    assert plan["done"] is False
    assert names(db) == ["alpha", "beta"]  # without yes nothing changes

    done = restore(Database(db.url, migrate=False), out, yes=True, now=T0)
    assert done["done"] is True
    reopened = Database(db.url)
    assert names(reopened) == ["alpha"]
    # The safety backup holds what was there before the restore.
    safety = Database(done["safety_backup"]) if db.path else None
    if safety is not None:
        assert names(safety) == ["alpha", "beta"]
        safety.close()
    reopened.close()


def test_backup_never_overwrites(db, tmp_path):
    out = tmp_path / "exists.bak"
    out.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup(db, out)
    assert out.read_bytes() == b"keep me"


def test_sqlite_backup_is_an_openable_database(sample_db, tmp_path):
    backup(sample_db, tmp_path / "copy.db")
    copy = Database(tmp_path / "copy.db")
    assert names(copy) == names(sample_db)
    copy.close()


# -- restore refuses files that are not qualcode backups, and changes nothing ---------------------


@pytest.mark.parametrize("kind, message", [
    ("text", "is not an SQLite database"),
    ("foreign", "not a qualcode one"),
    ("missing", "does not exist"),
    ("future", "does not know"),
])
def test_restore_refuses_a_bad_file_and_leaves_the_database_alone(sample_db, tmp_path, kind, message):
    bad = tmp_path / "bad.db"
    if kind == "text":
        bad.write_text("Interviewer: not a database\n" * 100)
    elif kind == "foreign":
        con = sqlite3.connect(bad)
        con.execute("CREATE TABLE notes (x)")
        con.commit()
        con.close()
    elif kind == "future":
        backup(sample_db, bad)
        con = sqlite3.connect(bad)
        con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        con.commit()
        con.close()
    before = names(sample_db)
    with pytest.raises(BackupError, match=message):
        restore(sample_db, bad, yes=True)
    assert names(sample_db) == before
    assert not (sample_db.path.parent / "backups").exists()


def test_postgres_without_pg_dump_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(bk.shutil, "which", lambda name: None)
    db = Database("postgresql+psycopg://someone:secret@127.0.0.1:1/nowhere", migrate=False)
    with pytest.raises(BackupError, match="pg_dump is not on PATH; install the PostgreSQL client tools"):
        backup(db, tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []


def test_pg_target_keeps_the_password_off_the_command_line():
    db = Database("postgresql+psycopg://ana:s3cret@db.example:5433/qc?options=-csearch_path%3Dteam_a",
                  migrate=False)
    uri, env, schema = bk._pg_target(db)
    assert (uri, env["PGPASSWORD"], schema) == (
        "postgresql://ana@db.example:5433/qc?options=-csearch_path%3Dteam_a", "s3cret", "team_a")


# -- automatic daily backups ----------------------------------------------------------------------


def test_auto_backup_runs_once_a_day_and_keeps_the_newest(sample_db):
    folder = sample_db.path.parent / "backups"
    folder.mkdir()
    manual = folder / "sample-pre-restore-20260101-000000.db"
    manual.write_bytes(b"not touched by retention")

    first = auto_backup(sample_db, now=T0)
    assert first == folder / "sample-20260301-093000.db"
    assert auto_backup(sample_db, now=T0 + timedelta(hours=23, minutes=59)) is None
    for day in range(1, 10):
        assert auto_backup(sample_db, keep=7, now=T0 + timedelta(days=day)) is not None

    kept = [p.name for _at, p in auto_backups(sample_db)]
    assert kept == [f"sample-202603{d:02d}-093000.db" for d in range(4, 11)]
    assert manual.read_bytes() == b"not touched by retention"
    newest = Database(folder / kept[-1])
    assert names(newest) == names(sample_db)
    newest.close()


def test_auto_backup_into_another_folder_and_not_for_postgres(sample_db, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    assert auto_backup(sample_db, folder=elsewhere, now=T0) == elsewhere / "sample-20260301-093000.db"
    assert auto_backup(Database("postgresql+psycopg://u@127.0.0.1:1/x", migrate=False)) is None


# -- the commands ---------------------------------------------------------------------------------


def test_cli_backup_and_restore(sample_db, tmp_path):
    out = tmp_path / "cli.bak"
    made = json.loads(cli("--db", sample_db.path, "backup", out, "--json").output)
    assert made["output"] == str(out)
    add_doc(sample_db, "late addition")

    shown = cli("--db", sample_db.path, "restore", out).output
    assert "would replace" in shown and "Nothing was changed" in shown
    assert "late addition" in names(sample_db)

    done = json.loads(cli("--db", sample_db.path, "restore", out, "--yes", "--json").output)
    assert done["done"] is True
    assert "late addition" not in names(Database(sample_db.path))

    err = cli("--db", sample_db.path, "restore", tmp_path / "nope.db", "--yes", expect=1).output
    assert "does not exist" in err


def test_cli_history_shows_who_did_what(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("QUALCODE_USER", "ana")
    db = Database(db_url)
    add_doc(db, "alpha")
    add_doc(db, "beta")
    rows = json.loads(cli("--db", db_url, "history", "--entity", "document", "--json").output)
    assert [(r["actor"], r["action"], r["entity"], r["detail"]["name"]) for r in rows] == [
        ("ana", "import", "document", "alpha"), ("ana", "import", "document", "beta")]
    one = json.loads(cli("--db", db_url, "history", "--entity", "document", "--id",
                         rows[1]["entity_id"], "--json").output)
    assert [r["detail"]["name"] for r in one] == ["beta"]
    text = cli("--db", db_url, "history", "--entity", "document").output
    assert f"ana import document #{rows[0]['entity_id']}: " in text
    assert "needs --entity" in cli("--db", db_url, "history", "--id", "1", expect=1).output
    db.close()


def test_cli_history_of_one_code_shows_each_coders_changes(sample_db):
    from qualcode.coding.codebook_edit import create_code, merge_codes, rename_code

    made = create_code(sample_db, "Cost", actor="ana")
    rename_code(sample_db, "Cost", "Costs", actor="ben")
    create_code(sample_db, "Money", actor="ana")
    merge_codes(sample_db, "Costs", "Money", actor="chen")
    rows = json.loads(cli("--db", sample_db.path, "history", "--entity", "code", "--id", made.id,
                          "--json").output)
    assert [(r["actor"], r["action"], r["detail"]["path"]) for r in rows] == [
        ("ana", "create", "Cost"), ("ben", "update", "Costs"), ("chen", "delete", "Costs")]
