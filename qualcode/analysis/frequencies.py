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
from scipy import sparse

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
    if by is None:
        return every, np.zeros(n, dtype=np.int64), [""], None, None
    docpos = _doc_rows(data, codings["document_id"].to_numpy(np.int64))
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


def word_ranges(data: ProjectData, gs: np.ndarray, ge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For spans at global offsets ``gs``/``ge``: the range [lo, hi) of global word numbers they touch."""
    wstart, wend = data.words()
    lo = np.searchsorted(wend, gs, side="right")  # first word ending after the span starts
    hi = np.searchsorted(wstart, ge, side="left")  # words starting before the span ends
    return lo, hi


def _doc_rows(data: ProjectData, document_id: np.ndarray) -> np.ndarray:
    """Row of each document id in ``data.documents`` (an array lookup; -1 for an unknown id)."""
    ids = data.documents.index.to_numpy(np.int64)
    if len(document_id) == 0:
        return np.zeros(0, dtype=np.int64)
    lookup = np.full(max(int(ids.max(initial=-1)), int(document_id.max())) + 1, -1, dtype=np.int64)
    lookup[ids] = np.arange(len(ids))
    return lookup[document_id]


def _count_distinct(group: np.ndarray, values: np.ndarray, n_groups: int, width: int) -> np.ndarray:
    """Distinct ``values`` (0 <= value < width) per ``group``: a mark per (group, value) when the
    table is small, else sorted keys."""
    if len(group) == 0:
        return np.zeros(n_groups, dtype=np.int64)
    keys = group.astype(np.int64) * width + values
    if n_groups * width <= 1 << 24:
        seen = np.zeros(n_groups * width, dtype=bool)
        seen[keys] = True
        return np.count_nonzero(seen.reshape(n_groups, width), axis=1)
    return np.bincount(_unique(keys) // width, minlength=n_groups)


def _unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values of a non-negative int64 array (``np.unique``'s hash table in numpy
    2.3+ is many times slower than this sort; keys that fit are sorted as int32, faster again)."""
    if len(keys) and int(keys.max()) < 2**31:
        keys = keys.astype(np.int32)
    keys = np.sort(keys)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return keys[first].astype(np.int64)


def _levels(codes: pd.DataFrame, rollup: bool) -> list[np.ndarray]:
    """Roll-up as levels: for each depth d, the position of every code's ancestor at depth d
    (-1 when the code is shallower), so each level sends a coding to at most one row and the
    levels together send it to its code and every theme above it. Without roll-up: one level,
    each code to itself."""
    n = len(codes)
    if not rollup or n == 0:
        return [np.arange(n, dtype=np.int64)]
    position = {code_id: i for i, code_id in enumerate(codes.index.tolist())}
    chains = [[position[a] for a in chain] for chain in codes["ancestors"]]
    depth = max(len(c) for c in chains)
    levels = np.full((depth, n), -1, dtype=np.int64)
    for code, chain in enumerate(chains):
        levels[:len(chain), code] = chain
    return list(levels)


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
    n_codes = len(codes)
    cidx, keys, key_values, column, spans = _coding_keys(data, codings, by)
    n_keys = max(len(key_values), 1)
    n_groups = max(n_codes, 1) * n_keys
    n_words = len(data.words()[0])
    # Each (coding, key) pair: its code's row, the document and the word range of its text.
    doc_of = _doc_rows(data, codings["document_id"].to_numpy(np.int64))
    code_of = codes.index.get_indexer(codings["code_id"].to_numpy(np.int64))
    identity = spans is None and len(cidx) == len(codings)  # one pair per coding, in order
    if spans is None:
        base = data.documents["base"].to_numpy(np.int64)[doc_of]
        spans = (base + codings["start"].to_numpy(np.int64), base + codings["end"].to_numpy(np.int64))
        if not identity:
            spans = (spans[0][cidx], spans[1][cidx])
    lo, hi = word_ranges(data, *spans)
    leaf = code_of if identity else code_of[cidx]
    doc = doc_of if identity else doc_of[cidx]
    passage = codings["passage"].to_numpy(np.int64) if "passage" in codings else np.arange(len(codings))

    # Passages and codings add up over sub-codes (a coding and a passage have one code), so
    # they are counted per code and key, then summed up the tree (one sparse product).
    leaf_group = leaf.astype(np.int64) * n_keys + keys
    if by == "speaker":  # a coding across two turns of one speaker is one coding of theirs
        n_codings = _count_distinct(leaf_group, cidx, n_groups, max(len(codings), 1))
    else:
        n_codings = np.bincount(leaf_group, minlength=n_groups)
    p = passage if identity else passage[cidx]
    n_passages = np.zeros(n_groups, dtype=np.int64)
    if len(p):  # distinct (passage, key); a passage has one code, so one leaf row
        width = int(p.max()) + 1
        leaf_of = np.zeros(width, dtype=np.int64)
        leaf_of[p] = leaf
        if n_keys == 1:
            seen = np.zeros(width, dtype=bool)
            seen[p] = True
            pk = np.flatnonzero(seen)
        else:
            pk = _unique(p * n_keys + keys)
        n_passages = np.bincount(leaf_of[pk // n_keys] * n_keys + pk % n_keys, minlength=n_groups)
    levels = _levels(codes, rollup)
    if n_codes:
        rows = np.concatenate([level[level >= 0] for level in levels])
        cols = np.concatenate([np.flatnonzero(level >= 0) for level in levels])
        up = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_codes, n_codes))
        leaf_counts = np.stack([n_codings[:n_codes * n_keys], n_passages[:n_codes * n_keys]], axis=1)
        rolled = up @ leaf_counts.reshape(n_codes, n_keys * 2).astype(np.float64)
        rolled = np.rint(rolled).astype(np.int64).reshape(n_codes * n_keys, 2)
        n_codings, n_passages = rolled[:, 0], rolled[:, 1]

    # Documents, participants and words do not add up: each level of the tree is counted on
    # its own, with the pairs ordered by (row, first word). Word numbers grow with the
    # document (global offsets), so in that order each row's documents come in runs.
    doc_person = pd.factorize(data.documents["participant_id"])[0]  # -1: no participant
    n_people = int(doc_person.max(initial=-1)) + 1
    n_documents = np.zeros(n_groups, dtype=np.int64)
    n_participants = np.zeros(n_groups, dtype=np.int64)
    n_words_coded = np.zeros(n_groups, dtype=np.int64)
    in_order = n_groups < 2**15 - 1 and bool(np.all(lo[1:] >= lo[:-1]))
    for level in levels:
        node = level[leaf] if n_codes else leaf
        group = np.where(node >= 0, node * n_keys + keys, n_groups)  # n_groups: not at this level
        if in_order:  # already in word order: a stable radix sort on the small row number
            order = np.argsort(group.astype(np.int16), kind="stable")
        else:
            order = np.argsort(group * (n_words + 1) + lo, kind="stable")
        g = group[order]
        n_here = int(np.searchsorted(g, n_groups))  # the rows not at this level sort last
        order, g = order[:n_here], g[:n_here]
        if n_here == 0:
            continue
        d = doc[order]
        new_pair = np.ones(n_here, dtype=bool)
        new_pair[1:] = (g[1:] != g[:-1]) | (d[1:] != d[:-1])
        pair_group, pair_doc = g[new_pair], d[new_pair]
        n_documents += np.bincount(pair_group, minlength=n_groups)
        person = doc_person[pair_doc]
        has = person >= 0
        if n_people:
            n_participants += _count_distinct(pair_group[has], person[has], n_groups, n_people)
        # words: the union of the word ranges of each row, as a running maximum over rows
        # shifted onto their own stretch of the number line
        shift = g * (n_words + 1)
        l, h = lo[order] + shift, hi[order] + shift
        covered = np.maximum.accumulate(h)
        before = np.empty(n_here, dtype=np.int64)
        before[0] = np.iinfo(np.int64).min
        before[1:] = covered[:-1]
        n_words_coded += np.bincount(g, weights=np.clip(h - np.maximum(l, before), 0, None),
                                     minlength=n_groups).astype(np.int64)
    size = n_codes * n_keys
    stats = pd.DataFrame({
        "node": np.repeat(np.arange(n_codes), n_keys) if n_codes else np.zeros(0, dtype=np.int64),
        "key": np.tile(np.arange(n_keys), n_codes),
        "passages": n_passages[:size],
        "codings": n_codings[:size],
        "documents": n_documents[:size],
        "participants": n_participants[:size],
        "words": n_words_coded[:size],
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
