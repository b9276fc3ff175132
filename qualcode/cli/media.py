"""``qualcode media attach|list|detach``: the interview's recording beside its transcript.

Thin wrappers over :mod:`qualcode.project.media`. A wrong file (type, size), an unknown document
or a refused role goes to stderr with exit status 1 and leaves the database and the media
folder untouched.
"""

from __future__ import annotations

from pathlib import Path

import click

from qualcode.cli.common import cli_user, emit, fail, open_db


def _run(call):
    from qualcode.project.media import MediaError
    from qualcode.store.media_files import MediaDirError

    try:
        return call()
    except (MediaError, MediaDirError) as exc:
        fail(str(exc))
    except LookupError as exc:
        fail(str(exc.args[0]))


def _size(n: int) -> str:
    return f"{n / 1048576:,.1f} MB" if n >= 1048576 else f"{n / 1024:,.0f} kB"


@click.group("media")
def media_cmd() -> None:
    """Attach interview recordings (mp3, m4a, wav, mp4, webm) to transcripts."""


@media_cmd.command("attach")
@click.argument("document")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def attach_cmd(ctx, document: str, file: Path, as_json: bool) -> None:
    """Attach the recording FILE to DOCUMENT (owners).

    The file is copied into the media folder (beside an SQLite database, or
    QUALCODE_MEDIA_DIR); its type is checked from its content and its size against
    QUALCODE_MEDIA_MAX_MB. Attaching the same file again changes nothing; another file
    replaces the earlier recording.
    """
    from qualcode.project.media import attach

    out = _run(lambda: attach(open_db(ctx), document, file, actor=cli_user()))
    if as_json:
        emit(out)
        return
    verb = {"attached": "attached", "replaced": "replaced the recording of",
            "unchanged": "already attached to"}[out["status"]]
    length = f", {out['duration']:.1f} s" if out.get("duration") else ""
    click.echo(f"{out['file']} {verb} {out['document']} ({out['mime_type']}, {_size(out['size'])}{length})")
    for warning in out["warnings"]:
        click.echo(f"warning: {warning}", err=True)


@media_cmd.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_cmd(ctx, as_json: bool) -> None:
    """List the recordings of the project's documents."""
    from qualcode.project.media import list_media

    rows = _run(lambda: list_media(open_db(ctx), viewer=cli_user()))
    if as_json:
        emit(rows)
        return
    if not rows:
        click.echo("no recordings yet (attach one with `qualcode media attach DOCUMENT FILE`)")
    for r in rows:
        missing = "" if r["exists"] else "  (FILE MISSING from the media folder)"
        click.echo(f"{r['document']}: {r['file']} ({r['mime_type']}, {_size(r['size'])}){missing}")


@media_cmd.command("detach")
@click.argument("document")
@click.option("--yes", is_flag=True, help="Really detach (without it: show what would be removed).")
@click.pass_context
def detach_cmd(ctx, document: str, yes: bool) -> None:
    """Remove DOCUMENT's recording (owners; the transcript and its codings stay); --yes confirms."""
    from qualcode.project.media import detach, media_for

    db = open_db(ctx)
    if not yes:
        found = _run(lambda: media_for(db, document, viewer=cli_user()))
        if found is None:
            fail(f"{document} has no recording attached; nothing to detach")
        click.echo(f"would detach {found['file']} from {found['document']}; run again with --yes")
        return
    out = _run(lambda: detach(db, document, actor=cli_user()))
    click.echo(f"detached {out['file']} from {out['document']}")


def register(main: click.Group) -> None:
    """Add ``media`` to the ``qualcode`` group."""
    main.add_command(media_cmd)
