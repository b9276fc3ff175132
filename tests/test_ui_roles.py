"""Accounts and roles in the app with AppTest: the login form, the pages each role sees, logout,
session expiry and the codebook editor that coders get only when the owner allows it.

The project is small (two sample transcripts, the shipped codebook, codings by two coders,
blind coding on) and built once per test session with the library; each test works on a copy.
test_browser_roles.py drives the same project through the real login form in Chromium.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from app_support import current_page, open_page, page_names
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DOCS = ("p01_program_director_internal_medicine", "p03_global_health_faculty")
#: account → (password, role given to add_account, role the app shows)
ACCOUNTS = {
    "admin": ("admin-password", "admin", "owner"),
    "ana": ("ana-password", "coder", "coder"),
    "ben": ("ben-password", "coder", "coder"),
    "vera": ("vera-password", "viewer", "viewer"),
}
#: (document, code, coder, phrase): each phrase occurs once in its document
CODINGS = (
    (DOCS[0], "Barriers/Institutional/Administrative burden", "ana", "two hundred and forty emails"),
    (DOCS[0], "Barriers/Institutional/Limited program capacity", "ben", "Cordillera University Medical Center"),
    (DOCS[1], "Barriers/Individual and cultural/Isolation and lack of networks", "ana", "Division of Global Health"),
    (DOCS[1], "Barriers/Institutional/Administrative burden", "ben", "leaf blower outside"),
)
QUOTES = {coder: [phrase for *_, who, phrase in CODINGS if who == coder] for coder in ("ana", "ben")}
ALL_PAGES = ["Home", "Documents", "Import", "Participants", "Projects",  # the menu's sections:
             "Code", "Retrieve", "Transcript", "Codebook",  # Project, Code, Compare, Analyse, Share
             "Agreement",
             "Frequencies", "Co-occurrence", "Matrices", "Query", "Excerpts", "Themes",
             "Interchange", "Members"]
#: The pages each role finds in the sidebar, in the sidebar's order.
ROLE_PAGES = {
    "owner": ALL_PAGES,
    "coder": [p for p in ALL_PAGES if p not in ("Import", "Members")],
    "viewer": [p for p in ALL_PAGES if p not in ("Code", "Import", "Members")],
}


def build_roles_project(path: Path) -> Path:
    """Write the roles project to the SQLite file ``path``: documents, codebook and codings
    first (single-user mode), blind coding on, then the four accounts."""
    from qualcode.coding import editing
    from qualcode.team import settings
    from qualcode.team.accounts import add_account
    from qualcode.codebook import parse_codebook
    from qualcode.project.codes import apply_codebook
    from qualcode.store.db import Database
    from qualcode.project.documents import import_files, show_document

    db = Database(path)
    try:
        result = import_files(db, [(f"{d}.txt", (ROOT / "transcripts_sample" / f"{d}.txt").read_bytes())
                                   for d in DOCS], actor=None)
        assert not result.errors, result.errors
        book = ROOT / "codebooks" / "img_barriers_enablers.yaml"
        codebook = parse_codebook(book.read_bytes(), book.name)
        with db.session() as s:
            apply_codebook(s, db.project_id(s), codebook)
        texts = {d: show_document(db, d)["text"] for d in DOCS}
        for doc, code, coder, phrase in CODINGS:
            start = texts[doc].index(phrase)
            editing.add(db, doc, code, coder, start, start + len(phrase))
        settings.set_blind(db, True, actor="admin")
        for name, (password, role, _shown) in ACCOUNTS.items():
            add_account(db, name, password, role=role, actor="admin")
    finally:
        db.close()
    return path


@pytest.fixture(scope="session")
def roles_db_file(tmp_path_factory) -> Path:
    """The roles project, built once per test session (copy it before writing)."""
    return build_roles_project(tmp_path_factory.mktemp("roles") / "roles.db")


@pytest.fixture
def roles_db(roles_db_file, tmp_path, monkeypatch) -> Path:
    """A private copy of the roles project, which the app opens (QUALCODE_DB)."""
    target = tmp_path / "roles.db"
    shutil.copy(roles_db_file, target)
    monkeypatch.setenv("QUALCODE_DB", str(target))
    monkeypatch.delenv("QUALCODE_SESSION_MINUTES", raising=False)
    return target


@pytest.fixture
def at(roles_db) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=90).run()
    assert not app.exception
    return app


def _database(path: Path):
    from qualcode.store.db import Database

    return Database(path)


def _on_login_page(at: AppTest) -> bool:
    labels = {t.label for t in at.text_input}
    return {"Account", "Password"} <= labels and any(b.label == "Log in" for b in at.button)


def _log_in(at: AppTest, name: str, password: str | None = None) -> AppTest:
    password = ACCOUNTS[name][0] if password is None else password
    at.text_input(key="login_name").set_value(name)
    at.text_input(key="login_password").set_value(password)
    next(b for b in at.button if b.label == "Log in").click().run()
    assert not at.exception
    return at


def _sidebar_pages(at: AppTest) -> list[str] | None:
    return page_names(at)


def _signed_in_as(at: AppTest) -> str:
    return " ".join(m.value for m in at.sidebar.markdown if "Signed in as" in m.value)


def test_with_accounts_the_app_asks_for_a_login_and_shows_no_page(at):
    assert _on_login_page(at)
    assert _sidebar_pages(at) is None
    assert not at.sidebar.markdown or not _signed_in_as(at)
    assert [h.value for h in at.header] == []  # no page was drawn behind the form


def test_without_accounts_there_is_no_login(tmp_path, monkeypatch):
    from qualcode.project.documents import import_files

    db = _database(tmp_path / "single.db")
    assert not import_files(db, [("a.txt", b"Interviewer: Hi.\nP1: Hello.\n")]).errors
    db.close()
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "single.db"))
    app = AppTest.from_file(APP, default_timeout=90).run()
    assert not app.exception and not _on_login_page(app)
    assert _sidebar_pages(app) == [p for p in ALL_PAGES if p != "Members"]  # single-user mode


@pytest.mark.parametrize("name,password", [("ana", "wrong-password"), ("nobody", "whatever-pw")])
def test_a_wrong_password_or_name_shows_an_error_and_no_pages(at, name, password):
    _log_in(at, name, password)
    assert any("wrong account name or password" in e.value for e in at.error)
    assert _on_login_page(at) and _sidebar_pages(at) is None
    assert at.session_state["login_password"] == ""  # the password is not kept
    assert "account" not in at.session_state and "role" not in at.session_state


@pytest.mark.parametrize("name", list(ACCOUNTS))
def test_each_role_sees_exactly_its_pages_and_is_named_in_the_sidebar(at, name):
    role = ACCOUNTS[name][2]
    _log_in(at, name)
    assert not _on_login_page(at)
    assert _sidebar_pages(at) == ROLE_PAGES[role]
    assert f"Signed in as **{name}** ({role})" in _signed_in_as(at)
    assert any(b.label == "Log out" for b in at.sidebar.button)
    assert at.session_state["login_password"] == ""
    settings = [e for e in at.sidebar.expander if e.label == "Project settings"]
    assert bool(settings) == (role == "owner")


def test_logging_out_returns_to_the_login_form(at):
    from qualcode.store.models import LoginSession

    _log_in(at, "ana")
    assert _sidebar_pages(at) == ROLE_PAGES["coder"]
    at.button(key="logout").click().run()
    assert not at.exception
    assert _on_login_page(at) and _sidebar_pages(at) is None
    assert "login_token" not in at.session_state
    db = _database(at_db_path())
    with db.session() as s:  # the login session row is gone from the database
        assert s.query(LoginSession).count() == 0
    db.close()


def at_db_path() -> Path:
    import os

    return Path(os.environ["QUALCODE_DB"])


def test_an_idle_session_ends_with_a_message_and_the_login_form(at):
    from qualcode.store.models import LoginSession, utcnow

    _log_in(at, "ben")
    assert _sidebar_pages(at) == ROLE_PAGES["coder"]
    db = _database(at_db_path())
    with db.session() as s:  # ben went for lunch nine hours ago (the default limit is 8 hours)
        s.execute(update(LoginSession).values(last_seen=utcnow() - timedelta(hours=9)))
    db.close()
    at.run()
    assert not at.exception
    assert _on_login_page(at) and _sidebar_pages(at) is None
    assert any("Your session has ended" in e.value for e in at.error)
    _log_in(at, "ben")  # and logging in again works
    assert _sidebar_pages(at) == ROLE_PAGES["coder"]


def test_qualcode_session_minutes_sets_the_idle_limit(at, monkeypatch):
    from qualcode.store.models import LoginSession, utcnow

    monkeypatch.setenv("QUALCODE_SESSION_MINUTES", "5")
    _log_in(at, "vera")
    db = _database(at_db_path())
    with db.session() as s:
        s.execute(update(LoginSession).values(last_seen=utcnow() - timedelta(minutes=3)))
    at.run()
    assert _sidebar_pages(at) == ROLE_PAGES["viewer"]  # 3 idle minutes: still signed in
    with db.session() as s:
        s.execute(update(LoginSession).values(last_seen=utcnow() - timedelta(minutes=6)))
    db.close()
    at.run()
    assert not at.exception
    assert _on_login_page(at) and any("Your session has ended" in e.value for e in at.error)


@pytest.mark.parametrize("name", ["admin", "ana", "vera"])
def test_every_page_of_each_role_renders_without_an_exception(at, name):
    role = ACCOUNTS[name][2]
    _log_in(at, name)
    for page in ROLE_PAGES[role]:
        open_page(at, page)
        assert not at.exception, (name, page, at.exception)
        assert current_page(at) == page
        assert not [e.value for e in at.error], (name, page)  # no AccessDenied or other refusal
        assert _sidebar_pages(at) == ROLE_PAGES[role]


def _retrieved(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html") if "qc-excerpt" in h.proto.body)


def test_blind_coding_hides_the_other_coders_codings_from_a_coder(at):
    _log_in(at, "ana")
    open_page(at, "Retrieve")
    assert not at.exception
    excerpts = _retrieved(at)
    assert all(q in excerpts for q in QUOTES["ana"])
    assert not any(q in excerpts for q in QUOTES["ben"])
    open_page(at, "Excerpts")
    assert not at.exception
    table = at.dataframe[0].value
    cells = " ".join(table.astype(str).values.ravel())
    assert set(table["coders"]) == {"ana"} and len(table) == len(QUOTES["ana"])
    assert all(q in cells for q in QUOTES["ana"]) and not any(q in cells for q in QUOTES["ben"])
    open_page(at, "Agreement")
    assert any("Blind coding is on" in i.value for i in at.info)


def test_the_library_refuses_what_the_role_does_not_allow(roles_db):
    from qualcode.coding import codebook_edit
    from qualcode.coding import editing
    from qualcode.team.access import AccessDenied

    db = _database(roles_db)
    code = CODINGS[0][1]
    with pytest.raises(AccessDenied, match="viewer"):
        editing.add(db, DOCS[0], code, "vera", 0, 10)
    with pytest.raises(AccessDenied, match="not allowed coders"):
        codebook_edit.create_code(db, "Housing", actor="ana")
    assert editing.add(db, DOCS[0], code, "ana", 0, 10).coder == "ana"  # a coder codes
    db.close()


def test_a_coder_gets_the_codebook_editor_only_when_the_owner_allows_it(at, roles_db):
    from qualcode.team.settings import set_codebook_editing

    _log_in(at, "ana")
    open_page(at, "Codebook")
    assert not at.exception
    assert not [e for e in at.expander if e.label == "Edit the codebook"]
    assert "cb_add_name" not in [t.key for t in at.text_input]

    db = _database(roles_db)
    set_codebook_editing(db, True, actor="admin")
    at.run()
    assert not at.exception
    assert [e for e in at.expander if e.label == "Edit the codebook"]
    at.text_input(key="cb_add_name").set_value("Housing").run()
    at.button(key="cb_do_add").click().run()
    assert not at.exception
    assert any("Code 'Housing' added" in s.value for s in at.success)

    set_codebook_editing(db, False, actor="admin")
    db.close()
    at.run()
    assert not [e for e in at.expander if e.label == "Edit the codebook"]


def test_a_viewer_never_gets_the_codebook_editor(at, roles_db):
    from qualcode.team.settings import set_codebook_editing

    db = _database(roles_db)
    set_codebook_editing(db, True, actor="admin")
    db.close()
    _log_in(at, "vera")
    open_page(at, "Codebook")
    assert not at.exception
    assert not [e for e in at.expander if e.label == "Edit the codebook"]


def test_a_disabled_account_is_signed_out_at_its_next_click(at, roles_db):
    from qualcode.team.accounts import set_disabled

    _log_in(at, "ben")
    assert _sidebar_pages(at) == ROLE_PAGES["coder"]
    db = _database(roles_db)
    set_disabled(db, "ben", True, actor="admin")
    db.close()
    at.run()
    assert not at.exception
    assert _on_login_page(at) and any("Your session has ended" in e.value for e in at.error)
    _log_in(at, "ben")
    assert _sidebar_pages(at) is None and any("wrong account name or password" in e.value for e in at.error)


def test_an_account_removed_from_the_project_sees_why_and_can_log_out(at, roles_db):
    from qualcode.team.accounts import set_role

    db = _database(roles_db)
    set_role(db, "ben", None, actor="admin")
    db.close()
    _log_in(at, "ben")
    assert _sidebar_pages(at) is None
    assert any("not a member of this project" in e.value for e in at.error)
    at.button(key="logout_denied").click().run()
    assert not at.exception and _on_login_page(at)


# -- regressions: bugs these tests found, fixed ------------------------------------------------


def test_with_accounts_every_role_can_prepare_the_codebook_file(at):
    _log_in(at, "ana")
    open_page(at, "Interchange")
    at.button(key="build_qdc").click().run()
    assert not at.exception
    assert not [e.value for e in at.error]
    assert "qdc_bytes" in at.session_state


def test_logging_out_forgets_what_the_previous_user_prepared(at):
    _log_in(at, "ana")
    open_page(at, "Interchange")
    at.button(key="build_qdpx").click().run()
    assert not at.exception and "qdpx_bytes" in at.session_state
    at.button(key="logout").click().run()
    _log_in(at, "ben")
    open_page(at, "Interchange")
    assert not at.exception
    assert "qdpx_bytes" not in at.session_state  # ana's export, with ana's codings
    assert not [b for b in at.get("download_button") if "project.qdpx" in str(b.proto.label)]


def test_under_blind_coding_the_documents_page_counts_only_the_coders_own_codings(at):
    _log_in(at, "ana")
    open_page(at, "Documents")
    counts = dict(zip(at.dataframe[0].value["document"], at.dataframe[0].value["codings"]))
    own = {d: sum(1 for doc, _, who, _ in CODINGS if doc == d and who == "ana") for d in DOCS}
    assert counts == own
