"""The analysis pages in a real browser: `streamlit run app.py` + Playwright + Debian's Chromium.

Journey: a researcher with a coded project reads theme frequencies broken down by role (on the
default coding set, which the page names), downloads the bar chart as PNG, looks at the
co-occurrence heatmap, switches the coding set to one coder, and downloads the coded excerpts —
one row per passage — as XLSX, whose About sheet names the set. Screenshots go to
test-artifacts/browser-analysis/.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from browser_support import chromium_page, streamlit_server

from qualcode.analysis.synthetic import code_random_sentences
from qualcode.store.db import Database
from qualcode.project.sample import load_sample

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "browser-analysis"
pytestmark = pytest.mark.browser


@pytest.fixture
def page(tmp_path):
    path = tmp_path / "coded.db"
    db = Database(path)
    load_sample(db)
    code_random_sentences(db, seed=5, codings=120)
    db.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(path)) as url, \
            chromium_page(url, accept_downloads=True) as pg:
        yield pg


def _go(page, name):
    page.locator("[data-testid='stSidebar'] label").filter(has_text=name).first.click()
    page.get_by_role("heading", name=name).wait_for()


def test_frequencies_chart_png_and_excerpts_xlsx_downloads(page):
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    page.get_by_role("heading", name="Documents").wait_for(timeout=120_000)

    _go(page, "Frequencies")
    expect(page.get_by_text("Coding set: coders ana, ben, chen (as passages)")).to_be_visible()
    expect(page.get_by_text("No consensus layer yet").first).to_be_visible()
    page.get_by_test_id("stSelectbox").filter(has_text="Break down by").click()
    page.get_by_role("option", name="attribute:role").click()
    page.locator(".js-plotly-plot").first.wait_for()
    expect(page.get_by_text("Words coded count the union of coded text")).to_be_visible()
    page.wait_for_timeout(1000)
    page.screenshot(path=SHOTS / "1-frequencies.png", full_page=True)
    with page.expect_download(timeout=120_000) as info:
        page.locator(".st-key-freq_png button").click()
    png = Path(info.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and info.value.suggested_filename == "frequencies.png"

    _go(page, "Co-occurrence")
    expect(page.get_by_text("Unit: overlap; measure: count")).to_be_visible()
    page.locator(".st-key-co_csv").wait_for()  # the last element: the page has finished
    page.locator(".js-plotly-plot").first.wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=SHOTS / "2-cooccurrence.png", full_page=True)

    _go(page, "Excerpts")
    page.locator("[data-testid='stSidebar'] label").filter(has_text="One coder").first.click()
    expect(page.get_by_text("Coding set: coder ana")).to_be_visible()
    count = page.get_by_text(re.compile(r"^\d+ passages \(\d+ codings\)"))
    expect(count).to_be_visible()
    passages = int(count.inner_text().split()[0])
    page.screenshot(path=SHOTS / "3-excerpts.png")
    with page.expect_download() as info:
        page.locator(".st-key-ex_xlsx button").click()
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    rows = list(book.active.values)
    assert rows[0][:3] == ("document", "participant", "role") and len(rows) == 1 + passages
    coders = rows[0].index("coders")
    assert {r[coders] for r in rows[1:]} == {"ana"}
    assert ("set", "coder ana") in list(book["About"].values)
