"""Code suggestions learned from the project's own codings, trained and run on this machine.

No text leaves the computer and nothing is downloaded: a sentence-level multi-label classifier
(:mod:`~qualcode.suggest.model`) learns from the codings of a chosen coding set
(:mod:`~qualcode.suggest.corpus`: under blind coding only the coder's own), suggests codes for a
document's sentences, and a person accepts or rejects each (:mod:`~qualcode.suggest.service`).
:mod:`~qualcode.suggest.evaluate` measures it against the keyword baseline
(:mod:`~qualcode.suggest.keywords`), one held-out document at a time.
"""

from qualcode.suggest.corpus import MIN_EXAMPLES, SET_CHOICES, CodingSet, SuggestError, resolve_coding_set
from qualcode.suggest.evaluate import Evaluation, evaluate
from qualcode.suggest.model import DEFAULT_THRESHOLD, ENGINES, Model, train
from qualcode.suggest.service import (
    Accepted,
    Similar,
    Suggestion,
    Suggestions,
    accept,
    accept_all,
    accept_many,
    clear_cache,
    find_similar,
    model_for,
    peek,
    peek_undo,
    reject,
    rejections,
    suggest,
    training_data,
    undo,
)

__all__ = [
    "DEFAULT_THRESHOLD", "ENGINES", "MIN_EXAMPLES", "SET_CHOICES", "Accepted", "CodingSet",
    "Evaluation", "Model", "Similar", "SuggestError", "Suggestion", "Suggestions", "accept",
    "accept_all", "accept_many", "clear_cache", "evaluate", "find_similar", "model_for",
    "peek", "peek_undo", "reject", "rejections", "resolve_coding_set", "suggest", "train",
    "training_data", "undo",
]
