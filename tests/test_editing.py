"""Coding edits from the workspace (qualcode.coding.editing) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from qualcode.coding import editing
from qualcode.team.changelog import history
from qualcode.codebook import Codebook, CodeSpec
from qualcode.project.codes import apply_codebook
from qualcode.project.codings import CodingError
from qualcode.project.documents import import_files
from qualcode.coding.editing import CodingNotFound, StaleCoding
from qualcode.store.models import Coding
from qualcode.coding.undo import peek

TEXT = (
    "Interviewer: Tell me about funding.\n"
    "P07: The stipend — 500 dollars — helps 🙏. But the visa fee, the visa interview, all of that costs.\n"
)
CODES = Codebook(None, [
    CodeSpec(("Barriers",), colour="#e15759"), CodeSpec(("Barriers", "Financial"), colour="#f28e2b"),
    CodeSpec(("Barriers", "Immigration and visa"), colour="#4e79a7"),
    CodeSpec(("Enablers",), colour="#59a14f"),
    CodeSpec(("Enablers", "Scholarships and stipends"), colour="#76b7b2"),
])
HELPS = TEXT.index("helps 🙏.")
VISA = TEXT.index("the visa fee")


@pytest.fixture
def wdb(db):
    """A database with the codebook and one imported interview (turns and sentences stored)."""
    with db.session() as s:
        apply_codebook(s, db.project_id(s), CODES, actor="setup")
    assert not import_files(db, [("int07.txt", TEXT.encode())]).errors
    return db


def changes(db, entity=None):
    """(actor, action, entity, edit) of the change log after the setup entries."""
    with db.session() as s:
        rows = history(s, entity=entity)
    return [(h["actor"], h["action"], h["entity"], h["detail"].get("edit"))
            for h in rows if h["actor"] != "setup" and h["entity"] in ("coding", "code", "edit")]


def test_add_stores_code_point_offsets_and_the_exact_quote_with_an_emoji(wdb):
    view = editing.add(wdb, "int07", "Enablers/Scholarships and stipends", "ana", HELPS, HELPS + 8)
    assert (view.document, view.code_path, view.colour, view.coder, view.start, view.end,
            view.quote, view.memo, view.version) == (
        "int07", "Enablers/Scholarships and stipends", "#76b7b2", "ana", HELPS, HELPS + 8,
        "helps 🙏.", None, 1)
    assert editing.get_coding(wdb, view.id) == view
    assert changes(wdb) == [("ana", "create", "coding", None)]


def test_add_accepts_ids_and_returns_the_existing_coding_when_repeated(wdb):
    first = editing.add(wdb, "int07", "Barriers/Financial", "ana", VISA, VISA + 12, memo="fee")
    again = editing.add(wdb, first.document_id, first.code_id, "ana", VISA, VISA + 12)
    assert again == first
    assert peek(wdb, "ana") == {"undo": "add Barriers/Financial to “the visa fee”", "redo": None}


@pytest.mark.parametrize("start,end,message", [
    (5, 5, "offsets 5-5 are outside the document (0-135) or empty"),
    (10, 3, "offsets 10-3 are outside the document (0-135) or empty"),
    (-1, 4, "offsets -1-4 are outside the document (0-135) or empty"),
    (130, 136, "offsets 130-136 are outside the document (0-135) or empty"),
    (1.0, 4, "start must be a whole number of code points, not 1.0"),
])
def test_add_refuses_bad_offsets_and_writes_nothing(wdb, start, end, message):
    with pytest.raises(CodingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        editing.add(wdb, "int07", "Barriers", "ana", start, end)
    with wdb.session() as s:
        assert s.query(Coding).count() == 0
    assert changes(wdb) == []


def test_add_names_an_unknown_code_or_document(wdb):
    with pytest.raises(CodingError, match="no code 'Barriers/Financal'. Did you mean: Barriers/Financial"):
        editing.add(wdb, "int07", "Barriers/Financal", "ana", 0, 4)
    with pytest.raises(CodingError, match="no document 'int08'"):
        editing.add(wdb, "int08", "Barriers", "ana", 0, 4)


def test_codings_for_document_are_sorted_by_start_then_end(wdb):
    b = editing.add(wdb, "int07", "Barriers/Financial", "ben", VISA, VISA + 12)
    a = editing.add(wdb, "int07", "Barriers", "ana", VISA, VISA + 30)
    c = editing.add(wdb, "int07", "Enablers", "ana", HELPS, HELPS + 8)
    views = editing.codings_for_document(wdb, "int07", viewer=None)
    assert [(v.id, v.coder, v.start, v.end) for v in views] == [
        (c.id, "ana", HELPS, HELPS + 8), (b.id, "ben", VISA, VISA + 12), (a.id, "ana", VISA, VISA + 30)]


def test_remove_deletes_and_logs_and_a_missing_id_is_a_clear_error(wdb):
    view = editing.add(wdb, "int07", "Barriers", "ana", VISA, VISA + 12)
    assert editing.remove(wdb, view.id, actor="ana") == view
    assert editing.codings_for_document(wdb, "int07", viewer=None) == []
    with pytest.raises(CodingNotFound, match=f"no coding with id {view.id}; it may have been removed"):
        editing.remove(wdb, view.id, actor="ana")
    assert changes(wdb) == [("ana", "create", "coding", None), ("ana", "delete", "coding", "remove")]


def test_recode_changes_the_code_and_bumps_the_version(wdb):
    view = editing.add(wdb, "int07", "Barriers", "ana", VISA, VISA + 12)
    result = editing.recode(wdb, view.id, "Barriers/Immigration and visa", actor="ana")
    assert (result.collapsed, result.message, result.coding.code_path, result.coding.version,
            result.coding.id) == (False, "Recoded to Barriers/Immigration and visa.",
                                  "Barriers/Immigration and visa", 2, view.id)
    assert changes(wdb)[-1] == ("ana", "update", "coding", "recode")


def test_recode_onto_an_identical_coding_collapses_the_two_and_joins_memos(wdb):
    keep = editing.add(wdb, "int07", "Barriers/Financial", "ana", VISA, VISA + 12, memo="money")
    other = editing.add(wdb, "int07", "Barriers", "ana", VISA, VISA + 12, memo="fee is high")
    result = editing.recode(wdb, other.id, "Barriers/Financial", actor="ana")
    assert (result.collapsed, result.coding.id, result.coding.memo) == (
        True, keep.id, "money\n\nfee is high")
    assert result.message == ("The same passage was already coded Barriers/Financial by this coder; "
                              f"the two codings are now one (id {keep.id}); their memos were joined.")
    assert [(v.id, v.code_path) for v in editing.codings_for_document(wdb, "int07", viewer=None)] == [
        (keep.id, "Barriers/Financial")]


def test_resize_recomputes_the_quote_and_refuses_stale_versions(wdb):
    view = editing.add(wdb, "int07", "Enablers", "ana", HELPS, HELPS + 5)
    grown = editing.resize(wdb, view.id, HELPS, HELPS + 8, actor="ana", expected_version=1)
    assert (grown.start, grown.end, grown.quote, grown.version) == (HELPS, HELPS + 8, "helps 🙏.", 2)
    shrunk = editing.resize(wdb, view.id, HELPS + 6, HELPS + 7, actor="ana")
    assert (shrunk.quote, shrunk.version) == ("🙏", 3)
    with pytest.raises(StaleCoding, match="was changed since you loaded it \\(version 1, now 3\\)"):
        editing.resize(wdb, view.id, HELPS, HELPS + 8, actor="ben", expected_version=1)
    with pytest.raises(CodingError, match="outside the document"):
        editing.resize(wdb, view.id, HELPS, 999, actor="ana")
    assert editing.get_coding(wdb, view.id).quote == "🙏"


def test_set_memo_attaches_changes_and_clears(wdb):
    view = editing.add(wdb, "int07", "Enablers", "ana", HELPS, HELPS + 8)
    assert editing.set_memo(wdb, view.id, "gratitude ✨", actor="ana").memo == "gratitude ✨"
    assert editing.set_memo(wdb, view.id, "   ", actor="ana").memo is None
    assert [c[1:] for c in changes(wdb)] == [("create", "coding", None), ("update", "coding", "memo"),
                                             ("update", "coding", "memo")]


@pytest.mark.parametrize("unit,offset,expected", [
    ("sentence", HELPS + 6, "The stipend — 500 dollars — helps 🙏."),
    ("sentence", VISA, "But the visa fee, the visa interview, all of that costs."),
    ("turn", HELPS + 6,
     "The stipend — 500 dollars — helps 🙏. But the visa fee, the visa interview, all of that costs."),
    ("turn", 14, "Tell me about funding."),
])
def test_click_to_code_takes_the_stored_sentence_or_turn(wdb, unit, offset, expected):
    fn = editing.code_sentence if unit == "sentence" else editing.code_turn
    view = fn(wdb, "int07", offset, "Barriers", "ana")
    assert (view.quote, TEXT[view.start:view.end]) == (expected, expected)


def test_click_outside_any_sentence_says_where_to_click(wdb):
    with pytest.raises(CodingError, match="offset 2 lies between sentences .* click inside the words"):
        editing.code_sentence(wdb, "int07", 2, "Barriers", "ana")


def test_in_vivo_names_a_code_by_the_words_and_keeps_names_unique(wdb):
    start = TEXT.index("the visa interview")
    first = editing.in_vivo(wdb, "int07", start, start + len("the visa interview, "), "ana",
                            parent_path="Barriers")
    second = editing.in_vivo(wdb, "int07", start, start + len("the visa interview"), "ben",
                             parent_path="Barriers")
    assert [(v.code_path, v.quote, v.coder) for v in (first, second)] == [
        ("Barriers/the visa interview", "the visa interview, ", "ana"),
        ("Barriers/the visa interview (2)", "the visa interview", "ben")]


def test_in_vivo_cuts_long_selections_to_sixty_characters_at_a_word():
    long = "all of that costs and the stipend does not cover the visa interview fees at all"
    assert editing.in_vivo_name(long) == "all of that costs and the stipend does not cover the visa…"
    assert len(editing.in_vivo_name(long)) <= 60
    assert editing.in_vivo_name("  “a/b  c”  ") == "a b c"


def test_in_vivo_refuses_a_selection_without_words(wdb):
    space = TEXT.index(" — 500")
    with pytest.raises(CodingError, match="no words to name a code by"):
        editing.in_vivo(wdb, "int07", space, space + 1, "ana")


# The SQLite downgrade rebuilds `coding` (batch mode) and reflects the expression index it skips.
#: SQL statements one workspace add may take on SQLite once its coder exists: BEGIN, the project,
#: the document, the code tree (once), the account check, the coder, the duplicate check, the
#: insert, the change log, the coding's stored times, and the undo history (3). It was 19 when the
#: document and code were looked up twice and the code tree read five times.
ADD_STATEMENTS = 13


def test_one_add_looks_everything_up_once(sample_db):
    from sqlalchemy import event, select

    from qualcode.project.codes import tree
    from qualcode.store.models import Document, Sentence

    db = sample_db
    with db.session() as s:
        pid = db.project_id(s)
        leaf = max((p for p, _c in tree(s, pid)), key=len)  # the deepest code: the longest walk
        path = "/".join(leaf)
        code_id = next(c.id for p, c in tree(s, pid) if p == leaf)
        doc = s.scalars(select(Document).order_by(Document.name)).first()
        units = s.execute(select(Sentence.start, Sentence.end).where(Sentence.document_id == doc.id)
                          .order_by(Sentence.start).limit(4)).all()
        doc_id, doc_name = doc.id, doc.name
    editing.add(db, doc_name, path, "counter", *units[0])  # creates the coder: not counted
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()).lower())

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for document, code, (start, end) in ((doc_name, path, units[1]), (doc_id, code_id, units[2])):
            statements.clear()
            view = editing.add(db, document, code, "counter", start, end)
            assert (view.code_path, view.document, view.coder) == (path, doc_name, "counter")
            assert len(statements) <= ADD_STATEMENTS, "\n".join(statements)
            reads = [q for q in statements if q.startswith("select")]
            assert sum(" from code " in q for q in reads) == 1, reads  # the code tree, once
            assert sum(" from document " in q for q in reads) <= 1, reads
        statements.clear()
        editing.code_sentence(db, doc_id, units[3][0], code_id, "counter")  # one transaction too
        assert len(statements) <= ADD_STATEMENTS + 1, "\n".join(statements)  # + the sentence
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
def test_migration_0003_gives_existing_codings_version_1_and_downgrades_cleanly(db_url):
    from alembic import command

    from qualcode.store.db import Database
    from qualcode.store.models import Coder, Document

    when = datetime(2026, 1, 1, tzinfo=UTC)
    old = Database(db_url, migrate=False)
    with old.engine.begin() as conn:
        command.upgrade(old._alembic_config(conn), "0002")
    with old.engine.begin() as conn:
        # Raw SQL where today's tables have columns 0002 lacks (project and code gained some).
        conn.execute(text("INSERT INTO project (id, name, guid, blind_coding, created_at) "
                          "VALUES (1, 'p', 'g', false, :t)"), {"t": when})
        conn.execute(Document.__table__.insert(), [{
            "id": 1, "project_id": 1, "name": "d", "original_filename": "d.txt", "format": "txt",
            "content_hash": "h", "text": "héllo 🙂 world", "import_report": "{}", "guid": "gd",
            "created_at": when}])
        conn.execute(text("INSERT INTO code (id, project_id, name, definition, use_when, "
                          "do_not_use_when, example, ordinal, guid) VALUES (1, 1, 'c', '', '', '', '', 0, 'gc')"))
        conn.execute(Coder.__table__.insert(), [{"id": 1, "project_id": 1, "name": "ana", "guid": "gk"}])
        # Written with 0002's columns only: the row has no version until 0003 gives it one.
        conn.execute(text(
            "INSERT INTO coding (id, document_id, code_id, coder_id, start, \"end\", quote, guid, "
            "created_at, updated_at) VALUES (1, 1, 1, 1, 6, 7, :q, 'gx', :t, :t)"), {"q": "🙂", "t": when})
    old.close()
    db = Database(db_url)
    view = editing.get_coding(db, 1)
    assert (view.quote, view.version, db.current_revision()) == ("🙂", 1, Database.head_revision())
    assert editing.resize(db, 1, 6, 13, actor="ana").version == 2
    with db.engine.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0002")
    assert db.current_revision() == "0002"
    db.close()
