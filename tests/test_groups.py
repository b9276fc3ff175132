"""Document groups: the library (one transaction per call, change log, clear errors), the
``qualcode group``/``groups`` commands, REFI-QDA Sets export and migration 0004."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import delete, inspect, select

from qualcode.team.changelog import history
from qualcode.cli import groups as groups_cli
from qualcode.cli import main
from qualcode.store.db import Database
from qualcode.project.groups import (
    GroupError,
    add_documents,
    create_group,
    delete_group,
    list_groups,
    remove_documents,
    rename_group,
)
from qualcode.store.models import Document, DocumentGroup, DocumentGroupMember
from qualcode.refi.store import export_project

DOCS = ("int01", "int02", "int03")


def _add_docs(db: Database, names=DOCS) -> None:
    with db.session() as s:
        pid = db.project_id(s)
        s.add_all(Document(project_id=pid, name=n, original_filename=f"{n}.txt", format="txt",
                           content_hash=n, text=f"Text of {n}.") for n in names)


def _state(db: Database) -> list[tuple]:
    return [(g["name"], g["description"], g["documents"]) for g in list_groups(db)]


def test_create_add_remove_and_list(db):
    _add_docs(db)
    made = create_group(db, "  Wave 1 ", description="Spring round", actor="ana")
    assert {k: made[k] for k in ("name", "description", "documents")} == {
        "name": "Wave 1", "description": "Spring round", "documents": []}
    create_group(db, "Managers", actor="ana")
    assert add_documents(db, "Wave 1", ["int03", "int01", "int01"], actor="ana") == {
        "group": "Wave 1", "added": ["int03", "int01"], "already": []}
    assert add_documents(db, "Wave 1", ["int01.txt", "int02"], actor="ana") == {
        "group": "Wave 1", "added": ["int02"], "already": ["int01"]}
    assert remove_documents(db, "Wave 1", ["int02", "int02", "int03"], actor="ana") == {
        "group": "Wave 1", "removed": ["int02", "int03"], "not_members": []}
    assert remove_documents(db, "Wave 1", ["int02"], actor="ana") == {
        "group": "Wave 1", "removed": [], "not_members": ["int02"]}
    assert _state(db) == [("Managers", "", []), ("Wave 1", "Spring round", ["int01"])]


def test_repeated_adds_change_nothing_and_log_nothing(db):
    _add_docs(db)
    create_group(db, "G", actor="ana")
    add_documents(db, "G", list(DOCS), actor="ana")
    with db.session() as s:
        logged = len(history(s, entity="document_group"))
    assert add_documents(db, "G", list(DOCS), actor="ana")["added"] == []
    with db.session() as s:
        assert len(history(s, entity="document_group")) == logged
    assert _state(db) == [("G", "", list(DOCS))]


def test_every_change_is_logged_with_the_actor(db):
    _add_docs(db)
    create_group(db, "G", actor="ana")
    add_documents(db, "G", ["int01", "int02"], actor="chen")
    remove_documents(db, "G", ["int01"], actor="chen")
    rename_group(db, "G", "H", actor="ana")
    delete_group(db, "H", actor="ana")
    with db.session() as s:
        entries = [(h["actor"], h["action"], {k: v for k, v in h["detail"].items() if k != "guid"})
                   for h in history(s, entity="document_group")]
    assert entries == [
        ("ana", "create", {"name": "G"}),
        ("chen", "add_documents", {"name": "G", "documents": ["int01", "int02"]}),
        ("chen", "remove_documents", {"name": "G", "documents": ["int01"]}),
        ("ana", "rename", {"old": "G", "new": "H"}),
        ("ana", "delete", {"name": "H", "documents": ["int02"]}),
    ]


@pytest.mark.parametrize("call,message", [
    (lambda db: add_documents(db, "Wave 2", ["int01"]), "no document group 'Wave 2'. Did you mean: Wave 1?"),
    (lambda db: remove_documents(db, "nothing like it", ["int01"]),
     "no document group 'nothing like it'. `qualcode groups` lists them."),
    (lambda db: add_documents(db, "Wave 1", ["int01", "int9"]), "no document 'int9'. Did you mean: int03, int02, int01?"),
    (lambda db: add_documents(db, "Wave 1", []), "name at least one document"),
    (lambda db: create_group(db, "Wave 1"), "a document group named 'Wave 1' already exists"),
    (lambda db: create_group(db, "   "), "a group needs a name"),
    (lambda db: create_group(db, "x" * 301), "a group name has at most 300 characters, this one 301"),
    (lambda db: rename_group(db, "Wave 1", "Other"), "a document group named 'Other' already exists"),
    (lambda db: delete_group(db, "Wave"), "no document group 'Wave'. Did you mean: Wave 1?"),
])
def test_bad_requests_say_what_is_wrong_and_change_nothing(db, call, message):
    _add_docs(db)
    create_group(db, "Wave 1")
    create_group(db, "Other")
    add_documents(db, "Wave 1", ["int02"])
    before = _state(db)
    with pytest.raises(GroupError) as err:
        call(db)
    assert str(err.value).startswith(message)
    assert _state(db) == before


def test_rename_keeps_members_and_guid_and_delete_keeps_documents(db):
    _add_docs(db)
    guid = create_group(db, "G")["guid"]
    add_documents(db, "G", ["int01"])
    assert rename_group(db, "G", "Site B") == {"name": "Site B", "description": "", "documents": ["int01"],
                                               "guid": guid}
    assert delete_group(db, "Site B")["documents"] == ["int01"]
    with db.session() as s:
        assert (s.scalars(select(Document.name).order_by(Document.name)).all(),
                s.scalars(select(DocumentGroupMember.group_id)).all()) == (list(DOCS), [])
    assert list_groups(db) == []


def test_deleting_a_document_removes_it_from_its_groups(db):
    _add_docs(db)
    create_group(db, "G")
    add_documents(db, "G", ["int01", "int02"])
    with db.session() as s:
        s.execute(delete(Document).where(Document.name == "int01"))
    assert _state(db) == [("G", "", ["int02"])]


def test_export_writes_groups_as_sets_with_their_stored_guids(db):
    _add_docs(db)
    guid = create_group(db, "Wave 1", description="Spring")["guid"]
    create_group(db, "Empty")
    add_documents(db, "Wave 1", ["int02", "int01"])
    with db.session() as s:
        doc_guid = dict(s.execute(select(Document.name, Document.guid)).all())
    first, second = export_project(db), export_project(db)
    view = [(st.guid, st.name, st.description, st.member_sources, st.member_codes) for st in first.sets]
    assert view == [(first.sets[0].guid, "Empty", "", [], []),
                    (guid, "Wave 1", "Spring", [doc_guid["int01"], doc_guid["int02"]], [])]
    assert [st.guid for st in second.sets] == [st.guid for st in first.sets]


# -- command line ---------------------------------------------------------------------------------


def _cli() -> click.Group:
    """``qualcode`` with this family registered, without changing the shared ``main`` group."""
    cli = click.Group("qualcode", callback=main.callback, params=main.params,
                      commands=dict(main.commands), context_settings=main.context_settings)
    groups_cli.register(cli)
    return cli


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    path = tmp_path / "cli.db"
    database = Database(path)
    _add_docs(database)
    database.close()

    def invoke(*args, expect=0):
        result = runner.invoke(_cli(), ["--db", str(path), *args], catch_exceptions=False)
        assert result.exit_code == expect, result.output + result.stderr
        return result

    return invoke


def test_cli_creates_fills_and_lists_groups_as_json(run):
    created = json.loads(run("group", "create", "Wave 1", "--description", "Spring", "--json").stdout)
    assert created == {"name": "Wave 1", "description": "Spring", "documents": []}
    assert json.loads(run("group", "add", "Wave 1", "int01", "int02", "--json").stdout) == {
        "group": "Wave 1", "added": ["int01", "int02"], "already": []}
    assert run("group", "add", "Wave 1", "int01").stdout == "Wave 1: added 0, already there 1\n"
    assert json.loads(run("group", "remove", "Wave 1", "int02", "--json").stdout) == {
        "group": "Wave 1", "removed": ["int02"], "not_members": []}
    run("group", "create", "Site B")
    assert json.loads(run("groups", "--json").stdout) == [
        {"name": "Site B", "description": "", "documents": []},
        {"name": "Wave 1", "description": "Spring", "documents": ["int01"]}]
    assert run("groups").stdout == "Site B (0 documents)\nWave 1 (1 documents) — Spring\n  int01\n"
    assert run("group", "rename", "Site B", "Site C").stdout == "renamed group 'Site B' to 'Site C'\n"
    run("group", "delete", "Site C")
    assert [g["name"] for g in json.loads(run("groups", "--json").stdout)] == ["Wave 1"]


@pytest.mark.parametrize("args,error", [
    (("group", "add", "Nope", "int01"), "Error: no document group 'Nope'. `qualcode groups` lists them.\n"),
    (("group", "add", "G", "int01", "missing"), "Error: no document 'missing'. `qualcode documents` lists them.\n"),
    (("group", "create", "G"), "Error: a document group named 'G' already exists; choose another name\n"),
])
def test_cli_errors_go_to_stderr_with_status_1_and_change_nothing(run, args, error):
    run("group", "create", "G")
    result = run(*args, expect=1)
    assert result.stderr == error
    assert json.loads(run("groups", "--json").stdout) == [{"name": "G", "description": "", "documents": []}]


@pytest.mark.parametrize("path", [("group",), ("group", "create"), ("group", "add"), ("group", "remove"),
                                  ("group", "rename"), ("group", "delete"), ("groups",)])
def test_every_group_command_has_help(path):
    result = CliRunner().invoke(_cli(), [*path, "--help"])
    assert result.exit_code == 0 and "Usage: qualcode " + " ".join(path) in result.output


# -- migration ------------------------------------------------------------------------------------


def test_migration_0004_adds_the_group_tables_and_downgrades_cleanly(db_url):
    from alembic import command

    old = Database(db_url, migrate=False)
    with old.engine.begin() as conn:
        command.upgrade(old._alembic_config(conn), "0003")
    assert not {"document_group", "document_group_member"} & set(inspect(old.engine).get_table_names())
    old.close()
    db = Database(db_url)
    assert db.current_revision() == Database.head_revision()
    _add_docs(db)
    create_group(db, "G")
    add_documents(db, "G", ["int01"])
    with db.session() as s:
        assert s.scalar(select(DocumentGroup.name)) == "G"
    with db.engine.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0003")
    assert db.current_revision() == "0003"
    assert not {"document_group", "document_group_member"} & set(inspect(db.engine).get_table_names())
    db.close()
