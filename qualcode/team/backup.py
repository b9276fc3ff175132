"""Backups and restores of a whole qualcode database, and the automatic daily SQLite backup.

SQLite files are copied with SQLite's online backup API (``Database.backup_to``), which gives a
consistent snapshot while other processes keep working. PostgreSQL databases are dumped with
``pg_dump`` in its custom format and restored with ``pg_restore``; both tools come with the
PostgreSQL client package. A restore always takes a safety backup of the current database first,
so a wrong restore can itself be undone.

Recordings (``qualcode.store.media_files``) are files beside the database, so a backup ``OUT``
copies the ones its rows name into ``OUT``'s own media folder (``OUT-stem-media/``, the folder
``qualcode --db OUT`` would use), and a restore copies them back into the database's media folder,
adding the missing ones and removing none (so the safety backup's recordings stay where they
were). The automatic daily backup copies the database only.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import URL, make_url

from qualcode.team.access import require_manager
from qualcode.store.db import MIGRATIONS, Database
from qualcode.store.media_files import copy_available, media_dir, names_in, names_in_sqlite, sibling_dir

#: Automatic backups are named ``<database stem>-YYYYMMDD-HHMMSS.db`` (UTC).
STAMP = "%Y%m%d-%H%M%S"
#: A new automatic backup is taken when the newest one is at least this old.
AUTO_INTERVAL = timedelta(days=1)


class BackupError(RuntimeError):
    """A backup or restore cannot be done; the message says why and what to do."""


def _utcnow(now: datetime | None) -> datetime:
    now = now or datetime.now(UTC)
    return now if now.tzinfo else now.replace(tzinfo=UTC)


# -- PostgreSQL plumbing --------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not on PATH; install the PostgreSQL client tools "
            "(Debian/Ubuntu: apt-get install postgresql-client; macOS: brew install libpq) "
            "in the same major version as the server, then run the command again"
        )
    return path


def _pg_target(db: Database) -> tuple[str, dict, str | None]:
    """(libpq URI without password, environment with PGPASSWORD, schema from search_path)."""
    url = make_url(db.url)
    env = dict(os.environ)
    if url.password:  # never on the command line, where `ps` shows it
        env["PGPASSWORD"] = url.password
    options = url.query.get("options", "")
    options = " ".join(options) if isinstance(options, tuple) else options
    found = re.search(r"-c\s*search_path\s*=\s*([^\s,]+)", unquote(options))
    bare = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                      database=url.database, query=url.query)
    uri = bare.render_as_string(hide_password=False)
    return uri, env, found.group(1) if found else None


def _run(args: list[str], env: dict, what: str) -> None:
    proc = subprocess.run(args, check=False, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{what} failed (exit {proc.returncode}): {proc.stderr.strip()[:2000]}")


def _pg_dump(db: Database, out: Path) -> None:
    uri, env, schema = _pg_target(db)
    args = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={out}"]
    if schema:  # a database shared by several projects: dump only ours
        args.append(f"--schema={schema}")
    _run(args + [f"--dbname={uri}"], env, "pg_dump")


def _pg_listing(file: Path) -> str:
    proc = subprocess.run([_pg_tool("pg_restore"), "--list", str(file)], check=False,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{file} is not a pg_dump custom-format archive ({proc.stderr.strip()[:300]}); "
                          "choose a file written by `qualcode backup`")
    return proc.stdout


# -- backup ---------------------------------------------------------------------------------------


def backup(db: Database, out: str | os.PathLike, *, actor: str | None = None) -> dict:
    """Write a consistent copy of the whole database to ``out`` while others keep working.

    SQLite: a database file (open it with ``--db OUT``). PostgreSQL: a ``pg_dump`` custom-format
    archive. An existing ``out`` is never overwritten. Returns
    ``{"database", "engine", "output", "bytes"}``. With accounts, owners only.
    """
    if db.path is None:
        _pg_tool("pg_dump")  # before connecting: say what to install even when the server is down
    require_manager(db, actor)
    out = Path(out).expanduser().resolve()
    if out.exists():
        raise BackupError(f"{out} already exists; choose a new file name (backups never overwrite)")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent} does not exist; create the folder first")
    partial = out.with_name(out.name + ".partial")
    try:
        if db.path is not None:
            db.backup_to(partial)
            names = names_in_sqlite(partial)  # the snapshot's own rows
        else:
            _pg_dump(db, partial)
            names = names_in(db.engine)
        # The recordings before the rename: a file under the final name has all of its media.
        media = _copy_media(names, [media_dir(db)] if names else [], sibling_dir(out))
        os.replace(partial, out)  # a crash mid-way never leaves a truncated file under `out`
    finally:
        partial.unlink(missing_ok=True)
    return {"database": db.display_name, "engine": db.dialect, "output": str(out),
            "bytes": out.stat().st_size, "media_dir": str(sibling_dir(out)) if names else None,
            "media_files": media["copied"], "media_missing": media["missing"]}


def _copy_media(names: list[str], sources: list[Path], target: Path) -> dict:
    if not names:
        return {"copied": 0, "missing": []}
    return copy_available(names, sources, target)


# -- restore --------------------------------------------------------------------------------------


def _check_sqlite_file(file: Path) -> str:
    """The schema revision of a qualcode SQLite file, or a BackupError saying what it is not."""
    try:
        con = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" not in tables:
                raise BackupError(f"{file} is an SQLite database but not a qualcode one (it has no "
                                  "alembic_version table); choose a file written by `qualcode backup`")
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file} is not an SQLite database ({exc}); "
                          "choose a file written by `qualcode backup`") from exc
    if row is None:
        raise BackupError(f"{file} has an empty alembic_version table; it is not a usable qualcode backup")
    return row[0]


def _known_revision(revision: str, file: Path) -> None:
    # Imported here: alembic's script machinery costs ~0.2 s, and every CLI command that opens
    # a project imports this module for the daily backup.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        ScriptDirectory.from_config(cfg).get_revision(revision)
    except Exception as exc:
        raise BackupError(f"{file} is at schema revision {revision!r}, which this qualcode does not "
                          "know (it was written by a newer version); upgrade qualcode first") from exc


def safety_path(db: Database, file: Path, now: datetime | None = None) -> Path:
    """Where ``restore`` keeps the current database before replacing it."""
    stamp = _utcnow(now).strftime(STAMP)
    if db.path is not None:
        return db.path.parent / "backups" / f"{db.path.stem}-pre-restore-{stamp}.db"
    return file.parent / f"qualcode-pre-restore-{stamp}.dump"


def _projects_now(db: Database) -> list[dict]:
    """The projects (name, guid) in the database about to be replaced; [] when it is empty."""
    from sqlalchemy import inspect, text

    with db.engine.connect() as conn:
        if "project" not in inspect(conn).get_table_names():
            return []
        return [{"name": n, "guid": g} for n, g in conn.execute(text("SELECT name, guid FROM project ORDER BY id"))]


def _projects_in_sqlite(file: Path) -> list[dict]:
    con = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        return [{"name": n, "guid": g} for n, g in con.execute("SELECT name, guid FROM project ORDER BY id")]
    except sqlite3.DatabaseError:
        return []
    finally:
        con.close()


def _projects_in_archive(file: Path) -> list[dict]:
    """The project rows of a pg_dump archive, read from pg_restore's COPY block of the table."""
    proc = subprocess.run([_pg_tool("pg_restore"), "--data-only", "--table=project", "--file=-", str(file)],
                          check=False, capture_output=True, text=True)
    lines = proc.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"COPY \S*project \(", line)), None)
    if proc.returncode != 0 or start is None:
        return []
    columns = [c.strip().strip('"') for c in lines[start].split("(", 1)[1].split(")", 1)[0].split(",")]
    rows = []
    for line in lines[start + 1:]:
        if line == "\\.":
            break
        values = dict(zip(columns, line.split("\t")))
        rows.append({"name": values.get("name"), "guid": values.get("guid")})
    return rows


def _names(projects: list[dict]) -> str:
    return ", ".join(repr(p["name"]) for p in projects) or "no project"


def restore(db: Database, file: str | os.PathLike, *, yes: bool = False,
            now: datetime | None = None, actor: str | None = None,
            other_project: str | None = None) -> dict:
    """Replace the whole database with a backup, after saving the current one.

    The file is checked first (SQLite: a qualcode database with an ``alembic_version`` table
    at a revision this version knows; PostgreSQL: a pg_dump archive holding ``alembic_version``).
    Without ``yes`` nothing is changed and the plan is returned with ``"done": False``.
    Returns ``{"database", "engine", "from", "revision", "safety_backup", "projects_now",
    "projects_in_backup", "same_project", "done"}``.

    A backup of a *different* project (its project GUIDs are not the database's) replaces the
    project, its documents, codings and accounts with another study's: it is refused unless
    ``other_project`` repeats the backup's project name, as a typed confirmation.
    With accounts, owners only.
    """
    require_manager(db, actor)
    file = Path(file).expanduser().resolve()
    if not file.is_file():
        raise BackupError(f"{file} does not exist; give the path of a file written by `qualcode backup`")
    safety = safety_path(db, file, now)
    plan = {"database": db.display_name, "engine": db.dialect, "from": str(file),
            "revision": None, "safety_backup": str(safety), "done": False}
    if db.path is not None:
        if db.path.exists() and file.samefile(db.path):
            raise BackupError(f"{file} is the database itself; choose a backup file")
        plan["revision"] = _check_sqlite_file(file)
        _known_revision(plan["revision"], file)
    else:
        listing = _pg_listing(file)
        if not re.search(r"TABLE\s+\S+\s+alembic_version\b", listing):
            raise BackupError(f"{file} is a pg_dump archive but not of a qualcode database "
                              "(no alembic_version table)")
    if db.path is not None:  # what the recordings will need, shown before anything is done
        needed = names_in_sqlite(file)
        here = media_dir(db) if needed else None
        plan["media_needed"] = len(needed)
        plan["media_unavailable"] = [n for n in needed if not (sibling_dir(file) / n).is_file()
                                     and not (here / n).is_file()]
    plan["projects_now"] = _projects_now(db)
    plan["projects_in_backup"] = (_projects_in_sqlite(file) if db.path is not None
                                  else _projects_in_archive(file))
    now_guids = {p["guid"] for p in plan["projects_now"]}
    plan["same_project"] = not now_guids or now_guids == {p["guid"] for p in plan["projects_in_backup"]}
    if not yes:
        return plan
    if not plan["same_project"] and other_project not in {p["name"] for p in plan["projects_in_backup"]}:
        raise BackupError(
            f"{file} is a backup of {_names(plan['projects_in_backup'])}, not of this database's "
            f"{_names(plan['projects_now'])}: restoring it replaces this project, its documents, "
            "codings and accounts with the other one's. If that is what you want, confirm by "
            "naming the backup's project (--other-project NAME); nothing was changed")
    safety.parent.mkdir(parents=True, exist_ok=True)
    if db.path is not None:
        if db.path.exists():
            db.backup_to(safety)
        else:
            plan["safety_backup"] = None
        db.close()
        # The backup API, not a file copy: it takes SQLite's locks, so a reader never sees a
        # half-written file, and it resets the WAL that belonged to the old contents.
        src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(db.path, timeout=30)
            with dst:
                src.backup(dst)
            dst.close()
        finally:
            src.close()
    else:
        _pg_dump(db, safety)
        db.close()
        uri, env, _schema = _pg_target(db)
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={uri}", str(file)], env, "pg_restore")
    names = names_in(db.engine)
    media = _copy_media(names, [sibling_dir(file)], media_dir(db) if names else Path())
    plan.update(media_files=media["copied"], media_missing=media["missing"])
    plan["done"] = True
    return plan


# -- automatic daily backup -----------------------------------------------------------------------


def auto_backups(db: Database, folder: Path | None = None) -> list[tuple[datetime, Path]]:
    """The automatic backups of an SQLite database, oldest first, with their UTC times."""
    if db.path is None:
        return []
    folder = Path(folder) if folder is not None else db.path.parent / "backups"
    if not folder.is_dir():
        return []
    pattern = re.compile(re.escape(db.path.stem) + r"-(\d{8}-\d{6})\.db$")
    found = []
    for p in folder.iterdir():
        m = pattern.match(p.name)
        if m:
            found.append((datetime.strptime(m.group(1), STAMP).replace(tzinfo=UTC), p))
    return sorted(found)


def auto_backup(db: Database, *, folder: str | os.PathLike | None = None, keep: int = 7,
                now: datetime | None = None) -> Path | None:
    """Back up an SQLite database once a day into ``<db folder>/backups/``, keeping ``keep``.

    When the newest automatic backup is a day old or older (or there is none), writes
    ``NAME-YYYYMMDD-HHMMSS.db`` (UTC) and deletes the oldest beyond ``keep``. Returns the new
    file, or None when no backup was due or the database is not an SQLite file (PostgreSQL
    servers have their own backup schedules). Backups taken by ``restore`` are never deleted.
    """
    if db.path is None or not db.path.exists():
        return None
    if keep < 1:
        raise BackupError(f"keep must be at least 1, not {keep}")
    now = _utcnow(now)
    target_folder = Path(folder) if folder is not None else db.path.parent / "backups"
    existing = auto_backups(db, target_folder)
    if existing and now - existing[-1][0] < AUTO_INTERVAL:
        return None
    target_folder.mkdir(parents=True, exist_ok=True)
    out = target_folder / f"{db.path.stem}-{now.strftime(STAMP)}.db"
    partial = out.with_name(out.name + ".partial")
    try:
        db.backup_to(partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    for _at, old in auto_backups(db, target_folder)[:-keep]:
        old.unlink(missing_ok=True)
    return out
