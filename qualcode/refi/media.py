"""Recordings in REFI-QDA: a document's attached audio or video as an ``AudioSource`` or
``VideoSource`` (export), and such a source's file attached back to its transcript (import).

Export: the recording is written beside the text source it belongs to, as
``sources/<media guid>.<ext>`` in the archive; its ``Transcript`` points at the text source's own
``sources/<guid>.txt`` (the same canonical text) and carries a ``SyncPoint`` for every turn with
a media time (``position``: the turn's start in code points, ``timeStamp``: milliseconds). The
codings stay on the ``TextSource`` only, so a program reading both does not count them twice.

Import: a recording whose transcript is the text of an imported document (the same internal
text file, or the same text) is attached to that document (``qualcode.project.media.attach``,
type and size checked as any other).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.refi.model import MediaSource
from qualcode.store.db import Database
from qualcode.store.media_files import MediaDirError, media_dir
from qualcode.store.models import Document, Media, Turn

#: REFI-QDA namespace for derived GUIDs (the transcript's, from the document's).
TRANSCRIPT_KIND = "transcript"


def media_sources(session: Session, db: Database, docs: list[Document]) -> dict[int, MediaSource]:
    """The recording of each document that has one whose file is in the media folder."""
    from qualcode.refi.write import derived_guid

    ids = [d.id for d in docs]
    if not ids:
        return {}
    rows = session.scalars(select(Media).where(Media.document_id.in_(ids))).all()
    if not rows:
        return {}
    try:
        folder = media_dir(db)
    except MediaDirError:
        return {}
    by_id = {d.id: d for d in docs}
    out: dict[int, MediaSource] = {}
    for row in rows:
        file = folder / row.stored_path
        if not file.is_file():
            continue
        doc = by_id[row.document_id]
        sync = [(t.start, int(round(t.media_start * 1000))) for t in session.scalars(
            select(Turn).where(Turn.document_id == doc.id, Turn.media_start.is_not(None))
            .order_by(Turn.start))]
        out[doc.id] = MediaSource(
            guid=row.guid, name=row.filename, video=row.mime_type.startswith("video/"),
            ext=Path(row.stored_path).suffix, transcript_guid=derived_guid(TRANSCRIPT_KIND, doc.guid),
            sync=sync, path=str(file), description=f"Recording of {doc.name}")
    return out


def attach_imported(db: Database, media: list[tuple[int, MediaSource]], *,
                    actor: str | None = None) -> tuple[int, list[str]]:
    """Attach imported recordings, given as ``(document id, recording)`` pairs. Returns
    (attached, warnings): a recording that cannot be attached is a warning, never a failed
    import (the transcripts and codings are in already)."""
    from qualcode.project.media import MediaError, attach

    attached, warnings = 0, []
    for document_id, item in media:
        name = item.name if Path(item.name).suffix.lower() == item.ext else Path(item.name).stem + item.ext
        try:
            attach(db, document_id, item.data, name=name, actor=actor)
            attached += 1
        except (MediaError, MediaDirError, LookupError) as exc:
            warnings.append(f"recording {item.name!r} was not attached: {exc}")
    return attached, warnings


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el, name: str) -> list:
    return [c for c in el if _local(c.tag) == name] if el is not None else []


def read_recording(el, project, report, archive, text_paths: dict, source_text) -> None:
    """An Audio/VideoSource read from a project file: kept as ``media`` of the text source that
    is its transcript (the same text file, or the same text), with its sync points; otherwise
    reported as left out (``report.skipped``). ``source_text`` is the reader's own function that
    reads a text file of the archive (passed in: this module may not import the reader)."""
    from qualcode.refi.model import ReadReport
    from qualcode.refi.offsets import CanonicalMap

    kind = _local(el.tag)
    name = el.get("name") or el.get("guid") or kind
    transcript = next(iter(_children(el, "Transcript")), None)
    source = None
    if transcript is not None:
        if transcript.get("plainTextPath"):
            source = text_paths.get(transcript.get("plainTextPath").lower())
        if source is None:
            text = source_text(transcript, ReadReport(), archive, name)
            if text is not None:
                wanted = CanonicalMap(text).text
                source = next((s for s in project.sources if s.text == wanted), None)
    if source is None:
        report.skipped.append(f"{kind} {name!r} (its transcript is not a text source here; "
                              "only recordings of imported transcripts are kept)")
        return
    path = el.get("path") or ""
    scheme, _, rest = path.partition("://")
    info = archive.find(rest or path) if archive is not None and scheme.lower() in ("internal", "") else None
    if info is None:
        report.skipped.append(f"{kind} {name!r}: its file {path!r} is not in the archive")
        return
    sync = []
    for point in _children(transcript, "SyncPoint"):
        try:
            sync.append((int(point.get("position")), int(point.get("timeStamp"))))
        except (TypeError, ValueError):
            continue  # a sync point without both numbers places nothing
    source.media = MediaSource(
        guid=(el.get("guid") or "").strip("{} "), name=name, video=kind == "VideoSource",
        ext=PurePosixPath(info.filename).suffix.lower(),
        transcript_guid=(transcript.get("guid") or "").strip("{} "), sync=sorted(sync),
        data=archive.read(info))


def timed_turns(turns: list, sync: list[tuple[int, int]]) -> list:
    """Turns given media times from sync points: a turn without a time of its own takes the
    first sync point inside it (its label included: from the previous turn's end); each
    ``media_end`` is the next timed turn's start, as the transcript importers do."""
    if not sync:
        return turns
    out, k, previous_end = [], 0, 0
    for turn in turns:
        while k < len(sync) and sync[k][0] < previous_end:
            k += 1
        if turn.media_start is None and k < len(sync) and sync[k][0] < turn.end:
            turn = dataclasses.replace(turn, media_start=sync[k][1] / 1000)
        out.append(turn)
        previous_end = turn.end
    timed = [i for i, t in enumerate(out) if t.media_start is not None]
    for a, b in zip(timed, timed[1:]):
        if out[a].media_end is None:
            out[a] = dataclasses.replace(out[a], media_end=out[b].media_start)
    return out
