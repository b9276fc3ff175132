"""Disagreements between coders and adjudication into a consensus coder, on both engines."""

from __future__ import annotations

import pytest
from test_agreement_units import FIN, INT01, INT02, STIPEND, VISA, build_project

from qualcode.agreement.adjudication import (
    AdjudicationError,
    adjudicate,
    adopt_agreements,
    disagreements,
    passages,
)
from qualcode.team.changelog import history
from qualcode.project.codings import add_coding, list_codings


def at(text, passage, nth=1):
    start = -1
    for _ in range(nth):
        start = text.index(passage, start + 1)
    return start, start + len(passage)


@pytest.fixture
def project(db):
    return build_project(db)


def spans_of(db, coder, code=None):
    return [(r.document, r.code, r.start, r.end) for r in list_codings(db, coder=coder)
            if code is None or r.code == code]


def coding_log(db):
    with db.session() as s:
        return [(e["action"], e["detail"].get("coder"), e["detail"]["start"], e["detail"]["end"],
                 e["detail"].get("adjudication"))
                for e in history(s, entity="coding") if e["detail"].get("coder") == "consensus"]


def test_disagreements_show_each_coders_spans_side_by_side(project):
    found = disagreements(project, VISA, ["ana", "ben"])
    assert [p.as_dict() for p in found] == [{
        "document": "int01", "code": VISA, "start": 44, "end": 67,
        "text": "It took months. The fee", "before": "P01: ",
        "after": " was high 🙏. I nearly gave up.",
        "spans": {"ana": [[44, 59]], "ben": [[44, 67]]}, "consensus": [],
        "agreed": False, "decision": None,
    }]
    assert INT01[44:59] == "It took months." and INT01[44:67] == "It took months. The fee"


def test_passages_split_where_no_coder_marked_and_agreement_is_not_a_disagreement(project):
    stipend = disagreements(project, STIPEND, ["ana", "ben"])
    assert [(p.start, p.end, p.spans) for p in stipend] == [
        (*at(INT01, "The stipend helped."), {"ana": [at(INT01, "The stipend helped.")], "ben": []}),
        (*at(INT01, "My family helped too."), {"ana": [], "ben": [at(INT01, "My family helped too.")]}),
    ]
    add_coding(project, "int02", FIN, "cleo", match="Rent is high.")
    every = passages(project, FIN, ["ana", "cleo"])
    assert [(p.document, p.text, p.agreed) for p in every] == [
        ("int01", "The fee was high 🙏.", False), ("int02", "Rent is high.", True)]
    assert [p.text for p in disagreements(project, FIN, ["ana", "cleo"])] == ["The fee was high 🙏."]
    assert INT02.endswith("Rent is high.\n")


def test_adjudicating_writes_the_chosen_version_into_consensus_and_is_idempotent(project):
    originals = {c: spans_of(project, c) for c in ("ana", "ben")}
    start, end = at(INT01, "It took months. The fee")
    first = adjudicate(project, document="int01", code=VISA, start=start, end=end, accept="ana",
                       coders=["ana", "ben"])
    assert first.as_dict() == {"document": "int01", "code": VISA, "decision": "ana",
                               "spans": [(44, 59)], "created": [(44, 59)], "removed": [],
                               "changed": True}
    again = adjudicate(project, document="int01", code=VISA, start=start, end=end, accept="ana",
                       coders=["ana", "ben"])
    assert not again.changed and again.spans == [(44, 59)]
    assert spans_of(project, "consensus") == [("int01", VISA, 44, 59)]
    assert coding_log(project) == [("create", "consensus", 44, 59, "ana")]
    [p] = disagreements(project, VISA, ["ana", "ben"])
    assert p.consensus == [(44, 59)] and p.decision == "ana"
    assert {c: spans_of(project, c) for c in ("ana", "ben")} == originals
    [record] = list_codings(project, coder="consensus")
    assert record.quote == "It took months."


@pytest.mark.parametrize("decisions, final, log", [
    (["ben"], [(44, 67)], [("create", 44, 67)]),
    (["ana", "ben"], [(44, 67)], [("create", 44, 59), ("delete", 44, 59), ("create", 44, 67)]),
    (["both"], [(44, 67)], [("create", 44, 67)]),
    (["ana", "neither"], [], [("create", 44, 59), ("delete", 44, 59)]),
    (["neither", "neither"], [], []),
])
def test_changing_the_decision_replaces_the_consensus_version_and_logs_it(project, decisions, final, log):
    for decision in decisions:
        adjudicate(project, document="int01", code=VISA, start=44, end=67, accept=decision,
                   coders=["ana", "ben"])
    assert [(s, e) for _, _, s, e in spans_of(project, "consensus")] == final
    assert [(a, s, e) for a, _, s, e, _ in coding_log(project)] == log


def test_both_takes_the_union_of_overlapping_spans(project):
    start, end = at(INT01, "The fee was high 🙏.")
    result = adjudicate(project, document="int01", code=FIN, start=start, end=end,
                        accept="both", coders=["ana", "ben"])
    assert result.spans == [at(INT01, "The fee was high 🙏.")]  # ben's lies inside ana's


def test_adopting_agreements_copies_only_agreed_passages_once(db):
    build_project(db, cleo=True)
    assert adopt_agreements(db, FIN, ["ana", "cleo"]) == 1
    assert adopt_agreements(db, FIN, ["ana", "cleo"]) == 0
    assert spans_of(db, "consensus") == [("int02", FIN, *at(INT02, "Rent is high."))]


@pytest.mark.parametrize("kwargs, message", [
    ({"accept": "zoe"}, "accept must be one of ana, ben, 'both' or 'neither'"),
    ({"coders": ["ana", "consensus"]}, "'consensus' is the consensus coder"),
    ({"coders": ["ana"]}, "compare two or more coders"),
    ({"coders": ["ana", "zoe"], "accept": "ana"}, "no coder 'zoe'"),
    ({"start": 40, "end": 40}, "the passage 40-40 is empty"),
    ({"end": 999}, "lies outside int01"),
    ({"code": "Nope"}, "no code 'Nope'"),
    ({"document": "int99"}, "no document 'int99'"),
])
def test_bad_adjudications_are_refused_and_change_nothing(project, kwargs, message):
    args = {"document": "int01", "code": VISA, "start": 44, "end": 67, "accept": "ana",
            "coders": ["ana", "ben"], **kwargs}
    with pytest.raises(AdjudicationError, match=message):
        adjudicate(project, **args)
    assert spans_of(project, "consensus") == [] and coding_log(project) == []
