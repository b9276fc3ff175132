"""Blind (independent) coding across two coders (qualcode.coding.visibility) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from qualcode.coding import codebook_edit as cb
from qualcode.coding import editing
from qualcode.coding import visibility
from qualcode.team.changelog import history
from qualcode.project.documents import import_files

TEXT = "P1: Money is tight 😬 and the visa took months.\nP2: My supervisor helped a lot.\n"
MONEY = (TEXT.index("Money"), TEXT.index("Money") + len("Money is tight 😬"))
VISA = (TEXT.index("the visa"), TEXT.index("the visa") + len("the visa took months"))


@pytest.fixture
def two_coders(db):
    assert not import_files(db, [("int01.txt", TEXT.encode()),
                                 ("int02.txt", TEXT.replace("P1", "P3").encode())]).errors
    cb.create_code(db, "Barriers", actor="lead")
    for doc in ("int01", "int02"):
        editing.add(db, doc, "Barriers", "ana", *MONEY)
        editing.add(db, doc, "Barriers", "ben", *VISA)
    return db


def seen(db, viewer, doc="int01") -> list[tuple[str, str]]:
    return [(v.coder, v.quote) for v in editing.codings_for_document(db, doc, viewer=viewer)]


ANA = ("ana", "Money is tight 😬")
BEN = ("ben", "the visa took months")


def test_without_blind_coding_everyone_sees_everything(two_coders):
    assert (seen(two_coders, "ana"), seen(two_coders, "ben"), seen(two_coders, None)) == (
        [ANA, BEN], [ANA, BEN], [ANA, BEN])


def test_blind_coders_see_their_own_until_they_mark_the_document_done(two_coders):
    db = two_coders
    visibility.set_blind(db, True, actor="lead")
    assert visibility.is_blind(db) is True
    assert (seen(db, "ana"), seen(db, "ben")) == ([ANA], [BEN])
    assert visibility.mark_done(db, "int01", "ana") is True
    assert visibility.mark_done(db, "int01", "ana") is False
    assert (visibility.is_done(db, "int01", "ana"), visibility.is_done(db, "int01", "ben")) == (True, False)
    # ana finished int01: she now sees ben's codings there, but not on int02; ben still sees his own
    assert (seen(db, "ana"), seen(db, "ana", "int02"), seen(db, "ben")) == ([ANA, BEN], [ANA], [BEN])
    assert visibility.unmark_done(db, "int01", "ana") is True
    assert seen(db, "ana") == [ANA]
    visibility.set_blind(db, False, actor="lead")
    assert seen(db, "ben") == [ANA, BEN]


def test_in_blind_mode_an_unnamed_or_new_viewer_sees_nobody(two_coders):
    visibility.set_blind(two_coders, True, actor="lead")
    assert (seen(two_coders, None), seen(two_coders, "carla")) == ([], [])


def test_visible_coder_ids_returns_none_for_everyone_or_the_viewer_alone(two_coders):
    db = two_coders
    with db.session() as s:
        doc = editing.document_row(s, db.project_id(s), "int01")
        assert visibility.visible_coder_ids(s, doc.id, "ana") is None
    visibility.set_blind(db, True, actor="lead")
    ana_id = editing.codings_for_document(db, "int01", viewer="ana")[0].coder_id
    with db.session() as s:
        assert visibility.visible_coder_ids(s, doc.id, "ana") == {ana_id}
        with pytest.raises(visibility.VisibilityError, match="no document with id 999"):
            visibility.visible_coder_ids(s, 999, "ana")


def test_blind_switch_and_done_marks_are_logged(two_coders):
    db = two_coders
    visibility.set_blind(db, True, actor="lead")
    visibility.set_blind(db, True, actor="lead")  # no change, no entry
    visibility.mark_done(db, "int02", "ben")
    visibility.unmark_done(db, "int02", "ben")
    with db.session() as s:
        entries = [(h["actor"], h["action"], h["entity"], h["detail"]) for h in history(s)
                   if h["entity"] in ("project", "document") and h["action"] != "import"]
    assert entries == [
        ("lead", "update", "project", {"blind_coding": True}),
        ("ben", "mark_done", "document", {"coder": "ben", "document": "int02"}),
        ("ben", "unmark_done", "document", {"coder": "ben", "document": "int02"}),
    ]


def test_an_unknown_document_is_a_clear_error(two_coders):
    with pytest.raises(LookupError, match="no document 'int09'"):
        visibility.mark_done(two_coders, "int09", "ana")
