"""Queries: codes combined with AND / OR / NOT within a unit, text search with keyword in
context, and "code all hits" (autocoding) with a preview, one-transaction apply and undo.

Autocoding writes every coding of a batch in one transaction and tags each coding's change-log
entry with the batch id (plus one ``autocode`` entry for the batch), so :func:`undo_autocode`
removes exactly that batch — codings made by hand in between are never touched.
"""

from __future__ import annotations

import importlib.util
import json
import re
import uuid

import numpy as np
import pandas as pd
from sqlalchemy import delete, select

from qualcode.guards import LIKE_ESCAPE, PatternError, like_contains, user_pattern
from qualcode.team.access import AccessDenied, check_coding_owner, visibility
from qualcode.analysis.cooccurrence import _span_units
from qualcode.analysis.data import AnalysisError, ProjectData
from qualcode.team.changelog import default_actor, log
from qualcode.project.codes import paths_by_id, resolve
from qualcode.project.codings import coder_id
from qualcode.store.db import Database, retrying
from qualcode.store.models import ChangeLog, Coder, Coding, Document

QUERY_UNITS = ("sentence", "turn", "document")
_BATCH_ID = re.compile(r"[0-9a-f]{32}")


class LemmaSearchUnavailable(AnalysisError):
    """Lemma search needs spaCy's lookup tables (``pip install spacy-lookups-data``)."""


def _unit_table(data: ProjectData, unit: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    if unit == "document":
        table = data.documents.reset_index().assign(ordinal=0, start=0)
        table["end"] = table["length"]
    elif unit == "sentence":
        table = data.sentences
    elif unit == "turn":
        table = data.turns
    else:
        raise AnalysisError(f"unit must be one of {', '.join(QUERY_UNITS)}, not {unit!r}")
    gs, ge = data.global_spans(table)
    order = np.argsort(gs, kind="stable")
    return table.iloc[order].reset_index(drop=True), gs[order], ge[order]


def code_query(
    data: ProjectData,
    *,
    all_of: list[str] = (),
    any_of: list[str] = (),
    none_of: list[str] = (),
    unit: str = "sentence",
) -> pd.DataFrame:
    """Units coded with every code in ``all_of`` AND at least one of ``any_of`` (when given) AND
    none of ``none_of``; each code includes the codes below it.

    A code is in a unit when one of its codings shares at least one character with the unit.
    Codes found together are a co-occurrence, so ``all_of``/``any_of`` must be met by **one
    coder** of the coding set (or the consensus layer): ana's A and ben's B in one sentence are a
    disagreement, not "A AND B". ``none_of`` leaves out a unit where any coder of the set applied
    the code (there is a passage of it there). Under one coder or the consensus layer this is
    plain set logic. Columns: document, unit (ordinal), start, end, text, codes (every code of
    the set in the unit), coders (the coders whose codings meet ``all_of``/``any_of`` there).
    """
    if not all_of and not any_of:
        raise AnalysisError("name at least one code to look for (all of / any of)")
    table, us, ue = _unit_table(data, unit)
    cs, ce = data.global_spans(data.codings)
    spans, units = _span_units(cs, ce, us, ue)
    coded = pd.DataFrame({"unit": units, "code_id": data.codings["code_id"].to_numpy()[spans],
                          "coder": data.codings["coder"].to_numpy()[spans]})

    def having(path: str) -> set[tuple[str, int]]:
        """(coder, unit) pairs where that coder applied ``path`` (or a code below it)."""
        hit = coded[coded["code_id"].isin(data.code_ids(path))]
        return set(zip(hit["coder"], hit["unit"]))

    pairs = set(zip(coded["coder"], coded["unit"]))
    for path in all_of:
        pairs &= having(path)
    if any_of:
        pairs &= set().union(*(having(p) for p in any_of))
    keep = {u for _, u in pairs}
    for path in none_of:
        keep -= {u for _, u in having(path)}
    rows = sorted(keep)
    coders_in: dict[int, list[str]] = {}
    for coder, u in sorted(pairs):
        coders_in.setdefault(u, []).append(coder)
    names = data.documents["document"]
    named = coded[coded["unit"].isin(rows)][["unit", "code_id"]].drop_duplicates()
    paths_in = named.groupby("unit")["code_id"].agg(
        lambda ids: "; ".join(data.codes["path"].reindex(sorted(ids, key=lambda i: data.codes.at[i, "order"]))))
    out = pd.DataFrame({
        "document": [names[table.at[i, "document_id"]] for i in rows],
        "unit": [int(table.at[i, "ordinal"]) for i in rows],
        "start": [int(table.at[i, "start"]) for i in rows],
        "end": [int(table.at[i, "end"]) for i in rows],
        "text": [data.texts[table.at[i, "document_id"]][table.at[i, "start"]:table.at[i, "end"]] for i in rows],
        "codes": [paths_in.get(i, "") for i in rows],
        "coders": [", ".join(coders_in.get(i, [])) for i in rows],
    })
    out.attrs.update({"unit": unit, "all_of": list(all_of), "any_of": list(any_of),
                      "none_of": list(none_of), **data.result_attrs()})
    return out


def lemma_search_available() -> bool:
    """True when spaCy's lookup lemmatizer tables (spacy-lookups-data) are installed."""
    return importlib.util.find_spec("spacy_lookups_data") is not None


_LEMMATIZER = None


def _lemmatizer():
    global _LEMMATIZER
    if _LEMMATIZER is None:
        import spacy

        nlp = spacy.blank("en")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        _LEMMATIZER = nlp
    return _LEMMATIZER


def search(
    data: ProjectData,
    pattern: str,
    *,
    regex: bool = False,
    case: bool = False,
    lemma: bool = False,
    width: int = 40,
) -> pd.DataFrame:
    """Keyword in context: every hit of ``pattern`` with ``width`` characters either side.

    Plain text matches whole words (``visa`` finds "visa" and "Visa" but not "visas" unless
    ``lemma``); ``regex=True`` takes a Python regular expression as it is; ``lemma=True``
    matches every word whose lookup lemma equals the pattern's (spaCy's lookup lemmatizer;
    raises :class:`LemmaSearchUnavailable` when spacy-lookups-data is not installed).
    Columns: document, speaker, start, end, left, match, right.
    """
    if not pattern or not pattern.strip():
        raise AnalysisError("give a word or phrase to search for")
    if lemma:
        if not lemma_search_available():
            raise LemmaSearchUnavailable(
                "lemma search is unavailable: spaCy's lookup tables are not installed "
                "(pip install spacy-lookups-data==1.0.5); search by word or regex instead")
        nlp = _lemmatizer()
        # The lookup table is keyed by lower-case forms: "Studying" and "studying" both → "study".
        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        wanted = {table.get(t.lower_, t.lower_) for t in nlp.tokenizer(pattern.strip())}
    else:
        try:
            # Every user pattern runs under the one time limit (qualcode.guards): a coder's
            # pathological regex must not hold a shared server's script thread.
            rx = user_pattern(pattern if regex else pattern.strip(), regex=regex, ignore_case=not case,
                              whole_word=not regex)
        except PatternError as exc:
            raise AnalysisError(str(exc)) from exc
    hits = []
    for doc_id, name in data.documents["document"].items():
        text = data.texts[doc_id]
        if lemma:
            found = []
            for t in nlp.tokenizer(text):
                if t.is_alpha and table.get(t.lower_, t.lower_) in wanted:
                    found.append((t.idx, t.idx + len(t.text)))
        else:
            try:
                found = [m.span() for m in rx.finditer(text) if m.end() > m.start()]
            except PatternError as exc:
                raise AnalysisError(str(exc)) from exc
        for s, e in found:
            hits.append((doc_id, name, s, e, text[max(0, s - width):s], text[s:e], text[e:e + width]))
    out = pd.DataFrame(hits, columns=["document_id", "document", "start", "end", "left", "match", "right"])
    speaker = [""] * len(out)
    if len(out):
        pos, turn_rows = data.span_turns(out)
        for p, t in zip(pos.tolist(), turn_rows.tolist()):
            sp = data.turns.at[t, "speaker"]
            if not speaker[p] and isinstance(sp, str):
                speaker[p] = sp
    out.insert(2, "speaker", speaker)
    out.attrs.update({"pattern": pattern, "regex": regex, "case": case, "lemma": lemma,
                      **data.result_attrs()})
    return out.drop(columns="document_id")


def _extend(data: ProjectData, hits: pd.DataFrame, extend: str) -> pd.DataFrame:
    """Hits widened to their sentence or turn (duplicates dropped)."""
    if extend == "match":
        return hits[["document", "start", "end"]].drop_duplicates()
    table = {"sentence": data.sentences, "turn": data.turns}.get(extend)
    if table is None:
        raise AnalysisError("extend must be match, sentence or turn")
    ids = data.documents.reset_index().set_index("document")["document_id"]
    frame = hits.assign(document_id=ids.reindex(hits["document"]).to_numpy())
    gs, ge = data.global_spans(table)
    order = np.argsort(gs, kind="stable")
    cs, ce = data.global_spans(frame)
    spans, units = _span_units(cs, ce, gs[order], ge[order])
    t = table.iloc[order].reset_index(drop=True)
    wide = pd.DataFrame({"document": frame["document"].to_numpy()[spans],
                         "start": t["start"].to_numpy()[units], "end": t["end"].to_numpy()[units]})
    return wide.drop_duplicates()


def _autocode_plan(session, pid: int, data: ProjectData, hits: pd.DataFrame, code: str, coder: str,
                   extend: str) -> pd.DataFrame:
    """The codings autocoding would create, with their status against ``coder``'s codings."""
    spans = _extend(data, hits, extend)
    try:
        code_row = resolve(session, pid, code)
    except LookupError as exc:
        raise AnalysisError(str(exc)) from exc
    path = paths_by_id(session, pid)[code_row.id]
    existing = set(session.execute(
        select(Document.name, Coding.start, Coding.end)
        .join(Document, Document.id == Coding.document_id)
        .join(Coder, Coder.id == Coding.coder_id)
        .where(Document.project_id == pid, Coding.code_id == code_row.id, Coder.name == coder)).all())
    ids = data.documents.reset_index().set_index("document")["document_id"]
    rows = []
    for r in spans.sort_values(["document", "start", "end"]).itertuples(index=False):
        text = data.texts[ids[r.document]]
        rows.append({"document": r.document, "start": int(r.start), "end": int(r.end),
                     "quote": text[r.start:r.end], "code": path, "coder": coder,
                     "status": "already coded" if (r.document, r.start, r.end) in existing else "new"})
    return pd.DataFrame(rows, columns=["document", "start", "end", "quote", "code", "coder", "status"])


def preview_autocode(db: Database, data: ProjectData, hits: pd.DataFrame, code: str, coder: str, *,
                     extend: str = "match", viewer: str | None = None) -> pd.DataFrame:
    """The codings "code all hits" would create (writes nothing).

    ``hits``: a :func:`search` result (document, start, end). ``extend``: code the match itself,
    or its whole sentence or turn. Columns: document, start, end, quote, code, coder, status
    (``new`` or ``already coded`` — those are skipped by :func:`apply_autocode`).

    ``viewer`` (default ``QUALCODE_USER`` or the OS user) is who asks. The statuses reveal
    where ``coder`` has coded, so the viewer must be allowed to autocode as ``coder`` (their
    own name, or an owner) and, under blind coding, may preview only as themselves.
    """
    who = viewer or default_actor()
    with db.session() as session:
        pid = db.project_id(session)
        check_coding_owner(session, pid, who, coder)
        if coder != who and not visibility(session, pid, who).everything:
            raise AccessDenied(f"blind coding is on, so a preview for {coder!r} would show "
                               f"{coder!r}'s codings; preview as yourself ({who!r})")
        return _autocode_plan(session, pid, data, hits, code, coder, extend)


@retrying
def apply_autocode(db: Database, data: ProjectData, hits: pd.DataFrame, code: str, coder: str, *,
                   extend: str = "match", query: str = "", actor: str | None = None) -> dict:
    """Write every new coding of the preview in one transaction, tagged with a new batch id.

    ``actor`` (default: ``coder``) is who does it; with accounts only an owner may autocode
    as another coder.

    Returns ``{"batch": id, "created": n, "skipped": n}``; give the batch id to
    :func:`undo_autocode` to take the batch back.
    """
    batch = uuid.uuid4().hex
    with db.session() as session:
        pid = db.project_id(session)
        check_coding_owner(session, pid, actor or coder, coder)
        preview = _autocode_plan(session, pid, data, hits, code, coder, extend)
        new = preview[preview["status"] == "new"]
        code_row = resolve(session, pid, code)
        cid = coder_id(session, pid, coder)
        doc_ids = dict(session.execute(select(Document.name, Document.id).where(Document.project_id == pid)).all())
        for r in new.itertuples(index=False):
            coding = Coding(document_id=doc_ids[r.document], code_id=code_row.id, coder_id=cid,
                            start=r.start, end=r.end, quote=r.quote)
            session.add(coding)
            session.flush()
            log(session, project_id=pid, actor=actor or coder, action="create", entity="coding",
                entity_id=coding.id, document=r.document, code=r.code, start=r.start, end=r.end,
                batch=batch, coder=coder)
        log(session, project_id=pid, actor=actor or coder, action="autocode", coder=coder, entity="batch", batch=batch,
            code=preview["code"].iloc[0] if len(preview) else code, query=query, extend=extend,
            created=len(new))
    return {"batch": batch, "created": len(new), "skipped": len(preview) - len(new)}


@retrying
def undo_autocode(db: Database, batch: str, *, actor: str | None = None) -> dict:
    """Delete exactly the codings created by autocoding batch ``batch`` (logged as one undo).

    Returns ``{"batch": id, "removed": n}``. An unknown or already undone batch is an error.
    """
    # A batch id is what apply_autocode made (uuid4 hex): anything else, e.g. "%" or "_" wildcards
    # that would match every batch, is refused before it reaches SQL.
    if not isinstance(batch, str) or not _BATCH_ID.fullmatch(batch):
        raise AnalysisError(f"{batch!r} is not an autocoding batch id (32 hexadecimal digits)")
    with db.session() as session:
        pid = db.project_id(session)
        entries = session.execute(
            select(ChangeLog.action, ChangeLog.entity, ChangeLog.entity_id, ChangeLog.detail)
            .where(ChangeLog.project_id == pid,
                   ChangeLog.detail.like(like_contains(f'"batch": "{batch}"'), escape=LIKE_ESCAPE))).all()
        # LIKE narrows; the decoded detail decides (exactly this batch, nothing that merely contains it).
        entries = [e for e in entries if json.loads(e[3]).get("batch") == batch]
        if not any(a == "autocode" for a, *_ in entries):
            raise AnalysisError(f"no autocoding batch {batch!r}")
        if any(a == "undo" for a, *_ in entries):
            raise AnalysisError(f"autocoding batch {batch!r} was already undone")
        batch_coder = next((json.loads(d).get("coder") for a, _e, _i, d in entries if a == "autocode"), None)
        if batch_coder:  # only the batch's coder (or an owner) takes it back
            check_coding_owner(session, pid, actor or default_actor(), batch_coder)
        ids = [i for a, e, i, _ in entries if a == "create" and e == "coding"]
        removed = session.execute(delete(Coding).where(Coding.id.in_(ids))).rowcount if ids else 0
        for a, e, i, detail in entries:
            if a == "create" and e == "coding":
                log(session, project_id=pid, actor=actor, action="delete", entity="coding", entity_id=i,
                    **{k: v for k, v in json.loads(detail).items() if k != "batch"}, undo_of=batch)
        log(session, project_id=pid, actor=actor, action="undo", entity="batch", batch=batch, removed=removed)
    return {"batch": batch, "removed": removed}
