"""Coded excerpts as a table, and their exports: CSV, XLSX, DOCX, Markdown, JSON, wide 0/1.

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
from qualcode.analysis.data import AnalysisError, ProjectData
from qualcode.guards import spreadsheet_cell

COLUMNS = ["document", "participant", "speaker", "timestamp", "code", "coder", "start", "end",
           "excerpt", "context_before", "context_after", "memo"]


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


def excerpts(
    data: ProjectData,
    *,
    code: str | None = None,
    coder: str | None = None,
    context: int | str = 100,
) -> pd.DataFrame:
    """One row per coding: where it is, who said it, which code, who coded it, the text around it.

    ``code``: only this code and the codes below it. ``coder``: only this coder.
    ``context``: N characters before and after, or ``"sentence"`` for the rest of the
    sentence(s) the excerpt starts and ends in. Participant attributes become columns after
    ``participant``. ``speaker`` lists the speakers of every turn the coding overlaps (``; ``);
    ``timestamp`` is the media time of the first of them (``HH:MM:SS``) when known.
    """
    rows = data.codings
    if code is not None:
        rows = rows[rows["code_id"].isin(data.code_ids(code))]
    if coder is not None:
        if coder not in data.coders:
            raise AnalysisError(f"no coder {coder!r} (coders: {', '.join(data.coders) or 'none yet'})")
        rows = rows[rows["coder"] == coder]
    order = data.codes["order"].reindex(rows["code_id"]).to_numpy()
    names = data.documents["document"].reindex(rows["document_id"]).to_numpy()
    rows = rows.assign(sort_order=order, doc_name=names).sort_values(["sort_order", "doc_name", "start", "end", "coder"])
    rows = rows.reset_index(drop=True)
    pos, turn_rows = data.span_turns(rows)
    turns = data.turns
    speakers: dict[int, list[str]] = {}
    stamps: dict[int, float] = {}
    for p, t in zip(pos.tolist(), turn_rows.tolist()):
        sp = turns.at[t, "speaker"]
        if sp is not None and not pd.isna(sp) and sp not in speakers.setdefault(p, []):
            speakers[p].append(sp)
        stamps.setdefault(p, turns.at[t, "media_start"])
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
    participant = data.documents["participant"]
    for i, r in enumerate(rows.itertuples(index=False)):
        doc_text = data.texts[r.document_id]
        out.append({
            "document": r.doc_name,
            "participant": participant.get(r.document_id),
            "speaker": "; ".join(speakers.get(i, [])),
            "timestamp": _clock(stamps.get(i)),
            "code": data.codes.at[r.code_id, "path"],
            "coder": r.coder,
            "start": int(r.start),
            "end": int(r.end),
            "excerpt": doc_text[r.start:r.end],
            "context_before": doc_text[int(before[i]):r.start],
            "context_after": doc_text[r.end:int(after[i])],
            "memo": r.memo if isinstance(r.memo, str) else "",
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
    frame.attrs.update({"coders": coder or data.describe_coders(), "filters": dict(data.filters),
                        "context": context})
    return frame


def to_csv(frame: pd.DataFrame) -> bytes:
    """RFC 4180 CSV in UTF-8 (no BOM), CRLF line ends, quotes where needed; formula cells neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow(["" if v is None or (not isinstance(v, str) and pd.isna(v)) else spreadsheet_cell(v)
                         for v in row])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(frame: pd.DataFrame, *, sheet: str = "Excerpts", index: bool = False) -> bytes:
    """An XLSX workbook of ``frame`` (openpyxl); formula cells neutralised, header row frozen."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    if index:
        frame = frame.reset_index()
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]

    def clean(v):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return None
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, str):
            return spreadsheet_cell(ILLEGAL_CHARACTERS_RE.sub("", v))
        return v

    ws.append([clean(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        ws.append([clean(v) for v in row])
    ws.freeze_panes = "A2"
    for cell in ws[1]:
        cell.font = Font(bold=True)
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
    """A Word report grouped by theme and code: each quote, then speaker · document · timestamp · coder, then the memo."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.add_heading(title, level=0)
    doc.add_paragraph(f"{len(frame)} excerpts. Coders: {frame.attrs.get('coders', '')}.")
    theme_seen = None
    for theme, code, rows in _by_theme(frame):
        if theme != theme_seen:
            doc.add_heading(theme, level=1)
            theme_seen = theme
        doc.add_heading(code, level=2)
        for r in rows.itertuples(index=False):
            quote = doc.add_paragraph(style="Quote")
            quote.add_run(f"“{r.excerpt}”")
            meta = " · ".join(x for x in (r.speaker, r.document, r.timestamp, f"coded by {r.coder}") if x)
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
    """Markdown grouped by theme and code, each excerpt a block quote with its source line."""
    lines = [f"# {title}", "", f"{len(frame)} excerpts. Coders: {frame.attrs.get('coders', '')}.", ""]
    theme_seen = None
    for theme, code, rows in _by_theme(frame):
        if theme != theme_seen:
            lines += [f"## {theme}", ""]
            theme_seen = theme
        lines += [f"### {code}", ""]
        for r in rows.itertuples(index=False):
            lines += ["> " + line for line in r.excerpt.split("\n")]
            meta = " · ".join(x for x in (r.speaker, r.document, r.timestamp, f"coded by {r.coder}",
                                          f"{r.start}–{r.end}") if x)
            lines += ["", f"— {meta}", ""]
            if r.memo:
                lines += [f"*Memo:* {r.memo}", ""]
    return "\n".join(lines)


def to_json(frame: pd.DataFrame) -> str:
    """A JSON list of row objects (UTF-8 text, not ASCII-escaped)."""
    records = json.loads(frame.to_json(orient="records", force_ascii=False))
    return json.dumps(records, ensure_ascii=False, indent=2)


def wide_form(data: ProjectData, *, unit: str = "sentence") -> pd.DataFrame:
    """Unit × code 0/1 table for statistics packages: 1 when a coding of the code touches the unit.

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
    out.attrs.update({"unit": unit, "coders": data.describe_coders(), "filters": dict(data.filters)})
    return out
