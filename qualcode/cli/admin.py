"""Administration commands: ``backup``, ``restore`` and ``history`` (who did what)."""

from __future__ import annotations

from pathlib import Path

import click

from qualcode.cli.common import emit, fail, open_db


def register(main: click.Group) -> None:
    """Add the administration commands to the ``qualcode`` group."""
    main.add_command(backup_cmd)
    main.add_command(restore_cmd)
    main.add_command(history_cmd)


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def backup_cmd(ctx, out: Path, as_json: bool) -> None:
    """Write a consistent copy of the whole database (every project) to OUT while others keep
    working.

    SQLite: a database file (SQLite's online backup API). PostgreSQL: a pg_dump custom-format
    archive (needs pg_dump from the PostgreSQL client tools). One project alone:
    `qualcode project backup NAME OUT`.
    """
    from qualcode.team.backup import BackupError, backup

    try:
        result = backup(open_db(ctx), out)
    except BackupError as exc:
        fail(str(exc))
    if as_json:
        emit(result)
    else:
        click.echo(f"backed up {result['database']} to {result['output']} ({result['bytes']:,} bytes)")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Really replace the database (without it: show the plan).")
@click.option("--other-project", metavar="NAME",
              help="Confirm restoring a backup of a different project by naming it.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def restore_cmd(ctx, file: Path, yes: bool, other_project: str | None, as_json: bool) -> None:
    """Replace the whole database with FILE (from `qualcode backup`), saving the current one first."""
    from qualcode.team.backup import BackupError, restore
    from qualcode.store.db import Database, DatabaseError

    try:
        # Not migrated on open: the database is about to be replaced anyway.
        db = Database(ctx.obj["db"], migrate=False)
        result = restore(db, file, yes=yes, other_project=other_project)
        if yes:  # bring an older backup up to the current schema, like any open would
            Database(ctx.obj["db"]).close()
    except (BackupError, DatabaseError) as exc:
        fail(str(exc))
    if as_json:
        emit(result)
        return
    if not result["done"]:
        other = ""
        if not result["same_project"]:
            names = ", ".join(p["name"] for p in result["projects_in_backup"]) or "no project"
            now = ", ".join(p["name"] for p in result["projects_now"])
            other = (f"\nThe backup holds a DIFFERENT project ({names}) than this database ({now}): "
                     f"its documents, codings and accounts would replace this one's. Add "
                     f"--other-project {names!r} to confirm.")
        click.echo(f"would replace {result['database']} with {result['from']}, after saving the "
                   f"current database to {result['safety_backup']}.{other}\nNothing was changed; "
                   "run again with --yes to restore.")
        return
    saved = f"; the previous database is kept at {result['safety_backup']}" if result["safety_backup"] else ""
    click.echo(f"restored {result['database']} from {result['from']}{saved}")


@click.command("history")
@click.option("--entity", type=click.Choice(["code", "document", "coding"]), help="Only this kind of thing.")
@click.option("--id", "entity_id", type=int, help="Only the thing with this id (see --json output).")
@click.option("--all-projects", is_flag=True,
              help="The whole database's log: every project and the account events (admins).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def history_cmd(ctx, entity: str | None, entity_id: int | None, all_projects: bool, as_json: bool) -> None:
    """Show who did what in the project, oldest first, from the append-only change log."""
    from qualcode.team.changelog import history

    if entity_id is not None and entity is None:
        fail("--id needs --entity (code, document or coding): ids are only unique per kind")
    db = open_db(ctx)
    with db.session() as session:
        pid = None if all_projects else db.project_id(session, create=False)
        rows = history(session, project_id=pid, entity=entity, entity_id=entity_id)
    if as_json:
        emit(rows)
        return
    for r in rows:
        what = r["entity"] + (f" #{r['entity_id']}" if r["entity_id"] is not None else "")
        detail = ", ".join(f"{k}={v}" for k, v in r["detail"].items())
        click.echo(f"{r['at']:%Y-%m-%d %H:%M:%S} {r['actor']} {r['action']} {what}"
                   + (f": {detail}" if detail else ""))
