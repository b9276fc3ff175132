"""The analysis pages with AppTest on a copy of the sample project with seeded codings.

The sample's coders are ana, ben and chen, with no consensus layer: the default coding set is
all three as passages, with the library's note.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import current_page, open_page
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
    open_page(at, page)
    assert not at.exception
    return at


SAMPLE_SET = "Coding set: coders ana, ben, chen \\(as passages\\)"  # md_text escapes the parentheses


@pytest.mark.parametrize("page", PAGES)
def test_every_analysis_page_renders_and_states_the_coding_set(coded_sample, page):
    at = _goto(page)
    assert at.header[0].value == page
    assert SAMPLE_SET in [c.value for c in at.caption]
    assert any(i.value.startswith("No consensus layer yet") for i in at.info)
    assert at.radio(key="an_set_kind").value == "Several coders"
    assert at.multiselect(key="an_set_coders").value == ["ana", "ben", "chen"]


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
    assert list(table.columns[:4]) == ["code", "depth", "role", "passages"]
    assert 0 < table["passages"].sum() <= table["codings"].sum()
    at.radio(key="an_set_kind").set_value("One coder").run()
    at.selectbox(key="an_set_coder").set_value("ben").run()
    assert not at.exception
    assert "Coding set: coder ben" in [c.value for c in at.caption]
    assert not any(i.value.startswith("No consensus layer yet") for i in at.info)  # chosen, not defaulted
    mine = at.dataframe[0].value
    assert (mine["passages"] <= mine["codings"]).all() and mine["codings"].sum() < table["codings"].sum()
    at.radio(key="an_set_kind").set_value("Several coders").run()
    at.multiselect(key="an_set_coders").set_value([]).run()
    assert any("Choose at least one coder" in i.value for i in at.info)


def test_the_note_points_to_the_agreement_page(coded_sample):
    at = _goto("Matrices")
    at.button(key="an_to_agreement").click().run()
    assert not at.exception
    assert current_page(at) == "Agreement"


def test_the_project_is_read_once_per_change_and_files_only_when_asked(coded_sample, monkeypatch):
    from qualcode.analysis import data as data_module
    from qualcode.analysis import excerpts as ex
    from qualcode.project.codings import add_coding
    from qualcode.ui import analysis as ui_analysis

    reads, files = [], []
    real_load = data_module.load
    monkeypatch.setattr(ui_analysis, "load", lambda *a, **k: reads.append(k) or real_load(*a, **k))
    for name in ("to_csv", "to_xlsx", "to_docx", "to_markdown", "to_json"):
        real = getattr(ex, name)
        monkeypatch.setattr(ex, name, lambda *a, _real=real, _name=name, **k: files.append(_name) or _real(*a, **k))
    at = _goto("Excerpts")
    assert len(reads) == 1  # the default set, unfiltered: one read serves the choices and the page
    at.selectbox(key="ex_context").set_value("none").run()
    at.selectbox(key="ex_code").set_value("Barriers").run()
    assert len(reads) == 1 and files == []  # reruns reuse the read; no file is built unasked
    at.radio(key="an_set_kind").set_value("One coder").run()
    assert len(reads) == 2 and reads[-1]["coding_set"].startswith("coder:")
    doc = "p01_program_director_internal_medicine"
    add_coding(coded_sample, doc, "Barriers", "dana", start=200, end=260)  # a change: read again
    at.run()
    assert len(reads) == 4 and files == []  # the unfiltered choices and the chosen set, afresh


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


def test_excerpts_page_lists_passages_with_their_coders(coded_sample):
    import re

    at = _goto("Excerpts")
    table = at.dataframe[0].value
    assert {"excerpt", "context_before", "role", "speaker", "coders", "codings", "key_quote"} <= set(table.columns)
    counts = [re.match(r"(\d+) passages \((\d+) codings\)", c.value) for c in at.caption]
    passages, codings = next(map(int, m.groups()) for m in counts if m)
    assert passages < codings  # ana and ben coded many passages alike: one row each
    assert (table["coders"] == "ana, ben").any()
    at.selectbox(key="ex_code").set_value("Barriers").run()
    assert not at.exception
    assert set(at.dataframe[0].value["code"].str.split("/").str[0]) == {"Barriers"}


def test_excerpts_are_shown_50_a_page_and_exported_whole(coded_sample):
    import re

    from qualcode.ui.analysis import PAGE_ROWS

    at = _goto("Excerpts")
    total = next(int(m.group(1)) for c in at.caption if (m := re.match(r"(\d+) passages", c.value)))
    assert total > 2 * PAGE_ROWS  # the sample with seeded codings: three pages at least
    assert len(at.dataframe[0].value) == PAGE_ROWS
    assert f"Showing 1–50 of {total:,} passages" in [c.value for c in at.caption]
    first = at.dataframe[0].value
    pages = -(-total // PAGE_ROWS)
    at.number_input(key="ex_page").set_value(pages).run()
    assert not at.exception
    last = at.dataframe[0].value
    assert len(last) == total - (pages - 1) * PAGE_ROWS
    assert f"Showing {(pages - 1) * PAGE_ROWS + 1}–{total} of {total:,} passages" in [c.value for c in at.caption]
    assert list(first.index) == list(range(PAGE_ROWS))  # rows of the whole table, by position
    assert list(last.index) == list(range((pages - 1) * PAGE_ROWS, total))
    # a narrower code has fewer pages: the page shown is clamped, never past the end
    at.selectbox(key="ex_code").set_value("Barriers/Financial/Costs borne by trainees").run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert 0 < len(shown) <= PAGE_ROWS  # (the browser journey checks the XLSX holds every passage)


def test_a_code_by_document_heatmap_wider_than_the_limit_is_drawn_only_when_asked(coded_sample, monkeypatch):
    """At 1,000 documents the heatmap is 26,000 px wide: drawn only after its toggle (here the
    limit is lowered to 5 columns for the 12-document sample); the table is there either way."""
    monkeypatch.setattr("qualcode.ui.analysis.DRAWN_COLUMNS", 5)
    at = _goto("Matrices")
    charts_before = len(at.get("plotly_chart"))
    assert at.toggle(key="mx_draw").value is False
    assert at.dataframe[0].value.shape[1] > 5  # the code × document table
    at.toggle(key="mx_draw").set_value(True).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == charts_before + 1
