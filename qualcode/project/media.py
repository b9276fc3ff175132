"""The interview's recording: attach an audio or video file to a transcript, find it, detach it.

One document has at most one recording (a ``media`` row). The file is copied into the media
folder (``qualcode.store.media_files``: beside an SQLite file, or ``QUALCODE_MEDIA_DIR``) under
the SHA-256 of its content, so the same bytes are stored once, and attaching them again to the
same document changes nothing.

What is accepted is decided by the content, not the name: MP3 (an ID3 tag or an MPEG audio
layer III frame), M4A and MP4 (an ISO ``ftyp`` box with a known brand), WAV (RIFF/WAVE) and
WebM (an EBML header whose DocType is ``webm``), each also needing the matching extension
(``.mp3``, ``.m4a``, ``.wav``, ``.mp4``, ``.webm``; M4A and MP4 may stand for each other).
Files over ``QUALCODE_MEDIA_MAX_MB`` megabytes (default 2048) are refused.

A write is all or nothing: the type and size are checked and the acting user's right to change
the project (owners; the same gate as imports) before anything is written; the file is copied to
a temporary name in the media folder, the row and its change-log entry are written, the file is
renamed to its final name, and the transaction commits. On any failure the temporary file (or a
final file this call created) is removed, so the database and the folder are left as they were.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select

from qualcode.store.db import Database, retrying
from qualcode.store.media_files import media_dir
from qualcode.store.models import Document, Media, Turn
from qualcode.team.changelog import default_actor, log

#: Extensions accepted, with the content type each must have.
EXTENSIONS = {".mp3": "mp3", ".m4a": "mp4", ".mp4": "mp4", ".wav": "wav", ".webm": "webm"}
ENV_MAX_MB = "QUALCODE_MEDIA_MAX_MB"
DEFAULT_MAX_MB = 2048
HEAD = 4096  # bytes read to recognise a file
CHUNK = 1 << 20

#: ISO base media brands (the ``ftyp`` box) that are audio-only MPEG-4 files.
AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}
#: Brands of MPEG-4 video (or general MP4) files browsers play.
VIDEO_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
                b"dash", b"M4V ", b"mmp4", b"MSNV", b"NDAS", b"F4V "}


class MediaError(ValueError):
    """A recording cannot be attached; the message names the file, what is wrong and what to do."""


@dataclass(frozen=True)
class Kind:
    """What a file's content is: ``family`` (mp3, mp4, wav, webm), its MIME type, whether it is
    video, and the extension it is stored under."""

    family: str
    mime: str
    video: bool
    ext: str


def max_bytes() -> int:
    """The size limit in bytes (``QUALCODE_MEDIA_MAX_MB``, default 2048 MB)."""
    raw = os.environ.get(ENV_MAX_MB, "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(mb * 1024 * 1024)


def _mp3_frame(head: bytes) -> bool:
    # MPEG audio frame sync: 11 set bits, then version (not the reserved 01) and layer III (01).
    return (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
            and (head[1] >> 3) & 0x03 != 0x01 and (head[1] >> 1) & 0x03 == 0x01)


def sniff(head: bytes, name: str = "") -> Kind | None:
    """The kind of media ``head`` (a file's first bytes) starts, or None when it is none we play.

    ``name`` only chooses between M4A and MP4 when the brand does not say (an ``isom`` file
    named ``.m4a`` is audio)."""
    ext = Path(name).suffix.lower()
    if head[:3] == b"ID3" or _mp3_frame(head):
        return Kind("mp3", "audio/mpeg", False, ".mp3")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Kind("wav", "audio/wav", False, ".wav")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        # The EBML header holds DocType "webm" (or "matroska", which browsers do not all play).
        if b"webm" in head[:64]:
            return Kind("webm", "video/webm", True, ".webm")
        return None
    if head[4:8] == b"ftyp" and len(head) >= 16:
        size = int.from_bytes(head[:4], "big")
        major = head[8:12]
        brands = {major} | {head[i:i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
        if major in AUDIO_BRANDS or (ext == ".m4a" and brands & (AUDIO_BRANDS | VIDEO_BRANDS)):
            return Kind("mp4", "audio/mp4", False, ".m4a")
        if brands & VIDEO_BRANDS:
            return Kind("mp4", "video/mp4", True, ".mp4")
        return None
    return None


def _check(head: bytes, size: int, name: str) -> Kind:
    """The file's kind, or a MediaError saying what is wrong with it and what to do."""
    ext = Path(name).suffix.lower()
    if ext not in EXTENSIONS:
        raise MediaError(f"{name}: {ext or 'no extension'} is not a recording qualcode plays; "
                         "attach an .mp3, .m4a, .wav, .mp4 or .webm file (convert others, "
                         "e.g. with ffmpeg)")
    limit = max_bytes()
    if size > limit:
        raise MediaError(f"{name}: {size / 1048576:,.1f} MB is over the {limit / 1048576:,.0f} MB "
                         f"limit; compress it (e.g. to 64 kbit/s mono MP3 or M4A) or raise "
                         f"{ENV_MAX_MB}. Nothing was changed")
    if size == 0:
        raise MediaError(f"{name}: the file is empty; choose the recording itself")
    kind = sniff(head, name)
    if kind is None:
        raise MediaError(f"{name}: its content is not {ext[1:].upper()} (the file "
                         "starts with no MP3, MP4/M4A, WAV or WebM signature); it may be damaged "
                         "or another format renamed. Nothing was changed")
    if EXTENSIONS[ext] != kind.family:
        raise MediaError(f"{name}: the name says {ext[1:].upper()} but the content is "
                         f"{kind.family.upper()}; rename it to {kind.ext} if it is the right "
                         "recording. Nothing was changed")
    return kind


def _duration(path: Path, kind: Kind) -> float | None:
    """The length in seconds when it is cheap to know (a PCM WAV header); else None."""
    if kind.family != "wav":
        return None
    try:
        with wave.open(str(path), "rb") as w:
            return round(w.getnframes() / float(w.getframerate()), 3) if w.getframerate() else None
    except (wave.Error, EOFError, OSError):
        return None


def _open(source: str | os.PathLike | bytes | BinaryIO, name: str | None) -> tuple[BinaryIO, int, str]:
    """The source as a binary stream, its size and its file name."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return io.BytesIO(data), len(data), name or "recording"
    if hasattr(source, "read"):
        # The whole stream from its start: a retried call (a busy database) reads it again.
        stream = source  # type: ignore[assignment]
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(0)
        return stream, size, name or Path(getattr(source, "name", "recording")).name
    path = Path(source).expanduser()
    if not path.is_file():
        raise MediaError(f"{path}: no such file; give the path of the recording")
    return path.open("rb"), path.stat().st_size, name or path.name


def _document(session, db: Database, document) -> Document:
    from qualcode.project.documents import find_document

    return find_document(session, db.project_id(session), document)


def _has_times(session, doc: Document) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Turn).where(
        Turn.document_id == doc.id, Turn.media_start.is_not(None))))


def _unreferenced(session, stored_path: str) -> bool:
    return not session.scalar(select(func.count()).select_from(Media).where(Media.stored_path == stored_path))


@retrying
def attach(db: Database, document: int | str, source: str | os.PathLike | bytes | BinaryIO, *,
           name: str | None = None, actor: str | None = None) -> dict:
    """Attach a recording (a path, bytes or a seekable binary file, read from its start) to
    ``document`` (name or id).

    Replaces the document's earlier recording; the same bytes again change nothing
    (``"status": "unchanged"``). Returns the media as :func:`media_for` does plus ``status``
    (``attached``, ``replaced``, ``unchanged``) and ``warnings`` (a transcript without turn times
    cannot be followed or seeked from the text). Owners only (the change log's gate); raises
    MediaError for a file of the wrong type or size, LookupError for an unknown document.
    """
    from qualcode.team.access import authorize

    stream, size, name = _open(source, name)
    try:
        head = stream.read(HEAD)
        kind = _check(head, size, name)
        with db.session(readonly=True) as session:  # refuse before writing any file
            doc = _document(session, db, document)
            authorize(session, doc.project_id, actor, "attach", "media", {})
        folder = media_dir(db)
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f".incoming-{secrets.token_hex(8)}{kind.ext}.partial"
        created = None
        try:
            digest = hashlib.sha256(head)
            written = len(head)
            with temp.open("wb") as out:
                out.write(head)
                while chunk := stream.read(CHUNK):
                    written += len(chunk)
                    if written > max_bytes():
                        raise MediaError(f"{name}: the file grew past the size limit while it was "
                                         "copied; nothing was changed")
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            stored = f"{sha}{kind.ext}"
            final = folder / stored
            with db.session() as session:
                doc = _document(session, db, document)
                row = session.scalar(select(Media).where(Media.document_id == doc.id))
                if row is not None and row.sha256 == sha:
                    if not (folder / row.stored_path).is_file():  # a lost file, given again
                        os.replace(temp, folder / row.stored_path)
                    return {**_describe(row, doc, folder), "status": "unchanged", "warnings": []}
                status = "attached" if row is None else "replaced"
                old_path = row.stored_path if row is not None else None
                if row is None:
                    row = Media(document_id=doc.id)
                    session.add(row)
                row.filename, row.stored_path, row.mime_type = name, stored, kind.mime
                row.size, row.sha256, row.added_by = written, sha, actor or default_actor()
                row.duration = _duration(temp, kind)
                session.flush()
                log(session, project_id=doc.project_id, actor=actor,
                    action="attach" if status == "attached" else "replace", entity="media",
                    entity_id=doc.id, document=doc.name, file=name, sha256=sha, size=written,
                    mime_type=kind.mime)
                if not final.exists():
                    os.replace(temp, final)
                    created = final
                warnings = [] if _has_times(session, doc) else [
                    f"{doc.name} has no turn times, so the player cannot follow the transcript or "
                    "seek from it; import a timestamped transcript (e.g. [00:01:23] or .vtt) "
                    "to link them"]
                result = {**_describe(row, doc, folder), "status": status, "warnings": warnings}
                stale = old_path if old_path and old_path != stored else None
            created = None  # committed: the file is the row's now
            if stale:
                _remove_if_unused(db, folder, stale)
            return result
        finally:
            temp.unlink(missing_ok=True)
            if created is not None:  # the transaction failed after the rename
                created.unlink(missing_ok=True)
    finally:
        if not hasattr(source, "read"):  # a stream the caller gave stays theirs to close
            stream.close()


def _remove_if_unused(db: Database, folder: Path, stored_path: str) -> None:
    """Delete a file no media row of this database names any more."""
    with db.session(readonly=True) as session:
        if _unreferenced(session, stored_path):
            (folder / stored_path).unlink(missing_ok=True)


@retrying
def detach(db: Database, document: int | str, *, actor: str | None = None) -> dict:
    """Remove ``document``'s recording (the row, logged; the file when nothing else uses it).

    Returns what was removed; LookupError when the document has no recording. Owners only."""
    with db.session() as session:
        doc = _document(session, db, document)
        row = session.scalar(select(Media).where(Media.document_id == doc.id))
        if row is None:
            raise LookupError(f"{doc.name} has no recording attached; nothing to detach")
        folder = media_dir(db)
        gone = _describe(row, doc, folder)
        log(session, project_id=doc.project_id, actor=actor, action="detach", entity="media",
            entity_id=doc.id, document=doc.name, file=row.filename, sha256=row.sha256)
        session.delete(row)
    _remove_if_unused(db, folder, gone["stored_path"])
    return gone


def _describe(row: Media, doc: Document, folder: Path) -> dict:
    return {
        "document": doc.name,
        "file": row.filename,
        "stored_path": row.stored_path,
        "path": str(folder / row.stored_path),
        "mime_type": row.mime_type,
        "video": row.mime_type.startswith("video/"),
        "size": row.size,
        "sha256": row.sha256,
        "duration": row.duration,
        "guid": row.guid,
        "added_by": row.added_by,
        "created_at": row.created_at,
    }


def media_for(db: Database, document: int | str, *, viewer: str | None = None) -> dict | None:
    """``document``'s recording (file name, absolute ``path``, MIME type, size, SHA-256,
    duration, who added it and when, and ``exists``: whether the file is in the media folder),
    or None. Any member may read it."""
    from qualcode.team.access import reader

    with db.session(readonly=True) as session:
        pid = db.project_id(session)
        reader(session, pid, viewer)
        doc = _document(session, db, document)
        row = session.scalar(select(Media).where(Media.document_id == doc.id))
        if row is None:
            return None
        out = _describe(row, doc, media_dir(db))
    out["exists"] = Path(out["path"]).is_file()
    return out


def list_media(db: Database, *, viewer: str | None = None) -> list[dict]:
    """Every recording of the project, by document name (as :func:`media_for`)."""
    from qualcode.team.access import reader

    with db.session(readonly=True) as session:
        pid = db.project_id(session)
        reader(session, pid, viewer)
        rows = session.execute(select(Media, Document).join(Document, Media.document_id == Document.id)
                               .where(Document.project_id == pid).order_by(Document.name)).all()
        if not rows:
            return []
        folder = media_dir(db)
        out = [_describe(m, d, folder) for m, d in rows]
    for item in out:
        item["exists"] = Path(item["path"]).is_file()
    return out


__all__ = ["EXTENSIONS", "Kind", "MediaError", "attach", "detach", "list_media", "max_bytes",
           "media_for", "sniff"]
