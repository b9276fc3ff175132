"""The code tree in the database: apply a codebook, export it, resolve code paths.

A code's path is its names from the root joined with ``/`` (``Barriers/Financial/Costs borne by
trainees``); sibling names are unique (case-insensitively, enforced by the database), so a path
names exactly one code.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from qualcode.team.changelog import log
from qualcode.codebook import Codebook, CodeSpec
from qualcode.store.models import Code

#: Colours given to codes that arrive without one (a qualitative palette, readable on white).
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)
_FIELDS = ("colour", "definition", "use_when", "do_not_use_when", "example")


class CodeNotFound(LookupError):
    """A code path that names no code; the message suggests close matches."""


@dataclass
class ApplyReport:
    """What applying a codebook did."""

    created: list[str]
    updated: list[str]
    unchanged: int
    kept: list[str]  # codes in the database but not in the codebook: left alone

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "kept": self.kept,
        }


def tree(session: Session, project_id: int) -> list[tuple[tuple[str, ...], Code]]:
    """Every code with its path, depth first, siblings in their stored order."""
    codes = session.scalars(
        select(Code).where(Code.project_id == project_id).order_by(Code.ordinal, Code.id)
    ).all()
    children: dict[int | None, list[Code]] = {}
    for code in codes:
        children.setdefault(code.parent_id, []).append(code)
    out: list[tuple[tuple[str, ...], Code]] = []

    def walk(parent_id: int | None, prefix: tuple[str, ...]) -> None:
        for code in children.get(parent_id, []):
            path = prefix + (code.name,)
            out.append((path, code))
            walk(code.id, path)

    walk(None, ())
    return out


def path_string(path: tuple[str, ...]) -> str:
    """``("A", "B")`` → ``"A/B"``."""
    return "/".join(path)


# -- the code tree of one transaction -------------------------------------------------------------

#: ``session.info`` key of the :class:`CodeIndex` read in this transaction.
_INDEX = "qualcode_code_index"


@dataclass(frozen=True)
class CodeIndex:
    """The code tree as one transaction sees it, read once (one SELECT) and then looked up."""

    project_id: int
    codes: list[tuple[tuple[str, ...], Code]]  # depth first, as :func:`tree`
    paths: dict[int, str]  # code id → path string
    by_id: dict[int, Code]
    by_key: dict[tuple[str, ...], Code]  # lower-cased path → code


@event.listens_for(Session, "after_flush")
def _forget_index_after_flush(session: Session, _context) -> None:
    # A flushed change to any code (created, renamed, moved, deleted) makes the tree stale;
    # new/dirty/deleted still hold just the objects of this flush at this point.
    if _INDEX in session.info and any(
            isinstance(o, Code) for o in chain(session.new, session.dirty, session.deleted)):
        del session.info[_INDEX]


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_index(session: Session, *_args) -> None:
    # A new transaction may see other people's changes; a rolled-back savepoint may have held
    # code changes of this one.
    session.info.pop(_INDEX, None)


def code_index(session: Session, project_id: int) -> CodeIndex:
    """The project's code tree, read once per transaction and kept in ``session.info``.

    A change to a code made through the session drops it (pending changes are flushed first,
    as the tree's SELECT would autoflush them), so the next look-up reads the tree again; a
    call that changes no code reads it once however many look-ups it makes.
    """
    if session.autoflush:
        session.flush()  # nothing to do (and no SQL) when the session is clean
    index = session.info.get(_INDEX)
    if index is not None and index.project_id == project_id:
        return index
    codes = tree(session, project_id)
    index = CodeIndex(project_id, codes, {c.id: path_string(p) for p, c in codes},
                      {c.id: c for _p, c in codes}, {tuple(n.lower() for n in p): c for p, c in codes})
    session.info[_INDEX] = index
    return index


def paths_by_id(session: Session, project_id: int) -> dict[int, str]:
    """Code id → path string, for listing codings."""
    return dict(code_index(session, project_id).paths)


def ids_under(paths: dict[int, str], root: str, *, below: bool = True) -> list[int]:
    """The ids of the code at path ``root`` and (``below``) every code under it, sorted: what a
    read filtering by a code puts in its query."""
    return sorted(i for i, p in paths.items() if p == root or (below and p.startswith(root + "/")))


def code_path(session: Session, project_id: int, code_id: int) -> str | None:
    """The path of one code (None when the project has no such code)."""
    return code_index(session, project_id).paths.get(code_id)


def resolve(session: Session, project_id: int, path: str) -> Code:
    """The code at ``path`` (case-insensitive per name); :class:`CodeNotFound` otherwise."""
    wanted = tuple(part.strip().lower() for part in path.strip().strip("/").split("/"))
    index = code_index(session, project_id)
    found = index.by_key.get(wanted)
    if found is not None:
        return found
    all_codes = index.codes
    # A unique leaf name is accepted too: scripts often say just "Visa delays and denials".
    if len(wanted) == 1:
        hits = [c for p, c in all_codes if p[-1].lower() == wanted[0]]
        if len(hits) == 1:
            return hits[0]
    names = [path_string(p) for p, _ in all_codes]
    close = difflib.get_close_matches(path, names, n=3, cutoff=0.5)
    hint = f" Did you mean: {'; '.join(close)}?" if close else ""
    if not names:
        hint = " The codebook is empty: run `qualcode codebook import FILE` first."
    raise CodeNotFound(f"no code {path!r}.{hint}")


def find_code(session: Session, project_id: int, code: int | str | Code) -> Code:
    """The one code look-up: a code given by id, by path (see :func:`resolve`) or as a row.

    A row is checked and returned as it is, so a caller that resolved the code once can pass
    it down without another look-up. LookupError (:class:`CodeNotFound` for a path) otherwise.
    """
    if isinstance(code, Code):
        if code.project_id != project_id:
            raise LookupError(f"no code with id {code.id} in this project; reload the codebook")
        return code
    if isinstance(code, int) and not isinstance(code, bool):
        found = code_index(session, project_id).by_id.get(code)
        if found is None:
            raise LookupError(f"no code with id {code}; reload the codebook")
        return found
    if isinstance(code, str):
        return resolve(session, project_id, code)
    raise TypeError(f"a code is given by id or path, not {type(code).__name__}")


def apply_codebook(
    session: Session, project_id: int, codebook: Codebook, *, actor: str | None = None
) -> ApplyReport:
    """Create or update codes from ``codebook``, matched by path; never deletes a code.

    Codes the codebook does not mention are kept (and listed in the report): deleting codes,
    with their codings, is a separate, confirmed action.
    """
    existing = {tuple(n.lower() for n in p): c for p, c in tree(session, project_id)}
    in_file: set[tuple[str, ...]] = set()
    created, updated, unchanged = [], [], 0
    sibling_order: dict[tuple[str, ...], int] = {}
    colours_used = sum(1 for c in existing.values() if c.colour)
    for spec in codebook.codes:
        key = tuple(n.lower() for n in spec.path)
        in_file.add(key)
        ordinal = sibling_order.setdefault(key[:-1], 0)
        sibling_order[key[:-1]] = ordinal + 1
        code = existing.get(key)
        if code is None:
            parent = existing.get(key[:-1]) if len(key) > 1 else None
            colour = spec.colour
            if colour is None:
                colour = PALETTE[colours_used % len(PALETTE)]
                colours_used += 1
            code = Code(
                project_id=project_id,
                parent_id=parent.id if parent else None,
                name=spec.name,
                colour=colour,
                definition=spec.definition,
                use_when=spec.use_when,
                do_not_use_when=spec.do_not_use_when,
                example=spec.example,
                ordinal=ordinal,
                level=spec.level or None,
            )
            session.add(code)
            session.flush()
            existing[key] = code
            created.append(spec.path_str())
            log(session, project_id=project_id, actor=actor, action="create", entity="code",
                entity_id=code.id, path=spec.path_str())
            continue
        changes = {
            f: getattr(spec, f)
            for f in _FIELDS
            if getattr(spec, f) is not None and getattr(spec, f) != getattr(code, f)
        }
        if code.name != spec.name:  # same path, different capitalisation: take the file's
            changes["name"] = spec.name
        if (spec.level or None) != code.level:  # "" in a file is no level: NULL in the database
            changes["level"] = spec.level or None
        if code.ordinal != ordinal:
            code.ordinal = ordinal
        if changes:
            before = {f: getattr(code, f) for f in changes}
            for f, v in changes.items():
                setattr(code, f, v)
            updated.append(spec.path_str())
            log(session, project_id=project_id, actor=actor, action="update", entity="code",
                entity_id=code.id, path=spec.path_str(), before=before, after=changes)
        else:
            unchanged += 1
    kept = [path_string(p) for p, c in tree(session, project_id)
            if tuple(n.lower() for n in p) not in in_file]
    return ApplyReport(created, updated, unchanged, kept)


def to_codebook(session: Session, project_id: int, name: str | None = None) -> Codebook:
    """The project's code tree as a :class:`Codebook` (for YAML/CSV export)."""
    return Codebook(
        name=name,
        codes=[
            CodeSpec(
                path=path,
                colour=code.colour,
                definition=code.definition,
                use_when=code.use_when,
                do_not_use_when=code.do_not_use_when,
                example=code.example,
                level=code.level or "",
            )
            for path, code in tree(session, project_id)
        ],
    )
