"""Coded excerpts and their exports, on the hand-built project (qualcode.analysis.synthetic)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from qualcode.analysis import excerpts as ex
from qualcode.guards import spreadsheet_cell
from qualcode.analysis.data import load
from qualcode.analysis.synthetic import hand_project


@pytest.fixture
def hand(db):
    hand_project(db)
    return db


def test_one_row_per_coding_with_context_speaker_and_attributes(hand):
    table = ex.excerpts(load(hand), context=5)
    assert list(table.columns) == ["document", "participant", "role", "speaker", "timestamp", "code", "coder",
                                   "start", "end", "excerpt", "context_before", "context_after", "memo"]
    assert table.iloc[0].to_dict() == {
        "document": "d1", "participant": "P1", "role": "faculty", "speaker": "I", "timestamp": "00:00:05",
        "code": "Barriers/A", "coder": "ana", "start": 3, "end": 11, "excerpt": "One two.",
        "context_before": "I: ", "context_after": " Thre", "memo": "=first memo"}
    assert [(r.code, r.start, r.end) for r in table.itertuples()] == [
        ("Barriers/A", 3, 11), ("Barriers/A", 12, 17), ("Barriers/A", 13, 16), ("Barriers/B", 11, 23),
        ("Barriers/B", 37, 49), ("Enablers/C", 3, 11), ("Enablers/C", 27, 49), ("Enablers/C", 3, 12)]


def test_sentence_context_and_filters(hand):
    table = ex.excerpts(load(hand), code="Barriers/A", coder="ana", context="sentence")
    # #2 "Three" (12-17) sits in the sentence "Three four." (12-23)
    assert [(r.excerpt, r.context_before, r.context_after) for r in table.itertuples()] == [
        ("One two.", "", ""), ("Three", "", " four."), ("hre", "T", "e four.")]


def test_csv_is_rfc4180_utf8_crlf_and_neutralises_formulas(hand):
    table = ex.excerpts(load(hand), code="Barriers/A", context=0)
    raw = ex.to_csv(table)
    assert raw.startswith(b"document,participant,role,speaker,") and b"\r\n" in raw
    assert raw.count(b"\r\n") == 4 and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows[1][-1] == "'=first memo"


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+x", "'+x"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("plain", "plain"), (-3, -3), ("a=b", "a=b"),
])
def test_spreadsheet_cell(value, expected):
    assert spreadsheet_cell(value) == expected


def test_xlsx_holds_the_rows_with_formulas_neutralised(hand):
    from openpyxl import load_workbook

    table = ex.excerpts(load(hand), context=0)
    ws = load_workbook(io.BytesIO(ex.to_xlsx(table))).active
    values = list(ws.values)
    assert values[0] == tuple(table.columns)
    assert values[1][-1] == "'=first memo" and values[1][7] == 3
    assert len(values) == 1 + len(table)


def test_docx_groups_by_theme_and_code(hand):
    from docx import Document

    doc = Document(io.BytesIO(ex.to_docx(ex.excerpts(load(hand)))))
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [("Heading 1", "Barriers"), ("Heading 2", "Barriers/A"), ("Heading 2", "Barriers/B"),
                        ("Heading 1", "Enablers"), ("Heading 2", "Enablers/C")]
    texts = [p.text for p in doc.paragraphs]
    assert "“One two.”" in texts and "I · d1 · 00:00:05 · coded by ana" in texts
    assert "Memo: =first memo" in texts


def test_markdown_and_json(hand):
    table = ex.excerpts(load(hand), code="Barriers/B")
    md = ex.to_markdown(table)
    assert "## Barriers\n\n### Barriers/B\n\n>  Three four.\n\n— I · d1 · 00:00:05 · coded by ana · 11–23" in md
    records = json.loads(ex.to_json(table))
    assert [(r["code"], r["start"], r["excerpt"]) for r in records] == [
        ("Barriers/B", 11, " Three four."), ("Barriers/B", 37, "Seven eight.")]


def test_wide_form_is_unit_by_code_zero_one(hand):
    wide = ex.wide_form(load(hand), unit="sentence")
    assert list(wide.columns) == ["document", "unit", "start", "end", "Barriers", "Barriers/A", "Barriers/B",
                                  "Enablers", "Enablers/C"]
    assert [tuple(r) for r in wide[["document", "unit", "Barriers/A", "Barriers/B", "Enablers/C"]]
            .itertuples(index=False)] == [
        ("d1", 0, 1, 0, 1), ("d1", 1, 1, 1, 0), ("d1", 2, 0, 0, 1), ("d1", 3, 0, 1, 1), ("d2", 0, 0, 0, 1)]
    docs = ex.wide_form(load(hand), unit="document")
    assert docs[["document", "Barriers/A", "Enablers/C"]].values.tolist() == [["d1", 1, 1], ["d2", 0, 1]]
