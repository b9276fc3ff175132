"""The Agreement journey in a real browser: `streamlit run app.py` + Playwright + Debian's Chromium.

A team lead opens the Agreement page of a project two coders have coded, reads the table per
code, opens the disagreement on one code, sees both coders' spans side by side, accepts one
coder's version, and the consensus coding is in the database. Screenshots go to
test-artifacts/browser-agreement/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import chromium_page, menu_link, settle, streamlit_server
from test_agreement_units import VISA, build_project

from qualcode.project.codings import list_codings
from qualcode.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "browser-agreement"
pytestmark = pytest.mark.browser


@pytest.fixture
def project_file(tmp_path):
    path = tmp_path / "two-coders.db"
    db = Database(path)
    build_project(db)
    db.close()
    return path


@pytest.fixture
def page(project_file, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(project_file)) as url, \
            chromium_page(url, height=1400) as pg:
        yield pg


def test_open_a_disagreement_and_adjudicate_it_into_the_consensus_coder(page, project_file):
    from playwright.sync_api import expect

    page.get_by_role("heading", name="Home").wait_for(timeout=120_000)
    settle(page)  # a click while the first run is still going can be lost
    menu_link(page, "Agreement").click()
    page.get_by_role("heading", name="Agreement", exact=True).wait_for()

    # The table per code, with the thresholds and the unit stated
    expect(page.get_by_text("ana and ben: 7 of 10 sentence units comparable (rated by both), in 1 "
                            "of 2 documents (int01)", exact=False)).to_be_visible()
    expect(page.get_by_text("alpha ≥ 0.800 reliable", exact=False)).to_be_visible()
    page.locator("[data-testid='stDataFrame'] canvas").first.wait_for()
    page.wait_for_timeout(1000)  # the grid paints its canvas just after it is attached
    page.screenshot(path=SHOTS / "1-table.png", full_page=True)

    # Open the disagreement on Immigration and visa
    code_box = page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_text("Code", exact=True))
    code_box.click()
    page.get_by_role("option", name=VISA).click()
    expect(page.get_by_role("combobox", name="Passage")).to_have_value(
        "int01 44–67: It took months. The fee")
    side_by_side = page.locator("table.qc-sbs")
    expect(side_by_side.locator("th")).to_have_text(["ana", "ben", "consensus"])
    expect(side_by_side.locator("td").nth(0).locator("mark")).to_have_text("It took months.")
    expect(side_by_side.locator("td").nth(1).locator("mark")).to_have_text("It took months. The fee")
    expect(side_by_side.locator("td").nth(2).locator("mark")).to_have_count(0)
    side_by_side.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "2-disagreement.png", full_page=True)

    # Adjudicate: ben's version becomes the consensus
    page.get_by_role("button", name="Accept ben").click()
    expect(page.get_by_text("Consensus for int01 44–67: ben", exact=False)).to_be_visible()
    expect(page.locator("table.qc-sbs td.qc-consensus mark")).to_have_text("It took months. The fee")
    page.screenshot(path=SHOTS / "3-adjudicated.png", full_page=True)

    db = Database(project_file)
    try:
        consensus = [(r.document, r.code, r.start, r.end, r.quote)
                     for r in list_codings(db, coder="consensus")]
        ben = [r.quote for r in list_codings(db, coder="ben", code=VISA)]
    finally:
        db.close()
    assert consensus == [("int01", VISA, 44, 67, "It took months. The fee")]
    assert ben == ["It took months. The fee"]  # the coder's own coding is untouched


@pytest.fixture
def three_coders_page(tmp_path):
    """The Agreement page of the two-interview project coded by ana, ben (int01 only) and cleo."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "three-coders.db"
    db = Database(path)
    build_project(db, cleo=True)
    db.close()
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(path)) as url, \
            chromium_page(url, height=1600) as pg:
        pg.get_by_role("heading", name="Home").wait_for(timeout=120_000)
        settle(pg)
        menu_link(pg, "Agreement").click()
        pg.get_by_role("heading", name="Agreement", exact=True).wait_for()
        yield pg


def _methods_box(page):
    box = page.get_by_label("Ready to paste")
    box.scroll_into_view_if_needed()
    return box


def test_the_methods_paragraph_follows_the_unit_and_the_coders(three_coders_page):
    """The "ready to paste" paragraph describes the current settings after every change: unit
    sentence → turn, then ben dropped from the coders."""
    from playwright.sync_api import expect

    page = three_coders_page
    box = _methods_box(page)
    expect(box).to_have_value(re.compile(r"^Three coders \(ana, ben, and cleo\) coded independently"))
    expect(box).to_have_value(re.compile(r"Agreement was assessed per sentence"))
    expect(page.get_by_text("ana, ben, and cleo: 7 of 10 sentence units comparable", exact=False)) \
        .to_be_visible()
    page.screenshot(path=SHOTS / "4-methods-sentence.png", full_page=True)

    # Unit: sentence -> turn
    page.get_by_test_id("stSelectbox").filter(has=page.get_by_text("Unit", exact=True)).click()
    page.get_by_role("option", name="turn", exact=True).click()
    box = _methods_box(page)
    expect(box).to_have_value(re.compile(r"Agreement was assessed per speaker turn"))
    expect(box).not_to_have_value(re.compile(r"per sentence"))
    expect(box).to_have_value(re.compile(r"^Three coders \(ana, ben, and cleo\)"))
    expect(page.get_by_text("ana, ben, and cleo: 4 of 6 turn units comparable", exact=False)) \
        .to_be_visible()
    page.screenshot(path=SHOTS / "5-methods-turn.png", full_page=True)

    # Coders: drop ben, leaving ana and cleo (who both coded both interviews)
    coders = page.get_by_test_id("stMultiSelect").filter(has=page.get_by_text("Coders", exact=True))
    coders.get_by_role("button", name="Remove ben").click()
    box = _methods_box(page)
    expect(box).to_have_value(re.compile(r"^Two coders \(ana and cleo\) coded independently"))
    expect(box).to_have_value(re.compile(r"per speaker turn"))
    expect(box).to_have_value(re.compile(r"Cohen's \(1960\) kappa"))
    expect(box).not_to_have_value(re.compile(r"\bben\b"))
    expect(page.get_by_text("ana and cleo: 6 of 6 turn units comparable", exact=False)).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=SHOTS / "6-methods-two-coders.png", full_page=True)
