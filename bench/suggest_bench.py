"""Code suggestions benchmark: quality against the keyword baseline, and speed, in one run.

    python bench/suggest_bench.py                 # everything below (about 10–20 minutes on 2 cores)
    python bench/suggest_bench.py --quick         # smaller generated projects, a first look

Measured, each with its baseline measured in the same run:

* **quality on the sample project** (12 interviews, coder ``ana``'s codings): leave-one-document-out
  micro/macro precision, recall and F1 of the learned model (scikit-learn, and spaCy's
  ``textcat_multilabel``) against the keyword baseline (``qualcode suggest evaluate``);
* **quality on a generated larger project** (``--documents`` interviews; documents dealt into
  ``--folds`` groups, each held out in turn): the same figures;
* **training time** for a generated project with ``--coded`` (10,000) coded sentences, for both
  engines, with the time to read and featurise the same sentences (the part no model can skip)
  as the baseline;
* **suggesting for a 30,000-word document** with the trained model (the model is in memory, as in
  the app), against keyword scoring of the same document.

The generated projects (:func:`generate`) are written with ``qualcode.analysis.synthetic.build``.
Their text is *made up*, but its statistics come from the sample project: each word of a
sentence is a function word (stop word) or, as often as in the sample, a content word; the
content words of a coded passage's sentences are drawn from the content words of the sample
sentences ``ana`` coded with that code, those of other sentences from uncoded ones; interviewer
turns draw from the interviewer's sentences and end in a question mark; one passage sentence in
five is uncoded-style filler, as real passages carry sentences like "There isn't.". The codebook (names, definitions, examples)
is the sample's, so the keyword baseline has the same words to work with as on real data.
Generated words lie in no order, so these figures say how the models cope with the sample's
vocabulary at scale, not how they read prose. Prints JSON. Tests never assert timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualcode.analysis.synthetic import build
from qualcode.codebook import parse_codebook
from qualcode.project.codes import apply_codebook
from qualcode.project.documents import find_document
from qualcode.project.sample import load_sample
from qualcode.store.db import Database
from qualcode.suggest import service
from qualcode.suggest.corpus import load_units
from qualcode.suggest.evaluate import evaluate
from qualcode.suggest.keywords import keyword_scores, keywords
from qualcode.suggest.model import train

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "codebooks" / "img_barriers_enablers.yaml"
TARGETS = {"train_seconds_10k": 10.0, "suggest_seconds_30k_words": 1.0, "precision_at_default": 0.6}
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def sample_statistics(sample: Database, coder: str = "ana") -> dict:
    """Word distributions from the sample project: the content words of the sentences ``coder``
    coded with each code, of uncoded participant sentences and of interviewer sentences; the
    function (stop) words of all; the share of content words; how often each code is used."""
    import spacy

    stop = spacy.blank("en").Defaults.stop_words
    data = service.training_data(sample, coder=coder)
    units, labels, book = data.units, data.labels, data.codebook
    askers = units.askers()

    def content(rows) -> Counter:
        return Counter(w for i in rows for w in _words(units.text[i]) if w not in stop)

    per_code: dict[str, Counter] = {}
    frequency: Counter = Counter()
    for k, code in enumerate(labels.code_ids):
        rows = np.flatnonzero(labels.y[:, k])
        if len(rows) >= 5:
            per_code[book[code].path] = content(rows)
            frequency[book[code].path] = len(rows)
    plain = ~labels.y.any(axis=1)
    words = [w for t in units.text for w in _words(t)]
    return {"codes": per_code, "frequency": frequency,
            "background": content(np.flatnonzero(plain & ~askers)),
            "interviewer": content(np.flatnonzero(askers)),
            "function": Counter(w for w in words if w in stop),
            "content_share": sum(w not in stop for w in words) / len(words)}


class _Draw:
    """Seeded draws from word counts."""

    def __init__(self, counts: Counter, rng: random.Random):
        self.words, weights = zip(*counts.items())
        self.cum = np.cumsum(np.array(weights, dtype=float))
        self.rng = rng

    def __call__(self, n: int) -> list[str]:
        points = np.array([self.rng.random() for _ in range(n)]) * self.cum[-1]
        return [self.words[i] for i in np.searchsorted(self.cum, points, side="right")]


def _sentence(rng: random.Random, content: _Draw, function: _Draw, share: float, end: str) -> str:
    """8–24 words: each a content word (from ``content``) with probability ``share``, else a
    function word, as in the sample's sentences."""
    words = [content(1)[0] if rng.random() < share else function(1)[0] for _ in range(rng.randint(8, 24))]
    return " ".join(words).capitalize() + end


def generate(db: Database, stats: dict, *, documents: int, sentences_per_document: int = 100,
             seed: int = 7, coder: str = "ana") -> dict:
    """Write a generated project (see the module docstring); returns its sizes."""
    rng = random.Random(seed)
    codes = sorted(stats["codes"])
    code_draw = {c: _Draw(stats["codes"][c], rng) for c in codes}
    background = _Draw(stats["background"], rng)
    interviewer = _Draw(stats["interviewer"], rng)
    function, share = _Draw(stats["function"], rng), stats["content_share"]
    weights = np.cumsum([stats["frequency"][c] for c in codes], dtype=float)
    docs, codings, coded = {}, [], 0
    for d in range(documents):
        pos, parts, turns, sentences, n = 0, [], [], [], 0
        while n < sentences_per_document:
            asking = len(turns) % 2 == 0
            speaker = "Interviewer" if asking else f"P{d:03d}"
            label = f"{speaker}: "
            parts.append(label)
            pos += len(label)
            turn_start = pos
            if asking:
                plan = [None] * rng.randint(1, 2)
            else:
                plan = [None] * rng.randint(0, 2)
                if rng.random() < 0.85:
                    code = codes[int(np.searchsorted(weights, rng.random() * weights[-1], side="right"))]
                    plan += [code] * rng.randint(1, 4)
                    plan += [None] * rng.randint(0, 1)
                plan = plan or [None]
            passage = None
            for i, code in enumerate(plan):
                if asking:
                    text = _sentence(rng, interviewer, function, share, "?")
                elif code is not None and rng.random() >= 0.2:
                    text = _sentence(rng, code_draw[code], function, share, ".")
                else:
                    text = _sentence(rng, background, function, share, ".")
                text += " " if i + 1 < len(plan) else ""
                start, end = pos, pos + len(text.rstrip())
                sentences.append((start, end))
                parts.append(text)
                pos += len(text)
                n += 1
                if code is not None:
                    coded += 1
                    passage = (code, passage[1] if passage else start, end)
            if passage:
                codings.append((f"gen{d:04d}", passage[0], coder, passage[1], passage[2]))
            turns.append((speaker, turn_start, pos))
            parts.append("\n")
            pos += 1
        docs[f"gen{d:04d}"] = {"text": "".join(parts), "turns": turns, "sentences": sentences}
    build(db, documents=docs, codes=codes, codings=codings)
    with db.session() as s:  # the sample's definitions and examples, for the keyword baseline
        apply_codebook(s, db.project_id(s), parse_codebook(CODEBOOK.read_bytes(), CODEBOOK.name),
                       actor="bench")
    return {"documents": documents, "sentences": sum(len(d["sentences"]) for d in docs.values()),
            "coded_sentences": coded, "codings": len(codings), "codes": len(codes)}


def _quality(result) -> dict:
    d = result.as_dict()
    return {"coding_set": d["coding_set"], "engine": d["engine"], "threshold": d["threshold"],
            "documents": d["documents"], "folds": d["folds"], "sentences": d["sentences"],
            "model_micro": d["model"]["micro"], "model_macro": d["model"]["macro"],
            "baseline_micro": d["baseline"]["micro"], "baseline_macro": d["baseline"]["macro"],
            "baseline_min_matches": d["baseline"]["min_matches"],
            "f1_ratio_to_baseline": d["ratio"],
            "precision_at_default_meets_target": d["model"]["micro"]["precision"] >= TARGETS["precision_at_default"],
            "curve": d["curve"], "train_seconds_per_fold": d["train_seconds"]}


def _featurise(units) -> float:
    """The baseline for training time: the TF-IDF word and character n-grams of the same
    sentences, which any model over them has to compute."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    t = time.perf_counter()
    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2).fit_transform(units.text)
    TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2).fit_transform(units.text)
    return time.perf_counter() - t


def _long_document(db: Database, stats: dict, words: int, seed: int = 11) -> str:
    """Add one uncoded interview of about ``words`` words, written like the generated ones."""
    rng = random.Random(seed)
    codes = sorted(stats["codes"])
    background, interviewer = _Draw(stats["background"], rng), _Draw(stats["interviewer"], rng)
    function, share = _Draw(stats["function"], rng), stats["content_share"]
    draws = {c: _Draw(stats["codes"][c], rng) for c in codes}
    pos, parts, turns, sentences, count = 0, [], [], [], 0
    while count < words:
        asking = len(turns) % 2 == 0
        label = "Interviewer: " if asking else "P999: "
        parts.append(label)
        pos += len(label)
        start = pos
        for i in range(rng.randint(1, 2) if asking else rng.randint(2, 6)):
            if asking:
                text = _sentence(rng, interviewer, function, share, "?")
            elif rng.random() < 0.5:
                text = _sentence(rng, draws[rng.choice(codes)], function, share, ".")
            else:
                text = _sentence(rng, background, function, share, ".")
            if i:
                parts.append(" ")
                pos += 1
            sentences.append((pos, pos + len(text)))
            parts.append(text)
            pos += len(text)
            count += len(text.split())
        turns.append(("Interviewer" if asking else "P999", start, pos))
        parts.append("\n")
        pos += 1
    build(db, documents={"long_interview": {"text": "".join(parts), "turns": turns,
                                            "sentences": sentences}}, codes=[])
    return "long_interview"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--coded", type=int, default=10_000, help="coded sentences for the training-time run")
    ap.add_argument("--documents", type=int, default=60, help="documents of the generated quality project")
    ap.add_argument("--folds", type=int, default=10, help="folds on the generated quality project")
    ap.add_argument("--words", type=int, default=30_000, help="words of the document suggested for")
    ap.add_argument("--skip-spacy", action="store_true", help="measure the scikit-learn engine only")
    ap.add_argument("--quick", action="store_true", help="small projects, spaCy skipped: a first look")
    args = ap.parse_args()
    if args.quick:
        args.coded, args.documents, args.folds, args.skip_spacy = 2_000, 20, 5, True
    engines = ["linear"] + ([] if args.skip_spacy else ["spacy"])
    work = Path(tempfile.mkdtemp(prefix="qualcode-suggest-bench-"))
    out: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                             "platform": platform.platform(), "load_average": os.getloadavg()},
                 "targets": TARGETS}
    try:
        sample = Database(work / "sample.db")
        load_sample(sample)
        # Imports and spaCy's first pipeline are paid once per process (the app pays them at its
        # first suggestion); a warm-up keeps them out of every timing below.
        service.suggest(sample, "p01_program_director_internal_medicine", "ana", viewer="ana")
        service.clear_cache()

        # 1. quality on the sample project, both engines, keyword baseline in the same run
        out["sample"] = {e: _quality(evaluate(sample, coder="ana", engine=e)) for e in engines}

        # 2. quality on a generated larger project (the sample's vocabulary, more documents)
        stats = sample_statistics(sample)
        larger = Database(work / "larger.db")
        out["generated"] = {"project": generate(larger, stats, documents=args.documents, seed=5)}
        out["generated"]["linear"] = _quality(evaluate(larger, coder="ana", folds=args.folds))

        # 3. training time for --coded coded sentences, against featurising the same sentences
        per_doc = 41  # coded sentences per generated document of 100 sentences, about
        big = Database(work / "big.db")
        sizes = generate(big, stats, documents=max(2, round(args.coded / per_doc)), seed=9)
        data = service.training_data(big, coder="ana")
        featurise = _featurise(data.units)
        training = {"project": sizes, "featurise_seconds_baseline": round(featurise, 2)}
        for engine in engines:
            cpu = time.process_time()
            model = train(data.units, data.labels, engine=engine, codebook=data.codebook)
            training[engine] = {"seconds": round(model.seconds, 2),
                                "cpu_seconds": round(time.process_time() - cpu, 2),
                                "ratio_to_featurise": round(model.seconds / featurise, 2),
                                "codes_learned": len(model.code_ids),
                                "meets_target": model.seconds <= TARGETS["train_seconds_10k"]}
        out["training"] = training

        # 4. suggesting for a long document with the model in memory, against keyword scoring
        name = _long_document(big, stats, args.words)
        with big.session() as s:
            units = load_units(s, big.project_id(s), [find_document(s, big.project_id(s), name).id])
        service.clear_cache()
        t = time.perf_counter()
        service.suggest(big, name, "ana", viewer="ana")  # trains (first request after a change)
        first = time.perf_counter() - t
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            shown = service.suggest(big, name, "ana", viewer="ana")
            runs.append(time.perf_counter() - t)
        texts = list(service.training_data(big, coder="ana").codebook.values())
        t = time.perf_counter()
        keyword_scores(units, texts, [keywords(c) for c in texts])
        kw = time.perf_counter() - t
        out["suggest_long_document"] = {
            "words": sum(len(u.split()) for u in units.text), "sentences": len(units),
            "suggestions": len(shown.items), "seconds": round(min(runs), 3),
            "first_request_seconds_with_training": round(first, 2),
            "keyword_baseline_seconds": round(kw, 3), "ratio_to_keywords": round(min(runs) / kw, 2),
            "meets_target": min(runs) <= TARGETS["suggest_seconds_30k_words"]}
        out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
