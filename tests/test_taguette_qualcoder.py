"""Moving in from Taguette and QualCoder, with databases built in the test on their real schemas
(Taguette: taguette/database/models.py; QualCoder: the v6 schema its project creation writes)."""

from __future__ import annotations

import csv
import html
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import shared_fixture
from sqlalchemy import select

from qualcode.project.codes import paths_by_id
from qualcode.project.codings import list_codings
from qualcode.project.documents import list_documents
from qualcode.importers import parse_transcript
from qualcode.store.models import Memo
from qualcode.refi.model import RefiError
from qualcode.refi.store import import_project_file, read_project_file
from qualcode.refi.taguette import read_codebook_csv

TAGUETTE_SCHEMA = """
CREATE TABLE users (login VARCHAR(30) PRIMARY KEY, created DATETIME NOT NULL, hashed_password VARCHAR(192),
  password_set_date DATETIME, language VARCHAR(10), email VARCHAR(256) UNIQUE, email_sent DATETIME);
CREATE TABLE projects (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(200) NOT NULL, description TEXT NOT NULL,
  created DATETIME NOT NULL);
CREATE TABLE project_members (project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_login VARCHAR(30) NOT NULL REFERENCES users(login), privileges VARCHAR(11) NOT NULL,
  PRIMARY KEY (project_id, user_login));
CREATE TABLE documents (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(200) NOT NULL, description TEXT NOT NULL,
  filename VARCHAR(200) NOT NULL, created DATETIME NOT NULL, project_id INTEGER NOT NULL REFERENCES projects(id),
  text_direction VARCHAR(13) NOT NULL, contents TEXT NOT NULL);
CREATE TABLE commands (id INTEGER PRIMARY KEY AUTOINCREMENT, date DATETIME NOT NULL, user_login VARCHAR(30) NOT NULL,
  project_id INTEGER NOT NULL, document_id INTEGER, payload TEXT NOT NULL);
CREATE TABLE highlights (id INTEGER PRIMARY KEY AUTOINCREMENT, document_id INTEGER NOT NULL REFERENCES documents(id),
  start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL, snippet TEXT NOT NULL);
CREATE TABLE tags (id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL, path VARCHAR(200) NOT NULL,
  description TEXT NOT NULL, parent_id INTEGER REFERENCES tags(id), UNIQUE (project_id, path));
CREATE TABLE highlight_tags (highlight_id INTEGER NOT NULL, tag_id INTEGER NOT NULL,
  PRIMARY KEY (highlight_id, tag_id));
"""


class Taguette:
    """A Taguette project export written the way Taguette stores things."""

    def __init__(self, path: Path, name: str = "Study"):
        self.con = sqlite3.connect(path)
        self.con.executescript(TAGUETTE_SCHEMA)
        self.con.execute("insert into users values ('admin', '2022-03-03', null, null, null, null, null)")
        self.con.execute("insert into projects values (1, ?, 'A project.', '2022-03-03 10:00:00')", (name,))
        self.con.execute("insert into project_members values (1, 'admin', 'ADMIN')")
        self.tags: dict[str, int] = {}

    def tag(self, path: str, description: str = "", parent: str | None = None) -> int:
        if path not in self.tags:
            cur = self.con.execute("insert into tags (project_id, path, description, parent_id) values (1, ?, ?, ?)",
                                   (path, description, self.tags.get(parent)))
            self.tags[path] = cur.lastrowid
        return self.tags[path]

    def document(self, name: str, paragraphs: list[str]) -> int:
        contents = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        cur = self.con.execute(
            "insert into documents (name, description, filename, created, project_id, text_direction, contents) "
            "values (?, '', ?, '2022-03-03', 1, 'LEFT_TO_RIGHT', ?)", (name, name + ".odt", contents))
        return cur.lastrowid

    def highlight(self, doc: int, paragraphs: list[str], quote: str, tags: list[str], *, login: str | None = None,
                  shift: int = 0) -> int:
        """Taguette's offsets: UTF-8 bytes over the concatenated text nodes (whitespace between <p>s too)."""
        nodes = []
        for i, p in enumerate(paragraphs):
            if i:
                nodes.append("\n")
            nodes.append(p)
        for k, p in enumerate(paragraphs):
            if quote in p:
                before = "".join(nodes[:2 * k]) + p[:p.index(quote)]
                break
        else:
            raise AssertionError(quote)
        start = len(before.encode("utf-8")) + shift
        end = start + len(quote.encode("utf-8"))
        cur = self.con.execute("insert into highlights (document_id, start_offset, end_offset, snippet) "
                               "values (?, ?, ?, ?)", (doc, start, end, html.escape(quote)))
        hid = cur.lastrowid
        for t in tags:
            self.con.execute("insert into highlight_tags values (?, ?)", (hid, self.tag(t)))
        if login:
            self.con.execute("insert into commands (date, user_login, project_id, document_id, payload) values "
                             "('2022-03-03', ?, 1, ?, ?)",
                             (login, doc, json.dumps({"type": "highlight_add", "highlight_id": hid,
                                                      "start_offset": start, "end_offset": end, "tags": []})))
        return hid

    def close(self):
        self.con.commit()
        self.con.close()


PARAGRAPHS = [
    "Interviewer: How was the visa?",
    "P07: Slow — très lent 😀, and the fee… costly.",
    "Interviewer: And the programme?",
    "P07: Naïve me thought it would be easy.",
]


def test_taguette_byte_offsets_become_code_points_and_every_quote_matches_its_snippet(db, tmp_path):
    t = Taguette(tmp_path / "export.sqlite3")
    t.tag("barriers", "Things in the way.")
    t.tag("barriers.visa", parent="barriers")
    doc = t.document("interview 7", PARAGRAPHS)
    t.highlight(doc, PARAGRAPHS, "très lent 😀, and the fee… costly", ["barriers.visa", "barriers"], login="ana")
    t.highlight(doc, PARAGRAPHS, "Naïve me", ["barriers"], login="chen")
    t.highlight(doc, PARAGRAPHS, "the programme", ["barriers"], shift=3)  # wrong offsets, right snippet
    t.close()
    report = import_project_file(db, tmp_path / "export.sqlite3")
    assert (report["documents"], report["codes"], report["codings"]) == (1, 2, 4)
    assert sorted(report["coders"]) == ["admin", "ana", "chen"]
    assert any("re-anchored" in w for w in report["warnings"])
    [d] = list_documents(db)
    rows = [(c.code, c.coder, c.quote) for c in list_codings(db)]
    assert sorted(rows) == sorted([
        ("barriers/barriers.visa", "ana", "très lent 😀, and the fee… costly"),
        ("barriers", "ana", "très lent 😀, and the fee… costly"),
        ("barriers", "chen", "Naïve me"),
        ("barriers", "admin", "the programme"),
    ])
    assert d["name"] == "interview 7"


def test_a_taguette_highlight_whose_snippet_is_not_in_the_text_is_left_out(db, tmp_path):
    t = Taguette(tmp_path / "export.sqlite3")
    doc = t.document("d", PARAGRAPHS)
    hid = t.highlight(doc, PARAGRAPHS, "Naïve me", ["x"])
    t.con.execute("update highlights set snippet = 'never said' where id = ?", (hid,))
    t.close()
    report = import_project_file(db, tmp_path / "export.sqlite3")
    assert report["codings"] == 0
    assert any("'never said') is not in the text; left out" in w for w in report["warnings"])


def test_a_real_taguette_highlights_export_rebuilt_as_a_project_imports_every_highlight(db, tmp_path):
    folder = "transcripts/serdif_usability"
    odt = shared_fixture(f"{folder}/P2_GMT20211119.odt")
    sheet = shared_fixture(f"{folder}/all_tags_20220303.csv")
    paragraphs = parse_transcript(odt.read_bytes(), odt.name).text.split("\n\n")
    rows = [r for r in csv.DictReader(sheet.open(encoding="utf-8")) if r["document"] == odt.name]
    t = Taguette(tmp_path / "serdif.sqlite3", "SERDIF usability")
    doc = t.document("P2_GMT20211119", paragraphs)
    expected = set()
    for r in rows:
        if any(r["content"] in p for p in paragraphs):
            t.highlight(doc, paragraphs, r["content"], [r["tag"]], login="researcher")
            expected.add((r["tag"], r["content"].strip()))
    t.close()
    assert len(expected) >= 70
    report = import_project_file(db, tmp_path / "serdif.sqlite3")
    assert report["warnings"] == []
    assert {(c.code, c.quote) for c in list_codings(db)} == expected


def test_taguette_codebook_csv_and_highlights_csv_give_codes(tmp_path):
    project = read_codebook_csv(b"tag,description\ninteresting,Worth a look\nvisa,\ninteresting,again\n", "cb.csv")
    assert [(c.name, c.definition) for c in project.codes] == [("interesting", "Worth a look"), ("visa", "")]
    sheet = shared_fixture("transcripts/serdif_usability/all_tags_20220303.csv")
    highlights = read_codebook_csv(sheet.read_bytes(), sheet.name)
    assert len(highlights.codes) == 22
    assert highlights.report.skipped == [
        "1930 highlights (a highlights export has no offsets; import the Taguette project .sqlite3 for codings)"]
    with pytest.raises(RefiError, match="line 1: no tag column"):
        read_codebook_csv(b"a,b\n1,2\n", "bad.csv")


# -- QualCoder ------------------------------------------------------------------------------------

QUALCODER_SCHEMA = """
CREATE TABLE project (databaseversion text, date text, memo text,about text, bookmarkfile integer,
  bookmarkpos integer, codername text);
CREATE TABLE source (id integer primary key, name text, fulltext text, mediapath text, memo text, owner text,
  date text, av_text_id integer, unique(name));
CREATE TABLE code_image (imid integer primary key,id integer,x1 integer, y1 integer, width integer, height integer,
  cid integer, memo text, date text, owner text, important integer);
CREATE TABLE code_av (avid integer primary key,id integer,pos0 integer, pos1 integer, cid integer, memo text,
  date text, owner text, important integer);
CREATE TABLE annotation (anid integer primary key, fid integer,pos0 integer, pos1 integer, memo text, owner text,
  date text, unique(fid,pos0,pos1,owner));
CREATE TABLE attribute_type (name text primary key, date text, owner text, memo text, caseOrFile text,
  valuetype text);
CREATE TABLE attribute (attrid integer primary key, name text, attr_type text, value text, id integer, date text,
  owner text, unique(name,attr_type,id));
CREATE TABLE case_text (id integer primary key, caseid integer, fid integer, pos0 integer, pos1 integer,
  owner text, date text, memo text);
CREATE TABLE cases (caseid integer primary key, name text, memo text, owner text,date text,
  constraint ucm unique(name));
CREATE TABLE code_cat (catid integer primary key, name text, owner text, date text, memo text, supercatid integer,
  unique(name));
CREATE TABLE code_text (ctid integer primary key, cid integer, fid integer,seltext text, pos0 integer,
  pos1 integer, owner text, date text, memo text, avid integer, important integer,
  unique(cid,fid,pos0,pos1, owner));
CREATE TABLE code_name (cid integer primary key, name text, memo text, catid integer, owner text,date text,
  color text, unique(name));
CREATE TABLE journal (jid integer primary key, name text, jentry text, date text, owner text, unique(name));
CREATE TABLE stored_sql (title text, description text, grouper text, ssql text, unique(title));
"""
Q_TEXT = "I: Why here?\r\nR: The mentors 😀 — and the café.\r\nI: Anything else?\r\nR: Visa delays."


def _qualcoder(folder: Path) -> Path:
    folder.mkdir()
    con = sqlite3.connect(folder / "data.qda")
    con.executescript(QUALCODER_SCHEMA)
    con.execute("insert into project values ('v6', '2024-01-01 10:00:00', 'Project memo.', 'QualCoder 3.5', 0, 0, 'ana')")
    con.execute("insert into source values (1, 'int01.txt', ?, null, 'Source memo.', 'ana', '2024-01-01', null)", (Q_TEXT,))
    con.execute("insert into source values (2, 'photo.jpg', null, '/images/photo.jpg', '', 'ana', '2024-01-01', null)")
    con.execute("insert into code_cat values (1, 'Enablers', 'ana', '', 'Things that help.', null)")
    con.execute("insert into code_cat values (2, 'People', 'ana', '', '', 1)")
    con.execute("insert into code_name values (1, 'Mentors', 'Supportive seniors.', 2, 'ana', '', '#59a14f')")
    con.execute("insert into code_name values (2, 'Visa', '', null, 'ana', '', '#e15759')")
    for ctid, cid, quote, owner, memo in [(1, 1, "The mentors 😀 — and the café.", "ana", "Key passage"),
                                          (2, 1, "The mentors 😀", "ben", ""), (3, 2, "Visa delays.", "ben", "")]:
        pos0 = Q_TEXT.index(quote)  # QualCoder: Python indices into fulltext as stored
        con.execute("insert into code_text (ctid, cid, fid, seltext, pos0, pos1, owner, date, memo) values "
                    "(?, ?, 1, ?, ?, ?, ?, '2024-01-02 10:00:00', ?)", (ctid, cid, quote, pos0, pos0 + len(quote),
                                                                     owner, memo))
    con.execute("insert into annotation values (1, 1, 0, 2, 'note', 'ana', '')")
    con.execute("insert into code_image values (1, 2, 0, 0, 5, 5, 1, '', '', 'ana', 0)")
    con.execute("insert into attribute_type values ('age', '', 'ana', '', 'case', 'numeric')")
    con.execute("insert into attribute_type values ('region', '', 'ana', '', 'case', 'character')")
    con.execute("insert into attribute_type values ('length', '', 'ana', '', 'file', 'numeric')")
    con.execute("insert into cases values (1, 'R01', '', 'ana', '')")
    con.execute("insert into attribute (name, attr_type, value, id) values ('age', 'case', '41', 1)")
    con.execute("insert into attribute (name, attr_type, value, id) values ('region', 'case', 'North', 1)")
    con.execute("insert into case_text (caseid, fid, pos0, pos1) values (1, 1, 0, 10)")
    con.execute("insert into journal values (1, 'Reflexive notes', 'I lead the interview.', '', 'ana')")
    con.commit()
    con.close()
    return folder


def test_qualcoder_project_folder_imports_codes_codings_memos_and_cases(db, tmp_path):
    folder = _qualcoder(tmp_path / "study.qda")
    report = import_project_file(db, folder)
    assert (report["documents"], report["codes"], report["codings"], sorted(report["coders"])) == (1, 4, 3, ["ana", "ben"])
    assert report["skipped"] == ["1 sources without text (images, audio, video)",
                                 "file attribute 'length' (only case attributes come across)",
                                 "1 annotations (not supported)", "1 image codings (not supported)"]
    [doc] = list_documents(db)
    assert doc["participant"] == "R01" and doc["attributes"] == {"age": 41, "region": "North"}
    text = Q_TEXT.replace("\r\n", "\n")
    codings = [(c.code, c.coder, c.quote, c.memo, c.quote == text[c.start:c.end]) for c in list_codings(db)]
    assert sorted(codings) == [
        ("Enablers/People/Mentors", "ana", "The mentors 😀 — and the café.", "Key passage", True),
        ("Enablers/People/Mentors", "ben", "The mentors 😀", None, True),
        ("Visa", "ben", "Visa delays.", None, True),
    ]
    with db.session() as s:
        memos = sorted((m.title, m.text, m.document_id is not None) for m in s.scalars(select(Memo)))
        assert [p for p in paths_by_id(s, db.project_id(s)).values()] == [
            "Enablers", "Enablers/People", "Enablers/People/Mentors", "Visa"]
    assert memos == [("Memo: int01.txt", "Source memo.", True), ("Project memo", "Project memo.", False),
                     ("Reflexive notes", "I lead the interview.", False)]
    again = import_project_file(db, folder)
    assert (again["documents"], again["codes"], again["codings"]) == (0, 0, 0)


def test_something_that_is_not_a_project_gets_a_clear_error(tmp_path):
    (tmp_path / "empty.qda").mkdir()
    with pytest.raises(RefiError, match="has no data.qda inside"):
        read_project_file(tmp_path / "empty.qda")
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("create table x (y)").connection.commit()
    with pytest.raises(RefiError, match="is not a QualCoder project"):
        read_project_file(other)


def _utf16(text: str, index: int) -> int:
    """The position Qt (QualCoder's editor) gives for Python index ``index``: UTF-16 units."""
    return len(text[:index].encode("utf-16-le")) // 2


def test_qualcoder_positions_counted_by_its_editor_in_utf16_units_are_read_per_source(db, tmp_path):
    """QualCoder stores the cursor positions of its Qt editor: after an emoji they are one unit
    per emoji ahead of Python's indices. The stored selection text decides the reading."""
    text = "I: Why here? 😀\nR: The mentors 😀😀 — and the café.\nI: Anything else? 🙂\nR: Visa delays."
    quotes = ["Why here?", "The mentors", "and the café", "Anything else?", "Visa delays."]
    folder = tmp_path / "emoji.qda"
    folder.mkdir()
    con = sqlite3.connect(folder / "data.qda")
    con.executescript(QUALCODER_SCHEMA)
    con.execute("insert into project values ('v6', '2024-01-01 10:00:00', '', 'QualCoder 3.5', 0, 0, 'ana')")
    con.execute("insert into source values (1, 'int02.txt', ?, null, '', 'ana', '2024-01-01', null)", (text,))
    con.execute("insert into code_name values (1, 'Mentors', '', null, 'ana', '', '#59a14f')")
    for ctid, quote in enumerate(quotes, start=1):
        start = text.index(quote)
        con.execute("insert into code_text (ctid, cid, fid, seltext, pos0, pos1, owner, date, memo) values "
                    "(?, 1, 1, ?, ?, ?, 'ana', '2024-01-02', '')",
                    (ctid, quote, _utf16(text, start), _utf16(text, start + len(quote))))
    con.commit()
    con.close()
    project = read_project_file(folder)
    assert project.report.offset_readings == {"int02.txt": "UTF-16 units"}
    assert any("offsets read as UTF-16 units" in w and "UTF-16 units 5/5" in w for w in project.report.warnings)
    assert not any("stored text differs" in w for w in project.report.warnings)
    assert [sel.quote for sel in project.sources[0].selections] == quotes
    report = import_project_file(db, folder)
    assert report["codings"] == 5
    assert sorted(c.quote for c in list_codings(db)) == sorted(quotes)


def test_qualcoder_python_indices_stay_the_reading_when_they_fit():
    """The first QualCoder test's project stores Python indices (CR included): they fit, so they stay."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        project = read_project_file(_qualcoder(Path(tmp) / "study.qda"))
    assert project.report.offset_readings == {"int01.txt": "code points, CRLF as 2"}
    assert project.report.coder_attribution["chosen"] == "coding"
