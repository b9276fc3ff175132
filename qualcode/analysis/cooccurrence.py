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


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, sorted.

    ``np.unique`` would give the same, but numpy 2.3+ answers it with a hash table that is
    10-30 times slower than this sort (AVX2 sorting) on millions of wide int64 keys; keys
    that fit are sorted as int32, twice as fast again.
    """
    if len(keys) < 2:
        return np.sort(keys).astype(np.int64)
    if int(keys.min()) >= 0 and int(keys.max()) < 2**31:
        keys = keys.astype(np.int32)  # sorts twice as fast
    keys = np.sort(keys)
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return keys[first].astype(np.int64)


def _runs(first: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``first[i], first[i] + 1, ..., first[i] + counts[i] - 1`` for every i, concatenated."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.arange(total, dtype=np.int64) + np.repeat(first - (np.cumsum(counts) - counts), counts)


def _doc_rows(data: ProjectData, document_id: np.ndarray) -> np.ndarray:
    """Row of each document id in ``data.documents`` (an array lookup; -1 for an unknown id)."""
    ids = data.documents.index.to_numpy(np.int64)
    if len(document_id) == 0:
        return np.zeros(0, dtype=np.int64)
    top = max(int(ids.max(initial=-1)), int(document_id.max())) + 1
    lookup = np.full(top, -1, dtype=np.int64)
    lookup[ids] = np.arange(len(ids))
    return lookup[document_id]


def _span_units(gs: np.ndarray, ge: np.ndarray, us: np.ndarray, ue: np.ndarray):
    """(span index, unit index) for every sorted, non-overlapping unit each span touches."""
    first = np.searchsorted(ue, gs, side="right")
    last = np.searchsorted(us, ge, side="left")
    counts = np.clip(last - first, 0, None)
    spans = np.repeat(np.arange(len(gs)), counts)
    return spans, _runs(first, counts)


def _sentence_pairs(data: ProjectData, cols: dict):
    """(coding index, global sentence index) pairs, plus each sentence's document position."""
    sent = data.sentences
    doc = _doc_rows(data, sent["document_id"].to_numpy(np.int64))
    base = data.documents["base"].to_numpy(np.int64)[doc]
    gs, ge = base + sent["start"].to_numpy(np.int64), base + sent["end"].to_numpy(np.int64)
    if len(gs) and not bool(np.all(gs[1:] >= gs[:-1])):
        order = np.argsort(gs, kind="stable")
        gs, ge, doc = gs[order], ge[order], doc[order]
    spans, units = _span_units(cols["gs"], cols["ge"], gs, ge)
    return spans, units, doc


def _incidence(data: ProjectData, cols: dict, unit: str):
    """(coding index, unit index) pairs, one per unit a coding touches."""
    every = np.arange(len(cols["code"]))
    if unit == "sentence":
        spans, units, _ = _sentence_pairs(data, cols)
        return spans, units
    if unit == "turn":
        ts, te, _ = data.turn_index()
        return _span_units(cols["gs"], cols["ge"], ts, te)
    if unit == "document":
        return every, cols["doc"]
    if unit == "participant":
        person = pd.factorize(data.documents["participant_id"])[0][cols["doc"]]  # -1: no participant
        keep = person >= 0
        return every[keep], person[keep].astype(np.int64)
    raise AnalysisError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")


def _window_intervals(data: ProjectData, cols: dict, window: int):
    """Each coding as an interval on a sentence line: (coding index, start, end), end exclusive.

    A coding covers [first sentence, last sentence + N + 1) of the sentences it touches, with
    N + 1 empty places between documents: two such intervals overlap exactly when some sentence
    of one is at most N sentences from some sentence of the other, in one document.
    """
    spans, units, doc = _sentence_pairs(data, cols)
    if len(spans) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    position = units + doc[units].astype(np.int64) * (window + 1)
    # spans come in coding order and each coding's sentences in increasing order, so a coding's
    # first and last sentence are the first and last of its run
    start = np.ones(len(spans), dtype=bool)
    start[1:] = spans[1:] != spans[:-1]
    stop = np.ones(len(spans), dtype=bool)
    stop[:-1] = start[1:]
    return spans[start], position[start], position[stop] + window + 1


def _pair_counts(gs: np.ndarray, ge: np.ndarray, stratum: np.ndarray, passage: np.ndarray, code: np.ndarray,
                 k: int, need_hits: bool):
    """n12 (k×k) over intervals that overlap within one stratum (one coder), each pair of
    passages counted once; and, for P(B|A), the number of passages of A with at least one
    co-occurring passage of B (None unless ``need_hits``).

    ``passage`` and ``code`` belong to each interval; a passage has one code.
    """
    n12 = np.zeros((k, k), dtype=np.int64)
    if len(gs) == 0 or k == 0:
        return n12, (n12.copy() if need_hits else None)
    width = int(max(ge.max(), gs.max())) + 1
    s = gs + stratum * width  # each coder on its own stretch of the line
    if int(stratum.max()) < 2**15 and bool(np.all(gs[1:] >= gs[:-1])):
        # already in global order (load sorts codings so): a stable radix sort on the coder
        # keeps that order within each coder
        order = np.argsort(stratum.astype(np.int16), kind="stable")
    else:
        order = np.argsort(s, kind="stable")
    s, e = s[order], (ge + stratum * width)[order]
    code, passage = code[order], passage[order]
    # Each overlapping pair is found once, from the interval that starts first (ties in either
    # order): the later ones start before it ends. Pair p joins interval first(p) (implicit:
    # interval i owns counts[i] consecutive pairs) and second[p].
    counts = np.clip(np.searchsorted(s, e, side="left") - np.arange(len(s)) - 1, 0, None)
    second = _runs(np.arange(1, len(s) + 1), counts)
    n_passages = int(passage.max()) + 1
    code_of = np.zeros(n_passages, dtype=np.int64)
    code_of[passage] = code
    if need_hits:  # the plain way: every pair's passages, in order, de-duplicated
        first = np.repeat(np.arange(len(s)), counts)
        pa, pb = passage[first], passage[second]
        keys = _distinct(np.minimum(pa, pb) * n_passages + np.maximum(pa, pb))
        lo, hi = keys // n_passages, keys % n_passages
        a, b = code_of[lo], code_of[hi]
        keep = a != b
        lo, hi, a, b = lo[keep], hi[keep], a[keep], b[keep]
        n12 = np.bincount(a * k + b, minlength=k * k).reshape(k, k)
        ends = _distinct(np.concatenate([lo * k + b, hi * k + a]))
        hits = np.bincount(code_of[ends // k] * k + ends % k, minlength=k * k).reshape(k, k)
        return n12 + n12.T, hits
    # Count every pair of codes, then correct the pairs that can repeat a pair of passages: only
    # those where a passage has several codings (the rest are distinct pairs of passages).
    n12 = np.bincount(np.repeat(code * k, counts) + code[second], minlength=k * k)
    several = (np.bincount(passage, minlength=n_passages) > 1)[passage]
    repeatable = np.flatnonzero(np.repeat(several, counts) | several[second])
    if len(repeatable):
        first = np.searchsorted(np.cumsum(counts), repeatable, side="right")
        pa, pb = passage[first], passage[second[repeatable]]
        n12 -= np.bincount(code[first] * k + code[second[repeatable]], minlength=k * k)
        keys = _distinct(np.minimum(pa, pb) * n_passages + np.maximum(pa, pb))
        n12 += np.bincount(code_of[keys // n_passages] * k + code_of[keys % n_passages], minlength=k * k)
    n12 = n12.reshape(k, k)
    np.fill_diagonal(n12, 0)  # one code's overlapping codings are one passage, not a co-occurrence
    return n12 + n12.T, None


def _unit_counts(units: np.ndarray, codes: np.ndarray, stratum: np.ndarray, k: int):
    """(n1, n12) at an incidence unit: n1[a] = units touched by a (any coder); n12[a, b] =
    units where one coder touched both a and b."""
    if len(units) == 0:
        return np.zeros(k, dtype=np.int64), np.zeros((k, k), dtype=np.int64)
    n_strata = int(stratum.max()) + 1
    # every distinct (unit, coder, code), sorted: each (unit, coder) row holds its codes in order
    triple = _distinct((units.astype(np.int64) * n_strata + stratum) * k + codes)
    row, code = triple // k, triple % k
    unit_of = row // n_strata
    # n1: distinct (unit, code), whichever coders
    n1 = np.bincount(_distinct(unit_of * k + code) % k, minlength=k).astype(np.int64)
    # pairs of codes within a row (each pair once: the later code of the row pairs with the
    # earlier), then distinct (unit, a, b), so a unit counts once however many coders paired them
    new_row = np.ones(len(row), dtype=bool)
    new_row[1:] = row[1:] != row[:-1]
    starts = np.flatnonzero(new_row)
    sizes = np.diff(np.append(starts, len(row)))
    counts = np.repeat(starts + sizes, sizes) - np.arange(len(row)) - 1
    left = np.repeat(np.arange(len(row)), counts)
    right = _runs(np.arange(1, len(row) + 1), counts)
    if n_strata == 1:  # one coder: every (unit, a, b) is distinct already
        ab = code[left] * k + code[right]
    else:
        ab = _distinct((unit_of[left] * k + code[left]) * k + code[right]) % (k * k)
    n12 = np.bincount(ab, minlength=k * k).reshape(k, k)
    return n1, n12 + n12.T


def _columns(data: ProjectData, ids: list[int]) -> dict:
    """The codings of codes ``ids`` as arrays: code (position in ``ids``), stratum (one per
    coder), passage, doc (row in ``documents``), gs/ge (global span)."""
    c = data.codings
    code_id = c["code_id"].to_numpy(np.int64)
    top = max(int(code_id.max(initial=-1)), max(ids, default=-1)) + 1
    lookup = np.full(top, -1, dtype=np.int64)
    lookup[np.asarray(ids, dtype=np.int64)] = np.arange(len(ids))
    code = lookup[code_id]
    keep = code >= 0
    every = bool(keep.all())

    def col(name, dtype=np.int64):
        values = c[name].to_numpy(dtype)
        return values if every else values[keep]
    out = {"code": code if every else code[keep]}
    coder = c["coder"] if every else c["coder"][keep]
    out["stratum"] = pd.factorize(coder)[0].astype(np.int64)  # one coder per stratum
    out["passage"] = col("passage") if "passage" in c else np.arange(len(out["code"]), dtype=np.int64)
    out["doc"] = _doc_rows(data, col("document_id"))
    base = data.documents["base"].to_numpy(np.int64)[out["doc"]]
    out["gs"], out["ge"] = base + col("start"), base + col("end")
    return out


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
        used = set(pd.unique(data.codings["code_id"].to_numpy()).tolist())
        row_ids = col_ids = [i for i in data.code_ids(None) if i in used]
    ids = list(dict.fromkeys(row_ids + col_ids))
    k = len(ids)
    position = pd.Series(np.arange(k), index=ids, dtype=np.int64)
    cols = _columns(data, ids)
    code_idx, stratum, passage = cols["code"], cols["stratum"], cols["passage"]
    if unit in ("overlap", "window"):
        if unit == "overlap":
            rows = np.arange(len(code_idx))
            gs, ge = cols["gs"], cols["ge"]
        else:
            rows, gs, ge = _window_intervals(data, cols, window)
        n1 = np.zeros(k, dtype=np.int64)
        if len(rows):
            # passages of each code (a passage belongs to one code): mark, then count per code
            width = int(passage.max()) + 1
            present = np.zeros(width, dtype=bool)
            present[passage[rows]] = True
            code_of = np.zeros(width, dtype=np.int64)
            code_of[passage] = code_idx
            n1 = np.bincount(code_of[present], minlength=k).astype(np.int64)
        n12, hits = _pair_counts(gs, ge, stratum[rows], passage[rows], code_idx[rows], k,
                                 measure == "conditional")
    else:
        spans, units = _incidence(data, cols, unit)
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
    in_rows, in_columns = set(r), set(c)
    flags = [[paths[i], paths[j]] for i, j in zip(*np.nonzero(skewed))
             if paths[i] in in_rows and paths[j] in in_columns]
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
