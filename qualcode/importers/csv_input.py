"""Reading a user's CSV table: decoding, the header, and rows with their line numbers.

Shared by the participants and coding-sheet readers so that both decode the same way (BOM,
cp1252 from Excel, ...) and report ragged rows and broken quoting the same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from qualcode.errors import InputError
from qualcode.importers import decode_text
from qualcode.importers.base import TranscriptError

#: A participants table or coding sheet larger than this is refused before it is decoded.
MAX_TABLE_BYTES = 50 * 1024 * 1024


def read_table(data: bytes, filename: str, error: type[InputError], *,
               max_bytes: int = MAX_TABLE_BYTES) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The stripped header and an iterator of (line, cells) for the non-blank rows.

    Every problem raises ``error`` (a subclass of InputError) naming the file and line: an
    undecodable or empty file, broken quoting, a row with more or fewer cells than the header.
    Line numbers count physical lines, so a quoted cell spanning lines is accounted for.
    Files over ``max_bytes`` are refused unread (a shared server must not decode anything).
    """
    if len(data) > max_bytes:
        raise error(filename, f"the file is {len(data):,} bytes, over the {max_bytes:,}-byte limit "
                    "for tables", "Split it into smaller files")
    try:
        text, _encoding = decode_text(data, filename)
    except TranscriptError as exc:
        raise error(filename, exc.reason, exc.hint, exc.line) from exc
    if not text.strip():
        raise error(filename, "the file is empty", "Give a CSV with a header row")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise error(filename, f"not a readable CSV ({exc})", "Save it as CSV", 1) from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    raise error(
                        filename,
                        f"{len(cells)} cells where the header has {len(header)}",
                        "Check for a missing or extra comma, or quote cells that contain commas",
                        reader.line_num,
                    )
                yield reader.line_num, cells
        except csv.Error as exc:
            raise error(filename, f"malformed CSV ({exc})", "Check the quoting", reader.line_num) from exc

    return header, rows()
