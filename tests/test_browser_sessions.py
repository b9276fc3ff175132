"""Sessions that survive a reload, in a real browser: `streamlit run app.py` + Playwright +
Debian's Chromium, on the roles project (test_ui_roles.build_roles_project).

A login stores the session's random token in a cookie (qualcode.ui.session_cookie); a reload,
a new tab or a bookmarked link signs in from it, validated against the database like any
token. Logout ends the session everywhere and expires the cookie; a logged-out token put back
into the browser is refused. Screenshots go to test-artifacts/sessions/.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, menu, menu_link, require_browser, settle, streamlit_server
from sqlalchemy import select
from test_ui_roles import ACCOUNTS, build_roles_project

from qualcode.store.db import Database
from qualcode.store.models import LoginSession
from qualcode.ui.session_cookie import COOKIE

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "sessions"
IDLE_MINUTES = 30
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(url, database path) of one server on the roles project, idle limit 30 minutes."""
    folder = tmp_path_factory.mktemp("browser_sessions")
    path = build_roles_project(folder / "roles.db")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server("app.py", folder / "streamlit.log", QUALCODE_DB=str(path),
                          QUALCODE_SESSION_MINUTES=str(IDLE_MINUTES)) as url:
        yield url, path


@contextmanager
def chromium_page(url: str, **context_options):
    """A page in its own browser context (browser_support.chromium_page's page owns its context,
    which then cannot open a second tab), opened at ``url``."""
    from playwright.sync_api import sync_playwright

    require_browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, **context_options)
            context.set_default_timeout(60_000)
            page = context.new_page()
            page.goto(url)
            yield page
        finally:
            browser.close()


def _log_in(page, name: str) -> None:
    page.get_by_label("Account").wait_for(timeout=120_000)  # the first start can be slow
    page.get_by_label("Account").fill(name)
    page.get_by_role("textbox", name="Password").fill(ACCOUNTS[name][0])
    page.get_by_role("button", name="Log in").click()


def _expect_signed_in(page, name: str) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stSidebar").get_by_text("Signed in as")).to_have_text(
        f"Signed in as {name} ({ACCOUNTS[name][2]})", timeout=60_000)
    settle(page)


def _expect_login_form(page, *, ended: bool) -> None:
    """The login form and no page menu; "Your session has ended" shown only when ``ended``."""
    from playwright.sync_api import expect

    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=60_000)
    settle(page)
    assert menu(page).count() == 0 and page.get_by_text("Signed in as").count() == 0
    assert (page.get_by_text("Your session has ended; log in again.").count() == 1) == ended


def _session_cookie(context, *, present: bool = True, timeout: float = 20) -> dict | None:
    """The browser's session cookie once it is there (or gone, with ``present=False``)."""
    deadline = time.time() + timeout
    while True:
        found = [c for c in context.cookies() if c["name"] == COOKIE]
        if bool(found) == present or time.time() > deadline:
            assert bool(found) == present, context.cookies()
            return found[0] if found else None
        time.sleep(0.2)


def _stored_hashes(db_path: Path) -> set[str]:
    db = Database(db_path)
    try:
        with db.session() as s:
            return set(s.scalars(select(LoginSession.token_hash)))
    finally:
        db.close()


def test_a_reload_a_new_tab_and_a_bookmark_keep_the_session_until_logout(server):
    from playwright.sync_api import expect

    url, db_path = server
    with chromium_page(url) as page:
        context = page.context
        _log_in(page, "ana")
        _expect_signed_in(page, "ana")

        # The cookie: the session's token (only its SHA-256 in the database), SameSite=Strict,
        # not Secure over plain HTTP, expiring with the session (the idle limit here).
        cookie = _session_cookie(context)
        old_token = cookie["value"]
        assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
        assert cookie["secure"] is False and cookie["httpOnly"] is False  # JS cannot set HttpOnly
        remaining = cookie["expires"] - time.time()
        assert IDLE_MINUTES * 60 - 120 < remaining <= IDLE_MINUTES * 60 + 5, remaining
        assert hashlib.sha256(old_token.encode()).hexdigest() in _stored_hashes(db_path)

        # A reload keeps the session and the page the URL names (a bookmark works the same way).
        menu_link(page, "Codebook").click()
        page.get_by_test_id("stMainBlockContainer").get_by_role(
            "heading", name="Codebook", exact=True).wait_for()
        settle(page)
        bookmark = page.url
        assert "page=Codebook" in bookmark
        page.reload()
        _expect_signed_in(page, "ana")
        page.get_by_test_id("stMainBlockContainer").get_by_role(
            "heading", name="Codebook", exact=True).wait_for()
        page.screenshot(path=str(SHOTS / "1_after_reload.png"), full_page=True)

        # A new tab of the same browser, opened at the bookmarked link, is signed in too.
        tab = context.new_page()
        tab.goto(bookmark)
        _expect_signed_in(tab, "ana")
        tab.get_by_test_id("stMainBlockContainer").get_by_role(
            "heading", name="Codebook", exact=True).wait_for()
        tab.screenshot(path=str(SHOTS / "2_new_tab.png"), full_page=True)
        assert _session_cookie(context)["value"] == old_token  # the same session, not a new one

        # Logout ends the session on the server (every tab) and expires the cookie.
        page.get_by_role("button", name="Log out").click()
        _expect_login_form(page, ended=False)
        expect(page.get_by_test_id("stSidebar")).to_be_hidden()  # no empty sidebar left open
        _session_cookie(context, present=False)
        assert hashlib.sha256(old_token.encode()).hexdigest() not in _stored_hashes(db_path)
        page.screenshot(path=str(SHOTS / "3_logged_out.png"), full_page=True)

        # The other tab is signed out at its next click.
        menu_link(tab, "Documents").click()
        _expect_login_form(tab, ended=True)
        tab.screenshot(path=str(SHOTS / "4_other_tab_after_logout.png"), full_page=True)
        tab.close()

        # A reload after logout shows the login form.
        page.reload()
        _expect_login_form(page, ended=False)

        # The logged-out token put back into the browser is refused, and expired again.
        context.add_cookies([{"name": COOKIE, "value": old_token, "url": url,
                              "sameSite": "Strict", "expires": time.time() + 3600}])
        page.goto(bookmark)
        _expect_login_form(page, ended=True)
        page.screenshot(path=str(SHOTS / "5_old_token_refused.png"), full_page=True)
        _session_cookie(context, present=False)

        # Logging in again works and sets a new token.
        _log_in(page, "ana")
        _expect_signed_in(page, "ana")
        assert _session_cookie(context)["value"] != old_token


def test_a_password_change_ends_every_session_of_the_account(server):
    url, _db_path = server
    with chromium_page(url) as page:
        context = page.context
        _log_in(page, "ben")
        _expect_signed_in(page, "ben")
        _session_cookie(context)
        tab = context.new_page()
        tab.goto(url)
        _expect_signed_in(tab, "ben")

        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("Change my password").click()
        sidebar.get_by_label("Current password").fill(ACCOUNTS["ben"][0])
        sidebar.get_by_label("New password", exact=True).fill("ben-new-password")
        sidebar.get_by_label("New password again").fill("ben-new-password")
        sidebar.get_by_role("button", name="Change password").click()
        from playwright.sync_api import expect

        expect(page.get_by_text("Password changed; log in with the new one.")).to_be_visible()
        _session_cookie(context, present=False)

        tab.reload()  # the tab still had the old cookie's session: gone on the server
        _expect_login_form(tab, ended=False)  # no cookie any more: just the login form
        tab.screenshot(path=str(SHOTS / "6_after_password_change.png"), full_page=True)


def test_the_cookie_is_secure_behind_an_https_proxy(server):
    """nginx sets X-Forwarded-Proto: https (deploy/nginx); the cookie is then Secure."""
    url, _db_path = server
    with chromium_page(url, extra_http_headers={"X-Forwarded-Proto": "https"}) as page:
        _log_in(page, "vera")
        _expect_signed_in(page, "vera")
        cookie = _session_cookie(page.context)
        assert cookie["secure"] is True and cookie["sameSite"] == "Strict"


def test_another_replica_on_the_same_database_accepts_the_session(server, tmp_path):
    """Failover: a second server process on the same database (a replica behind nginx) signs
    the browser in from its cookie. Cookies do not depend on the port, so the second server on
    another port of 127.0.0.1 gets the cookie the first one set, as a replica behind the same
    host name would."""
    url, db_path = server
    with chromium_page(url) as page:
        _log_in(page, "ana")
        _expect_signed_in(page, "ana")
        _session_cookie(page.context)
        with streamlit_server("app.py", tmp_path / "replica.log", QUALCODE_DB=str(db_path),
                              QUALCODE_SESSION_MINUTES=str(IDLE_MINUTES)) as replica:
            page.goto(replica)
            _expect_signed_in(page, "ana")
            page.screenshot(path=str(SHOTS / "7_replica.png"), full_page=True)
            page.get_by_role("button", name="Log out").click()  # ends it on every replica
            _expect_login_form(page, ended=False)
        page.goto(url)
        _expect_login_form(page, ended=False)


def test_a_tab_whose_session_ended_leaves_a_newer_login_alone(server):
    """Tab A logs out and in again; tab B, still on the old session, is sent to the login form
    at its next click but must not expire the new session's cookie."""
    url, _db_path = server
    with chromium_page(url) as page:
        context = page.context
        _log_in(page, "ana")
        _expect_signed_in(page, "ana")
        old_token = _session_cookie(context)["value"]
        tab = context.new_page()
        tab.goto(url)
        _expect_signed_in(tab, "ana")

        page.get_by_role("button", name="Log out").click()
        _expect_login_form(page, ended=False)
        _log_in(page, "ana")
        _expect_signed_in(page, "ana")
        deadline = time.time() + 20
        while _session_cookie(context)["value"] == old_token and time.time() < deadline:
            time.sleep(0.2)
        new_token = _session_cookie(context)["value"]
        assert new_token != old_token

        menu_link(tab, "Documents").click()
        _expect_login_form(tab, ended=True)
        tab.wait_for_timeout(1000)
        assert _session_cookie(context)["value"] == new_token
        page.reload()
        _expect_signed_in(page, "ana")


def test_a_coding_sent_after_the_session_ended_is_refused(server):
    """The Code page's transcript and panel rerun on their own (an ``st.fragment``), skipping
    the app's session check at the top of a full run; they repeat it. A session ended elsewhere
    (another browser's logout) turns the next coding into the login form, and nothing is stored."""
    from playwright.sync_api import expect
    from test_browser_workspace import _drag
    from test_ui_roles import CODINGS, DOCS

    from qualcode.coding import editing
    from qualcode.team.accounts import logout

    url, db_path = server
    doc, code = DOCS[0], "Barriers/Institutional/Limited program capacity"
    phrase = next(p for d, _c, coder, p in CODINGS if d == doc and coder == "ben")  # not ana's
    db = Database(db_path)
    try:
        before = [(c.start, c.code_path) for c in editing.codings_for_document(db, doc, viewer="ana")]
        with chromium_page(url) as page:
            _log_in(page, "ana")
            _expect_signed_in(page, "ana")
            token = _session_cookie(page.context)["value"]
            page.goto(f"{url}/?page=Code&doc={doc}")
            page.locator("[data-testid='qcs-root'][data-ready]").wait_for(timeout=60_000)
            settle(page)
            _drag(page, phrase)
            expect(page.get_by_text("Selected (")).to_be_visible()
            settle(page, stale=False)

            logout(db, token)  # as "Log out" in another browser does
            page.get_by_test_id("qct-tree").locator(f".qct-code[data-path='{code}']").click()
            _expect_login_form(page, ended=True)
            page.screenshot(path=str(SHOTS / "8_coding_after_logout.png"), full_page=True)
        after = [(c.start, c.code_path) for c in editing.codings_for_document(db, doc, viewer="ana")]
        assert after == before
    finally:
        db.close()
