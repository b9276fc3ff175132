"""Disagreements between coders on one code, and adjudicating them into a consensus coder.

A *passage* is a stretch of a document where at least one of the compared coders applied the
code: the coders' spans of that code are joined wherever they overlap or touch, so every span
of every coder lies inside exactly one passage. A passage is a *disagreement* when the coders'
spans in it differ (after joining each coder's own overlapping spans).

Adjudicating a passage writes the chosen version into a separate coder (``consensus`` by
default): coder A's spans, B's, the union of all of them ("both"), or none ("neither"). The
original coders' codings are never touched. The consensus coder's codings of that code that
overlap the passage are replaced by the chosen spans, each creation and deletion logged in the
change log in the same transaction; adjudicating the same passage the same way again changes
nothing and logs nothing (idempotent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from sqlalchemy import select

from qualcode.team.access import check_coding_owner, require_unblinded
from qualcode.agreement.units import CONSENSUS
from qualcode.team.changelog import log
from qualcode.project.codes import paths_by_id, resolve
from qualcode.project.codings import coder_id
from qualcode.store.db import Database, retrying
from qualcode.project.documents import get_document
from qualcode.store.models import Coder, Coding, Document

Span = tuple[int, int]
#: How much text around a passage is shown for context (code points, cut at line breaks).
CONTEXT = 120


class AdjudicationError(ValueError):
    """An adjudication that cannot be done; the message says why."""


def merge_spans(spans) -> list[Span]:
    """Sorted spans with overlapping ones joined (touching spans stay apart)."""
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


@dataclass
class Passage:
    """One passage of one code in one document, with each coder's spans (absolute offsets)."""

    document: str
    code: str
    start: int
    end: int
    text: str
    before: str
    after: str
    spans: dict[str, list[Span]]
    consensus: list[Span] = field(default_factory=list)

    @property
    def agreed(self) -> bool:
        """True when every coder marked exactly the same stretches of text."""
        versions = [merge_spans(s) for s in self.spans.values()]
        return all(v == versions[0] for v in versions)

    @property
    def decision(self) -> str | None:
        """The choice the consensus coder's spans here match (None when it has none here;
        a "neither" decision leaves no spans, so it reads as None too)."""
        if not self.consensus:
            return None
        for name, spans in self.choices().items():
            if spans == self.consensus:
                return name
        return "edited"

    def choices(self) -> dict[str, list[Span]]:
        """Each possible decision → the spans it would write."""
        out = {name: merge_spans(s) for name, s in self.spans.items()}
        out["both"] = merge_spans([s for v in self.spans.values() for s in v])
        out["neither"] = []
        return out

    def as_dict(self) -> dict:
        d = asdict(self)
        d["agreed"] = self.agreed
        d["decision"] = self.decision
        d["spans"] = {k: [list(s) for s in v] for k, v in self.spans.items()}
        d["consensus"] = [list(s) for s in self.consensus]
        return d


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    lo = max(0, start - CONTEXT)
    nl = text.rfind("\n", lo, start)
    lo = nl + 1 if nl >= 0 else lo
    hi = min(len(text), end + CONTEXT)
    nl = text.find("\n", end, hi)
    hi = nl if nl >= 0 else hi
    return text[lo:start], text[end:hi]


def _check_coders(coders: Sequence[str], consensus: str) -> list[str]:
    coders = list(dict.fromkeys(coders))
    if len(coders) < 2:
        raise AdjudicationError("compare two or more coders")
    if consensus in coders:
        raise AdjudicationError(f"{consensus!r} is the consensus coder; it cannot also be compared")
    return coders


def passages(
    db: Database,
    code: str,
    coders: Sequence[str],
    *,
    documents: Sequence[str] | None = None,
    consensus: str = CONSENSUS,
    viewer: str | None = None,
) -> list[Passage]:
    """Every passage of ``code`` (exactly that code) where one of ``coders`` applied it,
    ordered by document name and position, with the consensus coder's spans there.

    Refused (``AccessDenied``) for a ``viewer`` while blind coding hides others' codings.
    """
    coders = _check_coders(coders, consensus)
    with db.session() as session:
        pid = db.project_id(session)
        require_unblinded(session, pid, viewer, "comparing coders")
        try:
            code_row = resolve(session, pid, code)
        except LookupError as exc:
            raise AdjudicationError(str(exc.args[0])) from exc
        path = paths_by_id(session, pid)[code_row.id]
        ids = dict(session.execute(select(Coder.name, Coder.id).where(Coder.project_id == pid)).all())
        unknown = [c for c in coders if c not in ids]
        if unknown:
            raise AdjudicationError(f"no coder {unknown[0]!r}")
        q = (select(Document.id, Document.name, Coder.name, Coding.start, Coding.end)
             .join(Document, Document.id == Coding.document_id)
             .join(Coder, Coder.id == Coding.coder_id)
             .where(Document.project_id == pid, Coding.code_id == code_row.id,
                    Coder.name.in_([*coders, consensus])))
        if documents is not None:
            q = q.where(Document.name.in_(list(documents)))
        rows = session.execute(q).all()
        texts = dict(session.execute(
            select(Document.id, Document.text).where(Document.id.in_({r[0] for r in rows}))).all())
    by_doc: dict[tuple[str, int], list[tuple[str, int, int]]] = {}
    for doc_id, doc_name, coder, s, e in rows:
        by_doc.setdefault((doc_name, doc_id), []).append((coder, s, e))
    out: list[Passage] = []
    for (doc_name, doc_id), items in sorted(by_doc.items()):
        text = texts[doc_id]
        marks = sorted((s, e) for c, s, e in items if c != consensus)
        clusters: list[list[int]] = []
        for s, e in marks:
            if clusters and s <= clusters[-1][1]:  # overlapping or touching: one passage
                clusters[-1][1] = max(clusters[-1][1], e)
            else:
                clusters.append([s, e])
        for s0, e0 in clusters:
            spans = {c: sorted((s, e) for cc, s, e in items if cc == c and s0 <= s and e <= e0)
                     for c in coders}
            mine = merge_spans((s, e) for c, s, e in items if c == consensus and s < e0 and e > s0)
            before, after = _context(text, s0, e0)
            out.append(Passage(doc_name, path, s0, e0, text[s0:e0], before, after, spans, mine))
    return out


def disagreements(db: Database, code: str, coders: Sequence[str], *,
                  documents: Sequence[str] | None = None,
                  consensus: str = CONSENSUS, viewer: str | None = None) -> list[Passage]:
    """The passages of ``code`` where the coders' spans differ."""
    return [p for p in passages(db, code, coders, documents=documents, consensus=consensus,
                                viewer=viewer) if not p.agreed]


@dataclass
class AdjudicationResult:
    """What an adjudication changed in the consensus coder."""

    document: str
    code: str
    decision: str
    spans: list[Span]
    created: list[Span]
    removed: list[Span]

    @property
    def changed(self) -> bool:
        return bool(self.created or self.removed)

    def as_dict(self) -> dict:
        return {**asdict(self), "changed": self.changed}


@retrying
def adjudicate(
    db: Database,
    *,
    document: str,
    code: str,
    start: int,
    end: int,
    accept: str,
    coders: Sequence[str],
    consensus: str = CONSENSUS,
    actor: str | None = None,
) -> AdjudicationResult:
    """Write one decision for the passage ``start:end`` of ``document`` into the consensus coder.

    ``accept`` is one of ``coders`` (take that coder's spans), ``"both"`` (the union of every
    compared coder's spans; the word suits two coders, it means all of them) or ``"neither"``
    (the passage is not coded). The consensus coder's codings of ``code`` overlapping the
    passage become exactly the chosen spans. Returns what was created and removed (nothing the
    second time).
    """
    coders = _check_coders(coders, consensus)
    if accept not in (*coders, "both", "neither"):
        raise AdjudicationError(
            f"accept must be one of {', '.join(coders)}, 'both' or 'neither', not {accept!r}")
    if not (0 <= start < end):
        raise AdjudicationError(f"the passage {start}-{end} is empty")
    with db.session() as session:
        pid = db.project_id(session)
        try:
            doc = get_document(session, pid, document)
            code_row = resolve(session, pid, code)
        except LookupError as exc:
            raise AdjudicationError(str(exc.args[0])) from exc
        # Consensus codings belong to nobody in particular: writing them is an owner's job.
        check_coding_owner(session, pid, actor or consensus, consensus)
        require_unblinded(session, pid, actor, "adjudicating")
        if end > len(doc.text):
            raise AdjudicationError(f"the passage {start}-{end} lies outside {doc.name} "
                                    f"(0-{len(doc.text)})")
        path = paths_by_id(session, pid)[code_row.id]
        ids = dict(session.execute(select(Coder.name, Coder.id).where(Coder.project_id == pid)).all())
        unknown = [c for c in coders if c not in ids]
        if unknown:
            raise AdjudicationError(f"no coder {unknown[0]!r}")
        chosen = coders if accept == "both" else [] if accept == "neither" else [accept]
        source = session.execute(
            select(Coding.start, Coding.end).where(
                Coding.document_id == doc.id, Coding.code_id == code_row.id,
                Coding.coder_id.in_([ids[c] for c in chosen]),
                Coding.start < end, Coding.end > start)).all() if chosen else []
        target = merge_spans((max(s, start), min(e, end)) for s, e in source)
        cid = coder_id(session, pid, consensus)
        existing = session.scalars(select(Coding).where(
            Coding.document_id == doc.id, Coding.code_id == code_row.id, Coding.coder_id == cid,
            Coding.start < end, Coding.end > start)).all()
        have = {(c.start, c.end): c for c in existing}
        removed = sorted(k for k in have if k not in set(target))
        created = [t for t in target if t not in have]
        who = actor or consensus
        for key in removed:
            row = have[key]
            log(session, project_id=pid, actor=who, action="delete", entity="coding",
                entity_id=row.id, document=doc.name, code=path, coder=consensus,
                start=row.start, end=row.end, adjudication=accept, compared=coders)
            session.delete(row)
        session.flush()
        for s, e in created:
            row = Coding(document_id=doc.id, code_id=code_row.id, coder_id=cid, start=s, end=e,
                         quote=doc.text[s:e])
            session.add(row)
            session.flush()
            log(session, project_id=pid, actor=who, action="create", entity="coding",
                entity_id=row.id, document=doc.name, code=path, coder=consensus, start=s,
                end=e, adjudication=accept, compared=coders)
        return AdjudicationResult(doc.name, path, accept, target, created, removed)


def adopt_agreements(db: Database, code: str, coders: Sequence[str], *,
                     documents: Sequence[str] | None = None, consensus: str = CONSENSUS,
                     actor: str | None = None) -> int:
    """Copy every passage where the coders agree into the consensus coder; returns how many
    passages changed (0 when run again)."""
    changed = 0
    for p in passages(db, code, coders, documents=documents, consensus=consensus, viewer=actor):
        if p.agreed:
            r = adjudicate(db, document=p.document, code=code, start=p.start, end=p.end,
                           accept=coders[0], coders=coders, consensus=consensus, actor=actor)
            changed += r.changed
    return changed
