"""REFI-QDA recordings whose transcript lives only inside the ``AudioSource``/``VideoSource``
(no TextSource): the transcript becomes a document with the recording attached, turn times from
the ``SyncPoint``s that line up with turns, and the ``TranscriptSelection``s' codings placed
through their sync points' positions (``qualcode.refi.transcripts``). The .qdpx files are built
here and validated against the shared Project.xsd; the projects are real SQLite files."""

from __future__ import annotations

import io
import uuid
import zipfile
from xml.etree.ElementTree import Element, SubElement, tostring

import pytest
from conftest import shared_fixture
from defusedxml.ElementTree import fromstring
from sqlalchemy import func, select
from test_media import wav

from qualcode.importers.base import Turn
from qualcode.project import media
from qualcode.project.codings import list_codings
from qualcode.project.documents import show_document
from qualcode.project.groups import list_groups
from qualcode.refi.media import timed_turns
from qualcode.refi.model import RefiError
from qualcode.refi.read import read_refi
from qualcode.refi.store import export_qdpx, import_project_file
from qualcode.store.db import Database
from qualcode.store.media_files import media_dir
from qualcode.store.models import ChangeLog, Code, Coding, Document, Media, Memo

xmlschema = pytest.importorskip("xmlschema")

NS = "urn:QDA-XML:project:1.0"
TEXT = ("Interviewer: Thanks for joining. How did the exam fees affect you?\n\n"
        "P07: The exam fees were a burden \U0001F629. I took a second job.\n\n"
        "Interviewer: And your supervisor?\n\n"
        "P07: My supervisor was supportive throughout.\n")
ANA = "0b4a3c52-6f11-4c9e-9b1e-2f7f4c2d1a01"
CODES = {"Financial": "1c0f2a7e-0d6b-4a4e-8e55-3b9e6a1f0c01",
         "Coping": "1c0f2a7e-0d6b-4a4e-8e55-3b9e6a1f0c02",
         "Supervision": "1c0f2a7e-0d6b-4a4e-8e55-3b9e6a1f0c03"}
AUDIO = "2d8e5f10-3a4b-4c5d-8e6f-7a8b9c0d1e01"
TRANSCRIPT = "2d8e5f10-3a4b-4c5d-8e6f-7a8b9c0d1e02"
CASE, SET, NOTE = ("3e9f6a21-4b5c-4d6e-9f70-8b9c0d1e2f0" + c for c in "123")
#: Where a turn starts (a line with its label): sync point with its time in milliseconds.
TURN_TIMES = {"Interviewer: Thanks": 0, "P07: The exam": 4000, "Interviewer: And": 12000}
#: Coded passages: (quote, code, the start's time stamp or None, with a note: a memo about it).
PASSAGES = [("The exam fees were a burden", "Financial", None, False),
            ("I took a second job", "Coping", None, False),
            ("supportive", "Supervision", 16500, True)]  # a timed sync point inside a turn's words


MP4 = (24).to_bytes(4, "big") + b"ftypisom\0\0\0\0isomavc1" + b"\0" * 64


def _guid(n: int) -> str:
    return str(uuid.UUID(int=0x4F00000000000000000000000000 + n))


def _position(text: str, index: int, unit: str) -> int:
    """Position of canonical ``index`` as another tool writes it: code points ("cp"), or NVivo's
    UTF-16 units counted on the CRLF text ("utf16-crlf")."""
    if unit == "cp":
        return index
    return len(text[:index].replace("\n", "\r\n").encode("utf-16-le")) // 2


def build(*, kind: str = "AudioSource", recording: bytes | None = None, ext: str = ".wav",
          unit: str = "cp", transcript: bytes | None = None, broken_selection: bool = True,
          inline: bool = False, with_recording: bool = True) -> bytes:
    """A .qdpx as a tool without TextSources for transcripts writes it (valid against
    Project.xsd): one recording whose Transcript has sync points at three turn starts, coded
    TranscriptSelections, a note on one of them, a case and a set naming the recording.
    ``transcript``: the text file's bytes (None: leave it out of the archive)."""
    root = Element(f"{{{NS}}}Project", name="Field study", origin="OtherTool 3.1", creatingUserGUID=ANA)
    SubElement(SubElement(root, f"{{{NS}}}Users"), f"{{{NS}}}User", guid=ANA, name="ana")
    codes = SubElement(SubElement(root, f"{{{NS}}}CodeBook"), f"{{{NS}}}Codes")
    for name, guid in CODES.items():
        SubElement(codes, f"{{{NS}}}Code", guid=guid, name=name, isCodable="true")
    case = SubElement(SubElement(root, f"{{{NS}}}Cases"), f"{{{NS}}}Case", guid=CASE, name="P07")
    SubElement(case, f"{{{NS}}}SourceRef", targetGUID=AUDIO)
    sources = SubElement(root, f"{{{NS}}}Sources")
    source = SubElement(sources, f"{{{NS}}}{kind}", guid=AUDIO, name="Interview 7",
                        path=f"internal://{AUDIO}{ext}", creatingUser=ANA)
    SubElement(source, f"{{{NS}}}Description").text = "Recorded on site"
    tr = SubElement(source, f"{{{NS}}}Transcript", guid=TRANSCRIPT, name="Interview 7 transcript",
                    **({} if inline else {"plainTextPath": f"internal://{TRANSCRIPT}.txt"}))
    if inline:
        SubElement(tr, f"{{{NS}}}PlainTextContent").text = TEXT
    n = 0
    for line, ms in TURN_TIMES.items():
        n += 1
        SubElement(tr, f"{{{NS}}}SyncPoint", guid=_guid(n), timeStamp=str(ms),
                   position=str(_position(TEXT, TEXT.index(line), unit)))
    ends = []
    for quote, _code, ms, _note in PASSAGES:
        start = TEXT.index(quote)
        pair = []
        for at, stamp in ((start, ms), (start + len(quote), None)):
            n += 1
            attrs = {"guid": _guid(n), "position": str(_position(TEXT, at, unit))}
            if stamp is not None:
                attrs["timeStamp"] = str(stamp)
            SubElement(tr, f"{{{NS}}}SyncPoint", **attrs)
            pair.append(_guid(n))
        ends.append(pair)
    for k, ((quote, code, _ms, note), (first, last)) in enumerate(zip(PASSAGES, ends), start=1):
        sel = SubElement(tr, f"{{{NS}}}TranscriptSelection", guid=_guid(100 + k), name=quote,
                         fromSyncPoint=first, toSyncPoint=last, creatingUser=ANA)
        coding = SubElement(sel, f"{{{NS}}}Coding", guid=_guid(200 + k), creatingUser=ANA)
        SubElement(coding, f"{{{NS}}}CodeRef", targetGUID=CODES[code])
        if note:
            SubElement(sel, f"{{{NS}}}NoteRef", targetGUID=NOTE)
    if broken_selection:  # no toSyncPoint: it cannot be placed
        sel = SubElement(tr, f"{{{NS}}}TranscriptSelection", guid=_guid(150), fromSyncPoint=ends[0][0])
        SubElement(SubElement(sel, f"{{{NS}}}Coding", guid=_guid(250)), f"{{{NS}}}CodeRef",
                   targetGUID=CODES["Coping"])
    note = SubElement(SubElement(root, f"{{{NS}}}Notes"), f"{{{NS}}}Note", guid=NOTE, name="Memo")
    SubElement(note, f"{{{NS}}}PlainTextContent").text = "Said warmly."
    group = SubElement(SubElement(root, f"{{{NS}}}Sets"), f"{{{NS}}}Set", guid=SET, name="Wave 1")
    SubElement(group, f"{{{NS}}}MemberSource", targetGUID=AUDIO)
    qde = tostring(root, encoding="utf-8", xml_declaration=True)
    assert list(_schema().iter_errors(fromstring(qde))) == []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("project.qde", qde)
        if transcript is not None and not inline:
            zf.writestr(f"sources/{TRANSCRIPT}.txt", transcript)
        if with_recording:
            zf.writestr(f"sources/{AUDIO}{ext}", recording if recording is not None else wav(1.0),
                        zipfile.ZIP_STORED)
    return buffer.getvalue()


_SCHEMA = []


def _schema():
    if not _SCHEMA:
        _SCHEMA.append(xmlschema.XMLSchema(str(shared_fixture("refi/schema/Project.xsd"))))
    return _SCHEMA[0]


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.delenv("QUALCODE_MEDIA_DIR", raising=False)
    monkeypatch.delenv("QUALCODE_MEDIA_MAX_MB", raising=False)
    db = Database(tmp_path / "study.db")
    yield db
    db.close()


def _import(db: Database, tmp_path, data: bytes, name: str = "field.qdpx") -> dict:
    file = tmp_path / name
    file.write_bytes(data)
    return import_project_file(db, file)


def _codings(db: Database) -> list[tuple]:
    return [(c.code, c.coder, c.quote, c.memo) for c in list_codings(db)]


def _memos(db: Database) -> list[tuple]:
    """Memos with the quote of the coding they are about (a note on a selection is one)."""
    with db.session() as s:
        return [(m.text, s.get(Coding, m.coding_id).quote if m.coding_id else None)
                for m in s.scalars(select(Memo))]


def _times(db: Database, name: str) -> list[tuple]:
    return [(t["speaker"], t["media_start_seconds"], t["media_end_seconds"])
            for t in show_document(db, name)["turns"]]


def _rows(db: Database) -> dict:
    with db.session() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Document, Code, Coding, Media, ChangeLog)}


EXPECTED_CODINGS = [("Financial", "ana", "The exam fees were a burden", None),
                    ("Coping", "ana", "I took a second job", None),
                    ("Supervision", "ana", "supportive", None)]
#: Turn 4 has no sync point at its start; the timed one inside its words times nothing.
EXPECTED_TIMES = [("Interviewer", 0.0, 4.0), ("P07", 4.0, 12.0), ("Interviewer", 12.0, None),
                  ("P07", None, None)]


@pytest.mark.parametrize("kind,recording,ext,mime", [
    ("AudioSource", wav(2.0), ".wav", "audio/wav"),
    ("VideoSource", MP4, ".mp4", "video/mp4"),
])
def test_a_transcript_inside_a_recording_becomes_a_document_with_the_recording(
        project, tmp_path, kind, recording, ext, mime):
    db = project
    report = _import(db, tmp_path, build(kind=kind, recording=recording, ext=ext,
                                         transcript=TEXT.encode()))
    assert (report["documents"], report["codings"], report["recordings"]) == (1, 3, 1)
    assert not any(kind in s for s in report["skipped"])
    assert any("1 transcript selection without a from and to sync point" in w for w in report["warnings"])
    doc = show_document(db, "Interview 7 transcript")
    assert doc["text"] == TEXT and doc["participant"] == "P07"
    assert _times(db, "Interview 7 transcript") == EXPECTED_TIMES
    assert _codings(db) == EXPECTED_CODINGS
    assert _memos(db) == [("Said warmly.", "supportive")]
    found = media.media_for(db, "Interview 7 transcript")
    assert (found["file"], found["mime_type"], found["exists"]) == (f"Interview 7{ext}", mime, True)
    assert (media_dir(db) / found["stored_path"]).read_bytes() == recording
    assert [g["documents"] for g in list_groups(db)] == [["Interview 7 transcript"]]
    with db.session() as s:
        assert s.scalar(select(Document.guid)) == TRANSCRIPT


def test_transcript_text_given_inline_is_read_too(project, tmp_path):
    report = _import(project, tmp_path, build(inline=True, broken_selection=False))
    assert (report["documents"], report["codings"], report["recordings"]) == (1, 3, 1)
    assert _codings(project) == EXPECTED_CODINGS


def test_nvivo_style_positions_are_read_as_plain_text_selections_are(project, tmp_path):
    """A BOM, CRLF line endings and UTF-16 positions (CRLF counted as 2): the reading is chosen
    from the selections and sync points, as for PlainTextSelections, and reported."""
    raw = ("\ufeff" + TEXT.replace("\n", "\r\n")).encode("utf-8")
    report = _import(project, tmp_path, build(unit="utf16-crlf", transcript=raw))
    assert report["offset_readings"] == {"Interview 7 transcript": "UTF-16 units, CRLF as 2"}
    assert any("offsets read as UTF-16 units, CRLF as 2" in w and "selections and sync points" in w
               for w in report["warnings"])
    assert show_document(project, "Interview 7 transcript")["text"] == TEXT
    assert _codings(project) == EXPECTED_CODINGS
    assert _times(project, "Interview 7 transcript") == EXPECTED_TIMES


def test_importing_the_same_file_again_changes_nothing(project, tmp_path):
    data = build(transcript=TEXT.encode())
    _import(project, tmp_path, data)
    before, files = _rows(project), sorted(p.name for p in media_dir(project).iterdir())
    again = _import(project, tmp_path, data, name="again.qdpx")
    assert (again["documents"], again["codes"], again["codings"]) == (0, 0, 0)
    assert again["existing"]["documents"] == 1 and again["existing"]["codings"] == 3
    after = _rows(project)
    assert {k: v for k, v in after.items() if k != "change_log"} == \
        {k: v for k, v in before.items() if k != "change_log"}
    assert sorted(p.name for p in media_dir(project).iterdir()) == files
    with project.session() as s:  # the recording was not attached a second time
        assert s.scalar(select(func.count()).select_from(ChangeLog).where(ChangeLog.entity == "media")) == 1


@pytest.mark.parametrize("transcript,reason", [
    (None, "is not in the archive"),
    (b"\x00\x01binary\x00" * 50, "cannot be read"),
])
def test_a_missing_or_unreadable_transcript_is_an_error_and_nothing_is_written(
        project, tmp_path, transcript, reason):
    db = project
    _import(db, tmp_path, build(transcript=TEXT.encode()), name="first.qdpx")
    before = _rows(db)
    files = sorted(p.name for p in media_dir(db).iterdir())
    with pytest.raises(RefiError) as caught:
        _import(db, tmp_path, build(transcript=transcript, recording=wav(3.0, level=7)), name="bad.qdpx")
    message = str(caught.value)
    assert "bad.qdpx" in message and "AudioSource 'Interview 7'" in message
    assert "the transcript 'Interview 7 transcript'" in message and reason in message
    assert "Export the project again with the transcript's text file inside the archive" in message
    assert "nothing was imported" in message
    assert _rows(db) == before
    assert sorted(p.name for p in media_dir(db).iterdir()) == files


def test_a_bare_qde_has_no_transcript_files_so_they_are_reported_not_fatal():
    qde = zipfile.ZipFile(io.BytesIO(build(transcript=TEXT.encode()))).read("project.qde")
    project = read_refi(qde, "field.qde")
    assert project.sources == []
    skipped = " | ".join(project.report.skipped)
    assert "its text is not in a bare .qde file" in skipped and "AudioSource 'Interview 7'" in skipped


def test_a_recording_that_cannot_be_kept_leaves_its_transcript_imported(project, tmp_path, monkeypatch):
    monkeypatch.setenv("QUALCODE_MEDIA_MAX_MB", "0.001")  # about 1 kB: the recording is refused
    report = _import(project, tmp_path, build(transcript=TEXT.encode(), recording=wav(1.0)))
    assert (report["documents"], report["codings"], report["recordings"]) == (1, 3, 0)
    assert any("was not attached" in w and "limit" in w for w in report["warnings"])
    assert media.media_for(project, "Interview 7 transcript") is None
    assert _times(project, "Interview 7 transcript") == EXPECTED_TIMES


def test_a_recording_file_missing_from_the_archive_leaves_the_transcript_imported(project, tmp_path):
    report = _import(project, tmp_path, build(transcript=TEXT.encode(), with_recording=False))
    assert (report["documents"], report["codings"]) == (1, 3) and "recordings" not in report
    assert any("AudioSource 'Interview 7': its file" in s and "is not in the archive" in s
               for s in report["skipped"])
    assert media.media_for(project, "Interview 7 transcript") is None
    assert _codings(project) == EXPECTED_CODINGS


def test_export_then_import_keeps_document_codings_times_and_recording(project, tmp_path, monkeypatch):
    _import(project, tmp_path, build(transcript=TEXT.encode(), recording=wav(2.0, level=3)))
    exported = export_qdpx(project)
    archive = zipfile.ZipFile(io.BytesIO(exported))
    assert list(_schema().iter_errors(fromstring(archive.read("project.qde")))) == []
    fresh = Database(tmp_path / "fresh.db")
    try:
        report = _import(fresh, tmp_path, exported, name="exported.qdpx")
        assert (report["documents"], report["codings"], report["recordings"]) == (1, 3, 1)
        assert show_document(fresh, "Interview 7 transcript")["text"] == TEXT
        assert _codings(fresh) == EXPECTED_CODINGS
        assert _memos(fresh) == [("Said warmly.", "supportive")]
        assert _times(fresh, "Interview 7 transcript") == EXPECTED_TIMES
        mine, theirs = (media.media_for(d, "Interview 7 transcript") for d in (project, fresh))
        assert theirs["exists"] and theirs["sha256"] == mine["sha256"]
    finally:
        fresh.close()


def test_sync_points_time_only_the_turns_they_line_up_with():
    turns = [Turn("A", 3, 10, head=0), Turn("B", 15, 20, head=12), Turn("A", 25, 30, head=22)]
    # 0: turn 1's label; 7: inside turn 1's words; 17: inside turn 2's words; 22: turn 3's label
    timed = timed_turns(turns, [(0, 1000), (7, 2000), (17, 5000), (22, 9000)])
    assert [(t.media_start, t.media_end) for t in timed] == [(1.0, 9.0), (None, None), (9.0, None)]
