"""Projects from the command line (``--project``, ``QUALCODE_PROJECT``, ``qualcode projects``,
``qualcode project ...``) and in the app (AppTest: the picker, the URL, the Projects page, roles
per project, archived projects, switching forgets the previous project's prepared files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_support import current_page, html_bodies, open_page, page_names
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from qualcode.cli import main as cli
from qualcode.coding import codebook_edit, editing
from qualcode.project import projects as P
from qualcode.project.documents import import_files
from qualcode.refi.store import export_qdpx
from qualcode.store.db import Database
from qualcode.team import accounts

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PW = "a long enough password"
DOCS = {"Alpha": "Interviewer: Why?\nP1: The exam fees were brutal.\n",
        "Beta": "Interviewer: Why?\nP1: The visa interview was postponed twice.\n"}


def _two(path: Path) -> Path:
    """Alpha and Beta, each with one document named int1 and one coding by ana."""
    db = Database(path)
    try:
        for name, text in DOCS.items():
            P.create_project(db, name)
            view = db.use(name)
            assert not import_files(view, [("int1.txt", text.encode())]).errors
            codebook_edit.create_code(view, "Barriers", actor="ana")
            editing.add(view, "int1", "Barriers", "ana", text.index("The"), len(text) - 2)
    finally:
        db.close()
    return path


@pytest.fixture
def run(tmp_path, monkeypatch):
    path = _two(tmp_path / "lab.db")
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    monkeypatch.delenv("QUALCODE_USER", raising=False)
    monkeypatch.chdir(tmp_path)

    def invoke(*args, env=None, ok=True, input=None):
        result = CliRunner().invoke(cli, ["--db", str(path), *args], env=env or {}, input=input)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    invoke.path = path
    return invoke


def test_the_command_line_works_on_the_named_or_only_project_or_lists_them(run):
    result = run("codings", "--json", ok=False)
    assert result.exit_code == 1
    assert "this database holds 2 projects ('Alpha', 'Beta'); choose one: --project NAME" in result.output
    alpha = json.loads(run("--project", "Alpha", "codings", "--json").stdout)
    beta = json.loads(run("codings", "--json", env={"QUALCODE_PROJECT": "Beta"}).stdout)
    assert [c["quote"] for c in alpha] == ["The exam fees were brutal"]
    assert [c["quote"] for c in beta] == ["The visa interview was postponed twice"]
    assert json.loads(run("--project", "Alpha", "codings", "--json",
                          env={"QUALCODE_PROJECT": "Beta"}).stdout) == alpha  # the option wins
    result = run("--project", "Gamma", "documents", ok=False)
    assert result.exit_code == 1
    assert "Error: no project 'Gamma' in this database (projects: 'Alpha', 'Beta')" in result.output
    run("project", "archive", "Beta")
    assert [c["quote"] for c in json.loads(run("codings", "--json").stdout)] == \
        ["The exam fees were brutal"]  # the only active project


def test_projects_json_has_exactly_the_documented_fields(run):
    rows = json.loads(run("projects", "--json").stdout)
    assert rows == [
        {"name": "Alpha", "documents": 1, "codings": 1, "coders": 1, "archived": False},
        {"name": "Beta", "documents": 1, "codings": 1, "coders": 1, "archived": False},
    ]
    run("project", "archive", "Beta")
    assert [r["name"] for r in json.loads(run("projects", "--json").stdout)] == ["Alpha"]
    assert json.loads(run("projects", "--all", "--json").stdout)[1]["archived"] is True
    assert "Beta (archived)" in run("projects", "--all").stdout


def test_project_create_rename_describe_archive_delete_restore_and_copy_codebook(run, tmp_path):
    out = json.loads(run("project", "create", "Gamma", "--codebook-from", "Alpha",
                         "--description", "third", "--json").stdout)
    assert out["project"]["name"] == "Gamma" and out["codebook"]["created"] == ["Barriers"]
    qdpx = tmp_path / "alpha.qdpx"
    run("--project", "Alpha", "export", "qdpx", str(qdpx))
    out = json.loads(run("project", "create", "Delta", "--from", str(qdpx), "--json").stdout)
    assert (out["import"]["documents"], out["import"]["codings"]) == (1, 1)
    (tmp_path / "broken.qdpx").write_bytes(b"PK\x03\x04broken")
    result = run("project", "create", "Broken", "--from", str(tmp_path / "broken.qdpx"), ok=False)
    assert result.exit_code == 1 and "the project was not created" in result.output
    assert "Broken" not in run("projects", "--all").stdout
    assert "project Delta is now Epsilon" in run("project", "rename", "Delta", "Epsilon").stdout
    run("project", "describe", "Epsilon", "from Alpha's export")
    assert "from Alpha's export" in run("projects").stdout
    run("project", "archive", "Epsilon")
    result = run("--project", "Epsilon", "code", "int1", "--code", "Barriers", "--coder", "ana",
                 "--match", "exam", ok=False)
    assert result.exit_code == 1 and "is archived, so it is read-only" in result.output
    run("project", "unarchive", "Epsilon")
    plan = run("project", "delete", "Epsilon").stdout
    assert "would delete project Epsilon (1 documents, 1 codings, 1 coders)" in plan
    assert "Nothing was deleted" in plan
    done = json.loads(run("project", "delete", "Epsilon", "--yes", "--json").stdout)
    assert done["done"] and Path(done["backup"]).exists()
    assert "Epsilon" not in run("projects", "--all").stdout
    run("project", "restore", done["backup"], "--name", "Epsilon again")
    assert json.loads(run("--project", "Epsilon again", "codings", "--json").stdout)[0]["quote"] == \
        "The exam fees were brutal"
    run("project", "backup", "Alpha", str(tmp_path / "alpha-only.db"))
    assert [r["name"] for r in json.loads(CliRunner().invoke(
        cli, ["--db", str(tmp_path / "alpha-only.db"), "projects", "--json"]).stdout)] == ["Alpha"]
    assert "1 codes created" not in run("project", "copy-codebook", "Alpha", "Beta").stdout  # same names
    assert "0 codes created" in run("project", "copy-codebook", "Alpha", "Beta").stdout


def test_members_and_history_per_project_from_the_command_line(run):
    run("user", "add", "root", "--role", "admin", "--password-stdin", input=PW)  # no project needed
    as_root = {"QUALCODE_USER": "root"}
    run("--project", "Alpha", "user", "add", "olga", "--role", "owner", "--password-stdin",
        input=PW, env=as_root)
    run("--project", "Beta", "user", "role", "olga", "viewer", env=as_root)
    listing = run("user", "list", env=as_root).stdout  # several projects, none chosen
    assert "olga\tAlpha: owner, Beta: viewer" in listing and "root\tadmin" in listing
    assert "olga\tviewer" in run("--project", "Beta", "user", "list", env=as_root).stdout
    as_olga = {"QUALCODE_USER": "olga"}
    assert [r["name"] for r in json.loads(run("projects", "--json", env=as_olga).stdout)] == ["Alpha", "Beta"]
    result = run("--project", "Beta", "code", "int1", "--code", "Barriers", "--coder", "olga",
                 "--match", "visa", env=as_olga, ok=False)
    assert "'olga' is a viewer in this project and may not code documents" in result.output
    run("--project", "Alpha", "code", "int1", "--code", "Barriers", "--coder", "olga",
        "--match", "exam", env=as_olga)
    log = json.loads(run("--project", "Alpha", "history", "--json", env=as_olga).stdout)
    assert log[-1]["actor"] == "olga" and all(e["detail"].get("document", "int1") == "int1" for e in log)
    result = run("--project", "Beta", "history", env=as_olga, ok=False)
    assert "'olga' is a viewer in this project and may not manage" in result.output
    result = run("history", "--all-projects", env=as_olga, ok=False)
    assert "does not own every project" in result.output
    assert json.loads(run("history", "--all-projects", "--json", env=as_root).stdout)
    result = run("project", "create", "Olga's", env=as_olga)
    assert "Olga's" in run("projects", env=as_olga).stdout


# -- the app ---------------------------------------------------------------------------------------


@pytest.fixture
def app_db(tmp_path, monkeypatch) -> Path:
    path = _two(tmp_path / "lab.db")
    monkeypatch.setenv("QUALCODE_DB", str(path))
    monkeypatch.delenv("QUALCODE_SESSION_MINUTES", raising=False)
    monkeypatch.setenv("QUALCODE_BACKUP_DIR", str(tmp_path / "backups"))
    return path


def _pages(at: AppTest) -> list[str] | None:
    return page_names(at)


def _documents_text(at: AppTest) -> str:
    open_page(at, "Retrieve")
    assert not at.exception
    return " ".join(html_bodies(at))


def test_the_app_asks_for_a_project_opens_one_from_the_url_and_switches(app_db):
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert _pages(at) == ["Projects"]  # two projects, none chosen yet
    table = at.dataframe[0].value
    assert list(table["project"]) == ["Alpha", "Beta"] and list(table["codings"]) == [1, 1]
    at.selectbox(key="project_pick").set_value("Beta").run()
    assert not at.exception and at.query_params["project"] == "Beta"
    assert "Projects" in _pages(at) and "Code" in _pages(at)
    open_page(at, "Interchange")
    at.button(key="build_qdpx").click().run()
    assert "qdpx_bytes" in at.session_state
    at.selectbox(key="project_pick").set_value("Alpha").run()
    assert not at.exception and at.session_state["project"] == "Alpha"
    assert "qdpx_bytes" not in at.session_state  # Beta's export does not follow into Alpha
    at.selectbox(key="coder_pick").set_value("ana").run()
    body = _documents_text(at)
    assert "exam fees" in body and "visa interview" not in body

    again = AppTest.from_file(APP, default_timeout=90)
    again.query_params["project"] = "Beta"
    again.query_params["page"] = "Documents"
    again.run()
    assert not again.exception and again.session_state["project"] == "Beta"
    assert current_page(again) == "Documents"


def test_the_projects_page_creates_a_project_with_a_copied_codebook_and_opens_it(app_db):
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.text_input(key="pc_name").set_value("Gamma")
    at.text_area(key="pc_description").set_value("the third study")
    at.selectbox(key="pc_codebook").set_value("Alpha")
    at.button(key="FormSubmitter:project_create-Create project").click().run()
    assert not at.exception, at.exception
    assert at.session_state["project"] == "Gamma"
    assert any("Project Gamma created" in s.value for s in at.success)
    db = Database(app_db)
    try:
        rows = {p.name: p for p in P.list_projects(db)}
        assert rows["Gamma"].description == "the third study"
        with db.use("Gamma").session() as s:
            from qualcode.project.codes import tree

            assert ["/".join(p) for p, _c in tree(s, db.use("Gamma").project_id(s))] == ["Barriers"]
    finally:
        db.close()


def test_the_projects_page_archives_renames_and_deletes_with_the_typed_name(app_db):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["project"] = "Beta"
    at.query_params["page"] = "Projects"
    at.run()
    at.button(key="pm_archive").click().run()
    assert not at.exception and at.session_state["archived"]
    assert "Code" not in _pages(at) and "Import" not in _pages(at)  # read-only
    at.button(key="pm_unarchive").click().run()
    at.text_input(key="pm_name").set_value("Beta 2").run()
    at.button(key="pm_rename").click().run()
    assert not at.exception and at.session_state["project"] == "Beta 2"
    assert at.query_params["project"] == "Beta 2"
    assert at.button(key="pm_delete").disabled
    at.text_input(key="pm_confirm").set_value("Beta 2").run()
    assert not at.button(key="pm_delete").disabled
    at.button(key="pm_delete").click().run()
    assert not at.exception
    assert any("Project Beta 2 deleted" in s.value for s in at.success)
    assert at.session_state["project"] == "Alpha"  # the only one left opens
    assert list((app_db.parent / "backups").glob("project-Beta_2-*.db"))


def test_roles_follow_the_project_in_the_app(app_db):
    db = Database(app_db)
    try:
        accounts.add_account(db, "root", PW, role="admin")
        accounts.add_account(db.use("Alpha"), "olga", PW, role="owner", actor="root")
        accounts.set_role(db.use("Beta"), "olga", "viewer", actor="root")
        export = export_qdpx(db.use("Beta"), viewer="root")
    finally:
        db.close()
    assert export
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.text_input(key="login_name").set_value("olga")
    at.text_input(key="login_password").set_value(PW)
    next(b for b in at.button if b.label == "Log in").click().run()
    assert not at.exception
    assert _pages(at) == ["Projects"]
    at.selectbox(key="project_pick").set_value("Alpha").run()
    assert at.session_state["role"] == "owner" and "Members" in _pages(at) and "Import" in _pages(at)
    assert [e for e in at.sidebar.expander if e.label == "Project settings"]
    at.selectbox(key="project_pick").set_value("Beta").run()
    assert at.session_state["role"] == "viewer"
    assert not {"Code", "Import", "Members"} & set(_pages(at))
    assert not [e for e in at.sidebar.expander if e.label == "Project settings"]
    open_page(at, "Projects")
    assert not at.exception
    assert not [e for e in at.expander if e.label.startswith("Manage this project")]
    assert [e for e in at.expander if e.label == "Create a project"]  # she owns Alpha


def test_a_project_name_with_markup_is_shown_as_text(app_db):
    hostile = "**Bold** ![x](http://attacker.example/x.png) <b>hi</b>"
    db = Database(app_db)
    try:
        P.create_project(db, hostile)
    finally:
        db.close()
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["project"] = hostile
    at.query_params["page"] = "Projects"
    at.run()
    assert not at.exception and at.session_state["project"] == hostile
    [manage] = [e for e in at.expander if e.label.startswith("Manage this project")]
    assert "\\*\\*Bold\\*\\*" in manage.label and "\\!\\[x\\]" in manage.label
    assert "\\*\\*Bold" in " ".join(t.label for t in at.text_input if t.key == "pm_confirm")
