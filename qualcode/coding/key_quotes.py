"""Key quotes: a coder stars a coding as a representative quote of its code (issue 12, §4).

A star is the coding's ``key_quote`` column (migration 0008). Starring is a coding edit like a
memo: the same permission (a coder stars only their own codings, an owner anyone's — and only
codings they may see under blind coding), the same optimistic locking (``expected_version``),
one ``update_coding`` operation in the change log and the actor's undo history
(``qualcode.coding.undo``). Starring a starred coding (or unstarring an unstarred one) changes
and records nothing.

The star travels with the coding: a resize or recode keeps it, a recode or merge that collapses
two identical codings keeps it when either was starred (``editing.collapse``), a removal and its
undo bring it back (it is in the coding snapshot), and project backups copy it with the row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select

from qualcode.coding.editing import CodingNotFound, CodingView, _coding_row, _short, _view
from qualcode.coding.undo import Edit
from qualcode.project.codes import code_index, find_code, ids_under
from qualcode.project.codings import CodingError
from qualcode.project.documents import find_document
from qualcode.store.db import Database, read_only, retrying
from qualcode.store.models import Coder, Coding, Document, Participant
from qualcode.team.access import visibility


@dataclass
class KeyQuoteResult:
    """What :func:`set_key_quote` did: the coding as it is now, and whether anything changed."""

    coding: CodingView
    changed: bool
    message: str


@dataclass
class KeyQuote:
    """One starred coding as lists and reports show it (the JSON of ``qualcode quotes list``)."""

    coding_id: int
    document: str
    participant: str | None  # the document's participant id (e.g. ``P07``), None when unlinked
    code: str
    coder: str
    start: int
    end: int
    quote: str
    memo: str | None
    version: int
    starred: bool = True  # False only in ``key_quotes(only_starred=False)``

    def as_dict(self) -> dict:
        """JSON-ready."""
        return asdict(self)


@retrying
def set_key_quote(db: Database, coding_id: int, starred: bool, *, actor: str,
                  expected_version: int | None = None, record: bool = True) -> KeyQuoteResult:
    """Star (``starred=True``) or unstar a coding as a key quote, as ``actor``.

    Permission as for a coding's memo (``editing.set_memo``): a coder changes only their own
    codings, an owner anyone's; a coding ``actor`` may not see (blind coding) is not found.
    ``expected_version``: the coding's version as the page showed it (``StaleCoding`` when it
    moved on). Idempotent: asking for the state the coding is already in changes nothing, logs
    nothing and records nothing to undo (``changed=False``).
    """
    if not isinstance(starred, bool):
        raise CodingError("starred is True (a key quote) or False (not one)")
    with db.session() as s:
        pid = db.project_id(s)
        coding = _coding_row(s, pid, coding_id)
        if not visibility(s, pid, actor).sees(coding.document_id, coding.coder_id):
            raise CodingNotFound(f"no coding with id {coding_id} that you may see")
        coding = _coding_row(s, pid, coding_id, expected_version=expected_version, actor=actor)
        path = code_index(s, pid).paths[coding.code_id]
        where = f"{path} on “{_short(coding.quote)}”"
        if bool(coding.key_quote) == starred:
            state = "already a key quote" if starred else "not a key quote"
            return KeyQuoteResult(_view(s, pid, coding), False, f"{where} is {state}; nothing changed.")
        edit = Edit(s, pid, actor=actor, kind="key quote")
        edit.apply({"op": "update_coding", "guid": coding.guid,
                    "before": {"key_quote": not starred}, "after": {"key_quote": starred}})
        edit.finish(f"{'star' if starred else 'unstar'} {where}", record=record)
        said = "Marked as a key quote" if starred else "No longer a key quote"
        return KeyQuoteResult(_view(s, pid, coding), True, f"{said}: {where}.")


@read_only
def key_quotes(db: Database, *, viewer: str | None, code: int | str | None = None,
               document: int | str | None = None, only_starred: bool = True,
               include_below: bool = True) -> list[KeyQuote]:
    """The starred codings ``viewer`` may see (``access.visibility``: blind coding), by
    document, position and code.

    ``code`` (a path or id) includes the codes below it (``include_below=False``: that code
    only); ``document`` (a name or id) limits the
    list to one document; ``only_starred=False`` lists every coding ``viewer`` may see, starred
    or not (``starred`` says which), so a script can find the id of the coding to star. With
    accounts a viewer is required.
    """
    with db.session() as s:
        pid = db.project_id(s)
        seen = visibility(s, pid, viewer)
        paths = code_index(s, pid).paths
        q = (select(Coding.id, Document.name, Participant.external_id, Coding.code_id, Coder.name,
                    Coding.start, Coding.end, Coding.quote, Coding.memo, Coding.version,
                    Coding.key_quote)
             .join(Document, Document.id == Coding.document_id)
             .join(Coder, Coder.id == Coding.coder_id)
             .outerjoin(Participant, Participant.id == Document.participant_id)
             .where(Document.project_id == pid)
             .order_by(Document.name, Coding.start, Coding.end, Coding.code_id, Coding.id))
        if only_starred:
            q = q.where(Coding.key_quote.is_(True))
        if seen.clause() is not None:
            q = q.where(seen.clause())
        if document is not None:
            try:
                q = q.where(Coding.document_id == find_document(s, pid, document).id)
            except LookupError as exc:
                raise CodingError(str(exc.args[0])) from exc
        if code is not None:
            try:
                root = paths[find_code(s, pid, code).id]
            except LookupError as exc:
                raise CodingError(str(exc.args[0])) from exc
            # In the query, not after it: a code is usually a small part of a large project.
            q = q.where(Coding.code_id.in_(ids_under(paths, root, below=include_below)))
        return [KeyQuote(cid, doc, participant, paths[code_id], coder, start, end, quote, memo, version,
                         bool(star))
                for cid, doc, participant, code_id, coder, start, end, quote, memo, version, star
                in s.execute(q)]
