"""``qualcode`` commands for document groups: ``group create|add|remove|rename|delete`` and ``groups``.

Thin wrappers over :mod:`qualcode.project.groups`; errors (unknown group or document, a taken name)
go to stderr with exit status 1 and leave the database untouched. ``groups`` reads as
``QUALCODE_USER``: with accounts an unknown, disabled or unnamed account is refused.
"""

from __future__ import annotations

import click

from qualcode.cli.common import cli_user, emit, fail, open_db


def _run(call):
    from qualcode.project.groups import GroupError

    try:
        return call()
    except GroupError as exc:
        fail(str(exc))


@click.group("group")
def group_cmd() -> None:
    """Create document groups and put documents in them (exported to REFI-QDA as Sets)."""


@group_cmd.command("create")
@click.argument("name")
@click.option("--description", default="", help="What the group is for (exported with it).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def create_cmd(ctx, name: str, description: str, as_json: bool) -> None:
    """Create an empty document group called NAME."""
    from qualcode.project.groups import create_group

    group = _run(lambda: create_group(open_db(ctx), name, description=description))
    if as_json:
        emit({k: group[k] for k in ("name", "description", "documents")})
    else:
        click.echo(f"created group {group['name']!r}")


def _membership_command(verb: str, change: str, done: tuple[str, str], left: tuple[str, str],
                       help_text: str) -> click.Command:
    """``group add`` or ``group remove``: the same command, one library call each way.

    ``change`` names the function of :mod:`qualcode.project.groups`; ``done`` and ``left`` are
    (key in its result, words in the summary line) for the documents it moved and left alone.
    """

    @group_cmd.command(verb, help=help_text)
    @click.argument("name")
    @click.argument("documents", nargs=-1, required=True)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def command(ctx, name: str, documents: tuple[str, ...], as_json: bool) -> None:
        from qualcode.project import groups

        out = _run(lambda: getattr(groups, change)(open_db(ctx), name, list(documents)))
        if as_json:
            emit(out)
        else:
            click.echo(f"{out['group']}: {done[1]} {len(out[done[0]])}, {left[1]} {len(out[left[0]])}")

    return command


add_cmd = _membership_command(
    "add", "add_documents", ("added", "added"), ("already", "already there"),
    "Put DOCUMENTs (names as `qualcode documents` lists them) in group NAME.\n\n"
    "All of them must exist, or nothing is added; documents already in the group stay as they are.")
remove_cmd = _membership_command(
    "remove", "remove_documents", ("removed", "removed"), ("not_members", "not in the group"),
    "Take DOCUMENTs out of group NAME (the documents themselves stay in the project).")


@group_cmd.command("rename")
@click.argument("name")
@click.argument("new_name")
@click.pass_context
def rename_cmd(ctx, name: str, new_name: str) -> None:
    """Rename group NAME to NEW_NAME (members and REFI-QDA GUID stay)."""
    from qualcode.project.groups import rename_group

    group = _run(lambda: rename_group(open_db(ctx), name, new_name))
    click.echo(f"renamed group {name!r} to {group['name']!r}")


@group_cmd.command("delete")
@click.argument("name")
@click.pass_context
def delete_cmd(ctx, name: str) -> None:
    """Delete group NAME; its documents stay in the project."""
    from qualcode.project.groups import delete_group

    group = _run(lambda: delete_group(open_db(ctx), name))
    click.echo(f"deleted group {group['name']!r} ({len(group['documents'])} documents stay in the project)")


@click.command("groups")
@click.option("--json", "as_json", is_flag=True,
              help='Print JSON: [{"name", "description", "documents": [names]}].')
@click.pass_context
def groups_cmd(ctx, as_json: bool) -> None:
    """List document groups with their documents."""
    from qualcode.project.groups import list_groups

    groups = list_groups(open_db(ctx), viewer=cli_user())
    if as_json:
        emit([{k: g[k] for k in ("name", "description", "documents")} for g in groups])
        return
    if not groups:
        click.echo("no document groups yet (create one with `qualcode group create NAME`)")
    for g in groups:
        about = f" — {g['description']}" if g["description"] else ""
        click.echo(f"{g['name']} ({len(g['documents'])} documents){about}")
        for doc in g["documents"]:
            click.echo(f"  {doc}")


def register(main: click.Group) -> None:
    """Add this module's commands to the ``qualcode`` group."""
    main.add_command(group_cmd)
    main.add_command(groups_cmd)
