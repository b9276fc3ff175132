"""The one place that owns the database: engine, sessions, migrations and backups.

``Database(url)`` opens SQLite files (WAL, foreign keys, busy timeout) or PostgreSQL URLs with
the same code. ``Database.session()`` is the only way the rest of qualcode gets a session:
one ``with`` block is one transaction, committed on success and rolled back on error.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from qualcode.models import Project

#: Environment variable that names the database (a path or an SQLAlchemy URL).
DB_ENV = "QUALCODE_DB"
DEFAULT_DB = "qualcode.db"
MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(RuntimeError):
    """The database cannot be opened or migrated; the message says why and what to do."""


def resolve_url(db: str | os.PathLike | None = None) -> str:
    """Turn ``--db``/``QUALCODE_DB``/the default into an SQLAlchemy URL.

    A value containing ``://`` is taken as a URL; anything else is a path to an SQLite file.
    """
    value = os.fspath(db) if db is not None else os.environ.get(DB_ENV) or DEFAULT_DB
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value).expanduser().resolve())


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    # WAL plus NORMAL is durable across application crashes and much faster than FULL.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class Database:
    """An open qualcode database, migrated to the current schema."""

    def __init__(self, db: str | os.PathLike | None = None, *, migrate: bool = True):
        self.url = resolve_url(db)
        url = make_url(self.url)
        self.dialect = url.get_backend_name()
        self.path: Path | None = Path(url.database) if self.dialect == "sqlite" and url.database else None
        if self.dialect == "sqlite" and self.path is None:
            raise DatabaseError("an in-memory SQLite database cannot be shared; give a file path")
        if self.path is not None and not self.path.parent.exists():
            raise DatabaseError(
                f"{self.path.parent} does not exist; create the folder or choose another --db"
            )
        kwargs: dict = {}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.backup_path: Path | None = None
        #: True when this object created the schema (a brand-new database).
        self.created_by_us = False
        if migrate:
            self.migrate()

    @property
    def display_name(self) -> str:
        """The file path for SQLite, the URL without its password otherwise."""
        if self.path is not None:
            return str(self.path)
        return self.engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- sessions ---------------------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: commit when the block ends normally, roll back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def close(self) -> None:
        """Release every pooled connection (needed before deleting or copying the file)."""
        self.engine.dispose()

    # -- migrations -------------------------------------------------------------------------

    def _alembic_config(self, connection) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = connection
        return cfg

    def current_revision(self) -> str | None:
        """The Alembic revision the database is at (None for an empty database)."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @staticmethod
    def head_revision() -> str:
        """The newest schema revision this version of qualcode knows."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        return ScriptDirectory.from_config(cfg).get_current_head()

    def migrate(self) -> str | None:
        """Bring the schema to head; back up an older, non-empty SQLite file first.

        Returns the revision the database was at before (None when it was new).
        """
        before = self.current_revision()
        head = self.head_revision()
        if before == head:
            return before
        if before is None:
            with self.engine.connect() as conn:
                tables = inspect(conn).get_table_names()
            if tables:
                raise DatabaseError(
                    f"{self} holds tables but no qualcode schema version "
                    f"({', '.join(sorted(tables)[:5])}…); it is not a qualcode database — "
                    "choose another --db"
                )
        elif self.path is not None:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            self.backup_path = self.path.with_name(f"{self.path.name}.bak-{before}-{stamp}")
            self.backup_to(self.backup_path)
        try:
            with self.engine.begin() as conn:
                command.upgrade(self._alembic_config(conn), "head")
        except Exception as exc:  # pragma: no cover - depends on a broken database
            where = f"; the original is kept at {self.backup_path}" if self.backup_path else ""
            raise DatabaseError(f"could not migrate {self} to {head}: {exc}{where}") from exc
        self.created_by_us = before is None
        return before

    def backup_to(self, target: Path) -> Path:
        """Copy an SQLite database consistently with SQLite's online backup API."""
        if self.path is None:
            raise DatabaseError("file backups are for SQLite; use pg_dump for PostgreSQL")
        src = sqlite3.connect(self.path)
        try:
            dst = sqlite3.connect(target)
            with dst:
                src.backup(dst)
            dst.close()
        finally:
            src.close()
        return target

    # -- the default project ------------------------------------------------------------------

    def project_id(self, session: Session, *, create: bool = True, name: str = "qualcode project") -> int:
        """The id of the default (first) project, created on demand."""
        pid = session.scalar(select(Project.id).order_by(Project.id).limit(1))
        if pid is None:
            if not create:
                raise DatabaseError("the database has no project yet; run `qualcode init`")
            project = Project(name=name)
            session.add(project)
            session.flush()
            pid = project.id
        return pid
