"""``qualcode`` commands for interchange: ``export qdpx|qdc`` and ``import-project``.

``export_group`` is the ``qualcode export`` group; other families add their own export formats
to it (``export_group.add_command(...)``) before ``register`` runs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from qualcode.cli.common import cli_user, emit, fail, open_db


@click.group("export")
def export_group() -> None:
    """Export the project or parts of it (REFI-QDA .qdpx projects and .qdc codebooks, and more)."""


def _write(output: Path, data: bytes) -> None:
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")


@export_group.command("qdpx")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def export_qdpx_cmd(ctx, output: Path, as_json: bool) -> None:
    """Write the whole project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder."""
    from qualcode.refi.store import export_project
    from qualcode.refi.write import write_qdpx

    project = export_project(open_db(ctx), viewer=cli_user())
    _write(output, write_qdpx(project))
    out = {"file": str(output), "documents": len(project.sources),
           "codes": sum(1 for _ in project.all_codes()),
           "codings": sum(len(s.selections) for s in project.sources),
           "coders": [u.name for u in project.users], "memos": len(project.notes),
           "cases": len(project.cases)}
    if as_json:
        emit(out)
    else:
        click.echo(f"wrote {output}: {out['documents']} documents, {out['codes']} codes, "
                   f"{out['codings']} codings, {out['memos']} memos, {out['cases']} cases")


@export_group.command("qdc")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def export_qdc_cmd(ctx, output: Path, as_json: bool) -> None:
    """Write the code tree as a REFI-QDA codebook (.qdc)."""
    from qualcode.refi.store import export_project
    from qualcode.refi.write import write_qdc

    project = export_project(open_db(ctx), viewer=cli_user())
    if not project.codes:
        fail("the codebook is empty; import one first with `qualcode codebook import FILE`")
    _write(output, write_qdc(project))
    out = {"file": str(output), "codes": sum(1 for _ in project.all_codes())}
    if as_json:
        emit(out)
    else:
        click.echo(f"wrote {output}: {out['codes']} codes")


#: What `qualcode import` hands to the project importer instead of the transcript importer.
PROJECT_SUFFIXES = (".qdpx", ".qde", ".qdc", ".sqlite3", ".sqlite", ".qda")


def is_project_file(path: Path) -> bool:
    """A REFI project/codebook, a Taguette export or a QualCoder project (a .qda folder)."""
    return path.suffix.lower() in PROJECT_SUFFIXES or (path.is_dir() and (path / "data.qda").exists())


@click.command("import-project")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--coder-from", type=click.Choice(["coding", "selection"]), default=None,
              help="REFI files name a coder on the coding and on the selection; which one to use. "
                   "Default: what the file's evidence shows (NVivo for Windows: the selection).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def import_project_cmd(ctx, path: Path, coder_from: str | None, as_json: bool) -> None:
    """Import a project from another program: .qdpx, .qde, .qdc, a Taguette .sqlite3 export or
    codebook .csv, or a QualCoder project folder (.qda).

    Everything is written in one transaction; importing the same file again changes nothing.
    """
    from qualcode.refi.model import RefiError
    from qualcode.refi.store import import_project_file

    db = open_db(ctx)
    try:
        report = import_project_file(db, path, coder_from=coder_from)
    except (RefiError, sqlite3.Error) as exc:
        fail(str(exc))
    if as_json:
        emit(report)
        return
    click.echo(f"imported {path.name}: {report['documents']} documents, {report['codes']} codes, "
               f"{report['codings']} codings; coders: {', '.join(report['coders']) or '(none)'}")
    attribution = report.get("coder_attribution") or {}
    if attribution.get("reason"):
        click.echo(f"coders taken from the {attribution['chosen']}: {attribution['reason']}")
    existing = report.get("existing") or {}
    if existing:
        click.echo("already present (left alone): "
                   + ", ".join(f"{n} {k}" for k, n in sorted(existing.items())))
    for reading in sorted(set((report.get("offset_readings") or {}).values())):
        click.echo(f"offsets read as: {reading}")
    for w in report["warnings"]:
        click.echo(f"  note: {w}")
    for s in report.get("skipped") or []:
        click.echo(f"  skipped: {s}")


def register(main: click.Group) -> None:
    """Add this module's commands to the ``qualcode`` group."""
    main.add_command(export_group)
    main.add_command(import_project_cmd)
