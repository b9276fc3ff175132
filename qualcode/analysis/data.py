"""Load a project's analysis data into pandas DataFrames, once: the one place analysis reads the DB.

:func:`load` returns a :class:`ProjectData` holding the code tree, documents (with their
canonical texts), turns, sentences, participants and their attributes, and the codings, already
filtered by coder, document and participant attributes. Everything else in
``qualcode.analysis`` computes on this object and never opens a session.

Positions follow the offset rule (code points into the canonical text, end exclusive). For
vectorised interval work every document also gets a *global* base offset
(``documents.base``): ``base + start`` places a span on one line through all texts, with a gap
of one between documents, so spans of different documents can never touch or overlap.

**The coding set.** Every analysis runs on one explicitly chosen :class:`CodingSet`: one coder,
several coders, or the ``consensus`` layer that adjudication builds (never pooled with the
coders it was made from). Across several coders the unit of counting is the *passage*: the
codings of one code in one document whose spans overlap (share a character), whoever made them,
joined into one stretch of text (see :func:`passage_ids`). Without a choice the set is the
consensus layer when it covers every document in scope, otherwise all coders as passages, with a
note saying so (:attr:`CodingSet.note`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import select, text

from qualcode.team.access import visibility
from qualcode.project.codes import tree
from qualcode.store.db import Database
from qualcode.project.documents import participant_attributes
from qualcode.store.models import Coder, Coding
from qualcode.project.codings import CONSENSUS

#: ``_SPACE[c]``: code point c is white space for ``\S`` (``str.isspace``); every such code
#: point is below U+3001 (the last is U+3000), so larger ones look up the final False.
_SPACE = np.array([chr(c).isspace() for c in range(0x3001)] + [False])
SET_KINDS = ("coder", "coders", "consensus")
SET_HELP = ("consensus | coders:A,B,... | coder:NAME (default: the consensus when it covers every "
            "document in scope, else all coders as passages)")


class AnalysisError(ValueError):
    """An analysis request that cannot be met (unknown coder, code, attribute...); says what to do."""


@dataclass(frozen=True)
class CodingSet:
    """Whose codings an analysis counts.

    ``kind``: ``"coder"`` (one coder's codings), ``"coders"`` (several coders, counted as
    passages; co-occurrence only within one coder) or ``"consensus"`` (the adjudicated layer).
    ``note``: why this set was chosen when nobody chose it (empty when chosen).
    """

    kind: str
    coders: tuple[str, ...]
    note: str = ""

    @property
    def label(self) -> str:
        """Short words for headers: ``consensus``, ``coder ana``, ``coders ana, ben (passages)``."""
        if self.kind == "consensus":
            return "consensus (adjudicated codings)"
        if self.kind == "coder":
            return f"coder {self.coders[0]}" if self.coders else "coder (none)"
        return f"coders {', '.join(self.coders)} (as passages)"

    @property
    def spec(self) -> str:
        """The ``--set`` value that selects this set again."""
        if self.kind == "consensus":
            return "consensus"
        if self.kind == "coder":
            return f"coder:{self.coders[0]}"
        return "coders:" + ",".join(self.coders)

    def as_dict(self) -> dict:
        """JSON form: ``{"kind": ..., "coders": [...]}`` (plus ``note`` when there is one)."""
        out = {"kind": self.kind, "coders": list(self.coders)}
        if self.note:
            out["note"] = self.note
        return out


def parse_set(spec: str | None) -> tuple[str, tuple[str, ...]] | None:
    """``"consensus"``, ``"coder:NAME"`` or ``"coders:A,B"`` → (kind, names); None/"" → None."""
    if spec is None or not str(spec).strip():
        return None
    spec = str(spec).strip()
    if spec.lower() == "consensus":
        return "consensus", (CONSENSUS,)
    kind, sep, rest = spec.partition(":")
    kind = kind.strip().lower()
    names = tuple(dict.fromkeys(n.strip() for n in rest.split(",") if n.strip()))
    if not sep or kind not in ("coder", "coders") or not names:
        raise AnalysisError(f"the coding set must be {SET_HELP.split(' (')[0]}, not {spec!r}")
    if kind == "coder" and len(names) != 1:
        raise AnalysisError(f"coder:NAME takes one name; for several use coders:{','.join(names)}")
    return kind, names


def passage_ids(code_pos: np.ndarray, gs: np.ndarray, ge: np.ndarray) -> np.ndarray:
    """A passage number per coding: codings of one code whose global spans overlap share one.

    Overlap is transitive here (A overlaps B, B overlaps C → one passage), as a union of
    spans is. Spans that only touch (end == start) stay apart, as everywhere in qualcode.
    """
    n = len(gs)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    width = int(ge.max()) + 1
    # Each code on its own stretch of the number line, so one running maximum never carries
    # from one code into the next.
    shift = code_pos.astype(np.int64) * width
    s, e = gs + shift, ge + shift
    order = np.lexsort((e, s))
    s, e = s[order], e[order]
    reach = np.maximum.accumulate(e)
    new = np.ones(n, dtype=bool)
    new[1:] = s[1:] >= reach[:-1]
    ids = np.empty(n, dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids


@dataclass
class ProjectData:
    """A project's analysis tables (see the module docstring for the offsets).

    * ``codes``: code_id (index), path, name, parent_id, depth, top (the path of its root theme),
      colour, level (the codebook's cross-branch level, or None), order (tree order), ancestors (tuple of code ids from the root down to the code).
    * ``documents``: document_id (index), document (name), participant_id, participant, length,
      base (global offset).
    * ``texts``: document_id → canonical text.
    * ``turns``: document_id, ordinal, speaker, start, end, media_start (seconds or NaN).
    * ``sentences``: document_id, ordinal, start, end.
    * ``attributes``: one row per participant_id (index), one column per attribute (typed).
    * ``codings``: coding_id, document_id, code_id, coder, start, end, memo, key_quote, passage
      (quotes are read from ``texts`` when needed): only the codings of ``coding_set``.
    * ``coders``: every coder the viewer may see (names), whatever the set.
    * ``document_groups``: group (name), document_id — one row per membership (kept documents only).
    * ``coding_set``: whose codings are counted (see :class:`CodingSet`).
    * ``filters``: what was applied, in words, for result attrs.
    """

    codes: pd.DataFrame
    documents: pd.DataFrame
    texts: dict[int, str]
    turns: pd.DataFrame
    sentences: pd.DataFrame
    attributes: pd.DataFrame
    codings: pd.DataFrame
    coders: list[str]
    coding_set: CodingSet = field(default_factory=lambda: CodingSet("coders", ()))
    document_groups: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"group": pd.Series(dtype=object),
                                              "document_id": pd.Series(dtype=np.int64)}))
    filters: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False)

    # -- small helpers used by several modules --------------------------------------------

    def path_of(self, code_id: int) -> str:
        """The code path of ``code_id``."""
        return self.codes.at[code_id, "path"]

    def code_ids(self, path: str | None, *, subtree: bool = True) -> list[int]:
        """Code ids at ``path`` (and below it when ``subtree``), in tree order; all when None.

        ``level:NAME`` names a codebook level across branches: every code whose level, its own or
        its nearest ancestor's, is NAME (so ``rows="level:Institutional"`` takes Barriers/
        Institutional and Enablers/Institutional with everything below them).
        """
        codes = self.codes.sort_values("order")
        if path is None:
            return codes.index.tolist()
        if path.strip().lower().startswith("level:"):
            return self._level_ids(path.split(":", 1)[1].strip())
        wanted = path.strip().strip("/").lower()
        paths = codes["path"].str.lower()
        hit = codes.index[paths == wanted]
        if len(hit) == 0:  # a unique leaf name is accepted too, as in qualcode.project.codes.resolve
            hit = codes.index[codes["name"].str.lower() == wanted]
            if len(hit) != 1:
                raise AnalysisError(
                    f"no code {path!r}; give a full path such as "
                    f"{codes['path'].iloc[0] if len(codes) else 'Barriers/Financial'!r}"
                )
        root = codes.at[hit[0], "path"].lower()
        if not subtree:
            return [int(hit[0])]
        mask = (paths == root) | paths.str.startswith(root + "/")
        return codes.index[mask].tolist()

    def effective_levels(self) -> pd.Series:
        """code_id → the code's level, its own or its nearest ancestor's (None when neither has one)."""
        own = {cid: str(v) for cid, v in self.codes["level"].items() if pd.notna(v) and str(v).strip()}
        return pd.Series({cid: next((own[a] for a in reversed(chain) if a in own), None)
                          for cid, chain in self.codes["ancestors"].items()}, dtype=object)

    def _level_ids(self, level: str) -> list[int]:
        levels = self.effective_levels()
        known = sorted({v for v in levels if v is not None})
        hit = [c for c in self.codes.sort_values("order").index if levels[c] is not None
               and levels[c].lower() == level.lower()]
        if not hit:
            raise AnalysisError(f"no code has the level {level!r} "
                                f"(levels: {', '.join(known) or 'none yet; add level: to codes in the codebook'})")
        return hit

    def global_spans(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) of ``frame``'s spans on the global line (see module docstring)."""
        base = self.documents["base"].reindex(frame["document_id"]).to_numpy(np.int64)
        return base + frame["start"].to_numpy(np.int64), base + frame["end"].to_numpy(np.int64)

    def words(self) -> tuple[np.ndarray, np.ndarray]:
        """Global (start, end) of every spoken word, sorted; cached.

        A word is a run of non-space characters (``\\S+``: ``str.isspace`` decides). In a
        document with turns only the words inside a turn count: speaker labels and clock times
        between turns are never coded words. Computed on all texts at once as one array of code
        points: joined with one space between documents, each text starts at its base offset.
        """
        if "words" not in self._cache:
            empty = np.zeros(0, dtype=np.int64)
            if len(self.documents) == 0:
                self._cache["words"] = (empty, empty)
                return self._cache["words"]
            joined = " ".join(self.texts[d] for d in self.documents.index)
            if joined.isascii():  # one byte a code point
                points = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
            else:
                points = np.minimum(np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32),
                                    len(_SPACE) - 1)
            word = ~_SPACE[points]
            edges = np.diff(word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
            starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
            if len(self.turns) and len(starts):
                # a word counts when it shares a character with some turn of its document
                # (turns never overlap); documents without turns keep every word
                ts, te, _ = self.turn_index()
                ts, te = np.sort(ts), np.sort(te)
                inside = np.searchsorted(ts, ends, side="left") > np.searchsorted(te, starts, side="right")
                base = self.documents["base"].to_numpy(np.int64)
                has_turns = np.zeros(len(base), dtype=bool)
                has_turns[self.documents.index.get_indexer(self.turns["document_id"].unique())] = True
                doc = np.searchsorted(base, starts, side="right") - 1
                keep = inside | ~has_turns[doc]
                starts, ends = starts[keep], ends[keep]
            self._cache["words"] = (starts.astype(np.int64), ends.astype(np.int64))
        return self._cache["words"]

    def turn_index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Global (start, end) of every turn, sorted, and the matching rows of ``turns``; cached."""
        if "turns" not in self._cache:
            gs, ge = self.global_spans(self.turns)
            order = np.argsort(gs, kind="stable")
            self._cache["turns"] = (gs[order], ge[order], order)
        return self._cache["turns"]

    def span_turns(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (row position in ``frame``, row of ``turns``) for every turn a span overlaps.

        Overlap means sharing at least one character. A span lying wholly outside every turn
        (in a speaker label, say) has no pair.
        """
        ts, te, order = self.turn_index()
        gs, ge = self.global_spans(frame)
        first = np.searchsorted(te, gs, side="right")  # turns ending at or before the start are out
        last = np.searchsorted(ts, ge, side="left")  # turns starting at or after the end are out
        counts = np.clip(last - first, 0, None)
        rows = np.repeat(np.arange(len(frame)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return rows, order[np.repeat(first, counts) + offsets]

    def describe_coders(self) -> str:
        """Whose codings are counted, for result attrs (:attr:`CodingSet.label`)."""
        return self.coding_set.label

    def result_attrs(self) -> dict:
        """The attrs every analysis result carries: the coding set (as a dict) and the filters."""
        return {"coders": self.coding_set.label, "set": self.coding_set.as_dict(),
                "filters": dict(self.filters)}


def _frame(conn, sql: str, columns: list[str]) -> pd.DataFrame:
    """Rows of ``sql`` (no parameters) as a DataFrame with these columns.

    Read with the DB-API cursor of the session's own connection (same transaction): plain
    tuples, turned into one 2-D object array and cut into columns (about twice as fast as
    ``DataFrame.from_records`` for a million rows).
    """
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    table = np.empty((len(rows), len(columns)), dtype=object)
    if rows:
        table[:] = rows
    typed = {"start": np.int64, "end": np.int64, "ordinal": np.int64, "document_id": np.int64,
             "code_id": np.int64, "coding_id": np.int64, "media_start": float}
    return pd.DataFrame({col: table[:, i].astype(typed[col]) if col in typed
                         else pd.Series(table[:, i], dtype=object).infer_objects()
                         for i, col in enumerate(columns)})


def _codes_frame(session, pid: int) -> pd.DataFrame:
    rows = []
    ids_by_path: dict[tuple[str, ...], int] = {}
    for order, (path, code) in enumerate(tree(session, pid)):
        ids_by_path[path] = code.id
        rows.append({
            "code_id": code.id, "path": "/".join(path), "name": code.name, "parent_id": code.parent_id,
            "depth": len(path) - 1, "top": path[0], "colour": code.colour, "level": code.level, "order": order,
            "ancestors": tuple(ids_by_path[path[:i + 1]] for i in range(len(path))),
        })
    cols = ["code_id", "path", "name", "parent_id", "depth", "top", "colour", "level", "order", "ancestors"]
    return pd.DataFrame(rows, columns=cols).set_index("code_id")


def load(
    db: Database,
    *,
    coders: Iterable[str] | None = None,
    documents: Iterable[str] | None = None,
    attributes: Mapping[str, Iterable] | None = None,
    viewer: str | None = None,
    coding_set: str | CodingSet | None = None,
) -> ProjectData:
    """Read the default project's analysis data in one transaction.

    ``viewer``: the acting user. Only the codings they may see are loaded (blind coding, see
    ``qualcode.team.access.visibility``), so no table, chart, export or statistic built on the
    result can show anything else; with accounts a viewer is required.

    ``coding_set``: ``"consensus"``, ``"coder:NAME"``, ``"coders:A,B"`` (or a :class:`CodingSet`);
    None chooses as the module docstring says. ``coders`` is the older spelling of the same
    choice: one name is ``coder:NAME``, several ``coders:...``.
    ``documents``: only these documents (names). ``attributes``: ``{name: accepted values}``;
    a document is kept when its participant's value of every named attribute is among the
    accepted ones (compared as text, so ``{"years_in_role": ["5"]}`` and ``[5]`` both work).
    Filters combine with AND. Units (turns, sentences) are kept for the kept documents only.
    """
    coders = list(coders) if coders else None
    documents = list(documents) if documents else None
    with db.session() as session:
        pid = db.project_id(session)
        seen = visibility(session, pid, viewer)
        codes = _codes_frame(session, pid)
        conn = session.connection()
        docs = pd.read_sql(text(
            "SELECT d.id AS document_id, d.name AS document, d.participant_id, p.external_id AS participant, "
            "d.text FROM document d LEFT JOIN participant p ON p.id = d.participant_id "
            "WHERE d.project_id = :pid ORDER BY d.name"), conn, params={"pid": pid})
        all_coders = [r[0] for r in session.execute(
            text("SELECT name FROM coder WHERE project_id = :pid ORDER BY name"), {"pid": pid})]
        if not seen.everything:  # in blind coding the other coders are not even listed
            visible_ids = set(session.scalars(select(Coding.coder_id).distinct().where(
                Coding.document_id.in_(sorted(seen.done))))) if seen.done else set()
            visible_ids |= {seen.own} if seen.own is not None else set()
            names = dict(session.execute(select(Coder.id, Coder.name).where(Coder.project_id == pid)).all())
            all_coders = sorted(names[i] for i in visible_ids if i in names)
        attrs = participant_attributes(session, pid)
        attr_types = dict(session.execute(
            text("SELECT name, type FROM attribute WHERE project_id = :pid ORDER BY id"), {"pid": pid}).all())
        filters: dict = {}
        if documents is not None:
            missing = sorted(set(documents) - set(docs["document"]))
            if missing:
                raise AnalysisError(f"no document {missing[0]!r}; `qualcode documents` lists them")
            docs = docs[docs["document"].isin(documents)]
            filters["documents"] = sorted(documents)
        if attributes:
            for name, accepted in attributes.items():
                if name not in attr_types:
                    known = ", ".join(attr_types) or "none"
                    raise AnalysisError(f"no participant attribute {name!r} (known: {known})")
                ok = {str(v) for v in accepted}
                keep = [str(attrs.get(p, {}).get(name)) in ok if pd.notna(p) else False
                        for p in docs["participant_id"]]
                docs = docs[keep]
            filters["attributes"] = {k: sorted(str(v) for v in vs) for k, vs in attributes.items()}
        doc_ids = docs["document_id"].tolist()
        # The big tables go through the DB-API cursor (plain tuples, no SQLAlchemy rows) and
        # are sorted by pandas: several times faster than read_sql with ORDER BY and joins for a
        # million codings. ``pid`` is an integer from the database, so inlining it is safe.
        pid = int(pid)
        codings = _frame(conn, 'SELECT c.id, c.document_id, c.code_id, c.coder_id, c.start, c."end", c.memo, '
                         "c.key_quote "
                         f"FROM coding c WHERE c.document_id IN (SELECT id FROM document WHERE project_id = {pid})",
                         ["coding_id", "document_id", "code_id", "coder_id", "start", "end", "memo",
                          "key_quote"])
        codings["key_quote"] = codings["key_quote"].astype(bool)
        if not seen.everything:
            codings = codings[(codings["coder_id"] == seen.own)
                              | codings["document_id"].isin(list(seen.done))]
        coder_names = dict(session.execute(
            text("SELECT id, name FROM coder WHERE project_id = :pid"), {"pid": pid}).all())
        codings.insert(3, "coder", codings.pop("coder_id").map(coder_names))
        turns = _frame(conn, 'SELECT t.document_id, t.ordinal, t.speaker, t.start, t."end", t.media_start FROM turn t '
                       f"WHERE t.document_id IN (SELECT id FROM document WHERE project_id = {pid})",
                       ["document_id", "ordinal", "speaker", "start", "end", "media_start"])
        turns = turns.sort_values(["document_id", "start"], kind="stable")
        sentences = _frame(conn, 'SELECT s.document_id, s.ordinal, s.start, s."end" FROM sentence s '
                           f"WHERE s.document_id IN (SELECT id FROM document WHERE project_id = {pid})",
                           ["document_id", "ordinal", "start", "end"])
        sentences = sentences.sort_values(["document_id", "start"], kind="stable")
        groups = pd.read_sql(text(
            "SELECT g.name AS \"group\", m.document_id FROM document_group g "
            "JOIN document_group_member m ON m.group_id = g.id WHERE g.project_id = :pid "
            "ORDER BY g.name, m.document_id"), conn, params={"pid": pid})
    keep_docs = set(doc_ids)
    codings = codings[codings["document_id"].isin(keep_docs)]
    chosen = _resolve_set(coding_set, coders, all_coders, codings)
    if chosen.kind == "consensus":
        codings = _stars_onto_consensus(codings)
    codings = codings[codings["coder"].isin(chosen.coders)]
    if chosen.note == "" and chosen.kind != "consensus":
        filters["coders"] = sorted(chosen.coders)
    turns = turns[turns["document_id"].isin(keep_docs)].reset_index(drop=True)
    sentences = sentences[sentences["document_id"].isin(keep_docs)].reset_index(drop=True)
    texts = dict(zip(docs["document_id"], docs["text"]))
    docs = docs.drop(columns="text").set_index("document_id")
    docs["length"] = [len(texts[i]) for i in docs.index]
    # +1: a gap between documents, so a span ending one document never touches the next one.
    docs["base"] = np.concatenate([[0], np.cumsum(docs["length"].to_numpy() + 1)[:-1]]).astype(np.int64) \
        if len(docs) else pd.Series(dtype=np.int64)
    attr_frame = pd.DataFrame.from_dict(attrs, orient="index", columns=list(attr_types))
    attr_frame.index.name = "participant_id"
    for col in ("start", "end"):
        codings[col] = codings[col].astype(np.int64)
    # Global order (documents by name, then start): vectorised interval code can skip a sort.
    rank = docs.index.get_indexer(codings["document_id"])
    order = np.lexsort((codings["coding_id"].to_numpy(), codings["end"].to_numpy(),
                        codings["start"].to_numpy(), rank))
    codings = codings.take(order).reset_index(drop=True)
    data = ProjectData(
        codes=codes, documents=docs, texts=texts, turns=turns, sentences=sentences,
        attributes=attr_frame, codings=codings, coders=all_coders, coding_set=chosen, filters=filters,
        document_groups=groups[groups["document_id"].isin(keep_docs)].reset_index(drop=True),
    )
    code_pos = codes.index.get_indexer(codings["code_id"])
    codings["passage"] = passage_ids(code_pos, *data.global_spans(codings))
    return data


def _stars_onto_consensus(codings: pd.DataFrame) -> pd.DataFrame:
    """Coders star their own codings; the consensus layer is written by adjudication. A
    consensus coding counts as a key quote when a coder starred a coding of the same code in the
    same document that overlaps it, so reports on the consensus keep the team's quotes."""
    starred = codings.loc[(codings["coder"] != CONSENSUS) & codings["key_quote"],
                          ["document_id", "code_id", "start", "end"]]
    consensus = codings[codings["coder"] == CONSENSUS]
    if starred.empty or consensus.empty:
        return codings
    pairs = consensus[["coding_id", "document_id", "code_id", "start", "end"]].merge(
        starred, on=["document_id", "code_id"], suffixes=("", "_star"))
    hit = pairs.loc[(pairs["start"] < pairs["end_star"]) & (pairs["start_star"] < pairs["end"]), "coding_id"]
    codings = codings.copy()
    codings.loc[codings["coding_id"].isin(set(hit)), "key_quote"] = True
    return codings


def _resolve_set(requested, coders, visible: list[str], codings: pd.DataFrame) -> CodingSet:
    """The :class:`CodingSet` for a request (see :func:`load`), checked against visible coders."""
    if isinstance(requested, CodingSet):
        kind, names = requested.kind, requested.coders
    else:
        parsed = parse_set(requested)
        if parsed is None and coders:
            names = tuple(dict.fromkeys(coders))
            parsed = ("coder", names) if len(names) == 1 else ("coders", names)
        if parsed is not None:
            kind, names = parsed
        else:
            return _default_set(visible, codings)
    if kind == "consensus":
        names = (CONSENSUS,)
    unknown = [n for n in names if n not in visible]
    if unknown and not (kind == "consensus"):
        raise AnalysisError(f"no coder {unknown[0]!r} (coders: {', '.join(visible) or 'none yet'})")
    if kind == "consensus" and CONSENSUS not in visible:
        raise AnalysisError("there is no consensus layer yet: adjudicate disagreements on the Agreement "
                            "page (or `qualcode adjudicate`), or choose coders:A,B / coder:NAME")
    if kind == "coders" and CONSENSUS in names and len(names) > 1:
        raise AnalysisError("the consensus layer is never pooled with the coders it was made from: "
                            "choose --set consensus, or coders without it")
    if kind == "coders" and len(names) == 1:
        kind = "consensus" if names[0] == CONSENSUS else "coder"
    if kind == "coder" and names[0] == CONSENSUS:
        kind = "consensus"
    return CodingSet(kind, tuple(names))


def _default_set(visible: list[str], codings: pd.DataFrame) -> CodingSet:
    """Consensus when it covers every coded document in scope, else all coders as passages."""
    coders = sorted(n for n in visible if n != CONSENSUS)
    coded = set(codings.loc[codings["coder"] != CONSENSUS, "document_id"])
    agreed = set(codings.loc[codings["coder"] == CONSENSUS, "document_id"])
    if CONSENSUS in visible and agreed and coded <= agreed:
        return CodingSet("consensus", (CONSENSUS,),
                         "The consensus layer covers every document in scope, so it is counted.")
    if len(coders) == 1:
        return CodingSet("coder", (coders[0],), "")
    if CONSENSUS in visible and agreed:
        note = (f"The consensus layer covers {len(agreed & coded)} of {len(coded)} coded documents, so "
                f"all coders ({', '.join(coders)}) are counted as passages; adjudicate the rest on the "
                "Agreement page to count the consensus.")
    else:
        note = (f"No consensus layer yet, so all coders ({', '.join(coders)}) are counted as passages: "
                "one code's overlapping spans from several coders count once. Adjudicate disagreements "
                "on the Agreement page for a consensus layer.")
    return CodingSet("coders", tuple(coders), note if coders else "")
