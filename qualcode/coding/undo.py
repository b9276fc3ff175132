"""Undo and redo of workspace actions, per actor, kept in the database so they survive a reload.

Every workspace action (``qualcode.coding.editing``, ``qualcode.coding.codebook_edit``) is carried out as a
list of *primitive operations* on codes and codings, applied through :class:`Edit`:

- ``create_coding`` / ``delete_coding`` with the coding's full snapshot (guid, document id,
  code guid, coder id, offsets, quote, memo, created_at, key_quote);
- ``update_coding`` with ``before`` and ``after`` values of the fields it changes;
- ``create_code`` / ``delete_code`` / ``update_code`` likewise for codes (parent by guid);
- ``update_memo``: re-attach a free memo (``memo`` table) to another code or coding, so memos
  survive the merge or deletion of what they were about;
- ``create_grouping`` / ``delete_grouping`` / ``update_grouping``: a derived participant
  attribute, carried out by :mod:`qualcode.project.attribute_groups` (which records them).

Codes and codings are named by GUID, not id, because undoing a delete re-creates the row with
a new id but the same guid. The inverse of an action is its operations reversed, each one
inverted (create ↔ delete, before ↔ after), so it never has to be written by hand.

Every operation checks that the row still looks the way the operation expects (an update's
``before``, a delete's snapshot, a create's free slot). If somebody changed it meanwhile the
whole undo or redo is refused with :class:`EditConflict` and nothing — data or history — moves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from qualcode.team.access import reader
from qualcode.team.changelog import log
from qualcode.project import attribute_groups
from qualcode.project.codes import code_path
from qualcode.store.db import Database, read_only, retrying
from qualcode.store.models import Code, Coder, Coding, Document, EditHistory, Memo

#: The code fields an ``update_code`` operation may carry (``parent`` is the parent's guid).
CODE_FIELDS = ("name", "parent", "colour", "definition", "use_when", "do_not_use_when",
               "example", "ordinal", "level")
#: The coding fields an ``update_coding`` operation may carry (``code`` is the code's guid;
#: ``key_quote`` is the star of ``qualcode.coding.key_quotes``).
CODING_FIELDS = ("code", "start", "end", "quote", "memo", "key_quote")


class EditConflict(ValueError):
    """An operation no longer fits the data (someone changed it since); nothing was changed."""


# -- snapshots ----------------------------------------------------------------------------------


def coding_snapshot(session: Session, coding: Coding) -> dict:
    """Everything needed to re-create ``coding`` exactly (JSON-ready)."""
    return {
        "guid": coding.guid,
        "document_id": coding.document_id,
        "code": session.get(Code, coding.code_id).guid,
        "coder_id": coding.coder_id,
        "start": coding.start,
        "end": coding.end,
        "quote": coding.quote,
        "memo": coding.memo,
        "created_at": coding.created_at.isoformat() if coding.created_at else None,
        "key_quote": bool(coding.key_quote),
    }


def code_snapshot(session: Session, code: Code) -> dict:
    """Everything needed to re-create ``code`` exactly (JSON-ready)."""
    parent = session.get(Code, code.parent_id) if code.parent_id is not None else None
    return {
        "guid": code.guid,
        "name": code.name,
        "parent": parent.guid if parent else None,
        "colour": code.colour,
        "definition": code.definition,
        "use_when": code.use_when,
        "do_not_use_when": code.do_not_use_when,
        "example": code.example,
        "ordinal": code.ordinal,
        "level": code.level,
    }


def invert(op: dict) -> dict:
    """The operation that undoes ``op``."""
    kind = op["op"]
    if kind.startswith("create_"):
        return {"op": "delete_" + kind[7:], "row": op["row"]}
    if kind.startswith("delete_"):
        return {"op": "create_" + kind[7:], "row": op["row"]}
    return {"op": kind, "guid": op["guid"], "before": op["after"], "after": op["before"]}


def inverse_of(ops: list[dict]) -> list[dict]:
    """The operations that undo ``ops``, in the order they must run."""
    return [invert(op) for op in reversed(ops)]


# -- applying one operation ---------------------------------------------------------------------


def _code_by_guid(session: Session, project_id: int, guid: str | None, what: str) -> Code | None:
    if guid is None:
        return None
    code = session.scalar(select(Code).where(Code.project_id == project_id, Code.guid == guid))
    if code is None:
        raise EditConflict(f"{what} no longer exists (it was deleted since)")
    return code


def _sibling_taken(session: Session, project_id: int, parent_id: int | None, name: str,
                   exclude_id: int | None = None) -> Code | None:
    """The code (other than ``exclude_id``) under ``parent_id`` named ``name`` case-insensitively."""
    q = select(Code).where(Code.project_id == project_id,
                           func.lower(Code.name) == name.lower())
    q = q.where(Code.parent_id.is_(None) if parent_id is None else Code.parent_id == parent_id)
    if exclude_id is not None:
        q = q.where(Code.id != exclude_id)
    return session.scalar(q)


def _is_descendant(session: Session, code_id: int, maybe_ancestor_id: int) -> bool:
    """True when ``maybe_ancestor_id`` is ``code_id`` or one of its ancestors."""
    seen: set[int] = set()
    current: int | None = code_id
    while current is not None and current not in seen:
        if current == maybe_ancestor_id:
            return True
        seen.add(current)
        current = session.scalar(select(Code.parent_id).where(Code.id == current))
    return False


def _coding_by_guid(session: Session, guid: str) -> Coding:
    coding = session.scalar(select(Coding).where(Coding.guid == guid))
    if coding is None:
        raise EditConflict("the coding no longer exists (someone removed it since)")
    return coding


def _coding_values(session: Session, coding: Coding, fields) -> dict:
    out = {}
    for f in fields:
        out[f] = session.get(Code, coding.code_id).guid if f == "code" else getattr(coding, f)
    return out


def _code_values(session: Session, code: Code, fields) -> dict:
    out = {}
    for f in fields:
        if f == "parent":
            parent = session.get(Code, code.parent_id) if code.parent_id is not None else None
            out[f] = parent.guid if parent else None
        else:
            out[f] = getattr(code, f)
    return out


def _span_taken(session: Session, document_id: int, code_id: int, coder_id: int, start: int,
                end: int, exclude_id: int | None = None) -> Coding | None:
    q = select(Coding).where(Coding.document_id == document_id, Coding.code_id == code_id,
                             Coding.coder_id == coder_id, Coding.start == start, Coding.end == end)
    if exclude_id is not None:
        q = q.where(Coding.id != exclude_id)
    return session.scalar(q)


def _guid(session: Session, model, row_id: int | None) -> str | None:
    return session.scalar(select(model.guid).where(model.id == row_id)) if row_id else None


def memo_moves(session: Session, *, code_ids=(), coding_ids=(), code_guid: str | None = None,
               coding_guid: str | None = None) -> list[dict]:
    """``update_memo`` operations re-attaching the memos about ``code_ids``/``coding_ids``.

    They go to ``code_guid``/``coding_guid``, or are detached (kept as free memos) when None.
    """
    ops = []
    if code_ids:
        for memo in session.scalars(select(Memo).where(Memo.code_id.in_(list(code_ids)))):
            ops.append({"op": "update_memo", "guid": memo.guid,
                        "before": {"code": _guid(session, Code, memo.code_id)},
                        "after": {"code": code_guid}})
    if coding_ids:
        for memo in session.scalars(select(Memo).where(Memo.coding_id.in_(list(coding_ids)))):
            ops.append({"op": "update_memo", "guid": memo.guid,
                        "before": {"coding": _guid(session, Coding, memo.coding_id)},
                        "after": {"coding": coding_guid}})
    return ops


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Edit:
    """One action under way inside one transaction: applies operations and remembers them.

    >>> edit = Edit(session, project_id, actor="ana", kind="recode")
    >>> edit.apply({"op": "update_coding", "guid": g, "before": {...}, "after": {...}})
    >>> edit.finish("recode 'so expensive' from A to B", record=True)
    """

    def __init__(self, session: Session, project_id: int, *, actor: str, kind: str):
        self.session = session
        self.project_id = project_id
        self.actor = actor
        self.kind = kind
        self.ops: list[dict] = []

    # Code paths only for readable change-log entries. The code tree is read once per
    # transaction and read again after a code changes (``codes.code_index``).
    def path(self, code_id: int) -> str | None:
        return code_path(self.session, self.project_id, code_id)

    def _log(self, action: str, entity: str, entity_id: int | None, **detail) -> None:
        log(self.session, project_id=self.project_id, actor=self.actor, action=action,
            entity=entity, entity_id=entity_id, edit=self.kind, **detail)

    def note(self, op: dict) -> None:
        """Remember an operation someone else already carried out (and logged)."""
        self.ops.append(op)

    def apply(self, op: dict) -> Code | Coding | None:
        """Carry out ``op`` (checking it still fits), log it, and remember it."""
        result = getattr(self, "_" + op["op"])(op)
        self.session.flush()
        self.ops.append(op)
        return result

    # -- codings --

    def _create_coding(self, op: dict) -> Coding:
        row = op["row"]
        s = self.session
        doc = s.get(Document, row["document_id"])
        if doc is None or doc.project_id != self.project_id:
            raise EditConflict("the document of the coding no longer exists")
        code = _code_by_guid(s, self.project_id, row["code"], "the coding's code")
        if s.get(Coder, row["coder_id"]) is None:
            raise EditConflict("the coder of the coding no longer exists")
        if s.scalar(select(Coding.id).where(Coding.guid == row["guid"])) is not None:
            raise EditConflict("the coding exists already (someone restored it since)")
        if doc.text[row["start"]:row["end"]] != row["quote"]:
            raise EditConflict(f"the document {doc.name!r} no longer has the quoted text there")
        if _span_taken(s, doc.id, code.id, row["coder_id"], row["start"], row["end"]):
            raise EditConflict(
                f"the same passage ({row['start']}-{row['end']}) is coded with "
                f"{self.path(code.id)!r} by that coder already (someone added it since)"
            )
        coding = Coding(guid=row["guid"], document_id=doc.id, code_id=code.id,
                        coder_id=row["coder_id"], start=row["start"], end=row["end"],
                        quote=row["quote"], memo=row["memo"],
                        # history written before key quotes existed has no star to restore
                        key_quote=bool(row.get("key_quote", False)))
        if row.get("created_at"):
            coding.created_at = _parse_time(row["created_at"])
        s.add(coding)
        s.flush()
        self._log("create", "coding", coding.id, document=doc.name, code=self.path(code.id),
                  start=coding.start, end=coding.end)
        return coding

    def _delete_coding(self, op: dict) -> None:
        row = op["row"]
        coding = _coding_by_guid(self.session, row["guid"])
        fields = ("code", "start", "end", "quote", "memo") + (("key_quote",) if "key_quote" in row else ())
        now = _coding_values(self.session, coding, fields)
        if now != {f: row[f] for f in fields} or coding.coder_id != row["coder_id"]:
            raise EditConflict("the coding was changed since (by another action); reload and retry")
        detail = {"code": self.path(coding.code_id), "start": coding.start, "end": coding.end,
                  "document_id": coding.document_id}
        cid = coding.id
        self.session.delete(coding)
        self._log("delete", "coding", cid, **detail)

    def _update_coding(self, op: dict) -> Coding:
        s = self.session
        coding = _coding_by_guid(s, op["guid"])
        if _coding_values(s, coding, op["before"]) != op["before"]:
            raise EditConflict("the coding was changed since (by another action); reload and retry")
        after = dict(op["after"])
        if "code" in after:
            after["code_id"] = _code_by_guid(s, self.project_id, after.pop("code"), "the code").id
        # Check the unique passage before touching the row, so autoflush never trips the constraint.
        new = {f: after.get(f, getattr(coding, f)) for f in ("code_id", "start", "end")}
        if _span_taken(s, coding.document_id, new["code_id"], coding.coder_id, new["start"],
                       new["end"], exclude_id=coding.id) is not None:
            raise EditConflict(
                f"that coder already has {self.path(new['code_id'])!r} on exactly "
                f"{new['start']}-{new['end']}"
            )
        for f, v in after.items():
            setattr(coding, f, v)
        s.flush()
        self._log("update", "coding", coding.id, code=self.path(coding.code_id),
                  before=op["before"], after=op["after"])
        return coding

    # -- codes --

    def _create_code(self, op: dict) -> Code:
        row = op["row"]
        s = self.session
        if s.scalar(select(Code.id).where(Code.project_id == self.project_id,
                                          Code.guid == row["guid"])) is not None:
            raise EditConflict(f"the code {row['name']!r} exists already")
        parent = _code_by_guid(s, self.project_id, row["parent"], "the parent code")
        parent_id = parent.id if parent else None
        if _sibling_taken(s, self.project_id, parent_id, row["name"]):
            raise EditConflict(f"another code named {row['name']!r} now stands in that place")
        code = Code(project_id=self.project_id, parent_id=parent_id, guid=row["guid"],
                    **{f: row[f] for f in CODE_FIELDS if f not in ("parent", "level")},
                    level=row.get("level"))  # history from before levels has none
        s.add(code)
        s.flush()
        self._log("create", "code", code.id, path=self.path(code.id))
        return code

    def _delete_code(self, op: dict) -> None:
        row = op["row"]
        s = self.session
        code = _code_by_guid(s, self.project_id, row["guid"], f"the code {row['name']!r}")
        fields = CODE_FIELDS if "level" in row else tuple(f for f in CODE_FIELDS if f != "level")
        if _code_values(s, code, fields) != {f: row[f] for f in fields}:
            raise EditConflict(f"the code {row['name']!r} was changed since; reload and retry")
        if s.scalar(select(func.count()).select_from(Coding).where(Coding.code_id == code.id)):
            raise EditConflict(f"the code {self.path(code.id)!r} has codings now")
        if s.scalar(select(func.count()).select_from(Code).where(Code.parent_id == code.id)):
            raise EditConflict(f"the code {self.path(code.id)!r} has child codes now")
        path, cid = self.path(code.id), code.id
        s.delete(code)
        s.flush()
        self._log("delete", "code", cid, path=path)

    def _update_code(self, op: dict) -> Code:
        s = self.session
        code = _code_by_guid(s, self.project_id, op["guid"], "the code")
        if _code_values(s, code, op["before"]) != op["before"]:
            raise EditConflict(f"the code {self.path(code.id)!r} was changed since; reload and retry")
        before_path = self.path(code.id)
        after = dict(op["after"])
        if "parent" in after:
            parent = _code_by_guid(s, self.project_id, after.pop("parent"), "the new parent code")
            if parent is not None and _is_descendant(s, parent.id, code.id):
                raise EditConflict(f"{before_path!r} cannot go under itself or its own sub-codes")
            after["parent_id"] = parent.id if parent else None
        parent_id = after.get("parent_id", code.parent_id)
        name = after.get("name", code.name)
        if _sibling_taken(s, self.project_id, parent_id, name, exclude_id=code.id):
            raise EditConflict(f"another code named {name!r} already stands there")
        for f, v in after.items():
            setattr(code, f, v)
        s.flush()
        self._log("update", "code", code.id, path=self.path(code.id), before_path=before_path,
                  before=op["before"], after=op["after"])
        return code

    # -- memos --

    def _update_memo(self, op: dict) -> Memo:
        s = self.session
        memo = s.scalar(select(Memo).where(Memo.project_id == self.project_id,
                                           Memo.guid == op["guid"]))
        if memo is None:
            raise EditConflict("a memo no longer exists (it was deleted since)")
        now = {"code": _guid(s, Code, memo.code_id), "coding": _guid(s, Coding, memo.coding_id)}
        if {f: now[f] for f in op["before"]} != op["before"]:
            raise EditConflict(f"the memo {memo.title!r} was moved since; reload and retry")
        for f, guid in op["after"].items():
            if f == "code":
                code = _code_by_guid(s, self.project_id, guid, "the memo's code")
                memo.code_id = code.id if code else None
            else:
                memo.coding_id = _coding_by_guid(s, guid).id if guid else None
        s.flush()
        self._log("update", "memo", memo.id, before=op["before"], after=op["after"])
        return memo

    # -- attribute groupings (the rows and their checks are attribute_groups') --

    def _grouping(self, op: dict):
        try:
            return attribute_groups.apply_operation(self.session, self.project_id, op,
                                                    actor=self.actor, kind=self.kind)
        except attribute_groups.GroupingConflict as exc:
            raise EditConflict(str(exc)) from exc

    _create_grouping = _delete_grouping = _update_grouping = _grouping

    # -- history --

    def finish(self, description: str, *, record: bool = True) -> None:
        """Write the action to the actor's history (dropping their redo tail)."""
        if not record or not self.ops:
            return
        s = self.session
        s.execute(delete(EditHistory).where(EditHistory.project_id == self.project_id,
                                            EditHistory.actor == self.actor,
                                            EditHistory.undone.is_(True)))
        last = s.scalar(select(func.max(EditHistory.seq)).where(
            EditHistory.project_id == self.project_id, EditHistory.actor == self.actor))
        s.add(EditHistory(project_id=self.project_id, actor=self.actor, seq=(last or 0) + 1,
                          kind=self.kind, description=description,
                          forward=json.dumps(self.ops, ensure_ascii=False),
                          inverse=json.dumps(inverse_of(self.ops), ensure_ascii=False),
                          undone=False))
        s.flush()


# -- undo / redo ----------------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    """One action in an actor's history (newest last)."""

    id: int
    seq: int
    kind: str
    description: str
    undone: bool
    at: datetime


def _next(session: Session, project_id: int, actor: str, *, undone: bool) -> EditHistory | None:
    q = select(EditHistory).where(EditHistory.project_id == project_id,
                                  EditHistory.actor == actor, EditHistory.undone.is_(undone))
    # Undo takes the newest done action; redo the oldest undone one (the last one undone).
    q = q.order_by(EditHistory.seq.desc() if not undone else EditHistory.seq.asc()).limit(1)
    return session.scalar(q)


def _replay(db: Database, actor: str, *, undo: bool) -> str | None:
    verb = "undo" if undo else "redo"
    with db.session() as s:
        pid = db.project_id(s)
        entry = _next(s, pid, actor, undone=undo is False)
        if entry is None:
            return None
        edit = Edit(s, pid, actor=actor, kind=f"{verb} {entry.kind}")
        ops = json.loads(entry.inverse if undo else entry.forward)
        try:
            for op in ops:
                edit.apply(op)
        except EditConflict as exc:
            raise EditConflict(
                f"cannot {verb} “{entry.description}”: {exc}. The history is unchanged; "
                f"make the change by hand instead"
            ) from exc
        entry.undone = undo
        log(s, project_id=pid, actor=actor, action=verb, entity="edit", entity_id=entry.id,
            kind=entry.kind, description=entry.description)
        return f"{'Undid' if undo else 'Redid'}: {entry.description}"


@retrying
def undo(db: Database, actor: str) -> str | None:
    """Undo ``actor``'s latest action not yet undone; returns "Undid: …" or None if none is left.

    Raises :class:`EditConflict` (and changes nothing) when the data has moved on since.
    """
    return _replay(db, actor, undo=True)


@retrying
def redo(db: Database, actor: str) -> str | None:
    """Re-apply the action ``actor`` undid last; returns "Redid: …" or None if nothing to redo."""
    return _replay(db, actor, undo=False)


@read_only
def peek(db: Database, actor: str) -> dict:
    """What undo and redo would do next: ``{"undo": description|None, "redo": description|None}``.

    A read like any other: with accounts ``actor`` must be an active member (``access.reader``).
    """
    with db.session() as s:
        pid = db.project_id(s)
        reader(s, pid, actor)
        u, r = _next(s, pid, actor, undone=False), _next(s, pid, actor, undone=True)
        return {"undo": u.description if u else None, "redo": r.description if r else None}


@read_only
def history(db: Database, actor: str) -> list[HistoryEntry]:
    """``actor``'s recorded actions, oldest first (undone ones flagged); with accounts ``actor``
    must be an active member (``access.reader``)."""
    with db.session() as s:
        pid = db.project_id(s)
        reader(s, pid, actor)
        rows = s.scalars(select(EditHistory).where(EditHistory.project_id == pid,
                                                   EditHistory.actor == actor)
                         .order_by(EditHistory.seq))
        return [HistoryEntry(r.id, r.seq, r.kind, r.description, r.undone, r.at) for r in rows]
