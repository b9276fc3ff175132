"""One project's rows: a per-project backup file, bringing one back, and removing one.

Which rows belong to a project is read off the schema itself, so a table added later is covered
without touching this module: a table with a ``project_id`` column holds the rows of that
project; any other table holds the rows whose non-null foreign key points at a row of the
project (a turn through its document, an attribute value through its participant, a group
member through its group); accounts are the members' accounts. Login sessions are never copied.

**Why a per-project backup is an SQLite file, not a REFI-QDA ``.qdpx``.** A ``.qdpx`` is the
interchange format and loses what only qualcode keeps: the undo history, the change log,
blind-coding done marks, memberships, code versions, the import reports, project settings.
A backup must bring the project back exactly, so it is a qualcode database holding only that
project's rows (ids kept), written by the same migrations as every database: it opens with
``qualcode --db FILE`` like any other, on any machine, whichever engine the server runs
(SQLite or PostgreSQL), and ``qualcode project restore FILE`` copies it back into a server
database under new ids. (A ``pg_dump`` cannot hold one project of a shared schema.) It holds
the members' account rows, password hashes included, as a whole-database backup does: keep it
as safe as one.

The project's recordings go with it: the file ``OUT`` gets its media files in ``OUT-stem-media/``
(the folder ``qualcode --db OUT`` uses), and bringing it back copies them into the target
database's media folder (``qualcode.store.media_files``). Deleting a project's rows here leaves
its files alone: ``qualcode.project.projects.delete_project`` removes them once the deletion
has committed and the backup holds them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, Table, insert, select
from sqlalchemy.orm import Session

from qualcode.store.db import Database, DatabaseError
from qualcode.store.media_files import (copy_available, media_dir, media_dir_for_url, names_in_sqlite,
                                        sibling_dir)
from qualcode.store.models import Base

#: Never copied: a login belongs to one database's browser sessions.
NOT_COPIED = {"login_session"}
#: Kept when a project is deleted: the append-only log outlives rows, accounts are server-wide.
KEPT_ON_DELETE = {"change_log", "account"}
#: Rows copied per INSERT statement.
CHUNK = 2000


class ProjectBackupError(DatabaseError):
    """A project backup cannot be written or read; the message says why and what to do."""


def project_tables(project_id: int) -> list[tuple[Table, object]]:
    """``(table, condition)`` for every table holding rows of the project, parents first."""
    scoped: dict[str, object] = {}
    out: list[tuple[Table, object]] = []
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    # The project first: the change log names it without a foreign key, so the dependency
    # order alone could put the log before it.
    ordered = sorted(Base.metadata.sorted_tables, key=lambda t: t.name != "project")
    for table in ordered:
        if table.name in NOT_COPIED:
            continue
        condition = None
        if table.name == "project":
            condition = table.c.id == project_id
        elif "project_id" in table.c:
            condition = table.c.project_id == project_id
        elif table.name == "account" and "membership" in tables:
            member = tables["membership"]
            condition = table.c.id.in_(select(member.c.account_id)
                                       .where(member.c.project_id == project_id))
        else:
            for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
                parent = fk.column.table
                if parent is not table and parent.name in scoped and not fk.parent.nullable:
                    condition = fk.parent.in_(select(fk.column).where(scoped[parent.name]))
                    break
        if condition is not None:
            scoped[table.name] = condition
            out.append((table, condition))
    return out


def _self_refs(table: Table) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _referenced() -> set[str]:
    return {fk.column.table.name for t in Base.metadata.tables.values() for fk in t.foreign_keys}


def _utc(row: dict, table: Table) -> dict:
    """Datetimes as aware UTC: SQLite hands back naive ones for timezone=True columns (stored
    as UTC), PostgreSQL aware ones in the session's time zone, and SQLite stores the wall time."""
    for column in table.columns:
        value = row.get(column.name)
        if isinstance(column.type, DateTime) and isinstance(value, datetime):
            row[column.name] = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return row


def _chunks(rows: list[dict], size: int = CHUNK) -> Iterable[list[dict]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def copy_project(source: Session, project_id: int, target: Session, *, keep_ids: bool,
                 name: str | None = None, accounts: str = "copy") -> dict:
    """Copy every row of project ``project_id`` from ``source`` into ``target``.

    ``keep_ids``: rows keep their ids (a fresh file); otherwise they get new ones and every
    foreign key, the change log's project and entity ids included, is mapped to them.
    ``name`` renames the copied project. ``accounts``: ``"copy"`` copies the members' accounts;
    ``"match"`` maps them by name to the target's accounts and drops memberships of accounts
    the target lacks (never re-creating an account, with its old password, from a file).
    Returns ``{"project_id", "rows": {table: n}, "missing_accounts": [...]}``.
    """
    maps: dict[str, dict] = {}
    counts: dict[str, int] = {}
    missing: list[str] = []
    referenced = _referenced()
    for table, condition in project_tables(project_id):
        rows = [_utc(dict(r), table) for r in source.execute(select(table).where(condition)).mappings()]
        if table.name == "account" and accounts == "match":
            names = {r["name"]: r["id"] for r in rows}
            found = dict(target.execute(select(table.c.name, table.c.id)
                                        .where(table.c.name.in_(list(names)))).all()) if names else {}
            maps["account"] = {old: found[n] for n, old in names.items() if n in found}
            missing = sorted(n for n in names if n not in found)
            continue
        counts[table.name] = _copy_table(table, rows, target, maps, keep_ids=keep_ids,
                                         referenced=table.name in referenced,
                                         rename=name if table.name == "project" else None)
    out = {"project_id": project_id if keep_ids else maps["project"][project_id],
           "rows": counts, "missing_accounts": missing}
    if not keep_ids and counts.get("media"):
        out["media"] = _bring_media(source, target, project_id)
    return out


def _bring_media(source: Session, target: Session, project_id: int) -> dict:
    """Copy the recordings of a project read from a backup file into the target's folder.

    The backup's files are beside it (``open_project_file`` links them beside a temporary
    copy); the target's folder follows its URL (``QUALCODE_MEDIA_DIR`` for a server). A file
    copied by a transaction that then fails is left as an unused file, never a broken row."""
    from sqlalchemy import text

    names = [r[0] for r in source.execute(text(
        "SELECT m.stored_path FROM media m JOIN document d ON d.id = m.document_id "
        "WHERE d.project_id = :p"), {"p": project_id})]
    src_url = source.get_bind().url
    sources = [sibling_dir(Path(src_url.database))] if src_url.database else []
    return copy_available(names, sources, media_dir_for_url(target.get_bind().url.render_as_string(
        hide_password=False)))


def _parents_first(rows: list[dict], columns: list[str]) -> list[dict]:
    """Rows ordered so that a row comes after the rows its self-references point to (a code
    after its parent): copied in that order, no parent is ever missing and no reference has to
    be cleared and set again (which a code's unique sibling name would not allow)."""
    if not columns:
        return rows
    ids = {r["id"] for r in rows}
    done: set = set()
    ordered: list[dict] = []
    waiting = rows
    while waiting:
        later = []
        for row in waiting:
            if all(row.get(c) is None or row[c] in done or row[c] not in ids for c in columns):
                ordered.append(row)
                done.add(row["id"])
            else:
                later.append(row)
        if len(later) == len(waiting):  # a cycle cannot happen in a tree; keep what is left
            ordered.extend(later)
            break
        waiting = later
    return ordered


def _copy_table(table: Table, rows: list[dict], target: Session, maps: dict[str, dict], *,
                keep_ids: bool, referenced: bool, rename: str | None) -> int:
    selfs = _self_refs(table)
    pk = list(table.primary_key.columns)
    own_id = len(pk) == 1 and pk[0].name == "id"
    fks = [(fk.parent.name, fk.column.table.name) for fk in table.foreign_keys
           if fk.column.table is not table]
    ready: list[dict] = []
    one_by_one = 0
    for row in _parents_first(rows, selfs if own_id else []):
        if rename is not None:
            row["name"] = rename
        if not keep_ids:
            dropped = False
            for column, parent in fks:
                value = row.get(column)
                if value is None:
                    continue
                new = maps.get(parent, {}).get(value)
                if new is None:
                    if table.c[column].nullable:
                        row[column] = None  # e.g. a memo author who is not in this project
                    else:
                        dropped = True  # a membership of an account the target lacks
                        break
                else:
                    row[column] = new
            if dropped:
                continue
            if "project_id" in table.c and not any(c == "project_id" for c, _p in fks) \
                    and row.get("project_id") is not None:
                row["project_id"] = maps["project"][row["project_id"]]  # the change log
            if table.name == "change_log" and row.get("entity_id") is not None:
                row["entity_id"] = maps.get(row.get("entity"), {}).get(row["entity_id"], row["entity_id"])
        if own_id and not keep_ids:
            for c in selfs:  # the parent was copied just before (parents first)
                if row.get(c) is not None:
                    row[c] = maps.get(table.name, {}).get(row[c])
            old = row.pop("id")
            if referenced or selfs:
                new = target.execute(insert(table).values(**row)).inserted_primary_key[0]
                maps.setdefault(table.name, {})[old] = new
                one_by_one += 1
                continue
        ready.append(row)
    for chunk in _chunks(ready):
        target.execute(insert(table), chunk)
    return len(ready) + one_by_one


def delete_project_rows(session: Session, project_id: int) -> dict[str, int]:
    """Delete every row of the project (children first), except the append-only change log and
    the server-wide accounts; returns rows deleted per table."""
    from sqlalchemy import delete

    counts: dict[str, int] = {}
    for table, condition in reversed(project_tables(project_id)):
        if table.name in KEPT_ON_DELETE:
            continue
        selfs = _self_refs(table)
        if not selfs:
            counts[table.name] = session.execute(delete(table).where(condition)).rowcount
            continue
        # A code's parent is RESTRICT (checked row by row): delete the tree leaves first, level
        # by level, rather than unhooking it (two unhooked siblings could share a name).
        counts[table.name] = 0
        while True:
            inner = table.alias()
            leaves = condition
            for column in selfs:
                leaves = leaves & table.c.id.not_in(
                    select(inner.c[column]).where(inner.c[column].is_not(None)).scalar_subquery())
            gone = session.execute(delete(table).where(leaves)).rowcount
            counts[table.name] += gone
            if not gone:
                break
    return counts


def write_project_file(db: Database, project_id: int, out: Path, *, source: Session | None = None) -> dict:
    """Write project ``project_id`` of ``db`` (read in one snapshot, or inside the caller's
    transaction ``source``) to a new SQLite file.

    Written to ``OUT.partial`` and renamed, so a crash never leaves a cut-off file under the
    final name; an existing ``out`` is never overwritten.
    """
    out = Path(out).expanduser().resolve()
    if out.exists():
        raise ProjectBackupError(f"{out} already exists; choose a new file name (backups never overwrite)")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    target = Database(partial)
    try:
        if source is not None:
            with target.session(write=True) as dst:
                report = copy_project(source, project_id, dst, keep_ids=True)
        else:
            with db.session(readonly=True) as snapshot, target.session(write=True) as dst:
                report = copy_project(snapshot, project_id, dst, keep_ids=True)
        with target.engine.connect() as conn:  # one self-contained file: no -wal beside it
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
        target.close()
        names = names_in_sqlite(partial)  # the recordings, before the file gets its final name
        media = copy_available(names, [media_dir(db)], sibling_dir(out)) if names else None
        os.replace(partial, out)
    finally:
        target.close()
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
    result = {"output": str(out), "bytes": out.stat().st_size, "rows": report["rows"]}
    if media is not None:
        result.update(media_dir=str(sibling_dir(out)), media_files=media["copied"],
                      media_missing=media["missing"])
    return result


def open_project_file(file: Path) -> Database:
    """A per-project backup file opened for reading; refuses anything else with a clear error.

    The file is never changed: one from an older qualcode is upgraded in a temporary copy
    (the caller closes the returned database and deletes ``db.temporary`` when set).
    """
    import shutil
    import sqlite3
    import tempfile

    file = Path(file).expanduser().resolve()
    if not file.is_file():
        raise ProjectBackupError(f"{file} does not exist; give a file written by "
                                 "`qualcode project backup` (or before `project delete`)")
    try:
        con = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            revision = (con.execute("SELECT version_num FROM alembic_version").fetchone() or [None])[0] \
                if "alembic_version" in tables else None
            projects = con.execute("SELECT COUNT(*) FROM project").fetchone()[0] if "project" in tables else 0
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise ProjectBackupError(f"{file} is not an SQLite database ({exc}); give a file written "
                                 "by `qualcode project backup`") from exc
    if revision is None:
        raise ProjectBackupError(f"{file} is not a qualcode database (no schema revision)")
    if projects != 1:
        raise ProjectBackupError(f"{file} holds {projects} projects, not one: a project backup "
                                 "holds exactly one (a whole-database backup goes back with "
                                 "`qualcode restore`)")
    temporary = None
    if revision != Database.head_revision():
        temporary = Path(tempfile.mkdtemp(prefix="qualcode-restore-"))
        copy = temporary / file.name
        shutil.copy(file, copy)
        if sibling_dir(file).is_dir():  # the recordings stay where they are, seen from the copy
            sibling_dir(copy).symlink_to(sibling_dir(file), target_is_directory=True)
        file = copy
    try:
        opened = Database(file)
    except DatabaseError as exc:
        raise ProjectBackupError(f"{file} cannot be read as a qualcode project backup: {exc}") from exc
    opened.temporary = temporary
    return opened


def close_project_file(opened: Database) -> None:
    """Close a file from :func:`open_project_file` and remove its temporary copy, if any."""
    import shutil

    opened.close()
    if getattr(opened, "temporary", None):
        shutil.rmtree(opened.temporary, ignore_errors=True)


__all__ = ["ProjectBackupError", "close_project_file", "copy_project",
           "delete_project_rows", "open_project_file", "project_tables", "write_project_file"]
