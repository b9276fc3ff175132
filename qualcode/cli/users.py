"""Account commands: ``qualcode user add|list|passwd|role|disable|enable``.

Passwords are prompted for (hidden, typed twice) or read from standard input with
``--password-stdin``; they are never command-line arguments, so they stay out of shell history
and process listings. The command line acts as ``QUALCODE_USER`` (see ``qualcode.team.access``):
the very first account needs nobody, later changes need an owner or admin.
"""

from __future__ import annotations

import sys

import click

from qualcode.cli.common import emit, fail, open_db


def register(main: click.Group) -> None:
    """Add the ``user`` group to the ``qualcode`` group."""
    main.add_command(user)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _run(fn, *args, **kwargs):
    from qualcode.team.accounts import AccountError

    try:
        return fn(*args, **kwargs)
    except AccountError as exc:
        fail(str(exc))


@click.group()
def user() -> None:
    """Accounts and their roles. With no account qualcode runs in single-user mode (no login)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "owner", "coder", "viewer"]), required=True,
              help="admin: owner of every project; owner, coder or viewer of this project (--project).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def user_add(ctx, name: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Create account NAME (the first one switches the app to logins)."""
    from qualcode.team.accounts import add_account

    db = open_db(ctx)
    view = _run(add_account, db, name, _password(password_stdin), role=role)
    if as_json:
        emit(view.as_dict())
    else:
        click.echo(f"account {view.name} created ({view.role})")


@user.command("list")
@click.option("--all-projects", is_flag=True, help="Each account's role in every project.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def user_list(ctx, all_projects: bool, as_json: bool) -> None:
    """List accounts with their role in this project (with several projects and none chosen,
    or --all-projects: in every project)."""
    from qualcode.team.accounts import list_accounts

    views = _run(list_accounts, open_db(ctx), all_projects=all_projects)
    if as_json:
        emit([v.as_dict() for v in views])
        return
    if not views:
        click.echo("no accounts: single-user mode (no login)")
    for v in views:
        if v.projects is not None:
            roles = "admin" if v.role == "admin" else (
                ", ".join(f"{p}: {r}" for p, r in v.projects.items()) or "(no project)")
        else:
            roles = v.role or "(not a member)"
        click.echo(f"{v.name}\t{roles}" + ("\tdisabled" if v.disabled else ""))


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def user_passwd(ctx, name: str, password_stdin: bool) -> None:
    """Set NAME's password (their open sessions end)."""
    from qualcode.team.accounts import set_password

    _run(set_password, open_db(ctx), name, _password(password_stdin))
    click.echo(f"password of {name} changed")


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["admin", "owner", "coder", "viewer", "none"]))
@click.pass_context
def user_role(ctx, name: str, role: str) -> None:
    """Give NAME a ROLE in this project (none: remove them from it)."""
    from qualcode.team.accounts import set_role

    _run(set_role, open_db(ctx), name, None if role == "none" else role)
    click.echo(f"{name} is now {role}")


def _switch(disabled: bool) -> click.Command:
    verb = "disable" if disabled else "enable"

    @click.argument("name")
    @click.pass_context
    def command(ctx, name: str) -> None:
        from qualcode.team.accounts import set_disabled

        _run(set_disabled, open_db(ctx), name, disabled)
        click.echo(f"{name} {verb}d")

    command.__doc__ = ("Stop NAME from logging in (their codings stay)." if disabled
                       else "Let a disabled account log in again.")
    return user.command(verb)(command)


_switch(True)
_switch(False)
