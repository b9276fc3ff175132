"""Suggestions in use: for a document, accepted, rejected, taken back, and "find similar".

Nothing here stores a coding unless a person accepts it: :func:`suggest` only reads. An
accepted suggestion (:func:`accept`, :func:`accept_many`, :func:`accept_all`) becomes the coder's
own coding with provenance ``suggested`` (kept in the change log and the REFI-QDA export),
recorded as one action in the coder's undo history. A rejection (:func:`reject`) is stored per
coder, code and passage and that suggestion never comes back; :func:`undo` takes back the
coder's latest action, a rejection included.

Models and the similarity index live in this process's memory, keyed by what they were built
from (the coding set's codings, the codebook, the documents), so a new coding or a changed
definition trains a fresh model on the next request and nothing stale is ever shown.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from qualcode.coding import undo as history
from qualcode.coding.undo import Edit, coding_snapshot
from qualcode.project.codes import code_index, find_code
from qualcode.project.codings import CodingError, add_coding_in, coder_row
from qualcode.project.documents import find_document
from qualcode.store.db import Database, read_only, retrying
from qualcode.store.models import (
    Coder,
    Coding,
    Document,
    EditHistory,
    Sentence,
    SuggestionRejection,
)
from qualcode.suggest.corpus import (
    MIN_EXAMPLES,
    CodebookText,
    CodingSet,
    Labels,
    SuggestError,
    Units,
    coding_spans,
    codebook_texts,
    label_units,
    load_units,
    resolve_coding_set,
)
from qualcode.suggest.model import DEFAULT_THRESHOLD, Model, train
from qualcode.team.access import AccessDenied, check_coding_owner, reader, visibility
from qualcode.team.changelog import log

#: Models and indexes kept in memory (least recently used dropped first).
CACHE_SIZE = 6
#: How many similar sentences "find similar" lists by default.
SIMILAR = 15

_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()  # guards _cache and _building, never held while training
_building: dict = {}  # key → the lock of the one thread building it


def _cached(key, build):
    """The cached value for ``key``, built once when missing: two sessions asking for the same
    model wait for one training; other models are served meanwhile."""
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        building = _building.setdefault(key, threading.Lock())
    with building:
        with _lock:
            if key in _cache:
                return _cache[key]
        value = build()
        with _lock:
            _cache[key] = value
            _building.pop(key, None)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return value


def clear_cache() -> None:
    """Forget every model and index (tests, benchmarks; the next request rebuilds)."""
    with _lock:
        _cache.clear()


# -- whose codings, and the model -----------------------------------------------------------------


def _check_reader(session: Session, pid: int, coder: str | None, viewer: str | None) -> None:
    """``viewer`` may read the project and, under blind coding, asks only for themselves."""
    seen = visibility(session, pid, viewer)
    if not seen.everything and coder != viewer:
        raise AccessDenied("blind coding is on, so suggestions are shown only to the coder they "
                           "are learned for; ask as yourself")


@dataclass
class TrainingData:
    """What a model learns from: the coding set, its labelled sentence units, the codebook."""

    coding_set: CodingSet
    units: Units
    labels: Labels
    codebook: dict[int, CodebookText]


@read_only
def training_data(db: Database, *, coder: str | None, coding_set: str | None = None,
                  viewer: str | None = None) -> TrainingData:
    """The sentence units of the whole project labelled by the coding set chosen for ``coder``."""
    with db.session() as s:
        pid = db.project_id(s)
        _check_reader(s, pid, coder, viewer)
        chosen = resolve_coding_set(s, pid, coder, coding_set)
        book = codebook_texts(s, pid)
        spans = coding_spans(s, pid, chosen.coders)
        units = load_units(s, pid)
    return TrainingData(chosen, units, label_units(units, spans, list(book)), book)


def _fingerprint(session: Session, pid: int, chosen: CodingSet) -> str:
    """A digest of everything a model learns from: the set's codings, the codebook and the
    documents they lie in (a replaced document has a new content hash)."""
    digest = hashlib.blake2b(digest_size=16)
    spans = coding_spans(session, pid, chosen.coders)
    digest.update(np.ascontiguousarray(spans[np.lexsort(spans.T[::-1])]).tobytes() if len(spans) else b"")
    for c in codebook_texts(session, pid).values():
        digest.update(repr((c.code_id, c.path, c.definition, c.use_when, c.example)).encode())
    docs = np.unique(spans[:, 0]).tolist() if len(spans) else []
    for row in session.execute(select(Document.id, Document.content_hash)
                               .where(Document.id.in_(docs)).order_by(Document.id)):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@dataclass
class Trained:
    """A model with the coding set it learned from and the code paths of its columns."""

    model: Model
    coding_set: CodingSet
    paths: dict[int, str]


@read_only
def model_for(db: Database, coder: str | None, *, coding_set: str | None = None,
              engine: str = "linear", codebook: bool = True, viewer: str | None = None) -> Trained:
    """The model for ``coder``'s suggestions, trained now or taken from memory."""
    with db.session() as s:
        pid = db.project_id(s)
        _check_reader(s, pid, coder, viewer)
        chosen = resolve_coding_set(s, pid, coder, coding_set)
        key = ("model", db.url, pid, chosen.coders, engine, codebook, _fingerprint(s, pid, chosen))
        paths = dict(code_index(s, pid).paths)

    def build() -> Model:
        data = training_data(db, coder=coder, coding_set=coding_set, viewer=viewer)
        return train(data.units, data.labels, engine=engine,
                     codebook=data.codebook if codebook else None)

    return Trained(_cached(key, build), chosen, paths)


# -- suggestions for a document -------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """One code suggested for one sentence (code-point offsets, end exclusive)."""

    start: int
    end: int
    code_id: int
    code: str  # path
    colour: str | None
    score: float

    @property
    def key(self) -> str:
        """A stable name for the suggestion (the page and the browser refer to it by this)."""
        return f"{self.start}-{self.end}-{self.code_id}"

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "code": self.code, "score": round(self.score, 4)}


@dataclass
class Suggestions:
    """The suggestions for one document and what the coder should know about them."""

    document: str
    coding_set: CodingSet
    threshold: float
    items: list[Suggestion]
    learned: dict[str, int]  # code path → example sentences, for the codes that get suggestions
    too_few: dict[str, int]  # code path → example sentences (< MIN_EXAMPLES), no suggestions
    engine: str
    train_seconds: float

    def why_not(self) -> list[str]:
        """One sentence per used code that gets no suggestions, saying why."""
        return [f"{path}: {n} example sentence{'s' if n != 1 else ''} (needs {MIN_EXAMPLES})"
                for path, n in sorted(self.too_few.items())]


def _excluded(s: Session, pid: int, doc_id: int, coder: str | None) -> tuple[set, np.ndarray]:
    """The coder's rejections on a document ((code, start, end)) and their codings there
    ((code, start, end) rows), which no suggestion may repeat."""
    cid = s.scalar(select(Coder.id).where(Coder.name == coder, Coder.project_id == pid)) if coder else None
    if cid is None:
        return set(), np.zeros((0, 3), dtype=np.int64)
    rejected = set(s.execute(select(SuggestionRejection.code_id, SuggestionRejection.start,
                                    SuggestionRejection.end)
                             .where(SuggestionRejection.document_id == doc_id,
                                    SuggestionRejection.coder_id == cid)).all())
    coded = np.array([tuple(r) for r in s.execute(
        select(Coding.code_id, Coding.start, Coding.end)
        .where(Coding.document_id == doc_id, Coding.coder_id == cid))], dtype=np.int64).reshape(-1, 3)
    return rejected, coded


@read_only
def suggest(db: Database, document: int | str, coder: str | None, *, coding_set: str | None = None,
            threshold: float | None = None, engine: str = "linear", codebook: bool = True,
            viewer: str | None = None) -> Suggestions:
    """Codes suggested for the sentences of ``document`` (nothing is stored).

    A sentence gets a code when the model scores it at or above ``threshold`` (the engine's
    default when None), unless ``coder`` already has a coding of that code overlapping the
    sentence or rejected that code for that sentence.
    """
    trained = model_for(db, coder, coding_set=coding_set, engine=engine, codebook=codebook,
                        viewer=viewer)
    model = trained.model
    threshold = DEFAULT_THRESHOLD[engine] if threshold is None else float(threshold)
    with db.session() as s:
        pid = db.project_id(s)
        doc = find_document(s, pid, document)
        units = load_units(s, pid, [doc.id])
        rejected, coded = _excluded(s, pid, doc.id, coder)
        colours = {c.id: c.colour for _p, c in code_index(s, pid).codes}
        name = doc.name
    scores = model.scores(units)
    items = []
    rows, cols = np.nonzero(scores >= threshold)
    for i, k in zip(rows.tolist(), cols.tolist()):
        code = model.code_ids[k]
        start, end = int(units.start[i]), int(units.end[i])
        if (code, start, end) in rejected:
            continue
        mine = coded[coded[:, 0] == code]
        if len(mine) and ((mine[:, 1] < end) & (mine[:, 2] > start)).any():
            continue
        items.append(Suggestion(start, end, code, trained.paths[code], colours.get(code),
                                float(scores[i, k])))
    items.sort(key=lambda x: (x.start, -x.score, x.code))
    return Suggestions(name, trained.coding_set, threshold, items,
                       {trained.paths[c]: model.examples[c] for c in model.code_ids},
                       {trained.paths[c]: n for c, n in model.skipped.items() if c in trained.paths},
                       model.engine, model.seconds)


# -- accepting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """A coding made by accepting a suggestion (``created`` False: the coder had it already)."""

    coding_id: int
    document: str
    code: str
    start: int
    end: int
    created: bool


def _accept_in(s: Session, pid: int, edit: Edit, doc: Document, code, coder: str, start: int,
               end: int, actor: str | None) -> Accepted:
    coding, created = add_coding_in(s, pid, doc, code, coder, start=start, end=end, actor=actor,
                                    provenance="suggested")
    if created:
        # undo.coding_snapshot carries no provenance, so it is a second operation: undo sets it
        # back and deletes the coding, redo re-creates the coding and marks it suggested again.
        edit.note({"op": "create_coding", "row": coding_snapshot(s, coding)})
        edit.note({"op": "update_coding", "guid": coding.guid, "before": {"provenance": None},
                   "after": {"provenance": "suggested"}})
    return Accepted(coding.id, doc.name, code_index(s, pid).paths[coding.code_id], coding.start,
                    coding.end, created)


def _short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@retrying
def accept(db: Database, document: int | str, code: int | str, coder: str, start: int, end: int, *,
           actor: str | None = None) -> Accepted:
    """Accept one suggestion: ``coder`` codes ``document[start:end]`` with ``code``, provenance
    ``suggested``, as one undoable action."""
    return accept_many(db, [(document, start, end)], code, coder, actor=actor)[0]


@retrying
def accept_many(db: Database, passages: list[tuple[int | str, int, int]], code: int | str,
                coder: str, *, actor: str | None = None) -> list[Accepted]:
    """Accept several suggestions of one code at once ((document, start, end) passages, e.g.
    from "find similar"): one transaction and one undoable action."""
    if not passages:
        raise SuggestError("nothing to accept: choose at least one suggestion")
    with db.session() as s:
        pid = db.project_id(s)
        try:
            code_row = find_code(s, pid, code)
        except LookupError as exc:
            raise CodingError(str(exc.args[0])) from exc
        edit = Edit(s, pid, actor=(actor or coder).strip(), kind="accept suggestion")
        docs: dict = {}
        out = []
        for document, start, end in passages:
            if document not in docs:
                try:
                    docs[document] = find_document(s, pid, document)
                except LookupError as exc:
                    raise CodingError(str(exc.args[0])) from exc
            out.append(_accept_in(s, pid, edit, docs[document], code_row, coder, start, end, actor))
        path = code_index(s, pid).paths[code_row.id]
        first = docs[passages[0][0]].text[passages[0][1]:passages[0][2]]
        edit.finish(f"accept suggested {path} on “{_short(first)}”" if len(out) == 1 else
                    f"accept {len(out)} suggestions of {path}")
        return out


@retrying
def accept_all(db: Database, document: int | str, code: int | str, coder: str, *,
               threshold: float | None = None, coding_set: str | None = None,
               engine: str = "linear", actor: str | None = None) -> list[Accepted]:
    """Accept every suggestion of ``code`` on ``document`` scoring at or above ``threshold``."""
    shown = suggest(db, document, coder, coding_set=coding_set, threshold=threshold, engine=engine,
                    viewer=actor or coder)
    with db.session() as s:
        wanted = find_code(s, db.project_id(s), code).id
    chosen = [(document, x.start, x.end) for x in shown.items if x.code_id == wanted]
    if not chosen:
        return []
    return accept_many(db, chosen, wanted, coder, actor=actor)


# -- rejecting, and taking actions back ----------------------------------------------------------


@retrying
def reject(db: Database, document: int | str, code: int | str, coder: str, start: int, end: int, *,
           score: float | None = None, actor: str | None = None) -> bool:
    """Remember that ``coder`` turned down ``code`` for ``document[start:end]``; it is never
    suggested to them there again. Returns False when it was rejected already."""
    with db.session() as s:
        pid = db.project_id(s)
        check_coding_owner(s, pid, actor or coder, coder)
        try:
            doc = find_document(s, pid, document)
            code_row = find_code(s, pid, code)
        except LookupError as exc:
            raise CodingError(str(exc.args[0])) from exc
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(doc.text)):
            raise CodingError(f"offsets {start}-{end} are not a passage of {doc.name!r}")
        who = coder_row(s, pid, coder)
        if s.scalar(select(SuggestionRejection.id).where(
                SuggestionRejection.document_id == doc.id, SuggestionRejection.code_id == code_row.id,
                SuggestionRejection.coder_id == who.id, SuggestionRejection.start == start,
                SuggestionRejection.end == end)) is not None:
            return False
        row = SuggestionRejection(document_id=doc.id, code_id=code_row.id, coder_id=who.id,
                                  start=start, end=end, score=score)
        s.add(row)
        s.flush()
        log(s, project_id=pid, actor=actor or coder, action="reject_suggestion", entity="coding",
            document=doc.name, code=code_index(s, pid).paths[code_row.id], coder=coder,
            start=start, end=end, score=score)
        return True


def _latest(s: Session, pid: int, coder: str) -> tuple[SuggestionRejection | None, EditHistory | None]:
    """The coder's newest rejection and their newest action that undo would take back."""
    rejection = s.scalar(select(SuggestionRejection).join(Coder, Coder.id == SuggestionRejection.coder_id)
                         .where(Coder.project_id == pid, Coder.name == coder)
                         .order_by(SuggestionRejection.at.desc(), SuggestionRejection.id.desc()).limit(1))
    action = s.scalar(select(EditHistory).where(EditHistory.project_id == pid, EditHistory.actor == coder,
                                                EditHistory.undone.is_(False))
                      .order_by(EditHistory.seq.desc()).limit(1))
    return rejection, action


def _rejection_text(s: Session, pid: int, r: SuggestionRejection) -> str:
    doc = s.get(Document, r.document_id)
    return f"reject {code_index(s, pid).paths.get(r.code_id)} on “{_short(doc.text[r.start:r.end])}”"


@read_only
def peek(db: Database, coder: str) -> dict:
    """What :func:`undo` and ``qualcode.coding.undo.redo`` would do next, in one transaction:
    ``{"undo": description | None, "redo": description | None}`` (the workspace's buttons)."""
    with db.session() as s:
        pid = db.project_id(s)
        reader(s, pid, coder)  # one's own history, read like any other read
        rejection, action = _latest(s, pid, coder)
        redo = s.scalar(select(EditHistory.description).where(
            EditHistory.project_id == pid, EditHistory.actor == coder, EditHistory.undone.is_(True))
            .order_by(EditHistory.seq.asc()).limit(1))
        if rejection is not None and (action is None or rejection.at >= action.at):
            return {"undo": _rejection_text(s, pid, rejection), "redo": redo}
        return {"undo": action.description if action is not None else None, "redo": redo}


def peek_undo(db: Database, coder: str) -> str | None:
    """What :func:`undo` would take back next (None: nothing)."""
    return peek(db, coder)["undo"]


@retrying
def undo(db: Database, coder: str) -> str | None:
    """Take back ``coder``'s latest action: a rejection (the suggestion comes back) or, as
    ``qualcode.coding.undo.undo``, their latest coding action (an accepted suggestion goes).
    Returns "Undid: …", or None when there is nothing to undo."""
    with db.session() as s:
        pid = db.project_id(s)
        rejection, action = _latest(s, pid, coder)
        if rejection is not None and (action is None or rejection.at >= action.at):
            text = _rejection_text(s, pid, rejection)
            doc = s.get(Document, rejection.document_id)
            log(s, project_id=pid, actor=coder, action="restore_suggestion", entity="coding",
                document=doc.name, code=code_index(s, pid).paths.get(rejection.code_id),
                coder=coder, start=rejection.start, end=rejection.end)
            s.execute(delete(SuggestionRejection).where(SuggestionRejection.id == rejection.id))
            return f"Undid: {text}"
    return history.undo(db, coder)


@read_only
def rejections(db: Database, coder: str, *, document: int | str | None = None) -> list[dict]:
    """The coder's rejected suggestions (document, code, start, end, at), newest first.

    The coder reads their own (with accounts an active member: ``access.reader``)."""
    with db.session() as s:
        pid = db.project_id(s)
        reader(s, pid, coder)
        paths = code_index(s, pid).paths
        q = (select(SuggestionRejection, Document.name).join(Document, Document.id == SuggestionRejection.document_id)
             .join(Coder, Coder.id == SuggestionRejection.coder_id)
             .where(Coder.project_id == pid, Coder.name == coder)
             .order_by(SuggestionRejection.at.desc(), SuggestionRejection.id.desc()))
        if document is not None:
            q = q.where(Document.id == find_document(s, pid, document).id)
        return [{"document": name, "code": paths.get(r.code_id), "start": r.start, "end": r.end,
                 "at": r.at} for r, name in s.execute(q)]


# -- find similar ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Similar:
    """A sentence like a coding's text, not yet coded with its code by the coder."""

    document: str
    start: int
    end: int
    text: str
    score: float


class _Index:
    """TF-IDF word 1–2-grams and character 3–5-grams of every sentence, L2-normalised, so a dot
    product is a cosine similarity."""

    def __init__(self, units: Units):
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.units = units
        self.words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                     min_df=2, dtype=np.float32)
        self._hstack = sparse.hstack
        self.matrix = self._vectors(units.text, fit=True)

    def _vectors(self, texts: list[str], fit: bool = False):
        from sklearn.preprocessing import normalize

        if fit:
            parts = [self.words.fit_transform(texts), self.chars.fit_transform(texts)]
        else:
            parts = [self.words.transform(texts), self.chars.transform(texts)]
        return normalize(self._hstack(parts).tocsr())

    def query(self, text: str) -> np.ndarray:
        return np.asarray((self.matrix @ self._vectors([text]).T).todense()).ravel()


def _index(db: Database, s: Session, pid: int) -> _Index:
    digest = hashlib.blake2b(digest_size=16)
    for row in s.execute(select(Document.id, Document.content_hash, func.count(Sentence.id))
                         .join(Sentence, Sentence.document_id == Document.id, isouter=True)
                         .where(Document.project_id == pid).group_by(Document.id, Document.content_hash)
                         .order_by(Document.id)):
        digest.update(repr(tuple(row)).encode())
    return _cached(("index", db.url, pid, digest.hexdigest()), lambda: _Index(load_units(s, pid)))


@read_only
def find_similar(db: Database, coding_id: int, coder: str, *, limit: int = SIMILAR,
                 viewer: str | None = None) -> tuple[str, list[Similar]]:
    """The sentences across the project most like coding ``coding_id``'s text that ``coder``
    has not coded with its code (nor rejected for it); returns (code path, similar sentences),
    most similar first. ``viewer`` must be allowed to see the coding."""
    with db.session() as s:
        pid = db.project_id(s)
        coding = s.get(Coding, coding_id) if isinstance(coding_id, int) else None
        if coding is None or s.get(Document, coding.document_id).project_id != pid or \
                not visibility(s, pid, viewer).sees(coding.document_id, coding.coder_id):
            raise SuggestError(f"no coding with id {coding_id} that you may see; reload the document")
        code_id, quote = coding.code_id, coding.quote
        index = _index(db, s, pid)
        cid = s.scalar(select(Coder.id).where(Coder.project_id == pid, Coder.name == coder))
        taken = [(coding.document_id, coding.start, coding.end)]
        if cid is not None:
            taken += s.execute(select(Coding.document_id, Coding.start, Coding.end)
                               .where(Coding.code_id == code_id, Coding.coder_id == cid)).all()
        rejected = set(s.execute(select(SuggestionRejection.document_id, SuggestionRejection.start,
                                        SuggestionRejection.end)
                                 .where(SuggestionRejection.code_id == code_id,
                                        SuggestionRejection.coder_id == cid)).all()) if cid else set()
        path = code_index(s, pid).paths[code_id]
    units = index.units
    scores = index.query(quote)
    # Sentences overlapping a coding of this code (by the coder, or the coding itself) are done.
    covered = np.zeros(len(units), dtype=bool)
    for doc, start, end in taken:
        covered |= (units.document_id == doc) & (units.start < end) & (units.end > start)
    out = []
    for i in np.argsort(-scores, kind="stable"):
        if scores[i] <= 0 or len(out) >= limit:
            break
        key = (int(units.document_id[i]), int(units.start[i]), int(units.end[i]))
        if covered[i] or key in rejected:
            continue
        out.append(Similar(units.names[key[0]], key[1], key[2], units.text[i], float(scores[i])))
    return path, out
