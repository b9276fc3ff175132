"""What the suggestion models learn from: sentence units, whose codings, and their labels.

The unit is the stored sentence (spaCy's sentencizer, cut turn by turn at import). A sentence
carries a code when a coding of that code in the chosen *coding set* overlaps it by at least one
code point — the rule agreement uses for its sentence unit (offsets: code points, end exclusive).
Only documents in which the coding set has made at least one coding teach anything: a sentence of
a document nobody in the set has opened is not a negative example, it is unknown.

Whose codings (:func:`resolve_coding_set`), the same rule for the app, the command line and the
evaluation:

==============  ================================================================================
blind coding    the coder's own codings only (never another coder's, done documents included)
``consensus``   the adjudicated codings (the ``consensus`` coder), the default once it has any
``mine``        the coder's own codings (the default before adjudication)
``all``         every coder's codings pooled (a sentence carries a code if any coder applied it)
a coder's name  that coder's codings
==============  ================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.project.codes import code_index
from qualcode.store.models import Coder, Coding, Document, Project, Sentence, Turn
from qualcode.team.access import AccessDenied
from qualcode.project.codings import CONSENSUS

#: Coding sets a caller may name besides a coder's name.
SET_CHOICES = ("auto", "mine", "consensus", "all")
#: A code needs this many example sentences before it gets suggestions.
MIN_EXAMPLES = 5


class SuggestError(ValueError):
    """A suggestion request that cannot be met (unknown set, no codings yet...); says what to do."""


@dataclass(frozen=True)
class CodingSet:
    """Whose codings a model learns from, and the sentence that says so to the coder."""

    kind: str  # "mine", "coder", "consensus" or "all"
    coders: tuple[str, ...]
    statement: str


def resolve_coding_set(session: Session, project_id: int, coder: str | None,
                       requested: str | None = None) -> CodingSet:
    """The coding set for suggestions made to ``coder`` (see the module docstring).

    ``requested``: None or ``"auto"``, ``"mine"``, ``"consensus"``, ``"all"`` or a coder's name.
    Under blind coding anything but the coder's own codings is refused (:class:`AccessDenied`):
    a model trained on a colleague's codings would leak them.
    """
    requested = (requested or "auto").strip()
    blind = bool(session.get(Project, project_id).blind_coding)
    rows = session.execute(
        select(Coder.name, func.count(Coding.id))
        .join(Coding, Coding.coder_id == Coder.id, isouter=True)
        .where(Coder.project_id == project_id).group_by(Coder.name)).all()
    counts = {name: n for name, n in rows}
    if requested == coder:
        requested = "mine"

    def mine(reason: str) -> CodingSet:
        if not coder:
            raise SuggestError("whose suggestions? name the coder (--coder NAME) to learn from "
                               "their codings, or choose --set consensus|all|NAME")
        return CodingSet("mine", (coder,), reason)

    if blind:
        if requested not in ("auto", "mine"):
            raise AccessDenied("blind coding is on, so suggestions learn only from your own "
                               "codings; another coder's codings would show through them")
        return mine("Learning from your own codings only: blind coding is on, so another "
                    "coder's work never shows through a suggestion.")
    if requested == "auto":
        if counts.get(CONSENSUS):
            requested = "consensus"
        elif coder and counts.get(coder):
            requested = "mine"
        else:
            requested = "all"
    if requested == "mine":
        return mine("Learning from your own codings.")
    if requested == "consensus":
        if not counts.get(CONSENSUS):
            raise SuggestError("there are no adjudicated (consensus) codings yet; adjudicate on "
                               "the Agreement page, or learn from --set mine|all")
        return CodingSet("consensus", (CONSENSUS,),
                         "Learning from the adjudicated (consensus) codings.")
    if requested == "all":
        names = tuple(sorted(n for n, k in counts.items() if k and n != CONSENSUS))
        return CodingSet("all", names, "Learning from every coder's codings, pooled"
                         + (f" ({', '.join(names)})." if names else "."))
    if requested in counts:
        return CodingSet("coder", (requested,), f"Learning from {requested}'s codings.")
    raise SuggestError(f"no coder or coding set {requested!r}; choose one of "
                       f"{', '.join(SET_CHOICES)} or a coder's name ({', '.join(sorted(counts)) or 'none yet'})")


@dataclass
class Units:
    """Sentence units of some documents, by document then position.

    ``turn`` numbers each sentence's turn across all loaded documents (so two sentences share a
    turn exactly when their numbers match); ``speaker`` is that turn's speaker ("" when none).
    """

    document_id: np.ndarray
    start: np.ndarray
    end: np.ndarray
    turn: np.ndarray
    text: list[str]
    speaker: list[str]
    names: dict[int, str] = field(default_factory=dict)  # document id → name

    def __len__(self) -> int:
        return len(self.text)

    def subset(self, mask: np.ndarray) -> Units:
        idx = np.flatnonzero(mask)
        return Units(self.document_id[idx], self.start[idx], self.end[idx], self.turn[idx],
                     [self.text[i] for i in idx], [self.speaker[i] for i in idx], self.names)

    def askers(self) -> np.ndarray:
        """Whether each sentence is spoken by its document's interviewer, taken to be the speaker
        whose sentences most often end in a question mark (names differ between transcripts)."""
        out = np.zeros(len(self.text), dtype=bool)
        asks: dict[tuple[int, str], list[int]] = {}
        for i, (doc, who, text) in enumerate(zip(self.document_id.tolist(), self.speaker, self.text)):
            if who:
                tally = asks.setdefault((doc, who), [0, 0])
                tally[0] += text.rstrip().endswith("?")
                tally[1] += 1
        best: dict[int, tuple[float, str]] = {}
        for (doc, who), (q, n) in asks.items():
            if q / n > best.get(doc, (0.0, ""))[0]:
                best[doc] = (q / n, who)
        for i, (doc, who) in enumerate(zip(self.document_id.tolist(), self.speaker)):
            out[i] = bool(who) and best.get(doc, (0.0, ""))[1] == who
        return out

    def neighbour_matrix(self, size: int | None = None):
        """A sparse ``size`` × ``size`` matrix (default: one row per unit) with a 1 where column
        j is the sentence just before or after sentence i in the same turn; rows past the units
        (extra training texts) are empty. ``matrix @ features`` sums each sentence's neighbours."""
        from scipy import sparse

        n = len(self.text)
        size = n if size is None else size
        same = np.flatnonzero(self.turn[1:] == self.turn[:-1]) if n > 1 else np.zeros(0, dtype=np.int64)
        rows = np.concatenate([same + 1, same])  # i+1 ← i (sentence before), i ← i+1 (after)
        cols = np.concatenate([same, same + 1])
        return sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(size, size))

    def neighbours(self) -> list[str]:
        """Each sentence's context: the sentence before and the one after it in its turn."""
        out = []
        n = len(self.text)
        for i in range(n):
            before = self.text[i - 1] if i > 0 and self.turn[i - 1] == self.turn[i] else ""
            after = self.text[i + 1] if i + 1 < n and self.turn[i + 1] == self.turn[i] else ""
            out.append(f"{before} {after}")
        return out


def load_units(session: Session, project_id: int, document_ids: list[int] | None = None) -> Units:
    """The sentence units of the project's documents (all, or ``document_ids``)."""
    q = select(Document.id, Document.name, Document.text).where(Document.project_id == project_id)
    if document_ids is not None:
        q = q.where(Document.id.in_(list(document_ids)))
    docs = session.execute(q.order_by(Document.id)).all()
    ids = [d.id for d in docs]
    sentences = session.execute(
        select(Sentence.document_id, Sentence.start, Sentence.end)
        .where(Sentence.document_id.in_(ids)).order_by(Sentence.document_id, Sentence.start)).all()
    turns = session.execute(
        select(Turn.document_id, Turn.start, Turn.speaker)
        .where(Turn.document_id.in_(ids)).order_by(Turn.document_id, Turn.start)).all()
    texts = {d.id: d.text for d in docs}
    sent = np.array([tuple(r[:3]) for r in sentences], dtype=np.int64).reshape(-1, 3)
    turn_doc = np.array([r[0] for r in turns], dtype=np.int64)
    turn_start = np.array([r[1] for r in turns], dtype=np.int64)
    # The turn of a sentence: the last turn of its document starting at or before it.
    key_turn = turn_doc * (1 << 32) + turn_start
    key_sent = sent[:, 0] * (1 << 32) + sent[:, 1]
    t = np.searchsorted(key_turn, key_sent, side="right") - 1
    valid = (t >= 0) & (turn_doc[np.clip(t, 0, None)] == sent[:, 0]) if len(turns) else \
        np.zeros(len(sent), dtype=bool)
    # A sentence outside every turn (a document without turns) is its own context group.
    turn = np.where(valid, t, -1 - np.arange(len(sent)))
    speakers = [(turns[k][2] or "") if ok else "" for k, ok in zip(t.tolist(), valid.tolist())]
    return Units(sent[:, 0], sent[:, 1], sent[:, 2], turn,
                 [texts[d][s:e] for d, s, e in sent.tolist()], speakers,
                 {d.id: d.name for d in docs})


@dataclass
class Labels:
    """Which sentence carries which code, for one coding set.

    ``y`` is units × codes (bool); ``code_ids`` names its columns. ``labelled`` marks the units
    of documents the set has coded (the only ones that teach or can be scored against).
    """

    code_ids: list[int]
    y: np.ndarray
    labelled: np.ndarray

    def examples(self) -> dict[int, int]:
        """Sentences per code among the labelled units."""
        counts = self.y[self.labelled].sum(axis=0)
        return {c: int(n) for c, n in zip(self.code_ids, counts)}


def coding_spans(session: Session, project_id: int, coders: tuple[str, ...],
                 document_ids: list[int] | None = None) -> np.ndarray:
    """(document id, code id, start, end) of every coding by ``coders`` that a person made
    (accepted suggestions are left out: a model fed its own guesses back learns nothing new and
    drifts), as an int array."""
    q = (select(Coding.document_id, Coding.code_id, Coding.start, Coding.end)
         .join(Coder, Coder.id == Coding.coder_id)
         .where(Coder.project_id == project_id, Coder.name.in_(list(coders)),
                Coding.provenance.is_(None)))
    if document_ids is not None:
        q = q.where(Coding.document_id.in_(list(document_ids)))
    return np.array([tuple(r) for r in session.execute(q)], dtype=np.int64).reshape(-1, 4)


def label_units(units: Units, spans: np.ndarray, code_ids: list[int]) -> Labels:
    """Label ``units`` with the codes of ``spans`` ((document, code, start, end) rows).

    A unit carries a code when a span of it overlaps the unit by a code point. Units of a
    document must be sorted and disjoint (stored sentences are).
    """
    column = {c: k for k, c in enumerate(code_ids)}
    y = np.zeros((len(units), len(code_ids)), dtype=bool)
    labelled = np.isin(units.document_id, np.unique(spans[:, 0])) if len(spans) else \
        np.zeros(len(units), dtype=bool)
    if len(spans) and len(units):
        span = int(max(units.end.max(), spans[:, 3].max())) + 1
        # Documents on one number line (as agreement's units): one searchsorted for all spans.
        start_key = units.document_id * span + units.start
        end_key = units.document_id * span + units.end
        lo = np.searchsorted(end_key, spans[:, 0] * span + spans[:, 2], side="right")
        hi = np.searchsorted(start_key, spans[:, 0] * span + spans[:, 3], side="left")
        for (_, code, _, _), a, b in zip(spans.tolist(), lo.tolist(), hi.tolist()):
            k = column.get(code)
            if k is not None and a < b:
                y[a:b, k] = True
    return Labels(list(code_ids), y, labelled)


@dataclass
class CodebookText:
    """A code's name and codebook fields: extra training text, and the keyword baseline's words."""

    code_id: int
    path: str
    name: str
    definition: str = ""
    use_when: str = ""
    example: str = ""

    @property
    def texts(self) -> list[str]:
        """The definition, use-when and example that are not empty (extra training text)."""
        return [t.strip() for t in (self.definition, self.use_when, self.example) if t and t.strip()]


def codebook_texts(session: Session, project_id: int) -> dict[int, CodebookText]:
    """Every code's path, name and codebook texts, by code id."""
    index = code_index(session, project_id)
    return {code.id: CodebookText(code.id, index.paths[code.id], code.name, code.definition or "",
                                  code.use_when or "", code.example or "")
            for _path, code in index.codes}
