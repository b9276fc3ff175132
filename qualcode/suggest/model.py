"""Sentence-level multi-label classifiers trained from a project's own codings, on this machine.

Two engines, measured against each other by ``qualcode suggest evaluate`` and ``bench/suggest_bench.py``
(README, "Code suggestions"):

- ``linear`` (the default): scikit-learn. Each sentence is TF-IDF word 1–2-grams and character
  3–5-grams (``char_wb``) of its own text, plus word n-grams of its neighbours in the same turn
  (down-weighted: a coded passage usually runs over several sentences) and two flags (spoken
  by the interviewer; a question); one logistic regression per code (``SGDClassifier``, log
  loss, balanced class weights) on its positive sentences and a sample of the negative ones.
- ``spacy``: spaCy's ``textcat_multilabel`` on a blank English pipeline (the bag-of-words
  architecture, word 1–2-grams; no vectors, nothing downloaded), trained on the sentence with
  its neighbours' words appended as separate ``ctx_`` tokens.

Both learn only codes with at least :data:`~qualcode.suggest.corpus.MIN_EXAMPLES` example
sentences; the codebook's definition, use-when and example of a code can be added as extra
examples of it (``codebook=True``). A model is plain memory, never written anywhere: training
takes seconds, so it is rebuilt from the current codings when they change.
"""

from __future__ import annotations

import random
import re
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from qualcode.suggest.corpus import MIN_EXAMPLES, CodebookText, Labels, SuggestError, Units

ENGINES = ("linear", "spacy")
#: How much of a sentence's score may come from its neighbours in the turn and from the whole
#: turn, when coded passages run over whole turns; a model uses these times the share of coded
#: sentences' neighbours that carry the same code in its training data (:func:`cohesion`).
SMOOTHING = {"neighbours": 0.5, "turn": 0.25}
#: Default score threshold per engine: the lowest at which precision stayed ≥ 0.6 in
#: leave-one-document-out evaluation of the sample project (README, "Code suggestions").
DEFAULT_THRESHOLD = {"linear": 0.4, "spacy": 0.4}
_WORDS = re.compile(r"\w+")
#: Weight of the neighbouring sentences' words against the sentence's own.
CONTEXT_WEIGHT = 0.7
#: Passes over the training sentences per code (stochastic gradient descent), and its options.
EPOCHS = 30
SGD = {"loss": "log_loss", "alpha": 1e-4, "class_weight": "balanced"}
#: Each code learns from all its positive sentences and at most this many negative ones per
#: positive (at least :data:`MIN_NEGATIVES`), sampled; class weights are balanced either way,
#: so the sample changes training time far more than the model.
NEGATIVES_PER_POSITIVE = 12
MIN_NEGATIVES = 2000


@dataclass
class Model:
    """A trained suggestion model: scores sentence units for the codes it learned."""

    engine: str
    code_ids: list[int]  # the codes it learned (columns of :meth:`scores`)
    examples: dict[int, int]  # example sentences per code, learned or not
    seconds: float  # training time
    units: int  # sentences it learned from
    codebook_text: bool
    cohesion: float = 0.0  # how often a coded sentence's neighbours carry its code (0–1)
    _impl: object = field(repr=False, default=None)

    @property
    def skipped(self) -> dict[int, int]:
        """Codes with too few example sentences to learn (code id → examples)."""
        learned = set(self.code_ids)
        return {c: n for c, n in self.examples.items() if c not in learned and n > 0}

    def scores(self, units: Units) -> np.ndarray:
        """units × learned codes, each a score in [0, 1] (see :func:`smooth`)."""
        if not len(units) or not self.code_ids:
            return np.zeros((len(units), len(self.code_ids)))
        return smooth(units, self._impl.scores(units), self.cohesion)


def cohesion(units: Units, y: np.ndarray) -> float:
    """The share of coded sentences' neighbours (in the same turn) that carry the same code.

    Near 1 when coders code long passages, near 0 when they code single sentences: it decides
    how much a sentence's neighbours may lift or lower its score (:func:`smooth`)."""
    if not y.size:
        return 0.0
    near = units.neighbour_matrix()
    yf = y.astype(np.float32)
    together = float(((near @ yf) * yf).sum())
    pairs = float((np.asarray(near.sum(axis=1)).ravel()[:, None] * yf).sum())
    return together / pairs if pairs else 0.0


def smooth(units: Units, raw: np.ndarray, weight: float = 1.0) -> np.ndarray:
    """Blend each sentence's score with its neighbours' and its turn's (:data:`SMOOTHING` times
    ``weight``, the training data's :func:`cohesion`).

    Coders code passages, not sentences: a short sentence inside a coded passage ("There
    isn't.") says little by itself, and a lone sentence that looks like a code among unrelated
    ones is less likely to carry it. A sentence without neighbours keeps its own score there.
    """
    neighbours = units.neighbour_matrix()
    degree = np.asarray(neighbours.sum(axis=1)).ravel()
    near = np.where(degree[:, None] > 0, (neighbours @ raw) / np.maximum(degree, 1)[:, None], raw)
    _, turn = np.unique(units.turn, return_inverse=True)
    size = np.bincount(turn).astype(float)
    turn_mean = np.stack([np.bincount(turn, weights=raw[:, k]) for k in range(raw.shape[1])], axis=1)
    turn_mean = turn_mean[turn] / size[turn, None]
    a, b = SMOOTHING["neighbours"] * weight, SMOOTHING["turn"] * weight
    return (1 - a - b) * raw + a * near + b * turn_mean


def trainable(labels: Labels, min_examples: int = MIN_EXAMPLES) -> list[int]:
    """The codes with at least ``min_examples`` example sentences."""
    return [c for c, n in labels.examples().items() if n >= min_examples]


def train(units: Units, labels: Labels, *, engine: str = "linear",
          codebook: dict[int, CodebookText] | None = None, min_examples: int = MIN_EXAMPLES,
          seed: int = 0) -> Model:
    """Learn the codes of ``labels`` (those with enough examples) from the labelled ``units``.

    ``codebook``: code id → its codebook texts, added as extra examples of the code (None: not).
    """
    if engine not in ENGINES:
        raise SuggestError(f"unknown engine {engine!r}; choose {' or '.join(ENGINES)}")
    started = time.perf_counter()
    codes = trainable(labels, min_examples)
    keep = labels.labelled
    train_units = units.subset(keep)
    y = labels.y[keep][:, [labels.code_ids.index(c) for c in codes]]
    extra = []
    if codebook:
        for k, c in enumerate(codes):
            for text in codebook[c].texts if c in codebook else ():
                extra.append((text, k))
    impl = None
    if codes:
        impl = (_Linear if engine == "linear" else _Spacy)(train_units, y, extra, seed)
    return Model(engine, codes, labels.examples(), time.perf_counter() - started, len(train_units),
                 bool(codebook), cohesion(train_units, y), impl)


# -- scikit-learn --------------------------------------------------------------------------------


class _Linear:
    """TF-IDF word + char n-grams (sentence), word n-grams (neighbours), role flags → one
    logistic regression per code."""

    def __init__(self, units: Units, y: np.ndarray, extra: list[tuple[str, int]], seed: int):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import SGDClassifier

        texts = units.text + [t for t, _ in extra]
        self.words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, dtype=np.float32)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                     min_df=2, dtype=np.float32)
        x = self._features(texts, units.neighbour_matrix(len(texts)),
                           np.concatenate([units.askers(), np.zeros(len(extra), dtype=bool)]),
                           fit=True)
        full_y = np.zeros((len(texts), y.shape[1]), dtype=bool)
        full_y[: len(units)] = y
        for i, (_, k) in enumerate(extra):
            full_y[len(units) + i, k] = True
        rng = np.random.default_rng(seed)
        coef = np.zeros((x.shape[1], full_y.shape[1]), dtype=np.float32)
        self.intercept = np.zeros(full_y.shape[1], dtype=np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notes on tiny codes say nothing useful
            for k in range(full_y.shape[1]):
                rows = self._sample(full_y[:, k], rng)
                clf = SGDClassifier(**SGD, max_iter=EPOCHS, tol=None, random_state=seed)
                clf.fit(x[rows], full_y[rows, k])
                coef[:, k] = clf.coef_[0]
                self.intercept[k] = clf.intercept_[0]
        # One matrix for all codes: scoring is a single sparse product.
        self.coef = coef

    @staticmethod
    def _sample(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """All positive rows and a sample of the negative ones (see NEGATIVES_PER_POSITIVE)."""
        positive = np.flatnonzero(y)
        negative = np.flatnonzero(~y)
        keep = max(MIN_NEGATIVES, NEGATIVES_PER_POSITIVE * len(positive))
        if len(negative) > keep:
            negative = rng.choice(negative, keep, replace=False)
        return np.sort(np.concatenate([positive, negative]))

    def _features(self, texts, neighbours, askers, fit: bool = False):
        """Sentence words and characters, the neighbours' words (summed from the sentences' own
        rows, ``neighbours @ words``, so no text is read twice), and two role flags: spoken by
        the interviewer, ends in a question mark."""
        from scipy import sparse
        from sklearn.preprocessing import normalize

        role = np.column_stack([askers, [t.rstrip().endswith("?") for t in texts]]).astype(np.float32)
        words = self.words.fit_transform(texts) if fit else self.words.transform(texts)
        chars = self.chars.fit_transform(texts) if fit else self.chars.transform(texts)
        context = normalize(neighbours @ words)
        return sparse.hstack([words, chars, CONTEXT_WEIGHT * context, sparse.csr_matrix(role)]).tocsr()

    def scores(self, units: Units) -> np.ndarray:
        x = self._features(units.text, units.neighbour_matrix(), units.askers())
        z = np.asarray(x @ self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


# -- spaCy ---------------------------------------------------------------------------------------


class _Spacy:
    """spaCy ``textcat_multilabel`` (bag-of-words, word 1–2-grams) on a blank English pipeline."""

    EPOCHS = 12

    def __init__(self, units: Units, y: np.ndarray, extra: list[tuple[str, int]], seed: int):
        import spacy
        from spacy.training import Example
        from spacy.util import fix_random_seed, minibatch

        fix_random_seed(seed)
        self.nlp = spacy.blank("en")
        textcat = self.nlp.add_pipe("textcat_multilabel", config={"model": {
            "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2,
            "no_output_layer": False, "length": 262144}})
        self.labels = [str(k) for k in range(y.shape[1])]
        for label in self.labels:
            textcat.add_label(label)
        texts = self._texts(units) + [t for t, _ in extra]
        cats = [{label: float(v) for label, v in zip(self.labels, row)} for row in y]
        cats += [{label: float(str(k) == label) for label in self.labels} for _, k in extra]
        examples = [Example.from_dict(doc, {"cats": c})
                    for doc, c in zip(self.nlp.tokenizer.pipe(texts), cats)]
        optimizer = self.nlp.initialize(lambda: examples)
        rng = random.Random(seed)
        for _ in range(self.EPOCHS):
            rng.shuffle(examples)
            for batch in minibatch(examples, size=64):
                self.nlp.update(batch, sgd=optimizer, drop=0.0)

    @staticmethod
    def _texts(units: Units) -> list[str]:
        """The sentence, then its neighbours' words marked ``ctx_``, so the bag of words keeps
        the sentence's own words apart from its context's (as the linear model's blocks do)."""
        return [s + " " + " ".join("ctx_" + w.lower() for w in _WORDS.findall(n))
                for s, n in zip(units.text, units.neighbours())]

    def scores(self, units: Units) -> np.ndarray:
        out = np.zeros((len(units), len(self.labels)))
        for i, doc in enumerate(self.nlp.pipe(self._texts(units), batch_size=256)):
            out[i] = [doc.cats[label] for label in self.labels]
        return out
