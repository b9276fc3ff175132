"""Coding edits from the workspace: add, remove, recode, resize, memo, click-to-code, in vivo.

Each function is one transaction, writes the change log with the acting coder, and (unless
``record=False``) records itself in that actor's undo history (``qualcode.coding.undo``). Offsets follow
the offset rule: code points into the document's canonical text, end exclusive; a coding's
quote is always ``text[start:end]``. Documents are given by id or name, codes by id or path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.team.access import check_coding_owner, visibility
from qualcode.project.codes import PALETTE, code_index, code_path, find_code
from qualcode.project.codings import CodingError, add_coding_in, check_offsets, twin
from qualcode.store.db import Database, read_only, retrying
from qualcode.project.documents import find_document
from qualcode.store.models import Code, Coder, Coding, Document, Sentence, Turn, new_guid
from qualcode.coding.undo import Edit, EditConflict, coding_snapshot, memo_moves

#: Longest name an in-vivo code gets (the selected words are cut at a word boundary).
IN_VIVO_MAX = 60


class CodingNotFound(LookupError):
    """No coding with that id (in this project): it was removed; reload the document."""


class StaleCoding(EditConflict):
    """The coding changed since the page showed it (its version moved on); reload and retry."""


@dataclass
class CodingView:
    """A coding as the workspace shows it."""

    id: int
    document: str
    code_id: int
    code_path: str
    colour: str | None
    coder: str
    start: int
    end: int
    quote: str
    memo: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    document_id: int
    coder_id: int
    key_quote: bool = False  # starred as a representative quote (``qualcode.coding.key_quotes``)


@dataclass
class RecodeResult:
    """What :func:`recode` did; ``collapsed`` when the coding merged into an identical one."""

    coding: CodingView
    collapsed: bool
    message: str


# -- lookups --------------------------------------------------------------------------------------


def _look_up(s: Session, pid: int, *, document=None, code=None) -> tuple[Document | None, Code | None]:
    """The document and/or code a workspace call names (by id, name/path or row), each looked
    up once (``documents.find_document``, ``codes.find_code``); an unknown one is a CodingError."""
    try:
        return (find_document(s, pid, document) if document is not None else None,
                find_code(s, pid, code) if code is not None else None)
    except LookupError as exc:
        raise CodingError(str(exc.args[0])) from exc


def _coding_row(session: Session, project_id: int, coding_id: int, *,
                expected_version: int | None = None, actor: str | None = None) -> Coding:
    """The coding, checked against the version the caller saw and, when ``actor`` is given,
    that the actor may change it (their own coding, or they are an owner)."""
    coding = session.get(Coding, coding_id) if isinstance(coding_id, int) else None
    if coding is None or session.get(Document, coding.document_id).project_id != project_id:
        raise CodingNotFound(f"no coding with id {coding_id}; it may have been removed — "
                             "reload the document")
    if actor is not None:
        check_coding_owner(session, project_id, actor, session.get(Coder, coding.coder_id).name)
    if expected_version is not None and coding.version != expected_version:
        raise StaleCoding(f"coding {coding_id} was changed since you loaded it (version "
                          f"{expected_version}, now {coding.version}); reload and retry")
    return coding


def _view(session: Session, pid: int, coding: Coding) -> CodingView:
    # Document, code and coder are usually in the session already (no query): the code tree is
    # read once per transaction (codes.code_index), the rest was loaded by the call.
    code = session.get(Code, coding.code_id)
    return CodingView(
        id=coding.id, document=session.get(Document, coding.document_id).name,
        code_id=coding.code_id, code_path=code_path(session, pid, coding.code_id),
        colour=code.colour, coder=session.get(Coder, coding.coder_id).name, start=coding.start,
        end=coding.end, quote=coding.quote, memo=coding.memo, created_at=coding.created_at,
        updated_at=coding.updated_at, version=coding.version, document_id=coding.document_id,
        coder_id=coding.coder_id, key_quote=bool(coding.key_quote),
    )


def _short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- reading --------------------------------------------------------------------------------------


@read_only
def get_coding(db: Database, coding_id: int, *, viewer: str | None = None) -> CodingView:
    """One coding by id; :class:`CodingNotFound` when it is gone or ``viewer`` may not see it."""
    with db.session() as s:
        pid = db.project_id(s)
        coding = _coding_row(s, pid, coding_id)
        if not visibility(s, pid, viewer).sees(coding.document_id, coding.coder_id):
            raise CodingNotFound(f"no coding with id {coding_id} that you may see")
        return _view(s, pid, coding)


@read_only
def codings_for_document(db: Database, document: int | str, *, viewer: str | None) -> list[CodingView]:
    """The codings on ``document`` that ``viewer`` may see, by start then end.

    Blind coding is decided by ``access.visibility``, the rule every read path follows.
    """
    with db.session() as s:
        pid = db.project_id(s)
        seen = visibility(s, pid, viewer)
        doc = find_document(s, pid, document)
        if not (seen.everything or doc.id in seen.done or seen.own is not None):
            return []
        codes = code_index(s, pid)
        # Plain columns, not ORM objects: a long transcript carries thousands of codings and
        # this runs on every rerun of the workspace.
        q = (select(Coding.id, Coding.code_id, Coder.name, Coding.start, Coding.end, Coding.quote,
                    Coding.memo, Coding.created_at, Coding.updated_at, Coding.version,
                    Coding.coder_id, Coding.key_quote)
             .join(Coder, Coder.id == Coding.coder_id)
             .where(Coding.document_id == doc.id)
             .order_by(Coding.start, Coding.end, Coding.code_id, Coding.coder_id, Coding.id))
        if not (seen.everything or doc.id in seen.done):
            q = q.where(Coding.coder_id == seen.own)
        return [
            CodingView(id=i, document=doc.name, code_id=code_id, code_path=codes.paths[code_id],
                       colour=codes.by_id[code_id].colour, coder=coder, start=start, end=end,
                       quote=quote, memo=memo, created_at=created, updated_at=updated,
                       version=version, document_id=doc.id, coder_id=coder_id,
                       key_quote=bool(starred))
            for i, code_id, coder, start, end, quote, memo, created, updated, version, coder_id,
            starred in s.execute(q)
        ]


@read_only
def own_coding_over(db: Database, document: int | str, code_path_or_id: int | str, coder: str | None,
                    start: int, end: int) -> CodingView | None:
    """``coder``'s own coding of that code on ``document`` overlapping ``start``-``end`` (the
    widest, then the oldest), or None: how the workspace says "already coded" without reading
    every coding of a long transcript. Only the coder's own codings are ever returned, and the
    coder must be a reader of the project (the one visibility rule)."""
    with db.session() as s:
        pid = db.project_id(s)
        visibility(s, pid, coder)  # refuses a reader who may not read (nobody, with accounts)
        doc = find_document(s, pid, document)
        code = find_code(s, pid, code_path_or_id)
        who = s.scalar(select(Coder.id).where(Coder.project_id == pid, Coder.name == coder))
        if who is None:
            return None
        found = s.scalar(
            select(Coding).where(Coding.document_id == doc.id, Coding.code_id == code.id,
                                 Coding.coder_id == who, Coding.start < end, Coding.end > start)
            .order_by((Coding.end - Coding.start).desc(), Coding.id).limit(1))
        return _view(s, pid, found) if found is not None else None


# -- adding ---------------------------------------------------------------------------------------


def _add(s: Session, pid: int, doc: Document, code: Code, coder: str, start: int, end: int, *,
         memo: str | None, record: bool, kind: str = "add", edit: Edit | None = None,
         description: str | None = None) -> CodingView:
    """Code ``doc[start:end]`` with ``code`` (rows already looked up) and record the action."""
    check_offsets(doc.text, start, end)
    edit = edit or Edit(s, pid, actor=coder.strip() or coder, kind=kind)
    coding, created = add_coding_in(s, pid, doc, code, coder, start=start, end=end, memo=memo)
    if created:  # add_coding_in wrote it and its change-log entry; remember it for undo
        edit.note({"op": "create_coding", "row": coding_snapshot(s, coding)})
    path = code_path(s, pid, code.id)
    edit.finish(description or f"add {path} to “{_short(coding.quote)}”", record=record)
    return _view(s, pid, coding)


@retrying
def add(db: Database, document: int | str, code_path_or_id: int | str, coder: str, start: int,
        end: int, *, memo: str | None = None, record: bool = True) -> CodingView:
    """Code ``text[start:end]`` of ``document`` with a code, as ``coder``.

    Adding a passage the coder already coded with that code changes nothing and returns the
    existing coding (and records nothing to undo).
    """
    with db.session() as s:
        pid = db.project_id(s)
        doc, code = _look_up(s, pid, document=document, code=code_path_or_id)
        return _add(s, pid, doc, code, coder, start, end, memo=memo, record=record)


def _unit_containing(s: Session, model, doc: Document, offset: int, what: str):
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset < len(doc.text):
        raise CodingError(f"offset {offset!r} is outside the document (0-{len(doc.text) - 1})")
    unit = s.scalar(select(model).where(model.document_id == doc.id, model.start <= offset,
                                        model.end > offset).order_by(model.start).limit(1))
    if unit is None:
        raise CodingError(f"offset {offset} lies between {what}s (on a speaker label or blank "
                          f"line); click inside the words of a {what}")
    return unit


def _code_unit(db: Database, model, what: str, document, offset, code, coder, *, memo,
               record) -> CodingView:
    with db.session() as s:
        pid = db.project_id(s)
        doc = find_document(s, pid, document)
        unit = _unit_containing(s, model, doc, offset, what)
        _, code_row = _look_up(s, pid, code=code)
        return _add(s, pid, doc, code_row, coder, unit.start, unit.end, memo=memo, record=record)


@retrying
def code_sentence(db: Database, document: int | str, offset: int, code: int | str, coder: str, *,
                  memo: str | None = None, record: bool = True) -> CodingView:
    """Click-to-code: code the whole stored sentence that contains ``offset``."""
    return _code_unit(db, Sentence, "sentence", document, offset, code, coder, memo=memo,
                      record=record)


@retrying
def code_turn(db: Database, document: int | str, offset: int, code: int | str, coder: str, *,
              memo: str | None = None, record: bool = True) -> CodingView:
    """Click-to-code: code the whole speaker turn (its spoken text) that contains ``offset``."""
    return _code_unit(db, Turn, "turn", document, offset, code, coder, memo=memo, record=record)


def in_vivo_name(selected: str) -> str:
    """The code name the selected words give: whitespace collapsed, ``/`` dropped, ≤ 60 chars.

    A long selection is cut at the last word boundary before the limit and ends with "…".
    """
    name = " ".join(selected.replace("/", " ").split()).strip(" \t\"'“”‘’.,;:!?")
    if len(name) > IN_VIVO_MAX:
        cut = name[: IN_VIVO_MAX - 1]
        if " " in cut[IN_VIVO_MAX // 2:]:
            cut = cut[: cut.rindex(" ")]
        name = cut.rstrip(" ,;:") + "…"
    return name


def _free_name(s: Session, pid: int, parent_id: int | None, name: str) -> str:
    """``name``, or ``name (2)``, ``name (3)``… — the first not taken among the siblings."""
    q = select(func.lower(Code.name)).where(Code.project_id == pid)
    q = q.where(Code.parent_id.is_(None) if parent_id is None else Code.parent_id == parent_id)
    taken = set(s.scalars(q))
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = name[: IN_VIVO_MAX - len(suffix)].rstrip() + suffix
    return candidate


@retrying
def in_vivo(db: Database, document: int | str, start: int, end: int, coder: str, *,
            parent_path: int | str | None = None, record: bool = True) -> CodingView:
    """Create a code named by the selected words and code the selection with it (one action).

    The name is the selection trimmed (see :func:`in_vivo_name`), made unique among its
    siblings with " (2)", " (3)"…; the new code goes under ``parent_path`` (or the root).
    """
    with db.session() as s:
        pid = db.project_id(s)
        doc, parent = _look_up(s, pid, document=document, code=parent_path)
        check_offsets(doc.text, start, end)
        base = in_vivo_name(doc.text[start:end])
        if not base:
            raise CodingError("the selection holds no words to name a code by; select some words")
        parent_id = parent.id if parent else None
        name = _free_name(s, pid, parent_id, base)
        siblings = s.scalar(select(func.count()).select_from(Code).where(
            Code.project_id == pid,
            Code.parent_id.is_(None) if parent_id is None else Code.parent_id == parent_id))
        n_codes = s.scalar(select(func.count()).select_from(Code).where(Code.project_id == pid))
        actor = coder.strip() or coder
        edit = Edit(s, pid, actor=actor, kind="in vivo")
        row = {"guid": new_guid(), "name": name, "parent": parent.guid if parent else None,
               "colour": PALETTE[n_codes % len(PALETTE)], "definition": "", "use_when": "",
               "do_not_use_when": "", "example": "", "ordinal": siblings}
        code = edit.apply({"op": "create_code", "row": row})
        path = code_path(s, pid, code.id)
        text = doc.text[start:end]
        return _add(s, pid, doc, code, coder, start, end, memo=None, record=record, edit=edit,
                    description=f"in-vivo code {path} on “{_short(text)}”")


# -- changing -------------------------------------------------------------------------------------


@retrying
def remove(db: Database, coding_id: int, *, actor: str, expected_version: int | None = None,
           record: bool = True) -> CodingView:
    """Delete a coding; returns it as it was (undo brings it back with its guid, memo and times).

    Free memos about the coding are kept, detached (undo re-attaches them).
    """
    with db.session() as s:
        pid = db.project_id(s)
        coding = _coding_row(s, pid, coding_id, expected_version=expected_version, actor=actor)
        gone = _view(s, pid, coding)
        edit = Edit(s, pid, actor=actor, kind="remove")
        for op in memo_moves(s, coding_ids=[coding.id]):
            edit.apply(op)
        edit.apply({"op": "delete_coding", "row": coding_snapshot(s, coding)})
        edit.finish(f"remove {gone.code_path} from “{_short(gone.quote)}”", record=record)
        return gone


def _join_memos(a: str | None, b: str | None) -> str | None:
    parts = [m for m in (a, b) if m]
    if len(parts) == 2 and parts[0] == parts[1]:
        return parts[0]
    return "\n\n".join(parts) or None


def collapse(s: Session, edit: Edit, coding: Coding, same: Coding) -> bool:
    """Fold ``coding`` into ``same`` (the same coder's identical passage with the target code):
    its memos move over, it is deleted, and the memos are joined (the duplicate's memo is the
    coder's work too); the passage stays a key quote if either coding was starred. Returns
    whether ``same``'s memo changed. Used by recode and merge."""
    memo = _join_memos(same.memo, coding.memo)
    starred = bool(same.key_quote or coding.key_quote)
    for op in memo_moves(s, coding_ids=[coding.id], coding_guid=same.guid):
        edit.apply(op)
    edit.apply({"op": "delete_coding", "row": coding_snapshot(s, coding)})
    before, after = {}, {}
    if memo != same.memo:
        before["memo"], after["memo"] = same.memo, memo
    if starred != bool(same.key_quote):
        before["key_quote"], after["key_quote"] = bool(same.key_quote), starred
    if after:
        edit.apply({"op": "update_coding", "guid": same.guid, "before": before, "after": after})
    return "memo" in after


@retrying
def recode(db: Database, coding_id: int, new_code: int | str, *, actor: str,
           expected_version: int | None = None, record: bool = True) -> RecodeResult:
    """Give a coding another code.

    When the coder already has the new code on exactly this passage, the two collapse into the
    existing coding (memos joined) and the result says so (``collapsed=True``).
    """
    with db.session() as s:
        pid = db.project_id(s)
        coding = _coding_row(s, pid, coding_id, expected_version=expected_version, actor=actor)
        _, target = _look_up(s, pid, code=new_code)
        paths = code_index(s, pid).paths
        old_path, new_path = paths[coding.code_id], paths[target.id]
        description = f"recode “{_short(coding.quote)}” from {old_path} to {new_path}"
        if target.id == coding.code_id:
            return RecodeResult(_view(s, pid, coding), False,
                                f"the coding already has the code {new_path}; nothing changed")
        edit = Edit(s, pid, actor=actor, kind="recode")
        same = twin(s, coding, target.id)
        if same is None:
            edit.apply({"op": "update_coding", "guid": coding.guid,
                        "before": {"code": session_guid(s, coding.code_id)},
                        "after": {"code": target.guid}})
            edit.finish(description, record=record)
            return RecodeResult(_view(s, pid, coding), False, f"Recoded to {new_path}.")
        joined = collapse(s, edit, coding, same)
        edit.finish(description + " (collapsed into the identical coding)", record=record)
        return RecodeResult(
            _view(s, pid, same), True,
            f"The same passage was already coded {new_path} by this coder; the two codings are "
            f"now one (id {same.id})" + ("; their memos were joined." if joined else "."),
        )


def session_guid(s: Session, code_id: int) -> str:
    """The guid of code ``code_id`` (operations name codes by guid)."""
    return s.get(Code, code_id).guid


@retrying
def resize(db: Database, coding_id: int, start: int, end: int, *, actor: str,
           expected_version: int | None = None, record: bool = True) -> CodingView:
    """Extend or shrink a coding to ``start``-``end``; its quote is recomputed."""
    with db.session() as s:
        pid = db.project_id(s)
        coding = _coding_row(s, pid, coding_id, expected_version=expected_version, actor=actor)
        text = s.get(Document, coding.document_id).text
        check_offsets(text, start, end)
        paths = code_index(s, pid).paths
        if (start, end) == (coding.start, coding.end):
            return _view(s, pid, coding)
        twin = s.scalar(select(Coding.id).where(
            Coding.document_id == coding.document_id, Coding.code_id == coding.code_id,
            Coding.coder_id == coding.coder_id, Coding.start == start, Coding.end == end))
        if twin is not None:
            raise CodingError(f"this coder already has {paths[coding.code_id]} on exactly "
                              f"{start}-{end} (coding {twin}); remove this coding instead")
        edit = Edit(s, pid, actor=actor, kind="resize")
        old = {"start": coding.start, "end": coding.end, "quote": coding.quote}
        new = {"start": start, "end": end, "quote": text[start:end]}
        edit.apply({"op": "update_coding", "guid": coding.guid, "before": old, "after": new})
        edit.finish(f"resize {paths[coding.code_id]} from {old['start']}-{old['end']} to "
                    f"{start}-{end}", record=record)
        return _view(s, pid, coding)


@retrying
def set_memo(db: Database, coding_id: int, memo: str | None, *, actor: str,
             expected_version: int | None = None, record: bool = True) -> CodingView:
    """Attach, change or (with None or blank text) clear a coding's memo."""
    if memo is not None and not isinstance(memo, str):
        raise CodingError("a memo is text (or None to clear it)")
    memo = memo if memo and memo.strip() else None
    with db.session() as s:
        pid = db.project_id(s)
        coding = _coding_row(s, pid, coding_id, expected_version=expected_version, actor=actor)
        paths = code_index(s, pid).paths
        if memo == coding.memo:
            return _view(s, pid, coding)
        edit = Edit(s, pid, actor=actor, kind="memo")
        edit.apply({"op": "update_coding", "guid": coding.guid, "before": {"memo": coding.memo},
                    "after": {"memo": memo}})
        verb = "clear the memo of" if memo is None else "set the memo of"
        edit.finish(f"{verb} {paths[coding.code_id]} on “{_short(coding.quote)}”", record=record)
        return _view(s, pid, coding)

