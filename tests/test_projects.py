"""Projects as first-class: create (empty, sample, import, copied codebook), rename, describe,
archive (read-only, hidden), delete (typed confirmation, backup first), restore; per-project
membership and roles; the schema migration. On SQLite and PostgreSQL.

tests/test_projects_isolation.py checks that nothing crosses projects; tests/test_projects_cli.py
the command line and the app; tests/test_browser_projects.py the browser journey.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, inspect, select, text

from qualcode.coding import codebook_edit, editing
from qualcode.project import groups
from qualcode.project import projects as P
from qualcode.project.codings import list_codings
from qualcode.project.documents import import_files, list_documents
from qualcode.refi.store import export_qdpx, import_project_file
from qualcode.store.db import Database, ProjectNeeded, ProjectNotFound
from qualcode.store.models import Project
from qualcode.team import accounts, settings
from qualcode.team.access import AccessDenied, ProjectArchived
from qualcode.team.backup import backup
from qualcode.team.changelog import history

PW = "a long enough password"
DOC = "Interviewer: What stood in your way?\nP1: The exam fees were brutal. A mentor helped me.\n"


def _fill(view: Database, coder: str = "ana") -> None:
    assert not import_files(view, [("int1.txt", DOC.encode())]).errors
    codebook_edit.create_code(view, "Barriers", actor=coder)
    start = DOC.index("exam fees")
    editing.add(view, "int1", "Barriers", coder, start, start + 9)


# -- lifecycle ---------------------------------------------------------------------------------------


def test_a_new_database_still_gets_its_one_project_on_demand(db):
    _fill(db)
    assert [p.name for p in P.list_projects(db)] == ["qualcode project"]
    assert [p.as_dict() for p in P.list_projects(db)] == [
        {"name": "qualcode project", "documents": 1, "codings": 1, "coders": 1, "archived": False}]


def test_create_rename_describe_archive_and_unarchive(db):
    out = P.create_project(db, "  Pilot  ", description="a pilot of the interview guide")
    assert out["project"]["name"] == "Pilot" and out["project"]["role"] == "owner"
    P.create_project(db, "Main study")
    pilot = db.use("Pilot")
    _fill(pilot)
    assert P.rename_project(pilot, "Pilot 2025") == "Pilot 2025"
    with pytest.raises(ProjectNotFound, match="no project 'Pilot'.*'Main study', 'Pilot 2025'"):
        list_documents(pilot)  # a view by name follows the name
    pilot = db.use("pilot 2025")  # case does not matter when the name is unambiguous
    assert [d["name"] for d in list_documents(pilot)] == ["int1"]
    P.describe_project(pilot, "the pilot, renamed")
    assert P.archive_project(pilot) is True and P.archive_project(pilot) is False
    assert [p.name for p in P.list_projects(db)] == ["Main study"]  # hidden by default
    rows = {p.name: p for p in P.list_projects(db, archived=True)}
    assert rows["Pilot 2025"].archived and rows["Pilot 2025"].description == "the pilot, renamed"
    assert rows["Pilot 2025"].last_change is not None
    assert P.unarchive_project(pilot) is True
    assert [p.name for p in P.list_projects(db)] == ["Main study", "Pilot 2025"]
    with db.use("Pilot 2025").session() as s:
        actions = [e["action"] for e in history(s, project_id=db.use("Pilot 2025").project_id(s))
                   if e["entity"] == "project"]
    assert actions == ["create", "rename", "describe", "archive", "unarchive"]


@pytest.mark.parametrize("name,message", [
    ("", "needs a name"), ("   ", "needs a name"), ("x" * 201, "not a usable project name"),
    ("tab\there", "not a usable project name"), ("PILOT", "already exists"),
])
def test_bad_or_taken_names_are_refused_and_nothing_is_written(db, name, message):
    P.create_project(db, "Pilot")
    with pytest.raises(P.ProjectError, match=message):
        P.create_project(db, name)
    with pytest.raises(P.ProjectError, match=message):
        P.rename_project(db.use("Pilot"), name) if message != "already exists" else \
            (P.create_project(db, "Other"), P.rename_project(db.use("Other"), name))
    assert {p.name for p in P.list_projects(db)} <= {"Pilot", "Other"}


def test_an_archived_project_is_read_only_for_every_write_and_readable(db):
    P.create_project(db, "Old")
    old = db.use("Old")
    _fill(old)
    [coding] = list_codings(old)
    P.archive_project(old)
    writes = [
        lambda: import_files(old, [("int2.txt", b"Interviewer: Hi.\nP2: Hello there.\n")], actor="ana"),
        lambda: editing.add(old, "int1", "Barriers", "ana", 0, 5),
        lambda: codebook_edit.create_code(old, "Enablers", actor="ana"),
        lambda: codebook_edit.rename_code(old, "Barriers", "Obstacles", actor="ana"),
        lambda: settings.set_blind(old, True, actor="ana"),
        lambda: groups.create_group(old, "Wave 1", actor="ana"),
        lambda: P.rename_project(old, "Older"),
        lambda: P.describe_project(old, "no"),
        lambda: P.copy_codebook(old, "Old2"),
    ]
    P.create_project(db, "Old2")
    codebook_edit.create_code(db.use("Old2"), "Visa", actor="ana")
    before = _counts(db, "Old")
    for write in writes:
        with pytest.raises((ProjectArchived, P.ProjectError)):
            write()
    with pytest.raises(ProjectArchived, match="'Old' is archived, so it is read-only"):
        editing.remove(old, _coding_id(old), actor="ana")
    assert _counts(db, "Old") == before
    assert [c.quote for c in list_codings(old)] == [coding.quote]  # reads work
    assert export_qdpx(old)
    P.unarchive_project(old)
    codebook_edit.create_code(old, "Enablers", actor="ana")  # writable again


def _coding_id(view: Database) -> int:
    return editing.codings_for_document(view, "int1", viewer=None)[0].id


def _counts(db: Database, name: str) -> dict:
    from qualcode.team.project_backup import project_tables

    with db.session() as s:
        pid = s.scalar(select(Project.id).where(Project.name == name))
        return {t.name: s.scalar(select(func.count()).select_from(t).where(c))
                for t, c in project_tables(pid)}


def test_delete_needs_the_typed_name_backs_up_first_and_restore_brings_it_back(db, tmp_path):
    P.create_project(db, "Pilot")
    P.create_project(db, "Main")
    pilot = db.use("Pilot")
    _fill(pilot)
    groups.create_group(pilot, "Wave 1")
    groups.add_documents(pilot, "Wave 1", ["int1"])
    before = _counts(db, "Pilot")
    with pytest.raises(P.ProjectError, match="type its name exactly"):
        P.delete_project(pilot, confirm="pilot")
    with pytest.raises(ProjectNotFound):
        P.delete_project(db.use("Nope"), confirm="Nope")
    (tmp_path / "taken.db").write_bytes(b"x")
    with pytest.raises(P.ProjectError, match="already exists"):
        P.delete_project(pilot, confirm="Pilot", backup_to=tmp_path / "taken.db")
    assert _counts(db, "Pilot") == before  # nothing was deleted

    out = P.delete_project(pilot, confirm="Pilot", folder=tmp_path / "backups")
    assert out["rows"]["coding"] == 1 and out["rows"]["project"] == 1
    assert [p.name for p in P.list_projects(db)] == ["Main"]
    copy = Database(out["backup"])  # the backup is a qualcode database holding the project
    try:
        assert [d["name"] for d in list_documents(copy)] == ["int1"]
    finally:
        copy.close()
    with db.session() as s:  # the change log outlives the project and says where the backup is
        entry = [e for e in history(s) if e["entity"] == "project"][-1]
    assert entry["action"] == "delete" and entry["detail"]["backup"] == out["backup"]

    restored = P.restore_project(db, out["backup"])
    assert restored["project"] == "Pilot" and restored["missing_accounts"] == []
    after = _counts(db, "Pilot")
    assert {k: v for k, v in after.items() if k != "change_log"} == \
        {k: v for k, v in before.items() if k != "change_log"}
    assert after["change_log"] == before["change_log"] + 1  # its history, and the restore
    assert [g["documents"] for g in groups.list_groups(db.use("Pilot"))] == [["int1"]]
    assert [c.quote for c in list_codings(db.use("Pilot"))] == ["exam fees"]
    with pytest.raises(P.ProjectError, match="already exists"):
        P.restore_project(db, out["backup"])  # the name is taken now
    assert P.restore_project(db, out["backup"], name="Pilot (copy)")["project"] == "Pilot (copy)"


def test_a_backup_file_that_is_not_a_project_backup_is_refused(db, tmp_path):
    (tmp_path / "junk.db").write_bytes(b"not a database at all, just bytes" * 40)
    with pytest.raises(P.ProjectError, match="not an SQLite database"):
        P.restore_project(db, tmp_path / "junk.db")
    sqlite3.connect(tmp_path / "other.db").execute("create table t (x)").connection.commit()
    with pytest.raises(P.ProjectError, match="not a qualcode database"):
        P.restore_project(db, tmp_path / "other.db")


def test_create_from_the_sample_and_with_a_copied_codebook(db):
    out = P.create_project(db, "Sample", sample=True)
    assert out["project"]["documents"] == 12 and out["project"]["codings"] > 700
    out = P.create_project(db, "Main", codebook_from="Sample")
    assert out["codebook"]["from"] == "Sample" and len(out["codebook"]["created"]) > 40
    assert out["project"]["documents"] == 0 and out["project"]["codings"] == 0
    with db.use("Main").session() as s:
        from qualcode.project.codes import tree

        main_codes = [p for p, _c in tree(s, db.use("Main").project_id(s))]
    with db.use("Sample").session() as s:
        sample_codes = [p for p, _c in tree(s, db.use("Sample").project_id(s))]
    assert main_codes == sample_codes
    with pytest.raises(ProjectNotFound):
        P.create_project(db, "Broken", codebook_from="No such project")
    assert "Broken" not in {p.name for p in P.list_projects(db)}  # all or nothing


def test_create_from_a_refi_taguette_or_qualcoder_import_and_roll_back_a_bad_one(db, tmp_path):
    from test_taguette_qualcoder import PARAGRAPHS, Taguette, _qualcoder

    P.create_project(db, "Source")
    _fill(db.use("Source"))
    qdpx = tmp_path / "source.qdpx"
    qdpx.write_bytes(export_qdpx(db.use("Source")))
    t = Taguette(tmp_path / "taguette.sqlite3")
    doc = t.document("interview 7", PARAGRAPHS)
    t.highlight(doc, PARAGRAPHS, "Naïve me", ["barriers"], login="chen")
    t.close()
    folder = _qualcoder(tmp_path / "study.qda")
    for name, path, codings in (("From REFI", qdpx, 1), ("From Taguette", tmp_path / "taguette.sqlite3", 1),
                                ("From QualCoder", folder, 3)):
        out = P.create_project(db, name, fill=lambda view, path=path: import_project_file(view, path))
        assert out["import"]["codings"] == codings, name
        assert out["project"]["codings"] == codings
    (tmp_path / "bad.qdpx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(Exception):
        P.create_project(db, "Bad", fill=lambda view: import_project_file(view, tmp_path / "bad.qdpx"))
    assert "Bad" not in {p.name for p in P.list_projects(db, archived=True)}
    assert {p.name for p in P.list_projects(db)} == {"Source", "From REFI", "From Taguette", "From QualCoder"}


# -- accounts, roles and membership -----------------------------------------------------------------


@pytest.fixture
def lab(db):
    """Two projects; root (admin); olga owns Alpha and is a viewer on Beta; bob codes in Beta."""
    P.create_project(db, "Alpha")
    P.create_project(db, "Beta")
    _fill(db.use("Alpha"), "olga")
    _fill(db.use("Beta"), "bob")
    accounts.add_account(db, "root", PW, role="admin")
    accounts.add_account(db.use("Alpha"), "olga", PW, role="owner", actor="root")
    accounts.set_role(db.use("Beta"), "olga", "viewer", actor="root")
    accounts.add_account(db.use("Beta"), "bob", PW, role="coder", actor="root")
    return db


def test_a_person_who_owns_one_project_and_views_another(lab):
    alpha, beta = lab.use("Alpha"), lab.use("Beta")
    rows = {p.name: p.role for p in P.list_projects(lab, viewer="olga")}
    assert rows == {"Alpha": "owner", "Beta": "viewer"}
    assert {p.name: p.role for p in P.list_projects(lab, viewer="bob")} == {"Beta": "coder"}
    assert {p.name: p.role for p in P.list_projects(lab, viewer="root")} == {"Alpha": "owner", "Beta": "owner"}
    # Alpha: olga does everything an owner does
    editing.add(alpha, "int1", "Barriers", "olga", 0, 11)
    codebook_edit.create_code(alpha, "Enablers", actor="olga")
    settings.set_blind(alpha, True, actor="olga")
    P.describe_project(alpha, "mine", actor="olga")
    P.backup_project(alpha, folder=_tmp(), actor="olga")
    # Beta: she reads and exports, and changes nothing
    assert [c.quote for c in list_codings(beta, viewer="olga")] == ["exam fees"]
    assert export_qdpx(beta, viewer="olga")
    for write in (lambda: editing.add(beta, "int1", "Barriers", "olga", 0, 11),
                  lambda: codebook_edit.create_code(beta, "Enablers", actor="olga"),
                  lambda: settings.set_blind(beta, True, actor="olga"),
                  lambda: import_files(beta, [("x.txt", b"Interviewer: Hi.\nP: Yo.\n")], actor="olga"),
                  lambda: P.rename_project(beta, "Mine now", actor="olga"),
                  lambda: P.archive_project(beta, actor="olga"),
                  lambda: P.backup_project(beta, folder=_tmp(), actor="olga"),
                  lambda: P.delete_project(beta, confirm="Beta", actor="olga", folder=_tmp()),
                  lambda: accounts.set_role(beta, "bob", "viewer", actor="olga"),
                  lambda: P.copy_codebook(beta, "Alpha", actor="olga")):
        with pytest.raises(AccessDenied, match="'olga' is a viewer in this project"):
            write()
    # bob is no member of Alpha at all
    with pytest.raises(AccessDenied, match="not a member"):
        list_codings(alpha, viewer="bob")
    with pytest.raises(AccessDenied, match="not a member"):
        P.copy_codebook(beta, "Alpha", actor="bob")  # reading Alpha's codebook needs Alpha


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="qc-projects-"))


def test_owners_add_members_to_their_own_project_and_admins_to_any(lab):
    alpha, beta = lab.use("Alpha"), lab.use("Beta")
    accounts.set_role(alpha, "bob", "coder", actor="olga")  # her project: yes
    assert {p.name: p.role for p in P.list_projects(lab, viewer="bob")} == {"Alpha": "coder", "Beta": "coder"}
    accounts.add_account(alpha, "cleo", PW, role="viewer", actor="olga")  # a new account, in Alpha
    assert {p.name for p in P.list_projects(lab, viewer="cleo")} == {"Alpha"}
    with pytest.raises(AccessDenied, match="only an admin may make"):
        accounts.set_role(alpha, "bob", "admin", actor="olga")
    with pytest.raises(AccessDenied, match="only an admin may make"):
        accounts.add_account(alpha, "mallory", PW, role="admin", actor="olga")
    # bob also works in Beta, which olga does not own: his password and login are not hers to change
    with pytest.raises(AccessDenied, match="does not own"):
        accounts.set_password(alpha, "bob", "taken over by olga", actor="olga")
    with pytest.raises(AccessDenied, match="does not own"):
        accounts.set_disabled(alpha, "bob", True, actor="olga")
    accounts.set_disabled(alpha, "cleo", True, actor="olga")  # cleo is only in Alpha: fine
    with pytest.raises(AccessDenied, match="only an admin changes an admin"):
        accounts.set_password(alpha, "root", "taken over by olga", actor="olga")
    accounts.set_role(beta, "cleo", "coder", actor="root")  # an admin manages every project
    views = {v.name: v for v in accounts.list_accounts(lab)}  # several projects, none chosen
    assert views["bob"].projects == {"Alpha": "coder", "Beta": "coder"}
    assert views["olga"].projects == {"Alpha": "owner", "Beta": "viewer"}
    assert views["root"].role == "admin"
    assert {v.name: v.role for v in accounts.list_accounts(beta)}["olga"] == "viewer"


def test_creating_projects_is_for_admins_and_owners_and_the_creator_owns_it(lab):
    out = P.create_project(lab, "Olga's second", actor="olga")
    assert out["project"]["role"] == "owner"
    assert {p.name: p.role for p in P.list_projects(lab, viewer="olga")}["Olga's second"] == "owner"
    with pytest.raises(AccessDenied, match="owns no project"):
        P.create_project(lab, "Bob's", actor="bob")
    P.create_project(lab, "Root's", actor="root")
    assert "Root's" not in {p.name for p in P.list_projects(lab, viewer="olga")}
    with pytest.raises(AccessDenied, match="name the acting account"):
        P.list_projects(lab)


def test_whole_database_operations_need_someone_who_owns_every_project(lab, tmp_path):
    alpha = lab.use("Alpha")
    with alpha.session() as s:
        assert history(s, project_id=alpha.project_id(s), actor="olga")  # her project's log
        with pytest.raises(AccessDenied, match="does not own every project"):
            history(s, actor="olga")  # the whole database's
        assert history(s, actor="root")
    with pytest.raises(AccessDenied, match="does not own every project"):
        backup(lab, tmp_path / "all.db", actor="olga")
    backup(lab, tmp_path / "all.db", actor="root")


def test_an_admin_cannot_stop_being_one_while_a_project_has_no_other_owner(lab):
    P.create_project(lab, "Root's", actor="root")  # owned by admins only
    accounts.add_account(lab.use("Alpha"), "ada", PW, role="admin", actor="root")
    accounts.set_disabled(lab, "ada", True, actor="root")
    with pytest.raises(accounts.AccountError, match="no active owner"):
        accounts.set_role(lab.use("Beta"), "root", "coder", actor="root")
    with pytest.raises(accounts.AccountError, match="no active owner"):
        accounts.set_disabled(lab, "root", True, actor="root")


def test_a_database_with_several_projects_needs_a_choice_for_project_commands(lab):
    with pytest.raises(ProjectNeeded):
        list_documents(lab, viewer="root")
    accounts.add_account(lab, "zed", PW, role="admin", actor="root")  # admins need no project
    with pytest.raises(ProjectNeeded):
        accounts.add_account(lab, "yan", PW, role="coder", actor="root")


# -- the schema ----------------------------------------------------------------------------------------


def test_migration_0006_gives_unique_names_and_downgrades_cleanly(db_url):
    from alembic import command

    old = Database(db_url, migrate=False)
    with old.engine.begin() as conn:
        command.upgrade(old._alembic_config(conn), "0005")
    with old.engine.begin() as conn:
        for pid in (1, 2, 3):
            conn.execute(text("INSERT INTO project (id, name, guid, blind_coding, coders_edit_codebook, "
                              "created_at) VALUES (:id, :name, :g, false, false, '2026-01-01')"),
                         {"id": pid, "name": "qualcode project" if pid < 3 else "Other", "g": f"g{pid}"})
    old.close()
    db = Database(db_url)
    with db.session() as s:
        rows = s.execute(select(Project.id, Project.name, Project.description, Project.archived)
                         .order_by(Project.id)).all()
    assert rows == [(1, "qualcode project", "", False), (2, "qualcode project (2)", "", False),
                    (3, "Other", "", False)]
    with pytest.raises(Exception):
        with db.session() as s:
            s.add(Project(name="Other"))
    with db.engine.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0005")
    columns = {c["name"] for c in inspect(db.engine).get_columns("project")}
    assert not {"description", "archived"} & columns
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM project")).scalar() == 3
    db.close()


def test_upgrading_a_real_project_to_0006_keeps_every_row(sample_db):
    from alembic import command

    def counts(db):
        with db.engine.connect() as conn:
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()
                    for t in inspect(conn).get_table_names() if t != "alembic_version"}

    before = counts(sample_db)
    with sample_db.engine.begin() as conn:
        command.downgrade(sample_db._alembic_config(conn), "0005")
    at_0005 = counts(sample_db)
    assert at_0005 == {t: n for t, n in before.items() if t in at_0005}  # later tables aside
    path = sample_db.path
    sample_db.close()
    db = Database(path)
    assert db.current_revision() == Database.head_revision()
    assert counts(db) == before and before["coding"] > 700
    db.close()
