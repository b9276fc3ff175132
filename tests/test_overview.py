"""The study overview behind the Home page (``qualcode.project.overview.study_overview``): plain
counts on both engines, the blind-coding rule, the consensus layer, and the sample project's
numbers checked against its CSV files read independently."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import event
from test_access import DOC1, DOC2, _build, _span

from qualcode.coding import editing, visibility
from qualcode.coding.codebook_edit import create_code
from qualcode.project.documents import import_files
from qualcode.project.overview import study_overview
from qualcode.team.access import AccessDenied
from qualcode.team.settings import set_blind

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "transcripts_sample"


def test_an_empty_project_counts_nothing(db):
    ov = study_overview(db, viewer=None)
    assert (ov["documents"], ov["participants"], ov["codes"], ov["codings"]) == (0, 0, 0, 0)
    assert ov["coders"] == [] and not ov["compare"] and ov["consensus_documents"] == 0
    assert ov["blind"] is False and ov["me"] is None


def test_counts_per_coder_common_documents_and_the_consensus_layer(db):
    import_files(db, [("int1.txt", DOC1.encode()), ("int2.txt", DOC2.encode())])
    for name in ("Barriers", "Enablers"):
        create_code(db, name, actor="setup")
    editing.add(db, "int1", "Barriers", "ana", *_span(DOC1, "exam fees"))
    editing.add(db, "int1", "Enablers", "ana", *_span(DOC1, "A mentor"))
    editing.add(db, "int2", "Barriers", "ben", *_span(DOC2, "postponed twice"))
    ov = study_overview(db, viewer="ana")
    assert (ov["documents"], ov["codes"], ov["codings"]) == (2, 2, 3)
    assert ov["coders"] == [{"name": "ana", "documents": 1, "codings": 2},
                            {"name": "ben", "documents": 1, "codings": 1}]
    assert not ov["compare"]  # no document coded by both
    assert ov["me"] == {"name": "ana", "documents": 1, "codings": 2, "done": None}
    editing.add(db, "int2", "Enablers", "ana", *_span(DOC2, "My cousin"))
    editing.add(db, "int2", "Barriers", "consensus", *_span(DOC2, "postponed twice"))
    ov = study_overview(db, viewer=None)
    assert ov["compare"] and (ov["consensus_documents"], ov["consensus_codings"]) == (1, 1)
    assert [c["name"] for c in ov["coders"]] == ["ana", "ben"]  # consensus is not a coder here
    assert ov["codings"] == 5


def test_blind_coding_hides_other_coders_progress(db):
    _build(db)  # blind coding on; ana and ben coded int1 and int2; accounts
    ana = study_overview(db, viewer="ana")
    assert ana["blind"] and ana["coders"] == [{"name": "ana", "documents": 2, "codings": 2}]
    assert not ana["compare"] and ana["codings"] == 2
    assert ana["me"]["done"] == 0
    visibility.mark_done(db, "int2", "ana")
    ana = study_overview(db, viewer="ana")
    assert ana["coders"] == [{"name": "ana", "documents": 2, "codings": 2},
                             {"name": "ben", "documents": 1, "codings": 1}]  # only int2 of his
    assert ana["compare"] and ana["me"]["done"] == 1
    assert study_overview(db, viewer="vic")["coders"] == []  # a viewer sees no codings yet
    with pytest.raises(AccessDenied):
        study_overview(db, viewer=None)  # accounts: nobody reads
    set_blind(db, False, actor="olga")
    olga = study_overview(db, viewer="olga")
    assert olga["coders"] == [{"name": "ana", "documents": 2, "codings": 2},
                              {"name": "ben", "documents": 2, "codings": 3}]
    assert olga["me"] == {"name": "olga", "documents": 0, "codings": 0, "done": None}


def test_the_sample_projects_numbers_match_its_files(sample_db):
    rows = list(csv.DictReader((SAMPLE / "codings.csv").open(encoding="utf-8")))
    expected = {}
    for coder in sorted({r["coder"] for r in rows}):
        mine = [r for r in rows if r["coder"] == coder]
        expected[coder] = {"name": coder, "documents": len({r["document"] for r in mine}),
                           "codings": len(mine)}
    people = list(csv.DictReader((SAMPLE / "participants.csv").open(encoding="utf-8")))
    transcripts = [p for p in SAMPLE.iterdir() if p.name not in ("codings.csv", "participants.csv")]
    ov = study_overview(sample_db, viewer="ana")
    assert ov["documents"] == len(transcripts) == 12
    assert ov["participants"] == len({p["participant_id"] for p in people})
    assert ov["coders"] == list(expected.values())
    assert ov["codings"] == len(rows)
    assert ov["compare"] and ov["consensus_documents"] == 0


def test_the_counts_take_a_fixed_number_of_queries_whatever_the_number_of_documents(sample_db):
    statements = []
    engine = sample_db.engine
    listener = lambda *args: statements.append(args[2])
    event.listen(engine, "before_cursor_execute", listener)
    try:
        study_overview(sample_db, viewer="ana")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) <= 10, queries  # 12 documents; no per-document query
