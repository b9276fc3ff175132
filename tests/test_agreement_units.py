"""Unit × coder matrices built from a project's codings, checked against matrices derived by hand.

The project (``build_project``) has two short interviews and two or three coders whose codings
overlap in known ways; other agreement test files import it from here.
"""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.agreement.units import (
    AgreementInputError,
    build_unit_matrix,
    paragraph_spans,
    project_coders,
)
from qualcode.codebook import Codebook, CodeSpec
from qualcode.project.codes import apply_codebook
from qualcode.project.codings import add_coding
from qualcode.project.documents import import_files

INT01 = (
    "Interviewer: How was the visa process?\n"
    "P01: It took months. The fee was high 🙏. I nearly gave up.\n"
    "Interviewer: And funding?\n"
    "P01: The stipend helped. My family helped too.\n"
)
# Sentences of int01 (spaCy, turn by turn):
#   s0 How was the visa process? | s1 It took months. | s2 The fee was high 🙏. |
#   s3 I nearly gave up. | s4 And funding? | s5 The stipend helped. | s6 My family helped too.
INT02 = "Interviewer: Anything else?\nP02: Housing was hard. Rent is high.\n"
#   s0 Anything else? | s1 Housing was hard. | s2 Rent is high.

CODES = Codebook(None, [
    CodeSpec(("Barriers",)), CodeSpec(("Barriers", "Financial")),
    CodeSpec(("Barriers", "Immigration and visa")), CodeSpec(("Enablers",)),
    CodeSpec(("Enablers", "Scholarships and stipends")),
])
FIN, VISA, STIPEND = "Barriers/Financial", "Barriers/Immigration and visa", \
    "Enablers/Scholarships and stipends"

CODINGS = [  # (document, code, coder, matched text)
    ("int01", VISA, "ana", "It took months."),
    ("int01", FIN, "ana", "The fee was high 🙏."),
    ("int01", STIPEND, "ana", "The stipend helped."),
    ("int01", VISA, "ben", "It took months. The fee"),
    ("int01", FIN, "ben", "fee was high 🙏"),
    ("int01", STIPEND, "ben", "My family helped too."),
    ("int02", FIN, "ana", "Rent is high."),  # ben has not coded int02 at all
]
CLEO = [
    ("int01", VISA, "cleo", "took months"),
    ("int01", FIN, "cleo", "I nearly gave up."),
    ("int02", FIN, "cleo", "Rent is high."),
]


def build_project(db, *, cleo: bool = False):
    """Import the two interviews and record the codings above (and cleo's with ``cleo``)."""
    with db.session() as s:
        apply_codebook(s, db.project_id(s), CODES)
    result = import_files(db, [("int01.txt", INT01.encode()), ("int02.txt", INT02.encode())])
    assert not result.errors
    for doc, code, coder, match in CODINGS + (CLEO if cleo else []):
        add_coding(db, doc, code, coder, match=match)
    return db


@pytest.fixture
def project(db):
    return build_project(db)


def rows(matrix, code):
    """Per coder, the code's column as a list (-1 where not rated)."""
    k = matrix.codes.index(code)
    return {c: matrix.x[k, :, j].tolist() for j, c in enumerate(matrix.coders)}


def test_sentence_units_follow_overlap_and_mark_unrated_documents_missing(project):
    m = build_unit_matrix(project, coders=["ana", "ben"], unit="sentence")
    assert m.codes == (FIN, VISA, STIPEND)  # codes used, in code-tree order
    assert m.documents == ("int01", "int02") and m.n_units == 10
    assert m.x.dtype == np.int8 and m.x.shape == (3, 10, 2)
    assert m.unit_document.tolist() == [0] * 7 + [1] * 3
    assert [INT01[s:e] for s, e in zip(m.unit_start[:7], m.unit_end[:7])][2] == "The fee was high 🙏."
    u = [-1, -1, -1]
    assert rows(m, VISA) == {"ana": [0, 1, 0, 0, 0, 0, 0, 0, 0, 0], "ben": [0, 1, 1, 0, 0, 0, 0, *u]}
    assert rows(m, FIN) == {"ana": [0, 0, 1, 0, 0, 0, 0, 0, 0, 1], "ben": [0, 0, 1, 0, 0, 0, 0, *u]}
    assert rows(m, STIPEND) == {"ana": [0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
                                "ben": [0, 0, 0, 0, 0, 0, 1, *u]}


def test_uncoded_documents_can_count_as_absent_instead(project):
    m = build_unit_matrix(project, coders=["ana", "ben"], uncoded_documents="absent")
    assert rows(m, FIN)["ben"] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]


def test_rollup_credits_codings_to_the_codes_above(project):
    m = build_unit_matrix(project, coders=["ana", "ben"], rollup=True, documents=["int01"])
    assert m.codes == ("Barriers", FIN, VISA, "Enablers", STIPEND)
    assert rows(m, "Barriers") == {"ana": [0, 1, 1, 0, 0, 0, 0], "ben": [0, 1, 1, 0, 0, 0, 0]}
    assert rows(m, "Enablers") == {"ana": [0, 0, 0, 0, 0, 1, 0], "ben": [0, 0, 0, 0, 0, 0, 1]}
    # Without rollup a parent nobody coded directly has no 1 anywhere.
    plain = build_unit_matrix(project, coders=["ana", "ben"], codes=["Barriers", VISA],
                              documents=["int01"])
    assert rows(plain, "Barriers") == {"ana": [0] * 7, "ben": [0] * 7}


def test_turn_paragraph_and_document_units(project):
    turn = build_unit_matrix(project, coders=["ana", "ben"], unit="turn", documents=["int01"])
    assert rows(turn, VISA) == {"ana": [0, 1, 0, 0], "ben": [0, 1, 0, 0]}
    assert rows(turn, STIPEND) == {"ana": [0, 0, 0, 1], "ben": [0, 0, 0, 1]}
    para = build_unit_matrix(project, coders=["ana", "ben"], unit="paragraph", documents=["int01"])
    assert [INT01[s:e] for s, e in zip(para.unit_start, para.unit_end)] == INT01.splitlines()
    assert rows(para, FIN) == {"ana": [0, 1, 0, 0], "ben": [0, 1, 0, 0]}
    doc = build_unit_matrix(project, coders=["ana", "ben"], unit="document")
    assert rows(doc, FIN) == {"ana": [1, 1], "ben": [1, -1]}
    assert rows(doc, STIPEND) == {"ana": [1, 0], "ben": [1, -1]}


def test_character_units_are_code_points_so_an_emoji_is_one_unit(project):
    m = build_unit_matrix(project, coders=["ana", "ben"], unit="character", documents=["int01"])
    assert m.n_units == len(INT01) == len(INT01.encode("utf-16-le")) // 2 - 1
    fee = INT01.index("fee was high 🙏")
    expected_ben = np.zeros(len(INT01), dtype=np.int8)
    expected_ben[fee:fee + len("fee was high 🙏")] = 1
    expected_ana = np.zeros(len(INT01), dtype=np.int8)
    start = INT01.index("The fee was high 🙏.")
    expected_ana[start:start + len("The fee was high 🙏.")] = 1
    k = m.codes.index(FIN)
    assert m.x[k, :, 0].tolist() == expected_ana.tolist()
    assert m.x[k, :, 1].tolist() == expected_ben.tolist()
    emoji = INT01.index("🙏")
    assert (m.unit_start[emoji], m.unit_end[emoji]) == (emoji, emoji + 1)
    assert m.x[k, emoji].tolist() == [1, 1] and m.x[k, emoji + 1].tolist() == [1, 0]


def test_three_coders_and_the_default_coder_choice(db):
    build_project(db, cleo=True)
    add_coding(db, "int01", FIN, "consensus", match="The fee was high 🙏.")
    assert project_coders(db) == ["ana", "ben", "cleo", "consensus"]
    m = build_unit_matrix(db, unit="sentence")
    assert m.coders == ("ana", "ben", "cleo")  # consensus is left out unless named
    assert rows(m, FIN)["cleo"] == [0, 0, 0, 1, 0, 0, 0, 0, 0, 1]
    assert rows(m, VISA)["cleo"] == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("kwargs, message", [
    ({"coders": ["ana"]}, "two or more coders"),
    ({"coders": ["ana", "zoe"]}, "no coder 'zoe'"),
    ({"unit": "word"}, "unknown unit 'word'"),
    ({"documents": ["int99"]}, "no document 'int99'"),
    ({"codes": ["Nope"]}, "no code 'Nope'"),
])
def test_bad_choices_are_refused_with_a_reason(project, kwargs, message):
    with pytest.raises(AgreementInputError, match=message):
        build_unit_matrix(project, **{"coders": ["ana", "ben"], **kwargs})


def test_paragraphs_are_non_blank_lines_without_surrounding_blanks():
    text = "  First para.\n\nSecond,\nwith a break.  \n \n\tLast 🙏"
    assert [text[s:e] for s, e in paragraph_spans(text)] == [
        "First para.", "Second,", "with a break.", "Last 🙏"]


def test_comparable_units_are_the_units_every_compared_coder_rated(project):
    """Two coders, two documents, ben coded only int01. By hand (sentences listed at the top):
    int01 has 7 sentences, int02 3; the comparable units are int01's 7, in 1 document."""
    from qualcode.agreement.report import build_report
    from qualcode.agreement.summary import comparability, coder_documents

    m = build_unit_matrix(project, coders=["ana", "ben"])
    assert m.coded.tolist() == [[True, True], [True, False]]  # documents × coders
    assert coder_documents(m) == {"ana": ("int01", "int02"), "ben": ("int01",)}
    comp = comparability(m)
    assert (comp.units, comp.documents, comp.total_units, comp.total_documents) == \
        (7, ("int01",), 10, 2)
    report = build_report(m, draws=0)
    out = report.as_dict()
    assert (out["comparable_units"], out["comparable_documents"], out["units"]) == (7, 1, 10)
    assert report.table["units"].tolist() == [7, 7, 7]
    gwet = build_report(m, draws=0, missing="gwet")
    assert gwet.as_dict()["missing"] == "gwet" and gwet.as_dict()["comparable_units"] == 7
    # Documents that nobody left uncoded count as rated everywhere with "absent".
    absent = build_unit_matrix(project, coders=["ana", "ben"], uncoded_documents="absent")
    assert comparability(absent).units == 10
    assert coder_documents(absent) == {"ana": ("int01", "int02"), "ben": ("int01",)}
