"""The keyword baseline the learned suggestions are measured against.

It is keyword autocoding done for every code at once: each code's keywords are the lemmas of the
content words of its name, definition and example quote (stop words and words under three
letters dropped), and a sentence gets the code when it holds at least ``min_matches`` distinct
keyword lemmas of it. The score is that count, so the evaluation can report the baseline at
the ``min_matches`` that suits it best.

Lemmas come from spaCy's lookup lemmatizer when ``spacy-lookups-data`` is installed (as in
keyword search), otherwise from a small suffix rule; :func:`lemmatizer_name` says which.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache

import numpy as np

from qualcode.suggest.corpus import CodebookText, Units

_WORD = re.compile(r"[^\W\d_]{3,}")
_SUFFIXES = ("ations", "ation", "ities", "ity", "ings", "ing", "ies", "ied", "es", "ed", "s")


def lemmatizer_name() -> str:
    """Which lemmatizer the baseline uses."""
    return ("spaCy lookup tables" if importlib.util.find_spec("spacy_lookups_data") is not None
            else "suffix stripping (spacy-lookups-data is not installed)")


@lru_cache(maxsize=1)
def _tools():
    import spacy

    nlp = spacy.blank("en")
    table = None
    if importlib.util.find_spec("spacy_lookups_data") is not None:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    return frozenset(nlp.Defaults.stop_words), table


def _strip(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def lemmas(text: str) -> set[str]:
    """The distinct lemmas of the content words of ``text``, lower-cased."""
    stop, table = _tools()
    out = set()
    for word in _WORD.findall(text.lower()):
        if word in stop:
            continue
        out.add(table.get(word, word) if table is not None else _strip(word))
    return out


def keywords(code: CodebookText) -> set[str]:
    """A code's keyword lemmas: from its name, definition and example quote."""
    return lemmas(code.name) | lemmas(code.definition) | lemmas(code.example)


def keyword_scores(units: Units, codes: list[CodebookText], keyword_sets: list[set[str]]) -> np.ndarray:
    """units × codes: how many distinct keyword lemmas of each code each sentence holds."""
    out = np.zeros((len(units), len(codes)), dtype=np.int16)
    # Inverted index: lemma → the codes it is a keyword of.
    index: dict[str, list[int]] = {}
    for k, words in enumerate(keyword_sets):
        for w in words:
            index.setdefault(w, []).append(k)
    for i, text in enumerate(units.text):
        for lemma in lemmas(text):
            for k in index.get(lemma, ()):
                out[i, k] += 1
    return out
