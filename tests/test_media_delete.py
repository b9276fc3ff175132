"""Deleting a project removes its recordings from the media folder once the deletion has
committed, keeps those another project still uses, never removes one its backup lacks, and
restoring the backup brings them back (``qualcode.project.projects``). SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from test_media import media_folder, wav

from qualcode.project import media
from qualcode.project import projects as P
from qualcode.project.documents import import_files
from qualcode.store.media_files import media_dir, sibling_dir
from qualcode.store.models import Document, Media

TIMED = b"I: [00:00:01] Hello there, thanks for coming.\n\nP07: [00:00:02] Happy to help.\n"
OTHER = b"I: [00:00:01] Good morning.\n\nP09: [00:00:03] Morning to you.\n"


@pytest.fixture
def studies(db, tmp_path, monkeypatch):
    """Pilot with two recordings, Main with one whose content Pilot shares (one file)."""
    media_folder(db, tmp_path, monkeypatch)
    monkeypatch.delenv("QUALCODE_BACKUP_DIR", raising=False)
    for name in ("Pilot", "Main"):
        P.create_project(db, name)
        assert not import_files(db.use(name), [("int1.txt", TIMED), ("int2.txt", OTHER)]).errors
    pilot, main = db.use("Pilot"), db.use("Main")
    own = media.attach(pilot, "int1", wav(1.0, level=1), name="pilot only.wav")
    shared = media.attach(pilot, "int2", wav(1.0, level=2), name="shared.wav")
    media.attach(main, "int1", wav(1.0, level=2), name="same bytes.wav")
    return db, own["stored_path"], shared["stored_path"]


def _files(db) -> set[str]:
    folder = media_dir(db)
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_deleting_a_project_removes_its_recordings_and_restoring_brings_them_back(studies, tmp_path):
    db, own, shared = studies
    assert _files(db) == {own, shared}
    out = P.delete_project(db.use("Pilot"), confirm="Pilot", folder=tmp_path / "backups")
    assert out["media_files"] == 1 and "media_left" not in out and out["rows"]["media"] == 2
    assert _files(db) == {shared}  # Main's recording has the same content: its file stays
    assert media.media_for(db.use("Main"), "int1")["exists"]
    kept = sibling_dir(out["backup"])
    assert {p.name for p in kept.iterdir()} == {own, shared}  # the backup holds both

    restored = P.restore_project(db, out["backup"])
    assert restored["project"] == "Pilot" and restored["media_files"] == 1  # the shared one was there
    assert "media_missing" not in restored
    assert _files(db) == {own, shared}
    back = db.use("Pilot")
    assert [(m["document"], m["file"], m["exists"]) for m in media.list_media(back)] == [
        ("int1", "pilot only.wav", True), ("int2", "shared.wav", True)]
    assert (media_dir(db) / own).read_bytes() == wav(1.0, level=1)


def test_deleting_the_last_user_of_a_shared_file_removes_it(studies, tmp_path):
    db, own, shared = studies
    P.delete_project(db.use("Pilot"), confirm="Pilot", folder=tmp_path / "backups")
    out = P.delete_project(db.use("Main"), confirm="Main", folder=tmp_path / "backups")
    assert out["media_files"] == 1 and _files(db) == set()


def test_a_project_without_recordings_reports_none(db, tmp_path, monkeypatch):
    monkeypatch.setenv("QUALCODE_MEDIA_DIR", str(tmp_path / "media"))
    P.create_project(db, "Plain")
    import_files(db.use("Plain"), [("int1.txt", TIMED)])
    assert P.delete_project(db.use("Plain"), confirm="Plain", folder=tmp_path / "b")["media_files"] == 0


def test_a_failed_delete_leaves_rows_and_files_in_place(studies, tmp_path, monkeypatch):
    db, own, shared = studies

    def fail(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(P, "delete_project_rows", fail)
    with pytest.raises(RuntimeError):
        P.delete_project(db.use("Pilot"), confirm="Pilot", folder=tmp_path / "backups")
    assert _files(db) == {own, shared}
    assert [m["exists"] for m in media.list_media(db.use("Pilot"))] == [True, True]


def test_a_recording_the_backup_lacks_is_not_removed(studies, tmp_path, monkeypatch):
    from qualcode.team import project_backup

    db, own, shared = studies
    monkeypatch.setattr(project_backup, "copy_available",
                        lambda names, sources, target: {"copied": 0, "missing": []})
    out = P.delete_project(db.use("Pilot"), confirm="Pilot", folder=tmp_path / "backups")
    assert (out["media_files"], out["media_left"]) == (0, [own])
    assert _files(db) == {own, shared}


def test_a_project_whose_creation_fails_takes_its_recordings_with_it(db, tmp_path, monkeypatch):
    monkeypatch.setenv("QUALCODE_MEDIA_DIR", str(tmp_path / "media"))

    def fill(view):
        import_files(view, [("int1.txt", TIMED)])
        media.attach(view, "int1", wav(1.0, level=4), name="a.wav")
        assert len(_files(view)) == 1
        raise ValueError("the import failed half-way")

    with pytest.raises(ValueError, match="half-way"):
        P.create_project(db, "Broken", fill=fill)
    assert _files(db) == set()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Media)) == 0
        assert s.scalar(select(func.count()).select_from(Document)) == 0
