"""The analysis pages in a real browser: `streamlit run app.py` + Playwright + Debian's Chromium.

Journey: a researcher with a coded project reads theme frequencies broken down by role,
downloads the bar chart as PNG, looks at the co-occurrence heatmap, and downloads the coded
excerpts as XLSX. Screenshots go to test-artifacts/browser-analysis/.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from qualcode.analysis.synthetic import code_random_sentences
from qualcode.db import Database
from qualcode.sample import load_sample

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "browser-analysis"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser


def _require_browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "playwright is not installed (pip install -r requirements-dev.txt)"
    else:
        if Path(CHROMIUM).exists():
            return
        reason = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    _require_browser()
    path = tmp_path / "coded.db"
    db = Database(path)
    load_sample(db)
    code_random_sentences(db, seed=5, codings=120)
    db.close()
    port = _free_port()
    env = {**os.environ, "QUALCODE_DB": str(path)}
    log = open(tmp_path / "streamlit.log", "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("streamlit did not start:\n" + (tmp_path / "streamlit.log").read_text())
        time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
        )
        pg = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pg.set_default_timeout(60_000)
        pg.goto(server)
        yield pg
        browser.close()


def _go(page, name):
    page.locator("[data-testid='stSidebar'] label").filter(has_text=name).first.click()
    page.get_by_role("heading", name=name).wait_for()


def test_frequencies_chart_png_and_excerpts_xlsx_downloads(page):
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    page.get_by_role("heading", name="Documents").wait_for(timeout=120_000)

    _go(page, "Frequencies")
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
    expect(page.get_by_text(re.compile(r"^\d+ excerpts$"))).to_be_visible()
    page.screenshot(path=SHOTS / "3-excerpts.png")
    with page.expect_download() as info:
        page.locator(".st-key-ex_xlsx button").click()
    ws = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    rows = list(ws.values)
    assert rows[0][:3] == ("document", "participant", "role") and len(rows) >= 121
