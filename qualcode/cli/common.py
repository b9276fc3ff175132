"""Shared plumbing of the ``qualcode`` command: output, errors, the database, progress bars."""

from __future__ import annotations

import json
import sqlite3
import sys

import click

from qualcode.store.db import Database, DatabaseError


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
        try:
            ctx.obj["database"] = Database(ctx.obj["db"])
        except DatabaseError as exc:
            fail(str(exc))
        from qualcode.team.backup import auto_backup

        try:
            auto_backup(ctx.obj["database"])  # the daily SQLite backup, when one is due
        except (OSError, sqlite3.Error) as exc:  # a full disk must not stop the user's command
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
