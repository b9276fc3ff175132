"""The theme × group table: how many participants of each group raised each theme.

:func:`theme_table` counts, on one :class:`~qualcode.analysis.data.ProjectData` (so on its
coding set), the **participants** of each group who raised each theme, with the group's size
and the percent of the group. :func:`theme_quotes` picks each theme's key quotes (codings a
coder starred), one per passage. ``qualcode.analysis.theme_report`` writes both as JSON, CSV,
XLSX, DOCX and Markdown; ``qualcode.analysis.theme_chart`` draws the table.

**Rows** (the themes) are either

* the codes at one *depth* of the tree (0 = the top-level themes such as ``Barriers``), every
  code below rolled up into its ancestor at that depth; a leaf code above that depth is a row of
  its own (its branch goes no deeper), while codings placed directly on an inner code above the
  depth belong to no row (the table's note counts them); or
* the codebook's *levels*, which cut across the tree (``level: Institutional`` on
  ``Barriers/Institutional`` and on ``Enablers/Institutional``): a code counts towards its own
  level, or else towards the nearest ancestor's, so a level set on a branch covers its sub-codes.
  A level pools barriers and enablers ("who talked about institutional matters at all");
  ``per_branch=True`` keeps them apart as ``Barriers · Institutional``, ``Enablers ·
  Institutional`` — what a paper that reports barriers and enablers by level needs. Codes
  without a level (and no ancestor with one) belong to no row (the note names their branches).

**Columns** (the groups) are the values of one participant attribute (``by="attribute:role"``;
a derived grouping such as a stakeholder group is an ordinary attribute), with ``(none)`` for
participants without a value, or the project's document groups (``by="group"``; a participant
belongs to a group through their documents in it, and raised a theme *in that group* when a
passage of it is in one of those documents; documents in no group form ``(none)``). A
**Total** column counts every participant in scope.

**What is counted.** A participant raised a theme when at least one passage of any code under
it is in one of their documents, in the coding set (a passage: the set's overlapping codings of
one code, whoever made them — so two coders coding one passage still make one participant).
The percent is of the group's participants *in scope*: participants with at least one document
that the coding set coded (a document the set has no coding in was not coded by it, and would
only lower every percent; ``include_uncoded=True`` counts such documents too). A document
without a participant is counted as a case of its own (named by the document), in ``(none)`` of
an attribute; the note says how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qualcode.analysis.data import AnalysisError, CodingSet, ProjectData

NONE_GROUP = "(none)"
BRANCH_SEP = " · "


@dataclass
class ThemeTable:
    """The result of :func:`theme_table`.

    ``counts``: themes (index, in tree order) × groups (columns, in order) → participants who
    raised the theme in the group. ``total``: per theme, participants of every group together.
    ``sizes``: participants per group; ``total_size``: participants in scope. ``codes``: per
    theme, the code paths rolled into it. ``members``: one row per (case, group, document) in
    scope — ``case`` (participant key), ``label`` (participant id, or the document name for a
    document without one), ``group``, ``document_id``. ``notes``: what the reader must know
    (the default coding set, what was left out).
    """

    counts: pd.DataFrame
    total: pd.Series
    sizes: dict[str, int]
    total_size: int
    codes: dict[str, list[str]]
    members: pd.DataFrame
    by: str
    rows: str  # "depth" or "level"
    depth: int | None
    per_branch: bool
    coding_set: CodingSet
    notes: list[str] = field(default_factory=list)
    any_theme: pd.Series | None = None  # per group (and "Total"): participants who raised any row

    # -- reading the table ---------------------------------------------------------------

    @property
    def themes(self) -> list[str]:
        """Row labels, in order."""
        return list(self.counts.index)

    @property
    def groups(self) -> list[str]:
        """Column names (without Total), in order."""
        return list(self.counts.columns)

    @property
    def by_label(self) -> str:
        """``role`` for ``attribute:role``; ``document group`` for ``group``."""
        return self.by.split(":", 1)[1] if self.by.startswith("attribute:") else "document group"

    @property
    def rows_label(self) -> str:
        """What a row is, in words."""
        if self.rows == "level":
            return "code levels within each top-level branch" if self.per_branch else "code levels (across branches)"
        return ("top-level themes" if self.depth == 0 else f"themes at depth {self.depth}") + \
            " (codes below rolled up)"

    @property
    def note(self) -> str:
        """The notes as one paragraph."""
        return " ".join(self.notes)

    def percent(self, theme: str, group: str | None = None) -> float | None:
        """Percent of ``group``'s participants (None: of all) who raised ``theme``; None if empty."""
        n = self.total[theme] if group is None else self.counts.at[theme, group]
        size = self.total_size if group is None else self.sizes[group]
        return 100.0 * n / size if size else None

    def header(self, group: str | None = None) -> str:
        """A column header with its size: ``Leadership and faculty (n = 5)``; None → Total."""
        if group is None:
            return f"Total (n = {self.total_size})"
        return f"{group} (n = {self.sizes[group]})"

    def cell(self, theme: str, group: str | None = None) -> str:
        """``3 (60%)``: participants and whole percent of the group (None → Total)."""
        n = int(self.total[theme] if group is None else self.counts.at[theme, group])
        pct = self.percent(theme, group)
        return f"{n} ({pct:.0f}%)" if pct is not None else str(n)

    def counted(self) -> str:
        """One sentence on what a cell is, for every output's header."""
        return ("Cells: participants who raised the theme (at least one passage of a code under it in "
                "their documents), n and % of the group's participants; group sizes count participants "
                "with at least one document coded in the set.")

    def methods(self) -> str:
        """The methods line: set, unit, rows, columns, percent basis, notes."""
        return (f"Coding set: {self.coding_set.label}. Rows: {self.rows_label}. Columns: participants "
                f"grouped by {self.by_label}, and all participants (Total). {self.counted()}"
                + (f" {self.note}" if self.notes else ""))

    def display(self) -> pd.DataFrame:
        """The table as text for a page or a document: ``theme`` then ``n (%)`` per group and Total."""
        out = {"theme": self.themes}
        for g in self.groups:
            out[self.header(g)] = [self.cell(t, g) for t in self.themes]
        out[self.header()] = [self.cell(t) for t in self.themes]
        return pd.DataFrame(out)

    def percents(self) -> pd.DataFrame:
        """Themes × (groups + ``Total``) → percent (NaN for an empty group)."""
        frame = self.counts.astype(float).copy()
        for g in self.groups:
            frame[g] = frame[g] * 100.0 / self.sizes[g] if self.sizes[g] else np.nan
        frame["Total"] = self.total.astype(float) * 100.0 / self.total_size if self.total_size else np.nan
        return frame

    def as_dict(self) -> dict:
        """The JSON form: ``{"set", "by", "rows"/"depth"/"level", "unit", "groups", "rows", "note"}``."""
        def cell(n, size):
            return {"participants": int(n), "percent": round(100.0 * n / size, 1) if size else None}

        out = {"set": self.coding_set.as_dict(), "by": self.by, "unit": "participants"}
        if self.rows == "level":
            out["level"] = "per branch" if self.per_branch else "across branches"
        else:
            out["depth"] = self.depth
        out["groups"] = [{"name": g, "participants": self.sizes[g]} for g in self.groups]
        out["total_participants"] = self.total_size
        out["rows"] = [{"theme": t, "codes": self.codes[t],
                        "cells": {g: cell(self.counts.at[t, g], self.sizes[g]) for g in self.groups},
                        "total": cell(self.total[t], self.total_size)} for t in self.themes]
        out["counted"] = self.counted()
        if self.notes:
            out["note"] = self.note
        return out


# -- rows ---------------------------------------------------------------------------------

def _rows_by_depth(codes: pd.DataFrame, depth: int) -> tuple[dict[int, str], list[str]]:
    """code id → row label (path of its ancestor at ``depth``), and the inner codes left out."""
    parents = set(codes["parent_id"].dropna().astype(np.int64))
    row_of, left_out = {}, []
    for cid, r in codes.sort_values("order").iterrows():
        if r["depth"] >= depth:
            row_of[cid] = codes.at[r["ancestors"][depth], "path"]
        elif cid not in parents:
            row_of[cid] = r["path"]  # a leaf above the depth: its branch goes no deeper
        else:
            left_out.append(cid)
    return row_of, left_out


def _rows_by_level(codes: pd.DataFrame, per_branch: bool) -> tuple[dict[int, str], list[int]]:
    """code id → level row label (own level, else the nearest ancestor's), and codes without one."""
    own = {cid: lv.strip() for cid, lv in codes["level"].items()
           if isinstance(lv, str) and lv.strip()}
    if not own:
        raise AnalysisError("no code has a level yet: give codes a `level:` in the codebook (e.g. "
                            "`level: Institutional` on Barriers/Institutional and Enablers/Institutional), "
                            "or choose a depth instead")
    row_of, without = {}, []
    for cid, r in codes.sort_values("order").iterrows():
        level = next((own[a] for a in reversed(r["ancestors"]) if a in own), None)
        if level is None:
            without.append(cid)
        else:
            row_of[cid] = f"{r['top']}{BRANCH_SEP}{level}" if per_branch else level
    return row_of, without


# -- columns ------------------------------------------------------------------------------

def _value_text(value) -> str | None:
    """An attribute value as column text (``5`` not ``5.0``); None when missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _cases(data: ProjectData, doc_ids: list[int]) -> pd.DataFrame:
    """document_id (index) → case key, label and participant id (None when the document has none)."""
    docs = data.documents.loc[doc_ids]
    pids = [int(v) if pd.notna(v) else None for v in docs["participant_id"]]
    case = [f"p{p}" if p is not None else f"d{d}" for p, d in zip(pids, docs.index)]
    label = [str(p) if pid is not None and isinstance(p, str) else name
             for pid, p, name in zip(pids, docs["participant"], docs["document"])]
    return pd.DataFrame({"case": case, "label": label, "participant_id": pids}, index=docs.index)


def _members(data: ProjectData, by: str, cases: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """(case, label, group, document_id) per membership, and the group order."""
    if by.startswith("attribute:"):
        name = by.split(":", 1)[1]
        if name not in data.attributes.columns:
            known = ", ".join(f"attribute:{a}" for a in data.attributes.columns) or "none yet"
            raise AnalysisError(f"no participant attribute {name!r} (known: {known}; or `group` for "
                                "document groups)")
        column = data.attributes[name]
        values = [_value_text(column.get(p)) if p is not None else None for p in cases["participant_id"]]
        frame = cases.assign(group=[v if v is not None else NONE_GROUP for v in values])
        frame = frame.reset_index(names="document_id")
        present = [v for v in dict.fromkeys(values) if v is not None]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        order = sorted(present, key=(lambda v: float(v)) if numeric else (lambda v: (v.casefold(), v)))
        return frame, order + ([NONE_GROUP] if None in values else [])
    if by == "group":
        groups = data.document_groups
        if groups.empty:
            raise AnalysisError("no document in scope is in a document group (`qualcode group create NAME`, "
                                "`qualcode group add NAME DOC...`); or choose attribute:NAME")
        inside = groups[groups["document_id"].isin(cases.index)]
        frame = inside.merge(cases, left_on="document_id", right_index=True)
        loose = cases.index.difference(inside["document_id"])
        if len(loose):
            frame = pd.concat([frame, cases.loc[loose].assign(group=NONE_GROUP).reset_index(names="document_id")])
        order = sorted(dict.fromkeys(inside["group"]), key=lambda v: (str(v).casefold(), str(v)))
        return frame[["document_id", "case", "label", "participant_id", "group"]].reset_index(drop=True), \
            order + ([NONE_GROUP] if len(loose) else [])
    known = ", ".join(f"attribute:{a}" for a in data.attributes.columns) or "no attributes yet"
    raise AnalysisError(f"--by must be attribute:NAME or group, not {by!r} (attributes: {known})")


# -- the table ----------------------------------------------------------------------------

def theme_table(
    data: ProjectData,
    *,
    by: str,
    depth: int | None = None,
    level: bool = False,
    per_branch: bool = False,
    themes: list[str] | None = None,
    include_uncoded: bool = False,
) -> ThemeTable:
    """Participants of each group who raised each theme (see the module docstring).

    ``by``: ``"attribute:NAME"`` or ``"group"`` (document groups). ``depth``: rows are the codes
    at this depth, codes below rolled up (default 0, the top-level themes); ``level``: rows are
    the codebook's levels instead (``per_branch``: one row per top-level branch and level).
    ``themes``: keep only these rows (a row label, or a code path whose rows below it are kept).
    ``include_uncoded``: count participants whose documents the set never coded in the sizes.
    """
    if level and depth is not None:
        raise AnalysisError("choose a depth or levels as rows, not both")
    if per_branch and not level:
        raise AnalysisError("per_branch splits levels by their top-level branch: use it with levels")
    codes = data.codes
    notes = [data.coding_set.note] if data.coding_set.note else []
    if level:
        row_of, unplaced = _rows_by_level(codes, per_branch)
    else:
        depth = 0 if depth is None else int(depth)
        deepest = int(codes["depth"].max()) if len(codes) else 0
        if depth < 0 or depth > deepest:
            raise AnalysisError(f"depth must be 0 (top-level themes) to {deepest} (the deepest codes), not {depth}")
        row_of, unplaced = _rows_by_depth(codes, depth)
    order = list(dict.fromkeys(row_of[c] for c in codes.sort_values("order").index if c in row_of))
    if themes:
        order = _pick(order, themes)
    rolled: dict[str, list[str]] = {t: [] for t in order}
    for cid in codes.sort_values("order").index:
        if row_of.get(cid) in rolled:
            rolled[row_of[cid]].append(codes.at[cid, "path"])

    codings = data.codings
    coded_docs = set(codings["document_id"])
    all_docs = list(data.documents.index)
    doc_ids = all_docs if include_uncoded else [d for d in all_docs if d in coded_docs]
    if not include_uncoded and len(doc_ids) < len(all_docs):
        skipped = [data.documents.at[d, "document"] for d in all_docs if d not in coded_docs]
        notes.append(f"Only the {len(doc_ids)} of {len(all_docs)} documents with codings in the set are counted "
                     f"(not coded: {', '.join(skipped[:5])}{', …' if len(skipped) > 5 else ''}).")
    cases = _cases(data, doc_ids)
    members, group_order = _members(data, by, cases)
    loose_docs = int(cases["participant_id"].isna().sum())
    if loose_docs:
        notes.append(f"{loose_docs} document{'s have' if loose_docs != 1 else ' has'} no participant; each is "
                     "counted as one case.")
    outside = codings[codings["code_id"].isin(unplaced) & codings["document_id"].isin(doc_ids)]
    if len(outside):
        n = outside["passage"].nunique()
        if level:
            where = f"of codes without a level ({_where(codes, set(outside['code_id']), set(unplaced))})"
        else:
            paths = codes.loc[sorted(set(outside["code_id"]), key=lambda c: codes.at[c, "order"]), "path"]
            where = f"coded directly on codes above depth {depth} ({', '.join(paths)})"
        notes.append(f"{n} passage{'s' if n != 1 else ''} {where} {'are' if n != 1 else 'is'} in no row.")

    rows = codings["code_id"].map(row_of)
    hits = pd.DataFrame({"document_id": codings["document_id"], "theme": rows})
    hits = hits[hits["theme"].isin(order) & hits["document_id"].isin(doc_ids)].drop_duplicates()
    per_group = hits.merge(members[["document_id", "case", "group"]], on="document_id")
    counts = (per_group.drop_duplicates(["theme", "group", "case"]).groupby(["theme", "group"]).size()
              .unstack("group").reindex(index=order, columns=group_order).fillna(0).astype(np.int64))
    counts.index.name, counts.columns.name = "theme", None
    with_case = hits.merge(cases[["case"]], left_on="document_id", right_index=True)
    total = with_case.drop_duplicates(["theme", "case"]).groupby("theme").size() \
        .reindex(order).fillna(0).astype(np.int64)
    sizes = {g: int(n) for g, n in members.groupby("group")["case"].nunique().reindex(group_order).items()}
    any_theme = per_group.drop_duplicates(["group", "case"]).groupby("group").size() \
        .reindex(group_order).fillna(0).astype(np.int64)
    any_theme["Total"] = with_case["case"].nunique()
    return ThemeTable(counts=counts, total=total, sizes=sizes, total_size=int(cases["case"].nunique()),
                      codes=rolled, members=members, by=by, rows="level" if level else "depth",
                      depth=None if level else depth, per_branch=per_branch, coding_set=data.coding_set,
                      notes=notes, any_theme=any_theme)


def _where(codes: pd.DataFrame, coded: set[int], unplaced: set[int]) -> str:
    """The codes of ``coded`` in words, short: a top-level branch none of whose codes is in a row
    is named once (``branch Recommendations``), the others by path (``codes Barriers``)."""
    ordered = codes.loc[sorted(coded, key=lambda c: codes.at[c, "order"])]
    whole = [t for t in dict.fromkeys(ordered["top"])
             if set(codes.index[codes["top"] == t]) <= unplaced]
    rest = [p for p, t in zip(ordered["path"], ordered["top"]) if t not in whole]
    parts = ([("branches " if len(whole) > 1 else "branch ") + ", ".join(whole)] if whole else []) + \
        ([("codes " if len(rest) > 1 else "code ") + ", ".join(rest)] if rest else [])
    return "; ".join(parts)


def _pick(order: list[str], wanted: list[str]) -> list[str]:
    """The rows named in ``wanted`` (a label, or a path prefix), in table order; unknown → error."""
    keep = set()
    for w in wanted:
        key = w.strip().strip("/").casefold()
        hit = [t for t in order if t.casefold() == key or t.casefold().startswith(key + "/")]
        if not hit:
            raise AnalysisError(f"no theme {w!r} among the rows ({', '.join(order) or 'none'})")
        keep.update(hit)
    return [t for t in order if t in keep]


# -- key quotes ---------------------------------------------------------------------------

@dataclass
class Quote:
    """One quote of a theme: the text of one passage, who said it, who coded and starred it."""

    text: str
    document: str
    participant: str  # the participant id, or the document name when it has none
    group: str  # the participant's group(s) in the table's columns
    coders: list[str]  # every coder in the set whose coding of the theme overlaps the passage
    starred_by: list[str]  # coders who starred it (empty for a representative passage)
    codes: list[str]  # code paths of the codings quoted
    start: int
    end: int

    def as_dict(self) -> dict:
        """JSON-ready."""
        return dict(self.__dict__)


@dataclass
class ThemeQuotes:
    """A theme's quotes: ``kind`` is ``"key"`` (starred), ``"representative"`` (no star; the
    passages coded by the most coders, as a fallback) or ``"none"``; ``starred`` counts every
    starred passage (more than shown when the limit cut them)."""

    theme: str
    kind: str
    quotes: list[Quote]
    starred: int = 0

    def describe(self) -> str:
        """What the reader sees above the quotes."""
        if self.kind == "key":
            more = f" ({len(self.quotes)} of {self.starred} shown)" if self.starred > len(self.quotes) else ""
            return f"Key quotes starred by the coders{more}."
        if self.kind == "representative":
            return ("No key quote starred; passages coded by the most coders are shown instead "
                    "(chosen automatically, not by a researcher).")
        return "No key quote starred for this theme."


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of overlapping spans (touching spans stay apart), sorted."""
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _spread(quotes: list[Quote], limit: int) -> list[Quote]:
    """Up to ``limit`` quotes, one per participant first (then a second each...), in input order."""
    if limit <= 0:
        return []
    picked, left = [], list(quotes)
    while left and len(picked) < limit:
        seen, rest = set(), []
        for q in left:
            if q.participant in seen or len(picked) >= limit:
                rest.append(q)
            else:
                seen.add(q.participant)
                picked.append(q)
        left = rest
    return picked


def theme_quotes(data: ProjectData, table: ThemeTable, *, limit: int = 3,
                 fallback: bool = False) -> dict[str, ThemeQuotes]:
    """Per theme of ``table``: up to ``limit`` key quotes, one per passage.

    Starred codings (``key_quote``) of the set under the theme are joined where their spans
    overlap in one document, across its codes and coders, so one passage starred by two coders
    (or under two sub-codes) is one quote listing both; its text is the union of the starred
    spans. Quotes are spread over participants (one each before a second) and shown in document
    order. ``fallback``: a theme without a star gets up to ``limit`` of its passages coded by the
    most coders instead (``kind="representative"``, said so).
    """
    codes = data.codes
    if table.rows == "level":
        row_of, _ = _rows_by_level(codes, table.per_branch)
    else:
        row_of, _ = _rows_by_depth(codes, table.depth)
    members = table.members
    doc_ids = set(members["document_id"])
    codings = data.codings[data.codings["document_id"].isin(doc_ids)]
    codings = codings.assign(theme=codings["code_id"].map(row_of))
    codings = codings[codings["theme"].isin(table.themes)]
    groups = members.groupby("document_id")["group"].agg(lambda g: ", ".join(dict.fromkeys(g)))
    label = members.drop_duplicates("document_id").set_index("document_id")["label"]
    rank = {d: i for i, d in enumerate(data.documents.index)}
    by_name = {data.documents.at[d, "document"]: i for d, i in rank.items()}
    out: dict[str, ThemeQuotes] = {}
    by_theme = dict(tuple(codings.groupby("theme", sort=False)))
    for theme in table.themes:
        rows = by_theme.get(theme, codings.iloc[0:0])
        starred = rows[rows["key_quote"]]
        found = _quotes(data, rows, starred, groups, label, rank) if len(starred) else []
        if found:
            out[theme] = ThemeQuotes(theme, "key", _in_order(_spread(found, limit), by_name), len(found))
        elif fallback and len(rows) and limit > 0:
            found = _quotes(data, rows, rows, groups, label, rank)
            found.sort(key=lambda q: (-len(q.coders), by_name[q.document], q.start))
            for q in found:
                q.starred_by = []
            out[theme] = ThemeQuotes(theme, "representative", _in_order(_spread(found, limit), by_name))
        else:
            out[theme] = ThemeQuotes(theme, "none", [])
    return out


def _in_order(quotes: list[Quote], rank: dict[str, int]) -> list[Quote]:
    """``quotes`` in document order (``rank``: document name → position), then by start."""
    return sorted(quotes, key=lambda q: (rank[q.document], q.start))


def _quotes(data: ProjectData, rows: pd.DataFrame, chosen: pd.DataFrame, groups, label, rank) -> list[Quote]:
    """One :class:`Quote` per union of overlapping ``chosen`` spans in a document, in document order."""
    found = []
    for doc, picked in sorted(chosen.groupby("document_id"), key=lambda kv: rank[kv[0]]):
        around = rows[rows["document_id"] == doc]
        text = data.texts[doc]
        for s, e in _merge(list(zip(picked["start"].tolist(), picked["end"].tolist()))):
            inside = picked[(picked["start"] < e) & (picked["end"] > s)]
            near = around[(around["start"] < e) & (around["end"] > s)]
            found.append(Quote(
                text=text[s:e], document=data.documents.at[doc, "document"], participant=str(label.get(doc, "")),
                group=str(groups.get(doc, "")), coders=sorted(set(near["coder"])),
                starred_by=sorted(set(inside["coder"])),
                codes=list(dict.fromkeys(data.codes.loc[inside.sort_values("start")["code_id"], "path"])),
                start=int(s), end=int(e)))
    return found
