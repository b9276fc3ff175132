"""Code and theme frequencies: passages, codings, documents, participants and words coded.

Everything is counted on the analysis coding set (``ProjectData.coding_set``). **Passages**
count text, not clicks: the codings of one code in one document whose spans overlap, from any
coder of the set, are one passage (``ProjectData.codings["passage"]``), so two coders who coded
the same sentence give one passage and two **codings**.

A *theme* is a code with codes below it; with ``rollup=True`` (the default) a code's row counts
its own codings and those of every code below it, so ``Barriers`` sums all barriers, and each
coding counts once per theme even when several of its sub-codes apply (a theme's passages are
its sub-codes' passages, each counted once).

**Words coded** counts the spoken words (runs of non-space characters inside a turn, so speaker
labels and clock times never count; all words of a document without turns) that share at least
one character with the *union* of the coded spans: text coded twice (overlapping or nested
codings, two coders, two sub-codes of one theme) is counted once, and a word only partly inside
a span counts as one word. **By speaker**, a coding that crosses turns gives each speaker only
the words of their own turns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qualcode.analysis.data import AnalysisError, ProjectData

#: Values accepted by ``by`` (besides ``attribute:NAME``).
BREAKDOWNS = ("document", "coder", "speaker")
NO_SPEAKER = "(no speaker)"
NO_VALUE = "(none)"


def _coding_keys(data: ProjectData, codings: pd.DataFrame, by: str | None):
    """(coding index, key code) pairs for the breakdown, the key values, the column name and the
    global (start, end) of the text each pair counts (None: the whole coding).

    Every coding has one pair, except with ``by="speaker"``: one per turn it overlaps, counting
    only the part of the coding inside that turn (a span outside every turn counts whole for
    ``(no speaker)``).
    """
    n = len(codings)
    every = np.arange(n)
    docpos = data.documents.index.get_indexer(codings["document_id"])
    if by is None:
        return every, np.zeros(n, dtype=np.int64), [""], None, None
    if by == "document":
        return every, docpos.astype(np.int64), data.documents["document"].tolist(), "document", None
    if by == "coder":
        codes, uniques = pd.factorize(codings["coder"], sort=True)
        return every, codes.astype(np.int64), list(uniques), "coder", None
    if by == "speaker":
        pos, turn_rows = data.span_turns(codings)
        cs, ce = data.global_spans(codings)
        ts, te = data.global_spans(data.turns)
        spans = (np.concatenate([np.maximum(cs[pos], ts[turn_rows]), cs[~np.isin(every, pos)]]),
                 np.concatenate([np.minimum(ce[pos], te[turn_rows]), ce[~np.isin(every, pos)]]))
        # factorize once per turn (not per coding), with (no speaker) as one more value
        speakers = data.turns["speaker"].astype(object).where(data.turns["speaker"].notna(), NO_SPEAKER)
        turn_codes, uniques = pd.factorize(pd.concat([speakers, pd.Series([NO_SPEAKER], dtype=object)],
                                                     ignore_index=True), sort=True)
        inside = np.zeros(n, dtype=bool)
        inside[pos] = True
        missing = np.flatnonzero(~inside)  # spans outside every turn
        pos = np.concatenate([pos, missing])
        codes = np.concatenate([turn_codes[turn_rows], np.full(len(missing), turn_codes[-1])])
        return pos, codes.astype(np.int64), list(uniques), "speaker", spans
    if by.startswith("attribute:"):
        name = by.split(":", 1)[1]
        if name not in data.attributes.columns:
            known = ", ".join(data.attributes.columns) or "none"
            raise AnalysisError(f"no participant attribute {name!r} (known: {known})")
        # one value per document, then spread to its codings
        values = data.attributes[name].reindex(data.documents["participant_id"]).astype(object).to_numpy()
        values = pd.Series([NO_VALUE if pd.isna(v) else str(v) for v in values], dtype=object)
        doc_codes, uniques = pd.factorize(values, sort=True)
        return every, doc_codes[docpos].astype(np.int64), list(uniques), name, None
    raise AnalysisError(f"--by must be one of {', '.join(BREAKDOWNS)} or attribute:NAME, not {by!r}")


def _distinct(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Number of distinct non-negative ``values`` per group (sort based: no hashing)."""
    ok = values >= 0
    width = int(values.max(initial=0)) + 1
    keys = np.sort(group[ok] * width + values[ok])
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return np.bincount(keys[first] // width, minlength=n_groups)


def word_ranges(data: ProjectData, gs: np.ndarray, ge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For spans at global offsets ``gs``/``ge``: the range [lo, hi) of global word numbers they touch."""
    wstart, wend = data.words()
    lo = np.searchsorted(wend, gs, side="right")  # first word ending after the span starts
    hi = np.searchsorted(wstart, ge, side="left")  # words starting before the span ends
    return lo, hi


def group_order(data: ProjectData, group: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """The permutation that sorts spans by (group, first word): one sort of shifted word numbers."""
    return np.argsort(group.astype(np.int64) * (len(data.words()[0]) + 1) + lo)


def union_words(data: ProjectData, group: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_groups: int,
                order: np.ndarray | None = None) -> np.ndarray:
    """Words coded per group: words touching the union of each group's spans (no double counting).

    ``group`` holds a group number (0..n_groups-1) per span, ``lo``/``hi`` its word range
    (:func:`word_ranges`); ``order`` is :func:`group_order` when already computed.
    """
    if order is None:
        order = group_order(data, group, lo)
    # Shift each group onto its own stretch of the number line, so one running maximum over
    # all rows never carries from one group into the next.
    shift = group.astype(np.int64) * (len(data.words()[0]) + 1)
    lo, hi, group = (lo + shift)[order], (hi + shift)[order], group[order]
    covered = np.maximum.accumulate(hi) if len(hi) else hi
    before = np.concatenate([[np.iinfo(np.int64).min], covered[:-1]])
    new = np.clip(hi - np.maximum(lo, before), 0, None)
    return np.bincount(group, weights=new, minlength=n_groups).astype(np.int64)


def frequencies(data: ProjectData, *, by: str | None = None, rollup: bool = True) -> pd.DataFrame:
    """Passages, codings, documents, participants and words coded per code, optionally broken down.

    ``by``: None, ``"document"``, ``"coder"``, ``"speaker"`` (each turn a coding overlaps;
    a coding across two speakers' turns counts for both, each with the words of their own turn)
    or ``"attribute:NAME"`` (the value of the document's participant). Columns: ``code``,
    ``depth``, [the breakdown column], ``passages``, ``codings``, ``documents``,
    ``participants``, ``words``. Without ``by`` every code of the tree has a row (zeros
    included), in tree order. ``attrs`` say which coding set was counted (``set``), the
    filters, whether themes were rolled up, and how passages and words are counted.
    """
    codings = data.codings
    codes = data.codes
    cidx, keys, key_values, column, spans = _coding_keys(data, codings, by)
    # word range of the text each (coding, key) pair counts, before the roll-up repeats pairs
    lo_p, hi_p = word_ranges(data, *(spans if spans is not None else data.global_spans(codings)))
    if spans is None:
        lo_p, hi_p = lo_p[cidx], hi_p[cidx]
    pair = np.arange(len(cidx))
    n_keys = max(len(key_values), 1)
    code_pos = codes.index.get_indexer(codings["code_id"])[cidx]
    if rollup:  # one row per (coding, code or theme above it), built with numpy, not a merge
        chains = [codes.index.get_indexer(list(a)) for a in codes["ancestors"]]
        lengths = np.array([len(c) for c in chains], dtype=np.int64)
        flat = np.concatenate(chains) if chains else np.zeros(0, dtype=np.int64)
        starts = np.cumsum(lengths) - lengths
        counts = lengths[code_pos]
        rows = np.repeat(np.arange(len(cidx)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        node = flat[np.repeat(starts[code_pos], counts) + offsets]
        cidx, keys, pair = cidx[rows], keys[rows], pair[rows]
    else:
        node = code_pos
    n_groups = max(len(codes), 1) * n_keys
    group = node.astype(np.int64) * n_keys + keys
    docpos = data.documents.index.get_indexer(codings["document_id"])
    lo, hi = lo_p[pair], hi_p[pair]
    n_codings = (_distinct(group, cidx, n_groups) if by == "speaker"
                 else np.bincount(group, minlength=n_groups))
    passage = codings["passage"].to_numpy(np.int64) if "passage" in codings else np.arange(len(codings))
    n_passages = _distinct(group, passage[cidx], n_groups)
    if n_groups < 2**15 and by != "speaker" and bool(np.all(lo[1:] >= lo[:-1])):
        # Rows already run in word order (load sorts codings by global offset and the expansion
        # keeps that order), so a stable radix sort on the small group number is enough.
        order = np.argsort(group.astype(np.int16), kind="stable")
    else:
        order = group_order(data, group, lo)
    # Word numbers grow with the document (global offsets), so in this order each group's
    # documents come in runs: a run start is a new (group, document) pair.
    g_sorted, d_sorted = group[order], docpos[cidx][order]
    new_pair = np.ones(len(order), dtype=bool)
    new_pair[1:] = (g_sorted[1:] != g_sorted[:-1]) | (d_sorted[1:] != d_sorted[:-1])
    pair_group, pair_doc = g_sorted[new_pair], d_sorted[new_pair]
    doc_person = pd.factorize(data.documents["participant_id"])[0]  # -1: no participant
    stats = pd.DataFrame({
        "node": np.repeat(np.arange(len(codes)), n_keys) if len(codes) else np.zeros(0, dtype=np.int64),
        "key": np.tile(np.arange(n_keys), len(codes)),
        "passages": n_passages[:len(codes) * n_keys],
        "codings": n_codings[:len(codes) * n_keys],
        "documents": np.bincount(pair_group, minlength=n_groups)[:len(codes) * n_keys],
        "participants": _distinct(pair_group, doc_person[pair_doc], n_groups)[:len(codes) * n_keys],
        "words": union_words(data, group, lo, hi, n_groups, order)[:len(codes) * n_keys],
    })
    counted = ["passages", "codings", "documents", "participants", "words"]
    if column is None:
        out = pd.DataFrame({"code": codes["path"].to_numpy(), "depth": codes["depth"].to_numpy(),
                            "order": codes["order"].to_numpy(), **{c: stats[c].to_numpy() for c in counted}})
    else:
        stats = stats[stats["codings"] > 0]
        nodes = stats["node"].to_numpy()
        out = pd.DataFrame({"code": codes["path"].to_numpy()[nodes], "depth": codes["depth"].to_numpy()[nodes],
                            column: np.asarray(key_values, dtype=object)[stats["key"].to_numpy()],
                            "order": codes["order"].to_numpy()[nodes], **{c: stats[c].to_numpy() for c in counted}})
        out = out.sort_values(["order", column], kind="stable")
    out = out.sort_values("order", kind="stable").drop(columns="order").reset_index(drop=True)
    for col in counted:
        out[col] = out[col].astype(np.int64)
    out.attrs.update({
        **data.result_attrs(),
        "rollup": rollup,
        "by": by,
        "passages": "a code's overlapping spans in one document, from any coder of the set, count once",
        "words": "spoken words touching the union of coded text (speaker labels and clock times excluded); "
                 "overlapping codings are not counted twice",
    })
    return out
