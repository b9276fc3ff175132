"""Frequencies and matrices on the hand-built project (qualcode.analysis.synthetic.HAND_*)."""

from __future__ import annotations

import pytest

from qualcode.analysis.data import AnalysisError, load
from qualcode.analysis.frequencies import frequencies
from qualcode.analysis.matrices import code_by_attribute, code_by_document
from qualcode.analysis.synthetic import build, hand_project


@pytest.fixture
def hand(db):
    hand_project(db)
    return db


def _rows(frame):
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_rolled_up_frequencies_with_words_counted_once(hand):
    # A: #0 3-11 "One two." + #2 12-17 "Three" + #3 13-16 inside #2 → 3 words.
    # B: #1 11-23 "Three four." + #5 37-49 "Seven eight." → 4. Barriers: union 3-23 and 37-49 → 6.
    # C: 27-49 (4 words) + 3-11 (2) + d2 3-12 (2) → 8 words, 2 documents, 2 participants.
    # Passages: A {#0}, {#2, #3} (nested: one) = 2; B {#1}, {#5} = 2; Barriers 4; C {#4}, {#6}, {#7} = 3.
    f = frequencies(load(hand))
    assert _rows(f) == [
        ("Barriers", 0, 4, 5, 1, 1, 6),
        ("Barriers/A", 1, 2, 3, 1, 1, 3),
        ("Barriers/B", 1, 2, 2, 1, 1, 4),
        ("Enablers", 0, 3, 3, 2, 2, 8),
        ("Enablers/C", 1, 3, 3, 2, 2, 8),
    ]
    assert f.attrs["set"] == {"kind": "coders", "coders": ["ana", "ben"],
                              "note": f.attrs["set"]["note"]} and f.attrs["rollup"] is True
    assert "No consensus layer yet" in f.attrs["set"]["note"]
    assert "not counted twice" in f.attrs["words"]


def test_identical_passages_of_two_coders_count_once(db):
    build(db, documents={"d": {"text": "I: One two three.\n", "turns": [("I", 3, 17)],
                               "sentences": [(3, 17)], "participant": "P1"}},
          codes=["A"], codings=[("d", "A", "ana", 3, 17), ("d", "A", "ben", 3, 17), ("d", "A", "ben", 8, 12)])
    row = frequencies(load(db)).set_index("code").loc["A"]
    # three codings, one stretch of text: one passage, three words
    assert (row["passages"], row["codings"], row["words"]) == (1, 3, 3)
    one = frequencies(load(db, coding_set="coder:ben")).set_index("code").loc["A"]
    assert (one["passages"], one["codings"]) == (1, 2)


def test_a_coding_across_turns_splits_its_words_by_speaker(db):
    text = "I: One two three.\nP1: Four five six seven.\n"
    # turns: I 3-17 ("One two three."), P1 22-44 ("Four five six seven."); the label "P1:" is 18-21
    build(db, documents={"d": {"text": text, "turns": [("I", 3, 17), ("P1", 22, 44)],
                               "sentences": [(3, 17), (22, 44)], "participant": "P1"}},
          codes=["A"], codings=[("d", "A", "ana", 3, 44)])
    by = frequencies(load(db), by="speaker").set_index("speaker")
    assert by.loc["I", "words"] == 3 and by.loc["P1", "words"] == 4
    assert by.loc["I", "codings"] == by.loc["P1", "codings"] == 1
    # the speaker label inside the span is not a coded word
    assert frequencies(load(db)).set_index("code").at["A", "words"] == 7


def test_without_rollup_themes_have_only_their_own_codings(hand):
    f = frequencies(load(hand), rollup=False)
    assert f.set_index("code")["codings"].to_dict() == {
        "Barriers": 0, "Barriers/A": 3, "Barriers/B": 2, "Enablers": 0, "Enablers/C": 3}


@pytest.mark.parametrize("by, expected", [
    ("coder", [("Barriers/A", "ana", 3), ("Barriers/B", "ana", 2), ("Enablers/C", "ana", 2),
               ("Enablers/C", "ben", 1)]),
    # B #1 is in the I turn, #5 in the P turn; C #4 P, #6 I (d1), #7 I (d2)
    ("speaker", [("Barriers/A", "I", 3), ("Barriers/B", "I", 1), ("Barriers/B", "P", 1),
                 ("Enablers/C", "I", 2), ("Enablers/C", "P", 1)]),
    ("document", [("Barriers/A", "d1", 3), ("Barriers/B", "d1", 2), ("Enablers/C", "d1", 2),
                  ("Enablers/C", "d2", 1)]),
    ("attribute:role", [("Barriers/A", "faculty", 3), ("Barriers/B", "faculty", 2),
                        ("Enablers/C", "IMG", 1), ("Enablers/C", "faculty", 2)]),
])
def test_breakdowns(hand, by, expected):
    f = frequencies(load(hand), by=by, rollup=False)
    column = by.split(":")[-1]
    assert [(r.code, getattr(r, column), r.codings) for r in f.itertuples()] == expected


def test_filters_by_coder_document_and_attribute(hand):
    assert frequencies(load(hand, coders=["ben"])).set_index("code")["codings"].to_dict()["Enablers/C"] == 1
    assert frequencies(load(hand, documents=["d2"])).set_index("code")["words"].to_dict() == {
        "Barriers": 0, "Barriers/A": 0, "Barriers/B": 0, "Enablers": 1 * 2, "Enablers/C": 2}
    f = frequencies(load(hand, attributes={"role": ["IMG"]}))
    assert f.attrs["filters"] == {"attributes": {"role": ["IMG"]}}
    assert f.set_index("code")["codings"].to_dict()["Enablers/C"] == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"coders": ["zoe"]}, "no coder 'zoe' (coders: ana, ben)"),
    ({"documents": ["d9"]}, "no document 'd9'"),
    ({"attributes": {"age": ["1"]}}, "no participant attribute 'age' (known: role)"),
])
def test_bad_filters_say_what_is_wrong(hand, kwargs, message):
    with pytest.raises(AnalysisError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(hand, **kwargs)


def test_bad_breakdown(hand):
    with pytest.raises(AnalysisError, match="--by must be one of"):
        frequencies(load(hand), by="colour")


@pytest.mark.parametrize("spec, message", [
    ("everyone", "the coding set must be"),
    ("coder:ana,ben", "coder:NAME takes one name"),
    ("coders:ana,zoe", "no coder 'zoe'"),
    ("consensus", "there is no consensus layer yet"),
])
def test_bad_coding_sets_say_what_to_do(hand, spec, message):
    with pytest.raises(AnalysisError, match=message):
        load(hand, coding_set=spec)


def test_the_consensus_layer_is_never_pooled_with_its_coders(hand):
    from qualcode.project.codings import add_coding

    add_coding(hand, "d1", "Barriers/A", "consensus", start=3, end=11)
    with pytest.raises(AnalysisError, match="never pooled"):
        load(hand, coding_set="coders:ana,consensus")
    # the consensus covers d1 only (d2 has ana's coding): the default stays with the coders
    data = load(hand)
    assert data.coding_set.kind == "coders" and "covers 1 of 2" in data.coding_set.note
    add_coding(hand, "d2", "Enablers/C", "consensus", start=3, end=12)
    data = load(hand)
    assert data.coding_set.kind == "consensus" and set(data.codings["coder"]) == {"consensus"}
    assert frequencies(data).set_index("code").at["Barriers", "passages"] == 1


def test_code_by_document_and_attribute_matrices(hand):
    m = code_by_document(load(hand))
    assert list(m.columns) == ["d1", "d2"]
    assert m.to_dict("index") == {"Barriers/A": {"d1": 2, "d2": 0}, "Barriers/B": {"d1": 2, "d2": 0},
                                  "Enablers/C": {"d1": 2, "d2": 1}}
    w = code_by_attribute(load(hand), "role", value="words")
    assert w.to_dict("index") == {"Barriers/A": {"IMG": 0, "faculty": 3}, "Barriers/B": {"IMG": 0, "faculty": 4},
                                  "Enablers/C": {"IMG": 2, "faculty": 6}}


def test_notebook_api_opens_a_path_and_returns_the_same_tables(tmp_path):
    from qualcode import api
    from qualcode.store.db import Database

    path = tmp_path / "hand.db"
    db = Database(path)
    hand_project(db)
    db.close()
    project = api.open(str(path))
    assert _rows(project.frequencies())[0] == ("Barriers", 0, 4, 5, 1, 1, 6)
    assert project.frequencies(by="coder").attrs["by"] == "coder"
    assert project.cooccurrence(unit="sentence").to_numpy().tolist() == [[2, 1, 0], [1, 2, 1], [0, 1, 4]]
    assert project.excerpts(code="Barriers/B")["start"].tolist() == [11, 37]
    assert project.filter(coders=["ben"]).excerpts()["coders"].tolist() == ["ben"]
    assert project.code_by_document().shape == (3, 2) and project.wide("turn").shape == (3, 9)
    project.db.close()
