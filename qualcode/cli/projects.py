"""Project commands: ``qualcode projects`` and ``qualcode project create|rename|describe|archive|
unarchive|delete|backup|restore|copy-codebook``.

Each command names its project itself (the NAME argument); ``--project``/``QUALCODE_PROJECT``
chooses the project for every other command. The command line acts as ``QUALCODE_USER``.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click

from qualcode.cli.common import cli_user, emit, fail, open_db, progress_bar


def register(main: click.Group) -> None:
    """Add ``projects`` and the ``project`` group to the ``qualcode`` group."""
    main.add_command(projects_cmd)
    main.add_command(project)


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "never"


@click.command("projects")
@click.option("--all", "show_all", is_flag=True, help="Include archived projects.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def projects_cmd(ctx, show_all: bool, as_json: bool) -> None:
    """List the projects you belong to (all of them in single-user mode or for an admin)
    with documents, codings, coders and the last change; archived ones only with --all."""
    from qualcode.project.projects import list_projects

    rows = list_projects(open_db(ctx, choose=False), viewer=cli_user(), archived=show_all)
    if as_json:
        emit([r.as_dict() for r in rows])
        return
    if not rows:
        click.echo("no projects" + ("" if show_all else " (archived ones are listed with --all)"))
    for r in rows:
        click.echo(f"{r.name}{' (archived)' if r.archived else ''}: {r.documents} documents, "
                   f"{r.codings} codings, {r.coders} coders; last change {_when(r.last_change)}; "
                   f"you: {r.role}" + (f"\n  {r.description}" if r.description else ""))


@click.group()
def project() -> None:
    """Create, rename, describe, archive, delete, back up and restore projects."""


@project.command("create")
@click.argument("name")
@click.option("--description", default="", help="What the study is.")
@click.option("--sample", is_flag=True, help="Start from the shipped sample project.")
@click.option("--from", "source", type=click.Path(exists=True, path_type=Path),
              help="Start from another program's project: .qdpx .qde .qdc, Taguette .sqlite3, QualCoder .qda.")
@click.option("--coder-from", type=click.Choice(["coding", "selection"]), default=None,
              help="For REFI projects (--from): take the coder from the coding or the selection "
                   "(default: what the file's evidence shows).")
@click.option("--codebook-from", metavar="PROJECT", help="Copy this project's codebook into the new one.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def create_cmd(ctx, name, description, sample, source, coder_from, codebook_from, as_json) -> None:
    """Create project NAME: empty, from the sample, or from an import (all or nothing)."""
    from qualcode.project.projects import create_project

    if sample and source is not None:
        fail("start from --sample or from --from FILE, not both")
    actor = cli_user()
    fill = None
    if source is not None:
        from qualcode.refi.model import RefiError
        from qualcode.refi.store import import_project_file

        def fill(view):
            try:
                return import_project_file(view, source, coder_from=coder_from, actor=actor)
            except (RefiError, sqlite3.Error) as exc:
                fail(f"{exc}; the project was not created")

    bar, update = progress_bar(0, sample and sys.stderr.isatty())
    try:
        out = create_project(open_db(ctx, choose=False), name, description=description,
                             sample=sample, codebook_from=codebook_from, fill=fill, actor=actor,
                             progress=lambda d, t, n: (setattr(bar, "total", t), update(d, t, n)))
    finally:
        bar.close()
    if as_json:
        emit(out)
        return
    p = out["project"]
    click.echo(f"project {p['name']} created: {p['documents']} documents, {p['codings']} codings")
    if "codebook" in out:
        click.echo(f"codebook copied from {out['codebook']['from']}: "
                   f"{len(out['codebook']['created'])} codes")
    if "import" in out:
        r = out["import"]
        click.echo(f"imported {source.name}: {r['documents']} documents, {r['codes']} codes, "
                   f"{r['codings']} codings")
        for w in r["warnings"]:
            click.echo(f"  note: {w}")


@project.command("rename")
@click.argument("name")
@click.argument("new_name")
@click.pass_context
def rename_cmd(ctx, name: str, new_name: str) -> None:
    """Rename project NAME to NEW_NAME (owners)."""
    from qualcode.project.projects import rename_project

    done = rename_project(open_db(ctx, choose=False).use(name), new_name, actor=cli_user())
    click.echo(f"project {name} is now {done}")


@project.command("describe")
@click.argument("name")
@click.argument("description")
@click.pass_context
def describe_cmd(ctx, name: str, description: str) -> None:
    """Set project NAME's description (owners)."""
    from qualcode.project.projects import describe_project

    describe_project(open_db(ctx, choose=False).use(name), description, actor=cli_user())
    click.echo(f"description of {name} set")


def _archiver(archived: bool) -> click.Command:
    verb = "archive" if archived else "unarchive"

    @click.argument("name")
    @click.pass_context
    def command(ctx, name: str) -> None:
        from qualcode.project.projects import archive_project

        changed = archive_project(open_db(ctx, choose=False).use(name), archived, actor=cli_user())
        click.echo(f"project {name} {verb}d" if changed else f"project {name} was already {verb}d")

    command.__doc__ = ("Archive project NAME: read-only, and listed only with `projects --all` (owners)."
                       if archived else "Make archived project NAME writable and listed again (owners).")
    return project.command(verb)(command)


_archiver(True)
_archiver(False)


@project.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Really delete (without it: show what would be deleted).")
@click.option("--backup", "backup_to", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the backup taken first to this new file (default: backups/ beside an "
                   "SQLite database, $QUALCODE_BACKUP_DIR, or ~/qualcode-backups).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def delete_cmd(ctx, name: str, yes: bool, backup_to: Path | None, as_json: bool) -> None:
    """Delete project NAME and everything in it (owners), after backing it up; --yes confirms."""
    from qualcode.project.projects import backup_dir, delete_project, project_summary

    db = open_db(ctx, choose=False).use(name)
    if not yes:
        p = project_summary(db, viewer=cli_user())
        where = backup_to or backup_dir(db)
        if as_json:
            emit({"project": p.name, "would_delete": p.details(), "backup": str(where), "done": False})
            return
        click.echo(f"would delete project {p.name} ({p.documents} documents, {p.codings} codings, "
                   f"{p.coders} coders) after backing it up to {where}.\nNothing was deleted; run "
                   "again with --yes to delete it.")
        return
    out = delete_project(db, confirm=name, actor=cli_user(), backup_to=backup_to)
    if as_json:
        emit({**out, "done": True})
        return
    click.echo(f"project {out['project']} deleted; its backup is {out['backup']} "
               f"(bring it back with `qualcode project restore {out['backup']}`)")


@project.command("backup")
@click.argument("name")
@click.argument("out", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def backup_cmd(ctx, name: str, out: Path | None, as_json: bool) -> None:
    """Write project NAME, and nothing else, to a new SQLite file OUT (owners).

    Open it with `qualcode --db OUT`; `qualcode project restore OUT` brings it back.
    """
    from qualcode.project.projects import backup_project

    result = backup_project(open_db(ctx, choose=False).use(name), out, actor=cli_user())
    if as_json:
        emit(result)
    else:
        click.echo(f"backed up project {result['project']} to {result['output']} ({result['bytes']:,} bytes)")


@project.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", "new_name", help="Give the project this name (default: its name in FILE).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def restore_cmd(ctx, file: Path, new_name: str | None, as_json: bool) -> None:
    """Bring back a project from a project backup FILE, as a new project of this database."""
    from qualcode.project.projects import restore_project

    result = restore_project(open_db(ctx, choose=False), file, name=new_name, actor=cli_user())
    if as_json:
        emit(result)
        return
    click.echo(f"project {result['project']} restored from {result['from']}")
    if result["missing_accounts"]:
        click.echo("  note: no account here for " + ", ".join(result["missing_accounts"])
                   + "; their memberships were left out")


@project.command("copy-codebook")
@click.argument("source")
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def copy_codebook_cmd(ctx, source: str, target: str, as_json: bool) -> None:
    """Copy project SOURCE's codebook into project TARGET (matched by path; nothing deleted)."""
    from qualcode.project.projects import copy_codebook

    report = copy_codebook(open_db(ctx, choose=False).use(target), source, actor=cli_user())
    if as_json:
        emit(report)
        return
    click.echo(f"{len(report['created'])} codes created, {len(report['updated'])} updated, "
               f"{report['unchanged']} unchanged in {target} (from {source}).")
