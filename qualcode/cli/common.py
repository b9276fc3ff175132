"""Shared plumbing of the ``qualcode`` command: output, errors, the database, progress bars."""

from __future__ import annotations

import json
import sys

import click

from qualcode.db import Database, DatabaseError


def emit(data) -> None:
    """Print ``data`` as indented UTF-8 JSON (the ``--json`` output of every command)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def fail(message: str) -> None:
    """Print ``Error: message`` to stderr and exit with status 1."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def open_db(ctx: click.Context) -> Database:
    """The database named by ``--db`` (opened and migrated once per command)."""
    if "database" not in ctx.obj:
        try:
            ctx.obj["database"] = Database(ctx.obj["db"])
        except DatabaseError as exc:
            fail(str(exc))
    return ctx.obj["database"]


def progress_bar(total: int, enabled: bool):
    """A tqdm bar on stderr (only on a terminal unless forced), as a progress callback."""
    from tqdm import tqdm

    bar = tqdm(total=total, unit="file", file=sys.stderr, disable=not enabled, leave=False)

    def update(done: int, _total: int, name: str) -> None:
        bar.set_postfix_str(name[-30:])
        bar.update(done - bar.n)

    return bar, update
