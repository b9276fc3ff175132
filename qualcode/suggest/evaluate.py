"""How good the suggestions are, measured on the project itself, with the keyword baseline beside.

Leave-one-document-out: for each document the coding set has coded, a model is trained on the
other documents only, suggests codes for every sentence of the held-out one, and is compared
with the real codings there at the sentence unit (a sentence carries a code when a coding of it
overlaps the sentence; see :mod:`qualcode.suggest.corpus`). Counts are summed over all held-out
documents, then:

- micro precision, recall and F1 over every (sentence, code) pair;
- macro figures: the mean over the codes that occur in the held-out documents (a code the model
  could not learn — under five example sentences — counts with recall 0, as it gets no
  suggestions);
- the same for the keyword baseline (:mod:`qualcode.suggest.keywords`) on the same sentences, in
  the same run, at the keyword count that gives it its best micro-F1 (an optimistic baseline);
- precision, recall and F1 of the model at thresholds 0.1 … 0.9, to show what the default buys.

``folds=K`` deals the documents into K groups instead of one per document (faster on large
projects; said in the result).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from qualcode.store.db import Database, read_only
from qualcode.suggest.corpus import MIN_EXAMPLES, Labels, SuggestError
from qualcode.suggest.keywords import keyword_scores, keywords, lemmatizer_name
from qualcode.suggest.model import DEFAULT_THRESHOLD, train
from qualcode.suggest.service import training_data

CURVE = tuple(round(0.1 * k, 1) for k in range(1, 10))
KEYWORD_MATCHES = (1, 2, 3)


@dataclass
class Counts:
    """True positives, false positives and false negatives per code (arrays over codes)."""

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray

    @classmethod
    def of(cls, gold: np.ndarray, predicted: np.ndarray) -> Counts:
        return cls((gold & predicted).sum(0), (~gold & predicted).sum(0), (gold & ~predicted).sum(0))

    def micro(self) -> dict:
        return _prf(int(self.tp.sum()), int(self.fp.sum()), int(self.fn.sum()))

    def per_code(self, k: int) -> dict:
        return _prf(int(self.tp[k]), int(self.fp[k]), int(self.fn[k]))

    def macro(self, codes: np.ndarray) -> dict:
        """Mean precision, recall and F1 over the code columns ``codes``."""
        rows = [self.per_code(k) for k in codes]
        if not rows:
            return {"precision": None, "recall": None, "f1": None, "codes": 0}
        return {m: round(float(np.mean([r[m] for r in rows])), 4) for m in ("precision", "recall", "f1")} \
            | {"codes": len(rows)}


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


@dataclass
class Evaluation:
    """The result of :func:`evaluate` (``as_dict`` is the JSON of ``qualcode suggest evaluate``)."""

    coding_set: str
    engine: str
    threshold: float
    documents: int
    folds: int
    sentences: int
    model: dict
    baseline: dict
    per_code: list[dict] = field(default_factory=list)
    curve: list[dict] = field(default_factory=list)
    train_seconds: float = 0.0
    suggest_seconds: float = 0.0

    @property
    def ratio(self) -> float | None:
        """The model's micro-F1 over the baseline's (None when the baseline's is 0)."""
        base = self.baseline["micro"]["f1"]
        return round(self.model["micro"]["f1"] / base, 2) if base else None

    def as_dict(self) -> dict:
        return {"coding_set": self.coding_set, "engine": self.engine, "threshold": self.threshold,
                "documents": self.documents, "folds": self.folds, "sentences": self.sentences,
                "model": self.model, "baseline": self.baseline, "ratio": self.ratio,
                "train_seconds": round(self.train_seconds, 3),
                "suggest_seconds": round(self.suggest_seconds, 3),
                "curve": self.curve, "per_code": self.per_code}


def _folds(documents: list[int], names: dict[int, str], folds: int | None) -> list[list[int]]:
    ordered = sorted(documents, key=lambda d: names[d])
    if folds is None or folds >= len(ordered):
        return [[d] for d in ordered]
    if folds < 2:
        raise SuggestError("evaluation needs two or more folds")
    return [ordered[k::folds] for k in range(folds)]


@read_only
def evaluate(db: Database, *, coder: str | None = None, coding_set: str | None = None,
             engine: str = "linear", threshold: float | None = None, codebook: bool = True,
             folds: int | None = None, min_examples: int = MIN_EXAMPLES,
             viewer: str | None = None) -> Evaluation:
    """Leave-one-document-out evaluation of suggestions for ``coder`` (see the module docstring).

    ``coding_set``/``coder`` choose whose codings are learned and compared with (the rule of
    :func:`qualcode.suggest.corpus.resolve_coding_set`); ``threshold`` defaults to the engine's
    default; ``codebook``: the codebook's texts are extra training examples.
    """
    data = training_data(db, coder=coder, coding_set=coding_set, viewer=viewer)
    units, labels, book = data.units, data.labels, data.codebook
    threshold = DEFAULT_THRESHOLD[engine] if threshold is None else float(threshold)
    labelled_docs = sorted(set(units.document_id[labels.labelled].tolist()))
    if len(labelled_docs) < 2:
        raise SuggestError(f"{data.coding_set.statement} They cover {len(labelled_docs)} "
                           "document(s); leave-one-document-out needs two or more")
    groups = _folds(labelled_docs, units.names, folds)
    n_codes = len(labels.code_ids)
    scores = np.zeros((len(units), n_codes))
    column = {c: k for k, c in enumerate(labels.code_ids)}
    train_time = suggest_time = 0.0
    for group in groups:
        held = np.isin(units.document_id, group)
        fold_labels = Labels(labels.code_ids, labels.y, labels.labelled & ~held)
        model = train(units, fold_labels, engine=engine, codebook=book if codebook else None,
                      min_examples=min_examples)
        train_time += model.seconds
        started = time.perf_counter()
        if model.code_ids:
            cols = [column[c] for c in model.code_ids]
            scores[np.ix_(np.flatnonzero(held), cols)] = model.scores(units.subset(held))
        suggest_time += time.perf_counter() - started
    evaluated = labels.labelled
    gold = labels.y[evaluated]
    s = scores[evaluated]
    counts = Counts.of(gold, s >= threshold)
    present = np.flatnonzero(gold.sum(0) > 0)

    texts = [book[c] for c in labels.code_ids]
    kw = keyword_scores(units.subset(evaluated), texts, [keywords(t) for t in texts])
    best = max(KEYWORD_MATCHES, key=lambda m: Counts.of(gold, kw >= m).micro()["f1"])
    base = Counts.of(gold, kw >= best)

    examples = labels.examples()
    per_code = []
    for k in np.flatnonzero((gold.sum(0) > 0) | (counts.fp > 0) | (base.fp > 0)):
        code = labels.code_ids[k]
        per_code.append({"code": book[code].path, "sentences": int(gold[:, k].sum()),
                         "examples": examples.get(code, 0),
                         "learned": examples.get(code, 0) >= min_examples,
                         "model": counts.per_code(k), "baseline": base.per_code(k)})
    curve = [{"threshold": t, **Counts.of(gold, s >= t).micro()} for t in CURVE]
    for row in curve:
        for key in ("tp", "fp", "fn"):
            row.pop(key)
    return Evaluation(
        coding_set=data.coding_set.statement, engine=engine, threshold=threshold,
        documents=len(labelled_docs), folds=len(groups), sentences=int(evaluated.sum()),
        model={"micro": counts.micro(), "macro": counts.macro(present),
               "codebook_text": bool(codebook)},
        baseline={"micro": base.micro(), "macro": base.macro(present), "min_matches": best,
                  "lemmatizer": lemmatizer_name()},
        per_code=per_code, curve=curve, train_seconds=train_time / len(groups),
        suggest_seconds=suggest_time / len(groups),
    )
