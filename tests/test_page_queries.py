"""No page calls the database more often on a big project than on a small one (issue #13).

Every page an owner has in single-user mode is opened with AppTest on a 200-document project
and on a 20-document one (short labelled transcripts, the shipped codebook, three coders'
codings, participants with attributes), each a real SQLite file built once per module. A
SQLAlchemy ``before_cursor_execute`` listener counts the SQL statements of the page's first
render and of a second rerun with nothing changed. Each count must stay within the page's
budget, and the 200-document count may exceed the 20-document one by only a small constant: a
query per document (an N+1 load) grows by 180 and fails here. Counts, not timings, so the test
is stable on a slow machine.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from app_support import current_page, open_page
from sqlalchemy import event
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from qualcode.analysis.synthetic import code_random_sentences
from qualcode.codebook import parse_codebook
from qualcode.project.codes import apply_codebook
from qualcode.project.document_reads import document_names, show_documents
from qualcode.project.documents import apply_attributes, import_files, list_documents, show_document
from qualcode.project.participants import parse_attributes
from qualcode.project.sample import SAMPLE_CODEBOOK
from qualcode.store.db import Database
from qualcode.ui import analysis

APP = str(Path(__file__).resolve().parent.parent / "app.py")

#: Statements one rerun of any page may run, sidebar and project choice included.
BUDGET = 40
#: Pages allowed more, each with the reason.
BUDGET_EXCEPTIONS: dict[str, int] = {
    # The coding workspace (qualcode/ui/workspace.py) makes about fifteen library calls per
    # rerun (document list, the document, done mark, its codings, recording, sentence bounds,
    # rejected suggestions, undo/redo labels, code counts…), each opening its own session with
    # its own access check (account, project) and most loading the document row again with its
    # text: constant in the number of documents, but 58 statements. To come down to BUDGET it
    # should take its selector's names from ``document_reads.document_names`` and read the rest
    # in one session (one snapshot of the open document per rerun, keyed on the change log).
    "Code": 65,
}
#: How many more statements the 200-document project may take than the 20-document one: a few
#: statements whose number depends on the data but not on the number of documents.
GROWTH = 3

#: The pages an owner sees in single-user mode: all of ``qualcode.ui.PAGES`` but Members, which
#: needs accounts (checked below, so a new page is never left out silently).
PAGES = ["Home", "Documents", "Code", "Retrieve", "Transcript", "Codebook", "Import",
         "Participants", "Frequencies", "Co-occurrence", "Matrices", "Query", "Excerpts",
         "Themes", "Agreement", "Interchange", "Projects"]

_WORDS = ("visa delays made the first year hard because the program could not plan rotations "
          "and the licensing board asked for documents nobody had ever seen before so we "
          "waited months while the hospital lost the position and the applicant went home").split()


def _transcript(i: int, turns: int = 12) -> bytes:
    """A short labelled interview: the interviewer and one participant take turns."""
    lines = [f"Interview P{i:03d}", ""]
    for t in range(turns):
        speaker = "Interviewer" if t % 2 == 0 else f"P{i:03d}"
        start = (i * 7 + t * 11) % len(_WORDS)
        words = [_WORDS[(start + k) % len(_WORDS)] for k in range(8 + (i + t) % 9)]
        sentence = " ".join(words).capitalize()
        lines.append(f"{speaker}: {sentence}. {words[-1].capitalize()} again, {words[0]} too?")
        lines.append("")
    return "\n".join(lines).encode()


def _build(path: Path, documents: int) -> Path:
    db = Database(path)
    try:
        codebook = parse_codebook(SAMPLE_CODEBOOK.read_bytes(), SAMPLE_CODEBOOK.name)
        with db.session() as session:
            apply_codebook(session, db.project_id(session), codebook)
        result = import_files(db, [(f"doc{i:03d}.txt", _transcript(i)) for i in range(documents)],
                              workers=0)
        assert not result.errors and len(result.imported) == documents, result.errors
        roles = ("faculty", "resident", "program director")
        rows = ["participant_id,document,role,years_in_role"]
        rows += [f"P{i:03d},doc{i:03d},{roles[i % 3]},{i % 20}" for i in range(documents)]
        apply_attributes(db, parse_attributes("\n".join(rows).encode(), "participants.csv"))
        code_random_sentences(db, seed=13, codings=15 * documents, coders=("ana", "ben", "chen"))
    finally:
        db.close()
    return path


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("page_queries")
    return {n: _build(folder / f"docs{n}.db", n) for n in (20, 200)}


@contextlib.contextmanager
def _counting():
    """Count every SQL statement any engine of this process sends while the block runs."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def _measure(path: Path, page: str, monkeypatch) -> tuple[int, int]:
    """(statements of the page's first render, of a rerun with nothing changed), as an owner in
    single-user mode who chose a coder name."""
    monkeypatch.setenv("QUALCODE_DB", str(path))
    analysis._cached_load.clear()  # a cold first render: no project snapshot of another test
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="coder_pick").set_value("ana").run()  # as someone who codes
    assert not at.exception, at.exception
    with _counting() as first:
        open_page(at, page)
    assert not at.exception, at.exception
    assert current_page(at) == page
    if page == "Documents":  # the page shows every document, not a part of them
        assert len(at.dataframe[0].value) == int(path.stem.removeprefix("docs"))
    with _counting() as rerun:
        at.run()
    assert not at.exception, at.exception
    return len(first), len(rerun)


def test_every_owner_page_is_measured():
    """A page added to the app is added here too (with a budget, if it needs more)."""
    from qualcode.ui import PAGES as APP_PAGES

    assert set(APP_PAGES) - {"Members"} == set(PAGES)
    assert set(BUDGET_EXCEPTIONS) <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_page_statements_do_not_grow_with_documents(projects, page, monkeypatch):
    big_first, big_rerun = _measure(projects[200], page, monkeypatch)
    small_first, small_rerun = _measure(projects[20], page, monkeypatch)
    budget = BUDGET_EXCEPTIONS.get(page, BUDGET)
    counts = f"{page}: 200 docs {big_first}/{big_rerun}, 20 docs {small_first}/{small_rerun}"
    print(counts)
    assert big_first <= budget and big_rerun <= budget, counts
    assert big_first <= small_first + GROWTH, counts
    assert big_rerun <= small_rerun + GROWTH, counts


# -- the batched reads answer what the per-document reads did ------------------------------------

def _per_document(db: Database) -> list[dict]:
    """``list_documents`` as it was computed before issue #13: every row and turn loaded."""
    from sqlalchemy import select

    from qualcode.store.models import Document

    by_name = {d["name"]: d for d in list_documents(db)}
    with db.session() as session:
        out = []
        for doc in session.scalars(select(Document).where(Document.project_id == db.project_id(session))
                                   .order_by(Document.name)):
            counted = by_name[doc.name]
            speakers = dict.fromkeys(t.speaker for t in doc.turns if t.speaker is not None)
            out.append({**counted,  # codings, sentences and attributes were aggregated already
                        "turns": len(doc.turns), "speakers": list(speakers),
                        "characters": len(doc.text), "words": len(doc.text.split()),
                        "has_timestamps": any(t.media_start is not None for t in doc.turns),
                        "participant": doc.participant.external_id if doc.participant else None})
        return out


def test_listing_and_showing_in_a_batch_equal_one_by_one(db):
    """On both engines: untimed and timed turns, a document without speakers or participant,
    a speaker who comes back, and a text counted before under another name."""
    files = [("a.txt", "Interviewer: Hello there.\nP1: Hi. Fine!\nInterviewer: Good.\n".encode()),
             ("b.vtt", b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ana>One two three.\n\n"
                       b"00:00:05.000 --> 00:00:07.000\n<v Ben>Four\tfive  six.\n"),
             ("c.txt", "Just some notes, with no speakers at all \u00e9t\u00e9.\n".encode())]
    assert not import_files(db, files, workers=0).errors
    apply_attributes(db, parse_attributes(b"participant_id,document,role\nP1,a,faculty\n", "p.csv"))
    listed = list_documents(db)
    assert [d["name"] for d in listed] == document_names(db) == ["a", "b", "c"]
    assert listed == _per_document(db)
    assert listed[0]["speakers"] == ["Interviewer", "P1"] and listed[1]["has_timestamps"]
    assert show_documents(db, ["c", "a", "c", "b.vtt"]) == {
        name: show_document(db, name) for name in ("c", "a", "b.vtt")}
    assert show_documents(db, []) == {}
    with pytest.raises(LookupError, match="no document 'nope'"):
        show_documents(db, ["a", "nope"])


def test_listing_the_generated_project_equals_one_by_one(projects):
    db = Database(projects[20])
    try:
        assert list_documents(db) == _per_document(db)
        names = document_names(db)
        assert show_documents(db, names[:5]) == {name: show_document(db, name) for name in names[:5]}
    finally:
        db.close()
