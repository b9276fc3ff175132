"""Reliability data from a CSV file: one row per unit, one column per coder.

The layout is the one Krippendorff (2011) and most agreement software use, turned so that a
spreadsheet stays narrow::

    unit,Ana,Ben,Cleo
    u1,yes,yes,
    u2,no,yes,no

* The first column holds the unit ids (its header is free text: ``unit``, ``id``, empty...).
* Every other column is one coder; the header cell is the coder's name.
* An empty cell means that coder gave no value for that unit (a missing value).
* Values are numbers or labels. When every non-empty cell is a number the table is numeric
  (``1`` and ``1.0`` are then the same value); otherwise every value stays a label (text).

Bytes are decoded as UTF-8 (a BOM is dropped), and, when that fails, as Windows-1252, the
encoding Excel uses for "CSV" on Western Windows machines. The delimiter is a comma unless the
header line has more semicolons or tabs than commas (Excel writes semicolons in locales whose
decimal mark is a comma).

A malformed table raises :class:`ReliabilityDataError`, which names the file, the 1-based line
and the 1-based column of the problem.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass

Value = float | str


class ReliabilityDataError(ValueError):
    """A reliability table that cannot be read: says which file, line and column, and why.

    ``line`` and ``column`` are 1-based (line 1 is the header; column 1 is the unit id).
    """

    def __init__(self, filename: str, line: int, column: int, reason: str):
        self.filename = filename
        self.line = line
        self.column = column
        self.reason = reason
        super().__init__(f"{filename}, line {line}, column {column}: {reason}")


@dataclass(frozen=True)
class ReliabilityData:
    """A units × coders table of values; ``None`` where a coder gave no value.

    ``numeric`` is True when every value is a number; the values are then floats (so that a
    coder writing ``2`` and another writing ``2.0`` agree). Otherwise all values are ``str``.
    ``lines`` gives, for each unit, the line of the file it came from (for messages).
    """

    unit_ids: tuple[str, ...]
    coders: tuple[str, ...]
    values: tuple[tuple[Value | None, ...], ...]
    numeric: bool
    lines: tuple[int, ...] = ()

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_coders(self) -> int:
        return len(self.coders)

    def matrix(self) -> list[list[Value | None]]:
        """The values as a list of rows (units) of cells (coders), ``None`` when missing."""
        return [list(row) for row in self.values]

    def column(self, coder: str) -> list[Value | None]:
        """One coder's values, unit by unit."""
        j = self.coders.index(coder)
        return [row[j] for row in self.values]

    def select(self, coders: Iterable[str]) -> ReliabilityData:
        """The same units with only the named coders, in the order given."""
        names = list(coders)
        missing = [name for name in names if name not in self.coders]
        if missing:
            raise KeyError(f"no coder named {missing[0]!r}; the coders are {', '.join(self.coders)}")
        idx = [self.coders.index(name) for name in names]
        return ReliabilityData(
            self.unit_ids, tuple(names), tuple(tuple(row[j] for j in idx) for row in self.values),
            self.numeric, self.lines,
        )


# ---------------------------------------------------------------------------------------------
# Decoding


def _line_of_byte(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, filename: str) -> str:
    """UTF-8 (BOM dropped), else Windows-1252; an undecodable byte raises with its line."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8")
        except UnicodeDecodeError as exc:
            # A BOM is an explicit promise of UTF-8: do not guess another encoding behind it.
            offset = exc.start + len(codecs.BOM_UTF8)
            line = _line_of_byte(data, offset)
            column = _column_of_byte(data, offset)
            raise ReliabilityDataError(
                filename, line, column,
                f"the file starts with a UTF-8 byte-order mark but byte 0x{data[offset]:02x} "
                "is not valid UTF-8; save the file again as UTF-8",
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:  # an odd byte count or a lone surrogate
            raise ReliabilityDataError(
                filename, 1, 1,
                f"the file starts with a UTF-16 byte-order mark but is not valid UTF-16 "
                f"(bytes {exc.start}-{exc.end - 1}: {exc.reason}); save the file again as UTF-8 CSV",
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        # cp1252 leaves five bytes undefined (0x81, 0x8d, 0x8f, 0x90, 0x9d).
        line = _line_of_byte(data, exc.start)
        raise ReliabilityDataError(
            filename, line, _column_of_byte(data, exc.start),
            f"byte 0x{data[exc.start]:02x} is neither UTF-8 nor Windows-1252 text; "
            "save the file as UTF-8 CSV",
        ) from None


def _column_of_byte(data: bytes, offset: int) -> int:
    """The 1-based CSV column (comma-separated, quotes ignored) that holds byte ``offset``."""
    start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b",", start, offset) + 1


# ---------------------------------------------------------------------------------------------
# Parsing


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 0 else ","


def _number(text: str) -> float | None:
    """The cell as a finite number, else None (so "nan", "inf" and "1e999" stay labels)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None



def _records(reader, filename: str):
    """(line, stripped cells) for each non-blank row; a row is reported by the line it starts
    on, since a quoted cell may span lines."""
    line_before = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ReliabilityDataError(filename, reader.line_num, 1,
                                       f"the CSV quoting is broken ({exc})") from None
        line = line_before + 1
        line_before = reader.line_num
        cells = [cell.strip() for cell in record]
        if any(cells):  # skip blank lines and rows of empty cells
            yield line, cells

def parse_reliability_csv(
    data: bytes,
    filename: str = "<reliability data>",
    *,
    delimiter: str | None = None,
    missing: Iterable[str] = ("",),
) -> ReliabilityData:
    """Read reliability data (CSV bytes) into a :class:`ReliabilityData`.

    ``missing`` lists the cell texts (after stripping spaces) that mean "no value"; by default
    only the empty cell. Rows whose cells are all empty are skipped (spreadsheets add them).

    Raises :class:`ReliabilityDataError` naming the line and column for: an empty file; a
    header with no coder column; an empty or repeated coder name; a row with more or fewer
    cells than the header; an empty or repeated unit id; a quoting error; a table with no unit.
    """
    text = decode(data, filename)
    missing_set = {m.strip() for m in missing}
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not text.strip():
        raise ReliabilityDataError(filename, 1, 1, "the file is empty; expected a header row "
                                   "(unit id column, then one column per coder)")
    sep = delimiter or _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)

    header: list[str] | None = None
    header_line = 0
    coders: list[str] = []
    unit_ids: list[str] = []
    rows: list[list[str | None]] = []
    lines: list[int] = []
    seen_units: dict[str, int] = {}
    for line, cells in _records(reader, filename):
        if header is None:
            header, header_line = cells, line
            if len(cells) < 2:
                raise ReliabilityDataError(
                    filename, line, 2,
                    "the header has no coder column; expected a unit id column, then one "
                    f"column per coder (separated by {sep!r})",
                )
            positions: dict[str, int] = {}
            for col, name in enumerate(cells[1:], start=2):
                if not name:
                    raise ReliabilityDataError(filename, line, col,
                                               "the coder name in the header is empty")
                if name in positions:
                    raise ReliabilityDataError(
                        filename, line, col,
                        f"coder name {name!r} repeats column {positions[name]}",
                    )
                positions[name] = col
            coders = cells[1:]
            continue
        if len(cells) != len(header):
            column = min(len(cells), len(header)) + 1
            raise ReliabilityDataError(
                filename, line, column,
                f"this row has {len(cells)} cells but the header has {len(header)} "
                f"(a unit id and {len(coders)} coders)",
            )
        unit = cells[0]
        if not unit:
            raise ReliabilityDataError(filename, line, 1, "the unit id is empty")
        if unit in seen_units:
            raise ReliabilityDataError(
                filename, line, 1, f"unit id {unit!r} repeats line {seen_units[unit]}",
            )
        seen_units[unit] = line
        unit_ids.append(unit)
        rows.append([None if cell in missing_set else cell for cell in cells[1:]])
        lines.append(line)

    if header is None:  # pragma: no cover - guarded by the empty-text check above
        raise ReliabilityDataError(filename, 1, 1, "the file has no header row")
    if not unit_ids:
        raise ReliabilityDataError(filename, header_line + 1, 1,
                                   "the table has a header but no unit rows")

    present = [cell for row in rows for cell in row if cell is not None]
    numbers = [_number(cell) for cell in present]
    numeric = bool(present) and all(n is not None for n in numbers)
    if numeric:
        values = tuple(tuple(None if c is None else _number(c) for c in row) for row in rows)
    else:
        values = tuple(tuple(row) for row in rows)
    return ReliabilityData(tuple(unit_ids), tuple(coders), values, numeric, tuple(lines))


def read_reliability_csv(path, **kwargs) -> ReliabilityData:
    """:func:`parse_reliability_csv` on a file's bytes, errors naming the file."""
    from pathlib import Path

    p = Path(path)
    return parse_reliability_csv(p.read_bytes(), p.name, **kwargs)


# ---------------------------------------------------------------------------------------------
# Spans on a continuum (unitizing)

SPAN_COLUMNS = ("coder", "code", "start", "end")


@dataclass(frozen=True)
class SpansData:
    """Coders' half-open spans per code on one continuum, from a ``coder,code,start,end`` CSV.

    ``coders`` lists every coder in the file in order of appearance: each counts for every code
    (a coder with no span of a code marked nothing there). ``spans[code][coder]`` is a list of
    ``(start, end)`` pairs; ``lines[code][coder]`` the file lines they came from.
    """

    coders: tuple[str, ...]
    codes: tuple[str, ...]
    spans: dict
    lines: dict

    def for_code(self, code: str) -> dict[str, list[tuple[int, int]]]:
        """Every coder → their spans of ``code`` (an empty list when they marked nothing)."""
        return {c: list(self.spans.get(code, {}).get(c, [])) for c in self.coders}


def parse_spans_csv(data: bytes, filename: str = "<spans>", *,
                    continuum: tuple[int, int] | None = None) -> SpansData:
    """Read ``coder,code,start,end`` rows (a header row with those names, any order; extra
    columns are ignored). ``start``/``end`` are integers with ``start < end``; with
    ``continuum=(lo, hi)`` every span must lie inside it. Errors name the line and column."""
    text = decode(data, filename)
    if not text.strip():
        raise ReliabilityDataError(filename, 1, 1, "the file is empty; expected a header "
                                   "row coder,code,start,end")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True)
    where: dict[str, int] | None = None
    coders: list[str] = []
    codes: list[str] = []
    spans: dict = {}
    lines: dict = {}
    for line, cells in _records(reader, filename):
        if where is None:
            names = [c.lower() for c in cells]
            missing = [c for c in SPAN_COLUMNS if c not in names]
            if missing:
                raise ReliabilityDataError(
                    filename, line, len(cells) + 1,
                    f"the header lacks the column(s) {', '.join(missing)}; expected "
                    "coder,code,start,end")
            where = {c: names.index(c) for c in SPAN_COLUMNS}
            width = len(cells)
            continue
        if len(cells) != width:
            raise ReliabilityDataError(filename, line, min(len(cells), width) + 1,
                                       f"this row has {len(cells)} cells but the header has {width}")
        coder, code = cells[where["coder"]], cells[where["code"]]
        for name, value in (("coder", coder), ("code", code)):
            if not value:
                raise ReliabilityDataError(filename, line, where[name] + 1, f"the {name} is empty")
        pos = []
        for name in ("start", "end"):
            cell = cells[where[name]]
            number = _number(cell)
            if number is None or not number.is_integer():
                raise ReliabilityDataError(filename, line, where[name] + 1,
                                           f"{name} {cell!r} is not a whole number")
            pos.append(int(number))
        start, end = pos
        if start >= end:
            raise ReliabilityDataError(filename, line, where["end"] + 1,
                                       f"end {end} is not after start {start} (spans are half-open)")
        if continuum is not None and (start < continuum[0] or end > continuum[1]):
            column = where["start"] + 1 if start < continuum[0] else where["end"] + 1
            raise ReliabilityDataError(
                filename, line, column,
                f"the span {start}-{end} lies outside the continuum {continuum[0]}:{continuum[1]}")
        if coder not in coders:
            coders.append(coder)
        if code not in codes:
            codes.append(code)
        spans.setdefault(code, {}).setdefault(coder, []).append((start, end))
        lines.setdefault(code, {}).setdefault(coder, []).append(line)
    if where is None:  # pragma: no cover - guarded by the empty-text check
        raise ReliabilityDataError(filename, 1, 1, "the file has no header row")
    if not coders:
        raise ReliabilityDataError(filename, reader.line_num + 1, 1, "the file has a header but no spans")
    return SpansData(tuple(coders), tuple(codes), spans, lines)
