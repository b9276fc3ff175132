"""Accessibility: axe-core (npm's axe-core, as bundled by the axe-playwright-python wheel) is
injected into every page of the app on the sample project and must report no critical or
serious violation of WCAG 2.1 A/AA. The first test proves the harness sees a real violation."""

from __future__ import annotations

import shutil
import urllib.parse
from pathlib import Path

import pytest
from browser_support import chromium_page, settle, streamlit_server
from test_ui_roles import ACCOUNTS, build_roles_project

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "axe"
pytestmark = pytest.mark.browser
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"critical", "serious"}


def _axe_source() -> str:
    try:
        import axe_playwright_python
    except ImportError:
        import os

        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("axe-playwright-python is not installed (pip install -r requirements-dev.txt)")
        pytest.skip("axe-playwright-python is not installed (pip install -r requirements-dev.txt)")
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def _violations(page, axe: str) -> list[str]:
    """Critical and serious violations on the page, one readable line per element."""
    page.evaluate(axe)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                           " resultTypes: ['violations']})", TAGS)
    return [f"{v['id']} ({v['impact']}): {node['html'][:140]} — {(node.get('failureSummary') or '')[:200]}"
            for v in result["violations"] if v["impact"] in BLOCKING for node in v["nodes"]]


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
    axe = _axe_source()
    with chromium_page(None) as page:
        _open(page, server, "Home")
        assert _violations(page, axe) == []
        page.evaluate("""() => { const p = document.createElement('p');
            p.textContent = 'barely readable'; p.style.color = '#bbbbbb';
            document.querySelector('[data-testid="stMainBlockContainer"]').appendChild(p); }""")
        found = _violations(page, axe)
        assert len(found) == 1 and found[0].startswith("color-contrast (serious)")


def test_every_page_has_no_serious_accessibility_violation(server):
    from qualcode.ui import PAGES

    axe = _axe_source()
    SHOTS.mkdir(parents=True, exist_ok=True)
    # Members needs accounts; every other page an owner sees in single-user mode is audited.
    names = [name for name in PAGES if name != "Members"]
    found: dict[str, list[str]] = {}
    with chromium_page(None) as page:
        for name in names:
            _open(page, server, name)
            heading = page.get_by_test_id("stMainBlockContainer").get_by_role("heading").first
            assert heading.is_visible(), f"{name}: nothing rendered"
            if problems := _violations(page, axe):
                found[name] = problems
                page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    assert found == {}, "\n".join(f"{name}: {line}" for name, lines in found.items() for line in lines)


def test_login_form_and_members_page_have_no_serious_accessibility_violation(tmp_path):
    """With accounts: the login form a team member meets first, then Members as its owner."""
    axe = _axe_source()
    path = build_roles_project(tmp_path / "roles.db")
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(path)) as url, \
            chromium_page(url) as page:
        page.get_by_label("Account").wait_for(timeout=120_000)
        settle(page)
        assert _violations(page, axe) == []
        page.get_by_label("Account").fill("admin")
        page.get_by_role("textbox", name="Password").fill(ACCOUNTS["admin"][0])
        page.get_by_role("button", name="Log in").click()
        page.get_by_test_id("stSidebar").get_by_text("Signed in as").wait_for()
        settle(page)
        page.get_by_test_id("stSidebar").locator("label").filter(has_text="Members").click()
        page.get_by_test_id("stMainBlockContainer").get_by_role("heading", name="Members").wait_for()
        assert _violations(page, axe) == []
