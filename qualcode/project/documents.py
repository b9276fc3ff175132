"""Importing documents into a project, linking participants, listing and showing documents.

Parsing (``qualcode.importers``) and sentence segmentation happen before any database work, so
a bad file never opens a transaction; each good file is then written in one transaction of its
own (document, turns, sentences, change-log entry), so a batch keeps the good files when one is
bad, and a crash leaves every document either wholly present or absent.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import PurePath

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qualcode.team.changelog import log
from qualcode.store.db import Database, retrying
from qualcode.importers.base import DEFAULT_MAX_BYTES, ParsedTranscript, TranscriptError
from qualcode.importers.prepare import (  # noqa: F401 - expand_paths, read_files: also from here
    PARALLEL_MIN_FILES,
    PARALLEL_WORKERS,
    expand_paths,
    prepare,
    read_files,
    start_workers,
)
from qualcode.importers.prepare import warm as _warm
from qualcode.store.models import (
    Attribute,
    AttributeValue,
    Coding,
    Document,
    Participant,
    Sentence,
    Turn,
)
from qualcode.project.participants import AttributeTable
from qualcode.project.text_sizes import text_sizes

#: Called as progress(done, total, filename) after each file.
Progress = Callable[[int, int, str], None]


@dataclass
class ImportedDocument:
    """The summary the CLI prints for one imported document."""

    document: str
    turns: int
    speakers: list[str]
    characters: int
    sentences: int
    has_timestamps: bool
    warnings: list[str] = field(default_factory=list)
    #: What the importer recognised (labels, time format, line numbers, headers dropped…), so a
    #: researcher can check it at a glance; ``importers.describe_recognised`` words it.
    recognised: dict = field(default_factory=dict)


@dataclass
class ImportResult:
    """What a batch import did: imported, skipped (already there) and failed files."""

    imported: list[ImportedDocument] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    attributes: dict | None = None
    codings: dict | None = None  # set when a coding sheet came with the batch (the sample)

    def as_dict(self) -> dict:
        out = {
            "imported": [asdict(d) for d in self.imported],
            "skipped": self.skipped,
            "errors": self.errors,
        }
        if self.attributes is not None:
            out["attributes"] = self.attributes
        if self.codings is not None:
            out["codings"] = self.codings
        return out


class ReplaceRefused(ValueError):
    """Replacing a document would lose codings whose passage is gone from the new text."""


def document_name(filename: str) -> str:
    """A document's name: its file name without folder and extension."""
    return PurePath(filename).stem or filename


def content_hash(text: str) -> str:
    """SHA-256 of the canonical text, the identity used to skip re-imports."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _relocate(coding: Coding, text: str) -> int | None:
    """Where ``coding.quote`` stands in ``text``: its old place if unchanged, else the nearest."""
    if text[coding.start:coding.end] == coding.quote:
        return coding.start
    best, pos = None, text.find(coding.quote)
    while pos != -1:
        if best is None or abs(pos - coding.start) < abs(best - coding.start):
            best = pos
        pos = text.find(coding.quote, pos + 1)
    return best


def _insert_rows(conn, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in one executemany.

    On SQLite the tuples go to the driver as they are: SQLAlchemy's Core insert builds and
    checks a parameter dictionary per row, a sixth of an import's writing time. PostgreSQL
    keeps SQLAlchemy's own batching (one multi-row ``INSERT`` per page of rows).
    """
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), [dict(zip(columns, row)) for row in rows])
        return
    quote = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join('?' * len(columns))})", rows)


def _write(session: Session, project_id: int, parsed: ParsedTranscript, sents, *,
           replace: bool, actor: str | None) -> tuple[str, str, str]:
    """Write one parsed document; returns (status, document name, reason)."""
    name = document_name(parsed.filename)
    digest = content_hash(parsed.text)
    # One look-up for both clashes, as plain columns: a new document (the usual case) loads no
    # row object; the one that clashes is loaded below.
    clash = Document.name == name if replace else or_(Document.name == name, Document.content_hash == digest)
    clashes = session.execute(select(Document.id, Document.name, Document.content_hash)
                              .where(Document.project_id == project_id, clash).order_by(Document.id)).all()
    same_name = next((session.get(Document, row.id) for row in clashes if row.name == name), None)
    if not replace:
        same_text = next((row.name for row in clashes if row.content_hash == digest), None)
        if same_text is not None:
            return "skipped", same_text, f"same content as document {same_text!r} (use --replace to re-import)"
        if same_name is not None:
            raise ReplaceRefused(
                f"a different document named {name!r} is already in the project; rename the file "
                "or use --replace to replace it (its codings are kept where their text is unchanged)"
            )
    report = {"warnings": parsed.warnings, "format": parsed.format, "encoding": parsed.encoding,
              "recognised": parsed.recognised}
    if same_name is not None:  # replace=True
        doc = same_name
        moved = 0
        for coding in session.scalars(select(Coding).where(Coding.document_id == doc.id)):
            new_start = _relocate(coding, parsed.text)
            if new_start is None:
                raise ReplaceRefused(
                    f"replacing {name!r} would lose a coding: {coding.quote[:60]!r} "
                    f"({coding.start}-{coding.end}) is not in the new text; import the new "
                    "version under another name instead"
                )
            if new_start != coding.start:
                coding.end = new_start + (coding.end - coding.start)
                coding.start = new_start
                moved += 1
        session.execute(delete(Turn).where(Turn.document_id == doc.id))
        session.execute(delete(Sentence).where(Sentence.document_id == doc.id))
        doc.original_filename = parsed.filename
        doc.format = parsed.format
        doc.content_hash = digest
        doc.text = parsed.text
        doc.encoding = parsed.encoding
        report["codings_moved"] = moved
        doc.import_report = json.dumps(report, ensure_ascii=False)
        session.flush()
        doc_id = doc.id
        action = "replace"
    else:
        # A Core insert (column defaults such as the guid apply as for an ORM row): the unit of
        # work for one new row costs more than the row.
        doc_id = session.execute(insert(Document).values(
            project_id=project_id,
            name=name,
            original_filename=parsed.filename,
            format=parsed.format,
            content_hash=digest,
            text=parsed.text,
            encoding=parsed.encoding,
            import_report=json.dumps(report, ensure_ascii=False),
        ).returning(Document.id)).scalar_one()
        action = "import"
    # Bulk inserts: a two-hour transcript has thousands of sentences, and ORM rows (even ORM
    # bulk inserts) would dominate the import time.
    conn = session.connection()
    if parsed.turns:
        _insert_rows(conn, Turn.__table__,
                     ("document_id", "ordinal", "speaker", "start", "end", "media_start", "media_end"),
                     [(doc_id, i, t.speaker, t.start, t.end, t.media_start, t.media_end)
                      for i, t in enumerate(parsed.turns)])
    if sents:
        _insert_rows(conn, Sentence.__table__, ("document_id", "ordinal", "start", "end"),
                     [(doc_id, i, s, e) for i, (s, e) in enumerate(sents)])
    log(session, project_id=project_id, actor=actor, action=action, entity="document",
        entity_id=doc_id, name=name, file=parsed.filename, characters=len(parsed.text))
    return "imported", name, ""


#: Seconds one file may take to parse on a shared server before it is stopped and refused.
PARSE_SECONDS = float(os.environ.get("QUALCODE_PARSE_SECONDS", "60"))


def _prepared(items: Iterable[tuple[str, bytes | TranscriptError, int]], workers: int,
              time_limit: float | None = None, fn: Callable = prepare, pool=None):
    """Yield prepare()'s results in input order, in worker processes when ``workers`` > 0.

    Parsing and sentence cutting are CPU-bound and independent per file, so on a machine with
    several cores they run in parallel while this process does the database writes (SQLite
    has one writer anyway). ``spawn`` keeps open database connections out of the workers.

    ``time_limit`` (seconds, worker processes only): a file whose result has not come back in
    that time is reported as an error and its worker is killed with the pool, which starts
    again for the files still waiting. Only a process can be stopped from outside: a parser
    stuck in a regular expression or a C library ignores anything gentler.

    ``pool``: ``workers`` processes already started with ``importers.prepare.start_workers``
    (closed here at the end, like a pool of our own).
    """
    import multiprocessing
    from collections import deque
    from itertools import islice

    def start(started=None):
        # spawn re-imports the main script in each worker; from a REPL or stdin there is none.
        new = started or start_workers(workers, every_format=time_limit is not None)
        if new is not None and time_limit is not None:
            # Workers import everything before the first file, so the time limit measures
            # parsing, not a worker's start-up (seconds on a loaded machine).
            new.map(_warm, [True] * workers, chunksize=1)
        return new

    pool = start(pool) if workers > 0 else None
    if pool is None:
        yield from map(fn, items)
        return
    items = iter(items)
    pending: deque = deque()

    def submit(item) -> None:
        pending.append((item, pool.apply_async(fn, (item,))))

    try:
        for item in islice(items, 2 * workers):  # a few ahead keep every worker busy
            submit(item)
        while pending:
            item, result = pending.popleft()
            try:
                out = result.get(timeout=time_limit)
            except multiprocessing.TimeoutError:
                message = (f"{item[0]}: parsing took longer than {time_limit:g} s and was stopped, "
                           "so the file was not imported. Check that it is a transcript; split a "
                           "very long one into parts")
                out = (item[0], None, [], message)
                pool.terminate()
                pool.join()
                pool = start()
                waiting = [queued for queued, _ in pending]
                pending.clear()
                for queued in waiting:
                    submit(queued)
            yield out
            following = next(items, None)
            if following is not None:
                submit(following)
    finally:
        pool.terminate()
        pool.join()


def import_files(
    db: Database,
    files: Iterable[tuple[str, bytes | TranscriptError]],
    *,
    total: int | None = None,
    replace: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    actor: str | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    time_limit: float | None = None,
    pool=None,
) -> ImportResult:
    """Import (filename, bytes) pairs; a bad file is reported and the others still import.

    Each document is written in its own transaction. ``workers`` is the number of parsing
    processes (default: one per core but one, for batches of PARALLEL_MIN_FILES or more, else
    none); ``pool``: that many already started with ``importers.prepare.start_workers`` (the
    CLI starts them before it opens the database), closed here when done.
    With accounts only owners import (checked before any file is parsed). ``time_limit``:
    seconds each file may take to parse (the app on a shared server passes ``PARSE_SECONDS``);
    it needs a worker process, so one is used even for a single file.
    """
    from qualcode.team.access import require
    from qualcode.team.changelog import default_actor

    try:
        with db.session() as session:
            require(session, db.project_id(session), actor or default_actor(), "manage")
        result = ImportResult()
        files = list(files) if total is None else files
        total = len(files) if total is None else total
        if workers is None:
            workers = PARALLEL_WORKERS if total >= PARALLEL_MIN_FILES else 0
        if time_limit is not None:
            workers = max(workers, 1)
        items = ((name, data, max_bytes) for name, data in files)
        prepared = _prepared(items, workers, time_limit, pool=pool)
        for done, (filename, parsed, sents, error) in enumerate(prepared, start=1):
            if error is not None:
                result.errors.append({"file": filename, "error": error})
            else:
                _store(db, result, parsed, sents, replace=replace, actor=actor)
            if progress is not None:
                progress(done, total, filename)
        return result
    finally:
        if pool is not None:  # refused, or failed before the pool was used: stop its workers
            pool.terminate()


@retrying  # one document, one transaction: a busy database re-runs just this one
def _store(db: Database, result: ImportResult, parsed: ParsedTranscript, sents, *,
           replace: bool, actor: str | None) -> None:
    """Write one prepared document in its own transaction and record the outcome."""
    try:
        with db.session() as session:
            pid = db.project_id(session)
            status, name, reason = _write(session, pid, parsed, sents, replace=replace, actor=actor)
    except ReplaceRefused as exc:
        result.errors.append({"file": parsed.filename, "error": str(exc)})
        return
    except IntegrityError as exc:  # e.g. two codings relocated onto the same passage
        result.errors.append({"file": parsed.filename, "error": (
            f"{parsed.filename}: could not be stored without merging codings "
            f"({exc.orig}); nothing was changed. Import it under another name")})
        return
    if status == "skipped":
        result.skipped.append({"file": parsed.filename, "document": name, "reason": reason})
        return
    result.imported.append(
        ImportedDocument(
            document=name,
            turns=len(parsed.turns),
            speakers=parsed.speakers,
            characters=len(parsed.text),
            sentences=len(sents),
            has_timestamps=parsed.has_timestamps,
            warnings=list(parsed.warnings),
            recognised=dict(parsed.recognised),
        )
    )


@retrying
def apply_attributes(db: Database, table: AttributeTable, *, filename: str = "attributes",
                     actor: str | None = None) -> dict:
    """Create or update participants and their typed attributes; link documents named in rows.

    Returns ``{"participants": n, "attributes": [...], "linked_documents": n, "warnings": [...]}``.
    All of it is one transaction.
    """
    warnings: list[str] = []
    linked = 0
    with db.session() as session:
        pid = db.project_id(session)
        attrs: dict[str, Attribute] = {
            a.name: a for a in session.scalars(select(Attribute).where(Attribute.project_id == pid))
        }
        for name in table.attributes:
            attr = attrs.get(name)
            if attr is None:
                attr = attrs[name] = Attribute(project_id=pid, name=name, type=table.types[name])
                session.add(attr)
            elif attr.type != table.types[name]:
                attr.type = "text"  # values of two types: text holds both without loss
        session.flush()
        people: dict[str, Participant] = {
            p.external_id: p for p in session.scalars(select(Participant).where(Participant.project_id == pid))
        }
        for row in table.rows:
            person = people.get(row.participant_id)
            if person is None:
                person = people[row.participant_id] = Participant(project_id=pid, external_id=row.participant_id)
                session.add(person)
                session.flush()
            current = {v.attribute_id: v for v in person.values}
            for name, value in row.values.items():
                attr = attrs[name]
                if attr.id in current:
                    current[attr.id].value = value
                else:
                    person.values.append(AttributeValue(attribute_id=attr.id, value=value))
            if row.document is not None:
                doc = session.scalar(select(Document).where(Document.project_id == pid, Document.name == row.document))
                if doc is None:
                    warnings.append(f"{filename}, line {row.line}: no document named {row.document!r} yet")
                else:
                    doc.participant_id = person.id
                    linked += 1
        log(session, project_id=pid, actor=actor, action="import", entity="attributes",
            file=filename, participants=len(table.rows), linked=linked)
    return {
        "participants": len({r.participant_id for r in table.rows}),
        "attributes": table.attributes,
        "linked_documents": linked,
        "warnings": warnings,
    }


def participant_attributes(session: Session, project_id: int) -> dict[int, dict[str, object]]:
    """participant id → {attribute name: typed value}."""
    rows = session.execute(
        select(AttributeValue.participant_id, Attribute.name, Attribute.type, AttributeValue.value)
        .join(Attribute, Attribute.id == AttributeValue.attribute_id)
        .where(Attribute.project_id == project_id)
    )
    out: dict[int, dict[str, object]] = {}
    for participant_id, name, type_, value in rows:
        out.setdefault(participant_id, {})[name] = typed_value(type_, value)
    return out


def typed_value(type_: str, value: str) -> object:
    """An attribute value in its type: number → int/float, boolean → bool, else the text."""
    if type_ == "number":
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if type_ == "boolean":
        return value.lower() in ("true", "yes")
    return value


def list_documents(db: Database, *, viewer: str | None = None) -> list[dict]:
    """Every document with counts, speakers, participant and attributes, by name.

    ``codings`` counts only the codings ``viewer`` may see (in blind coding, even how much the
    others coded is theirs to know). A fixed number of queries whatever the number of
    documents: counts are aggregated in SQL, texts are counted once (``text_sizes.text_sizes``).
    """
    from qualcode.team.access import visibility

    with db.session() as session:
        pid = db.project_id(session)
        seen = visibility(session, pid, viewer)
        attributes = participant_attributes(session, pid)
        in_project = select(Document.id).where(Document.project_id == pid).scalar_subquery()
        counted = (select(Coding.document_id, func.count()).join(Document)
                   .where(Document.project_id == pid).group_by(Coding.document_id))
        if seen.clause() is not None:
            counted = counted.where(seen.clause())
        coding_counts = dict(session.execute(counted).all())
        sentence_counts = dict(
            session.execute(
                select(Sentence.document_id, func.count()).join(Document).where(Document.project_id == pid)
                .group_by(Sentence.document_id)
            ).all()
        )
        turn_counts = {
            row.document_id: (row.turns, row.timed)
            for row in session.execute(
                select(Turn.document_id, func.count().label("turns"),
                       func.count(Turn.media_start).label("timed"))
                .where(Turn.document_id.in_(in_project)).group_by(Turn.document_id))
        }
        speakers: dict[int, list[str]] = {}
        first_turn = func.min(Turn.ordinal)
        for document_id, speaker, _ in session.execute(  # each speaker once, in order of appearance
                select(Turn.document_id, Turn.speaker, first_turn)
                .where(Turn.document_id.in_(in_project), Turn.speaker.is_not(None))
                .group_by(Turn.document_id, Turn.speaker).order_by(Turn.document_id, first_turn)):
            speakers.setdefault(document_id, []).append(speaker)
        docs = session.execute(
            select(Document.id, Document.name, Document.original_filename, Document.format,
                   Document.content_hash, Document.participant_id, Participant.external_id)
            .outerjoin(Participant, Participant.id == Document.participant_id)
            .where(Document.project_id == pid).order_by(Document.name)).all()
        sizes = text_sizes(session, pid, {doc.content_hash for doc in docs})
        out = []
        for doc in docs:
            turns, timed = turn_counts.get(doc.id, (0, 0))
            characters, words = sizes[doc.content_hash]
            out.append(
                {
                    "name": doc.name,
                    "file": doc.original_filename,
                    "format": doc.format,
                    "turns": turns,
                    "speakers": speakers.get(doc.id, []),
                    "characters": characters,
                    "words": words,
                    "sentences": sentence_counts.get(doc.id, 0),
                    "codings": coding_counts.get(doc.id, 0),
                    "has_timestamps": timed > 0,
                    "participant": doc.external_id,
                    "attributes": attributes.get(doc.participant_id, {}),
                }
            )
        return out


def get_document(session: Session, project_id: int, name: str) -> Document:
    """The document called ``name`` (or whose file name is ``name``); LookupError otherwise."""
    doc = session.scalar(select(Document).where(Document.project_id == project_id, Document.name == name))
    if doc is None:
        doc = session.scalar(
            select(Document).where(Document.project_id == project_id, Document.original_filename == name)
        )
    if doc is None:
        names = session.scalars(select(Document.name).where(Document.project_id == project_id)).all()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
        hint = f" Did you mean: {', '.join(close)}?" if close else " `qualcode documents` lists them."
        raise LookupError(f"no document {name!r}.{hint}")
    return doc


def find_document(session: Session, project_id: int, document: int | str | Document) -> Document:
    """The one document look-up: a document given by id, by name (see :func:`get_document`) or
    as a row.

    A row is checked and returned as it is, so a caller that resolved the document once can pass
    it down without another look-up. LookupError saying what exists otherwise.
    """
    if isinstance(document, Document):
        if document.project_id != project_id:
            raise LookupError(f"no document with id {document.id} in this project; "
                              "reload the document list")
        return document
    if isinstance(document, int) and not isinstance(document, bool):
        doc = session.get(Document, document)
        if doc is None or doc.project_id != project_id:
            raise LookupError(f"no document with id {document}; reload the document list")
        return doc
    if isinstance(document, str):
        return get_document(session, project_id, document)
    raise TypeError(f"a document is given by id or name, not {type(document).__name__}")


def show_document(db: Database, name: str, *, viewer: str | None = None) -> dict:
    """A document with its turns (speaker, media start, offsets, text) and report.

    ``viewer``: the acting user. With accounts they must be an active member of the project
    (``access.reader``), checked before the document is looked up, so a refused caller learns
    not even which names are close.
    """
    from qualcode.team.access import reader

    with db.session() as session:
        pid = db.project_id(session)
        reader(session, pid, viewer)
        doc = get_document(session, pid, name)
        attributes = participant_attributes(session, pid).get(doc.participant_id, {})
        return document_dict(doc, doc.participant.external_id if doc.participant else None,
                             attributes, doc.turns)


def document_dict(doc: Document, participant: str | None, attributes: dict, turns) -> dict:
    """What :func:`show_document` returns for ``doc``, given its participant's external id,
    attributes and turns (rows with speaker, media_start, media_end, start and end, in order)."""
    return {
        "name": doc.name,
        "file": doc.original_filename,
        "format": doc.format,
        "encoding": doc.encoding,
        "characters": len(doc.text),
        "participant": participant,
        "attributes": attributes,
        "import_report": json.loads(doc.import_report),
        "text": doc.text,
        "turns": [
            {
                "speaker": t.speaker,
                "media_start_seconds": t.media_start,
                "media_end_seconds": t.media_end,
                "start": t.start,
                "end": t.end,
                "text": doc.text[t.start:t.end],
            }
            for t in turns
        ],
    }
