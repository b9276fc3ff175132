"""CSV codebooks: one row per code, for spreadsheets.

The header row names the columns ``path`` (required), ``definition``, ``use_when``,
``do_not_use_when``, ``example``, ``colour`` and ``level``, in any order and any letter case;
``path`` is the code's place in the tree with ``/`` between levels (``Barriers/Financial``) and
missing parent rows are created. ``level`` (a code's cross-branch level, e.g. Institutional) is
optional: :func:`to_csv` writes it, as the last column, only when some code has a level, so a
codebook without levels comes out exactly as it always did.

Every cell :func:`to_csv` writes goes through :func:`qualcode.guards.spreadsheet_cell`, so a
code named ``=1+2`` is written ``'=1+2`` and a spreadsheet shows it as text instead of running
it. :func:`parse_csv` takes that apostrophe off again (exactly one, and only when the rest of
the cell would be a formula), so a codebook round-trips unchanged; a text that itself starts
with apostrophes before a formula sign is written with one more, so it survives too.
"""

from __future__ import annotations

import csv
import io

from qualcode.guards import spreadsheet_cell

from .decode import decode
from .model import (
    CSV_COLUMNS,
    CSV_LEVEL,
    DEFAULT_MAX_BYTES,
    PATH_SEPARATOR,
    TEXT_FIELDS,
    Codebook,
    CodebookError,
    CodeSpec,
    CodeTree,
    canon_key,
    check_level,
    check_name,
    did_you_mean,
    normalise,
    norm_text,
    parse_colour,
)


def _is_formula(text: str) -> bool:
    """Would a spreadsheet run ``text`` as a formula? (The guard's own judgement.)"""
    return spreadsheet_cell(text) != text


def _cell_out(value: str) -> str:
    """A cell as written: formula-like text behind one apostrophe (the guard).

    Text that already starts with apostrophes before a formula sign (``'=x``) gets one more,
    because the reader takes exactly one such apostrophe off.
    """
    if value.startswith("'") and _is_formula(value.lstrip("'")):
        return "'" + value
    return spreadsheet_cell(value)


def _cell_in(cell: str) -> str:
    """A cell as read: the apostrophe :func:`_cell_out` put before a formula taken off."""
    if cell.startswith("'") and _is_formula(cell.lstrip("'")):
        return cell[1:]
    return cell


def _csv_lines(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _sniff_delimiter(lines: list[str]) -> str:
    first = next((line for line in lines if line.strip()), "")
    for delimiter in (",", ";", "\t"):
        try:
            cells = next(csv.reader([first], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        if "path" in {canon_key(cell) for cell in cells}:
            return delimiter
    return ","


def parse_csv(data: bytes, filename: str = "codebook.csv", *,
              max_bytes: int = DEFAULT_MAX_BYTES) -> Codebook:
    """Parse a CSV codebook (see the module docstring for the columns).

    Accepts UTF-8 with or without BOM, UTF-16 with BOM and, for files saved by Excel, legacy
    code pages such as Windows-1252. Comma, semicolon and tab separators are recognised.
    """
    text = decode(data, filename, legacy=True, max_bytes=max_bytes)
    lines = _csv_lines(text)
    delimiter = _sniff_delimiter(lines)
    reader = csv.reader(iter(lines), delimiter=delimiter, strict=True)
    tree = CodeTree(filename)
    columns: list[str] | None = None
    previous = 0
    while True:
        start = previous + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise CodebookError(filename, start,
                                    "a quoted cell that starts on this line is never closed",
                                    "Add the missing closing quote (\")") from None
            raise CodebookError(
                filename, start, f"the CSV is malformed ({exc})",
                "A cell that contains quotes must be wrapped in quotes, with each quote "
                "inside it doubled (\"\")") from None
        previous = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if columns is None:
            columns = _csv_header(row, filename, start, delimiter)
            continue
        _csv_row(row, columns, tree, filename, start)
    if columns is None:
        raise CodebookError(filename, 1, "the file is empty",
                            "The first row must name the columns, e.g. "
                            + ",".join(CSV_COLUMNS))
    return Codebook(None, tree.specs())


def _csv_header(row: list[str], filename: str, line: int, delimiter: str) -> list[str]:
    columns = [canon_key(cell) for cell in row]
    if "path" not in columns:
        found = ", ".join(repr(cell.strip()) for cell in row if cell.strip())
        raise CodebookError(
            filename, line, "the header row has no 'path' column",
            "The first row must name the columns, e.g. " + ",".join(CSV_COLUMNS)
            + f"; this file's first row has {found}"
            + ("" if delimiter == "," else f" (separated by {delimiter!r})"))
    seen: set[str] = set()
    allowed = (*CSV_COLUMNS, CSV_LEVEL)
    for cell, key in zip(row, columns, strict=True):
        if key and key not in allowed:
            raise CodebookError(
                filename, line, f"unknown column '{cell.strip()}'",
                f"{did_you_mean(key, allowed)}Allowed columns: "
                f"{', '.join(allowed)} (colour may also be spelled color)")
        if key and key in seen:
            raise CodebookError(filename, line, f"the column '{cell.strip()}' appears twice",
                                "Keep one of them")
        seen.add(key)
    return columns


def _csv_row(row: list[str], columns: list[str], tree: CodeTree, filename: str,
             line: int) -> None:
    cells: dict[str, str] = {}
    for index, cell in enumerate(row):
        key = columns[index] if index < len(columns) else ""
        if not key:
            if cell.strip():
                raise CodebookError(
                    filename, line,
                    f"this row has a value in column {index + 1}, which has no heading",
                    "Add a heading for that column, or put cells that contain the separator "
                    "in double quotes")
            continue
        cells[key] = _cell_in(cell)
    raw_path = cells.get("path", "")
    if not raw_path.strip():
        raise CodebookError(filename, line, "this row has no path",
                            "Fill in the 'path' cell, e.g. Barriers/Financial, or delete the "
                            "row")
    parts = raw_path.split(PATH_SEPARATOR)
    if any(not norm_text(part) for part in parts):
        raise CodebookError(
            filename, line, f"the path '{raw_path.strip()}' has an empty level",
            "Separate the levels with single '/' characters and no '/' at either end (a "
            "code name itself cannot contain '/')")
    path = tuple(check_name(part, filename, line) for part in parts)
    colour = parse_colour(cells.get("colour", ""), filename, line)
    fields = {key: norm_text(cells.get(key, "")) for key in TEXT_FIELDS}
    level = check_level(cells.get(CSV_LEVEL, ""), filename, line)
    tree.add(CodeSpec(path, colour, **fields, level=level), line)


def to_csv(cb: Codebook) -> str:
    """The codebook as RFC 4180 CSV (CRLF row ends), one row per code, parents first.

    Encode the result as UTF-8 (prepend ``"\\ufeff"`` for Excel, which otherwise assumes the
    local code page). Cells a spreadsheet would run as formulas start with an apostrophe. A
    ``level`` column follows the others when some code has a level.
    """
    cb = normalise(cb)
    levels = any(spec.level for spec in cb.codes)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell_out(column) for column in (*CSV_COLUMNS, *((CSV_LEVEL,) if levels else ()))])
    for spec in cb.codes:
        writer.writerow([_cell_out(cell) for cell in (
            spec.path_str(), spec.definition, spec.use_when, spec.do_not_use_when, spec.example,
            spec.colour or "", *((spec.level,) if levels else ()))])
    return buffer.getvalue()
