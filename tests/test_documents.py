"""Importing documents into a project, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from qualcode.team.changelog import history
from qualcode.project.codings import add_coding
from qualcode.project.codes import apply_codebook
from qualcode.codebook import Codebook, CodeSpec
from qualcode.project.documents import apply_attributes, import_files, list_documents, show_document
from qualcode.store.models import Document, Sentence, Turn
from qualcode.project.participants import parse_attributes

INTERVIEW = (
    "Interviewer: Welcome, and thanks for joining. Could you describe your role?\n"
    "Dr. Zoë Achebe: Sure. I run the observership programme. It's small — six places a year.\n"
    "Interviewer: What gets in the way?\n"
    "Dr. Zoë Achebe: Visas, mostly. The B-1 takes months 😅. Then there's malpractice cover.\n"
)


def _counts(db):
    with db.session() as s:
        return (s.scalar(select(func.count()).select_from(Document)),
                s.scalar(select(func.count()).select_from(Turn)),
                s.scalar(select(func.count()).select_from(Sentence)))


def test_an_interview_is_stored_with_turns_sentences_and_a_log_entry(db):
    result = import_files(db, [("int01.txt", INTERVIEW.encode())], actor="ana")
    assert result.errors == [] and result.skipped == []
    [doc] = result.imported
    assert (doc.document, doc.turns, doc.speakers, doc.has_timestamps) == (
        "int01", 4, ["Interviewer", "Dr. Zoë Achebe"], False)
    assert doc.characters == len(INTERVIEW)
    shown = show_document(db, "int01")
    assert [(t["speaker"], t["text"]) for t in shown["turns"]] == [
        ("Interviewer", "Welcome, and thanks for joining. Could you describe your role?"),
        ("Dr. Zoë Achebe", "Sure. I run the observership programme. It's small — six places a year."),
        ("Interviewer", "What gets in the way?"),
        ("Dr. Zoë Achebe", "Visas, mostly. The B-1 takes months 😅. Then there's malpractice cover."),
    ]
    with db.session() as s:
        stored = s.scalar(select(Document))
        assert stored.text == INTERVIEW
        sents = [stored.text[x.start:x.end] for x in s.scalars(select(Sentence).order_by(Sentence.ordinal))]
        assert sents[:3] == ["Welcome, and thanks for joining.", "Could you describe your role?", "Sure."]
        assert "The B-1 takes months 😅." in sents
        assert len(sents) == doc.sentences
        [entry] = [h for h in history(s) if h["entity"] == "document"]
        assert (entry["actor"], entry["action"], entry["detail"]["name"]) == ("ana", "import", "int01")


def test_reimporting_the_same_content_is_a_no_op(db):
    import_files(db, [("int01.txt", INTERVIEW.encode())])
    before = _counts(db)
    again = import_files(db, [("copy of int01.txt", INTERVIEW.replace("\n", "\r\n").encode())])
    assert again.imported == [] and again.errors == []
    assert again.skipped[0]["document"] == "int01"
    assert _counts(db) == before


def test_a_different_file_with_a_taken_name_is_refused_unless_replace(db):
    import_files(db, [("int01.txt", INTERVIEW.encode())])
    changed = INTERVIEW.replace("six places", "eight places")
    refused = import_files(db, [("int01.txt", changed.encode())])
    assert "already in the project" in refused.errors[0]["error"]
    replaced = import_files(db, [("int01.txt", changed.encode())], replace=True)
    assert [d.document for d in replaced.imported] == ["int01"]
    assert "eight places" in show_document(db, "int01")["turns"][1]["text"]


def test_replace_keeps_codings_and_moves_them_with_their_text(db):
    with db.session() as s:
        apply_codebook(s, db.project_id(s), Codebook(None, [CodeSpec(("Visa",))]))
    import_files(db, [("int01.txt", INTERVIEW.encode())])
    add_coding(db, "int01", "Visa", "ana", match="The B-1 takes months 😅.")
    longer = INTERVIEW.replace("Welcome,", "Welcome again, everyone,")
    import_files(db, [("int01.txt", longer.encode())], replace=True)
    from qualcode.project.codings import list_codings

    [c] = list_codings(db)
    assert longer[c.start:c.end] == c.quote == "The B-1 takes months 😅."

    # a new version that drops the coded passage is refused, and nothing changes
    gone = INTERVIEW.replace("The B-1 takes months 😅. ", "")
    result = import_files(db, [("int01.txt", gone.encode())], replace=True)
    assert "would lose a coding" in result.errors[0]["error"]
    assert show_document(db, "int01")["turns"][0]["text"].startswith("Welcome again")


def test_a_batch_imports_the_good_files_and_reports_each_bad_one(db):
    files = [
        ("good1.txt", INTERVIEW.encode()),
        ("empty.txt", b""),
        ("binary.txt", b"\x00\x01\x02garbage\x00" * 10),
        ("slides.pptx", b"PK\x03\x04"),
        ("good2.txt", INTERVIEW.replace("six", "nine").encode()),
    ]
    seen = []
    result = import_files(db, files, progress=lambda d, t, n: seen.append((d, t, n)))
    assert [d.document for d in result.imported] == ["good1", "good2"]
    assert [e["file"] for e in result.errors] == ["empty.txt", "binary.txt", "slides.pptx"]
    assert all(e["error"].startswith(e["file"]) for e in result.errors)
    assert seen[-1] == (5, 5, "good2.txt")
    assert _counts(db)[0] == 2


def test_attributes_create_typed_participants_and_link_documents(db):
    import_files(db, [("int01.txt", INTERVIEW.encode())])
    table = parse_attributes(
        b"participant_id,document,role,years\nP01,int01.txt,program director,11\nP02,int99.txt,DIO,4\n",
        "people.csv",
    )
    report = apply_attributes(db, table, filename="people.csv")
    assert report == {
        "participants": 2, "attributes": ["role", "years"], "linked_documents": 1,
        "warnings": ["people.csv, line 3: no document named 'int99' yet"],
    }
    [doc] = list_documents(db)
    assert (doc["participant"], doc["attributes"]) == ("P01", {"role": "program director", "years": 11})
    # applying a corrected file updates values in place
    apply_attributes(db, parse_attributes(b"participant_id,role\nP01,faculty\n", "fix.csv"))
    assert list_documents(db)[0]["attributes"]["role"] == "faculty"


def test_import_report_keeps_the_importers_warnings(db):
    result = import_files(db, [("notes.txt", "Just some notes without any speakers.\n".encode())])
    report = show_document(db, "notes")["import_report"]
    assert report["warnings"] == result.imported[0].warnings
    assert json.dumps(report)  # plain JSON


def test_parsing_in_worker_processes_gives_exactly_the_in_process_result(tmp_path):
    from qualcode.store.db import Database

    files = [(f"int{i:02d}.txt", INTERVIEW.replace("six", str(i)).encode()) for i in range(6)]
    files.insert(3, ("broken.docx", b"not a zip"))
    stored = []
    for workers in (0, 2):
        db = Database(tmp_path / f"w{workers}.db")
        result = import_files(db, files, workers=workers)
        with db.session() as s:
            rows = [(d.name, d.text, [(t.speaker, t.start, t.end) for t in d.turns])
                    for d in s.scalars(select(Document).order_by(Document.name))]
            sents = s.execute(select(Sentence.start, Sentence.end).order_by(Sentence.id)).all()
        stored.append((result.as_dict(), rows, sents))
        db.close()
    assert stored[0] == stored[1]
    assert [e["file"] for e in stored[0][0]["errors"]] == ["broken.docx"]


def test_a_file_that_parses_too_long_is_stopped_and_the_others_still_import():
    import time

    from hostile_support import slow_prepare

    from qualcode.project.documents import _prepared

    good = b"Interviewer: Hello.\nP1: The fees were high.\n"
    items = [("a.txt", good, 10**6), ("hang.txt", good, 10**6), ("b.txt", good, 10**6)]
    began = time.monotonic()
    results = list(_prepared(items, workers=1, time_limit=5, fn=slow_prepare))
    took = time.monotonic() - began
    assert [r[0] for r in results] == ["a.txt", "hang.txt", "b.txt"]
    assert results[0][3] is None and results[2][3] is None and results[2][1].text.startswith("Interviewer")
    assert "hang.txt: parsing took longer than 5 s and was stopped" in results[1][3]
    print(f"stopped the hanging parse; all three files answered in {took:.1f} s")
    assert took < 60  # the 600 s sleep was cut short


def test_with_a_time_limit_even_one_file_is_parsed_in_a_worker_and_imported(tmp_path):
    from qualcode.store.db import Database
    from qualcode.project.documents import import_files, list_documents

    db = Database(tmp_path / "p.db")
    result = import_files(db, [("int1.txt", b"Interviewer: Hello.\nP1: The fees were high.\n")],
                          time_limit=60)
    assert not result.errors and [d.document for d in result.imported] == ["int1"]
    assert list_documents(db)[0]["turns"] == 2
    db.close()
