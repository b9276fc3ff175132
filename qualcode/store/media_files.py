"""Where media files live, and copying them between media folders (backups, restores).

A database's recordings are files, not rows: beside an SQLite file ``study.db`` they are in
``study-media/``; for PostgreSQL (a server) they are in the folder ``QUALCODE_MEDIA_DIR`` names,
which then must be set. ``QUALCODE_MEDIA_DIR`` also overrides the folder of an SQLite database.
Each file is named by the SHA-256 of its content (``<sha256>.<ext>``) and never changed, so a
copy is complete once it has the same name and size, and two folders merge without clashes.

This module sits in the storage layer so that backups (``qualcode.team``) can find the files;
attaching and detaching them is ``qualcode.project.media``. Deleting a project removes its
files once the deletion has committed and its backup holds them (:func:`remove_unused`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import make_url

ENV_DIR = "QUALCODE_MEDIA_DIR"


class MediaDirError(RuntimeError):
    """The media folder cannot be found; the message says what to set."""


def media_dir_for_url(url: str, *, env: bool = True) -> Path:
    """The media folder of the database at ``url`` (it need not exist yet).

    ``env``: honour ``QUALCODE_MEDIA_DIR``. A backup file's folder is always the one beside it,
    so backups pass ``env=False``.
    """
    configured = os.environ.get(ENV_DIR, "").strip() if env else ""
    if configured:
        return Path(configured).expanduser().resolve()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return sibling_dir(Path(parsed.database))
    raise MediaDirError(
        f"this database ({parsed.get_backend_name()}) has no folder of its own for media files: "
        f"set {ENV_DIR} to a folder the server can write (and back it up with the database)")


def sibling_dir(file: Path) -> Path:
    """The media folder that belongs beside a database or backup file: ``NAME-media``."""
    file = Path(file).expanduser().resolve()
    return file.with_name(f"{file.stem}-media")


def media_dir(db) -> Path:
    """The media folder of an open :class:`qualcode.store.db.Database`."""
    return media_dir_for_url(db.url)


def copy_files(names: Iterable[str], source: Path, target: Path) -> list[str]:
    """Copy the named files (paths relative to ``source``) into ``target``, skipping those
    already there with the same size; each is written to a temporary name and renamed, so a
    crash never leaves a cut-off file under a real name. Returns the names copied.
    A name missing from ``source`` raises FileNotFoundError naming it."""
    copied = []
    for name in sorted(set(names)):
        src, dst = source / name, target / name
        if not src.is_file():
            raise FileNotFoundError(f"media file {name} is missing from {source}")
        if dst.is_file() and dst.stat().st_size == src.stat().st_size:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        partial = dst.with_name(dst.name + ".partial")
        try:
            shutil.copyfile(src, partial)
            os.replace(partial, dst)
        finally:
            partial.unlink(missing_ok=True)
        copied.append(name)
    return copied


def names_in_sqlite(file: Path) -> list[str]:
    """The media files an SQLite qualcode file's rows name ([] before migration 0009)."""
    import sqlite3

    con = sqlite3.connect(f"file:{Path(file)}?mode=ro", uri=True)
    try:
        return [r[0] for r in con.execute("SELECT stored_path FROM media ORDER BY id")]
    except sqlite3.OperationalError:  # no media table: a file from before recordings
        return []
    finally:
        con.close()


def names_in(engine, project_id: int | None = None) -> list[str]:
    """The media files the rows of a database (or of one project in it) name."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if "media" not in inspect(conn).get_table_names():
            return []
        if project_id is None:
            return [r[0] for r in conn.execute(text("SELECT stored_path FROM media ORDER BY id"))]
        return [r[0] for r in conn.execute(text(
            "SELECT m.stored_path FROM media m JOIN document d ON d.id = m.document_id "
            "WHERE d.project_id = :p ORDER BY m.id"), {"p": project_id})]


def copy_available(names: Iterable[str], sources: list[Path], target: Path) -> dict:
    """Copy each named file into ``target`` from the first of ``sources`` holding it (a file
    already in ``target`` with its size is kept). Returns ``{"copied": n, "missing": [names]}``:
    a missing file is reported, not raised, so a database is never held back by a recording."""
    copied, missing = 0, []
    for name in sorted(set(names)):
        if (target / name).is_file():
            continue
        source = next((d for d in sources if (d / name).is_file()), None)
        if source is None:
            missing.append(name)
            continue
        copied += len(copy_files([name], source, target))
    return {"copied": copied, "missing": missing}


def remove_unused(engine, folder: Path, names: Iterable[str], *, kept_in: Path | None = None) -> dict:
    """Delete from ``folder`` each named file that no ``media`` row of the database names any
    more (one file serves every document, of any project, with the same content). Call it only
    after the transaction that removed the rows has committed.

    ``kept_in``: a backup's media folder; a file is deleted only when a copy of the same size is
    there, so a recording is never lost with its rows. Returns ``{"removed": n, "left":
    [names]}``: ``left`` are files that stay although unused (no copy in ``kept_in``, or the
    file system refused); files still in use, or already gone, are neither."""
    from sqlalchemy import bindparam, text

    wanted = sorted(set(names))
    if not wanted:
        return {"removed": 0, "left": []}
    query = text("SELECT DISTINCT stored_path FROM media WHERE stored_path IN :names").bindparams(
        bindparam("names", expanding=True))
    with engine.connect() as conn:
        used = {r[0] for r in conn.execute(query, {"names": wanted})}
    removed, left = 0, []
    for name in wanted:
        file = folder / name
        if name in used or not file.is_file():
            continue
        copy = kept_in / name if kept_in is not None else None
        if copy is not None and not (copy.is_file() and copy.stat().st_size == file.stat().st_size):
            left.append(name)
            continue
        try:
            file.unlink()
            removed += 1
        except OSError:
            left.append(name)
    return {"removed": removed, "left": left}


__all__ = ["ENV_DIR", "MediaDirError", "copy_available", "copy_files", "media_dir", "media_dir_for_url",
           "names_in", "names_in_sqlite", "remove_unused", "sibling_dir"]
