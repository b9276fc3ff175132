"""The real app in a real browser: `streamlit run app.py` driven by Playwright in Debian's Chromium.

Journey: a new user starts the app on an empty folder; the sample project is created on first
run; they read the document list, a transcript with speakers and timestamps, the codebook, and
import a file by upload. Screenshots of each step go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import chromium_page, menu_link, streamlit_server

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "browser"
pytestmark = pytest.mark.browser


@pytest.fixture
def page(tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server("app.py", tmp_path / "streamlit.log",
                          QUALCODE_DB=str(tmp_path / "first-run.db")) as url, chromium_page(url) as pg:
        yield pg


def _go(page, name):
    menu_link(page, name).click()
    page.get_by_role("heading", name=name if name != "Import" else "Import transcripts").wait_for()


def test_first_run_opens_on_the_sample_project_and_every_page_works(page):
    from playwright.sync_api import expect

    # Documents: the sample project was created on first start (the app opens on Home)
    page.get_by_role("heading", name="Home").wait_for(timeout=180_000)
    _go(page, "Documents")
    # (the Documents caption, not Home's "12 documents, 12 participants" while it is replaced)
    expect(page.get_by_text(re.compile(r"^12 documents, [\d,]+ words$"))).to_be_visible(timeout=60_000)
    page.locator("[data-testid='stDataFrame'] canvas").first.wait_for()
    page.wait_for_timeout(1000)  # the grid paints its canvas just after it is attached
    page.screenshot(path=SHOTS / "1-documents.png", full_page=True)

    # Transcript: speakers and timestamps of a WebVTT interview
    _go(page, "Transcript")
    page.get_by_test_id("stMainBlockContainer").get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="p04_gme_administrator_community").click()
    expect(page.locator(".qc-speaker").filter(has_text="Marisol Vega").first).to_be_visible()
    expect(page.locator(".qc-time").first).to_have_text("00:00:01")
    page.screenshot(path=SHOTS / "2-transcript.png")

    # Codebook with definitions
    _go(page, "Codebook")
    expect(page.get_by_text("Special permits for hands-on care", exact=True)).to_be_visible()
    page.screenshot(path=SHOTS / "3-codebook.png")

    # Import by upload, with per-file results; the markup in it stays text
    _go(page, "Import")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(files=[
        {"name": "upload.txt", "mimeType": "text/plain",
         "buffer": "Interviewer: Ready?\nP42: <script>alert('x')</script> Ready, sí.\n".encode()},
    ])
    expect(page.get_by_text("upload.txt")).to_be_visible()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("1 imported, 0 skipped, 0 failed")).to_be_visible()
    page.screenshot(path=SHOTS / "4-import.png")

    _go(page, "Transcript")
    page.get_by_test_id("stMainBlockContainer").get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="upload").click()
    expect(page.locator(".qc-text").filter(has_text="<script>alert('x')</script> Ready, sí.")).to_be_visible()
    page.screenshot(path=SHOTS / "5-uploaded-transcript.png")
