"""The analysis pages with AppTest on a copy of the sample project with seeded codings."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.analysis.synthetic import code_random_sentences

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["Frequencies", "Co-occurrence", "Matrices", "Query", "Excerpts"]


@pytest.fixture
def coded_sample(sample_db, monkeypatch):
    code_random_sentences(sample_db, seed=3, codings=80)
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    return sample_db


def _goto(page):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    at.radio(key="page").set_value(page).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_analysis_page_renders(coded_sample, page):
    at = _goto(page)
    assert at.header[0].value == page


@pytest.mark.parametrize("page", PAGES)
def test_every_analysis_page_copes_with_no_codings(sample_db, monkeypatch, page):
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    at = _goto(page)
    assert at.header[0].value == page


def test_frequencies_by_attribute_and_coder_filter(coded_sample):
    at = _goto("Frequencies")
    at.selectbox(key="freq_by").set_value("attribute:role").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns[:3]) == ["code", "depth", "role"] and table["codings"].sum() > 0
    at.multiselect(key="an_coders").set_value(["ana"]).run()
    assert not at.exception
    assert any(c.value == "Coders: ana" for c in at.caption)


def test_cooccurrence_options(coded_sample):
    at = _goto("Co-occurrence")
    at.selectbox(key="co_unit").set_value("turn").run()
    at.selectbox(key="co_measure").set_value("jaccard").run()
    at.checkbox(key="co_cluster").check().run()
    at.checkbox(key="co_cross").check().run()
    assert not at.exception
    matrix = at.dataframe[0].value
    assert all(p.startswith("Barriers") for p in matrix.index)
    assert all(p.startswith("Enablers") for p in matrix.columns)


def test_query_search_autocode_and_undo(coded_sample):
    at = _goto("Query")
    at.text_input(key="q_text").set_value("visa").run()
    assert not at.exception
    hits = at.dataframe[0].value
    assert len(hits) > 0 and set(hits["match"].str.lower()) == {"visa"}
    at.button(key="q_apply").click().run()
    assert not at.exception
    assert any("Created" in s.value for s in at.success)
    at.button(key="q_undo").click().run()
    assert not at.exception
    assert any("Removed" in s.value for s in at.success)


def test_excerpts_page_lists_codings(coded_sample):
    at = _goto("Excerpts")
    table = at.dataframe[0].value
    assert len(table) >= 80 and {"excerpt", "context_before", "role", "speaker"} <= set(table.columns)
    at.selectbox(key="ex_code").set_value("Barriers").run()
    assert not at.exception
    assert set(at.dataframe[0].value["code"].str.split("/").str[0]) == {"Barriers"}
