"""Editing the code tree (qualcode.coding.codebook_edit) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qualcode.coding import codebook_edit as cb
from qualcode.coding import editing
from qualcode.team.changelog import history
from qualcode.project.codes import paths_by_id
from qualcode.project.documents import import_files
from qualcode.store.models import Code, Coding

TEXT = "P1: Money is tight 😬 and the visa took months.\nP2: My supervisor helped a lot.\n"
MONEY = (TEXT.index("Money"), TEXT.index("Money") + len("Money is tight 😬"))
VISA = (TEXT.index("the visa"), TEXT.index("the visa") + len("the visa took months"))
HELP = (TEXT.index("My supervisor"), TEXT.index("My supervisor") + len("My supervisor helped"))


@pytest.fixture
def tdb(db):
    assert not import_files(db, [("int01.txt", TEXT.encode())]).errors
    for name, parent in [("Barriers", None), ("Financial", "Barriers"), ("Costs", "Barriers"),
                         ("Fees", "Barriers/Costs"), ("Enablers", None), ("Support", "Enablers")]:
        cb.create_code(db, name, parent=parent, actor="lead")
    return db


def tree(db) -> list[str]:
    with db.session() as s:
        return sorted(paths_by_id(s, db.project_id(s)).values())


def all_codings(db) -> list[tuple]:
    """Every coding as (code path, coder, start, end, memo, guid), sorted."""
    with db.session() as s:
        paths = paths_by_id(s, db.project_id(s))
        return sorted((paths[c.code_id], c.coder.name, c.start, c.end, c.memo, c.guid)
                      for c in s.scalars(select(Coding)))


def code_log(db) -> list[tuple]:
    with db.session() as s:
        return [(h["actor"], h["action"], h["detail"].get("edit"), h["detail"].get("path"))
                for h in history(s, entity="code")]


def test_create_code_places_it_last_with_a_palette_colour_and_logs_it(tdb):
    view = cb.create_code(tdb, "  Time   pressure ", parent="Barriers", definition="deadlines",
                          actor="ana")
    assert (view.path, view.name, view.colour, view.definition, view.ordinal) == (
        "Barriers/Time pressure", "Time pressure", "#b07aa1", "deadlines", 2)
    assert code_log(tdb)[-1] == ("ana", "create", "create code", "Barriers/Time pressure")


@pytest.mark.parametrize("name,kwargs,message", [
    ("financial", {"parent": "Barriers"}, "a code 'Barriers/Financial' exists already"),
    ("a/b", {}, "cannot contain '/'"),
    ("  ", {}, "a code needs a name"),
    ("X", {"colour": "red"}, "colour 'red' is not of the form #rrggbb"),
    ("X", {"parent": "Nope"}, "parent: no code 'Nope'"),
])
def test_create_code_refuses_bad_input_and_writes_nothing(tdb, name, kwargs, message):
    before = tree(tdb)
    with pytest.raises(cb.CodebookEditError, match=message):
        cb.create_code(tdb, name, actor="ana", **kwargs)
    assert tree(tdb) == before


def test_rename_and_update_keep_codings_and_log_before_and_after(tdb):
    c = editing.add(tdb, "int01", "Barriers/Financial", "ana", *MONEY)
    view = cb.rename_code(tdb, "Barriers/Financial", "Money", actor="ana")
    assert view.path == "Barriers/Money"
    assert editing.get_coding(tdb, c.id).code_path == "Barriers/Money"
    view = cb.update_code(tdb, view.id, colour="#ABCDEF", use_when="money talk", actor="ana")
    assert (view.colour, view.use_when, view.definition) == ("#abcdef", "money talk", "")
    with pytest.raises(cb.CodebookEditError, match="a sibling code is already called 'costs'"):
        cb.rename_code(tdb, "Barriers/Money", "costs", actor="ana")
    assert code_log(tdb)[-2:] == [("ana", "update", "rename code", "Barriers/Money"),
                                  ("ana", "update", "update code", "Barriers/Money")]


def test_move_code_re_parents_with_its_children_and_refuses_cycles(tdb):
    view = cb.move_code(tdb, "Barriers/Costs", "Enablers", actor="ana")
    assert (view.path, view.ordinal) == ("Enablers/Costs", 1)
    assert tree(tdb) == ["Barriers", "Barriers/Financial", "Enablers", "Enablers/Costs",
                         "Enablers/Costs/Fees", "Enablers/Support"]
    for target in ("Enablers/Costs", "Enablers/Costs/Fees"):
        with pytest.raises(cb.CodebookEditError, match="cannot sit under itself or its own sub-codes"):
            cb.move_code(tdb, "Enablers/Costs", target, actor="ana")
    assert cb.move_code(tdb, "Enablers/Costs/Fees", None, actor="ana").path == "Fees"


def test_reorder_moves_a_code_among_its_siblings(tdb):
    cb.reorder(tdb, "Barriers/Costs", 0, actor="ana")
    with tdb.session() as s:
        kids = s.scalars(select(Code.name).where(Code.parent_id == select(Code.id).where(
            Code.name == "Barriers").scalar_subquery()).order_by(Code.ordinal)).all()
    assert kids == ["Costs", "Financial"]
    with pytest.raises(cb.CodebookEditError, match="position must be 0-1"):
        cb.reorder(tdb, "Barriers/Costs", 5, actor="ana")


def test_code_usage_counts_codings_documents_coders_and_children(tdb):
    editing.add(tdb, "int01", "Barriers/Costs", "ana", *MONEY)
    editing.add(tdb, "int01", "Barriers/Costs/Fees", "ben", *VISA)
    editing.add(tdb, "int01", "Barriers/Costs/Fees", "ana", *VISA)
    assert cb.code_usage(tdb, "Barriers/Costs") == {
        "code": "Barriers/Costs", "codings": 3, "documents": 1, "coders": 2, "children": 1}
    assert cb.code_usage(tdb, "Barriers/Costs", include_children=False) == {
        "code": "Barriers/Costs", "codings": 1, "documents": 1, "coders": 1, "children": 1}


def test_merge_moves_codings_collapses_exact_duplicates_and_moves_children(tdb):
    keep = editing.add(tdb, "int01", "Barriers/Financial", "ana", *MONEY, memo="tight")
    editing.add(tdb, "int01", "Barriers/Costs", "ana", *MONEY, memo="😬 money")  # duplicate
    editing.add(tdb, "int01", "Barriers/Costs", "ben", *MONEY)  # other coder: moves
    editing.add(tdb, "int01", "Barriers/Costs", "ana", *VISA)  # other span: moves
    counts = cb.merge_codes(tdb, "Barriers/Costs", "Barriers/Financial", actor="lead")
    assert counts == {"source": "Barriers/Costs", "target": "Barriers/Financial", "moved": 2,
                      "collapsed": 1, "children_moved": 1, "codes_removed": 1}
    assert tree(tdb) == ["Barriers", "Barriers/Financial", "Barriers/Financial/Fees", "Enablers",
                         "Enablers/Support"]
    assert [c[:5] for c in all_codings(tdb)] == [
        ("Barriers/Financial", "ana", *MONEY, "tight\n\n😬 money"),
        ("Barriers/Financial", "ana", *VISA, None),
        ("Barriers/Financial", "ben", *MONEY, None)]
    assert editing.get_coding(tdb, keep.id).memo == "tight\n\n😬 money"


def test_merge_merges_same_named_children_and_refuses_into_itself_or_below(tdb):
    cb.create_code(tdb, "Fees", parent="Barriers/Financial", actor="lead")
    editing.add(tdb, "int01", "Barriers/Costs/Fees", "ana", *VISA)
    counts = cb.merge_codes(tdb, "Barriers/Costs", "Barriers/Financial", actor="lead")
    assert (counts["children_moved"], counts["codes_removed"]) == (0, 2)
    assert [c[0] for c in all_codings(tdb)] == ["Barriers/Financial/Fees"]
    with pytest.raises(cb.CodebookEditError, match="cannot be merged into itself"):
        cb.merge_codes(tdb, "Barriers", "Barriers", actor="lead")
    with pytest.raises(cb.CodebookEditError, match="into its own sub-code 'Barriers/Financial'"):
        cb.merge_codes(tdb, "Barriers", "Barriers/Financial", actor="lead")


def test_delete_is_refused_without_the_right_confirm_number_and_nothing_changes(tdb):
    editing.add(tdb, "int01", "Barriers/Costs", "ana", *MONEY)
    editing.add(tdb, "int01", "Barriers/Costs/Fees", "ben", *VISA)
    before_tree, before_codings, before_log = tree(tdb), all_codings(tdb), code_log(tdb)
    for wrong in (0, 1, 3, True, None):
        with pytest.raises(cb.CodebookEditError, match=(
                r"deleting 'Barriers/Costs' deletes 2 coding\(s\) and 1 sub-code\(s\); "
                r"confirm with that number of codings \(2\)")):
            cb.delete_code(tdb, "Barriers/Costs", confirm=wrong, actor="lead")
    assert (tree(tdb), all_codings(tdb), code_log(tdb)) == (before_tree, before_codings, before_log)
    assert cb.delete_code(tdb, "Barriers/Costs", confirm=2, actor="lead") == {
        "code": "Barriers/Costs", "codes_deleted": 2, "codings_deleted": 2}
    assert tree(tdb) == ["Barriers", "Barriers/Financial", "Enablers", "Enablers/Support"]
    assert all_codings(tdb) == []
    assert code_log(tdb)[-2:] == [("lead", "delete", "delete code", "Barriers/Costs/Fees"),
                                  ("lead", "delete", "delete code", "Barriers/Costs")]


def test_an_unused_code_is_deleted_with_confirm_zero(tdb):
    assert cb.code_usage(tdb, "Enablers/Support")["codings"] == 0
    assert cb.delete_code(tdb, "Enablers/Support", confirm=0, actor="lead")["codes_deleted"] == 1
