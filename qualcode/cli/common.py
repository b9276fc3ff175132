"""Shared plumbing of the ``qualcode`` command: output, errors, the database, progress bars.

Every command module imports this one at start-up (``qualcode --help`` loads them all), so it
imports nothing heavy: the database layer (SQLAlchemy, the models) is imported when a command
first opens the database, and each command imports the library it calls inside its function.
``tests/test_cli.py`` checks that ``qualcode --help`` loads no SQLAlchemy, Alembic, pandas or spaCy.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from qualcode.store.db import Database

#: The environment variables that name the database and the project (``qualcode.store.db``
#: defines them; repeated here so that ``--help`` needs no database layer; a test keeps them equal).
DB_ENV = "QUALCODE_DB"
PROJECT_ENV = "QUALCODE_PROJECT"


def emit(data) -> None:
    """Print ``data`` as indented UTF-8 JSON (the ``--json`` output of every command)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def fail(message: str) -> None:
    """Print ``Error: message`` to stderr and exit with status 1."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def cli_user() -> str | None:
    """The account the command line acts as (``QUALCODE_USER``), None when unset.

    The command line trusts whoever can open the database, as psql does; with accounts this
    names whose role applies and whose view of blind coding reads return.
    """
    import os

    return os.environ.get("QUALCODE_USER") or None


def open_db(ctx: click.Context, *, choose: bool = True) -> Database:
    """The database named by ``--db`` (opened and migrated once per command), seen through the
    project named by ``--project``/``QUALCODE_PROJECT`` (``choose=False``: no project chosen,
    for commands that name their project themselves or work on the whole database).

    Without a project named, commands work on the only project; with several, the first call
    that needs one fails with the list of projects (``ProjectNeeded``, reported by the group).
    """
    if "database" not in ctx.obj:
        import sqlite3

        from qualcode.store.db import Database, DatabaseError

        try:
            ctx.obj["database"] = Database(ctx.obj["db"])
        except DatabaseError as exc:
            fail(str(exc))
        if ctx.obj["database"].path is not None:  # SQLite: PostgreSQL has its own backups
            from qualcode.team.backup import auto_backup

            try:
                auto_backup(ctx.obj["database"])  # the daily SQLite backup, when one is due
            except (OSError, sqlite3.Error) as exc:  # a full disk must not stop the command
                click.echo(f"note: the automatic daily backup failed: {exc}", err=True)
    base: Database = ctx.obj["database"]
    return base.use(ctx.obj.get("project")) if choose else base


def progress_bar(total: int, enabled: bool):
    """A tqdm bar on stderr (only on a terminal unless forced), as a progress callback."""
    from tqdm import tqdm

    bar = tqdm(total=total, unit="file", file=sys.stderr, disable=not enabled, leave=False)

    def update(done: int, _total: int, name: str) -> None:
        bar.set_postfix_str(name[-30:])
        bar.update(done - bar.n)

    return bar, update
