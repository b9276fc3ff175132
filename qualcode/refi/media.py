"""Recordings in REFI-QDA: a document's attached audio or video as an ``AudioSource`` or
``VideoSource`` (export), and such a source's file attached back to its transcript (import).

Export: the recording is written beside the text source it belongs to, as
``sources/<media guid>.<ext>`` in the archive; its ``Transcript`` points at the text source's own
``sources/<guid>.txt`` (the same canonical text) and carries a ``SyncPoint`` for every turn with
a media time (``position``: the turn's start in code points, ``timeStamp``: milliseconds). The
codings stay on the ``TextSource`` only, so a program reading both does not count them twice.

Import: reading the recording and its ``Transcript`` is :mod:`qualcode.refi.transcripts` (the
transcript is a text source of the file, or becomes one); here the recording is attached to the
document made of its transcript (``qualcode.project.media.attach``, type and size checked as
any other) and its sync points become turn times (:func:`timed_turns`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

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


def timed_turns(turns: list, sync: list[tuple[int, int]]) -> list:
    """Turns given media times from sync points where they line up with a turn: a turn without a
    time of its own takes the first sync point from the previous turn's end to its own start (its
    label, timestamps and the blank lines before it); a sync point inside a turn's words marks a
    moment within it, not its start, and times nothing. Each ``media_end`` is the next timed
    turn's start, as the transcript importers do."""
    if not sync:
        return turns
    out, k, previous_end = [], 0, 0
    for turn in turns:
        while k < len(sync) and sync[k][0] < previous_end:
            k += 1
        if turn.media_start is None and k < len(sync) and sync[k][0] <= turn.start:
            turn = dataclasses.replace(turn, media_start=sync[k][1] / 1000)
        out.append(turn)
        previous_end = turn.end
    timed = [i for i, t in enumerate(out) if t.media_start is not None]
    for a, b in zip(timed, timed[1:]):
        if out[a].media_end is None:
            out[a] = dataclasses.replace(out[a], media_end=out[b].media_start)
    return out
