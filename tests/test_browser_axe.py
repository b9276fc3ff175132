"""Accessibility: axe-core (npm's axe-core, as bundled by the axe-playwright-python wheel) is
injected into every page of the app on the sample project and must report no critical or
serious violation of WCAG 2.1 A/AA. The first test proves the harness sees a real violation."""

from __future__ import annotations

import shutil
import urllib.parse
from pathlib import Path

import pytest
from browser_support import axe_violations, chromium_page, menu_link, settle, streamlit_server
from test_ui_roles import ACCOUNTS, build_roles_project

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "axe"
pytestmark = pytest.mark.browser
#: axe checks contrast only for what is inside the viewport: a tall one holds whole pages.
VIEW = {"width": 1400, "height": 4000}


@pytest.fixture(scope="module")
def server(sample_db_file, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("axe")
    path = shutil.copy(sample_db_file, tmp / "sample.db")
    with streamlit_server("app.py", tmp / "streamlit.log", QUALCODE_DB=str(path),
                          QUALCODE_BACKUP_DIR=str(tmp / "backups")) as url:
        yield url


def _open(page, url: str, name: str) -> None:
    page.goto(f"{url}/?page={urllib.parse.quote(name)}")
    page.get_by_test_id("stMainBlockContainer").wait_for()
    page.wait_for_timeout(1000)  # the first run starts after the websocket opens
    settle(page)


def test_the_audit_reports_a_low_contrast_text(server):
    with chromium_page(None, **VIEW) as page:
        _open(page, server, "Home")
        assert axe_violations(page) == []
        page.evaluate("""() => { const p = document.createElement('p');
            p.textContent = 'barely readable'; p.style.color = '#bbbbbb';
            document.querySelector('[data-testid="stMainBlockContainer"]').prepend(p); }""")
        found = axe_violations(page)
        assert len(found) == 1 and found[0].startswith("color-contrast (serious)")


def test_every_page_has_no_serious_accessibility_violation(server):
    from qualcode.ui import PAGES

    SHOTS.mkdir(parents=True, exist_ok=True)
    # Members needs accounts; every other page an owner sees in single-user mode is audited.
    names = [name for name in PAGES if name != "Members"]
    found: dict[str, list[str]] = {}
    with chromium_page(None, **VIEW) as page:
        for name in names:
            _open(page, server, name)
            heading = page.get_by_test_id("stMainBlockContainer").get_by_role("heading").first
            assert heading.is_visible(), f"{name}: nothing rendered"
            if problems := axe_violations(page):
                found[name] = problems
                page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    assert found == {}, "\n".join(f"{name}: {line}" for name, lines in found.items() for line in lines)


def test_login_form_and_members_page_have_no_serious_accessibility_violation(tmp_path):
    """With accounts: the login form a team member meets first, then Members as its owner."""
    path = build_roles_project(tmp_path / "roles.db")
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(path)) as url, \
            chromium_page(url, **VIEW) as page:
        page.get_by_label("Account").wait_for(timeout=120_000)
        settle(page)
        assert axe_violations(page) == []
        page.get_by_label("Account").fill("admin")
        page.get_by_role("textbox", name="Password").fill(ACCOUNTS["admin"][0])
        page.get_by_role("button", name="Log in").click()
        page.get_by_test_id("stSidebar").get_by_text("Signed in as").wait_for()
        settle(page)
        menu_link(page, "Members").click()
        page.get_by_test_id("stMainBlockContainer").get_by_role("heading", name="Members").wait_for()
        assert axe_violations(page) == []
