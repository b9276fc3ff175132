"""The one place that owns the database: engine, sessions, migrations and backups.

``Database(url)`` opens SQLite files (WAL, foreign keys, busy timeout) or PostgreSQL URLs with
the same code. ``Database.session()`` is the only way the rest of qualcode gets a session:
one ``with`` block is one transaction, committed on success and rolled back on error.

Many coders at once. A service function that changes data is decorated with :func:`retrying`;
its sessions are *write* transactions:

- SQLite: ``BEGIN IMMEDIATE``, so the write lock is taken first (waiting up to the busy
  timeout) and a transaction never has to upgrade a read snapshot that another writer made
  stale — that upgrade fails with "database is locked" at once, whatever the busy timeout.
  pysqlite's own transaction handling is switched off; qualcode emits every BEGIN itself.
- PostgreSQL: REPEATABLE READ, so writes run side by side and a conflict fails instead of
  overwriting; a write that failed twice runs alone (READ COMMITTED after locking the code
  and coding tables against other writers), so a long merge cannot be starved by a stream of
  short codings. Every connection waits at most 30 s for a lock (``lock_timeout``).

A transient failure — busy, deadlock, serialization failure, an IntegrityError from a race, a
StaleDataError from a version check — re-runs the whole function after an exponential backoff
with jitter, for up to ``RETRY_SECONDS``; then :class:`DatabaseBusy` says the database is busy
and to try again. The re-run reads afresh, so a change that no longer fits fails with the
function's own clear error. A function decorated with :func:`read_only` reads one snapshot
without waiting for writers. Any other session behaves as sessions always did: reads take no
lock, and SQLite takes the write lock at the first write statement.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, event, func, inspect, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from qualcode.store.models import Project

log = logging.getLogger(__name__)

#: Environment variable that names the database (a path or an SQLAlchemy URL).
DB_ENV = "QUALCODE_DB"
#: Environment variable that names the project the command line works on.
PROJECT_ENV = "QUALCODE_PROJECT"
DEFAULT_DB = "qualcode.db"
MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(RuntimeError):
    """The database cannot be opened or migrated; the message says why and what to do."""


class DatabaseBusy(DatabaseError):
    """Other people kept the database busy for too long; nothing was changed, try again."""


#: What a user reads when the database stayed busy (never the driver's "database is locked").
BUSY_MESSAGE = ("the database is busy: other people are saving changes at the same moment and "
                "this change could not be saved{detail}. Nothing was changed; try again in a moment")

# -- transactions: write, read-only, or as before -------------------------------------------------

#: Session modes.
#: ``write``: SQLite ``BEGIN IMMEDIATE``; PostgreSQL REPEATABLE READ. (SERIALIZABLE was tried:
#: with ten coders a third of all calls failed on predicate-lock conflicts between unrelated
#: codings, and a merge never got through.) The schema's unique and foreign keys catch the write
#: skew REPEATABLE READ allows (two new coders of one name, a coding added to a code being
#: merged away), and those errors are retried too.
#: ``exclusive``: a write that failed twice runs alone: SQLite ``BEGIN IMMEDIATE``; PostgreSQL
#: READ COMMITTED after ``LOCK TABLE`` of PG_WRITE_TABLES in SHARE ROW EXCLUSIVE mode (readers
#: go on; writers of those tables wait), so every statement sees the latest data.
#: ``read``: one snapshot without the write lock (SQLite deferred ``BEGIN``, PostgreSQL
#: REPEATABLE READ). ``auto``: as before this module managed transactions — reads need no lock
#: and SQLite takes the write lock at the first write statement.
WRITE, EXCLUSIVE, READ, AUTO = "write", "exclusive", "read", "auto"
_MODE: ContextVar[str] = ContextVar("qualcode_session_mode", default=AUTO)
_RETRYING: ContextVar[bool] = ContextVar("qualcode_retrying", default=False)
_PG_ISOLATION = {WRITE: "REPEATABLE READ", EXCLUSIVE: "READ COMMITTED", READ: "REPEATABLE READ"}
#: The tables a PostgreSQL write that runs alone locks against other writers.
PG_WRITE_TABLES = ("code", "coding", "coder", "memo", "edit_history", "document_done",
                   "document_group", "document_group_member")
#: How long a PostgreSQL statement waits for a lock before it counts as busy (like SQLite's
#: busy timeout).
PG_LOCK_TIMEOUT = "30s"
#: After this many failed attempts a retrying call runs alone (``exclusive``); at once when
#: the failed attempt took longer than LONG_ATTEMPT seconds.
ESCALATE_AFTER = 2
LONG_ATTEMPT = 0.5
_SQLITE_WRITE_STATEMENT = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT|CREATE|DROP|ALTER)\b"
    r"|^\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL)


def resolve_url(db: str | os.PathLike | None = None) -> str:
    """Turn ``--db``/``QUALCODE_DB``/the default into an SQLAlchemy URL.

    A value containing ``://`` is taken as a URL; anything else is a path to an SQLite file.
    """
    value = os.fspath(db) if db is not None else os.environ.get(DB_ENV) or DEFAULT_DB
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value).expanduser().resolve())


#: How long an SQLite statement waits for a lock (the connections' busy timeout).
SQLITE_BUSY_MS = 30000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    # WAL plus NORMAL is durable across application crashes and much faster than FULL.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
    # pysqlite's own transaction handling off: qualcode emits BEGIN itself (below), so a write
    # transaction can take the write lock first and SAVEPOINTs work.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn) -> None:
    """Start a transaction the way the session's mode asks (engine ``begin`` event)."""
    mode = conn.get_execution_options().get("qualcode_mode", AUTO)
    if mode in (WRITE, EXCLUSIVE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif mode == READ:
        conn.exec_driver_sql("BEGIN")
    # AUTO: nothing yet; _sqlite_lazy_begin takes the write lock before the first write.


def _sqlite_lazy_begin(conn, cursor, statement, _parameters, _context, _executemany) -> None:
    """In an ``auto`` transaction, ``BEGIN IMMEDIATE`` just before the first write statement.

    That is what pysqlite used to do (with a deferred BEGIN): reads before it hold no lock and no
    snapshot, so they can never make the first write fail with a stale snapshot.
    """
    if not conn.in_transaction():
        return  # autocommit use of a connection (e.g. PRAGMA on connect)
    dbapi = conn.connection.dbapi_connection
    if dbapi.in_transaction or not _SQLITE_WRITE_STATEMENT.match(statement):
        return
    cursor.execute("BEGIN IMMEDIATE")


def _postgresql_connect(dbapi_connection, _record) -> None:
    with dbapi_connection.cursor() as cur:
        cur.execute(f"SET lock_timeout = '{PG_LOCK_TIMEOUT}'")
    dbapi_connection.commit()


def _postgresql_begin(conn) -> None:
    """A write that runs alone first locks out the other writers (engine ``begin`` event)."""
    if conn.get_execution_options().get("qualcode_mode", AUTO) == EXCLUSIVE:
        conn.exec_driver_sql(f"LOCK TABLE {', '.join(PG_WRITE_TABLES)} IN SHARE ROW EXCLUSIVE MODE")


# -- retrying transient failures ----------------------------------------------------------------

#: A decorated call gives up after this many seconds of retrying (or this many attempts).
RETRY_SECONDS = 30.0
RETRY_ATTEMPTS = 60
#: An IntegrityError is retried at most this often: the race that caused it (two coders
#: creating the same row) is over after one retry; a lasting one is a real error.
INTEGRITY_RETRIES = 3
_BACKOFF_FIRST, _BACKOFF_MAX = 0.01, 1.0
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available
_stats_lock = threading.Lock()
#: Counters for this process (benchmarks and tests read them): ``retries`` by reason, ``gave_up``.
retry_stats: dict[str, int] = {"calls": 0, "retried_calls": 0, "retries": 0, "escalated": 0,
                               "gave_up": 0}


def _busy_text(message: str) -> bool:
    message = message.lower()
    return "database is locked" in message or "database table is locked" in message \
        or "database is busy" in message or "sqlite_busy" in message


def transient_reason(exc: BaseException) -> str | None:
    """Why ``exc`` is worth retrying ("busy", "serialization", "integrity", "stale"), or None."""
    if isinstance(exc, DatabaseBusy):
        return "busy"
    if isinstance(exc, StaleDataError):
        return "stale"
    if isinstance(exc, sa_exc.IntegrityError):
        return "integrity"
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _TRANSIENT_SQLSTATES:
        return "serialization"
    if isinstance(orig, sqlite3.OperationalError) and _busy_text(str(orig)):
        return "busy"
    return None


def busy_error(cause: BaseException | None = None, detail: str = "") -> DatabaseBusy:
    """The :class:`DatabaseBusy` a user sees instead of ``cause``."""
    error = DatabaseBusy(BUSY_MESSAGE.format(detail=detail))
    error.__cause__ = cause
    return error


def retrying(fn: Callable) -> Callable:
    """Run ``fn`` (one or more ``with db.session()`` transactions) again on a transient failure.

    Its sessions are write transactions (see the module doc). A busy database, a PostgreSQL
    deadlock or serialization failure, an IntegrityError (two coders creating the same coder at
    once) or a StaleDataError (a row changed under a version check) makes the whole call run
    again after an exponential backoff with jitter, for up to :data:`RETRY_SECONDS`; then it
    raises :class:`DatabaseBusy`. After two failures (or one long one) the call runs alone
    (``exclusive`` mode), and a conflict always gets that one try alone before giving up. The
    re-run reads afresh, so a change that no longer fits gives the function's own clear error
    (a code gone, a stale coding version, a name taken). An IntegrityError that persists is
    raised as it is after :data:`INTEGRITY_RETRIES`. Only the outermost decorated call retries;
    nested ones just run.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _RETRYING.get():
            mode = _MODE.set(EXCLUSIVE if _MODE.get() == EXCLUSIVE else WRITE)
            try:
                return fn(*args, **kwargs)
            finally:
                _MODE.reset(mode)
        retrying_token, mode = _RETRYING.set(True), _MODE.set(WRITE)
        try:
            return _retry_loop(fn, args, kwargs)
        finally:
            _MODE.reset(mode)
            _RETRYING.reset(retrying_token)

    wrapper.qualcode_writes = True  # what tests/test_attacks_reads.py tells writes from reads by
    return wrapper


def _retry_loop(fn: Callable, args, kwargs):
    deadline = time.monotonic() + RETRY_SECONDS
    attempt = integrity = 0
    with _stats_lock:
        retry_stats["calls"] += 1
    while True:
        started = time.monotonic()
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            reason = transient_reason(exc)
            if reason is None:
                raise
            if reason == "integrity":
                integrity += 1
                if integrity > INTEGRITY_RETRIES:
                    raise  # it happens however the call runs: a real error, not a race
            alone = _MODE.get() == EXCLUSIVE
            attempt += 1
            delay = min(_BACKOFF_MAX, _BACKOFF_FIRST * 2 ** (attempt - 1))
            delay *= 0.5 + random.random()  # jitter: the retries of many coders spread out
            out_of_time = attempt >= RETRY_ATTEMPTS or time.monotonic() + delay > deadline
            # A conflict (not a busy database) gets one last try alone even when time is up:
            # that is how a long merge gets through while coders keep coding.
            if out_of_time and (alone or reason == "busy"):
                with _stats_lock:
                    retry_stats["gave_up"] += 1
                waited = time.monotonic() - deadline + RETRY_SECONDS
                raise busy_error(exc, f" after trying for {waited:.1f} seconds") from exc
            with _stats_lock:
                retry_stats["retries"] += 1
                retry_stats[reason] = retry_stats.get(reason, 0) + 1
                if attempt == 1:
                    retry_stats["retried_calls"] += 1
            log.info("%s: retry %d after a transient %s error: %s", fn.__qualname__, attempt,
                     reason, str(exc).splitlines()[0][:300])
            # Run alone after ESCALATE_AFTER failures, or at once when the failed attempt was
            # long (a merge): a long transaction is the one a stream of short ones starves.
            if not alone and (attempt >= ESCALATE_AFTER or out_of_time
                              or time.monotonic() - started > LONG_ATTEMPT):
                _MODE.set(EXCLUSIVE)
                with _stats_lock:
                    retry_stats["escalated"] += 1
            time.sleep(0 if out_of_time else delay)


def read_only(fn: Callable) -> Callable:
    """Sessions inside ``fn`` read one consistent snapshot and never wait for writers.

    (SQLite: a deferred ``BEGIN`` in WAL mode; PostgreSQL: REPEATABLE READ.) A write function
    called from inside still gets a write transaction.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        token = _MODE.set(READ)
        try:
            return fn(*args, **kwargs)
        finally:
            _MODE.reset(token)

    wrapper.qualcode_read_only = True
    return wrapper


_REVISION_LINE = re.compile(
    r"""^(down_revision|revision)\s*(?::[^=\n]*)?=\s*(?:(['"])([^'"\n]+)\2|None)\s*$""", re.MULTILINE)


def _heads_in_files() -> list[str] | None:
    """Head revision(s) from the migration files' plain ``revision = "…"`` lines (not imported)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("[!_]*.py"):
        found = {m[1]: m[3] for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8"))}
        if not found.get("revision") or "down_revision" not in found:
            return None  # e.g. a merge's tuple of parents: Alembic reads the scripts
        revisions.add(found["revision"])
        parents.add(found["down_revision"])
    return sorted(revisions - parents) or None


class Database:
    """An open qualcode database, migrated to the current schema."""

    def __init__(self, db: str | os.PathLike | None = None, *, migrate: bool = True,
                 project: str | int | None = None):
        self.url = resolve_url(db)
        #: The project every library call on this object works on: a name, an id, or None for
        #: "the only project" (see :meth:`project_id`). :meth:`use` gives a view on another one.
        self.project: str | int | None = project
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
            event.listen(self.engine, "begin", _sqlite_begin)
            event.listen(self.engine, "before_cursor_execute", _sqlite_lazy_begin)
        elif self.dialect == "postgresql":
            event.listen(self.engine, "connect", _postgresql_connect)
            event.listen(self.engine, "begin", _postgresql_begin)
        # One engine view per transaction mode (they share the pool).
        self._binds: dict[str, Engine] = {}
        for mode in (WRITE, EXCLUSIVE, READ, AUTO):
            options: dict = {"qualcode_mode": mode}
            if self.dialect == "postgresql" and mode in _PG_ISOLATION:
                options["isolation_level"] = _PG_ISOLATION[mode]
            self._binds[mode] = self.engine.execution_options(**options)
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
        chosen = f", project={self.project!r}" if self.project is not None else ""
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r}{chosen})"

    def use(self, project: str | int | None) -> Database:
        """This database seen through another project (a name, an id, or None: the only one).

        The view shares the engine, its connection pool and the session factory, so it costs
        nothing: the app makes one per browser rerun from the one cached ``Database`` of its
        process, and every library function called with the view works on that project.
        """
        view = copy.copy(self)
        view.project = project
        return view

    # -- sessions ---------------------------------------------------------------------------

    @contextmanager
    def session(self, *, readonly: bool = False, write: bool = False) -> Iterator[Session]:
        """One transaction: commit when the block ends normally, roll back on any error.

        Inside a :func:`retrying` function (or with ``write=True``) it is a write transaction;
        inside a :func:`read_only` one (or with ``readonly=True``) it reads one snapshot.
        Outside a :func:`retrying` call a busy database raises :class:`DatabaseBusy`, never the
        driver's "database is locked".
        """
        mode = _MODE.get()
        if write:
            mode = EXCLUSIVE if mode == EXCLUSIVE else WRITE
        elif readonly:
            mode = READ
        session = self._sessions(bind=self._binds[mode])
        try:
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            if not _RETRYING.get() and isinstance(exc, Exception) \
                    and transient_reason(exc) in ("busy", "serialization") \
                    and not isinstance(exc, DatabaseBusy):
                raise busy_error(exc) from exc
            raise
        finally:
            session.close()

    def close(self) -> None:
        """Release every pooled connection (needed before deleting or copying the file)."""
        self.engine.dispose()

    # -- migrations -------------------------------------------------------------------------

    @staticmethod
    def _alembic_config(connection=None):
        from alembic.config import Config  # Alembic only when a schema is created or upgraded

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = connection
        return cfg

    def current_revision(self) -> str | None:
        """The Alembic revision the database is at (None for an empty database): one ``SELECT``;
        Alembic itself only when there is no ``alembic_version`` table yet, or several rows."""
        with self.engine.connect() as conn:  # failing to connect raises, as it always did
            try:
                stored = [row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]
            except sa_exc.DBAPIError:
                stored = None
        if stored is not None and len(stored) <= 1:
            return stored[0] if stored else None
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @staticmethod
    @functools.cache
    def head_revision() -> str:
        """The newest schema revision this version of qualcode knows."""
        if (heads := _heads_in_files()) and len(heads) == 1:
            return heads[0]
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(Database._alembic_config()).get_current_head()

    def migrate(self) -> str | None:
        """Bring the schema to head; back up an older, non-empty SQLite file first.

        Returns the revision the database was at before (None when it was new). At head it costs
        one ``SELECT`` and no Alembic (a few hundred milliseconds of imports).
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
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            self.backup_path = self.path.with_name(f"{self.path.name}.bak-{before}-{stamp}")
            self.backup_to(self.backup_path)
        from alembic import command

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

    # -- the chosen project ---------------------------------------------------------------------

    def project_id(self, session: Session, *, create: bool = True, name: str = "qualcode project") -> int:
        """The id of the project this object works on (``self.project``).

        Nearly every library function finds its project here, so the choice made once (``--project``,
        ``QUALCODE_PROJECT``, the app's project picker, ``Database(url, project=...)``,
        :meth:`use`) holds for every read and write without passing it around:

        - a name or an id: that project, or :class:`ProjectNotFound` listing the projects;
        - None: the only project (archived ones aside, when exactly one is active); a brand-new
          database gets one on demand, called ``name`` (``create=False``: an error instead);
          several projects and no choice is :class:`ProjectNeeded`, listing them.

        The project row is loaded into the session, so a later ``session.get(Project, id)`` (the
        write gate's archived check, settings) costs no query; the id is kept for the transaction.
        """
        ids = session.info.setdefault("qualcode_project_ids", {})
        found = ids.get(self.project)
        if found is not None:
            return found
        if self.project is None:
            found = self._only_project(session, create=create, name=name)
        else:
            row = find_project(session, self.project)
            # The identity map holds rows weakly: keep this one so later gets need no query.
            session.info.setdefault("qualcode_project_rows", []).append(row)
            found = row.id
        ids[self.project] = found
        return found

    def _only_project(self, session: Session, *, create: bool, name: str) -> int:
        rows = session.scalars(select(Project).order_by(Project.id)).all()
        # The identity map holds rows weakly: keep them so later gets need no query.
        session.info.setdefault("qualcode_project_rows", []).extend(rows)
        if not rows:
            if not create:
                raise DatabaseError("the database has no project yet; run `qualcode init` or "
                                    "`qualcode project create NAME`")
            project = Project(name=name)
            session.add(project)
            session.flush()
            return project.id
        active = [p for p in rows if not p.archived]
        if len(rows) == 1:
            return rows[0].id
        if len(active) == 1:
            return active[0].id
        raise ProjectNeeded(
            f"this database holds {len(rows)} projects ({project_names(rows)}); choose one: "
            "--project NAME or QUALCODE_PROJECT=NAME for the command line, "
            "qualcode.open(..., project=NAME) in Python; `qualcode projects` lists them")


class ProjectNotFound(DatabaseError, LookupError):
    """No project of that name (or id); the message lists the projects there are."""


class ProjectNeeded(DatabaseError):
    """Several projects and none chosen; the message lists them and says how to choose."""


def project_names(rows) -> str:
    """``'A', 'B' (archived)`` for error messages."""
    return ", ".join(repr(p.name) + (" (archived)" if p.archived else "") for p in rows) or "none"


def find_project(session: Session, project: str | int) -> Project:
    """The project named ``project`` (exactly, else the one name equal ignoring case), or with
    that id; :class:`ProjectNotFound` listing the projects otherwise."""
    if isinstance(project, int) and not isinstance(project, bool):
        row = session.get(Project, project)
    else:
        row = session.scalar(select(Project).where(Project.name == project))
        if row is None:
            alike = session.scalars(select(Project).where(
                func.lower(Project.name) == str(project).lower())).all()
            row = alike[0] if len(alike) == 1 else None
    if row is None:
        rows = session.scalars(select(Project).order_by(Project.name)).all()
        raise ProjectNotFound(f"no project {project!r} in this database (projects: "
                              f"{project_names(rows)}); `qualcode projects` lists them")
    return row
