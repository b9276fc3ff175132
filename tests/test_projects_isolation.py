"""Nothing crosses projects: two projects in one database with the SAME document names, code
names and coder names, and every read path returns only its own project's data, every write
path changes only its own project, on SQLite and PostgreSQL.

How: each project's codings quote different passages, so a read that leaked would show the
other project's quotes. For writes, a *fingerprint* of project A (every row of every table
that belongs to it, found from the schema by ``project_tables``, so a table added later is
covered too) is taken before a long run of writes to project B through every write path and
compared after: it must not have moved by one row or one column.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from qualcode.agreement.adjudication import adjudicate, adopt_agreements, disagreements, passages
from qualcode.agreement.units import project_coders
from qualcode.analysis import queries
from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.data import load
from qualcode.analysis.excerpts import excerpts
from qualcode.analysis.frequencies import frequencies
from qualcode.codebook import parse_codebook
from qualcode.coding import codebook_edit, editing, undo, visibility
from qualcode.coding.editing import CodingNotFound
from qualcode.project import groups
from qualcode.project import projects as P
from qualcode.project.codes import apply_codebook, to_codebook
from qualcode.project.coding_sheet import SheetRow, import_sheet
from qualcode.project.codings import add_coding, list_codings
from qualcode.project.documents import apply_attributes, import_files, list_documents, show_document
from qualcode.project.participants import parse_attributes
from qualcode.refi.store import export_project, export_qdpx, import_project
from qualcode.refi.read import read_refi
from qualcode.store.db import Database, ProjectNeeded
from qualcode.store.models import Project
from qualcode.team import settings
from qualcode.team.changelog import history
from qualcode.team.project_backup import project_tables

DOC1 = ("Interviewer: What stood in your way?\n"
        "P1: The exam fees were brutal. I also had no US clinical experience at all.\n"
        "Interviewer: And what helped?\n"
        "P1: A mentor from my medical school wrote to programs for me.\n")
DOC2 = ("Interviewer: Tell me about visas.\n"
        "P2: The visa interview was postponed twice. My cousin lent me money for the fees.\n")
CODEBOOK = b"path,definition\nBarriers,obstacles\nBarriers/Cost,money\nEnablers,help\n"
#: project → the codings it holds: (document, code, coder, quote). Same names, other passages.
CODINGS = {
    "Alpha": [("int1", "Barriers/Cost", "ana", "The exam fees were brutal."),
              ("int1", "Enablers", "ben", "A mentor from my medical school")],
    "Beta": [("int2", "Barriers", "ana", "The visa interview was postponed twice."),
             ("int2", "Enablers", "ben", "My cousin lent me money"),
             ("int1", "Barriers/Cost", "ana", "no US clinical experience")],
}
ATTRIBUTES = {"Alpha": b"participant_id,document,site\nP1,int1,north\nP2,int2,north\n",
              "Beta": b"participant_id,document,site\nP1,int1,south\nP2,int2,south\n"}


def _quotes(project: str) -> set[str]:
    return {q for *_x, q in CODINGS[project]}


def _build(db: Database, name: str) -> Database:
    P.create_project(db, name, description=f"the {name} study")
    view = db.use(name)
    assert not import_files(view, [("int1.txt", DOC1.encode()), ("int2.txt", DOC2.encode())]).errors
    with view.session() as s:
        apply_codebook(s, view.project_id(s), parse_codebook(CODEBOOK, "book.csv"))
    for doc, code, coder, quote in CODINGS[name]:
        add_coding(view, doc, code, coder, match=quote)
    apply_attributes(view, parse_attributes(ATTRIBUTES[name], "people.csv"), filename="people.csv")
    groups.create_group(view, "Wave 1", description=name)
    groups.add_documents(view, "Wave 1", ["int1"] if name == "Alpha" else ["int2"])
    return view


@pytest.fixture
def two(db):
    """(Alpha view, Beta view) of one database; Alpha codes blind, Beta does not."""
    a, b = _build(db, "Alpha"), _build(db, "Beta")
    settings.set_blind(a, True, actor="setup")
    visibility.mark_done(a, "int1", "ben")
    return a, b


def fingerprint(db: Database, project: str) -> dict:
    """Every row of every table that belongs to ``project``, sorted (the change log aside: it
    is append-only and read separately)."""
    with db.session() as s:
        pid = s.scalar(select(Project.id).where(Project.name == project))
        out = {}
        for table, condition in project_tables(pid):
            if table.name == "change_log":
                continue
            rows = s.execute(select(table).where(condition)).mappings().all()
            out[table.name] = sorted(json.dumps({k: _plain(v) for k, v in r.items()}, sort_keys=True)
                                     for r in rows)
        return out


def _plain(value):
    """A value as both engines give it back (SQLite's datetimes are naive UTC)."""
    from datetime import UTC, datetime

    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return value


# -- choosing --------------------------------------------------------------------------------------


def test_with_two_projects_a_call_without_a_choice_is_a_clear_error(two, db):
    with pytest.raises(ProjectNeeded, match="2 projects \\('Alpha', 'Beta'\\)"):
        list_documents(db)
    P.archive_project(db.use("Beta"), actor="setup")
    assert {d["name"] for d in list_documents(db)} == {"int1", "int2"}  # the only active one
    with db.session() as s:
        assert s.get(Project, db.project_id(s)).name == "Alpha"


# -- every read path -----------------------------------------------------------------------------


def test_every_read_path_returns_only_its_own_project(two):
    a, b = two
    for view, name in ((a, "Alpha"), (b, "Beta")):
        own, other = _quotes(name), _quotes("Beta" if name == "Alpha" else "Alpha")
        docs = {d["name"]: d for d in list_documents(view)}
        assert set(docs) == {"int1", "int2"}
        assert sum(d["codings"] for d in docs.values()) == len(CODINGS[name])
        assert {d["attributes"]["site"] for d in docs.values()} == {"north" if name == "Alpha" else "south"}
        assert show_document(view, "int1")["text"] == DOC1
        assert {r.quote for r in list_codings(view)} == own
        assert {c.quote for d in ("int1", "int2") for c in editing.codings_for_document(view, d, viewer=None)} == own
        data = load(view)
        assert len(data.codings) == len(own)
        assert frequencies(data)["codings"].sum() >= len(own)
        cooccurrence(data, unit="document")
        assert set(excerpts(data)["excerpt"]) == own
        refi = export_project(view)
        assert refi.name == name
        assert {sel.quote for src in refi.sources for sel in src.selections} == own
        qdpx = zipfile.ZipFile(io.BytesIO(export_qdpx(view)))
        xml = qdpx.read("project.qde").decode()
        assert all(q in xml for q in own) and not any(q in xml for q in other)
        with view.session() as s:
            book = to_codebook(s, view.project_id(s))
        assert ["/".join(c.path) for c in book.codes] == ["Barriers", "Barriers/Cost", "Enablers"]
        assert [g["documents"] for g in groups.list_groups(view)] == [["int1"] if name == "Alpha" else ["int2"]]
        assert set(project_coders(view)) == {"ana", "ben"}
        assert settings.is_blind(view) == (name == "Alpha")
        assert visibility.is_done(view, "int1", "ben") == (name == "Alpha")
        with view.session() as s:
            log = history(s, project_id=view.project_id(s))
        assert log and {e["detail"].get("document") for e in log if e["entity"] == "coding"} <= {"int1", "int2"}
        assert sum(1 for e in log if e["entity"] == "coding" and e["action"] == "create") == len(own)
        hits = queries.search(data, "fees")
        assert set(hits["document"]) <= {"int1", "int2"}


def test_blind_coding_is_per_project(two):
    a, b = two
    # Alpha codes blind: ana sees her own codings (int1 is not done for her); Beta does not.
    assert {r.quote for r in list_codings(a, viewer="ana")} == {"The exam fees were brutal."}
    assert {r.quote for r in list_codings(b, viewer="ana")} == _quotes("Beta")
    # ben marked int1 done in Alpha only: in Alpha he sees ana's coding there.
    assert "The exam fees were brutal." in {r.quote for r in list_codings(a, viewer="ben")}
    with pytest.raises(Exception, match="blind coding is on"):
        passages(a, "Enablers", ["ana", "ben"], viewer="ana")
    assert passages(b, "Enablers", ["ana", "ben"], viewer="ana")


def test_ids_of_one_project_are_refused_in_another(two):
    a, b = two
    coding_a = list_codings(a)[0]
    with a.session() as s:
        from qualcode.store.models import Code, Coding, Document

        pid_a = a.project_id(s)
        coding_id = s.scalar(select(Coding.id).join(Document).where(Document.project_id == pid_a))
        code_id = s.scalar(select(Code.id).where(Code.project_id == pid_a))
        doc_id = s.scalar(select(Document.id).where(Document.project_id == pid_a))
    before = fingerprint(a, "Alpha")
    for attempt in (lambda: editing.get_coding(b, coding_id),
                    lambda: editing.remove(b, coding_id, actor="ana"),
                    lambda: editing.recode(b, coding_id, "Enablers", actor="ana"),
                    lambda: editing.set_memo(b, coding_id, "mine", actor="ana")):
        with pytest.raises(CodingNotFound):
            attempt()
    for attempt in (lambda: codebook_edit.rename_code(b, code_id, "Stolen", actor="x"),
                    lambda: editing.add(b, "int1", code_id, "ana", 0, 5),
                    lambda: editing.add(b, doc_id, "Barriers", "ana", 0, 5),
                    lambda: visibility.mark_done(b, doc_id, "ana")):
        with pytest.raises(Exception, match=r"no (code|document) with id"):  # LookupError or its
            attempt()                                                          # wrapped message
    assert fingerprint(a, "Alpha") == before
    assert coding_a.quote in _quotes("Alpha")


# -- every write path ----------------------------------------------------------------------------


def test_every_write_to_one_project_leaves_the_other_untouched(two, db):
    a, b = two
    before = fingerprint(a, "Alpha")
    log_before = _log(a)

    # documents, attributes, groups
    assert import_files(b, [("int3.txt", DOC2.replace("visas", "money").encode())]).imported
    assert import_files(b, [("int1.txt", DOC1.encode())]).skipped  # same content: a no-op in B
    apply_attributes(b, parse_attributes(b"participant_id,document,site\nP3,int3,east\n", "more.csv"))
    groups.create_group(b, "Wave 2")
    groups.add_documents(b, "Wave 2", ["int1", "int3"])
    groups.remove_documents(b, "Wave 1", ["int2"])
    groups.rename_group(b, "Wave 1", "Wave 1 (old)")
    groups.delete_group(b, "Wave 1 (old)")
    # the codebook: same names as Alpha's
    codebook_edit.create_code(b, "Housing", parent="Barriers", actor="ana")
    codebook_edit.rename_code(b, "Enablers", "Facilitators", actor="ana")
    codebook_edit.update_code(b, "Barriers/Cost", definition="fees and living costs", actor="ana")
    codebook_edit.move_code(b, "Barriers/Housing", None, actor="ana")
    codebook_edit.reorder(b, "Housing", 0, actor="ana")
    # codings through the workspace, the coding sheet, autocoding and adjudication
    added = editing.add(b, "int1", "Barriers/Cost", "ana", *_span(DOC1, "exam fees"))
    editing.resize(b, added.id, added.start, added.end + 4, actor="ana")
    editing.set_memo(b, added.id, "a memo in Beta", actor="ana")
    editing.recode(b, added.id, "Housing", actor="ana")
    editing.code_sentence(b, "int1", DOC1.index("mentor"), "Facilitators", "ben")
    editing.code_turn(b, "int2", DOC2.index("visa"), "Barriers", "carl")
    editing.in_vivo(b, "int1", *_span(DOC1, "US clinical experience"), "ana")
    assert undo.undo(b, "ana").startswith("Undid")
    assert undo.redo(b, "ana").startswith("Redid")
    assert undo.peek(a, "ana") == {"undo": None, "redo": None}  # nobody acted in Alpha's workspace
    import_sheet(b, [SheetRow(2, "int1", "Barriers", "ben", "exam fees were brutal", 1, None)])
    data = load(b)
    hits = queries.search(data, "fees")
    batch = queries.apply_autocode(b, data, hits, "Barriers/Cost", "robot", actor="ana")
    queries.undo_autocode(b, batch["batch"], actor="ana")
    queries.apply_autocode(b, load(b), hits, "Barriers/Cost", "robot", actor="ana")
    adopt_agreements(b, "Barriers", ["ana", "ben"], actor="ana")
    for p in disagreements(b, "Barriers", ["ana", "ben"]):
        adjudicate(b, document=p.document, code="Barriers", start=p.start, end=p.end, accept="ana",
                   coders=["ana", "ben"], actor="ana")
    visibility.mark_done(b, "int1", "ana")
    visibility.unmark_done(b, "int1", "ana")
    visibility.mark_done(b, "int2", "ben")
    codebook_edit.merge_codes(b, "Housing", "Barriers/Cost", actor="ana")
    usage = codebook_edit.code_usage(b, "Facilitators")
    codebook_edit.delete_code(b, "Facilitators", confirm=usage["codings"], actor="ana")
    # settings and the project itself
    settings.set_blind(b, True, actor="ana")
    settings.set_codebook_editing(b, True, actor="ana")
    P.describe_project(b, "changed", actor="ana")
    # an interchange round trip: Alpha's own export imported into Beta is a copy, not a match
    report = import_project(b, read_refi(export_qdpx(a), "alpha.qdpx"))
    assert report["codings"] == len(CODINGS["Alpha"])
    P.copy_codebook(b, "Alpha", actor="ana")
    P.backup_project(b, folder=(db.path.parent if db.path else None) or _tmp())

    assert fingerprint(a, "Alpha") == before
    assert _log(a) == log_before  # nothing was logged against Alpha either
    assert {r.quote for r in list_codings(a)} == _quotes("Alpha")

    # and deleting Beta leaves Alpha exactly as it was
    with b.session() as s:
        pid_b = b.project_id(s)
    assert sum(map(len, fingerprint(b, "Beta").values())) > 50
    P.delete_project(b, confirm="Beta", actor="ana", folder=_tmp())
    assert fingerprint(a, "Alpha") == before
    with db.session() as s:  # nothing of Beta is left behind but its change log
        from sqlalchemy import func

        left = {t.name: s.scalar(select(func.count()).select_from(t).where(c))
                for t, c in project_tables(pid_b) if t.name != "change_log"}
        assert set(left.values()) == {0}, left
        assert history(s, project_id=pid_b)[-1]["action"] == "delete"
    assert [p.name for p in P.list_projects(db)] == ["Alpha"]
    assert {r.quote for r in list_codings(db)} == _quotes("Alpha")  # now the only project


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="qc-isolation-"))


def _span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def _log(view: Database) -> list:
    with view.session() as s:
        return history(s, project_id=view.project_id(s))


def test_the_fingerprint_sees_a_one_row_change(two):
    a, _b = two
    before = fingerprint(a, "Alpha")
    editing.add(a, "int2", "Enablers", "ana", *_span(DOC2, "My cousin"))
    after = fingerprint(a, "Alpha")
    assert after != before and len(after["coding"]) == len(before["coding"]) + 1


def test_one_project_backup_holds_that_project_only(two, tmp_path):
    a, b = two
    out = P.backup_project(a, tmp_path / "alpha.db")
    copy = Database(out["output"])
    try:
        assert [p.name for p in P.list_projects(copy)] == ["Alpha"]
        assert {r.quote for r in list_codings(copy)} == _quotes("Alpha")
        assert fingerprint(copy, "Alpha") == fingerprint(a, "Alpha")  # ids and all
        with copy.session() as s:
            entries = history(s, project_id=copy.project_id(s))
        assert entries and all("Beta" not in json.dumps(e["detail"]) for e in entries)
    finally:
        copy.close()


def test_the_api_opens_the_named_project(two, db):
    import qualcode

    for name in ("Alpha", "Beta"):
        p = qualcode.open(db, project=name)
        assert set(p.excerpts()["excerpt"]) == _quotes(name)
    with pytest.raises(ProjectNeeded):
        qualcode.open(db).excerpts()


def test_project_summaries_count_each_project_by_itself(two, db):
    rows = {r.name: r for r in P.list_projects(db)}
    assert (rows["Alpha"].documents, rows["Alpha"].codings, rows["Alpha"].coders) == (2, 2, 2)
    assert (rows["Beta"].documents, rows["Beta"].codings, rows["Beta"].coders) == (2, 3, 2)
    assert rows["Alpha"].description == "the Alpha study"
    assert [r.as_dict() for r in P.list_projects(db)][0] == {
        "name": "Alpha", "documents": 2, "codings": 2, "coders": 2, "archived": False}
