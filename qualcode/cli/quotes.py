"""``qualcode quotes star|unstar|list``: key quotes (starred codings) from the command line.

Thin wrappers over :mod:`qualcode.coding.key_quotes`. The acting user is ``QUALCODE_USER``
(else the OS user): with accounts a coder stars only their own codings, an owner anyone's, and
``list`` shows only what that user may see under blind coding. A star is undoable like any
workspace edit (the app's Undo, as the same user). Errors go to stderr with exit status 1.
"""

from __future__ import annotations

import click

from qualcode.cli.common import cli_user, emit, fail, open_db


def _clip(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@click.group("quotes")
def quotes_cmd() -> None:
    """Key quotes: star codings as representative quotes of their code, and list them."""


def _star_command(verb: str, starred: bool, help_text: str) -> click.Command:
    @quotes_cmd.command(verb, help=help_text)
    @click.argument("coding_id", type=int)
    @click.option("--version", "expected_version", type=int, metavar="N",
                  help="Refuse if the coding is no longer at version N (changed by someone since).")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def command(ctx, coding_id: int, expected_version: int | None, as_json: bool) -> None:
        from qualcode.coding.key_quotes import set_key_quote
        from qualcode.coding.undo import EditConflict
        from qualcode.project.codings import CodingError
        from qualcode.team.access import default_actor

        try:
            done = set_key_quote(open_db(ctx), coding_id, starred, actor=cli_user() or default_actor(),
                                 expected_version=expected_version)
        except (CodingError, EditConflict, LookupError) as exc:
            fail(str(exc.args[0]) if isinstance(exc, LookupError) else str(exc))
        if as_json:
            emit({"coding_id": done.coding.id, "key_quote": done.coding.key_quote,
                  "changed": done.changed, "version": done.coding.version, "message": done.message})
        else:
            click.echo(done.message)

    return command


star_cmd = _star_command(
    "star", True,
    "Mark coding CODING_ID as a key quote (`qualcode quotes list --all` shows the ids).\n\n"
    "Starring a starred coding changes nothing.")
unstar_cmd = _star_command(
    "unstar", False, "Take the key-quote star off coding CODING_ID.")


@quotes_cmd.command("list")
@click.option("--code", "code_path", metavar="PATH", help="Only this code and the codes below it.")
@click.option("--document", help="Only this document.")
@click.option("--all", "everything", is_flag=True,
              help="Every coding you may see, starred (★) or not: to find the id to star.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_cmd(ctx, code_path: str | None, document: str | None, everything: bool, as_json: bool) -> None:
    """List key quotes: coding id, document, participant, code, coder and the quote."""
    from qualcode.coding.key_quotes import key_quotes
    from qualcode.project.codings import CodingError

    try:
        rows = key_quotes(open_db(ctx), viewer=cli_user(), code=code_path, document=document,
                          only_starred=not everything)
    except CodingError as exc:
        fail(str(exc))
    if as_json:
        emit([r.as_dict() for r in rows])
        return
    if not rows:
        click.echo("no key quotes yet; star one with `qualcode quotes star CODING_ID` "
                   "(`qualcode quotes list --all` shows the ids)" if not everything else "no codings")
        return
    for r in rows:
        mark = ("★ " if r.starred else "☆ ") if everything else ""
        who = f" [{r.participant}]" if r.participant else ""
        click.echo(f"{mark}{r.coding_id}  {r.document}{who}  {r.code} ({r.coder}): “{_clip(r.quote)}”")
    if not everything:
        click.echo(f"{len(rows)} key quote{'s' if len(rows) != 1 else ''}")


def register(main) -> None:
    """Add this family's commands to ``main``."""
    main.add_command(quotes_cmd)
