"""Recordings in a REFI-QDA file, read: an ``AudioSource``/``VideoSource`` and its ``Transcript``s.

Two shapes occur (element and attribute names as in Project.xsd's ``TranscriptType``,
``SyncPointType`` and ``TranscriptSelectionType``):

- **The transcript is also a TextSource.** qualcode writes a document's recording so: the
  ``Transcript``'s ``plainTextPath`` names the text source's own file. The recording is kept as
  that source's ``media``; found by the path, else by the same canonical text.
- **The transcript lives only inside the recording.** Other tools write ``<Transcript
  plainTextPath=…>`` (or ``PlainTextContent``) with ``<SyncPoint guid timeStamp position>``s and
  ``<TranscriptSelection fromSyncPoint toSyncPoint>``s carrying ``<Coding>``s, and no TextSource.
  Such a transcript becomes a text source of its own (a document on import):

  - named by the Transcript's ``name``, else the recording's; its GUID is the Transcript's, and
    the recording's GUID points at it wherever Cases, Sets and NoteRefs name the recording;
  - its text is read and made canonical as a text source's. A text file missing from a
    ``.qdpx`` or unreadable is a :class:`RefiError` naming the recording and what to do, so
    nothing is imported; a bare ``.qde`` carries no files at all, so there the transcript is
    left out and reported, as its text sources are; an empty transcript is left out;
  - a ``TranscriptSelection`` runs from its ``fromSyncPoint``'s ``position`` to its
    ``toSyncPoint``'s (end exclusive). Positions are read in the offset reading that fits the
    selections and sync points best, exactly as ``PlainTextSelection``s are
    (:mod:`qualcode.refi.offsets`); its ``Coding``s become codings, its ``NoteRef``s memos;
  - the sync points with a ``timeStamp`` (milliseconds) become the recording's sync points, in
    canonical code points; on import they give a turn its time where one lines up with the
    turn's start (:func:`qualcode.refi.media.timed_turns`);
  - the recording's file (``path``, in the archive) is attached on import like any other
    (:func:`qualcode.refi.media.attach_imported`: type, size and media folder checked); when the
    file is not in the archive the transcript is still imported, without the sync points' turn
    times, and the recording is reported as left out.

A recording's own ``AudioSelection``/``VideoSelection``s and ``Coding``s (time spans, not text)
are reported as left out.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from qualcode.refi.model import MediaSource, RefiError, RefiProject, Source
from qualcode.refi.offsets import CanonicalMap, RawSelection


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el, name: str) -> list:
    return [c for c in el if _local(c.tag) == name] if el is not None else []


def _number(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def read_recording(el, project: RefiProject, ctx, text_paths: dict[str, Source]) -> dict[str, str]:
    """Read one Audio/VideoSource ``el`` into ``project``: each of its transcripts is the text
    source it names (``text_paths``: text sources by lower-cased ``plainTextPath``) or the same
    text, else a new text source; the recording becomes that source's ``media``.

    ``ctx`` is the reader's context (``qualcode.refi.read._Sources``: the report, the archive,
    reading text, placing selections). Returns ``{recording GUID (lower): source GUID}`` for the
    references to the recording (Cases here; the reader applies it to Sets); raises RefiError
    for a transcript whose text a ``.qdpx`` lacks or cannot be read."""
    report = ctx.report
    kind = _local(el.tag)
    guid = ctx.guid(el.get("guid"), seed=f"{kind}:{el.get('name')}")
    name = (el.get("name") or "").strip() or guid
    transcripts = _children(el, "Transcript")
    spans = len(_children(el, kind.replace("Source", "Selection"))) + len(_children(el, "Coding"))
    if spans:
        report.skipped.append(f"{kind} {name!r}: {_plural(spans, 'time-span selection or coding')} of the "
                              "recording itself (only codings of its transcript's text are imported)")
    if not transcripts:
        report.skipped.append(f"{kind} {name!r} (it has no transcript; only recordings of transcripts "
                              "are kept)")
        return {}
    data, ext = _recording_file(el, kind, name, ctx)
    aliases: dict[str, str] = {}
    for number, transcript in enumerate(transcripts):
        source, sync = _transcript_source(el, transcript, number, kind, name, project, ctx, text_paths)
        if source is None:
            continue
        aliases.setdefault(guid.lower(), source.guid)
        if data is None:
            continue
        if source.media is not None:
            report.skipped.append(f"{kind} {name!r}: {source.name!r} has a recording already; this one "
                                  "was left out")
            continue
        source.media = MediaSource(
            guid=guid, name=name, video=kind == "VideoSource", ext=ext,
            transcript_guid=ctx.guid(transcript.get("guid"), seed=f"{guid}:transcript:{number}"),
            sync=sync, data=data,
            creating_user=ctx.guid(el.get("creatingUser")) if el.get("creatingUser") else None)
    if aliases:
        ctx.collect_noterefs(el, aliases[guid.lower()])
        for case in project.cases:
            case.source_guids = [aliases.get(g.lower(), g) for g in case.source_guids]
    return aliases


def _recording_file(el, kind: str, name: str, ctx) -> tuple[bytes | None, str]:
    """The recording's bytes and extension from the archive, or (None, "") reported as left out."""
    path = el.get("path") or ""
    scheme, _, rest = path.partition("://")
    inside = rest if rest else path  # no scheme: looked for in the archive, as text files are
    archive, info = ctx.archive, None
    if archive is not None and inside and (not rest or scheme.lower() == "internal"):
        info = archive.find(inside)
    if info is None:
        where = "not in the archive" if archive is not None else "not in a bare .qde (give the .qdpx)"
        ctx.report.skipped.append(f"{kind} {name!r}: its file {path!r} is {where}; the recording "
                                  "and its sync points' turn times were not kept")
        return None, ""
    return archive.read(info), PurePosixPath(info.filename).suffix.lower()


def _transcript_source(el, transcript, number: int, kind: str, name: str, project: RefiProject, ctx,
                       text_paths: dict[str, Source]) -> tuple[Source | None, list]:
    """The text source ``transcript`` is (found or made) and its timed sync points in canonical
    code points; (None, []) when it is left out (reported)."""
    report = ctx.report
    title = (transcript.get("name") or "").strip() or name
    label = f"the transcript {title!r} of {kind} {name!r}"
    path = (transcript.get("plainTextPath") or "").lower()
    source = text_paths.get(path) if path else None
    raw, why = ctx.text(transcript, label)
    if raw is None and source is None:
        if ctx.archive is None and not _children(transcript, "PlainTextContent"):
            report.skipped.append(f"{label}: its text is not in a bare .qde file; give the .qdpx "
                                  "archive to import it")
            return None, []
        why = why.removeprefix(f"{label}: ") or "it has no text"
        raise RefiError(ctx.filename, f"{label} cannot be read ({why})",
                        "Export the project again with the transcript's text file inside the archive "
                        f"(sources/), or without {kind} {name!r}; nothing was imported")
    cmap = CanonicalMap(raw if raw is not None else source.text)
    if source is None:
        source = next((s for s in project.sources if s.text == cmap.text), None)
    if source is None:
        if not cmap.text.strip():
            report.skipped.append(f"{label}: empty text")
            return None, []
        guid = ctx.guid(transcript.get("guid"), seed=f"{el.get('guid')}:transcript:{number}")
        if any(s.guid.lower() == guid.lower() for s in project.sources):
            guid = ctx.guid(None, seed=f"{guid}:transcript of {el.get('guid')}")
        description = next((d.text or "" for d in _children(transcript, "Description")), "")
        source = Source(guid, title, cmap.text, description=description,
                        creating_user=ctx.guid(transcript.get("creatingUser"))
                        if transcript.get("creatingUser") else None)
        project.sources.append(source)
    ctx.collect_noterefs(transcript, source.guid)
    return source, _selections_and_sync(transcript, source, cmap, label, ctx)


def _selections_and_sync(transcript, source: Source, cmap: CanonicalMap, label: str, ctx) -> list:
    """Place the transcript's selections on ``source``; return its timed sync points as
    ``(canonical position, milliseconds)``, sorted."""
    points: dict[str, tuple[int | None, int | None]] = {}  # by GUID (lower): (position, ms)
    for k, point in enumerate(_children(transcript, "SyncPoint")):
        key = ctx.guid(point.get("guid")).lower() if point.get("guid") else f"#{k}"
        points[key] = (_number(point.get("position")), _number(point.get("timeStamp")))
    pairs, unplaced = [], 0
    for sel in _children(transcript, "TranscriptSelection"):
        ends = [points.get(ctx.guid(sel.get(a)).lower(), (None, None))[0] if sel.get(a) else None
                for a in ("fromSyncPoint", "toSyncPoint")]
        if None in ends:
            unplaced += 1
            continue
        pairs.append((sel, RawSelection(ends[0], ends[1], sel.get("name"))))
    if unplaced:
        ctx.report.warnings.append(f"{label}: {_plural(unplaced, 'transcript selection')} without a from and "
                                   "to sync point that has a position; left out")
    positions = [p for p, _ms in points.values() if p is not None]
    unit, crlf = ctx.place(source, cmap, pairs, positions)
    sync, off = [], 0
    for position, ms in points.values():
        if position is None or ms is None:
            continue
        at = cmap.convert(position, unit, crlf)
        if at is None or at > len(cmap.text) or ms < 0:
            off += 1
            continue
        sync.append((at, ms))
    if off:
        ctx.report.warnings.append(f"{label}: {_plural(off, 'sync point')} outside the text or before "
                                   "the recording's start; left out")
    return sorted(sync)
