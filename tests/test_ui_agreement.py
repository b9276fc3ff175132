"""The Agreement page with AppTest, on a real SQLite project with known codings."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.guards import md_text
from test_agreement_units import FIN, STIPEND, VISA, build_project

from qualcode.agreement.adjudication import Passage
from qualcode.project.codings import list_codings
from qualcode.store.db import Database
from qualcode.ui.agreement import side_by_side_html

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def project_file(tmp_path):
    path = tmp_path / "agreement.db"
    db = Database(path)
    build_project(db)
    db.close()
    return path


def _agreement_page(path, monkeypatch):
    monkeypatch.setenv("QUALCODE_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    at.radio(key="page").set_value("Agreement").run()
    assert not at.exception
    return at


def test_the_page_shows_the_table_with_thresholds_ci_and_breakdown(project_file, monkeypatch):
    at = _agreement_page(project_file, monkeypatch)
    assert at.multiselect(key="agr_coders").value == ["ana", "ben"]
    table = at.dataframe[0].value
    assert table["code"].tolist() == [FIN, VISA, STIPEND]
    assert table["verdict"].tolist() == ["reliable", "unreliable", "unreliable"]
    assert {"units", "percent", "cohen", "alpha", "alpha_low", "alpha_high", "ac1"} <= set(table.columns)
    assert table["units"].tolist() == [7, 7, 7]
    caption = " ".join(c.value for c in at.caption)
    assert "10 sentence units in 2 documents" in caption and "alpha ≥ 0.800 reliable" in caption
    assert "0.667–0.800 tentative" in caption
    breakdown = at.dataframe[1].value
    assert list(breakdown.index) == ["int01", "int02"] and list(breakdown.columns) == [FIN, VISA, STIPEND]
    assert at.text_area(key="agr_methods_text").value.startswith("Two coders (ana and ben)")

    at.selectbox(key="agr_unit").set_value("document").run()
    assert not at.exception
    assert at.dataframe[0].value["units"].tolist() == [1, 1, 1]


def test_a_disagreement_is_shown_side_by_side_and_adjudicated_into_consensus(project_file, monkeypatch):
    at = _agreement_page(project_file, monkeypatch)
    at.selectbox(key="agr_code").set_value(VISA).run()
    assert not at.exception
    [passage_html] = [h.proto.body for h in at.get("html")]
    assert "<th>ana</th><th>ben</th><th>consensus</th>" in passage_html
    assert "<mark>It took months.</mark> The fee" in passage_html
    assert "<mark>It took months. The fee</mark>" in passage_html
    at.button(key="agr_accept_ben").click().run()
    assert not at.exception
    # Shown through the Markdown escaping helper: document and coder names are user text.
    assert md_text("Consensus for int01 44–67: ben (1 coding(s) added, 0 removed).") in at.success[0].value
    db = Database(project_file)
    [record] = list_codings(db, coder="consensus")
    assert (record.document, record.code, record.quote) == ("int01", VISA, "It took months. The fee")
    assert [r.quote for r in list_codings(db, coder="ben", code=VISA)] == ["It took months. The fee"]
    db.close()
    [passage_html] = [h.proto.body for h in at.get("html")]
    assert '<td class="qc-consensus"><span class="qc-ctx">P01: </span><mark>It took months. The fee' \
        in passage_html
    at.button(key="agr_accept_ben").click().run()
    assert "already holds ben's version" in at.success[0].value


def test_the_page_on_the_sample_project_renders(sample_db, monkeypatch):
    at = _agreement_page(sample_db.path, monkeypatch)
    if at.info:  # a sample project without two coders: the page says so
        assert "two or more coders" in at.info[0].value
        return
    assert len(at.dataframe[0].value) > 0
    at.selectbox(key="agr_unit").set_value("character").run()
    assert not at.exception


def test_side_by_side_html_escapes_transcript_text():
    text = "<script>alert(1)</script> & more"
    p = Passage("d", "C", 10, 10 + len(text), text, "<b>", "</b>",
                {"a": [(10, 18)], "b": []}, [(10, 10 + len(text))])
    out = side_by_side_html(p, ["a", "<i>b</i>"])
    assert "<script>" not in out and "<b>" not in out and "<i>b</i>" not in out
    assert "<mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt; &amp; more" in out
    assert "<th>&lt;i&gt;b&lt;/i&gt;</th>" in out
    assert f"<mark>{'&lt;script&gt;alert(1)&lt;/script&gt; &amp; more'}</mark>" in out
