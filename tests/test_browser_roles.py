"""Accounts and roles in a real browser: `streamlit run app.py` + Playwright + Debian's Chromium.

One server on a small project (two sample transcripts, the shipped codebook, codings by the
coders ana and ben, blind coding on; accounts admin, ana, ben, vera — built by
test_ui_roles.build_roles_project). Each role logs in through the real form, opens every page
in its sidebar (no Streamlit exception, no error box) and checks what the role may see:
the owner manages Members, the coder ana sees only her own codings, the viewer cannot code.
A wrong password shows an error and no page. Screenshots go to test-artifacts/roles/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from browser_support import chromium_page, menu, settle, streamlit_server
from sqlalchemy import select
from test_ui_roles import ACCOUNTS, DOCS, QUOTES, ROLE_PAGES, build_roles_project

from qualcode.store.db import Database
from qualcode.store.models import Coder, Coding, Document

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "roles"
#: The heading each page draws (st.header), when it is not the page's sidebar label.
HEADINGS = {"Import": "Import transcripts"}
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One Streamlit server on the roles project for every journey: (url, database path).

    The journeys only read (and log in and out), so they can share the project."""
    folder = tmp_path_factory.mktemp("browser_roles")
    path = build_roles_project(folder / "roles.db")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server("app.py", folder / "streamlit.log", QUALCODE_DB=str(path),
                          QUALCODE_SESSION_MINUTES=None) as url:
        yield url, path


@pytest.fixture
def browser_page(server):
    url, _path = server
    with chromium_page(url, width=1400, height=1000) as page:
        yield page


def _radio_labels(page):
    return menu(page)


def _log_in(page, name: str, password: str | None = None) -> None:
    page.get_by_label("Account").wait_for(timeout=120_000)  # the first start can be slow
    page.get_by_label("Account").fill(name)
    page.get_by_role("textbox", name="Password").fill(ACCOUNTS[name][0] if password is None else password)
    page.get_by_role("button", name="Log in").click()


def _log_in_as(page, name: str) -> None:
    from playwright.sync_api import expect

    _log_in(page, name)
    role = ACCOUNTS[name][2]
    expect(page.get_by_test_id("stSidebar").get_by_text("Signed in as")).to_have_text(
        f"Signed in as {name} ({role})")
    settle(page)
    _expect_pages(page, role)


def _expect_pages(page, role: str) -> None:
    """The sidebar lists exactly the role's pages, in order (retried while a rerun redraws)."""
    from playwright.sync_api import expect

    expect(_radio_labels(page)).to_have_text(ROLE_PAGES[role], timeout=30_000)


def _problems(page) -> list[str]:
    """Streamlit exception boxes and error messages on the page."""
    return page.evaluate("""[...document.querySelectorAll(
        '[data-testid="stException"], [data-testid="stAlertContentError"]')]
        .map((e) => e.dataset.testid + ': ' + e.textContent.slice(0, 300))""")


def _visit(page, name: str) -> None:
    """Open a page from the sidebar and wait until it is drawn and the rerun is over."""
    _radio_labels(page).filter(has_text=re.compile(rf"^{re.escape(name)}$")).click()
    page.get_by_test_id("stMainBlockContainer").get_by_role(
        "heading", name=HEADINGS.get(name, name), exact=True).wait_for()
    settle(page)


def _visit_every_page(page, role: str) -> None:
    for name in ROLE_PAGES[role]:
        _visit(page, name)
        assert _problems(page) == [], (role, name)
        _expect_pages(page, role)


def _codings_by_id(db_path: Path) -> dict[str, tuple[str, str]]:
    """coding id → (coder, document), straight from the tables (blind coding must not filter)."""
    db = Database(db_path)
    try:
        with db.session() as s:
            rows = s.execute(select(Coding.id, Coder.name, Document.name)
                             .join(Coder, Coder.id == Coding.coder_id)
                             .join(Document, Document.id == Coding.document_id)).all()
    finally:
        db.close()
    return {str(cid): (coder, doc) for cid, coder, doc in rows}


def _drawn_ids(page) -> set[str]:
    """The coding ids highlighted in the transcript component."""
    return set(page.evaluate(
        "[...document.querySelectorAll('.qcs-h')].flatMap((e) => e.dataset.c.split(' '))"))


def _wait_for_drawn(page, wanted: set[str], seconds: float = 30) -> set[str]:
    """Poll the highlights until exactly ``wanted`` are drawn (the previous document's
    component lingers for a moment after a switch); returns what was drawn last."""
    deadline = time.time() + seconds
    while True:
        drawn = _drawn_ids(page)
        if drawn == wanted or time.time() > deadline:
            return drawn
        page.wait_for_timeout(250)


def test_a_wrong_password_shows_an_error_and_no_pages(browser_page):
    from playwright.sync_api import expect

    page = browser_page
    _log_in(page, "ana", "not-her-password")
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("wrong account name or password")
    settle(page)
    expect(_radio_labels(page)).to_have_count(0)
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.screenshot(path=SHOTS / "1-wrong-password.png")


def test_coder_sees_only_her_own_codings_under_blind_coding(browser_page, server):
    from playwright.sync_api import expect

    page, (_url, db_path) = browser_page, server
    _log_in_as(page, "ana")
    assert page.get_by_test_id("stSidebar").get_by_text("Project settings").count() == 0
    _visit_every_page(page, "coder")

    # Code: on each document only ana's codings are highlighted, none of ben's
    codings = _codings_by_id(db_path)
    ana = {i for i, (who, _doc) in codings.items() if who == "ana"}
    ben = {i for i, (who, _doc) in codings.items() if who == "ben"}
    assert len(ana) == len(QUOTES["ana"]) and len(ben) == len(QUOTES["ben"])
    _visit(page, "Code")
    main = page.get_by_test_id("stMainBlockContainer")
    expect(main.get_by_text("Independent (blind) coding")).to_be_visible()
    for number, document in enumerate(DOCS):
        if number:
            main.get_by_test_id("stSelectbox").first.click()
            page.get_by_role("option", name=document).click()
            settle(page)
        page.locator("[data-testid='qcs-root'][data-ready]").first.wait_for()
        own = {i for i in ana if codings[i][1] == document}
        drawn = _wait_for_drawn(page, own)
        assert drawn == own, (document, drawn, own)
        assert not drawn & ben
        highlighted = " ".join(page.locator(".qcs-h").all_inner_texts())
        assert not any(q in highlighted for q in QUOTES["ben"])
        page.screenshot(path=SHOTS / f"2-coder-code-{number + 1}.png")

    # Retrieve: ana's excerpts, none of ben's
    _visit(page, "Retrieve")
    expect(main.get_by_text(f"{len(QUOTES['ana'])} excerpts")).to_be_visible()
    # the marked quotes (not the context around them, which is plain transcript text)
    assert sorted(main.locator(".qc-excerpt mark").all_inner_texts()) == sorted(QUOTES["ana"])
    assert {line.split(" · ")[2] for line in main.locator(".qc-excerpt div").all_inner_texts()} == {"ana"}
    page.screenshot(path=SHOTS / "3-coder-retrieve.png")

    # Agreement waits until blind coding is over
    _visit(page, "Agreement")
    expect(main.get_by_text("Blind coding is on")).to_be_visible()

    _log_out(page)


def _log_out(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    settle(page)
    expect(_radio_labels(page)).to_have_count(0)


def test_viewer_reads_every_page_but_has_no_code_or_import_page(browser_page):
    from playwright.sync_api import expect

    page = browser_page
    _log_in_as(page, "vera")
    assert not {"Code", "Import", "Members"} & set(_radio_labels(page).all_inner_texts())
    _visit_every_page(page, "viewer")
    _visit(page, "Codebook")
    expect(page.get_by_text("Edit the codebook")).to_have_count(0)
    page.screenshot(path=SHOTS / "4-viewer-codebook.png")
    _log_out(page)


def test_owner_sees_every_page_and_the_members(browser_page):
    from playwright.sync_api import expect

    page = browser_page
    _log_in_as(page, "admin")
    expect(page.get_by_test_id("stSidebar").get_by_text("Project settings")).to_be_visible()
    _visit_every_page(page, "owner")

    _visit(page, "Members")
    expected = [[name, role, "false"]
                for name, (_pw, role, _shown) in sorted(ACCOUNTS.items())]
    deadline = time.time() + 30
    while True:  # the grid fills its accessible cells just after it is attached; the table of
        # the page visited before (Projects) may still be fading out, so read the Members one
        grids = page.get_by_test_id("stDataFrame")
        tables = [grids.nth(i).locator("td, [role='gridcell']").all_inner_texts() for i in range(grids.count())]
        cells = next((c for c in tables if c and c[0] in ACCOUNTS), [])
        if cells or time.time() > deadline:
            break
        page.wait_for_timeout(250)
    assert [cells[i:i + 3] for i in range(0, len(cells), 3)] == expected
    expect(page.get_by_role("heading", name="Add an account")).to_be_visible()
    page.screenshot(path=SHOTS / "5-owner-members.png", full_page=True)
