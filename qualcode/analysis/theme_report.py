"""The theme × group table as a file: JSON, CSV, XLSX, DOCX (a paper's appendix) and Markdown.

Every format states what it counts: the coding set, what a row is, what a column is, that a
cell is *participants* (n and % of the group's participants in scope) and the table's notes
(the default set's note, what was left out):

* **JSON** — ``{"set", "by", "depth"|"level", "unit", "groups": [{"name", "participants"}],
  "total_participants", "rows": [{"theme", "codes", "cells": {GROUP: {"participants",
  "percent"}}, "total": {...}, "quotes"?}], "counted", "note"?}``; percents to one decimal.
* **CSV** — ``# label: text`` lines first (as every qualcode CSV), then one row per theme:
  ``theme``, then ``GROUP (n = k) participants`` and ``GROUP (n = k) %`` per group and Total.
* **XLSX** — the same lines and table on a "Themes" sheet, and a "Key quotes" sheet.
* **DOCX** and **Markdown** — a title, the methods line, the table (``n (p%)`` cells, sizes in
  the headers) and, per theme, its row in words and its key quotes (one per passage, with the
  participant id, their group, the document and the coders; or a line saying none was starred).

Spreadsheet cells go through :func:`qualcode.guards.spreadsheet_cell` and Markdown user text
through :func:`qualcode.guards.md_text`; JSON and DOCX keep the text exactly.
"""

from __future__ import annotations

import csv
import io
import json

from qualcode.analysis.themes import ThemeQuotes, ThemeTable
from qualcode.guards import md_text, spreadsheet_cell

FORMATS = ("json", "csv", "xlsx", "docx", "md")
BINARY = ("xlsx", "docx")


def title_of(table: ThemeTable) -> str:
    """The default title: ``Themes by role``."""
    return f"Themes by {table.by_label}"


def about(table: ThemeTable) -> list[tuple[str, str]]:
    """(label, text) pairs every file starts with: set, rows, columns, counted, note."""
    out = [("set", table.coding_set.label), ("rows", table.rows_label),
           ("columns", f"participants grouped by {table.by_label}; Total = all participants in scope"),
           ("counted", table.counted())]
    if table.notes:
        out.append(("note", table.note))
    return out


def _percent(n: int, size: int) -> float | None:
    return round(100.0 * n / size, 1) if size else None


def to_json(table: ThemeTable, quotes: dict[str, ThemeQuotes] | None = None) -> str:
    """The JSON document (see the module docstring), with each row's quotes when given."""
    out = table.as_dict()
    if quotes is not None:
        for row in out["rows"]:
            q = quotes.get(row["theme"])
            if q is not None:
                row["quotes"] = {"kind": q.kind, "note": q.describe(), "starred": q.starred,
                                 "items": [x.as_dict() for x in q.quotes]}
    return json.dumps(out, ensure_ascii=False, indent=2)


def _columns(table: ThemeTable) -> list[str]:
    cols = ["theme"]
    for g in table.groups + [None]:
        cols += [f"{table.header(g)} participants", f"{table.header(g)} %"]
    return cols


def _rows(table: ThemeTable) -> list[list]:
    rows = []
    for t in table.themes:
        row = [t]
        for g in table.groups:
            n = int(table.counts.at[t, g])
            row += [n, _percent(n, table.sizes[g])]
        row += [int(table.total[t]), _percent(int(table.total[t]), table.total_size)]
        rows.append(row)
    return rows


def _line_cells(text: str) -> list[str]:
    """A ``# label: text`` line as CSV cells, each guarded as a spreadsheet will split it (at commas)."""
    parts = " ".join(str(text).splitlines()).split(",")
    return [p[:len(p) - len(p.lstrip())] + spreadsheet_cell(p.lstrip()) for p in parts]


def to_csv(table: ThemeTable) -> bytes:
    """RFC 4180 CSV (UTF-8, CRLF): ``# label: text`` lines, then the table (see the module docstring)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for label, text in about(table):
        writer.writerow(_line_cells(f"# {label}: {text}"))
    writer.writerow([spreadsheet_cell(c) for c in _columns(table)])
    for row in _rows(table):
        writer.writerow(["" if v is None else spreadsheet_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(table: ThemeTable, quotes: dict[str, ThemeQuotes] | None = None) -> bytes:
    """A workbook: "Themes" (header lines, then the table, frozen below its header row) and,
    with ``quotes``, "Key quotes" (one row per quote, or per theme without one)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    def clean(v):
        if isinstance(v, str):
            return spreadsheet_cell(ILLEGAL_CHARACTERS_RE.sub("", v))
        return v

    wb = Workbook()
    ws = wb.active
    ws.title = "Themes"
    ws.append([clean(title_of(table))])
    ws["A1"].font = Font(bold=True, size=13)
    for label, text in about(table):
        ws.append([clean(label), clean(text)])
    ws.append([])
    ws.append([clean(c) for c in _columns(table)])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in _rows(table):
        ws.append([clean(v) for v in row])
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    ws.column_dimensions["A"].width = min(80, max([12] + [len(t) + 2 for t in table.themes]))
    if quotes is not None:
        qs = wb.create_sheet("Key quotes")
        qs.append(["theme", "kind", "quote", "participant", "group", "document", "coders", "starred by", "codes"])
        for cell in qs[1]:
            cell.font = Font(bold=True)
        for theme in table.themes:
            tq = quotes.get(theme)
            if tq is None:
                continue
            if not tq.quotes:
                qs.append([clean(theme), tq.kind, clean(tq.describe())])
            for q in tq.quotes:
                qs.append([clean(v) for v in (theme, tq.kind, q.text, q.participant, q.group, q.document,
                                              ", ".join(q.coders), ", ".join(q.starred_by), "; ".join(q.codes))])
        qs.freeze_panes = "A2"
        qs.column_dimensions["C"].width = 80
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row_in_words(table: ThemeTable, theme: str, escape=str) -> str:
    """``Raised by 11 of 12 participants (92%): faculty 1 of 2 (50%), IMG 2 of 2 (100%).``

    ``escape``: applied to each group name (``md_text`` for Markdown).
    """
    total = int(table.total[theme])
    pct = table.percent(theme)
    parts = [f"{escape(g)} {int(table.counts.at[theme, g])} of {table.sizes[g]}"
             + (f" ({table.percent(theme, g):.0f}%)" if table.sizes[g] else "") for g in table.groups]
    head = f"Raised by {total} of {table.total_size} participants" + (f" ({pct:.0f}%)" if pct is not None else "")
    return head + (": " + ", ".join(parts) if parts else "") + "."


def _source(q, escape=str) -> str:
    """``P07 (program director) · p07_interview · coded by ana, ben · starred by ana``.

    ``escape``: applied to each piece of user text (``md_text`` for Markdown).
    """
    who = escape(q.participant) + (f" ({escape(q.group)})" if q.group else "")
    bits = [who, escape(q.document), "coded by " + ", ".join(map(escape, q.coders))]
    if q.starred_by:
        bits.append("starred by " + ", ".join(map(escape, q.starred_by)))
    return " · ".join(bits)


def to_docx(table: ThemeTable, quotes: dict[str, ThemeQuotes] | None = None, *, title: str | None = None) -> bytes:
    """A Word document: title, methods line, the table, then per theme its row and key quotes.

    Landscape when the table has more than four group columns, so the cells stay readable.
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    doc = Document()
    if len(table.groups) > 4:
        section = doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    doc.add_heading(title or title_of(table), level=0)
    doc.add_paragraph(table.methods())
    shown = table.display()
    grid = doc.add_table(rows=1 + len(shown), cols=len(shown.columns))
    grid.style = "Table Grid"
    size = Pt(9 if len(shown.columns) > 5 else 10)
    for j, name in enumerate(["Theme"] + list(shown.columns[1:])):
        cell = grid.cell(0, j)
        cell.text = name
        for run in cell.paragraphs[0].runs:
            run.font.bold, run.font.size = True, size
    for i, row in enumerate(shown.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            cell = grid.cell(i, j)
            cell.text = str(value)
            for run in cell.paragraphs[0].runs:
                run.font.size = size
    if quotes is not None:
        doc.add_heading("Key quotes by theme", level=1)
        for theme in table.themes:
            doc.add_heading(theme, level=2)
            doc.add_paragraph(row_in_words(table, theme))
            tq = quotes.get(theme)
            if tq is None:
                continue
            note = doc.add_paragraph()
            note.add_run(tq.describe()).italic = True
            for q in tq.quotes:
                doc.add_paragraph(style="Quote").add_run(f"“{q.text}”")
                run = doc.add_paragraph().add_run(_source(q))
                run.font.size = Pt(9)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _md_cell(text: str) -> str:
    """User text for a Markdown table cell: escaped, one line."""
    return md_text(" ".join(str(text).splitlines()))


def to_markdown(table: ThemeTable, quotes: dict[str, ThemeQuotes] | None = None, *,
                title: str | None = None) -> str:
    """Markdown: title, methods line, the table, then per theme its row and key quotes (block quotes)."""
    lines = [f"# {md_text(title or title_of(table))}", ""]
    lines += [
        f"Coding set: {md_text(table.coding_set.label)}. Rows: {table.rows_label}. Columns: "
        f"participants grouped by {md_text(table.by_label)}, and all participants (Total). "
        f"{table.counted()}" + (f" {md_text(table.note)}" if table.notes else ""), ""]
    headers = ["Theme"] + [f"{_md_cell(g)} (n = {table.sizes[g]})" for g in table.groups] + \
        [f"Total (n = {table.total_size})"]
    lines.append("| " + " | ".join(headers) + " |")
    lines.append("| " + " | ".join(["---"] + ["---:"] * (len(headers) - 1)) + " |")
    for t in table.themes:
        cells = [_md_cell(t)] + [table.cell(t, g) for g in table.groups] + [table.cell(t)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if quotes is not None:
        lines += ["## Key quotes by theme", ""]
        for theme in table.themes:
            lines += [f"### {md_text(theme)}", "", row_in_words(table, theme, md_text), ""]
            tq = quotes.get(theme)
            if tq is None:
                continue
            lines += [f"*{tq.describe()}*", ""]
            for q in tq.quotes:
                text = str(q.text).splitlines() or [""]
                lines += [("> " + md_text(line)) if line.strip() else ">" for line in text]
                lines += [">", f"> — {_source(q, md_text)}", ""]
    return "\n".join(lines)


def render(table: ThemeTable, fmt: str, quotes: dict[str, ThemeQuotes] | None = None, *,
           title: str | None = None) -> bytes:
    """The file in ``fmt`` (one of :data:`FORMATS`) as bytes."""
    if fmt == "json":
        return to_json(table, quotes).encode("utf-8")
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table, quotes)
    if fmt == "docx":
        return to_docx(table, quotes, title=title)
    if fmt == "md":
        return to_markdown(table, quotes, title=title).encode("utf-8")
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
