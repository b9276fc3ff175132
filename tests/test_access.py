"""Roles and blind coding enforced inside the library: every function called as every role."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from qualcode.team import accounts

from qualcode.coding import codebook_edit

from qualcode.coding import editing

from qualcode.project import groups

from qualcode.coding import visibility
from qualcode.team.access import AccessDenied
from qualcode.team.settings import set_blind, set_codebook_editing
from qualcode.agreement.adjudication import passages
from qualcode.agreement.units import build_unit_matrix, project_coders
from qualcode.analysis.data import load
from qualcode.team.backup import backup
from qualcode.team.changelog import history
from qualcode.coding.codebook_edit import StaleCode
from qualcode.project.coding_sheet import SheetRow, import_sheet
from qualcode.project.codings import list_codings
from qualcode.store.db import Database
from qualcode.project.documents import apply_attributes, import_files
from qualcode.coding.editing import CodingNotFound
from qualcode.store.models import ChangeLog, Coding
from qualcode.project.participants import parse_attributes
from qualcode.refi.store import export_project

PW = "a long enough password"
DOC1 = ("Interviewer: What stood in your way?\n"
        "P1: The exam fees were brutal. I also had no US clinical experience at all.\n"
        "Interviewer: And what helped?\n"
        "P1: A mentor from my medical school wrote to programs for me.\n")
DOC2 = ("Interviewer: Tell me about visas.\n"
        "P2: The visa interview was postponed twice. My cousin lent me money for the fees.\n")


def _span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def _build(db):
    """Two documents, three codes, codings by ana and ben on both, blind coding on; then
    accounts: olga (owner), ana and ben (coders), vic (viewer), root (admin)."""
    result = import_files(db, [("int1.txt", DOC1.encode()), ("int2.txt", DOC2.encode())])
    assert not result.errors
    for name in ("Barriers", "Enablers"):
        codebook_edit.create_code(db, name, actor="setup")
    codebook_edit.create_code(db, "Cost", parent="Barriers", actor="setup")
    for coder, doc, text, words, code in [
        ("ana", "int1", DOC1, "The exam fees were brutal.", "Barriers/Cost"),
        ("ben", "int1", DOC1, "exam fees", "Barriers/Cost"),
        ("ben", "int1", DOC1, "A mentor from my medical school", "Enablers"),
        ("ana", "int2", DOC2, "postponed twice", "Barriers"),
        ("ben", "int2", DOC2, "My cousin lent me money", "Enablers"),
    ]:
        editing.add(db, doc, code, coder, *_span(text, words))
    set_blind(db, True, actor="setup")
    accounts.add_account(db, "root", PW, role="admin")
    for name, role in (("olga", "owner"), ("ana", "coder"), ("ben", "coder"), ("vic", "viewer")):
        accounts.add_account(db, name, PW, role=role, actor="root")
    return db


@pytest.fixture
def project(db):
    """The project on each engine."""
    return _build(db)


@pytest.fixture(scope="module")
def project_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("access") / "project.db"
    db = _build(Database(path))
    db.close()
    return path


@pytest.fixture
def sqlite_project(project_file, tmp_path):
    """A private copy of the SQLite project: the role matrix is engine-independent logic, and
    building the project for each of its cases would take minutes."""
    shutil.copy(project_file, tmp_path / "project.db")
    db = Database(tmp_path / "project.db")
    yield db
    db.close()


def _log_size(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(ChangeLog.id)))


# -- writes: (what, permission, call(db, actor)) --------------------------------------------------

ATTRIBUTES_CSV = b"participant_id,document,country\nP1,int1,India\n"

ACTIONS = [
    ("code a passage", "code",
     lambda db, who: editing.add(db, "int2", "Enablers", who, *_span(DOC2, "visa interview"))),
    ("code a sentence", "code", lambda db, who: editing.code_sentence(db, "int1", DOC1.index("mentor"), "Enablers", who)),
    ("mark a document done", "code", lambda db, who: visibility.mark_done(db, "int2", who)),
    ("import a coding sheet", "code", lambda db, who: import_sheet(
        db, [SheetRow(2, "int1", "Enablers", who, "mentor", 1, None)], actor=who)),
    ("create a code", "codebook", lambda db, who: codebook_edit.create_code(db, "Visa", actor=who)),
    ("rename a code", "codebook", lambda db, who: codebook_edit.rename_code(db, "Enablers", "Helps", actor=who)),
    ("merge codes", "codebook", lambda db, who: codebook_edit.merge_codes(db, "Barriers/Cost", "Barriers", actor=who)),
    ("import transcripts", "manage", lambda db, who: import_files(db, [("int3.txt", DOC2.encode() + b"More.")], actor=who)),
    ("import attributes", "manage", lambda db, who: apply_attributes(
        db, parse_attributes(ATTRIBUTES_CSV, "p.csv"), actor=who)),
    ("switch blind coding", "manage", lambda db, who: set_blind(db, False, actor=who)),
    ("create a document group", "manage", lambda db, who: groups.create_group(db, "Wave 1", actor=who)),
    ("allow coders to edit the codebook", "manage", lambda db, who: set_codebook_editing(db, True, actor=who)),
]

ALLOWED = {"owner": {"code", "codebook", "manage"}, "admin": {"code", "codebook", "manage"},
           "coder": {"code"}, "viewer": set(), "stranger": set()}
WHO = {"owner": "olga", "admin": "root", "coder": "ana", "viewer": "vic", "stranger": "mallory"}


@pytest.mark.parametrize("role", list(WHO))
@pytest.mark.parametrize("what,permission,call", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_role_may_do_exactly_what_it_is_allowed(sqlite_project, role, what, permission, call):
    before = _log_size(sqlite_project)
    if permission in ALLOWED[role]:
        call(sqlite_project, WHO[role])
        assert _log_size(sqlite_project) > before
    else:
        with pytest.raises(AccessDenied) as refused:
            call(sqlite_project, WHO[role])
        assert WHO[role] in str(refused.value)
        assert _log_size(sqlite_project) == before  # nothing at all was written


@pytest.mark.parametrize("what,permission,call", ACTIONS[::3], ids=[a[0] for a in ACTIONS[::3]])
def test_roles_are_enforced_on_both_engines(project, what, permission, call):
    with pytest.raises(AccessDenied):
        call(project, "vic")
    call(project, "olga")


def test_with_accounts_an_unnamed_actor_is_refused(project, monkeypatch):
    monkeypatch.setenv("QUALCODE_USER", "")
    monkeypatch.setattr("qualcode.team.access.getpass.getuser", lambda: "someone-on-the-server")
    with pytest.raises(AccessDenied, match="'someone-on-the-server' does not exist"):
        codebook_edit.create_code(project, "Visa", actor=None)
    with pytest.raises(AccessDenied, match="name the acting account"):
        load(project)
    # One rule for every read path (access.visibility): with accounts, reading as nobody is
    # refused in the workspace as in lists, analysis and export.
    for read in (lambda: editing.codings_for_document(project, "int1", viewer=None),
                 lambda: editing.get_coding(project, 1),
                 lambda: list_codings(project),
                 lambda: export_project(project)):
        with pytest.raises(AccessDenied, match="name the acting account"):
            read()


def test_a_disabled_account_can_do_nothing(project):
    accounts.set_disabled(project, "ana", True, actor="olga")
    with pytest.raises(AccessDenied, match="'ana' is disabled"):
        editing.add(project, "int2", "Enablers", "ana", 0, 5)
    with pytest.raises(AccessDenied, match="'ana' is disabled"):
        load(project, viewer="ana")


def test_coders_change_only_their_own_codings_owners_any(project):
    bens = next(c for c in editing.codings_for_document(project, "int2", viewer="ben") if c.coder == "ben")
    for change in (lambda who: editing.remove(project, bens.id, actor=who),
                   lambda who: editing.recode(project, bens.id, "Barriers", actor=who),
                   lambda who: editing.resize(project, bens.id, bens.start, bens.end - 1, actor=who),
                   lambda who: editing.set_memo(project, bens.id, "mine now", actor=who)):
        with pytest.raises(AccessDenied, match="'ana' may change only their own codings, not 'ben'"):
            change("ana")
    with pytest.raises(AccessDenied):  # nor record codings in someone else's name
        import_sheet(project, [SheetRow(2, "int2", "Barriers", "ben", "visa", 1, None)], actor="ana")
    assert editing.set_memo(project, bens.id, "checked", actor="olga").memo == "checked"
    editing.remove(project, bens.id, actor="olga")


def test_coders_edit_the_codebook_only_when_the_owner_allows(project):
    with pytest.raises(AccessDenied, match="the owner has not allowed coders to edit it"):
        codebook_edit.create_code(project, "Visa", actor="ana")
    set_codebook_editing(project, True, actor="olga")
    assert codebook_edit.create_code(project, "Visa", actor="ana").path == "Visa"
    with pytest.raises(AccessDenied):
        codebook_edit.create_code(project, "Other", actor="vic")  # viewers never
    set_codebook_editing(project, False, actor="olga")
    with pytest.raises(AccessDenied):
        codebook_edit.rename_code(project, "Visa", "Visas", actor="ana")


def test_whole_database_operations_are_for_owners(project, tmp_path):
    with project.session() as s:
        assert history(s, actor="olga")
        with pytest.raises(AccessDenied):
            history(s, actor="ana")
    with pytest.raises(AccessDenied):
        backup(project, tmp_path / "copy.db", actor="vic")
    assert not (tmp_path / "copy.db").exists()


# -- reads under blind coding -----------------------------------------------------------------


def _coders_seen(db, viewer: str) -> dict[str, set[str]]:
    """Every read path, asked as ``viewer``: which coders' codings came back."""
    refi = export_project(db, viewer=viewer)
    users = {u.guid: u.name for u in refi.users}
    return {
        "workspace": {c.coder for d in ("int1", "int2")
                      for c in editing.codings_for_document(db, d, viewer=viewer)},
        "list_codings": {c.coder for c in list_codings(db, viewer=viewer)},
        "analysis": set(load(db, viewer=viewer).codings["coder"]),
        "refi export": {users[c.coding_user] for s in refi.sources for sel in s.selections
                        for c in sel.codings},
        "coders listed": set(project_coders(db, viewer=viewer)),
    }


def test_in_blind_coding_every_read_path_shows_only_your_own_codings(project):
    assert all(seen == {"ana"} for seen in _coders_seen(project, "ana").values())
    assert all(seen == {"ben"} for seen in _coders_seen(project, "ben").values())
    assert all(seen == set() for seen in _coders_seen(project, "vic").values())  # viewer: none yet
    bens = next(c for c in editing.codings_for_document(project, "int1", viewer="ben"))
    with pytest.raises(CodingNotFound):
        editing.get_coding(project, bens.id, viewer="ana")
    for compare in (lambda: build_unit_matrix(project, coders=["ana", "ben"], viewer="ana"),
                    lambda: passages(project, "Enablers", ["ana", "ben"], viewer="ana")):
        with pytest.raises(AccessDenied, match="blind coding is on"):
            compare()


def test_marking_a_document_done_shows_everyone_on_that_document_only(project):
    visibility.mark_done(project, "int1", "ana")
    rows = {(c.document, c.coder) for c in list_codings(project, viewer="ana")}
    assert rows == {("int1", "ana"), ("int1", "ben"), ("int2", "ana")}
    data = load(project, viewer="ana")
    names = data.documents["document"].to_dict()
    assert set(zip(data.codings["document_id"].map(names), data.codings["coder"])) == rows
    assert {c.coder for c in editing.codings_for_document(project, "int2", viewer="ana")} == {"ana"}


def test_when_blind_coding_ends_every_member_sees_everything(project):
    set_blind(project, False, actor="olga")
    for viewer in ("ana", "vic", "olga"):
        assert all(seen == {"ana", "ben"} for seen in _coders_seen(project, viewer).values())
    assert list(build_unit_matrix(project, coders=["ana", "ben"], viewer="vic").coders) == ["ana", "ben"]
    with pytest.raises(AccessDenied, match="not a member"):  # an account outside the project
        accounts.set_role(project, "ben", None, actor="olga")
        load(project, viewer="ben")


# -- version conflicts --------------------------------------------------------------------------


def test_two_people_editing_one_code_the_second_gets_a_conflict(project):
    seen_by_olga = codebook_edit.rename_code(project, "Enablers", "Enablers", actor="olga")  # a "page load"
    seen_by_root = seen_by_olga
    first = codebook_edit.rename_code(project, "Enablers", "Facilitators", actor="olga",
                                      expected_version=seen_by_olga.version)
    assert first.version == seen_by_olga.version + 1
    with pytest.raises(StaleCode, match="was changed by someone else since you loaded it") as conflict:
        codebook_edit.update_code(project, seen_by_root.id, colour="#123456", actor="root",
                                  expected_version=seen_by_root.version)
    assert "reload" in str(conflict.value)
    with pytest.raises(StaleCode):
        codebook_edit.move_code(project, seen_by_root.id, "Barriers", actor="root",
                                expected_version=seen_by_root.version)
    with pytest.raises(StaleCode):
        codebook_edit.merge_codes(project, seen_by_root.id, "Barriers", actor="root",
                                  expected_version=seen_by_root.version)
    view = codebook_edit.update_code(project, first.id, colour="#123456", actor="root",
                                     expected_version=first.version)  # fresh view: fine
    assert (view.name, view.colour) == ("Facilitators", "#123456")


def test_two_people_editing_one_coding_the_second_gets_a_conflict(project):
    mine = next(c for c in editing.codings_for_document(project, "int1", viewer="ana") if c.coder == "ana")
    editing.set_memo(project, mine.id, "first", actor="ana", expected_version=mine.version)
    with pytest.raises(editing.StaleCoding, match="changed since you loaded it"):
        editing.set_memo(project, mine.id, "second", actor="olga", expected_version=mine.version)
    with project.session() as s:
        assert s.get(Coding, mine.id).memo == "first"


def test_owners_record_codings_for_coders_without_accounts_and_adjudicate(sqlite_project):
    from qualcode.agreement.adjudication import adjudicate

    set_blind(sqlite_project, False, actor="olga")
    sheet = [SheetRow(2, "int1", "Enablers", "chen", "mentor", 1, None)]  # chen has no account
    assert import_sheet(sqlite_project, sheet, actor="olga")["created"] == 1
    with pytest.raises(AccessDenied):
        import_sheet(sqlite_project, sheet, actor="ana")
    start, end = _span(DOC1, "exam fees")
    result = adjudicate(sqlite_project, document="int1", code="Barriers/Cost", start=start, end=end,
                        accept="ben", coders=["ana", "ben"], actor="olga")
    assert result.created == [(start, end)]
    with pytest.raises(AccessDenied, match="may change only their own codings, not 'consensus'"):
        adjudicate(sqlite_project, document="int1", code="Barriers/Cost", start=start, end=end,
                   accept="ana", coders=["ana", "ben"], actor="ana")
