"""The Interchange page with AppTest, against a copy of the sample project."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from app_support import open_page
from conftest import shared_fixture
from streamlit.testing.v1 import AppTest

from qualcode.guards import md_text

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def app_page(sample_db, monkeypatch):
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    open_page(at, "Interchange")
    assert not at.exception
    return at


def test_export_buttons_offer_a_qdpx_and_a_qdc(app_page):
    at = app_page
    at.button(key="build_qdpx").click().run()
    assert not at.exception
    data = at.session_state["qdpx_bytes"]
    assert "project.qde" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    at.button(key="build_qdc").click().run()
    assert not at.exception
    assert at.session_state["qdc_bytes"].startswith(b'<?xml version="1.0" encoding="utf-8"?>')


def test_importing_a_file_by_path_shows_the_report(app_page):
    at = app_page
    at.text_input(key="interchange_path").set_value(
        str(shared_fixture("refi/samples/qc132_qualitative-coding_demo.qdpx"))).run()
    at.button(key="interchange_import").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Documents": "2", "Codes": "262", "Codings": "205", "Memos": "0"}
    notes = [t.value for t in at.text]
    assert any("has no internal:// scheme" in n for n in notes)


def test_a_hostile_file_shows_the_refusal(app_page, tmp_path):
    at = app_page
    bomb = tmp_path / "bomb.qde"
    bomb.write_bytes(b'<!DOCTYPE p [<!ENTITY a "aaaa">]><Project xmlns="urn:QDA-XML:project:1.0" name="&a;"/>')
    at.text_input(key="interchange_path").set_value(str(bomb)).run()
    at.button(key="interchange_import").click().run()
    assert not at.exception
    # Errors go through the one Markdown escaping helper (a file name is user text).
    assert any(md_text("refused: the XML declares a DTD or entities") in e.value for e in at.error)


# -- the journey in a real browser (a first run on the sample project, as tests/test_browser.py) ---

from browser_support import ROOT, chromium_page, menu_link, streamlit_server  # noqa: E402

SHOTS = ROOT / "test-artifacts" / "browser"


@pytest.fixture
def browser_page(tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server("app.py", tmp_path / "streamlit.log",
                          QUALCODE_DB=str(tmp_path / "first-run.db")) as url, chromium_page(url) as pg:
        yield pg


@pytest.mark.browser
def test_browser_upload_a_qdpx_see_the_report_and_download_an_export(browser_page, tmp_path):
    from playwright.sync_api import expect

    pg = browser_page
    pg.get_by_role("heading", name="Home").wait_for(timeout=180_000)
    menu_link(pg, "Interchange").click()
    pg.get_by_role("heading", name="Interchange").wait_for()
    sample = shared_fixture("refi/samples/qc132_qualitative-coding_demo.qdpx")
    pg.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(files=[
        {"name": sample.name, "mimeType": "application/zip", "buffer": sample.read_bytes()}])
    expect(pg.get_by_role("button", name=f"Remove {sample.name}")).to_be_visible()
    pg.get_by_role("button", name="Import", exact=True).click()
    expect(pg.get_by_text(f"Imported {sample.name}")).to_be_visible(timeout=120_000)
    expect(pg.get_by_test_id("stMetricValue").filter(has_text="205")).to_be_visible()
    pg.screenshot(path=SHOTS / "interchange-1-import.png", full_page=True)
    pg.get_by_role("button", name="Prepare project (.qdpx)").click()
    with pg.expect_download(timeout=120_000) as download:
        pg.get_by_role("button", name="Download project.qdpx").click()
    target = tmp_path / "export.qdpx"
    download.value.save_as(target)
    names = zipfile.ZipFile(target).namelist()
    assert "project.qde" in names and sum(n.startswith("sources/") for n in names) == 12 + 2
    pg.screenshot(path=SHOTS / "interchange-2-export.png", full_page=True)
