"""Hardening, item 9: ``qualcode show DOC`` and ``qualcode groups`` are reads like every other.

With accounts in the database a read names its acting user (``QUALCODE_USER`` on the command
line) and that user must be an active member of the project. A disabled account, an unknown
account or nobody at all is refused with a clear message, before anything of the project
(document text, document names, group names) is printed. The check lives in the library
(``show_document``, ``list_groups``), so the app and scripts get it too.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from qualcode.cli import main as cli
from qualcode.project.documents import import_files, show_document
from qualcode.project.groups import add_documents, create_group, list_groups
from qualcode.store.db import Database
from qualcode.team import accounts
from qualcode.team.access import AccessDenied

PW = "correct horse battery"
DOC = "int01"
SECRET = "The fees were far too high"
GROUP = "Confidential wave"
TRANSCRIPT = f"Interviewer: Hello there.\nP1: {SECRET}.\n".encode()

#: QUALCODE_USER → what the refusal says (None: the variable is unset).
REFUSED = {
    "disabled": ("dave", "account 'dave' is disabled"),
    "unknown": ("mallory", "account 'mallory' does not exist"),
    "unset": (None, "this database has accounts"),
    "empty": ("", "this database has accounts"),
    "not a member": ("nina", "account 'nina' is not a member of this project"),
}
COMMANDS = {
    "show": ("show", DOC),
    "show --json": ("show", DOC, "--json"),
    "show a near name": ("show", "int0"),  # no "Did you mean: int01" for strangers either
    "groups": ("groups",),
    "groups --json": ("groups", "--json"),
}


def _project(url: str) -> None:
    """One document in one group, then accounts: olga owner, ana coder, vic viewer, dave a
    disabled coder, nina an account that is no member of the project."""
    db = Database(url)
    try:
        result = import_files(db, [(f"{DOC}.txt", TRANSCRIPT)])
        assert not result.errors, result.errors
        create_group(db, GROUP)
        add_documents(db, GROUP, [DOC])
        accounts.add_account(db, "olga", PW, role="owner")
        for name, role in (("ana", "coder"), ("vic", "viewer"), ("dave", "coder"), ("nina", "coder")):
            accounts.add_account(db, name, PW, role=role, actor="olga")
        accounts.set_disabled(db, "dave", True, actor="olga")
        accounts.set_role(db, "nina", None, actor="olga")
    finally:
        db.close()


@pytest.fixture
def project(db_url) -> str:
    _project(db_url)
    return db_url


def _run(url: str, user: str | None, *args: str):
    return CliRunner().invoke(cli, ["--db", url, *args], env={"QUALCODE_USER": user})


@pytest.mark.parametrize("command", list(COMMANDS), ids=list(COMMANDS))
@pytest.mark.parametrize("who", list(REFUSED), ids=list(REFUSED))
def test_reads_are_refused_to_anyone_but_an_active_member(project, who, command):
    user, refusal = REFUSED[who]
    result = _run(project, user, *COMMANDS[command])
    shown = result.output
    assert result.exit_code == 1, f"QUALCODE_USER={user!r} `qualcode {' '.join(COMMANDS[command])}` " \
                                  f"was answered:\n{shown}"
    assert result.stdout == "", shown  # nothing of the project, not even JSON brackets
    assert result.stderr.startswith(f"Error: {refusal}"), shown
    for secret in (SECRET, GROUP, "Interviewer", "Did you mean"):
        assert secret not in shown


@pytest.mark.parametrize("user", ["ana", "vic", "olga"])
def test_active_members_read_documents_and_groups(project, user):
    shown = _run(project, user, "show", DOC)
    assert shown.exit_code == 0, shown.output
    assert SECRET in shown.stdout and "P1 (" in shown.stdout
    listed = _run(project, user, "groups")
    assert listed.exit_code == 0, listed.output
    assert listed.stdout == f"{GROUP} (1 documents)\n  {DOC}\n"
    near = _run(project, user, "show", "int0")
    assert near.exit_code == 1 and "Did you mean: int01" in near.stderr  # members get the hint


def test_the_library_reads_check_the_acting_user(project):
    db = Database(project)
    try:
        for viewer in (None, "dave", "mallory", "nina"):
            with pytest.raises(AccessDenied):
                show_document(db, DOC, viewer=viewer)
            with pytest.raises(AccessDenied):
                list_groups(db, viewer=viewer)
        with pytest.raises(AccessDenied):  # the check comes before the look-up
            show_document(db, "no such document", viewer="mallory")
        assert SECRET in show_document(db, DOC, viewer="ana")["text"]
        assert [g["name"] for g in list_groups(db, viewer="vic")] == [GROUP]
    finally:
        db.close()


def test_single_user_mode_still_reads_without_a_name(tmp_path):
    path = str(tmp_path / "solo.db")
    db = Database(path)
    try:
        import_files(db, [(f"{DOC}.txt", TRANSCRIPT)])
        create_group(db, GROUP)
        assert SECRET in show_document(db, DOC)["text"]
        assert [g["name"] for g in list_groups(db)] == [GROUP]
    finally:
        db.close()
    assert SECRET in _run(path, None, "show", DOC).stdout
    assert _run(path, None, "groups").stdout == f"{GROUP} (0 documents)\n"
