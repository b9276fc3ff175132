"""Coded excerpts (one row per passage) and their exports, on the hand-built projects of
qualcode.analysis.synthetic; every expected value is derived by hand from the offsets there."""

from __future__ import annotations

import csv
import io
import json

import pytest

from qualcode.analysis import excerpts as ex
from qualcode.guards import spreadsheet_cell
from qualcode.analysis.data import AnalysisError, load
from qualcode.analysis.synthetic import hand_project, two_coders_project

COLUMNS = ["document", "participant", "role", "speaker", "timestamp", "code", "coders", "codings", "key_quote",
           "start", "end", "excerpt", "context_before", "context_after", "memo"]
HAND_SET = "coders ana, ben (as passages)"  # the default: no consensus layer, so both coders


@pytest.fixture
def hand(db):
    hand_project(db)
    return db


@pytest.fixture
def two(db):
    two_coders_project(db)
    return db


def test_one_row_per_passage_with_context_speaker_and_attributes(hand):
    table = ex.excerpts(load(hand), context=5)
    assert list(table.columns) == COLUMNS
    assert table.iloc[0].to_dict() == {
        "document": "d1", "participant": "P1", "role": "faculty", "speaker": "I", "timestamp": "00:00:05",
        "code": "Barriers/A", "coders": "ana", "codings": 1, "key_quote": False, "start": 3, "end": 11,
        "excerpt": "One two.", "context_before": "I: ", "context_after": " Thre", "memo": "=first memo"}
    # ana's A codings 12-17 and 13-16 (nested) are one passage, 12-17, of 2 codings; ben's C on
    # 3-11 shares no code with ana's there, so it is a passage of its own.
    assert [(r.code, r.start, r.end, r.coders, r.codings) for r in table.itertuples()] == [
        ("Barriers/A", 3, 11, "ana", 1), ("Barriers/A", 12, 17, "ana", 2), ("Barriers/B", 11, 23, "ana", 1),
        ("Barriers/B", 37, 49, "ana", 1), ("Enablers/C", 3, 11, "ben", 1), ("Enablers/C", 27, 49, "ana", 1),
        ("Enablers/C", 3, 12, "ana", 1)]
    assert table.attrs["coders"] == HAND_SET and table.attrs["set"]["coders"] == ["ana", "ben"]


def test_identical_passages_of_two_coders_are_one_row_listing_both(two):
    table = ex.excerpts(load(two), context=0)
    # Visa: ana and ben both coded 3-21. Cost: ana 22-37 and 41-55, ben 27-55 overlapping both,
    # so one passage 22-55 of three codings, across the I and P turns; ben's is starred.
    assert table[["code", "start", "end", "excerpt", "coders", "codings", "key_quote", "speaker",
                  "timestamp", "memo"]].to_dict("records") == [
        {"code": "Barriers/Visa", "start": 3, "end": 21, "excerpt": "Visas took months.", "coders": "ana, ben",
         "codings": 2, "key_quote": False, "speaker": "I", "timestamp": "00:00:00",
         "memo": "ana: slow\nben: months"},
        {"code": "Barriers/Cost", "start": 22, "end": 55, "excerpt": "Fees were high.\nP: We paid twice.",
         "coders": "ana, ben", "codings": 3, "key_quote": True, "speaker": "I; P", "timestamp": "00:00:00",
         "memo": ""}]


def test_one_coder_passages_are_that_coders_codings(two):
    data = load(two)
    ana = ex.excerpts(data, coder="ana", context=0)
    # without ben's 27-55 joining them, ana's two Cost codings are apart
    assert [(r.code, r.start, r.end, r.coders, r.codings, r.memo) for r in ana.itertuples()] == [
        ("Barriers/Visa", 3, 21, "ana", 1, "slow"), ("Barriers/Cost", 22, 37, "ana", 1, ""),
        ("Barriers/Cost", 41, 55, "ana", 1, "")]
    assert ana.attrs["set"] == {"kind": "coder", "coders": ["ana"]} and ana.attrs["coders"] == "coder ana"
    ben = ex.excerpts(load(two, coding_set="coder:ben"), context=0)
    assert [(r.start, r.end, r.key_quote, r.memo) for r in ben.itertuples()] == [
        (3, 21, False, "months"), (27, 55, True, "")]
    with pytest.raises(AnalysisError, match="no coder 'zoe'"):
        ex.excerpts(data, coder="zoe")
    with pytest.raises(AnalysisError, match="not in the coding set .*coder:ana"):
        ex.excerpts(load(two, coding_set="coder:ben"), coder="ana")


def test_consensus_is_counted_alone_when_it_covers_every_document(db):
    two_coders_project(db, consensus=[("Barriers/Visa", 3, 21)])
    data = load(db)
    assert data.coding_set.kind == "consensus" and data.coding_set.note
    table = ex.excerpts(data, context=0)
    assert [(r.code, r.start, r.end, r.coders, r.codings) for r in table.itertuples()] == [
        ("Barriers/Visa", 3, 21, "consensus", 1)]
    assert json.loads(ex.to_json(table))["set"]["kind"] == "consensus"


def test_sentence_context_and_filters(hand):
    table = ex.excerpts(load(hand), code="Barriers/A", coder="ana", context="sentence")
    # the passage "Three" (12-17, two codings) sits in the sentence "Three four." (12-23)
    assert [(r.excerpt, r.context_before, r.context_after) for r in table.itertuples()] == [
        ("One two.", "", ""), ("Three", "", " four.")]


def test_csv_states_the_set_first_is_rfc4180_utf8_crlf_and_neutralises_formulas(hand):
    table = ex.excerpts(load(hand), code="Barriers/A", context=0)
    raw = ex.to_csv(table)
    lines = raw.decode("utf-8").split("\r\n")
    assert lines[:2] == [f"# set: {HAND_SET}", "# context: 0 characters"]
    assert lines[2].startswith("# note: No consensus layer yet")
    assert lines[3].startswith("document,participant,role,speaker,")
    # 3 comment lines, the header, 2 passages
    assert raw.count(b"\r\n") == 6 and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows[4][-1] == "'=first memo"
    assert ex.to_csv(table, header=False).startswith(b"document,participant,role,speaker,")


def test_csv_header_lines_go_through_the_formula_guard(db):
    from qualcode.analysis.synthetic import build

    text = "I: Visas took months.\n"
    build(db, documents={"d": {"text": text, "turns": [("I", 3, 21)], "sentences": [(3, 21)]}}, codes=["A"],
          codings=[("d", "A", "=cmd|' /C calc'!A0", 3, 21), ("d", "A", "-ben", 3, 9)])
    raw = ex.to_csv(ex.excerpts(load(db))).decode("utf-8")
    first = raw.split("\r\n")[0]
    assert first == "# set: coders -ben, '=cmd|' /C calc'!A0 (as passages)"
    # a spreadsheet splits the line at commas: no cell of any line may start a formula, spaces aside
    for row in csv.reader(io.StringIO(raw, newline="")):
        for cell in row:
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), cell


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+x", "'+x"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("plain", "plain"), (-3, -3), ("a=b", "a=b"),
])
def test_spreadsheet_cell(value, expected):
    assert spreadsheet_cell(value) == expected


def test_xlsx_holds_the_rows_with_formulas_neutralised(hand):
    from openpyxl import load_workbook

    table = ex.excerpts(load(hand), context=0)
    book = load_workbook(io.BytesIO(ex.to_xlsx(table)))
    values = list(book.active.values)
    assert values[0] == tuple(table.columns)
    assert values[1][-1] == "'=first memo" and values[1][COLUMNS.index("start")] == 3
    assert len(values) == 1 + len(table)
    about = list(book["About"].values)
    assert about[:2] == [("set", HAND_SET), ("context", "0 characters")] and about[2][0] == "note"


def test_docx_groups_by_theme_and_code(hand):
    from docx import Document

    doc = Document(io.BytesIO(ex.to_docx(ex.excerpts(load(hand)))))
    assert doc.paragraphs[1].text == f"7 excerpts. Coding set: {HAND_SET}."
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [("Heading 1", "Barriers"), ("Heading 2", "Barriers/A"), ("Heading 2", "Barriers/B"),
                        ("Heading 1", "Enablers"), ("Heading 2", "Enablers/C")]
    texts = [p.text for p in doc.paragraphs]
    assert "“One two.”" in texts and "I · d1 · 00:00:05 · coded by ana" in texts
    assert "Memo: =first memo" in texts


def test_docx_and_markdown_name_every_coder_and_the_key_quote(two):
    from docx import Document

    table = ex.excerpts(load(two), code="Barriers/Cost")
    texts = [p.text for p in Document(io.BytesIO(ex.to_docx(table))).paragraphs]
    assert "I; P · d · 00:00:00 · coded by ana, ben · key quote" in texts
    assert "— I; P · d · 00:00:00 · coded by ana, ben · key quote · 22–55" in ex.to_markdown(table)


def test_markdown_and_json(hand):
    table = ex.excerpts(load(hand), code="Barriers/B")
    md = ex.to_markdown(table)
    assert md.startswith(f"# Coded excerpts\n\n2 excerpts. Coding set: {HAND_SET}.\n\n")
    assert "## Barriers\n\n### Barriers/B\n\n>  Three four.\n\n— I · d1 · 00:00:05 · coded by ana · 11–23" in md
    out = json.loads(ex.to_json(table))
    assert out["set"]["kind"] == "coders" and out["set"]["coders"] == ["ana", "ben"] and out["set"]["note"]
    assert out["coders"] == HAND_SET and out["context"] == 100
    assert [(r["code"], r["start"], r["excerpt"], r["coders"]) for r in out["excerpts"]] == [
        ("Barriers/B", 11, " Three four.", "ana"), ("Barriers/B", 37, "Seven eight.", "ana")]


def test_wide_form_is_unit_by_code_zero_one(hand):
    wide = ex.wide_form(load(hand), unit="sentence")
    assert list(wide.columns) == ["document", "unit", "start", "end", "Barriers", "Barriers/A", "Barriers/B",
                                  "Enablers", "Enablers/C"]
    assert [tuple(r) for r in wide[["document", "unit", "Barriers/A", "Barriers/B", "Enablers/C"]]
            .itertuples(index=False)] == [
        ("d1", 0, 1, 0, 1), ("d1", 1, 1, 1, 0), ("d1", 2, 0, 0, 1), ("d1", 3, 0, 1, 1), ("d2", 0, 0, 0, 1)]
    assert wide.attrs["set"]["kind"] == "coders" and ex.to_csv(wide).startswith(f"# set: {HAND_SET}".encode())
    docs = ex.wide_form(load(hand), unit="document")
    assert docs[["document", "Barriers/A", "Enablers/C"]].values.tolist() == [["d1", 1, 1], ["d2", 0, 1]]


def test_notebook_api_takes_and_shows_the_coding_set(two):
    from qualcode import api as qualcode  # qualcode.open passes coding_set through to api.open

    p = qualcode.open(two)
    assert p.coding_set.kind == "coders" and p.coding_set.coders == ("ana", "ben") and p.coding_set.note
    assert p.coding_set.spec == "coders:ana,ben"
    ben = qualcode.open(two, coding_set="coder:ben")
    assert ben.coding_set.label == "coder ben" and ben.coding_set.note == ""
    assert ben.frequencies().set_index("code").at["Barriers/Cost", "passages"] == 1
    assert p.filter(coding_set="coder:ana").frequencies().set_index("code").at["Barriers/Cost", "passages"] == 2
    assert p.filter(coders=["ana"]).coding_set.spec == "coder:ana"  # the older spelling
    # one coder's excerpts from a view on another set: read as that coder
    assert ben.excerpts(coder="ana", context=0)[["start", "end"]].values.tolist() == [[3, 21], [22, 37], [41, 55]]
    assert p.code_by_document().to_dict("index") == {"Barriers/Visa": {"d": 1}, "Barriers/Cost": {"d": 1}}
    with pytest.raises(AnalysisError, match="the coding set must be"):
        qualcode.open(two, coding_set="everyone").frequencies()
