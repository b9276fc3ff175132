"""The ``qualcode`` group and the project commands: init, import, documents, show, codebook,
code and codings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from qualcode.cli.common import DB_ENV, PROJECT_ENV, cli_user, emit, fail, open_db, progress_bar


class _Group(click.Group):
    """Turns a refusal by the acting user's role into ``Error: ...`` (exit 1), for every command."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if not type(exc).__module__.startswith("qualcode."):
                raise  # click's own exits and usage errors, and anything else, as they are
            # Imported only now: the library's errors would cost every command its start-up.
            from qualcode.project.projects import ProjectError
            from qualcode.store.db import ProjectNeeded, ProjectNotFound
            from qualcode.team.access import AccessDenied

            if isinstance(exc, (AccessDenied, ProjectNeeded, ProjectError)):
                fail(str(exc))
            if isinstance(exc, ProjectNotFound):
                fail(str(exc.args[0]))
            raise


def _default_max_mb() -> float:
    from qualcode.importers.base import DEFAULT_MAX_BYTES

    return float(os.environ.get("QUALCODE_MAX_IMPORT_MB", DEFAULT_MAX_BYTES / 1e6))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH|URL", envvar=DB_ENV, default=None,
              help="SQLite file or SQLAlchemy URL (postgresql+psycopg://...). "
                   f"Default: ${DB_ENV} or ./qualcode.db")
@click.option("--project", metavar="NAME", envvar=PROJECT_ENV, default=None,
              help=f"The project to work on (default: ${PROJECT_ENV}, else the only project; "
                   "`qualcode projects` lists them).")
@click.version_option(package_name="qualcode")
@click.pass_context
def main(ctx: click.Context, db: str | None, project: str | None) -> None:
    """qualcode: code qualitative interviews and analyse themes."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    ctx.obj["project"] = project or None


@main.command()
@click.option("--sample", is_flag=True, help="Load the shipped codebook, transcripts and participants.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def init(ctx: click.Context, sample: bool, as_json: bool) -> None:
    """Create the database, or migrate an older one (after backing it up).

    A new database gets its first project now (named by --project, or the default), so app
    replicas started later do not race to create it. Every project in the database is migrated.
    """
    from qualcode.store.models import Project

    db = open_db(ctx)
    with db.session() as session:  # the project row now, not raced for by app replicas later
        if session.query(Project.id).first() is None:
            from qualcode.project.sample import SAMPLE_NAME

            db.use(None).project_id(session, name=ctx.obj.get("project")
                                    or (SAMPLE_NAME if sample else "qualcode project"))
    out: dict = {"database": db.display_name, "revision": db.current_revision()}
    if db.backup_path:
        out["backup"] = str(db.backup_path)
    if sample:
        from qualcode.project.sample import load_sample

        bar, update = progress_bar(0, sys.stderr.isatty())
        result = load_sample(db, progress=lambda d, t, n: (setattr(bar, "total", t), update(d, t, n)))
        bar.close()
        out["sample"] = result.as_dict()
    if as_json:
        emit(out)
        return
    click.echo(f"Database {out['database']} at schema {out['revision']}.")
    if db.backup_path:
        click.echo(f"Migrated; the previous version is kept at {db.backup_path}.")
    if sample:
        r = out["sample"]
        click.echo(f"Sample project: {len(r['imported'])} transcripts imported, "
                   f"{len(r['skipped'])} already there, {len(r['errors'])} failed.")


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--attributes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Participants CSV (participant_id and/or document column, then attributes).")
@click.option("--replace", is_flag=True, help="Re-import documents already in the project.")
@click.option("--max-size", type=float, metavar="MB",
              default=_default_max_mb,
              show_default="50 or $QUALCODE_MAX_IMPORT_MB", help="Refuse files larger than this.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.option("--coder-from", type=click.Choice(["coding", "selection"]), default=None,
              help="For REFI projects: take the coder from the coding or the selection "
                   "(default: what the file's evidence shows).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def import_(ctx, paths, attributes, replace, max_size, progress, coder_from, as_json) -> None:
    """Import transcripts (files or folders): .txt .md .docx .odt .rtf .pdf .html .vtt .srt —
    or one project from another program (.qdpx .qde .qdc, Taguette .sqlite3, QualCoder .qda).

    Exit status is 1 when any file failed; the good files are imported anyway.
    """
    from qualcode.cli.interchange import import_project_cmd, is_project_file
    from qualcode.importers import describe_recognised
    from qualcode.importers.prepare import (
        PARALLEL_MIN_FILES,
        PARALLEL_WORKERS,
        expand_paths,
        read_files,
        start_workers,
    )
    from qualcode.project.participants import AttributesError, parse_attributes

    if any(is_project_file(p) for p in paths):
        if len(paths) != 1:
            fail("import one project file (.qdpx .qde .qdc .sqlite3 .qda) at a time, on its own")
        ctx.invoke(import_project_cmd, path=paths[0], coder_from=coder_from, as_json=as_json)
        return

    table = None
    if attributes is not None:
        try:  # check the CSV before importing anything, so a typo costs nothing
            table = parse_attributes(attributes.read_bytes(), attributes.name)
        except AttributesError as exc:
            fail(str(exc))
    max_bytes = int(max_size * 1e6)
    files = expand_paths(paths)
    # A large batch's parse workers start first, so that they load spaCy while this process
    # loads the database layer and opens the database (about a second each).
    workers = PARALLEL_WORKERS if len(files) >= PARALLEL_MIN_FILES else 0
    pool = start_workers(workers)
    try:
        from qualcode.project.documents import apply_attributes, import_files

        db = open_db(ctx)
        bar, update = progress_bar(len(files), sys.stderr.isatty() if progress is None else progress)
        result = import_files(db, read_files(files, max_bytes=max_bytes), total=len(files),
                              replace=replace, max_bytes=max_bytes, progress=update, workers=workers,
                              pool=pool)
        bar.close()
    finally:
        if pool is not None:  # import_files closes it; this is for a failure before it ran
            pool.terminate()
    if table is not None:
        result.attributes = apply_attributes(db, table, filename=attributes.name)
    if as_json:
        emit(result.as_dict())
    else:
        for d in result.imported:
            click.echo(f"imported {d.document}: {d.turns} turns, {d.sentences} sentences, "
                       f"speakers {', '.join(d.speakers) or '(none)'}")
            if d.recognised:
                click.echo(f"  recognised: {describe_recognised(d.recognised)}")
            for w in d.warnings:
                click.echo(f"  note: {w}")
        for s in result.skipped:
            click.echo(f"skipped {s['file']}: {s['reason']}")
        for e in result.errors:
            click.echo(f"FAILED {e['error']}", err=True)
        if result.attributes:
            a = result.attributes
            click.echo(f"attributes: {a['participants']} participants, "
                       f"{a['linked_documents']} documents linked")
            for w in a["warnings"]:
                click.echo(f"  note: {w}")
    if result.errors:
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def documents(ctx, as_json) -> None:
    """List the project's documents with turns, speakers and participant attributes."""
    from qualcode.project.documents import list_documents

    docs = list_documents(open_db(ctx), viewer=cli_user())
    if as_json:
        emit(docs)
        return
    for d in docs:
        who = f" [{d['participant']}]" if d["participant"] else ""
        click.echo(f"{d['name']}{who}: {d['turns']} turns, {d['words']} words, "
                   f"{d['codings']} codings; speakers: {', '.join(d['speakers']) or '(none)'}")


@main.command()
@click.argument("document")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx, document, as_json) -> None:
    """Print one document turn by turn (speaker, timestamp, offsets, text)."""
    from qualcode.project.documents import show_document

    try:
        data = show_document(open_db(ctx), document, viewer=cli_user())
    except LookupError as exc:
        fail(str(exc.args[0]))
    if as_json:
        emit(data)
        return
    for t in data["turns"]:
        stamp = ""
        if t["media_start_seconds"] is not None:
            s = int(t["media_start_seconds"])
            stamp = f"[{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}] "
        click.echo(f"{stamp}{t['speaker'] or '—'} ({t['start']}-{t['end']}): {t['text']}\n")


@main.group()
def codebook() -> None:
    """Import and export the code tree (YAML or CSV)."""


@codebook.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def codebook_import(ctx, file: Path, as_json: bool) -> None:
    """Create or update codes from a YAML or CSV codebook (codes are matched by path)."""
    from qualcode.codebook import CodebookError, parse_codebook
    from qualcode.project.codes import apply_codebook

    try:
        cb = parse_codebook(file.read_bytes(), file.name)
    except CodebookError as exc:
        fail(str(exc))
    db = open_db(ctx)
    with db.session() as session:
        report = apply_codebook(session, db.project_id(session), cb)
    if as_json:
        emit(report.as_dict())
        return
    click.echo(f"{len(report.created)} codes created, {len(report.updated)} updated, "
               f"{report.unchanged} unchanged.")
    if report.kept:
        click.echo(f"{len(report.kept)} codes not in {file.name} were kept: {', '.join(report.kept[:5])}")


@codebook.command("export")
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv"]), default="yaml", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (an existing YAML file keeps its comments).")
@click.pass_context
def codebook_export(ctx, fmt: str, output: Path | None) -> None:
    """Write the code tree with definitions, use-when, do-not-use-when, examples and colours."""
    from qualcode.codebook import to_csv, to_yaml
    from qualcode.project.codes import to_codebook
    from qualcode.store.models import Project

    db = open_db(ctx)
    with db.session() as session:
        pid = db.project_id(session)
        cb = to_codebook(session, pid, name=session.get(Project, pid).name)
    if fmt == "csv":
        text = to_csv(cb)
    else:
        template = output.read_bytes() if output is not None and output.exists() else None
        text = to_yaml(cb, template=template)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_bytes(text.encode("utf-8"))
        click.echo(f"wrote {len(cb.codes)} codes to {output}", err=True)


@main.command()
@click.argument("document")
@click.option("--code", "code_path", required=True, metavar="PATH", help="Code path, e.g. Barriers/Financial.")
@click.option("--coder", required=True, help="Who is coding.")
@click.option("--start", type=int, help="Start offset (code points, inclusive).")
@click.option("--end", type=int, help="End offset (code points, exclusive).")
@click.option("--match", metavar="TEXT", help="Code this exact text instead of offsets.")
@click.option("--nth", type=int, default=1, show_default=True, help="Which occurrence of --match.")
@click.option("--memo", help="A memo on the coding.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def code(ctx, document, code_path, coder, start, end, match, nth, memo, as_json) -> None:
    """Record a coding from a script, by offsets or by matching text."""
    from qualcode.project.codings import CodingError, add_coding

    try:
        record, created = add_coding(open_db(ctx), document, code_path, coder, start=start, end=end,
                                     match=match, nth=nth, memo=memo, actor=cli_user())
    except CodingError as exc:
        fail(str(exc))
    if as_json:
        emit({**record.as_dict(), "created": created})
    else:
        verb = "coded" if created else "already coded"
        click.echo(f"{verb} {record.document} {record.start}-{record.end} as {record.code}: {record.quote!r}")


@main.command("import-codings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def import_codings(ctx, file: Path, as_json: bool) -> None:
    """Record codings from a CSV (document, code, coder, quote[, nth, memo]); all or nothing."""
    from qualcode.project.coding_sheet import CodingSheetError, import_sheet, parse_sheet

    try:
        report = import_sheet(open_db(ctx), parse_sheet(file.read_bytes(), file.name), filename=file.name,
                              actor=cli_user())
    except CodingSheetError as exc:
        fail(str(exc))
    if as_json:
        emit(report)
    else:
        click.echo(f"{report['created']} codings recorded, {report['existing']} already there "
                   f"(coders: {', '.join(report['coders'])}).")


@main.command()
@click.option("--document", help="Only this document.")
@click.option("--code", "code_path", metavar="PATH", help="Only this code and the codes below it.")
@click.option("--coder", help="Only this coder.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def codings(ctx, document, code_path, coder, as_json) -> None:
    """List codings (document, code path, coder, offsets, quote, memo)."""
    from qualcode.project.codings import list_codings

    try:
        rows = list_codings(open_db(ctx), document=document, code=code_path, coder=coder,
                            viewer=cli_user())
    except LookupError as exc:
        fail(str(exc.args[0]))
    if as_json:
        emit([r.as_dict() for r in rows])
        return
    for r in rows:
        click.echo(f"{r.document} {r.start}-{r.end} {r.code} ({r.coder}): {r.quote!r}")


# The recordings family registers itself here (its commands live in ``qualcode.cli.media``).
from qualcode.cli import media as _media  # noqa: E402  (after ``main`` exists)

_media.register(main)
