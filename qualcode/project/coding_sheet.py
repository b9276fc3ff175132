"""Codings from a spreadsheet: a CSV with one coding per row, matched by its quoted text.

Columns (header required, any order, case-insensitive): ``document``, ``code`` (a path such as
``Barriers/Financial``), ``coder``, ``quote`` (the exact passage, as in the canonical text),
and optionally ``nth`` (which occurrence of the quote, from 1) and ``memo``. Quoting text rather
than offsets keeps the sheet readable and robust to how a spreadsheet counts characters.

The whole sheet is one transaction: if any row cannot be placed, nothing is written and the
error names the row. Rows already recorded are left as they are, so re-importing is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass

from qualcode.project.codings import CodingError, add_coding_in
from qualcode.importers.csv_input import read_table
from qualcode.store.db import Database, retrying
from qualcode.errors import InputError

REQUIRED = ("document", "code", "coder", "quote")
OPTIONAL = ("nth", "memo")


class CodingSheetError(InputError):
    """A coding sheet that cannot be used: file, line, what is wrong and what to do."""


@dataclass(frozen=True)
class SheetRow:
    """One coding as written in the sheet."""

    line: int
    document: str
    code: str
    coder: str
    quote: str
    nth: int = 1
    memo: str | None = None


def parse_sheet(data: bytes, filename: str) -> list[SheetRow]:
    """Read the CSV into rows; raise :class:`CodingSheetError` naming the line on bad input."""
    raw_header, table_rows = read_table(data, filename, CodingSheetError)
    header = [h.lower() for h in raw_header]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CodingSheetError(filename, f"the header lacks {', '.join(missing)}",
                               f"The columns are {', '.join(REQUIRED + OPTIONAL)}", 1)
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        raise CodingSheetError(filename, f"unknown column(s) {', '.join(unknown)}",
                               f"The columns are {', '.join(REQUIRED + OPTIONAL)}", 1)
    rows: list[SheetRow] = []
    for line, cells in table_rows:
        row = dict(zip(header, cells))
        for column in REQUIRED:
            if not row[column].strip():
                raise CodingSheetError(filename, f"the {column} cell is empty", "Fill it in", line)
        nth_text = row.get("nth", "").strip() or "1"
        if not nth_text.isdigit() or int(nth_text) < 1:
            raise CodingSheetError(filename, f"nth is {nth_text!r}", "Give a whole number from 1", line)
        rows.append(SheetRow(line, row["document"].strip(), row["code"].strip(), row["coder"].strip(),
                             row["quote"], int(nth_text), row.get("memo", "").strip() or None))
    return rows


@retrying
def import_sheet(db: Database, rows: list[SheetRow], *, filename: str = "codings.csv",
                 actor: str | None = None) -> dict:
    """Record every row in one transaction; returns ``{"created": n, "existing": n, "coders": [...]}``.

    ``actor``: who imports (with accounts, rows of other coders need an owner).
    """
    created = existing = 0
    with db.session() as session:
        pid = db.project_id(session)
        for row in rows:
            try:
                _, new = add_coding_in(session, pid, row.document, row.code, row.coder,
                                       match=row.quote, nth=row.nth, memo=row.memo,
                                       actor=actor)
            except CodingError as exc:
                raise CodingSheetError(filename, str(exc), "Nothing was imported; fix the row and retry",
                                       row.line) from exc
            created += new
            existing += not new
    return {"created": created, "existing": existing,
            "coders": sorted({r.coder for r in rows})}
