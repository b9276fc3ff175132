"""The analysis pages in a real browser: `streamlit run app.py` + Playwright + Debian's Chromium.

Journey: a researcher with a coded project reads theme frequencies broken down by role (on the
default coding set, which the page names), saves the bar chart as PNG with the chart's own camera
button (drawn by the browser, no server Chromium), looks at the co-occurrence heatmap, switches
the coding set to one coder, pages through the coded excerpts (50 a page) and downloads them all —
one row per passage — as XLSX, whose About sheet names the set. A second journey opens the
Barriers × Enablers cross matrix and checks every row and column is labelled and nothing is cut
off, on screen and in the browser's PNG. Screenshots go to test-artifacts/browser-analysis/.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from browser_support import chromium_page, menu_link, settle, streamlit_server

from qualcode.analysis.synthetic import code_random_sentences
from qualcode.project.sample import load_sample
from qualcode.store.db import Database

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


def _start(page):
    """Wait for the app's first page and its sidebar (whatever the first page is)."""
    page.locator("[data-testid='stSidebar']").get_by_text("Co-occurrence", exact=True).first.wait_for(
        timeout=120_000)


def _go(page, name):
    menu_link(page, name).click()
    page.get_by_role("heading", name=name).wait_for()


def _camera(page, chart):
    """Click the chart's modebar camera ("Download plot as a png"); the browser's download."""
    chart.locator(".js-plotly-plot").first.hover()
    with page.expect_download(timeout=60_000) as info:
        chart.locator(".modebar-btn[data-title^='Download plot']").first.click()
    return info.value


def test_frequencies_chart_png_and_excerpts_xlsx_downloads(page):
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    _start(page)

    _go(page, "Frequencies")
    expect(page.get_by_text("Coding set: coders ana, ben, chen (as passages)")).to_be_visible()
    expect(page.get_by_text("No consensus layer yet").first).to_be_visible()
    page.get_by_test_id("stSelectbox").filter(has_text="Break down by").click()
    page.get_by_role("option", name="attribute:role").click()
    page.locator(".js-plotly-plot").first.wait_for()
    expect(page.get_by_text("Words coded count the union of coded text")).to_be_visible()
    page.wait_for_timeout(1000)
    page.screenshot(path=SHOTS / "1-frequencies.png", full_page=True)
    png = _camera(page, page.locator(".st-key-freq_chart"))
    assert png.suggested_filename == "frequencies.png"
    assert Path(png.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    _go(page, "Co-occurrence")
    expect(page.get_by_text("Unit: overlap; measure: count")).to_be_visible()
    page.locator(".st-key-co_csv").wait_for()  # the last element: the page has finished
    page.locator(".js-plotly-plot").first.wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=SHOTS / "2-cooccurrence.png", full_page=True)

    _go(page, "Excerpts")
    page.locator("[data-testid='stSidebar'] label").filter(has_text="One coder").first.click()
    expect(page.get_by_text("Coding set: coder ana")).to_be_visible()
    settle(page)  # the previous run's count (all coders) fades out only when this run ends
    count = page.get_by_text(re.compile(r"^\d+ passages \(\d+ codings\)"))
    expect(count).to_be_visible()
    passages = int(count.inner_text().split()[0])
    shown = page.get_by_text(re.compile(r"^Showing 1–\d+ of [\d,]+ passages"))
    expect(shown).to_be_visible()
    assert shown.inner_text() == f"Showing 1–{min(passages, 50)} of {passages:,} passages"
    page.screenshot(path=SHOTS / "3-excerpts.png")
    with page.expect_download() as info:
        page.locator(".st-key-ex_xlsx button").click()
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    rows = list(book.active.values)
    assert rows[0][:3] == ("document", "participant", "role") and len(rows) == 1 + passages
    coders = rows[0].index("coders")
    assert {r[coders] for r in rows[1:]} == {"ana"}
    assert ("set", "coder ana") in list(book["About"].values)


def test_cross_matrix_labels_every_row_on_screen_and_in_the_png(page):
    """Co-occurrence with rows Barriers × columns Enablers: each of the rows and columns has its
    label in the DOM and inside the figure, and the browser-made PNG has a clear left edge."""
    import numpy as np
    from PIL import Image
    from playwright.sync_api import expect

    _start(page)
    _go(page, "Co-occurrence")
    page.locator(".st-key-co_csv").wait_for()  # the last element: the page has finished
    page.get_by_text("Cross matrix: rows from one branch").click()
    expect(page.locator(".st-key-co_rows")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("combobox", name="Rows")).to_have_value("Barriers")
    expect(page.get_by_role("combobox", name="Columns")).to_have_value("Enablers")
    chart = page.locator(".st-key-coheat_chart")
    chart.locator(".js-plotly-plot").wait_for()
    page.locator(".st-key-co_csv").wait_for()
    page.wait_for_timeout(1500)
    rows = page.evaluate("""() => {
        const plot = document.querySelector('.st-key-coheat_chart .js-plotly-plot');
        const trace = plot.data[0];
        return {rows: trace.y.length, columns: trace.x.length};
    }""")
    assert rows["rows"] >= 15 and rows["columns"] >= 10  # the sample's Barriers and Enablers branches
    assert chart.locator(".ytick text").count() == rows["rows"]  # every row labelled
    assert chart.locator(".xtick text").count() == rows["columns"]
    # every label lies inside the chart (not cut off at its left, right or bottom)
    frame = chart.locator(".main-svg").first.bounding_box()
    for selector in (".ytick text", ".xtick text"):
        for box in chart.locator(selector).evaluate_all("els => els.map(e => e.getBBox && e.getBoundingClientRect())"):
            assert box["left"] >= frame["x"] - 0.5 and box["right"] <= frame["x"] + frame["width"] + 0.5
            assert box["bottom"] <= frame["y"] + frame["height"] + 0.5
    # rows at least 18 px apart
    ys = sorted(b["top"] for b in chart.locator(".ytick text").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect())"))
    assert min(np.diff(ys)) >= 18
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=SHOTS / "4-cross-matrix-heatmap.png")
    page.screenshot(path=SHOTS / "4-cross-matrix-page.png", full_page=True)
    png = _camera(page, chart)
    assert png.suggested_filename == "cooccurrence-heatmap.png"
    saved = SHOTS / "5-cross-matrix-camera.png"
    png.save_as(saved)
    pixels = np.asarray(Image.open(saved).convert("RGB")).astype(int)
    ink = (pixels < 200).any(axis=2)
    assert not ink[:, :6].any() and not ink[:, -6:].any() and not ink[-6:, :].any()
    # the camera saves SVG when asked, still drawn by the browser
    page.locator(".st-key-coheat_imgfmt").get_by_text("SVG", exact=True).click()
    page.wait_for_timeout(1500)
    svg = _camera(page, page.locator(".st-key-coheat_chart"))
    assert svg.suggested_filename == "cooccurrence-heatmap.svg"
    text = Path(svg.path()).read_text()
    assert text.lstrip().startswith("<svg") and "Barriers/Institutional/Liability and malpractice" in text
    page.screenshot(path=SHOTS / "6-cross-matrix-svg-choice.png")
