"""The Themes page with AppTest, on the hand-built project of ``test_analysis_themes``."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import open_page
from streamlit.testing.v1 import AppTest
from test_analysis_themes import TEXT, build_project

from qualcode.analysis.synthetic import build
from qualcode.store.db import Database

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def hand(tmp_path, monkeypatch):
    path = tmp_path / "themes.db"
    db = Database(path)
    build_project(db)
    db.close()
    monkeypatch.setenv("QUALCODE_DB", str(path))
    monkeypatch.delenv("QUALCODE_USER", raising=False)
    return path


def _themes_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    open_page(at, "Themes")
    assert not at.exception, at.exception
    return at


def test_table_by_role_at_depth_one_with_sizes_in_the_header(hand, monkeypatch):
    from qualcode.analysis import theme_chart, theme_report

    built = []
    monkeypatch.setattr(theme_report, "render", lambda *a, **k: built.append(a) or b"")
    monkeypatch.setattr(theme_chart, "image", lambda *a, **k: built.append(a) or b"")
    at = _themes_page()
    assert at.header[0].value == "Themes"
    assert at.selectbox(key="th_by").value == "attribute:role" and at.selectbox(key="th_depth").value == 1
    table = at.dataframe[0].value
    assert list(table.columns) == ["theme", "faculty (n = 2)", "IMG (n = 1)", "(none) (n = 2)", "Total (n = 5)"]
    assert table.iloc[1].tolist() == ["Barriers/Visa", "1 (50%)", "1 (100%)", "1 (50%)", "3 (60%)"]
    captions = " ".join(c.value for c in at.caption)
    assert "Coding set: coders ana, ben \\(as passages\\)" in captions
    assert "1 document has no participant" in captions
    assert any("No consensus layer yet" in i.value for i in at.info)  # the default set's note
    assert len(at.get("plotly_chart")) == 1
    assert len(at.get("download_button")) == 7  # DOCX, MD, XLSX, CSV, JSON, PNG, SVG
    assert built == []  # no file is built until its button is clicked


def test_document_groups_levels_and_the_coding_set(hand):
    at = _themes_page()
    at.selectbox(key="th_by").set_value("group").run()
    assert not at.exception
    assert list(at.dataframe[0].value.columns)[1:] == ["Wave 1 (n = 2)", "Wave 2 (n = 2)", "(none) (n = 2)",
                                                       "Total (n = 5)"]
    at.selectbox(key="th_by").set_value("attribute:role").run()
    at.radio(key="th_rows").set_value("Codebook levels").run()
    assert not at.exception
    assert at.dataframe[0].value["theme"].tolist() == ["Barriers · Institutional", "Barriers · Immigration",
                                                        "Enablers · Institutional"]
    at.checkbox(key="th_branch").uncheck().run()
    assert at.dataframe[0].value["theme"].tolist() == ["Institutional", "Immigration"]
    at.radio(key="an_set_kind").set_value("One coder").run()
    at.selectbox(key="an_set_coder").set_value("ana").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns)[-1] == "Total (n = 4)"
    assert any("Only the 4 of 7 documents" in c.value for c in at.caption)


def test_depth_zero(hand):
    at = _themes_page()
    at.selectbox(key="th_depth").set_value(0).run()
    assert at.dataframe[0].value.iloc[:, 0].tolist() == ["Barriers", "Enablers", "Recommendations"]


def test_a_project_without_attributes_or_groups_says_what_to_do(tmp_path, monkeypatch):
    path = tmp_path / "bare.db"
    db = Database(path)
    build(db, documents={"d1": {"text": TEXT}}, codes=["Barriers/Visa"], codings=[("d1", "Barriers/Visa", "ana", 0, 4)])
    db.close()
    monkeypatch.setenv("QUALCODE_DB", str(path))
    at = _themes_page()
    assert any("No participant attributes or document groups yet" in i.value for i in at.info)
