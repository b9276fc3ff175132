"""The Home page in a real browser: the app opens on Home with the study's path, the next
action's button opens its page, a step's button opens its page, and a new coder's name survives
a reload before they coded anything. Screenshots go to test-artifacts/home/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from browser_support import chromium_page, menu, menu_link, settle, streamlit_server

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "home"
pytestmark = pytest.mark.browser


@pytest.fixture
def page(sample_db_file, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = shutil.copy(sample_db_file, tmp_path / "sample.db")
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(path),
                          QUALCODE_BACKUP_DIR=str(tmp_path / "backups")) as url, \
            chromium_page(url, width=1400, height=1750) as pg:
        pg.base_url = url
        yield pg


def _heading(page, name: str):
    return page.get_by_test_id("stMainBlockContainer").get_by_role("heading", name=name, exact=True)


def test_home_shows_the_path_and_its_buttons_open_the_pages(page):
    from playwright.sync_api import expect

    _heading(page, "Home").wait_for(timeout=180_000)
    main = page.get_by_test_id("stMainBlockContainer")
    expect(main.get_by_text("12 documents, 12 participants")).to_be_visible()
    expect(main.get_by_text("46 codes")).to_be_visible()
    expect(main.get_by_text("ana: 12 of 12 documents · 326 codings")).to_be_visible()
    expect(main.get_by_text("chen: 4 of 12 documents · 111 codings")).to_be_visible()
    expect(menu(page).first).to_have_text("Home")
    settle(page)
    page.screenshot(path=SHOTS / "1-home-no-coder.png", full_page=True)

    # a new coder: the name is kept in the URL and comes back after a reload
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Coding as").click()
    page.get_by_role("option", name="New coder…").click()
    name = page.get_by_label("Your coder name")
    name.fill("zoe")
    name.press("Enter")
    expect(main.get_by_text(re.compile(r"you: zoe"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"coder=zoe"))
    settle(page)
    page.reload()
    _heading(page, "Home").wait_for(timeout=60_000)
    expect(page.get_by_label("Your coder name")).to_have_value("zoe")
    expect(main.get_by_text(re.compile(r"you: zoe"))).to_be_visible()
    settle(page)
    page.screenshot(path=SHOTS / "2-home-new-coder-after-reload.png", full_page=True)

    # the next action for an owner with two coders on common documents: Agreement
    expect(main.get_by_text(re.compile("Next: Compare coders on the Agreement page"))).to_be_visible()
    main.get_by_role("button", name="Go to Agreement").click()
    _heading(page, "Agreement").wait_for()
    expect(page).to_have_url(re.compile(r"page=Agreement"))
    settle(page)
    page.screenshot(path=SHOTS / "3-agreement-from-home.png")

    # back to Home; a step's button opens its page
    menu_link(page, "Home").click()
    _heading(page, "Home").wait_for()
    main.get_by_role("button", name="Open Codebook").click()
    _heading(page, "Codebook").wait_for()
    expect(page.get_by_label("Your coder name")).to_have_value("zoe")  # still coding as zoe


def test_a_narrow_window_keeps_the_path_readable(sample_db_file, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = shutil.copy(sample_db_file, tmp_path / "sample.db")
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(path),
                          QUALCODE_BACKUP_DIR=str(tmp_path / "backups")) as url, \
            chromium_page(f"{url}/?coder=ana", width=900, height=1100) as pg:
        _heading(pg, "Home").wait_for(timeout=180_000)
        pg.get_by_text("ana: 12 of 12 documents · 326 codings").wait_for()
        pg.get_by_role("button", name="Open Excerpts").wait_for()
        settle(pg)
        # no button label is cut off: each fits its own width
        clipped = pg.evaluate("""[...document.querySelectorAll(
            '[data-testid="stMainBlockContainer"] button')].filter(
            (b) => [b, ...b.querySelectorAll('*')].some((e) => e.scrollWidth > e.clientWidth + 1))
            .map((b) => b.textContent)""")
        assert clipped == []
        pg.screenshot(path=SHOTS / "4-home-narrow-as-ana.png", full_page=True)


def test_the_codebook_editor_stays_on_the_edit_tab_after_save(page):
    from playwright.sync_api import expect

    _heading(page, "Home").wait_for(timeout=180_000)
    settle(page)
    page.goto(f"{page.base_url}/?page=Codebook&coder=ana")
    _heading(page, "Codebook").wait_for(timeout=180_000)
    # The first run must finish before the tab click's rerun: one started while the sidebar's
    # coder box was still on its way to the browser could be sent without the name.
    settle(page)
    coder = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Coding as")
    expect(coder).to_have_value("ana", timeout=30_000)
    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_text("Edit the codebook").click()
    tab = main.get_by_role("tab", name="Edit a code")
    tab.click()
    settle(page)
    expect(tab).to_have_attribute("aria-selected", "true")
    definition = main.get_by_label("Definition", exact=True).last
    definition.fill("Anything that stood in the way.")
    main.get_by_role("button", name="Save").click()
    expect(main.get_by_text("Barriers saved.")).to_be_visible()
    settle(page)
    expect(main.get_by_role("tab", name="Edit a code")).to_have_attribute("aria-selected", "true")
    expect(definition).to_have_value("Anything that stood in the way.")
    expect(coder).to_have_value("ana", timeout=30_000)
    main.get_by_text("Barriers saved.").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "5-codebook-after-save.png")
