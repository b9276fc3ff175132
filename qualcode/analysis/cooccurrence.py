"""Code co-occurrence with an explicit unit and measure.

Units, and what ``n1`` (a code's frequency) and ``n12`` (how often two codes occur together)
mean in each. "A span touches a unit" means they share at least one character (offsets are end
exclusive, so spans that only touch end to start do not overlap).

* ``overlap`` — the unit is the coded span itself. ``n1`` = number of codings of A; ``n12`` =
  number of *pairs* (one coding of A, one coding of B) in the same document that overlap. A code
  coded twice over one passage next to one B coding gives n12 = 2. ``conditional`` uses the
  number of A codings that overlap at least one B coding (so it stays within 0–1).
* ``sentence`` / ``turn`` — ``n1`` = number of sentences (turns) touched by a coding of A;
  ``n12`` = number of sentences (turns) touched by both A and B.
* ``window`` (within N sentences) — the unit is each sentence together with the N sentences
  before and after it in the same document: ``n1`` = number of sentences within N sentences of a
  sentence touched by A; ``n12`` = number of sentences within N of an A sentence *and* within N
  of a B sentence. N = 0 is the sentence unit.
* ``document`` — ``n1`` = number of documents with a coding of A; ``n12`` = with both.
* ``participant`` — as ``document``, over the documents' participants (documents with no
  participant are left out).

Measures: ``count`` = n12; ``jaccard`` = the Jaccard index, which is ATLAS.ti's c-coefficient,
n12 / (n1 + n2 − n12) (at the overlap unit it can leave 0–1, as ATLAS.ti's "out of range"
warns; such cells are listed); ``conditional`` = P(B|A) = n12 / n1 with A the row and B the
column, so the matrix is not symmetric. The diagonal holds n1 (count) or 1 (the others).

Coders: with one coder chosen at load time the matrix is that coder's; otherwise it is
*pooled*: the codings of all chosen coders are taken together as one set (a unit is coded with A
when any coder coded A there); at the overlap unit pairs are counted within each coder and
summed, so n12 never exceeds what the coders themselves put together. ``attrs``
always say which, along with the unit, measure, window, each code's n1, and the pairs of codes
where one is more than 5 times as frequent as the other (ATLAS.ti's warning that the
c-coefficient is then distorted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from qualcode.analysis.data import AnalysisError, ProjectData

UNITS = ("overlap", "sentence", "turn", "window", "document", "participant")
MEASURES = ("count", "jaccard", "conditional")
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
    doc = data.sentences["document_id"].to_numpy()[order]
    return spans, units, doc


def _incidence(data: ProjectData, codings: pd.DataFrame, code_idx: np.ndarray, unit: str, window: int):
    """(unit index, code index) pairs, one per unit a code touches (duplicates allowed)."""
    if unit == "sentence":
        spans, units, _ = _sentence_pairs(data, codings)
        return units, code_idx[spans]
    if unit == "window":
        spans, units, doc = _sentence_pairs(data, codings)
        codes = code_idx[spans]
        if window:
            shifts = np.arange(-window, window + 1)
            origin = np.repeat(doc[units], len(shifts))
            units = (units[:, None] + shifts[None, :]).ravel()
            codes = np.repeat(codes, len(shifts))
            ok = (units >= 0) & (units < len(doc))
            units, codes = units[ok], codes[ok]
            same = doc[units] == origin[ok]  # a window never reaches into another document
            units, codes = units[same], codes[same]
        return units, codes
    if unit == "turn":
        spans, turns = data.span_turns(codings)
        return turns, code_idx[spans]
    if unit == "document":
        return pd.factorize(codings["document_id"])[0], code_idx
    if unit == "participant":
        person = data.documents["participant_id"].reindex(codings["document_id"]).to_numpy()
        keep = pd.notna(person)
        return pd.factorize(person[keep])[0], code_idx[keep]
    raise AnalysisError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")


def _overlap_counts(data: ProjectData, codings: pd.DataFrame, code_idx: np.ndarray, k: int, need_hits: bool):
    """(pair counts k×k, 'A codings overlapping ≥1 B coding' k×k or None) at the overlap unit.

    Pairs are counted within each coder and summed: that coder applied both codes to
    overlapping text. (Pairing one coder's A with another's B would let three coders who each
    coded one passage A and B give n12 = 9 against n1 = 3, a Jaccard outside 0–1.)
    """
    pairs = np.zeros((k, k), dtype=np.int64)
    hits = np.zeros((k, k), dtype=np.int64) if need_hits else None
    coder_col = codings["coder"].to_numpy()
    for coder in np.unique(coder_col):
        mine = np.flatnonzero(coder_col == coder)
        p, h = _overlap_counts_one(data, codings.iloc[mine], code_idx[mine], k, need_hits)
        pairs += p
        if need_hits:
            hits += h
    return pairs, hits


def _overlap_counts_one(data: ProjectData, codings: pd.DataFrame, code_idx: np.ndarray, k: int,
                        need_hits: bool):
    """:func:`_overlap_counts` for one coder's codings."""
    gs, ge = data.global_spans(codings)
    order = np.lexsort((ge, gs))
    gs, ge, codes = gs[order], ge[order], code_idx[order]
    # Each overlapping pair is found once, from the coding that starts first (ties: sort order):
    # the later one starts before the earlier one ends.
    hi = np.searchsorted(gs, ge, side="left")
    counts = np.clip(hi - np.arange(len(gs)) - 1, 0, None)
    first = np.repeat(np.arange(len(gs)), counts)
    second = first + 1 + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    a, b = codes[first], codes[second]
    pairs = np.bincount(a * k + b, minlength=k * k).reshape(k, k)
    pairs = pairs + pairs.T
    np.fill_diagonal(pairs, 0)
    if not need_hits:
        return pairs, None
    # For P(B|A): which codings have at least one overlapping coding of each other code
    # (distinct (coding, other code) keys by sorting: numpy's hash-based unique is slower here).
    keys = np.sort(np.concatenate([first * k + b, second * k + a]))
    if len(keys):
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    coding, other = keys // k, keys % k
    hits = np.bincount(codes[coding] * k + other, minlength=k * k).reshape(k, k)
    np.fill_diagonal(hits, 0)
    return pairs, hits


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
    if unit == "overlap":
        n1 = np.bincount(code_idx, minlength=k).astype(np.int64)
        n12, hits = (_overlap_counts(data, codings, code_idx, k, measure == "conditional") if k
                     else (np.zeros((0, 0), dtype=np.int64),) * 2)
    else:
        units, cidx = _incidence(data, codings, code_idx, unit, window)
        n_units = int(units.max()) + 1 if len(units) else 0
        x = sparse.csr_matrix((np.ones(len(units), dtype=np.float64), (units, cidx)), shape=(n_units, k))
        x.data[:] = 1.0  # duplicates were summed; a unit is coded with A or not
        x.sum_duplicates()
        x.data[:] = 1.0
        n12 = (x.T @ x).toarray().astype(np.int64)
        n1 = np.diag(n12).copy()
        np.fill_diagonal(n12, 0)
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
        "coders": data.describe_coders(),
        "filters": dict(data.filters),
        "n": counts,
        "frequency_flags": flags,
        "out_of_range": out_of_range,
    })
    return frame
