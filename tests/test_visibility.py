"""Blind (independent) coding across two coders (qualcode.team.settings, qualcode.coding.visibility,
qualcode.team.access.visibility) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from qualcode.analysis.data import load
from qualcode.coding import codebook_edit as cb
from qualcode.coding import editing
from qualcode.coding import visibility
from qualcode.project.codings import list_codings
from qualcode.team import settings
from qualcode.team.access import visibility as seen_by
from qualcode.team.changelog import history
from qualcode.project.documents import find_document, import_files

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
    settings.set_blind(db, True, actor="lead")
    assert settings.is_blind(db) is True
    assert (seen(db, "ana"), seen(db, "ben")) == ([ANA], [BEN])
    assert visibility.mark_done(db, "int01", "ana") is True
    assert visibility.mark_done(db, "int01", "ana") is False
    assert (visibility.is_done(db, "int01", "ana"), visibility.is_done(db, "int01", "ben")) == (True, False)
    # ana finished int01: she now sees ben's codings there, but not on int02; ben still sees his own
    assert (seen(db, "ana"), seen(db, "ana", "int02"), seen(db, "ben")) == ([ANA, BEN], [ANA], [BEN])
    assert visibility.unmark_done(db, "int01", "ana") is True
    assert seen(db, "ana") == [ANA]
    settings.set_blind(db, False, actor="lead")
    assert seen(db, "ben") == [ANA, BEN]


def test_in_blind_mode_a_viewer_who_never_coded_sees_nobody(two_coders):
    settings.set_blind(two_coders, True, actor="lead")
    assert seen(two_coders, "carla") == []


def test_in_blind_mode_single_user_an_unnamed_reader_sees_the_same_on_every_read_path(two_coders):
    # One rule (access.visibility): with no accounts, a reader who names nobody is whoever owns
    # the file (command line, notebook) and sees everything, in the workspace as everywhere else.
    db = two_coders
    settings.set_blind(db, True, actor="lead")
    every = {("int01", "ana"), ("int01", "ben"), ("int02", "ana"), ("int02", "ben")}
    workspace = {(d, v.coder) for d in ("int01", "int02")
                 for v in editing.codings_for_document(db, d, viewer=None)}
    listed = {(c.document, c.coder) for c in list_codings(db)}
    data = load(db)
    names = data.documents["document"].to_dict()
    analysed = set(zip(data.codings["document_id"].map(names), data.codings["coder"]))
    assert workspace == listed == analysed == every
    assert seen(db, None) == [ANA, BEN]


def test_access_visibility_decides_per_document_for_the_workspace(two_coders):
    db = two_coders
    with db.session() as s:
        pid = db.project_id(s)
        doc1, doc2 = (find_document(s, pid, d).id for d in ("int01", "int02"))
        assert seen_by(s, pid, "ana").everything
    settings.set_blind(db, True, actor="lead")
    views = {v.coder: v.coder_id for v in editing.codings_for_document(db, "int01", viewer=None)}
    ana, ben = views["ana"], views["ben"]
    with db.session() as s:
        rule = seen_by(s, pid, "ana")
        assert (rule.sees(doc1, ana), rule.sees(doc1, ben), rule.sees(doc2, ben)) == (True, False, False)
    visibility.mark_done(db, "int01", "ana")
    with db.session() as s:
        rule = seen_by(s, pid, "ana")
        assert (rule.sees(doc1, ben), rule.sees(doc2, ben)) == (True, False)
    with pytest.raises(LookupError, match="no document with id 999"):
        editing.codings_for_document(db, 999, viewer="ana")


def test_blind_coding_is_switched_with_true_or_false(two_coders):
    with pytest.raises(settings.SettingsError, match="True or False"):
        settings.set_blind(two_coders, "yes", actor="lead")
    assert settings.is_blind(two_coders) is False


def test_blind_switch_and_done_marks_are_logged(two_coders):
    db = two_coders
    settings.set_blind(db, True, actor="lead")
    settings.set_blind(db, True, actor="lead")  # no change, no entry
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
