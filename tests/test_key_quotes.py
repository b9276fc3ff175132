"""Key quotes (qualcode.coding.key_quotes): starring codings, on SQLite and PostgreSQL.

A star is a coding edit like a memo: permission, optimistic locking, the change log and undo
all apply; it is idempotent; the list of key quotes follows the blind-coding rule; and the
star survives what a coding goes through (resize, recode, merge, removal and undo, a project
backup and restore).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from qualcode.coding import codebook_edit as cb
from qualcode.coding import editing, visibility
from qualcode.coding.editing import CodingNotFound, StaleCoding
from qualcode.coding.key_quotes import key_quotes, set_key_quote
from qualcode.coding.undo import EditConflict, history, peek, redo, undo
from qualcode.project.codings import CodingError
from qualcode.project.documents import apply_attributes, import_files
from qualcode.project.participants import parse_attributes
from qualcode.store.models import ChangeLog, Coding, EditHistory
from qualcode.team import accounts
from qualcode.team.access import AccessDenied
from qualcode.team.settings import set_blind

TEXT = ("Interviewer: How did you manage?\n"
        "P1: Money is tight 😬 and the visa took months.\nP1: My supervisor helped a lot.\n")
TEXT2 = "Interviewer: And you?\nP2: The exam fees were brutal.\n"
PW = "correct horse battery"


def span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


MONEY, VISA, HELPED = span(TEXT, "Money is tight 😬"), span(TEXT, "the visa took months"), \
    span(TEXT, "My supervisor helped a lot")
FEES = span(TEXT2, "The exam fees were brutal")


@pytest.fixture
def kdb(db):
    """Two interviews (linked to participants P1 and P2), a small code tree."""
    assert not import_files(db, [("int01.txt", TEXT.encode()), ("int02.txt", TEXT2.encode())]).errors
    for name, parent in [("Barriers", None), ("Financial", "Barriers"), ("Visa", "Barriers"),
                         ("Enablers", None)]:
        cb.create_code(db, name, parent=parent, actor="lead", record=False)
    apply_attributes(db, parse_attributes(b"participant_id,document,role\nP1,int01,student\n"
                                          b"P2,int02,resident\n", "people.csv"))
    return db


def starred(db) -> dict[str, bool]:
    """quote → key_quote of every coding, read from the table."""
    with db.session() as s:
        return {c.quote: c.key_quote for c in s.scalars(select(Coding).order_by(Coding.id))}


def log_size(db) -> int:
    with db.session() as s:
        return len(s.scalars(select(ChangeLog.id)).all())


def test_star_is_logged_undoable_and_redoable(kdb):
    view = editing.add(kdb, "int01", "Barriers/Financial", "ana", *MONEY)
    assert view.key_quote is False and view.version == 1
    done = set_key_quote(kdb, view.id, True, actor="ana")
    assert done.changed and done.coding.key_quote and done.coding.version == 2
    assert done.message == "Marked as a key quote: Barriers/Financial on “Money is tight 😬”."
    assert editing.get_coding(kdb, view.id).key_quote is True
    assert [c.key_quote for c in editing.codings_for_document(kdb, "int01", viewer="ana")] == [True]
    with kdb.session() as s:
        entry = s.scalars(select(ChangeLog).order_by(ChangeLog.id.desc())).first()
        assert (entry.actor, entry.action, entry.entity, entry.entity_id) == (
            "ana", "update", "coding", view.id)
        assert json.loads(entry.detail) == {"code": "Barriers/Financial", "before": {"key_quote": False},
                                            "after": {"key_quote": True}, "edit": "key quote"}
    assert peek(kdb, "ana")["undo"] == "star Barriers/Financial on “Money is tight 😬”"
    assert undo(kdb, "ana") == "Undid: star Barriers/Financial on “Money is tight 😬”"
    assert starred(kdb) == {"Money is tight 😬": False}
    assert redo(kdb, "ana") == "Redid: star Barriers/Financial on “Money is tight 😬”"
    assert starred(kdb) == {"Money is tight 😬": True}
    set_key_quote(kdb, view.id, False, actor="ana")
    assert starred(kdb) == {"Money is tight 😬": False}
    assert peek(kdb, "ana")["undo"] == "unstar Barriers/Financial on “Money is tight 😬”"
    undo(kdb, "ana")
    assert starred(kdb) == {"Money is tight 😬": True}


def test_starring_twice_changes_and_logs_nothing(kdb):
    view = editing.add(kdb, "int01", "Barriers", "ana", *MONEY)
    first = set_key_quote(kdb, view.id, True, actor="ana")
    size, steps = log_size(kdb), len(history(kdb, "ana"))
    again = set_key_quote(kdb, view.id, True, actor="ana")
    assert not again.changed and again.coding.version == first.coding.version
    assert again.message == "Barriers on “Money is tight 😬” is already a key quote; nothing changed."
    assert (log_size(kdb), len(history(kdb, "ana"))) == (size, steps)
    other = editing.add(kdb, "int01", "Enablers", "ana", *HELPED)
    assert not set_key_quote(kdb, other.id, False, actor="ana").changed
    assert (log_size(kdb) - 1, len(history(kdb, "ana"))) == (size, steps + 1)  # only the add


def test_a_stale_version_or_a_removed_coding_is_refused(kdb):
    view = editing.add(kdb, "int01", "Barriers", "ana", *MONEY)
    editing.set_memo(kdb, view.id, "changed elsewhere", actor="ana")
    with pytest.raises(StaleCoding, match="was changed since you loaded it"):
        set_key_quote(kdb, view.id, True, actor="ana", expected_version=view.version)
    assert starred(kdb) == {"Money is tight 😬": False}
    assert set_key_quote(kdb, view.id, True, actor="ana", expected_version=view.version + 1).changed
    editing.remove(kdb, view.id, actor="ana")
    with pytest.raises(CodingNotFound, match=f"no coding with id {view.id}"):
        set_key_quote(kdb, view.id, False, actor="ana")
    with pytest.raises(CodingError, match="starred is True"):
        set_key_quote(kdb, view.id, "yes", actor="ana")


def test_record_false_leaves_no_history(kdb):
    view = editing.add(kdb, "int01", "Barriers", "ana", *MONEY, record=False)
    set_key_quote(kdb, view.id, True, actor="ana", record=False)
    assert peek(kdb, "ana") == {"undo": None, "redo": None}


def test_an_undo_of_a_star_is_refused_once_someone_else_unstarred_it(kdb):
    view = editing.add(kdb, "int01", "Barriers", "ana", *MONEY)
    set_key_quote(kdb, view.id, True, actor="ana")
    set_key_quote(kdb, view.id, False, actor="lead")  # someone else (single-user mode: anyone)
    with pytest.raises(EditConflict, match="cannot undo “star Barriers on “Money is tight 😬””: "
                                           "the coding was changed since"):
        undo(kdb, "ana")
    assert starred(kdb) == {"Money is tight 😬": False}
    assert peek(kdb, "ana")["undo"] == "star Barriers on “Money is tight 😬”"


# -- the star travels with the coding -------------------------------------------------------------


def test_resize_and_recode_keep_the_star(kdb):
    view = editing.add(kdb, "int01", "Barriers", "ana", *MONEY)
    set_key_quote(kdb, view.id, True, actor="ana")
    editing.resize(kdb, view.id, MONEY[0], MONEY[1] - 2, actor="ana")
    editing.recode(kdb, view.id, "Barriers/Financial", actor="ana")
    after = editing.get_coding(kdb, view.id)
    assert (after.code_path, after.quote, after.key_quote) == ("Barriers/Financial", "Money is tight", True)


@pytest.mark.parametrize("star_source,star_target", [(True, False), (False, True), (True, True)])
def test_a_recode_that_collapses_keeps_the_star_if_either_had_it_and_undo_restores_both(
        kdb, star_source, star_target):
    source = editing.add(kdb, "int01", "Barriers", "ana", *MONEY)
    target = editing.add(kdb, "int01", "Barriers/Financial", "ana", *MONEY)
    for view, star in ((source, star_source), (target, star_target)):
        if star:
            set_key_quote(kdb, view.id, True, actor="ana")
    result = editing.recode(kdb, source.id, "Barriers/Financial", actor="ana")
    assert result.collapsed and result.coding.id == target.id and result.coding.key_quote is True
    undo(kdb, "ana")
    assert editing.get_coding(kdb, target.id).key_quote is star_target
    with kdb.session() as s:
        assert {c.code_id: c.key_quote for c in s.scalars(select(Coding))} == {
            source.code_id: star_source, target.code_id: star_target}
    redo(kdb, "ana")
    assert [(c.code_path, c.key_quote) for c in editing.codings_for_document(kdb, "int01", viewer="ana")] == [
        ("Barriers/Financial", True)]


def test_a_merge_of_codes_keeps_the_star_of_a_collapsed_passage(kdb):
    source = editing.add(kdb, "int01", "Barriers/Visa", "ana", *MONEY)
    editing.add(kdb, "int01", "Barriers/Financial", "ana", *MONEY)
    moved = editing.add(kdb, "int01", "Barriers/Visa", "ben", *VISA)
    set_key_quote(kdb, source.id, True, actor="ana")
    set_key_quote(kdb, moved.id, True, actor="ben")
    counts = cb.merge_codes(kdb, "Barriers/Visa", "Barriers/Financial", actor="lead")
    assert (counts["moved"], counts["collapsed"]) == (1, 1)
    assert [(q.code, q.coder, q.quote) for q in key_quotes(kdb, viewer=None)] == [
        ("Barriers/Financial", "ana", "Money is tight 😬"),
        ("Barriers/Financial", "ben", "the visa took months")]
    undo(kdb, "lead")
    assert [(q.code, q.coder) for q in key_quotes(kdb, viewer=None)] == [("Barriers/Visa", "ana"),
                                                                          ("Barriers/Visa", "ben")]


def test_removing_or_deleting_the_code_and_undoing_brings_the_star_back(kdb):
    view = editing.add(kdb, "int01", "Barriers/Financial", "ana", *MONEY)
    set_key_quote(kdb, view.id, True, actor="ana")
    editing.remove(kdb, view.id, actor="ana")
    assert key_quotes(kdb, viewer="ana") == []
    undo(kdb, "ana")
    assert [q.quote for q in key_quotes(kdb, viewer="ana")] == ["Money is tight 😬"]
    cb.delete_code(kdb, "Barriers/Financial", confirm=1, actor="lead")
    undo(kdb, "lead")
    assert [q.quote for q in key_quotes(kdb, viewer="ana")] == ["Money is tight 😬"]


def test_history_from_before_key_quotes_still_undoes(kdb):
    """A removal recorded before the snapshot carried ``key_quote`` re-creates an unstarred
    coding and a redo of it does not compare the star."""
    view = editing.add(kdb, "int01", "Barriers", "ana", *MONEY)
    editing.remove(kdb, view.id, actor="ana")
    with kdb.session() as s:
        entry = s.scalars(select(EditHistory).order_by(EditHistory.seq.desc())).first()
        for column in ("forward", "inverse"):
            ops = json.loads(getattr(entry, column))
            for op in ops:
                op.get("row", {}).pop("key_quote", None)
            setattr(entry, column, json.dumps(ops))
    undo(kdb, "ana")
    assert starred(kdb) == {"Money is tight 😬": False}
    redo(kdb, "ana")
    assert starred(kdb) == {}


def test_a_project_backup_and_restore_keep_the_stars(kdb, tmp_path):
    from qualcode.project.projects import backup_project, restore_project

    a = editing.add(kdb, "int01", "Barriers", "ana", *MONEY)
    editing.add(kdb, "int01", "Enablers", "ana", *HELPED)
    set_key_quote(kdb, a.id, True, actor="ana")
    backup_project(kdb, tmp_path / "p.db")
    restore_project(kdb, tmp_path / "p.db", name="restored copy")
    copy = kdb.use("restored copy")
    assert [(q.quote, q.participant) for q in key_quotes(copy, viewer=None)] == [("Money is tight 😬", "P1")]
    assert {c.quote: c.key_quote for c in editing.codings_for_document(copy, "int01", viewer=None)} == {
        "Money is tight 😬": True, "My supervisor helped a lot": False}


# -- the list -------------------------------------------------------------------------------------


def test_key_quotes_lists_starred_codings_with_participant_and_filters_by_code_and_document(kdb):
    ids = [editing.add(kdb, doc, code, coder, *where).id for doc, code, coder, where in [
        ("int01", "Barriers/Financial", "ana", MONEY), ("int01", "Barriers/Visa", "ben", VISA),
        ("int01", "Enablers", "ana", HELPED), ("int02", "Barriers", "ana", FEES)]]
    for cid, coder in zip(ids, ["ana", "ben", "ana", "ana"]):
        set_key_quote(kdb, cid, True, actor=coder)
    editing.add(kdb, "int02", "Enablers", "ana", *FEES)  # not starred
    everything = key_quotes(kdb, viewer=None)
    assert [(q.document, q.participant, q.code, q.coder, q.quote) for q in everything] == [
        ("int01", "P1", "Barriers/Financial", "ana", "Money is tight 😬"),
        ("int01", "P1", "Barriers/Visa", "ben", "the visa took months"),
        ("int01", "P1", "Enablers", "ana", "My supervisor helped a lot"),
        ("int02", "P2", "Barriers", "ana", "The exam fees were brutal")]
    assert everything[0].as_dict() == {
        "coding_id": ids[0], "document": "int01", "participant": "P1", "code": "Barriers/Financial",
        "coder": "ana", "start": MONEY[0], "end": MONEY[1], "quote": "Money is tight 😬", "memo": None,
        "version": 2, "starred": True}
    assert [q.code for q in key_quotes(kdb, viewer=None, code="Barriers")] == [
        "Barriers/Financial", "Barriers/Visa", "Barriers"]
    assert [q.code for q in key_quotes(kdb, viewer=None, code="Barriers", include_below=False)] == [
        "Barriers"]
    assert [q.code for q in key_quotes(kdb, viewer=None, code="barriers/visa")] == ["Barriers/Visa"]
    assert [q.quote for q in key_quotes(kdb, viewer=None, document="int02")] == ["The exam fees were brutal"]
    assert [(q.quote, q.starred) for q in key_quotes(kdb, viewer=None, document="int02", only_starred=False)] \
        == [("The exam fees were brutal", True), ("The exam fees were brutal", False)]
    with pytest.raises(CodingError, match="no code"):
        key_quotes(kdb, viewer=None, code="Nowhere")
    with pytest.raises(CodingError, match="no document 'int9'"):
        key_quotes(kdb, viewer=None, document="int9")


# -- who may star and who sees it -----------------------------------------------------------------


@pytest.fixture
def team(kdb):
    """ana and ben coded int01 and int02; then accounts: olga owner, ana and ben coders, vic
    viewer."""
    for doc, code, coder, where in [("int01", "Barriers/Financial", "ana", MONEY),
                                    ("int01", "Barriers/Visa", "ben", VISA),
                                    ("int02", "Barriers", "ben", FEES)]:
        editing.add(kdb, doc, code, coder, *where)
    accounts.add_account(kdb, "olga", PW, role="owner")
    for name, role in (("ana", "coder"), ("ben", "coder"), ("vic", "viewer")):
        accounts.add_account(kdb, name, PW, role=role, actor="olga")
    with kdb.session() as s:
        return kdb, {c.quote: c.id for c in s.scalars(select(Coding))}


def test_a_coder_stars_only_their_own_codings_an_owner_anyones_a_viewer_none(team):
    db, ids = team
    assert set_key_quote(db, ids["Money is tight 😬"], True, actor="ana").changed
    with pytest.raises(AccessDenied, match="'ana' may change only their own codings, not 'ben'"):
        set_key_quote(db, ids["the visa took months"], True, actor="ana")
    with pytest.raises(AccessDenied, match="'vic' is a viewer"):
        set_key_quote(db, ids["Money is tight 😬"], False, actor="vic")
    with pytest.raises(AccessDenied, match="this database has accounts"):
        set_key_quote(db, ids["Money is tight 😬"], False, actor=None)
    assert set_key_quote(db, ids["the visa took months"], True, actor="olga").changed
    assert starred(db) == {"Money is tight 😬": True, "the visa took months": True,
                           "The exam fees were brutal": False}
    assert peek(db, "olga")["undo"] == "star Barriers/Visa on “the visa took months”"
    undo(db, "olga")
    assert starred(db)["the visa took months"] is False


def test_blind_coding_hides_other_coders_key_quotes_until_the_document_is_done(team):
    db, ids = team
    set_key_quote(db, ids["Money is tight 😬"], True, actor="ana")
    set_key_quote(db, ids["the visa took months"], True, actor="ben")
    set_key_quote(db, ids["The exam fees were brutal"], True, actor="ben")
    set_blind(db, True, actor="olga")
    assert [q.coder for q in key_quotes(db, viewer="ana")] == ["ana"]
    assert key_quotes(db, viewer="vic") == []  # a viewer has no codings of their own
    assert key_quotes(db, viewer="olga") == []
    with pytest.raises(AccessDenied):
        key_quotes(db, viewer=None)
    # an owner may star anyone's coding, but only where they see it
    with pytest.raises(CodingNotFound, match="that you may see"):
        set_key_quote(db, ids["the visa took months"], False, actor="olga")
    with pytest.raises(CodingNotFound, match="that you may see"):  # hidden reads as not found
        set_key_quote(db, ids["the visa took months"], False, actor="ana")
    visibility.mark_done(db, "int01", "ana")
    assert [(q.coder, q.document) for q in key_quotes(db, viewer="ana")] == [("ana", "int01"),
                                                                             ("ben", "int01")]
    visibility.mark_done(db, "int01", "olga")
    assert not set_key_quote(db, ids["the visa took months"], True, actor="olga").changed
    set_blind(db, False, actor="olga")
    assert len(key_quotes(db, viewer="vic")) == 3
