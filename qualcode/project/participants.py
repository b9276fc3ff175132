"""Participant attributes from a CSV file: bytes in, plain dataclasses out (no database).

The CSV has a header row. One column identifies the participant (``participant_id``,
``participant``, ``case`` or ``id``) and/or one names the document (``document``, ``file`` or
``filename``; a file extension is ignored). Every other column is an attribute, typed from its
values: ``number``, ``boolean``, ``date`` (ISO ``YYYY-MM-DD``) or ``text``. An empty cell means
"no value".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from qualcode.importers.csv_input import read_table
from qualcode.errors import InputError

ID_COLUMNS = ("participant_id", "participant", "case", "id")
DOCUMENT_COLUMNS = ("document", "file", "filename")
_BOOLEANS = {"true", "false", "yes", "no"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class AttributesError(InputError):
    """A participants CSV that cannot be used: file, line, what is wrong and what to do."""


@dataclass
class ParticipantRow:
    """One CSV row: who, which document, and the attribute values given."""

    line: int
    participant_id: str
    document: str | None
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class AttributeTable:
    """The parsed CSV: attribute names in column order, their types, and the rows."""

    attributes: list[str]
    types: dict[str, str]
    rows: list[ParticipantRow]


def _infer_type(values: list[str]) -> str:
    present = [v for v in values if v != ""]
    if not present:
        return "text"
    try:
        for v in present:
            float(v)
        return "number"
    except ValueError:
        pass
    if all(v.lower() in _BOOLEANS for v in present):
        return "boolean"
    if all(_DATE.match(v) for v in present):
        return "date"
    return "text"


def document_key(name: str) -> str:
    """The document name a CSV cell refers to: the file name without folder or extension."""
    name = name.strip()
    path = PurePath(name)
    return path.stem if path.suffix else path.name


def parse_attributes(data: bytes, filename: str) -> AttributeTable:
    """Parse a participant attributes CSV; raise :class:`AttributesError` on bad input."""
    header, table_rows = read_table(data, filename, AttributesError)
    lowered = [h.lower() for h in header]
    id_col = next((lowered.index(c) for c in ID_COLUMNS if c in lowered), None)
    doc_col = next((lowered.index(c) for c in DOCUMENT_COLUMNS if c in lowered), None)
    if id_col is None and doc_col is None:
        raise AttributesError(
            filename,
            f"no participant or document column in the header ({', '.join(header)})",
            "Add a column named participant_id or document",
            1,
        )
    for i, h in enumerate(header):
        if not h:
            raise AttributesError(filename, f"column {i + 1} has no name", "Name every column", 1)
        if lowered.index(h.lower()) != i:
            raise AttributesError(filename, f"column {h!r} appears twice", "Rename one of them", 1)
    attr_cols = [i for i in range(len(header)) if i not in (id_col, doc_col)]
    rows: list[ParticipantRow] = []
    seen: dict[str, int] = {}
    given: dict[tuple[str, str], tuple[str, int]] = {}
    for line, cells in table_rows:
        cells = [c.strip() for c in cells]
        document = document_key(cells[doc_col]) if doc_col is not None and cells[doc_col] else None
        pid = cells[id_col] if id_col is not None else ""
        pid = pid or document or ""
        if not pid:
            raise AttributesError(
                filename, "the row names neither a participant nor a document",
                "Fill in the participant_id or document cell", line,
            )
        key = f"{pid}\x00{document}"
        if key in seen:
            raise AttributesError(
                filename, f"participant {pid!r} is listed again (first on line {seen[key]})",
                "Keep one row per participant and document", line,
            )
        seen[key] = line
        values = {header[i]: cells[i] for i in attr_cols if cells[i] != ""}
        for name, value in values.items():
            first = given.setdefault((pid, name), (value, line))
            if first[0] != value:
                raise AttributesError(
                    filename,
                    f"participant {pid!r} has {name} = {value!r} here but {first[0]!r} "
                    f"on line {first[1]}",
                    "Give each participant one value per attribute", line,
                )
        rows.append(ParticipantRow(line, pid, document, values))
    attributes = [header[i] for i in attr_cols]
    types = {a: _infer_type([r.values.get(a, "") for r in rows]) for a in attributes}
    return AttributeTable(attributes, types, rows)
