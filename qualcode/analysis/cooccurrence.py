"""Code co-occurrence with an explicit unit and measure, on one coding set.

A co-occurrence exists only where **one coder** (or the consensus layer) applied both codes:
code A from one coder and code B from another is a disagreement, not a co-occurrence, at every
unit. Across several coders codes are counted as *passages* (``ProjectData.codings["passage"]``:
one code's overlapping spans in a document, from any coder, are one passage), so two coders who
both coded A and B on one sentence give one co-occurrence, not two or four.

Units, and what ``n1`` (a code's frequency) and ``n12`` (how often two codes occur together)
mean in each. "A span touches a unit" means they share at least one character (offsets are end
exclusive, so spans that only touch end to start do not overlap).

* ``overlap`` — ``n1`` = passages of A; ``n12`` = pairs (a passage of A, a passage of B) in
  which one coder's A coding overlaps that coder's B coding. A code coded twice, apart, next to
  one B passage gives n12 = 2. ``conditional`` uses the number of A passages that overlap at
  least one B passage (so it stays within 0–1).
* ``window`` (within N sentences) — as ``overlap``, but two codings co-occur when some sentence
  one touches is at most N sentences from some sentence the other touches, in the same document
  (N = 0: they touch a common sentence). ``n1`` = passages of A that touch a sentence; ``n12``
  = co-occurring pairs of passages. Sentences two apart never pair at N = 1.
* ``sentence`` / ``turn`` — ``n1`` = sentences (turns) touched by A (any coder of the set);
  ``n12`` = sentences (turns) where one coder touched both A and B.
* ``document`` — ``n1`` = documents with A; ``n12`` = documents where one coder coded both.
* ``participant`` — as ``document``, over the documents' participants (documents with no
  participant are left out).

Measures: ``count`` = n12; ``jaccard`` = the Jaccard index, which is ATLAS.ti's c-coefficient,
n12 / (n1 + n2 − n12) (at the pair units it can leave 0–1, as ATLAS.ti's "out of range" warns;
such cells are listed); ``conditional`` = P(B|A) = n12 / n1 with A the row and B the column, so
the matrix is not symmetric. The diagonal holds n1 (count) or 1 (the others).

``attrs`` say which coding set was counted, the unit, measure, window, what n1 and n12 count,
each code's n1, and the pairs of codes where one is more than 5 times as frequent as the other
(ATLAS.ti's warning that the c-coefficient is then distorted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from qualcode.analysis.data import AnalysisError, ProjectData

UNITS = ("overlap", "sentence", "turn", "window", "document", "participant")
MEASURES = ("count", "jaccard", "conditional")
#: What n1 and n12 count at each unit (for result attrs and file headers).
COUNTED = {
    "overlap": "n1 = passages; n12 = pairs of passages one coder coded overlapping",
    "window": "n1 = passages; n12 = pairs of passages one coder coded within N sentences",
    "sentence": "n1 = sentences; n12 = sentences where one coder applied both codes",
    "turn": "n1 = turns; n12 = turns where one coder applied both codes",
    "document": "n1 = documents; n12 = documents where one coder applied both codes",
    "participant": "n1 = participants; n12 = participants one coder coded with both codes",
}
#: ATLAS.ti flags a c-coefficient when one code is applied more than this many times as often.
FREQUENCY_RATIO_FLAG = 5


def _span_units(gs: np.ndarray, ge: np.ndarray, us: np.ndarray, ue: np.ndarray):
    """(span index, unit index) for every sorted, non-overlapping unit each span touches."""
    first = np.searchsorted(ue, gs, side="right")
    last = np.searchsorted(us, ge, side="left")
    counts = np.clip(last - first, 0, None)
    spans = np.repeat(np.arange(len(gs)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return spans, np.repeat(first, counts) + offsets


def _sentence_pairs(data: ProjectData, codings: pd.DataFrame):
    """(coding index, global sentence index) pairs, plus each sentence's document position."""
    gs, ge = data.global_spans(data.sentences)
    order = np.argsort(gs, kind="stable")
    cs, ce = data.global_spans(codings)
    spans, units = _span_units(cs, ce, gs[order], ge[order])
    doc = data.documents.index.get_indexer(data.sentences["document_id"].to_numpy()[order])
    return spans, units, doc


def _incidence(data: ProjectData, codings: pd.DataFrame, unit: str):
    """(coding index, unit index) pairs, one per unit a coding touches."""
    every = np.arange(len(codings))
    if unit == "sentence":
        spans, units, _ = _sentence_pairs(data, codings)
        return spans, units
    if unit == "turn":
        return data.span_turns(codings)
    if unit == "document":
        return every, pd.factorize(codings["document_id"])[0]
    if unit == "participant":
        person = data.documents["participant_id"].reindex(codings["document_id"]).to_numpy()
        keep = pd.notna(person)
        return every[keep], pd.factorize(person[keep])[0]
    raise AnalysisError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")


def _window_intervals(data: ProjectData, codings: pd.DataFrame, window: int):
    """Each coding as an interval on a sentence line: (coding index, start, end), end exclusive.

    A coding covers [first sentence, last sentence + N + 1) of the sentences it touches, with
    N + 1 empty places between documents: two such intervals overlap exactly when some sentence
    of one is at most N sentences from some sentence of the other, in one document.
    """
    spans, units, doc = _sentence_pairs(data, codings)
    if len(spans) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    position = units + doc[units].astype(np.int64) * (window + 1)
    first = pd.Series(position).groupby(spans).min()
    last = pd.Series(position).groupby(spans).max()
    rows = first.index.to_numpy(np.int64)
    return rows, first.to_numpy(np.int64), last.to_numpy(np.int64) + window + 1


def _overlapping_pairs(gs: np.ndarray, ge: np.ndarray, stratum: np.ndarray):
    """(i, j) index pairs of intervals that overlap within one stratum (one coder), i ≠ j, each once."""
    if len(gs) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    width = int(max(ge.max(), gs.max())) + 1
    s, e = gs + stratum * width, ge + stratum * width  # each coder on its own stretch of the line
    order = np.lexsort((e, s))
    s, e = s[order], e[order]
    # Each overlapping pair is found once, from the interval that starts first: the later one
    # starts before the earlier one ends.
    hi = np.searchsorted(s, e, side="left")
    counts = np.clip(hi - np.arange(len(s)) - 1, 0, None)
    first = np.repeat(np.arange(len(s)), counts)
    second = first + 1 + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    return order[first], order[second]


def _pair_counts(i: np.ndarray, j: np.ndarray, passage: np.ndarray, code_idx: np.ndarray, k: int,
                 need_hits: bool):
    """n12 (k×k) from coding pairs, counting each pair of passages once; and, for P(B|A), the
    number of passages of A with at least one co-occurring passage of B."""
    pa, pb = passage[i], passage[j]
    keep = code_idx[i] != code_idx[j]
    lo, hi = np.minimum(pa, pb)[keep], np.maximum(pa, pb)[keep]
    width = int(passage.max()) + 1 if len(passage) else 1
    keys = np.unique(lo * width + hi)
    code_of = np.zeros(width, dtype=np.int64)
    code_of[passage] = code_idx
    a, b = code_of[keys // width], code_of[keys % width]
    n12 = np.bincount(a * k + b, minlength=k * k).reshape(k, k)
    n12 = n12 + n12.T
    if not need_hits:
        return n12, None
    # distinct (passage, other code): a passage of A counts once however many B passages it meets
    ends = np.unique(np.concatenate([(keys // width) * k + b, (keys % width) * k + a]))
    hits = np.bincount(code_of[ends // k] * k + ends % k, minlength=k * k).reshape(k, k)
    return n12, hits


def _unit_counts(units: np.ndarray, codes: np.ndarray, stratum: np.ndarray, k: int):
    """(n1, n12) at an incidence unit: n1[a] = units touched by a (any coder); n12[a, b] =
    units where one coder touched both a and b."""
    n_units = int(units.max()) + 1 if len(units) else 0
    n_strata = int(stratum.max()) + 1 if len(stratum) else 1
    x = sparse.csr_matrix((np.ones(len(units)), (units, codes)), shape=(n_units, k))
    x.sum_duplicates()
    x.data[:] = 1.0
    n1 = np.asarray(x.sum(axis=0)).ravel().astype(np.int64)
    if n_strata == 1:  # one coder: the plain incidence product
        n12 = (x.T @ x).toarray().astype(np.int64)
        np.fill_diagonal(n12, 0)
        return n1, n12
    # Several coders: every (coder, unit) row with its distinct codes; pairs of codes within a
    # row, then distinct (unit, a, b), so a unit counts once however many coders paired a and b.
    triple = np.unique((stratum.astype(np.int64) * max(n_units, 1) + units) * k + codes)
    row, code = triple // k, triple % k
    starts = np.flatnonzero(np.concatenate([[True], row[1:] != row[:-1]]))
    sizes = np.diff(np.concatenate([starts, [len(row)]]))
    size_of = np.repeat(sizes, sizes)
    start_of = np.repeat(starts, sizes)
    left = np.repeat(np.arange(len(row)), size_of)
    right = np.repeat(start_of, size_of) + (np.arange(size_of.sum()) - np.repeat(np.cumsum(size_of) - size_of,
                                                                                size_of))
    keep = code[left] < code[right]
    left, right = left[keep], right[keep]
    unit_of = row % max(n_units, 1)
    keys = np.unique((unit_of[left] * k + code[left]) * k + code[right])
    ab = keys % (k * k)
    n12 = np.bincount(ab, minlength=k * k).reshape(k, k)
    return n1, n12 + n12.T


def cooccurrence(
    data: ProjectData,
    *,
    unit: str = "overlap",
    measure: str = "count",
    window: int = 1,
    rows: str | None = None,
    columns: str | None = None,
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """The co-occurrence matrix of codes (rows × columns, labelled by full code path).

    ``unit`` and ``measure``: see the module docstring. ``window``: N for the ``window`` unit.
    Codes: by default every code with at least one coding, in tree order; ``codes`` names them
    (each code on its own, no roll-up); ``rows``/``columns`` name two branches for a cross
    matrix (every code in each subtree, e.g. rows ``Barriers`` × columns ``Enablers``).
    """
    if measure not in MEASURES:
        raise AnalysisError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    if unit not in UNITS:
        raise AnalysisError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    if window < 0:
        raise AnalysisError("the window (N sentences) must be 0 or more")
    if codes is not None:
        row_ids = [i for path in codes for i in data.code_ids(path, subtree=False)]
        col_ids = row_ids
    elif rows is not None or columns is not None:
        row_ids = data.code_ids(rows)
        col_ids = data.code_ids(columns)
    else:
        used = set(data.codings["code_id"])
        row_ids = col_ids = [i for i in data.code_ids(None) if i in used]
    ids = list(dict.fromkeys(row_ids + col_ids))
    k = len(ids)
    position = pd.Series(np.arange(k), index=ids, dtype=np.int64)
    codings = data.codings[data.codings["code_id"].isin(ids)].reset_index(drop=True)
    code_idx = position.reindex(codings["code_id"]).to_numpy(np.int64)
    stratum = pd.factorize(codings["coder"])[0].astype(np.int64)  # one coder per stratum
    passage = codings["passage"].to_numpy(np.int64) if "passage" in codings else np.arange(len(codings))
    if unit in ("overlap", "window"):
        if unit == "overlap":
            rows = np.arange(len(codings))
            gs, ge = data.global_spans(codings)
        else:
            rows, gs, ge = _window_intervals(data, codings, window)
        n1 = np.zeros(k, dtype=np.int64)
        if len(rows):
            code_of = np.zeros(int(passage.max()) + 1, dtype=np.int64)
            code_of[passage] = code_idx
            n1 = np.bincount(code_of[np.unique(passage[rows])], minlength=k).astype(np.int64)
        i, j = _overlapping_pairs(gs, ge, stratum[rows])
        n12, hits = (_pair_counts(rows[i], rows[j], passage, code_idx, k, measure == "conditional") if k
                     else (np.zeros((0, 0), dtype=np.int64),) * 2)
    else:
        spans, units = _incidence(data, codings, unit)
        n1, n12 = _unit_counts(units, code_idx[spans], stratum[spans], k)
        hits = n12
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "count":
            values = n12.astype(np.float64)
            np.fill_diagonal(values, n1)
        elif measure == "jaccard":
            denominator = n1[:, None] + n1[None, :] - n12
            values = np.where(denominator > 0, n12 / np.where(denominator > 0, denominator, 1), np.nan)
            np.fill_diagonal(values, np.where(n1 > 0, 1.0, np.nan))
        else:
            values = np.where(n1[:, None] > 0, hits / np.where(n1 > 0, n1, 1)[:, None], np.nan)
            np.fill_diagonal(values, np.where(n1 > 0, 1.0, np.nan))
    paths = data.codes["path"].reindex(ids).tolist()
    frame = pd.DataFrame(values, index=paths, columns=paths)
    r = [paths[position[i]] for i in row_ids]
    c = [paths[position[i]] for i in col_ids]
    frame = frame.loc[r, c]
    if measure == "count":
        frame = frame.astype(np.int64)
    frame.index.name = "code"
    counts = dict(zip(paths, n1.tolist()))
    lo = np.minimum(n1[:, None], n1[None, :])
    hi_ = np.maximum(n1[:, None], n1[None, :])
    skewed = (lo > 0) & (hi_ > FREQUENCY_RATIO_FLAG * lo)
    flags = [[paths[i], paths[j]] for i, j in zip(*np.nonzero(skewed))
             if paths[i] in set(r) and paths[j] in set(c)]
    out_of_range = []
    if measure == "jaccard":
        out_of_range = [[a, b] for a in r for b in c
                        if a != b and pd.notna(frame.at[a, b]) and frame.at[a, b] > 1]
    frame.attrs.update({
        "unit": unit,
        "measure": measure,
        "window": window if unit == "window" else None,
        **data.result_attrs(),
        "counted": COUNTED[unit],
        "n": counts,
        "frequency_flags": flags,
        "out_of_range": out_of_range,
    })
    return frame
