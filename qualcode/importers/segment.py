"""Sentence units with spaCy, for sentence-level coding, co-occurrence and agreement.

A blank English pipeline with the rule-based ``sentencizer`` needs no model download and runs at
hundreds of thousands of words per second. If a full English pipeline is installed and asked for
(``QUALCODE_SPACY_MODEL=en_core_web_sm``), its parser-based sentences are used instead.

Sentences are cut turn by turn, so a sentence never crosses a change of speaker, and they are
returned as code-point offsets into the canonical text (the offset rule): spaCy's character
offsets are Python string indices, which are code points.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # spaCy is imported when the first sentences are cut, not with this module
    from spacy.language import Language

#: spaCy refuses texts above ``nlp.max_length``; turns longer than this are cut at line breaks.
_CHUNK = 200_000


@cache
def pipeline() -> Language:
    """The shared sentence pipeline (loaded once per process)."""
    import spacy

    name = os.environ.get("QUALCODE_SPACY_MODEL")
    if name:
        return spacy.load(name, exclude=["ner"])
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def _chunks(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    """Split [start, end) into pieces short enough for spaCy, preferring line breaks."""
    while end - start > _CHUNK:
        cut = text.rfind("\n", start, start + _CHUNK)
        if cut <= start:
            cut = start + _CHUNK
        yield start, cut
        start = cut
    yield start, end


def sentences(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence offsets inside each ``(start, end)`` span of ``text`` (usually the turns).

    Leading and trailing whitespace is trimmed from every sentence and empty ones are dropped,
    so each result satisfies ``start < end`` and ``text[start:end] == text[start:end].strip()``.
    """
    pieces = [piece for s, e in spans for piece in _chunks(text, s, e)]
    out: list[tuple[int, int]] = []
    docs = pipeline().pipe((text[s:e] for s, e in pieces), batch_size=256)
    for (base, _end), doc in zip(pieces, docs):
        for sent in doc.sents:
            s = base + sent.start_char
            e = base + sent.end_char
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if s < e:
                out.append((s, e))
    return out
