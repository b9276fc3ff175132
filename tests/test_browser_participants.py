"""The stakeholder grouping built in a real browser: `streamlit run app.py` + Playwright + Debian's
Chromium, on a copy of the sample project.

The researcher opens Participants, names the new attribute, types a group beside each role,
saves, and sees the groups with their sizes on the page and in the participants table; Undo
takes the grouping back and Redo restores it, and the database holds exactly the mapping typed.
Then, on the Themes page, the researcher groups participants by the new attribute and downloads
the theme × group table as DOCX, whose header carries the group sizes just built. Screenshots go
to test-artifacts/participants/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_support import chromium_page, menu_link, settle, streamlit_server
from test_attribute_groups import STAKEHOLDERS

from qualcode.project import attribute_groups as ag
from qualcode.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "participants"
#: role → how many sample participants have it (the labels of the boxes say so)
COUNTS = {"program director": 2, "designated institutional official": 1, "faculty": 2,
          "GME administrator": 2, "program coordinator": 2, "visiting medical student": 1, "IMG": 2}
pytestmark = pytest.mark.browser


def _groupings(path: Path) -> list[dict]:
    db = Database(path)
    try:
        return ag.list_groupings(db)
    finally:
        db.close()


@pytest.fixture
def app(sample_db_file, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = Path(shutil.copy(sample_db_file, tmp_path / "sample.db"))
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(path)) as url, \
            chromium_page(url, accept_downloads=True, width=1500, height=1100) as page:
        yield page, path


def test_build_the_stakeholder_grouping_in_the_browser(app):
    from playwright.sync_api import expect

    page, path = app
    page.get_by_role("heading", name="Home").wait_for(timeout=120_000)
    settle(page)
    menu_link(page, "Participants").click()
    page.get_by_role("heading", name="Participants").wait_for()
    expect(page.get_by_role("heading", name="Group values into a new attribute")).to_be_visible()
    page.get_by_label("Name of the new attribute").fill("stakeholder group")
    page.get_by_label("Name of the new attribute").press("Enter")
    for role, group in STAKEHOLDERS.items():
        n = COUNTS[role]
        box = page.get_by_label(f"{role} · {n} participant{'s' if n != 1 else ''}", exact=True)
        box.fill(group)
        box.press("Enter")
    page.screenshot(path=SHOTS / "participants-1-form.png", full_page=True)
    page.get_by_role("button", name="Save grouping").click()
    expect(page.get_by_text("Made 'stakeholder group' from role")).to_be_visible(timeout=60_000)
    [saved] = _groupings(path)
    assert (saved["name"], saved["mapping"]) == ("stakeholder group", STAKEHOLDERS)
    assert [(g["name"], g["participants"]) for g in saved["groups"]] == [
        ("Leadership and faculty", 5), ("Administrators and coordinators", 4), ("Trainees", 3)]
    page.get_by_role("button", name="Save grouping").scroll_into_view_if_needed()  # the message is by it
    page.screenshot(path=SHOTS / "participants-2-saved.png", full_page=True)
    heading = page.get_by_text("stakeholder group ← role (12 participants)")
    expect(heading).to_be_visible()
    page.get_by_role("heading", name="Groupings").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "participants-3-groupings.png", full_page=True)

    page.get_by_role("button", name="Undo: group role into stakeholder group").click()
    expect(page.get_by_text("Undid: group role into stakeholder group.")).to_be_visible(timeout=60_000)
    assert _groupings(path) == []
    page.get_by_role("button", name="Redo: group role into stakeholder group").click()
    expect(page.get_by_text("Redid: group role into stakeholder group.")).to_be_visible(timeout=60_000)
    assert _groupings(path)[0]["mapping"] == STAKEHOLDERS
    page.screenshot(path=SHOTS / "participants-4-redone.png", full_page=True)

    # the rest of the journey: the theme × group table on the grouping just built, as DOCX
    from docx import Document

    menu_link(page, "Themes").click()
    page.get_by_role("heading", name="Themes").wait_for()
    page.get_by_test_id("stSelectbox").filter(has_text="Columns: participants grouped by").click()
    page.get_by_role("option", name="stakeholder group").click()
    page.locator(".st-key-th_docx button").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=SHOTS / "participants-5-themes.png", full_page=True)
    with page.expect_download(timeout=120_000) as info:
        page.locator(".st-key-th_docx button").click()
    table = Document(info.value.path()).tables[0]
    assert [c.text for c in table.rows[0].cells] == [
        "Theme", "Administrators and coordinators (n = 4)", "Leadership and faculty (n = 5)",
        "Trainees (n = 3)", "Total (n = 12)"]
    assert len(table.rows) > 2
