"""The Agreement page with AppTest, on a real SQLite project with known codings."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import html_bodies, open_page
from streamlit.testing.v1 import AppTest
from test_agreement_units import FIN, STIPEND, VISA, build_project

from qualcode.agreement.adjudication import Passage
from qualcode.guards import md_text
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
    open_page(at, "Agreement")
    assert not at.exception
    return at


def test_the_page_shows_the_table_with_thresholds_ci_and_breakdown(project_file, monkeypatch):
    at = _agreement_page(project_file, monkeypatch)
    assert at.multiselect(key="agr_coders").value == ["ana", "ben"]
    table = at.dataframe[0].value
    assert table["code"].tolist() == [FIN, VISA, STIPEND]
    assert table["verdict"].tolist() == ["reliable", "unreliable", "unreliable"]
    assert list(table.columns) == ["code", "applied", "by all", "by ana", "by ben", "percent",
                                   "cohen", "alpha", "95% CI", "AC1", "verdict"]
    assert table["applied"].tolist() == [1, 2, 2] and table["by all"].tolist() == [1, 1, 0]
    caption = " ".join(c.value for c in at.caption)
    assert "alpha ≥ 0.800 reliable" in caption and "0.667–0.800 tentative" in caption
    text = markdown(at)
    # ben never coded int02: only int01's seven sentences are compared, and the page says so.
    assert md_text("ana and ben: 7 of 10 sentence units comparable (rated by both), in 1 of 2 "
                   "documents (int01)") in text
    assert "comparable units only" in text
    # The per-code lead comes before the pooled figure.
    assert text.index(md_text("Per code (3 of 3 codes with alpha defined)")) < \
        text.index("Pooled over codes")
    assert len(at.dataframe) == 1  # the document × code breakdown is built only when asked
    at.toggle(key="agr_by_document_on").set_value(True).run()
    breakdown = at.dataframe[1].value
    assert list(breakdown.index) == ["int01"] and list(breakdown.columns) == [FIN, VISA, STIPEND]
    assert at.text_area(key="agr_methods_text").value.startswith("Two coders (ana and ben)")

    at.selectbox(key="agr_unit").set_value("document").run()
    assert not at.exception
    assert md_text("ana and ben: 1 of 2 document units comparable") in markdown(at)


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_methods_paragraph_follows_every_change_of_unit_coders_and_options(tmp_path, monkeypatch):
    path = tmp_path / "three.db"
    db = Database(path)
    build_project(db, cleo=True)
    db.close()
    at = _agreement_page(path, monkeypatch)
    first = at.text_area(key="agr_methods_text").value
    assert first.startswith("Three coders (ana, ben, and cleo)") and "per sentence" in first
    at.selectbox(key="agr_unit").set_value("turn").run()
    assert not at.exception
    turn = at.text_area(key="agr_methods_text").value
    assert "Agreement was assessed per speaker turn" in turn and "per sentence" not in turn
    at.multiselect(key="agr_coders").set_value(["ana", "cleo"]).run()
    assert not at.exception
    pair = at.text_area(key="agr_methods_text").value
    assert pair.startswith("Two coders (ana and cleo)") and "ben" not in pair
    assert "per speaker turn" in pair and "Cohen's (1960) kappa" in pair
    at.checkbox(key="agr_bootstrap").uncheck().run()
    assert "bootstrap" not in at.text_area(key="agr_methods_text").value
    at.selectbox(key="agr_missing").set_value("gwet").run()
    assert not at.exception
    assert "Gwet's (2014) treatment of missing ratings" in at.text_area(key="agr_methods_text").value
    assert "Gwet" in markdown(at)


def test_gwet_treatment_is_named_on_the_page(project_file, monkeypatch):
    at = _agreement_page(project_file, monkeypatch)
    assert "Gwet" not in markdown(at)
    at.selectbox(key="agr_missing").set_value("gwet").run()
    assert not at.exception
    assert md_text("statistics with Gwet's (2014) missing-data treatment: all 10 units, 3 of "
                   "them rated by fewer than all coders") in markdown(at)
    # int02 is back in the breakdown (rated by ana only: no statistic, but its units count).
    at.toggle(key="agr_by_document_on").set_value(True).run()
    assert list(at.dataframe[1].value.index) == ["int01", "int02"]


def test_a_disagreement_is_shown_side_by_side_and_adjudicated_into_consensus(project_file, monkeypatch):
    at = _agreement_page(project_file, monkeypatch)
    at.selectbox(key="agr_code").set_value(VISA).run()
    assert not at.exception
    [passage_html] = html_bodies(at)
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
    [passage_html] = html_bodies(at)
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
