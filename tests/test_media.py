"""Recordings attached to transcripts (``qualcode.project.media``): type and size checks by
content, all-or-nothing writes, the change log and roles, the CLI, backups (whole database
and one project) and REFI-QDA export/import. Real SQLite files and PostgreSQL (``db``)."""

from __future__ import annotations

import io
import json
import wave
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from conftest import shared_fixture
from qualcode.project import media
from qualcode.project.documents import import_files, show_document
from qualcode.store.db import Database
from qualcode.store.media_files import MediaDirError, media_dir, sibling_dir
from qualcode.store.models import ChangeLog, Media
from qualcode.team.access import AccessDenied

TIMED = b"I: [00:00:01] Hello there, thanks for coming.\n\nP07: [00:00:02] Happy to help.\n"
UNTIMED = b"I: Hello there.\n\nP07: Happy to help.\n\nI: Good.\n\nP07: Yes.\n"


def wav(seconds: float = 3.0, rate: int = 8000, level: int = 0) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(level.to_bytes(2, "little", signed=True) * int(seconds * rate))
    return buf.getvalue()


def ftyp(brand: bytes, compatible: tuple[bytes, ...] = ()) -> bytes:
    body = brand + b"\0\0\0\0" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\0" * 64


MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\0" * 64
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\0" * 64  # MPEG-1 layer III, no tag
WEBM = bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\0" * 64
MKV = bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\x82\x88matroska" + b"\0" * 64
ADTS_AAC = b"\xff\xf1\x50\x80" + b"\0" * 64  # AAC in ADTS: frame sync, but layer bits 00


def media_folder(db, tmp_path, monkeypatch) -> None:
    """Where recordings go in a test: beside an SQLite file; a server database (PostgreSQL)
    gets its own folder, as QUALCODE_MEDIA_DIR gives a real server."""
    if db.dialect != "sqlite":
        monkeypatch.setenv("QUALCODE_MEDIA_DIR", str(tmp_path / "server-media"))
    else:
        monkeypatch.delenv("QUALCODE_MEDIA_DIR", raising=False)


@pytest.fixture
def project(db, tmp_path, monkeypatch):
    """Two documents (one with turn times, one without); a server database gets a media folder."""
    media_folder(db, tmp_path, monkeypatch)
    result = import_files(db, [("int1.txt", TIMED), ("int2.txt", UNTIMED)])
    assert not result.errors
    return db


def _state(db: Database) -> tuple:
    """What a refused write must leave alone: media rows, the change log, the media folder."""
    with db.session() as s:
        rows = s.scalar(select(func.count()).select_from(Media))
        logged = s.scalar(select(func.count()).select_from(ChangeLog))
    folder = media_dir(db)
    files = sorted(p.name for p in folder.iterdir()) if folder.exists() else None
    return rows, logged, files


# -- recognising files --------------------------------------------------------------------------


@pytest.mark.parametrize("head,name,expected", [
    (MP3_ID3, "a.mp3", ("mp3", "audio/mpeg")),
    (MP3_FRAME, "a.mp3", ("mp3", "audio/mpeg")),
    (ftyp(b"M4A ", (b"M4A ", b"mp42", b"isom")), "a.m4a", ("mp4", "audio/mp4")),
    (ftyp(b"isom", (b"isom", b"iso2", b"mp41")), "a.m4a", ("mp4", "audio/mp4")),
    (ftyp(b"isom", (b"isom", b"iso2", b"avc1", b"mp41")), "a.mp4", ("mp4", "video/mp4")),
    (ftyp(b"mp42"), "a.mp4", ("mp4", "video/mp4")),
    (wav(0.01), "a.wav", ("wav", "audio/wav")),
    (WEBM, "a.webm", ("webm", "video/webm")),
])
def test_recordings_are_recognised_by_their_content(head, name, expected):
    kind = media.sniff(head, name)
    assert (kind.family, kind.mime) == expected


@pytest.mark.parametrize("head", [MKV, ADTS_AAC, ftyp(b"qt  "), ftyp(b"heic"), b"%PDF-1.7",
                                  b"RIFF\0\0\0\0AVI ", b"", b"hello"])
def test_other_content_is_not_a_recording(head):
    assert media.sniff(head, "x.mp4") is None


# -- attach, list, detach -----------------------------------------------------------------------


def test_attach_stores_the_file_by_content_logs_it_and_is_idempotent(project):
    db = project
    data = wav(3.0)
    out = media.attach(db, "int1", data, name="interview 1.wav", actor="olga")
    assert (out["status"], out["document"], out["file"], out["mime_type"], out["size"], out["duration"],
            out["warnings"]) == ("attached", "int1", "interview 1.wav", "audio/wav", len(data), 3.0, [])
    stored = media_dir(db) / out["stored_path"]
    assert stored.read_bytes() == data and out["stored_path"] == out["sha256"] + ".wav"
    assert sorted(p.name for p in media_dir(db).iterdir()) == [stored.name]  # no temporary left
    again = media.attach(db, "int1", data, name="interview 1.wav", actor="olga")
    assert again["status"] == "unchanged"
    found = media.media_for(db, "int1")
    assert (found["file"], found["exists"], found["added_by"]) == ("interview 1.wav", True, "olga")
    assert media.media_for(db, "int2") is None
    assert [m["document"] for m in media.list_media(db)] == ["int1"]
    with db.session() as s:
        log = [(r.action, r.entity, json.loads(r.detail)["file"])
               for r in s.scalars(select(ChangeLog).where(ChangeLog.entity == "media"))]
    assert log == [("attach", "media", "interview 1.wav")]  # the no-op wrote nothing
    # A recording whose file was lost comes back by attaching the same file again
    stored.unlink()
    assert media.media_for(db, "int1")["exists"] is False
    assert media.attach(db, "int1", data, name="interview 1.wav")["status"] == "unchanged"
    assert stored.read_bytes() == data


def test_a_new_recording_replaces_the_old_and_detach_removes_row_and_file(project):
    db = project
    first = media.attach(db, "int1", wav(2.0), name="a.wav")
    second = media.attach(db, "int1", wav(2.0, level=5), name="b.wav")
    assert second["status"] == "replaced"
    assert sorted(p.name for p in media_dir(db).iterdir()) == [second["stored_path"]]
    assert not (media_dir(db) / first["stored_path"]).exists()
    # The same bytes on another document are stored once; detaching one keeps the shared file
    media.attach(db, "int2", wav(2.0, level=5), name="b copy.wav")
    assert len(list(media_dir(db).iterdir())) == 1
    media.detach(db, "int1")
    assert (media_dir(db) / second["stored_path"]).exists()
    gone = media.detach(db, "int2")
    assert gone["file"] == "b copy.wav" and list(media_dir(db).iterdir()) == []
    assert media.list_media(db) == []
    with pytest.raises(LookupError, match="no recording"):
        media.detach(db, "int2")
    with db.session() as s:
        actions = [r.action for r in s.scalars(select(ChangeLog).where(ChangeLog.entity == "media"))]
    assert actions == ["attach", "replace", "attach", "detach", "detach"]


def test_a_transcript_without_times_gets_its_recording_with_a_warning(project):
    out = media.attach(project, "int2", wav(1.0), name="int2.wav")
    assert out["status"] == "attached"
    assert "no turn times" in out["warnings"][0] and "seek" in out["warnings"][0]


def test_a_file_path_and_a_stream_attach_alike(project, tmp_path):
    path = tmp_path / "Rec.WAV"
    path.write_bytes(wav(1.0))
    assert media.attach(project, "int1", path)["file"] == "Rec.WAV"
    with path.open("rb") as fh:
        assert media.attach(project, "int1", fh)["status"] == "unchanged"
        assert not fh.closed  # the caller's stream stays the caller's


@pytest.mark.parametrize("document,data,name,message", [
    ("int1", b"just some text, not audio", "fake.mp3", "its content is not MP3"),
    ("int1", wav(0.5), "named.mp3", "the name says MP3 but the content is WAV"),
    ("int1", wav(0.5), "notes.txt", ".txt is not a recording"),
    ("int1", wav(0.5), "noext", "no extension"),
    ("int1", MKV, "film.webm", "its content is not WEBM"),
    ("int1", b"", "empty.wav", "empty"),
    ("nope", wav(0.5), "a.wav", "no document 'nope'"),
])
def test_bad_input_changes_nothing(project, document, data, name, message):
    db = project
    before = _state(db)
    assert before[2] is None  # no media folder yet: a refusal must not even create it
    with pytest.raises((media.MediaError, LookupError), match=message):
        media.attach(db, document, data, name=name)
    assert _state(db) == before


def test_a_file_over_the_limit_is_refused_before_anything_is_written(project, monkeypatch):
    db = project
    media.attach(db, "int2", wav(0.2), name="small.wav")
    before = _state(db)
    monkeypatch.setenv("QUALCODE_MEDIA_MAX_MB", "0.01")  # 10 kB
    with pytest.raises(media.MediaError, match=r"over the 0 MB limit.*QUALCODE_MEDIA_MAX_MB"):
        media.attach(db, "int1", wav(2.0), name="big.wav")
    assert _state(db) == before


def test_a_failed_transaction_leaves_no_file_and_no_row(project, monkeypatch):
    db = project

    def refuse(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(media, "log", refuse)
    with pytest.raises(RuntimeError):
        media.attach(db, "int1", wav(1.0), name="a.wav")
    rows, _logged, files = _state(db)
    assert (rows, files) == (0, [])


def test_only_owners_attach_and_detach(project):
    from qualcode.team import accounts

    db = project
    accounts.add_account(db, "root", "a long password", role="admin")
    accounts.add_account(db, "carl", "a long password", role="coder", actor="root")
    before = _state(db)
    with pytest.raises(AccessDenied):
        media.attach(db, "int1", wav(1.0), name="a.wav", actor="carl")
    assert _state(db)[0::2] == before[0::2]
    media.attach(db, "int1", wav(1.0), name="a.wav", actor="root")
    assert media.media_for(db, "int1", viewer="carl")["file"] == "a.wav"  # members read it
    with pytest.raises(AccessDenied):
        media.detach(db, "int1", actor="carl")
    with pytest.raises(AccessDenied):
        media.media_for(db, "int1")  # with accounts a read names its reader


def test_a_server_database_needs_a_media_folder(postgres_schema_url, monkeypatch):
    monkeypatch.delenv("QUALCODE_MEDIA_DIR", raising=False)
    db = Database(postgres_schema_url)
    try:
        import_files(db, [("int1.txt", TIMED)])
        with pytest.raises(MediaDirError, match="set QUALCODE_MEDIA_DIR"):
            media.attach(db, "int1", wav(0.5), name="a.wav")
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Media)) == 0
    finally:
        db.close()


def test_an_sqlite_database_keeps_its_media_beside_it(tmp_path, monkeypatch):
    monkeypatch.delenv("QUALCODE_MEDIA_DIR", raising=False)
    db = Database(tmp_path / "study.db")
    assert media_dir(db) == (tmp_path / "study-media").resolve()
    monkeypatch.setenv("QUALCODE_MEDIA_DIR", str(tmp_path / "elsewhere"))
    assert media_dir(db) == (tmp_path / "elsewhere").resolve()
    db.close()


# -- the command line ---------------------------------------------------------------------------


def test_cli_attach_list_detach(tmp_path, monkeypatch):
    from qualcode.cli import main

    monkeypatch.delenv("QUALCODE_MEDIA_DIR", raising=False)
    monkeypatch.delenv("QUALCODE_USER", raising=False)
    dbfile = tmp_path / "cli.db"
    (tmp_path / "int1.txt").write_bytes(TIMED)
    (tmp_path / "int1.wav").write_bytes(wav(2.0))
    (tmp_path / "fake.mp3").write_bytes(b"not audio at all")
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, ["--db", str(dbfile), *args])

    assert run("import", str(tmp_path / "int1.txt")).exit_code == 0
    out = run("media", "attach", "int1", str(tmp_path / "int1.wav"))
    assert out.exit_code == 0, out.output
    assert "int1.wav attached int1 (audio/wav" in out.output and "2.0 s" in out.output
    assert "already attached" in run("media", "attach", "int1", str(tmp_path / "int1.wav")).output
    bad = run("media", "attach", "int1", str(tmp_path / "fake.mp3"))
    assert bad.exit_code == 1 and "fake.mp3: its content is not MP3" in bad.output
    missing = run("media", "attach", "nobody", str(tmp_path / "int1.wav"))
    assert missing.exit_code == 1 and "no document 'nobody'" in missing.output
    listed = json.loads(run("media", "list", "--json").output)
    assert [(m["document"], m["file"], m["exists"]) for m in listed] == [("int1", "int1.wav", True)]
    dry = run("media", "detach", "int1")
    assert dry.exit_code == 0 and "would detach int1.wav" in dry.output
    assert len(json.loads(run("media", "list", "--json").output)) == 1
    assert "detached int1.wav from int1" in run("media", "detach", "int1", "--yes").output
    assert "no recordings yet" in run("media", "list").output
    assert list(sibling_dir(dbfile).iterdir()) == []


# -- backups ------------------------------------------------------------------------------------


def test_a_database_backup_holds_the_recordings_and_restore_brings_them_back(project, tmp_path):
    from qualcode.team.backup import backup, restore

    db = project
    first = media.attach(db, "int1", wav(1.0), name="one.wav")
    out = tmp_path / ("backup.db" if db.dialect == "sqlite" else "backup.dump")
    written = backup(db, out)
    assert (written["media_files"], written["media_missing"]) == (1, [])
    assert (sibling_dir(out) / first["stored_path"]).read_bytes() == wav(1.0)
    # The recording is lost (detached, file gone), then the backup is restored
    media.detach(db, "int1")
    assert not (media_dir(db) / first["stored_path"]).exists()
    plan = restore(db, out, yes=True)
    assert plan["done"] and plan.get("media_missing", []) == []
    back = media.media_for(db, "int1")
    assert (back["file"], back["exists"]) == ("one.wav", True)
    assert Path(back["path"]).read_bytes() == wav(1.0)


def test_a_backup_file_opens_with_its_recordings(tmp_path, monkeypatch):
    """``qualcode --db BACKUP`` finds the backup's own media folder beside it."""
    from qualcode.team.backup import backup

    monkeypatch.delenv("QUALCODE_MEDIA_DIR", raising=False)
    db = Database(tmp_path / "live.db")
    import_files(db, [("int1.txt", TIMED)])
    media.attach(db, "int1", wav(1.0), name="one.wav")
    (tmp_path / "copies").mkdir()
    backup(db, tmp_path / "copies" / "monday.db")
    opened = Database(tmp_path / "copies" / "monday.db")
    assert media.media_for(opened, "int1")["exists"]
    opened.close()
    db.close()


def test_a_project_backup_carries_its_recordings_to_another_database(project, tmp_path, monkeypatch):
    from qualcode.project.projects import backup_project, restore_project

    db = project
    one = media.attach(db, "int1", wav(1.0), name="one.wav")
    written = backup_project(db, tmp_path / "proj.db")
    assert written["media_files"] == 1
    assert (sibling_dir(tmp_path / "proj.db") / one["stored_path"]).is_file()
    monkeypatch.delenv("QUALCODE_MEDIA_DIR", raising=False)
    other = Database(tmp_path / "other.db")
    restored = restore_project(other, tmp_path / "proj.db", name="copy")
    assert restored["project"] == "copy"
    found = media.media_for(other.use("copy"), "int1")
    assert (found["file"], found["exists"]) == ("one.wav", True)
    assert Path(found["path"]).parent == (tmp_path / "other-media").resolve()
    other.close()


# -- REFI-QDA -----------------------------------------------------------------------------------


def test_qdpx_export_has_an_audio_source_with_synced_transcript_and_validates(project):
    xmlschema = pytest.importorskip("xmlschema")
    from qualcode.refi.store import export_qdpx

    db = project
    rec = media.attach(db, "int1", wav(3.0), name="int1.wav")
    archive = zipfile.ZipFile(io.BytesIO(export_qdpx(db)))
    qde = archive.read("project.qde").decode()
    xmlschema.XMLSchema(str(shared_fixture("refi/schema/Project.xsd"))).validate(qde)
    assert archive.read(f"sources/{rec['guid']}.wav") == wav(3.0)
    assert archive.getinfo(f"sources/{rec['guid']}.wav").compress_type == zipfile.ZIP_STORED
    doc = show_document(db, "int1")
    from xml.etree import ElementTree

    ns = {"q": "urn:QDA-XML:project:1.0"}
    root = ElementTree.fromstring(qde)
    [audio] = root.findall(".//q:AudioSource", ns)
    assert audio.get("path") == f"internal://{rec['guid']}.wav"
    text_guid = root.find(".//q:TextSource[@name='int1']", ns).get("guid")
    transcript = audio.find("q:Transcript", ns)
    assert transcript.get("plainTextPath") == f"internal://{text_guid}.txt"
    points = [(int(p.get("position")), int(p.get("timeStamp")))
              for p in transcript.findall("q:SyncPoint", ns)]
    assert points == [(t["start"], int(t["media_start_seconds"] * 1000)) for t in doc["turns"]] == [
        (doc["turns"][0]["start"], 1000), (doc["turns"][1]["start"], 2000)]
    assert not root.findall(".//q:VideoSource", ns)


def test_qdpx_import_attaches_the_recording_to_its_transcript(project, tmp_path, monkeypatch):
    from qualcode.refi.store import export_qdpx, import_project_file

    db = project
    media.attach(db, "int1", wav(3.0), name="int1.wav")
    file = tmp_path / "out.qdpx"
    file.write_bytes(export_qdpx(db))
    monkeypatch.delenv("QUALCODE_MEDIA_DIR", raising=False)
    fresh = Database(tmp_path / "fresh.db")
    report = import_project_file(fresh, file)
    assert report["recordings"] == 1 and not any("AudioSource" in s for s in report["skipped"])
    found = media.media_for(fresh, "int1")
    assert (found["file"], found["mime_type"], found["exists"]) == ("int1.wav", "audio/wav", True)
    assert [t["media_start_seconds"] for t in show_document(fresh, "int1")["turns"]] == [1.0, 2.0]
    fresh.close()


def test_sync_points_give_turn_times_to_a_transcript_without_them():
    from qualcode.importers.base import Turn
    from qualcode.refi.media import timed_turns

    turns = [Turn(None, 3, 10), Turn(None, 14, 20), Turn(None, 24, 30)]
    timed = timed_turns(turns, [(0, 1500), (12, 4000), (24, 9000)])
    assert [(t.media_start, t.media_end) for t in timed] == [(1.5, 4.0), (4.0, 9.0), (9.0, None)]
