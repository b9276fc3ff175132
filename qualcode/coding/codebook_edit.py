"""Editing the code tree from the app: create, rename, move, update, merge, delete, reorder.

Each function is one transaction, writes the change log with the actor and (unless
``record=False``) records itself in the actor's undo history (``qualcode.coding.undo``). Codes are
given by id or path. Nothing a coder did is lost silently: a merge keeps every coding (exact
duplicates collapse, their memos joined), and a delete must be confirmed with the number of
codings it removes — the number :func:`code_usage` reports and the page must show.

Blind coding: every number these functions report (usage, a delete's confirmation, a merge's
counts, the undo description) counts only the codings the acting user may see
(``qualcode.team.access.visibility``); codings hidden from them are moved or deleted all the
same, and undo brings them back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.project.codes import PALETTE, code_path, find_code, paths_by_id
from qualcode.project.codings import twin
from qualcode.guards import is_colour
from qualcode.store.db import Database, read_only, retrying
from qualcode.coding.editing import collapse
from qualcode.store.models import Code, Coding, new_guid
from qualcode.team.access import Visibility, visibility
from qualcode.coding.undo import Edit, EditConflict, code_snapshot, coding_snapshot, memo_moves

_TEXT_FIELDS = ("definition", "use_when", "do_not_use_when", "example")
_UNSET = object()


class CodebookEditError(ValueError):
    """A code-tree edit that cannot be made; the message says what to do instead."""


@dataclass
class CodeView:
    """A code as the codebook panel shows it."""

    id: int
    path: str
    name: str
    parent_id: int | None
    colour: str | None
    definition: str
    use_when: str
    do_not_use_when: str
    example: str
    ordinal: int
    guid: str
    version: int = 1
    level: str | None = None  # the code's cross-branch level (``Code.level``), None for none


class StaleCode(EditConflict):
    """The code changed since the page showed it (someone else edited it); reload and retry."""


def _view(s: Session, pid: int, code: Code) -> CodeView:
    s.flush()  # the version column moves on flush
    return CodeView(code.id, code_path(s, pid, code.id), code.name, code.parent_id, code.colour,
                    code.definition, code.use_when, code.do_not_use_when, code.example,
                    code.ordinal, code.guid, code.version, code.level)


def _check_version(s: Session, pid: int, row: Code, expected_version: int | None) -> None:
    """Refuse a change made from a stale view: never overwrite someone else's edit silently."""
    if expected_version is not None and row.version != expected_version:
        raise StaleCode(f"code {code_path(s, pid, row.id)!r} was changed by someone else since "
                        f"you loaded it (version {expected_version}, now {row.version}): reload "
                        "to see their change, then make yours again")


def _code(s: Session, pid: int, code: int | str, what: str = "code") -> Code:
    try:
        return find_code(s, pid, code)
    except LookupError as exc:
        raise CodebookEditError(f"{what}: {exc.args[0]}") from exc


def _name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise CodebookEditError("a code needs a name")
    name = " ".join(name.split())
    if "/" in name:
        raise CodebookEditError(f"{name!r}: a code name cannot contain '/' (it separates the "
                                "levels of a path); use another character")
    if len(name) > 200:
        raise CodebookEditError(f"a code name has at most 200 characters ({len(name)} given)")
    return name


def _colour(colour: str | None) -> str | None:
    if colour is not None and not is_colour(colour):
        raise CodebookEditError(f"colour {colour!r} is not of the form #rrggbb (e.g. #4e79a7)")
    return colour.lower() if colour else None


def _level(level: str | None) -> str | None:
    """A code's level as stored: one line of at most 200 characters; None or "" for none."""
    if level is None:
        return None
    if not isinstance(level, str):
        raise CodebookEditError("a level is text (None or '' to clear it)")
    level = level.strip()
    if "\n" in level or "\r" in level:
        raise CodebookEditError("a level is one line, e.g. Institutional")
    if len(level) > 200:
        raise CodebookEditError(f"a level has at most 200 characters ({len(level)} given)")
    return level or None


def _siblings(s: Session, pid: int, parent_id: int | None) -> list[Code]:
    q = select(Code).where(Code.project_id == pid)
    q = q.where(Code.parent_id.is_(None) if parent_id is None else Code.parent_id == parent_id)
    return list(s.scalars(q.order_by(Code.ordinal, Code.id)))


def _same_name(s: Session, pid: int, parent_id: int | None, name: str,
               exclude: int | None = None) -> Code | None:
    for c in _siblings(s, pid, parent_id):
        if c.name.lower() == name.lower() and c.id != exclude:
            return c
    return None


def _subtree(s: Session, pid: int, code: Code) -> list[Code]:
    """``code`` and every code below it, parents before children."""
    children: dict[int | None, list[Code]] = {}
    for c in s.scalars(select(Code).where(Code.project_id == pid).order_by(Code.ordinal, Code.id)):
        children.setdefault(c.parent_id, []).append(c)
    out, stack = [], [code]
    while stack:
        c = stack.pop(0)
        out.append(c)
        stack[:0] = children.get(c.id, [])
    return out


def _guid(s: Session, code_id: int | None) -> str | None:
    return s.get(Code, code_id).guid if code_id is not None else None


# -- creating and changing ------------------------------------------------------------------------


@retrying
def create_code(db: Database, name: str, *, parent: int | str | None = None,
                colour: str | None = None, definition: str = "", use_when: str = "",
                do_not_use_when: str = "", example: str = "", level: str | None = None,
                actor: str, record: bool = True) -> CodeView:
    """Add a code (last among its siblings; a palette colour when none is given).

    ``level``: the code's cross-branch level (e.g. ``Institutional``), None for none.
    """
    name, colour, level = _name(name), _colour(colour), _level(level)
    with db.session() as s:
        pid = db.project_id(s)
        parent_row = _code(s, pid, parent, "parent") if parent is not None else None
        parent_id = parent_row.id if parent_row else None
        if (clash := _same_name(s, pid, parent_id, name)) is not None:
            where = code_path(s, pid, clash.id)
            raise CodebookEditError(f"a code {where!r} exists already; choose another name")
        if colour is None:
            n = s.scalar(select(func.count()).select_from(Code).where(Code.project_id == pid))
            colour = PALETTE[n % len(PALETTE)]
        siblings = _siblings(s, pid, parent_id)
        row = {"guid": new_guid(), "name": name, "parent": parent_row.guid if parent_row else None,
               "colour": colour, "definition": definition, "use_when": use_when,
               "do_not_use_when": do_not_use_when, "example": example,
               "ordinal": max((c.ordinal for c in siblings), default=-1) + 1, "level": level}
        edit = Edit(s, pid, actor=actor, kind="create code")
        code = edit.apply({"op": "create_code", "row": row})
        view = _view(s, pid, code)
        edit.finish(f"create code {view.path}", record=record)
        return view


def _update(db: Database, code: int | str, changes: dict, *, actor: str, kind: str,
            describe, record: bool, expected_version: int | None = None) -> CodeView:
    with db.session() as s:
        pid = db.project_id(s)
        row = _code(s, pid, code)
        _check_version(s, pid, row, expected_version)
        before_path = code_path(s, pid, row.id)
        before = {f: getattr(row, f) for f in changes}
        changes = {f: v for f, v in changes.items() if before[f] != v}
        if not changes:
            return _view(s, pid, row)
        edit = Edit(s, pid, actor=actor, kind=kind)
        edit.apply({"op": "update_code", "guid": row.guid,
                    "before": {f: before[f] for f in changes}, "after": changes})
        view = _view(s, pid, row)
        edit.finish(describe(before_path, view), record=record)
        return view


@retrying
def rename_code(db: Database, code: int | str, new_name: str, *, actor: str,
                record: bool = True, expected_version: int | None = None) -> CodeView:
    """Rename a code (its codings and children follow; sibling names stay unique).

    ``expected_version``: the code's version as the caller last saw it (``CodeView.version``);
    when someone changed the code since, :class:`StaleCode` is raised and nothing changes.
    """
    new_name = _name(new_name)
    with db.session() as s:
        pid = db.project_id(s)
        row = _code(s, pid, code)
        if _same_name(s, pid, row.parent_id, new_name, exclude=row.id) is not None:
            raise CodebookEditError(f"a sibling code is already called {new_name!r}; choose "
                                    "another name, or merge the two codes")
    return _update(db, code, {"name": new_name}, actor=actor, kind="rename code", record=record,
                   expected_version=expected_version, describe=lambda old, v: f"rename code {old} to {v.name}")


@retrying
def update_code(db: Database, code: int | str, *, colour=_UNSET, definition=_UNSET,
                use_when=_UNSET, do_not_use_when=_UNSET, example=_UNSET, level=_UNSET,
                actor: str, record: bool = True, expected_version: int | None = None) -> CodeView:
    """Change a code's colour, level and definition fields; arguments left out stay as they are.

    ``level``: the cross-branch level (None or "" clears it). ``expected_version`` as for
    :func:`rename_code`.
    """
    changes: dict = {}
    if colour is not _UNSET:
        changes["colour"] = _colour(colour)
    if level is not _UNSET:
        changes["level"] = _level(level)
    for field, value in zip(_TEXT_FIELDS, (definition, use_when, do_not_use_when, example)):
        if value is not _UNSET:
            if not isinstance(value, str):
                raise CodebookEditError(f"{field} is text ('' to clear it)")
            changes[field] = value
    return _update(db, code, changes, actor=actor, kind="update code", record=record,
                   expected_version=expected_version, describe=lambda old, v: f"update {', '.join(changes)} of code {old}")


@retrying
def move_code(db: Database, code: int | str, new_parent: int | str | None, *, actor: str,
              record: bool = True, expected_version: int | None = None) -> CodeView:
    """Re-parent a code (None = to the top level), placing it last among its new siblings.

    Refused when the new parent is the code itself or one of its descendants (a cycle), or a
    sibling there has the same name (rename or merge first).
    """
    with db.session() as s:
        pid = db.project_id(s)
        row = _code(s, pid, code)
        _check_version(s, pid, row, expected_version)
        parent = _code(s, pid, new_parent, "new parent") if new_parent is not None else None
        paths = paths_by_id(s, pid)
        if parent is not None and parent.id in {c.id for c in _subtree(s, pid, row)}:
            raise CodebookEditError(f"cannot move {paths[row.id]!r} under {paths[parent.id]!r}: "
                                    "a code cannot sit under itself or its own sub-codes")
        parent_id = parent.id if parent else None
        if parent_id == row.parent_id:
            return _view(s, pid, row)
        if (clash := _same_name(s, pid, parent_id, row.name, exclude=row.id)) is not None:
            raise CodebookEditError(f"{paths[clash.id]!r} exists already; rename one of them, "
                                    "or merge them")
        ordinal = max((c.ordinal for c in _siblings(s, pid, parent_id)), default=-1) + 1
        edit = Edit(s, pid, actor=actor, kind="move code")
        edit.apply({"op": "update_code", "guid": row.guid,
                    "before": {"parent": _guid(s, row.parent_id), "ordinal": row.ordinal},
                    "after": {"parent": parent.guid if parent else None, "ordinal": ordinal}})
        view = _view(s, pid, row)
        edit.finish(f"move code {paths[row.id]} to {view.path}", record=record)
        return view


@retrying
def reorder(db: Database, code: int | str, position: int, *, actor: str,
            record: bool = True) -> CodeView:
    """Put a code at ``position`` (0-based) among its siblings; the others close up."""
    with db.session() as s:
        pid = db.project_id(s)
        row = _code(s, pid, code)
        siblings = [c for c in _siblings(s, pid, row.parent_id) if c.id != row.id]
        if not isinstance(position, int) or not 0 <= position <= len(siblings):
            raise CodebookEditError(f"position must be 0-{len(siblings)} (there are "
                                    f"{len(siblings) + 1} codes at that level)")
        siblings.insert(position, row)
        edit = Edit(s, pid, actor=actor, kind="reorder code")
        for ordinal, c in enumerate(siblings):
            if c.ordinal != ordinal:
                edit.apply({"op": "update_code", "guid": c.guid, "before": {"ordinal": c.ordinal},
                            "after": {"ordinal": ordinal}})
        view = _view(s, pid, row)
        edit.finish(f"move code {view.path} to place {position + 1}", record=record)
        return view


# -- usage, merge and delete ----------------------------------------------------------------------


@read_only
def code_usage(db: Database, code: int | str, *, include_children: bool = True,
               viewer: str | None = None) -> dict:
    """What deleting (or merging away) a code touches, as ``viewer`` may see it.

    ``{"code": path, "codings": n, "documents": n, "coders": n, "children": n}``; ``children``
    counts every code below it, and with ``include_children`` the other counts include theirs.
    The counts are of the codings ``viewer`` may see (blind coding: how much the others coded
    is theirs to know); with accounts a viewer is required.
    """
    with db.session() as s:
        pid = db.project_id(s)
        seen = visibility(s, pid, viewer)
        row = _code(s, pid, code)
        tree = _subtree(s, pid, row)
        ids = [c.id for c in tree] if include_children else [row.id]
        visible = select(Coding).where(Coding.code_id.in_(ids))
        if seen.clause() is not None:
            visible = visible.where(seen.clause())
        base = visible.subquery()
        n, docs, coders = s.execute(select(func.count(), func.count(base.c.document_id.distinct()),
                                           func.count(base.c.coder_id.distinct()))).one()
        return {"code": code_path(s, pid, row.id), "codings": n, "documents": docs,
                "coders": coders, "children": len(tree) - 1}


def _merge_into(s: Session, pid: int, edit: Edit, source: Code, target: Code, counts: dict,
                seen: Visibility) -> None:
    """Move ``source``'s codings and children to ``target``, then delete ``source``.

    ``counts`` counts the codings ``seen`` shows (the others move all the same)."""
    target_guid = target.guid
    for coding in list(s.scalars(select(Coding).where(Coding.code_id == source.id)
                                 .order_by(Coding.id))):
        shown = int(seen.sees(coding.document_id, coding.coder_id))
        same = twin(s, coding, target.id)
        if same is None:
            edit.apply({"op": "update_coding", "guid": coding.guid,
                        "before": {"code": source.guid}, "after": {"code": target_guid}})
            counts["moved"] += shown
            continue
        collapse(s, edit, coding, same)
        counts["collapsed"] += shown
    next_ordinal = max((c.ordinal for c in _siblings(s, pid, target.id)), default=-1) + 1
    for child in _siblings(s, pid, source.id):
        clash = _same_name(s, pid, target.id, child.name)
        if clash is not None:  # same-named sub-codes merge too, recursively
            _merge_into(s, pid, edit, child, clash, counts, seen)
            continue
        edit.apply({"op": "update_code", "guid": child.guid,
                    "before": {"parent": source.guid, "ordinal": child.ordinal},
                    "after": {"parent": target_guid, "ordinal": next_ordinal}})
        next_ordinal += 1
        counts["children_moved"] += 1
    for op in memo_moves(s, code_ids=[source.id], code_guid=target_guid):
        edit.apply(op)
    edit.apply({"op": "delete_code", "row": code_snapshot(s, source)})
    counts["codes_removed"] += 1


@retrying
def merge_codes(db: Database, source: int | str, target: int | str, *, actor: str,
                record: bool = True, expected_version: int | None = None) -> dict:
    """Merge ``source`` into ``target``: codings move, exact duplicates collapse, children follow.

    A duplicate is a coding of the same passage (document, start, end) by the same coder that
    the target already has; it collapses into the target's coding and the memos are joined.
    Children of the source move under the target (a same-named child merges into the target's).
    Returns ``{"source", "target", "moved", "collapsed", "children_moved", "codes_removed"}``;
    ``moved`` and ``collapsed`` count the codings ``actor`` may see (blind coding).
    ``expected_version``: the source's version as the caller saw it (see :func:`rename_code`).
    """
    with db.session() as s:
        pid = db.project_id(s)
        seen = visibility(s, pid, actor)
        src = _code(s, pid, source, "source")
        _check_version(s, pid, src, expected_version)
        dst = _code(s, pid, target, "target")
        paths = paths_by_id(s, pid)
        if src.id == dst.id:
            raise CodebookEditError("a code cannot be merged into itself; choose another target")
        if dst.id in {c.id for c in _subtree(s, pid, src)}:
            raise CodebookEditError(f"cannot merge {paths[src.id]!r} into its own sub-code "
                                    f"{paths[dst.id]!r}; move the sub-code out first")
        counts = {"source": paths[src.id], "target": paths[dst.id], "moved": 0, "collapsed": 0,
                  "children_moved": 0, "codes_removed": 0}
        edit = Edit(s, pid, actor=actor, kind="merge codes")
        _merge_into(s, pid, edit, src, dst, counts, seen)
        edit.finish(f"merge code {counts['source']} into {counts['target']} "
                    f"({counts['moved']} moved, {counts['collapsed']} collapsed)", record=record)
        return counts


@retrying
def delete_code(db: Database, code: int | str, *, confirm: int, actor: str,
                record: bool = True) -> dict:
    """Delete a code, the codes below it and all their codings.

    Refused unless ``confirm`` equals the number of codings this deletes that ``actor`` may
    see (``code_usage``'s ``codings`` for them), so a page must have shown that number; under
    blind coding the codings hidden from them go too. Undo brings everything back.
    Returns ``{"code": path, "codes_deleted": n, "codings_deleted": n}`` (codings they may see).
    """
    with db.session() as s:
        pid = db.project_id(s)
        seen = visibility(s, pid, actor)
        row = _code(s, pid, code)
        tree = _subtree(s, pid, row)
        ids = [c.id for c in tree]
        codings = list(s.scalars(select(Coding).where(Coding.code_id.in_(ids))
                                 .order_by(Coding.id)))
        shown = sum(seen.sees(c.document_id, c.coder_id) for c in codings)
        path = code_path(s, pid, row.id)
        if isinstance(confirm, bool) or confirm != shown:
            raise CodebookEditError(
                f"deleting {path!r} deletes {shown} coding(s) and {len(tree) - 1} "
                f"sub-code(s); confirm with that number of codings ({shown}), "
                f"not {confirm!r}"
            )
        edit = Edit(s, pid, actor=actor, kind="delete code")
        # Memos about these codes and codings are kept as free memos (the database would
        # otherwise cascade them away); undo re-attaches them.
        for op in memo_moves(s, code_ids=ids, coding_ids=[c.id for c in codings]):
            edit.apply(op)
        for coding in codings:
            edit.apply({"op": "delete_coding", "row": coding_snapshot(s, coding)})
        for c in reversed(tree):  # children before parents: the parent key is RESTRICT
            edit.apply({"op": "delete_code", "row": code_snapshot(s, c)})
        edit.finish(f"delete code {path} ({shown} codings, {len(tree) - 1} sub-codes)",
                    record=record)
        return {"code": path, "codes_deleted": len(tree), "codings_deleted": shown}

