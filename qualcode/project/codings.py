"""Recording and listing codings (a code applied to a passage by a coder).

Offsets follow the offset rule: code points into the document's canonical text, end exclusive.
A coding stores its quote (``text[start:end]``) so it can be read and checked on its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from qualcode.team.access import check_coding_owner, visibility
from qualcode.team.changelog import log
from qualcode.project.codes import code_path, find_code, ids_under, paths_by_id, resolve
from qualcode.store.db import Database, read_only, retrying
from qualcode.project.documents import find_document, get_document
from qualcode.store.models import Code, Coder, Coding, Document

#: The coder adjudication writes into: the consensus layer, above the coders it was made from
#: (agreement, analysis, suggestions and the Home page all mean this name).
CONSENSUS = "consensus"


class CodingError(ValueError):
    """A coding that cannot be recorded; the message says why and what to do."""


#: The provenances a coding may carry besides None (recorded directly): ``"suggested"`` is a
#: coder's acceptance of a learned suggestion (``qualcode.suggest``, migration 0007).
PROVENANCES = ("suggested",)


@dataclass
class CodingRecord:
    """A coding as scripts see it (the JSON of ``qualcode codings``)."""

    document: str
    code: str
    coder: str
    start: int
    end: int
    quote: str
    memo: str | None
    provenance: str | None = None
    id: int | None = None  # the coding's id, for the commands that take one (quotes star, …)

    def as_dict(self) -> dict:
        """The JSON of one coding, its ``id`` first; ``provenance`` is there only for a coding
        accepted from a suggestion (``"suggested"``), so codings made by hand read as they
        always did."""
        out = asdict(self)
        if out["provenance"] is None:
            del out["provenance"]
        return {"id": out.pop("id"), **out}


def coder_row(session: Session, project_id: int, name: str, *, create: bool = True) -> Coder:
    """The coder called ``name``, created on first use."""
    name = name.strip()
    if not name:
        raise CodingError("a coder needs a name (give --coder NAME)")
    query = select(Coder).where(Coder.project_id == project_id, Coder.name == name)
    found = session.scalar(query)
    if found is None:
        if not create:
            raise CodingError(f"no coder {name!r}")
        coder = Coder(project_id=project_id, name=name)
        try:
            # A savepoint: when another process created the same coder a moment ago, only this
            # insert is undone and the coder is read again (the caller's work is kept).
            with session.begin_nested():
                session.add(coder)
                session.flush()
        except IntegrityError:
            found = session.scalar(query)
            if found is None:  # not visible in this transaction's snapshot: @retrying re-runs
                raise
            return found
        log(session, project_id=project_id, actor=name, action="create", entity="coder",
            entity_id=coder.id, name=name)
        found = coder
    return found


def coder_id(session: Session, project_id: int, name: str, *, create: bool = True) -> int:
    """The id of the coder called ``name``, created on first use."""
    return coder_row(session, project_id, name, create=create).id


def find_match(text: str, match: str, nth: int = 1) -> tuple[int, int]:
    """Offsets of the ``nth`` (1-based) occurrence of ``match`` in ``text``."""
    if not match:
        raise CodingError("--match needs some text")
    if nth < 1:
        raise CodingError("--nth counts from 1")
    pos, count = -1, 0
    while count < nth:
        pos = text.find(match, pos + 1)
        if pos == -1:
            total = text.count(match)
            if total == 0:
                raise CodingError(
                    f"the text {match!r} does not occur in the document (matching is exact, "
                    "case and punctuation included; `qualcode show DOCUMENT` prints the text)"
                )
            raise CodingError(f"{match!r} occurs {total} time(s); --nth {nth} is too many")
        count += 1
    return pos, pos + len(match)


def check_offsets(text: str, start, end) -> None:
    """Refuse offsets that are not whole numbers or do not cut a non-empty passage of ``text``."""
    for name, v in (("start", start), ("end", end)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise CodingError(f"{name} must be a whole number of code points, not {v!r}")
    if not (0 <= start < end <= len(text)):
        raise CodingError(
            f"offsets {start}-{end} are outside the document (0-{len(text)}) or empty; "
            "offsets count Unicode code points and the end is exclusive"
        )


@retrying
def add_coding(
    db: Database,
    document: int | str,
    code: int | str,
    coder: str,
    *,
    start: int | None = None,
    end: int | None = None,
    match: str | None = None,
    nth: int = 1,
    memo: str | None = None,
    actor: str | None = None,
) -> tuple[CodingRecord, bool]:
    """Record a coding by offsets or by matching text; returns (record, created).

    One transaction around :func:`add_coding_in`, which says what the arguments mean.
    """
    with db.session() as session:
        pid = db.project_id(session)
        coding, created = add_coding_in(session, pid, document, code, coder, start=start, end=end,
                                        match=match, nth=nth, memo=memo, actor=actor)
        return CodingRecord(session.get(Document, coding.document_id).name,
                            code_path(session, pid, coding.code_id), coder, coding.start,
                            coding.end, coding.quote, coding.memo, coding.provenance,
                            coding.id), created


def twin(session: Session, coding: Coding, code_id: int) -> Coding | None:
    """The same coder's coding of the same passage with code ``code_id`` (recode and merge
    collapse onto it rather than create a duplicate), or None."""
    return session.scalar(select(Coding).where(
        Coding.document_id == coding.document_id, Coding.code_id == code_id,
        Coding.coder_id == coding.coder_id, Coding.start == coding.start, Coding.end == coding.end))


def _link(coding: Coding, doc: Document, code: Code, coder: Coder) -> None:
    """Hang the rows the call already holds on the coding (no history, no SQL), so whoever shows
    it next (``coding.coder.name`` …) finds them instead of querying again."""
    for attribute, row in (("document", doc), ("code", code), ("coder", coder)):
        set_committed_value(coding, attribute, row)


def add_coding_in(
    session: Session,
    project_id: int,
    document: int | str | Document,
    code: int | str | Code,
    coder: str,
    *,
    start: int | None = None,
    end: int | None = None,
    match: str | None = None,
    nth: int = 1,
    memo: str | None = None,
    actor: str | None = None,
    provenance: str | None = None,
) -> tuple[Coding, bool]:
    """Record a coding inside the caller's transaction; returns (the coding row, created).

    The one implementation behind :func:`add_coding`, coding sheets and the workspace
    (``qualcode.coding.editing``). ``document`` and ``code`` may be given by id, by name/path
    or as rows already looked up (then nothing is looked up again). The passage is given by
    offsets or by matching text (``match``, its ``nth`` occurrence). Coding the same passage
    with the same code by the same coder again changes nothing and returns the existing coding
    with ``created=False`` (so scripts can be re-run safely). ``actor`` (default: the coder) is
    who records it: with accounts only an owner may record codings for someone else.
    ``provenance``: None (recorded directly) or ``"suggested"`` (a coder accepted a learned
    suggestion); it is stored on the coding and written to the change-log entry.
    """
    pid = project_id
    if provenance is not None and provenance not in PROVENANCES:
        raise CodingError(f"unknown provenance {provenance!r}; a coding is recorded directly "
                          f"(None) or {', '.join(map(repr, PROVENANCES))}")
    check_coding_owner(session, pid, actor or coder.strip(), coder.strip())
    try:
        doc = find_document(session, pid, document)
        code_row = find_code(session, pid, code)
    except LookupError as exc:
        raise CodingError(str(exc.args[0])) from exc
    text = doc.text
    if match is not None:
        if start is not None or end is not None:
            raise CodingError("give either --start/--end or --match, not both")
        start, end = find_match(text, match, nth)
    if start is None or end is None:
        raise CodingError("give --start and --end (code-point offsets), or --match TEXT")
    check_offsets(text, start, end)
    who = coder_row(session, pid, coder)
    existing = session.scalar(
        select(Coding).where(
            Coding.document_id == doc.id, Coding.code_id == code_row.id,
            Coding.coder_id == who.id, Coding.start == start, Coding.end == end,
        )
    )
    if existing is not None:
        _link(existing, doc, code_row, who)
        return existing, False
    coding = Coding(document_id=doc.id, code_id=code_row.id, coder_id=who.id,
                    start=start, end=end, quote=text[start:end], memo=memo, provenance=provenance)
    session.add(coding)
    session.flush()
    # Its times are read back as stored when first used (SQLite keeps no time zone), so the new
    # coding shows and snapshots exactly as it will when read again later.
    session.expire(coding, ["created_at", "updated_at"])
    _link(coding, doc, code_row, who)
    extra = {"provenance": provenance} if provenance else {}
    log(session, project_id=pid, actor=actor or coder, action="create", entity="coding",
        entity_id=coding.id, document=doc.name, code=code_path(session, pid, code_row.id),
        start=start, end=end, **extra)
    return coding, True


@read_only
def list_codings(
    db: Database, *, document: str | None = None, code: str | None = None, coder: str | None = None,
    viewer: str | None = None,
) -> list[CodingRecord]:
    """Codings ordered by document, position and code; optionally filtered.

    ``code`` includes the codes below it (asking for ``Barriers`` lists every barrier).
    ``viewer``: the acting user; only codings they may see are listed (blind coding).
    """
    with db.session() as session:
        pid = db.project_id(session)
        seen = visibility(session, pid, viewer)
        paths = paths_by_id(session, pid)
        q = (
            select(Coding, Document.name, Coder.name)
            .join(Document, Document.id == Coding.document_id)
            .join(Coder, Coder.id == Coding.coder_id)
            .where(Document.project_id == pid)
            .order_by(Document.name, Coding.start, Coding.end, Coding.id)
        )
        if document is not None:
            q = q.where(Document.id == get_document(session, pid, document).id)
        if coder is not None:
            q = q.where(Coder.name == coder)
        if seen.clause() is not None:
            q = q.where(seen.clause())
        if code is not None:  # in the query: a code is usually a small part of the project
            q = q.where(Coding.code_id.in_(ids_under(paths, paths[resolve(session, pid, code).id])))
        return [CodingRecord(doc_name, paths[coding.code_id], coder_name, coding.start, coding.end,
                             coding.quote, coding.memo, coding.provenance, coding.id)
                for coding, doc_name, coder_name in session.execute(q)]
