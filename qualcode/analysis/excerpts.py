"""Coded excerpts as a table, and their exports: CSV, XLSX, DOCX, Markdown, JSON, wide 0/1.

**One row per passage.** Across several coders an excerpt is a *passage*: the codings of one
code in one document whose spans overlap (share a character), whoever made them, shown once as
the union of their spans, with the coders who coded it (``coders``), how many codings it joins
(``codings``), whether any of them is starred as a key quote (``key_quote``) and their memos. Two
coders who coded the same sentence give one excerpt naming both, not two rows to de-duplicate.

**Every file says what it counts.** The coding set (and the default's note), the filters and
the table's own settings (unit, measure, context...) come from the frame's ``attrs``
(:func:`metadata`) and head every export: ``# set: ...`` comment lines at the top of a CSV, an
"About" sheet after the data in an XLSX, a line under the title in DOCX and Markdown, and
``"set"`` (with ``"filters"``) beside the rows in JSON.

**Spreadsheet safety.** In CSV and XLSX every text cell that starts with ``=``, ``+``, ``-``,
``@`` (or a tab or carriage return, which some spreadsheets also read as a formula start) is
neutralised by prefixing an apostrophe (``'=SUM(A1)``), so a spreadsheet shows the text and
never runs it. Markdown, JSON and DOCX keep the text exactly. XLSX also drops control characters
that the file format cannot hold (such as U+0000–U+0008).
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd

from qualcode.analysis.cooccurrence import _span_units
from qualcode.analysis.data import AnalysisError, CodingSet, ProjectData, passage_ids
from qualcode.guards import spreadsheet_cell

COLUMNS = ["document", "participant", "speaker", "timestamp", "code", "coders", "codings", "key_quote",
           "start", "end", "excerpt", "context_before", "context_after", "memo"]
#: attrs reported in file headers, in this order, after the coding set (see :func:`metadata`).
_SETTINGS = ("unit", "window", "measure", "counted", "value", "by", "rollup", "context", "all_of", "any_of",
             "none_of")


def _clock(seconds: float) -> str:
    if seconds is None or pd.isna(seconds):
        return ""
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _sentence_bounds(data: ProjectData, codings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Global start of the sentence holding each coding's start, end of the one holding its end."""
    gs, ge = data.global_spans(data.sentences)
    order = np.argsort(gs, kind="stable")
    gs, ge = gs[order], ge[order]
    cs, ce = data.global_spans(codings)
    before, after = cs.copy(), ce.copy()
    if len(gs):
        i = np.searchsorted(gs, cs, side="right") - 1  # the last sentence starting at or before
        ok = (i >= 0) & (ge[np.clip(i, 0, None)] > cs)
        before[ok] = np.minimum(gs[i[ok]], cs[ok])
        j = np.searchsorted(gs, ce - 1, side="right") - 1
        ok = (j >= 0) & (ge[np.clip(j, 0, None)] >= ce)
        after[ok] = np.maximum(ge[j[ok]], ce[ok])
    return before, after


def _passages(data: ProjectData, rows: pd.DataFrame) -> pd.DataFrame:
    """One row per passage of ``rows``: document_id, code_id, start, end (the union of its
    codings' spans), coders (names, comma-separated), codings (count), key_quote (any starred),
    memo (its codings' memos; each after its coder's name when several coders coded it).

    Passages are found among ``rows`` themselves (:func:`~qualcode.analysis.data.passage_ids`),
    so one coder's excerpts are that coder's passages however other coders' codings lie.
    """
    columns = ["document_id", "code_id", "start", "end", "coders", "codings", "key_quote", "memo"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    code_pos = data.codes.index.get_indexer(rows["code_id"])
    rows = rows.assign(_passage=passage_ids(code_pos, *data.global_spans(rows)))
    if "key_quote" not in rows:
        rows = rows.assign(key_quote=False)
    rows = rows.sort_values(["_passage", "coder", "start", "end"], kind="stable")
    grouped = rows.groupby("_passage", sort=True)
    out = grouped.agg(document_id=("document_id", "first"), code_id=("code_id", "first"),
                      start=("start", "min"), end=("end", "max"), codings=("coding_id", "size"),
                      key_quote=("key_quote", "any"))
    coders: dict[int, list[str]] = {}
    memos: dict[int, list[tuple[str, str]]] = {}
    for p, coder, memo in zip(rows["_passage"].tolist(), rows["coder"].tolist(), rows["memo"].tolist()):
        names = coders.setdefault(p, [])
        if coder not in names:
            names.append(coder)
        if isinstance(memo, str) and memo.strip() and (coder, memo) not in memos.get(p, []):
            memos.setdefault(p, []).append((coder, memo))
    out["coders"] = [", ".join(coders[p]) for p in out.index]
    out["memo"] = ["\n".join(m if len(coders[p]) == 1 else f"{c}: {m}" for c, m in memos.get(p, []))
                   for p in out.index]
    out["key_quote"] = out["key_quote"].astype(bool)
    return out.reset_index(drop=True)[columns]


def excerpts(
    data: ProjectData,
    *,
    code: str | None = None,
    coder: str | None = None,
    context: int | str = 100,
) -> pd.DataFrame:
    """One row per passage: where it is, who said it, which code, who coded it, the text around it.

    A passage is one code's overlapping codings in one document, from any coder of the coding
    set, shown once as the union of their spans (see the module docstring); under one coder or
    the consensus layer a passage is normally one coding. ``code``: only this code and the codes
    below it. ``coder``: only this coder's codings (a coder of the data's coding set; their
    passages are their own codings joined). ``context``: N characters before and after, or
    ``"sentence"`` for the rest of the sentence(s) the excerpt starts and ends in.

    Columns: document, participant, [participant attributes], speaker (the speakers of every
    turn the passage overlaps, ``; ``), timestamp (media time of the first of them,
    ``HH:MM:SS``, when known), code, coders (comma-separated), codings, key_quote, start, end,
    excerpt, context_before, context_after, memo. ``attrs``: the coding set (``coders`` label,
    ``set`` dict), filters and context, as :func:`metadata` reports them.
    """
    rows = data.codings
    chosen = data.coding_set
    if code is not None:
        rows = rows[rows["code_id"].isin(data.code_ids(code))]
    if coder is not None:
        if coder not in data.coders:
            raise AnalysisError(f"no coder {coder!r} (coders: {', '.join(data.coders) or 'none yet'})")
        if coder not in chosen.coders:
            raise AnalysisError(f"coder {coder!r} is not in the coding set ({chosen.label}): load the data "
                                f"with coding_set='coder:{coder}' (--set coder:{coder})")
        rows = rows[rows["coder"] == coder]
        chosen = CodingSet("coder", (coder,))
    rows = _passages(data, rows)
    order = data.codes["order"].reindex(rows["code_id"]).to_numpy()
    names = data.documents["document"].reindex(rows["document_id"]).to_numpy()
    rows = rows.assign(sort_order=order, doc_name=names).sort_values(["sort_order", "doc_name", "start", "end"])
    rows = rows.reset_index(drop=True)
    pos, turn_rows = data.span_turns(rows)
    # plain arrays, not DataFrame.at per row (turns keep a 0..n-1 index, see load)
    turn_speaker = data.turns["speaker"].to_numpy(dtype=object)
    turn_start = data.turns["media_start"].to_numpy(dtype=object)
    speakers: dict[int, list[str]] = {}
    stamps: dict[int, float] = {}
    for p, t in zip(pos.tolist(), turn_rows.tolist()):
        sp = turn_speaker[t]
        if sp is not None and not pd.isna(sp) and sp not in speakers.setdefault(p, []):
            speakers[p].append(sp)
        stamps.setdefault(p, turn_start[t])
    if context == "sentence":
        before, after = _sentence_bounds(data, rows)
        base = data.documents["base"].reindex(rows["document_id"]).to_numpy()
        before, after = before - base, after - base
    elif isinstance(context, int) and context >= 0:
        before = (rows["start"] - context).clip(lower=0).to_numpy()
        after = (rows["end"] + context).to_numpy()
    else:
        raise AnalysisError("context must be a number of characters (0 or more) or 'sentence'")
    out = []
    participant = data.documents["participant"].reindex(rows["document_id"]).to_numpy(dtype=object)
    paths = data.codes["path"].reindex(rows["code_id"]).to_numpy(dtype=object)
    for i, r in enumerate(rows.itertuples(index=False)):
        doc_text = data.texts[r.document_id]
        start, end = int(r.start), int(r.end)
        out.append({
            "document": r.doc_name,
            "participant": participant[i],
            "speaker": "; ".join(speakers.get(i, [])),
            "timestamp": _clock(stamps.get(i)),
            "code": paths[i],
            "coders": r.coders,
            "codings": int(r.codings),
            "key_quote": bool(r.key_quote),
            "start": start,
            "end": end,
            "excerpt": doc_text[start:end],
            "context_before": doc_text[int(before[i]):start],
            "context_after": doc_text[end:int(after[i])],
            "memo": r.memo,
        })
    frame = pd.DataFrame(out, columns=COLUMNS)
    frame["participant"] = frame["participant"].where(frame["participant"].notna(), "")
    attributes = list(data.attributes.columns)
    if attributes and len(frame):
        pid = data.documents["participant_id"].reindex(rows["document_id"]).to_numpy()
        values = data.attributes.reindex(pid)
        for n, name in enumerate(attributes):
            col = values[name].to_numpy(dtype=object)
            frame.insert(2 + n, name, ["" if v is None or pd.isna(v) else v for v in col])
    frame.attrs.update({**data.result_attrs(), "coders": chosen.label, "set": chosen.as_dict(),
                        "context": context})
    return frame


def metadata(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """What an exported table says about itself, from its ``attrs``: (label, text) pairs.

    The coding set (its label); the table's settings (unit, window, measure, what is counted,
    value, breakdown, roll-up, context, query codes); the filters (documents, attribute values);
    last, when the default set was used, the note saying why. Empty for a frame without attrs.
    """
    attrs = frame.attrs
    out: list[tuple[str, str]] = []
    if attrs.get("coders"):
        out.append(("set", str(attrs["coders"])))
    for key in _SETTINGS:
        value = attrs.get(key)
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif key == "context":
            value = f"{value} characters" if isinstance(value, int) else f"the {value}s it starts and ends in"
        elif isinstance(value, (list, tuple)):
            value = "; ".join(map(str, value))
        out.append((key, str(value)))
    filters = attrs.get("filters") or {}
    if filters.get("documents"):
        out.append(("documents", "; ".join(map(str, filters["documents"]))))
    for name, values in (filters.get("attributes") or {}).items():
        out.append((f"attribute {name}", "; ".join(map(str, values))))
    note = (attrs.get("set") or {}).get("note")
    if note:
        out.append(("note", str(note)))
    return out


def _comment_line(text: str) -> list[str]:
    """A ``# label: text`` header line as CSV cells, each guarded as the spreadsheet will see it.

    The line stays one line (CR/LF become spaces). A spreadsheet splits it at commas, so each
    comma-separated part is a cell of its own and goes through ``spreadsheet_cell`` (after its
    leading spaces, which a spreadsheet may trim): a coder named ``=cmd|...`` stays text.
    """
    parts = " ".join(text.splitlines()).split(",")
    return [p[:len(p) - len(p.lstrip())] + spreadsheet_cell(p.lstrip()) for p in parts]


def to_csv(frame: pd.DataFrame, *, header: bool = True) -> bytes:
    """RFC 4180 CSV in UTF-8 (no BOM), CRLF line ends, quotes where needed; formula cells neutralised.

    With ``header`` (the default) the file starts with one ``# label: text`` line per
    :func:`metadata` item (``# set: coders ana, ben (as passages)``, ``# unit: sentence``...),
    then the column names; ``pandas.read_csv(path, comment="#")`` or ``skiprows`` skip them.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        for label, text in metadata(frame):
            writer.writerow(_comment_line(f"# {label}: {text}"))
    writer.writerow([spreadsheet_cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow(["" if v is None or (not isinstance(v, str) and pd.isna(v)) else spreadsheet_cell(v)
                         for v in row])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(frame: pd.DataFrame, *, sheet: str = "Excerpts", index: bool = False) -> bytes:
    """An XLSX workbook of ``frame`` (openpyxl); formula cells neutralised, header row frozen.

    The data are the first (active) sheet; an "About" sheet after it lists :func:`metadata`
    (coding set, settings, filters) as label/text rows. Written in openpyxl's write-only mode,
    which streams rows to the file instead of keeping a cell object per value: 100,000 excerpts
    fit in a fraction of the memory (``bench/export_bench.py``).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    about = metadata(frame)
    if index:
        frame = frame.reset_index()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])

    def clean(v):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return None
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, str):
            return spreadsheet_cell(ILLEGAL_CHARACTERS_RE.sub("", v))
        return v

    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for c in frame.columns:
        cell = WriteOnlyCell(ws, value=clean(str(c)))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in frame.itertuples(index=False):
        ws.append([clean(v) for v in row])
    if about:  # after the data sheet, so the data stay the active, first sheet
        info = wb.create_sheet("About")
        for label, text in about:
            info.append([clean(label), clean(text)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _by_theme(frame: pd.DataFrame):
    """(theme, code, rows) groups in the frame's order (theme = first part of the code path)."""
    themes = frame["code"].str.split("/").str[0]
    for theme in dict.fromkeys(themes):
        part = frame[themes == theme]
        for code in dict.fromkeys(part["code"]):
            yield theme, code, part[part["code"] == code]


def to_docx(frame: pd.DataFrame, *, title: str = "Coded excerpts") -> bytes:
    """A Word report grouped by theme and code: each quote, then speaker · document · timestamp ·
    coders (· key quote), then the memo. Under the title: the number of excerpts and the
    coding set, then the other :func:`metadata` lines."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.add_heading(title, level=0)
    for line in _about_lines(frame):
        doc.add_paragraph(line)
    theme_seen = None
    for theme, code, rows in _by_theme(frame):
        if theme != theme_seen:
            doc.add_heading(theme, level=1)
            theme_seen = theme
        doc.add_heading(code, level=2)
        for r in rows.itertuples(index=False):
            quote = doc.add_paragraph(style="Quote")
            quote.add_run(f"“{r.excerpt}”")
            meta = " · ".join(x for x in (r.speaker, r.document, r.timestamp, f"coded by {r.coders}",
                                          "key quote" if r.key_quote else "") if x)
            p = doc.add_paragraph()
            run = p.add_run(meta)
            run.font.size = Pt(9)
            if r.memo:
                m = doc.add_paragraph()
                m.add_run("Memo: ").bold = True
                m.add_run(r.memo)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def to_markdown(frame: pd.DataFrame, *, title: str = "Coded excerpts") -> str:
    """Markdown grouped by theme and code, each excerpt a block quote with its source line;
    under the title the number of excerpts, the coding set and the other :func:`metadata`."""
    lines = [f"# {title}", ""]
    for line in _about_lines(frame):
        lines += [line, ""]
    theme_seen = None
    for theme, code, rows in _by_theme(frame):
        if theme != theme_seen:
            lines += [f"## {theme}", ""]
            theme_seen = theme
        lines += [f"### {code}", ""]
        for r in rows.itertuples(index=False):
            lines += ["> " + line for line in r.excerpt.split("\n")]
            meta = " · ".join(x for x in (r.speaker, r.document, r.timestamp, f"coded by {r.coders}",
                                          "key quote" if r.key_quote else "", f"{r.start}–{r.end}") if x)
            lines += ["", f"— {meta}", ""]
            if r.memo:
                lines += [f"*Memo:* {r.memo}", ""]
    return "\n".join(lines)


def to_json(frame: pd.DataFrame) -> str:
    """``{"set": {"kind", "coders"[, "note"]}, "coders": label, "filters", "context", "excerpts":
    [row objects]}`` (UTF-8 text, not ASCII-escaped)."""
    records = json.loads(frame.to_json(orient="records", force_ascii=False))
    attrs = frame.attrs
    out = {"set": attrs.get("set"), "coders": attrs.get("coders"), "filters": attrs.get("filters", {}),
           "context": attrs.get("context"), "excerpts": records}
    return json.dumps(out, ensure_ascii=False, indent=2)


def _about_lines(frame: pd.DataFrame) -> list[str]:
    """The lines under a DOCX/Markdown title: count and coding set, then the other metadata."""
    about = metadata(frame)
    label = dict(about).get("set", "")
    lines = [f"{len(frame)} excerpts. Coding set: {label}." if label else f"{len(frame)} excerpts."]
    lines += [f"{k[:1].upper() + k[1:]}: {v}" for k, v in about if k != "set"]
    return lines


def wide_form(data: ProjectData, *, unit: str = "sentence") -> pd.DataFrame:
    """Unit × code 0/1 table for statistics packages: 1 when a coding of the code (any coder of
    the coding set) touches the unit.

    ``unit``: ``sentence``, ``turn`` or ``document``. Columns: document, unit (ordinal; the
    document name for ``document``), start, end, then one column per code path (tree order).
    """
    codes = data.codes.sort_values("order")
    col = pd.Series(np.arange(len(codes)), index=codes.index)
    c = data.codings
    if unit == "document":
        units = data.documents.reset_index()[["document_id", "document", "length"]]
        units = units.assign(unit=units["document"], start=0, end=units["length"])
        pos = pd.Series(np.arange(len(units)), index=units["document_id"])
        ui, ci = pos.reindex(c["document_id"]).to_numpy(), col.reindex(c["code_id"]).to_numpy()
    elif unit in ("sentence", "turn"):
        table = data.sentences if unit == "sentence" else data.turns
        gs, ge = data.global_spans(table)
        order = np.argsort(gs, kind="stable")
        units = table.iloc[order].reset_index(drop=True)
        units = units.assign(document=data.documents["document"].reindex(units["document_id"]).to_numpy(),
                             unit=units["ordinal"])
        cs, ce = data.global_spans(c)
        spans, ui = _span_units(cs, ce, gs[order], ge[order])
        ci = col.reindex(c["code_id"]).to_numpy()[spans]
    else:
        raise AnalysisError(f"unit must be sentence, turn or document, not {unit!r}")
    matrix = np.zeros((len(units), len(codes)), dtype=np.int8)
    matrix[ui, ci] = 1
    out = pd.concat([units[["document", "unit", "start", "end"]].reset_index(drop=True),
                     pd.DataFrame(matrix, columns=codes["path"].tolist())], axis=1)
    out.attrs.update({"unit": unit, **data.result_attrs()})
    return out
