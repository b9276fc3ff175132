"""docs/analysis.md: every worked example, rebuilt and counted; the numbers are derived by hand in
the page (and repeated here), never taken from qualcode's own output."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.data import load
from qualcode.analysis.frequencies import frequencies
from qualcode.analysis.synthetic import build

DOC = Path(__file__).resolve().parent.parent / "docs" / "analysis.md"
TEXT = "I: How did it go?\nP: The visa took months. The fee was high. It was slow. My mentor helped.\n"
S = {0: (3, 17), 1: (21, 42), 2: (43, 60), 3: (61, 73), 4: (74, 91)}
VISA, COST, MENTOR = "Barriers/Visa", "Barriers/Cost", "Enablers/Mentoring"
CODINGS = [("d", VISA, "ana", *S[1]), ("d", COST, "ana", *S[2]), ("d", MENTOR, "ana", *S[4]),
           ("d", VISA, "ben", *S[1]), ("d", MENTOR, "ben", *S[2])]


@pytest.fixture
def example(db):
    build(db, documents={"d": {"text": TEXT, "turns": [("I", 3, 17), ("P", 21, 91)],
                               "sentences": list(S.values()), "participant": "P01"}},
          codes=[VISA, COST, MENTOR], codings=CODINGS)
    return db


def _page() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_page_shows_the_example_text_and_codings():
    page = _page()
    assert TEXT.strip() in page
    for label, (start, end) in S.items():
        assert f"| S{label} | {TEXT[start:end]} |" in page


def test_passages_and_codings(example):
    f = frequencies(load(example)).set_index("code")
    # Visa: S1 by both = 1 passage, 2 codings; Cost: 1, 1; Mentoring: S2 (ben), S4 (ana) = 2, 2
    expected = {VISA: (1, 2), COST: (1, 1), MENTOR: (2, 2), "Barriers": (2, 3)}
    for code, (passages, codings) in expected.items():
        assert (f.at[code, "passages"], f.at[code, "codings"]) == (passages, codings)
        name = code if code != "Barriers" else "Barriers (rolled up)"
        assert f"| {name} | {passages} | {codings} |" in _page()
    # words: S1 4, S2 4, S4 3
    assert (f.at[VISA, "words"], f.at[COST, "words"], f.at[MENTOR, "words"], f.at["Barriers", "words"]) \
        == (4, 4, 7, 8)
    assert "Barriers/Visa 4 words (S1), Barriers/Cost 4, Enablers/Mentoring 7 (S2 and S4),\nBarriers 8" in _page()


def test_words_by_speaker_example(db):
    text = "I: One two three.\nP1: Four five six seven.\n"
    assert text.strip() in _page()
    build(db, documents={"d": {"text": text, "turns": [("I", 3, 17), ("P1", 22, 44)],
                               "sentences": [(3, 17), (22, 44)], "participant": "P01"}},
          codes=["A"], codings=[("d", "A", "ana", 3, 44)])
    by = frequencies(load(db), by="speaker").set_index("speaker")["words"].to_dict()
    assert by == {"I": 3, "P1": 4}
    assert "gives I 3 words and P1 4 words (7 in all" in _page()


@pytest.mark.parametrize("label, unit, window, expected", [
    ("sentence", "sentence", 1, (0, 0, 0)),
    ("window N = 1", "window", 1, (1, 1, 0)),
    ("window N = 2", "window", 2, (1, 1, 1)),
    ("document", "document", 1, (1, 1, 1)),
])
def test_cooccurrence_table(example, label, unit, window, expected):
    m = cooccurrence(load(example), unit=unit, window=window)
    got = (m.at[VISA, COST], m.at[VISA, MENTOR], m.at[COST, MENTOR])
    assert got == expected
    assert f"| {label} | {' | '.join(map(str, expected))} |" in _page()


def test_jaccard_example(example):
    assert cooccurrence(load(example), unit="sentence", measure="jaccard").at[VISA, COST] == 0.0
    assert "Visa–Cost Jaccard is 0 / (1 + 1 − 0) = 0" in _page()


def test_consensus_example(example):
    from qualcode.project.codings import add_coding

    for code, sentence in ((VISA, 1), (COST, 2), (MENTOR, 4)):
        add_coding(example, "d", code, "consensus", start=S[sentence][0], end=S[sentence][1])
    data = load(example)
    assert data.coding_set.kind == "consensus"
    f = frequencies(data).set_index("code")
    assert (f.at["Barriers", "passages"], f.at["Barriers", "codings"]) == (2, 2)
    m = cooccurrence(data, unit="window", window=1)
    assert (m.at[VISA, COST], m.at[VISA, MENTOR]) == (1, 0)
    assert "Barriers has 2 passages and 2\ncodings, and at the window N = 1 unit Visa–Cost is 1 and Visa–Mentoring 0" \
        in _page()


def test_theme_table_example(db):
    from qualcode.analysis.themes import theme_table

    text = "I: Tell me.\nP: It was hard.\n"
    docs = {f"d{i}": {"text": text, "turns": [("P", 15, 27)], "sentences": [(15, 27)], "participant": p}
            for i, p in enumerate(["P01", "P02", "P03"], 1)}
    build(db, documents=docs, codes=[VISA, COST, MENTOR],
          codings=[("d1", VISA, "ana", 15, 27), ("d2", MENTOR, "ana", 15, 27),
                   ("d3", VISA, "ana", 15, 27), ("d3", COST, "ana", 15, 27)],
          attributes={"P01": {"stakeholder group": "Leadership"}, "P02": {"stakeholder group": "Leadership"},
                      "P03": {"stakeholder group": "Trainees"}})
    table = theme_table(load(db), by="attribute:stakeholder group", depth=0)
    # Barriers: P01 (Leadership), P03 (Trainees); Enablers: P02 (Leadership)
    expected = {"Barriers": ("1 (50%)", "1 (100%)", "2 (67%)"), "Enablers": ("1 (50%)", "0 (0%)", "1 (33%)")}
    assert [table.header(g) for g in table.groups] + [table.header()] == \
        ["Leadership (n = 2)", "Trainees (n = 1)", "Total (n = 3)"]
    for theme, cells in expected.items():
        got = tuple(table.cell(theme, g) for g in table.groups) + (table.cell(theme),)
        assert got == cells
        assert f"| {theme} | {' | '.join(cells)} |" in _page()
