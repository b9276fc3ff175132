"""Code queries, keyword in context, and autocoding with preview, apply and exact undo."""

from __future__ import annotations

import pytest

from qualcode.analysis import queries as q
from qualcode.analysis.data import AnalysisError, load
from qualcode.analysis.synthetic import hand_project
from qualcode.team.changelog import history
from qualcode.project.codings import add_coding, list_codings


@pytest.fixture
def hand(db):
    hand_project(db)
    return db


@pytest.mark.parametrize("kwargs, expected", [
    # sentences: ana's A in d1 0, 1; ana's B in d1 1, 3; ana's C in d1 2, 3 and d2 0; ben's C in d1 0
    ({"all_of": ["Barriers/A", "Barriers/B"]}, [("d1", 1)]),
    ({"any_of": ["Barriers/A", "Barriers/B"]}, [("d1", 0), ("d1", 1), ("d1", 3)]),
    # ben's C alone in sentence 0, but ana coded A there: a Barriers passage is there, so NOT excludes it
    ({"all_of": ["Enablers/C"], "none_of": ["Barriers"]}, [("d1", 2), ("d2", 0)]),
    # sentence 0 has ana's A and ben's C: a disagreement, not Barriers AND Enablers (it used to match)
    ({"all_of": ["Barriers"], "any_of": ["Enablers"]}, [("d1", 3)]),
    ({"all_of": ["Barriers/A", "Enablers/C"]}, []),
])
def test_code_query_within_sentences(hand, kwargs, expected):
    found = q.code_query(load(hand), unit="sentence", **kwargs)
    assert [(r.document, r.unit) for r in found.itertuples()] == expected


def test_codes_together_must_come_from_one_coder_and_the_result_names_them(hand):
    found = q.code_query(load(hand), any_of=["Barriers/A", "Enablers/C"], unit="sentence")
    assert [(r.unit, r.codes, r.coders) for r in found.itertuples() if r.document == "d1"] == [
        (0, "Barriers/A; Enablers/C", "ana, ben"), (1, "Barriers/A; Barriers/B", "ana"),
        (2, "Enablers/C", "ana"), (3, "Barriers/B; Enablers/C", "ana")]
    assert found.attrs["set"]["coders"] == ["ana", "ben"] and found.attrs["coders"] == "coders ana, ben (as passages)"
    # one coder's set: plain set logic on ben's codings only
    ben = q.code_query(load(hand, coding_set="coder:ben"), all_of=["Enablers/C"], none_of=["Barriers"])
    assert [(r.document, r.unit, r.coders) for r in ben.itertuples()] == [("d1", 0, "ben")]


def test_code_query_by_turn_lists_codes_and_text(hand):
    found = q.code_query(load(hand), all_of=["Barriers/B"], unit="turn")
    assert found.to_dict("records") == [
        {"document": "d1", "unit": 0, "start": 3, "end": 23, "text": "One two. Three four.",
         "codes": "Barriers/A; Barriers/B; Enablers/C", "coders": "ana"},
        {"document": "d1", "unit": 1, "start": 27, "end": 49, "text": "Five six. Seven eight.",
         "codes": "Barriers/B; Enablers/C", "coders": "ana"}]
    with pytest.raises(AnalysisError, match="name at least one code"):
        q.code_query(load(hand))


def test_keyword_in_context_is_whole_word_and_case_insensitive(hand):
    hits = q.search(load(hand), "three", width=4)
    assert hits.to_dict("records") == [
        {"document": "d1", "speaker": "I", "start": 12, "end": 17, "left": "wo. ", "match": "Three", "right": " fou"}]
    assert len(q.search(load(hand), "thre")) == 0
    assert q.search(load(hand), r"[SN]i\w+", regex=True, case=True)["match"].tolist() == ["Nine"]
    with pytest.raises(AnalysisError, match="regular expression"):
        q.search(load(hand), "(", regex=True)


def test_lemma_search_says_when_it_is_unavailable(hand, monkeypatch):
    monkeypatch.setattr(q, "lemma_search_available", lambda: False)
    with pytest.raises(q.LemmaSearchUnavailable, match="lemma search is unavailable"):
        q.search(load(hand), "visas", lemma=True)


def test_autocode_preview_writes_nothing_apply_is_one_batch_and_undo_removes_exactly_it(hand):
    data = load(hand)
    hits = q.search(data, "six")  # d1 "Five six." is sentence 2
    before = list_codings(hand)
    preview = q.preview_autocode(hand, data, hits, "Barriers/A", "ana", extend="sentence")
    assert preview.to_dict("records") == [{"document": "d1", "start": 27, "end": 36, "quote": "Five six.",
                                           "code": "Barriers/A", "coder": "ana", "status": "new"}]
    assert list_codings(hand) == before
    result = q.apply_autocode(hand, data, q.search(data, "o"), "Barriers/A", "ana", extend="sentence")
    # "o" as a whole word: no hits; then the real batch
    assert result["created"] == 0
    result = q.apply_autocode(hand, data, q.search(data, "six|one", regex=True), "Barriers/A", "ana",
                              extend="sentence")
    # "One" is in sentence 0, already coded with A by ana (3-11): skipped
    assert (result["created"], result["skipped"]) == (1, 1)
    add_coding(hand, "d2", "Barriers/A", "ana", start=3, end=7)  # by hand, after the batch
    assert q.undo_autocode(hand, result["batch"]) == {"batch": result["batch"], "removed": 1}
    after = list_codings(hand)
    assert [(c.document, c.start, c.end) for c in after if c not in before] == [("d2", 3, 7)]
    with pytest.raises(AnalysisError, match="already undone"):
        q.undo_autocode(hand, result["batch"])
    with pytest.raises(AnalysisError, match="no autocoding batch"):
        q.undo_autocode(hand, "0" * 32)
    with pytest.raises(AnalysisError, match="not an autocoding batch id"):
        q.undo_autocode(hand, "nope")
    with hand.session() as s:
        actions = [(e["action"], e["entity"]) for e in history(s) if e["detail"].get("batch") == result["batch"]]
    assert actions == [("create", "coding"), ("autocode", "batch"), ("undo", "batch")]


def test_lemma_search_with_spacy_lookup_tables(db):
    pytest.importorskip("spacy_lookups_data", reason="spacy-lookups-data is not installed")
    from qualcode.analysis.synthetic import build

    text = "I: The visas were delayed. A visa is needed. Studying and studied, mice and mouse.\n"
    build(db, documents={"d": {"text": text, "turns": [("I", 3, len(text) - 1)], "sentences": []}}, codes=["A"])
    data = load(db)
    assert q.search(data, "visa", lemma=True)[["start", "end", "match"]].values.tolist() == [
        [7, 12, "visas"], [29, 33, "visa"]]
    assert q.search(data, "study", lemma=True)["match"].tolist() == ["Studying", "studied"]
    assert q.search(data, "mouse", lemma=True)["match"].tolist() == ["mice", "mouse"]
