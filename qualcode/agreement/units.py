"""Unit × coder matrices per code, built from a project's codings, for agreement statistics.

Agreement on a coded project is computed on *units*: pieces of text that each coder either
coded with a code (1) or not (0). The unit is the team's choice:

===========  ==================================================================================
sentence     the stored ``sentence`` rows (spaCy, cut turn by turn at import)
turn         the stored ``turn`` rows (one speaker's contribution)
paragraph    each non-blank line of the canonical text, surrounding blanks dropped (computed on
             the fly; the importers turn a document's paragraphs into lines)
character    every code point of the canonical text, as NVivo's coding comparison does
document     the whole document: the code was applied anywhere in it, or not
===========  ==================================================================================

A unit is coded 1 for a coder when a coding of the code (with ``rollup``, of the code or any
code below it) by that coder overlaps it by at least one code point (offset rule: code points,
end exclusive). A document in which a coder made no coding at all is treated as *not rated*
by that coder (-1, missing) unless ``uncoded_documents="absent"``: an unfinished document
should not count as a long run of agreed absences. The units every compared coder rated are the
*comparable* units the report computes on by default (:mod:`qualcode.agreement.summary`);
``UnitMatrix.coded`` keeps which coder coded which document, for saying so.

:func:`build_unit_matrix` returns a :class:`UnitMatrix` whose ``x`` is the
``codes × units × coders`` int8 array that :func:`qualcode.agreement.batch.binary_agreement` takes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from sqlalchemy import func, select

from qualcode.project.codes import paths_by_id, resolve
from qualcode.store.db import Database
from qualcode.store.models import Code, Coder, Coding, Document, Sentence, Turn
from qualcode.team.access import require_unblinded, visibility
from qualcode.project.codings import CONSENSUS

UNITS = ("sentence", "turn", "paragraph", "character", "document")

_LINE = re.compile(r"[^\n]+")


class AgreementInputError(ValueError):
    """The coders, documents, codes or unit asked for cannot be used; the message says why."""


@dataclass(frozen=True)
class UnitMatrix:
    """Who coded what, unit by unit: the input of :func:`qualcode.agreement.batch.binary_agreement`.

    ``x[k, u, j]`` is 1 when coder ``coders[j]`` applied code ``codes[k]`` to unit ``u``, 0 when
    not, -1 when that coder did not code the unit's document at all. Unit ``u`` lies in document
    ``documents[unit_document[u]]`` at code points ``unit_start[u]:unit_end[u]``.
    """

    unit: str
    coders: tuple[str, ...]
    codes: tuple[str, ...]
    documents: tuple[str, ...]
    x: np.ndarray
    unit_document: np.ndarray
    unit_start: np.ndarray
    unit_end: np.ndarray
    rollup: bool = False
    uncoded_documents: str = "missing"
    #: Codings accepted from learned suggestions (provenance ``suggested``) among the chosen
    #: coders' codings, and whether they were left out (``exclude_suggested``).
    suggested: int = 0
    exclude_suggested: bool = False
    #: documents × coders: True where the coder has a coding in the document (their codings as
    #: chosen, e.g. without suggested ones). ``None`` (hand-built matrices): read off ``x``.
    coded: np.ndarray | None = None

    @property
    def n_units(self) -> int:
        return int(self.x.shape[1])

    @property
    def rated(self) -> np.ndarray:
        """units × coders: True where the coder rated the unit (a 0 or a 1, not -1).

        Whether a coder rated a unit is the same for every code (it depends on whether they
        coded its document), so the first code's column is read.
        """
        if self.x.shape[0]:
            return self.x[0] >= 0
        if self.coded is not None and self.uncoded_documents == "missing":
            return self.coded[self.unit_document]
        return np.ones((self.n_units, len(self.coders)), dtype=bool)

    @property
    def coder_documents(self) -> np.ndarray:
        """documents × coders: True where the coder coded the document (``coded``, or, for a
        hand-built matrix, where they rated any of its units)."""
        if self.coded is not None:
            return np.asarray(self.coded, dtype=bool)
        out = np.zeros((len(self.documents), len(self.coders)), dtype=np.int64)
        np.add.at(out, np.asarray(self.unit_document, dtype=np.int64), self.rated)
        return out > 0


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """The paragraph units of a text: each non-blank line without its surrounding blanks."""
    out = []
    for m in _LINE.finditer(text):
        line = m.group()
        stripped = line.strip()
        if stripped:
            start = m.start() + (len(line) - len(line.lstrip()))
            out.append((start, start + len(stripped)))
    return out


def _units_of(session, unit: str, doc_ids: list[int],
              where_docs=None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per document, sorted non-overlapping unit starts and ends (code points).

    ``where_docs``: a column → clause choosing the documents in SQL (default ``in_(doc_ids)``);
    the whole project is chosen by a subquery rather than thousands of bound ids."""
    if where_docs is None:
        def where_docs(column):
            return column.in_(doc_ids)
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    if unit in ("sentence", "turn"):
        table = Sentence if unit == "sentence" else Turn
        rows = _int_array(session, select(table.document_id, table.start, table.end)
                          .where(where_docs(table.document_id))
                          .order_by(table.document_id, table.start), 3)
        # Rows are sorted by document id; documents come in name order, so look each one up.
        order = np.argsort(doc_ids)
        sorted_ids = np.array(doc_ids, dtype=np.int64)[order]
        lo_s = np.searchsorted(rows[:, 0], sorted_ids, side="left")
        hi_s = np.searchsorted(rows[:, 0], sorted_ids, side="right")
        lo = np.empty(len(doc_ids), dtype=np.int64)
        hi = np.empty(len(doc_ids), dtype=np.int64)
        lo[order], hi[order] = lo_s, hi_s
        for a, b in zip(lo, hi):
            starts.append(rows[a:b, 1])
            ends.append(rows[a:b, 2])
        return starts, ends
    if unit == "document":
        lengths = dict(session.execute(
            select(Document.id, func.length(Document.text)).where(where_docs(Document.id))).all())
        for i in doc_ids:
            starts.append(np.array([0], dtype=np.int64))
            ends.append(np.array([max(int(lengths[i]), 1)], dtype=np.int64))
        return starts, ends
    texts = dict(session.execute(
        select(Document.id, Document.text).where(where_docs(Document.id))).all())
    for i in doc_ids:
        text = texts[i]
        if unit == "paragraph":
            arr = np.array(paragraph_spans(text), dtype=np.int64).reshape(-1, 2)
            starts.append(arr[:, 0])
            ends.append(arr[:, 1])
        else:  # character
            # len() of a Python str counts code points, so an emoji is one unit (offset rule).
            starts.append(np.arange(len(text), dtype=np.int64))
            ends.append(np.arange(1, len(text) + 1, dtype=np.int64))
    return starts, ends


def _int_array(session, statement, width: int) -> np.ndarray:
    """The integer columns of ``statement``'s rows as an (n, width) array, read column-wise
    into numpy: the driver's rows are chained into one stream of integers for ``fromiter``.
    The statement runs on the session's connection (Core, no ORM row objects) and the rows
    come from the DBAPI cursor: building a Python object per row, let alone numpy probing
    SQLAlchemy rows for the array protocol, costs seconds on 280,000 sentences."""
    result = session.connection().execute(statement)
    try:
        rows = result.cursor if getattr(result, "cursor", None) is not None else result
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64)
    finally:
        result.close()
    return flat.reshape(-1, width)


def _lookup(keys: np.ndarray, mapping: dict[int, int]) -> np.ndarray:
    """``mapping[k]`` for every k in ``keys`` (-1 where k is not in the mapping), vectorised."""
    if not mapping or keys.size == 0:
        return np.full(keys.shape, -1, dtype=np.int64)
    known = np.fromiter(mapping.keys(), dtype=np.int64, count=len(mapping))
    values = np.fromiter(mapping.values(), dtype=np.int64, count=len(mapping))
    order = np.argsort(known)
    known, values = known[order], values[order]
    pos = np.clip(np.searchsorted(known, keys), 0, len(known) - 1)
    return np.where(known[pos] == keys, values[pos], -1)


def project_coders(db: Database, *, viewer: str | None = None) -> list[str]:
    """Names of the coders who made at least one coding ``viewer`` may see, consensus last."""
    with db.session() as session:
        pid = db.project_id(session)
        seen = visibility(session, pid, viewer)
        visible = select(Coding.coder_id)
        if seen.clause() is not None:
            visible = visible.where(seen.clause())
        names = session.scalars(
            select(Coder.name).where(Coder.project_id == pid)
            .where(Coder.id.in_(visible)).order_by(Coder.name)
        ).all()
    return sorted(names, key=lambda n: (n == CONSENSUS, n))


def build_unit_matrix(
    db: Database,
    *,
    coders: Sequence[str] | None = None,
    unit: str = "sentence",
    documents: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    rollup: bool = False,
    uncoded_documents: str = "missing",
    viewer: str | None = None,
    exclude_suggested: bool = False,
) -> UnitMatrix:
    """Build the ``codes × units × coders`` matrix of a project (see the module docstring).

    ``coders``: two or more names (default: every coder with codings in the chosen documents,
    except ``consensus``).
    ``documents``: names (default: every document). ``codes``: paths (default: every code that
    one of the coders applied in those documents, with ``rollup`` also the codes above them),
    in code-tree order. ``uncoded_documents``: ``"missing"`` (default) or ``"absent"`` (a
    document a coder never touched counts as 0 for every unit). ``viewer``: the acting user;
    refused with ``AccessDenied`` while blind coding hides other coders' codings from them.
    ``exclude_suggested``: leave out codings accepted from learned suggestions (provenance
    ``suggested``), which are not independent judgements; the matrix counts them either way.
    """
    if unit not in UNITS:
        raise AgreementInputError(f"unknown unit {unit!r}; choose one of {', '.join(UNITS)}")
    if uncoded_documents not in ("missing", "absent"):
        raise AgreementInputError("uncoded_documents must be 'missing' or 'absent'")
    with db.session() as session:
        pid = db.project_id(session)
        require_unblinded(session, pid, viewer, "agreement between coders")
        coder_rows = dict(session.execute(
            select(Coder.name, Coder.id).where(Coder.project_id == pid)).all())
        # Names only: texts are read later, and only for the units that need them.
        all_docs = session.execute(
            select(Document.id, Document.name, Document.original_filename)
            .where(Document.project_id == pid).order_by(Document.name)).all()
        if documents is not None:
            by_name = {d.name: d for d in all_docs}
            by_name.update({d.original_filename: d for d in all_docs if d.original_filename not in by_name})
            missing = [n for n in documents if n not in by_name]
            if missing:
                raise AgreementInputError(f"no document {missing[0]!r}; `qualcode documents` lists them")
            docs = list({by_name[n].id: by_name[n] for n in documents}.values())
        else:
            docs = list(all_docs)
        if not docs:
            raise AgreementInputError("the project has no documents to compare")
        doc_index = {d.id: i for i, d in enumerate(docs)}
        if documents is None:
            def where_docs(column):
                # Every document of the project: one subquery, not an IN list of every id.
                return column.in_(select(Document.id).where(Document.project_id == pid))
        else:
            def where_docs(column):
                return column.in_(list(doc_index))

        if coders is None:
            used = set(session.scalars(select(Coding.coder_id).distinct()
                                       .where(where_docs(Coding.document_id))).all())
            coders = sorted(n for n, i in coder_rows.items() if i in used and n != CONSENSUS)
        coders = list(dict.fromkeys(c.strip() for c in coders if c.strip()))
        unknown = [c for c in coders if c not in coder_rows]
        if unknown:
            known = ", ".join(sorted(coder_rows)) or "(none yet)"
            raise AgreementInputError(f"no coder {unknown[0]!r}; the project's coders are {known}")
        if len(coders) < 2:
            raise AgreementInputError(
                f"agreement needs two or more coders; got {len(coders)}"
                + (f" ({', '.join(coders)})" if coders else "") + ". Name them with --coders A,B")
        coder_ids = [coder_rows[c] for c in coders]

        paths = paths_by_id(session, pid)
        order = {cid: i for i, cid in enumerate(paths)}  # tree order
        parent = dict(session.execute(
            select(Code.id, Code.parent_id).where(Code.project_id == pid)).all())

        chosen = (where_docs(Coding.document_id), Coding.coder_id.in_(coder_ids))
        suggested = session.scalar(select(func.count()).select_from(Coding)
                                   .where(*chosen, Coding.provenance == "suggested"))
        query = select(Coding.document_id, Coding.code_id, Coding.coder_id, Coding.start, Coding.end)
        if exclude_suggested:
            query = query.where(Coding.provenance.is_(None))
        rows = _int_array(session, query.where(*chosen), 5)

        # One row per (coding, target code): rollup sends a coding to its code and to every
        # code above it, one level of the tree per round.
        parent_of = {cid: p for cid, p in parent.items() if p is not None}
        targets, levels = rows[:, 1], []
        while targets.size:
            levels.append(targets)
            if not rollup:
                break
            targets = _lookup(targets, parent_of)
            targets = np.where(targets >= 0, targets, -1)
            if (targets < 0).all():
                break
        if codes is None:
            used = set(np.unique(np.concatenate(levels)).tolist()) - {-1} if levels else set()
            wanted = sorted(used, key=order.__getitem__)
        else:
            try:
                wanted = [resolve(session, pid, c).id for c in codes]
            except LookupError as exc:
                raise AgreementInputError(str(exc.args[0])) from exc
            wanted = list(dict.fromkeys(wanted))
        code_index = {cid: k for k, cid in enumerate(wanted)}
        starts, ends = _units_of(session, unit, [d.id for d in docs], where_docs)
        names = tuple(d.name for d in docs)

    counts = np.array([len(s) for s in starts], dtype=np.int64)
    base = np.concatenate([[0], np.cumsum(counts)])
    n_units = int(base[-1])
    n_codes, n_coders = len(wanted), len(coders)
    di = _lookup(rows[:, 0], doc_index)
    ji = _lookup(rows[:, 2], {cid: j for j, cid in enumerate(coder_ids)})
    ki = np.concatenate([_lookup(t, code_index) for t in levels]) if levels else np.zeros(0, np.int64)
    reps = len(levels)
    di, ji = np.tile(di, reps), np.tile(ji, reps)
    cs, ce = np.tile(rows[:, 3], reps), np.tile(rows[:, 4], reps)
    sel = ki >= 0
    di, ji, ki, cs, ce = di[sel], ji[sel], ki[sel], cs[sel], ce[sel]

    # Units of a document are sorted and disjoint, so the units a coding [cs, ce) overlaps are
    # a contiguous run: the first whose end is past cs to the last starting before ce. Keys
    # (document, offset) make one sorted sequence of every document's units, so one
    # searchsorted finds the runs of all codings at once.
    span = int(max((int(e[-1]) for e in ends if len(e)), default=0)) + 1
    doc_of_unit = np.repeat(np.arange(len(docs), dtype=np.int64), counts)
    start_key = doc_of_unit * span + (np.concatenate(starts) if starts else np.zeros(0, np.int64))
    end_key = doc_of_unit * span + (np.concatenate(ends) if ends else np.zeros(0, np.int64))
    lo = np.searchsorted(end_key, di * span + cs, side="right")
    hi = np.searchsorted(start_key, di * span + np.minimum(ce, span), side="left")
    keep = lo < hi  # a coding that touches no unit (e.g. only a speaker label) counts nowhere
    lo, hi, ji, ki = lo[keep], hi[keep], ji[keep], ki[keep]

    x = np.zeros((n_codes, n_units, n_coders), dtype=np.int8)
    by_code = np.argsort(ki, kind="stable")
    bounds = np.searchsorted(ki[by_code], np.arange(n_codes + 1))
    size = (n_units + 1) * n_coders
    for k in range(n_codes):
        idx = by_code[bounds[k]:bounds[k + 1]]
        if idx.size == 0:
            continue
        # A difference array per code (bounded memory): +1 where a run starts, -1 after it
        # ends; the running sum is positive exactly on the units some coding overlaps.
        diff = (np.bincount(lo[idx] * n_coders + ji[idx], minlength=size)
                - np.bincount(hi[idx] * n_coders + ji[idx], minlength=size))
        x[k] = np.cumsum(diff.reshape(n_units + 1, n_coders)[:n_units], axis=0) > 0

    unit_document = doc_of_unit
    touched = np.zeros((len(docs), n_coders), dtype=bool)
    touched[_lookup(rows[:, 0], doc_index), _lookup(rows[:, 2],
            {cid: j for j, cid in enumerate(coder_ids)})] = True
    if uncoded_documents == "missing":
        untouched = ~touched[unit_document]  # units × coders
        if untouched.any():
            x[:, untouched] = -1
    return UnitMatrix(
        unit=unit,
        coders=tuple(coders),
        codes=tuple(paths[c] for c in wanted),
        documents=names,
        x=x,
        unit_document=unit_document,
        unit_start=np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64),
        unit_end=np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64),
        rollup=rollup,
        uncoded_documents=uncoded_documents,
        suggested=int(suggested or 0),
        exclude_suggested=exclude_suggested,
        coded=touched,
    )
