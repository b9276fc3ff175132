"""Undo and redo per actor, surviving a reload, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qualcode.coding import codebook_edit as cb
from qualcode.coding import editing
from qualcode.team.changelog import history
from qualcode.project.codes import find_code, paths_by_id
from qualcode.store.db import Database
from qualcode.project.documents import import_files
from qualcode.store.models import Code, Coding, EditHistory, Memo
from qualcode.coding.undo import EditConflict, peek, redo, undo
from qualcode.coding.undo import history as edit_history

TEXT = "P1: Money is tight 😬 and the visa took months.\nP2: My supervisor helped a lot.\n"
MONEY = (TEXT.index("Money"), TEXT.index("Money") + len("Money is tight 😬"))
VISA = (TEXT.index("the visa"), TEXT.index("the visa") + len("the visa took months"))


@pytest.fixture
def udb(db):
    assert not import_files(db, [("int01.txt", TEXT.encode())]).errors
    for name, parent in [("Barriers", None), ("Financial", "Barriers"), ("Costs", "Barriers"),
                         ("Fees", "Barriers/Costs"), ("Enablers", None)]:
        cb.create_code(db, name, parent=parent, actor="lead", record=False)
    return db


def reopen(db: Database) -> Database:
    """A new Database object on the same store: what a page reload or restart does."""
    db.close()
    return Database(db.url)


def state(db) -> dict:
    """The whole code tree and every coding, comparable across undo/redo (ids left out)."""
    with db.session() as s:
        pid = db.project_id(s)
        paths = paths_by_id(s, pid)
        codes = sorted((paths[c.id], c.guid, c.colour, c.definition, c.ordinal)
                       for c in s.scalars(select(Code)))
        codings = sorted((c.document_id, paths[c.code_id], c.coder_id, c.start, c.end, c.quote,
                          c.memo, c.guid, c.created_at) for c in s.scalars(select(Coding)))
    return {"codes": codes, "codings": codings}


def test_undo_and_redo_walk_back_and_forth_through_coding_actions(udb):
    s0 = state(udb)
    view = editing.add(udb, "int01", "Barriers", "ana", *MONEY)
    s1 = state(udb)
    editing.recode(udb, view.id, "Barriers/Financial", actor="ana")
    s2 = state(udb)
    editing.resize(udb, view.id, MONEY[0], MONEY[1] - 2, actor="ana")
    s3 = state(udb)
    editing.set_memo(udb, view.id, "tight 😬", actor="ana")
    s4 = state(udb)
    assert undo(udb, "ana") == "Undid: set the memo of Barriers/Financial on “Money is tight”"
    assert state(udb) == s3
    assert undo(udb, "ana") == f"Undid: resize Barriers/Financial from {MONEY[0]}-{MONEY[1]} to {MONEY[0]}-{MONEY[1] - 2}"
    assert state(udb) == s2
    assert undo(udb, "ana") == "Undid: recode “Money is tight 😬” from Barriers to Barriers/Financial"
    assert state(udb) == s1
    assert undo(udb, "ana") == "Undid: add Barriers to “Money is tight 😬”"
    assert state(udb) == s0
    assert undo(udb, "ana") is None
    assert redo(udb, "ana") == "Redid: add Barriers to “Money is tight 😬”"
    assert state(udb) == s1  # same guid and created_at: the coding is back exactly
    for expected in (s2, s3, s4):
        assert redo(udb, "ana").startswith("Redid: ")
        assert state(udb) == expected
    assert redo(udb, "ana") is None


def test_history_survives_reopening_the_database(udb):
    view = editing.add(udb, "int01", "Barriers", "ana", *MONEY)
    editing.remove(udb, view.id, actor="ana")
    db = reopen(udb)
    assert peek(db, "ana") == {"undo": "remove Barriers from “Money is tight 😬”", "redo": None}
    assert undo(db, "ana") == "Undid: remove Barriers from “Money is tight 😬”"
    db = reopen(db)
    assert peek(db, "ana") == {"undo": "add Barriers to “Money is tight 😬”",
                               "redo": "remove Barriers from “Money is tight 😬”"}
    assert [(c.code_path, c.quote) for c in editing.codings_for_document(db, "int01", viewer=None)] == [
        ("Barriers", "Money is tight 😬")]
    assert redo(db, "ana") == "Redid: remove Barriers from “Money is tight 😬”"
    assert editing.codings_for_document(db, "int01", viewer=None) == []
    db.close()


def test_a_new_action_clears_the_redo_tail_and_actors_have_separate_histories(udb):
    editing.add(udb, "int01", "Barriers", "ana", *MONEY)
    editing.add(udb, "int01", "Enablers", "ben", *VISA)
    assert undo(udb, "ana") == "Undid: add Barriers to “Money is tight 😬”"
    editing.add(udb, "int01", "Barriers/Costs", "ana", *VISA)
    assert peek(udb, "ana") == {"undo": "add Barriers/Costs to “the visa took months”", "redo": None}
    assert [(h.seq, h.kind, h.undone) for h in edit_history(udb, "ana")] == [(1, "add", False)]
    assert peek(udb, "ben") == {"undo": "add Enablers to “the visa took months”", "redo": None}


def test_undo_and_redo_are_in_the_change_log(udb):
    editing.add(udb, "int01", "Barriers", "ana", *MONEY)
    undo(udb, "ana")
    redo(udb, "ana")
    with udb.session() as s:
        entries = [(h["actor"], h["action"], h["entity"], h["detail"].get("edit")
                    or h["detail"].get("description")) for h in history(s)
                   if h["entity"] in ("coding", "edit")]
    assert entries == [
        ("ana", "create", "coding", None),
        ("ana", "delete", "coding", "undo add"),
        ("ana", "undo", "edit", "add Barriers to “Money is tight 😬”"),
        ("ana", "create", "coding", "redo add"),
        ("ana", "redo", "edit", "add Barriers to “Money is tight 😬”"),
    ]


def test_undoing_a_merge_restores_the_source_its_children_and_every_coding_exactly(udb):
    editing.add(udb, "int01", "Barriers/Financial", "ana", *MONEY, memo="tight")
    editing.add(udb, "int01", "Barriers/Costs", "ana", *MONEY, memo="😬 money")  # collapses
    editing.add(udb, "int01", "Barriers/Costs", "ben", *MONEY)  # moves
    editing.add(udb, "int01", "Barriers/Costs/Fees", "ana", *VISA)  # child code's coding
    before = state(udb)
    cb.merge_codes(udb, "Barriers/Costs", "Barriers/Financial", actor="lead")
    merged = state(udb)
    assert merged != before
    db = reopen(udb)
    assert undo(db, "lead") == "Undid: merge code Barriers/Costs into Barriers/Financial (1 moved, 1 collapsed)"
    assert state(db) == before
    assert redo(db, "lead").startswith("Redid: merge code Barriers/Costs")
    assert state(db) == merged
    db.close()


def test_undoing_a_delete_restores_the_codes_and_codings(udb):
    editing.add(udb, "int01", "Barriers/Costs", "ana", *MONEY, memo="m")
    editing.add(udb, "int01", "Barriers/Costs/Fees", "ben", *VISA)
    before = state(udb)
    cb.delete_code(udb, "Barriers/Costs", confirm=2, actor="lead")
    assert undo(udb, "lead") == "Undid: delete code Barriers/Costs (2 codings, 1 sub-codes)"
    assert state(udb) == before


@pytest.mark.parametrize("action,expected", [
    (lambda db, cid: cb.create_code(db, "New", parent="Barriers", actor="lead"),
     "Undid: create code Barriers/New"),
    (lambda db, cid: cb.rename_code(db, "Barriers/Costs", "Expenses", actor="lead"),
     "Undid: rename code Barriers/Costs to Expenses"),
    (lambda db, cid: cb.move_code(db, "Barriers/Costs", "Enablers", actor="lead"),
     "Undid: move code Barriers/Costs to Enablers/Costs"),
    (lambda db, cid: cb.update_code(db, "Barriers", colour="#000000", definition="d", actor="lead"),
     "Undid: update colour, definition of code Barriers"),
    (lambda db, cid: cb.reorder(db, "Barriers/Costs", 0, actor="lead"),
     "Undid: move code Barriers/Costs to place 1"),
    (lambda db, cid: editing.in_vivo(db, "int01", *VISA, "lead"),
     "Undid: in-vivo code the visa took months on “the visa took months”"),
    (lambda db, cid: editing.code_sentence(db, "int01", VISA[0], "Enablers", "lead"),
     "Undid: add Enablers to “P1: Money is tight 😬 and the visa took …”"),
])
def test_every_codebook_and_coding_action_undoes_to_the_state_before(udb, action, expected):
    cid = editing.add(udb, "int01", "Barriers/Costs", "ana", *MONEY).id
    before = state(udb)
    action(udb, cid)
    assert state(udb) != before
    assert undo(udb, "lead") == expected
    assert state(udb) == before


def test_an_undo_that_no_longer_fits_is_refused_and_the_history_is_kept(udb):
    view = editing.add(udb, "int01", "Barriers", "ana", *MONEY)
    editing.recode(udb, view.id, "Barriers/Financial", actor="ana")
    editing.recode(udb, view.id, "Enablers", actor="ben")  # someone else changes it since
    before = state(udb)
    with pytest.raises(EditConflict, match=(
            "cannot undo “recode “Money is tight 😬” from Barriers to Barriers/Financial”: "
            "the coding was changed since")):
        undo(udb, "ana")
    assert state(udb) == before
    assert peek(udb, "ana")["undo"] == "recode “Money is tight 😬” from Barriers to Barriers/Financial"
    with udb.session() as s:
        assert s.scalars(select(EditHistory.undone).order_by(EditHistory.id)).all() == [False] * 3


def test_undo_of_an_add_is_refused_after_someone_coded_with_the_in_vivo_code(udb):
    view = editing.in_vivo(udb, "int01", *VISA, "ana")
    editing.add(udb, "int01", view.code_id, "ben", *MONEY)
    with pytest.raises(EditConflict, match="has codings now"):
        undo(udb, "ana")
    assert peek(udb, "ana")["redo"] is None


def test_record_false_leaves_no_history(udb):
    editing.add(udb, "int01", "Barriers", "ana", *MONEY, record=False)
    assert peek(udb, "ana") == {"undo": None, "redo": None}


def memos(db) -> list[tuple]:
    """(title, code path or None, coding quote or None) of every free memo."""
    with db.session() as s:
        paths = paths_by_id(s, db.project_id(s))
        return sorted((m.title, paths.get(m.code_id), s.get(Coding, m.coding_id).quote
                       if m.coding_id else None) for m in s.scalars(select(Memo)))


def add_memo(db, title, *, code=None, coding=None):
    with db.session() as s:
        pid = db.project_id(s)
        code_id = find_code(s, pid, code).id if code else None
        s.add(Memo(project_id=pid, title=title, text="…", code_id=code_id, coding_id=coding))


def test_memos_about_codes_and_codings_survive_merge_delete_and_remove_and_undo_reattaches(udb):
    dup = editing.add(udb, "int01", "Barriers/Costs", "ana", *MONEY)
    editing.add(udb, "int01", "Barriers/Financial", "ana", *MONEY)
    gone = editing.add(udb, "int01", "Enablers", "ana", *VISA)
    add_memo(udb, "on costs", code="Barriers/Costs")
    add_memo(udb, "on the duplicate", coding=dup.id)
    add_memo(udb, "on enablers coding", coding=gone.id)
    before = memos(udb)
    assert before == [("on costs", "Barriers/Costs", None),
                      ("on enablers coding", None, "the visa took months"),
                      ("on the duplicate", None, "Money is tight 😬")]
    cb.merge_codes(udb, "Barriers/Costs", "Barriers/Financial", actor="lead")
    assert memos(udb) == [("on costs", "Barriers/Financial", None),
                          ("on enablers coding", None, "the visa took months"),
                          ("on the duplicate", None, "Money is tight 😬")]
    assert editing.remove(udb, gone.id, actor="ana").quote == "the visa took months"
    cb.delete_code(udb, "Barriers/Financial", confirm=1, actor="lead")
    assert memos(udb) == [("on costs", None, None), ("on enablers coding", None, None),
                          ("on the duplicate", None, None)]
    undo(udb, "lead")
    undo(udb, "ana")
    undo(udb, "lead")
    assert memos(udb) == before
