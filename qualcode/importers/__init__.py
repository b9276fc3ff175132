"""Transcript importers: bytes of a file in, :class:`ParsedTranscript` out.

>>> result = parse_transcript(b"I: Hello\\nP07: Hi\\nI: Bye", "interview.txt")
>>> [(t.speaker, result.text[t.start:t.end]) for t in result.turns]
[('I', 'Hello'), ('P07', 'Hi'), ('I', 'Bye')]

Every problem with the input surfaces as :class:`TranscriptError` (file, reason, hint),
never as a parser library's own exception.

Modules: ``base`` (the contract), ``encoding`` (bytes to text, canonical form), ``sniff``
(content matches extension), ``layout`` (the blocks of lines every reader hands over: line
numbers, re-joining wrapped lines), ``speakers`` (label candidates and judging them),
``turns`` (turns from the labels, and the summary of what was recognised), ``document``
(blocks to canonical text and turns), and one reader per format family: ``text_reader`` (.txt),
``docx_reader``, ``odt_reader``, ``rtf_reader``, ``pdf_reader``, ``html_reader`` (.html,
.htm), ``markdown_reader`` (.md), ``subtitle_reader`` (.vtt, .srt). Every reader hands the
same line structure (``layout``) to the one speaker detector (``speakers``), and says what it
recognised in ``ParsedTranscript.recognised``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import PurePath

from .base import DEFAULT_MAX_BYTES, ParsedTranscript, TranscriptError, Turn, describe_recognised
from .encoding import canonicalize, decode_text
from .sniff import check_content

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_EXTENSIONS",
    "ParsedTranscript",
    "TranscriptError",
    "Turn",
    "canonicalize",
    "decode_text",
    "describe_recognised",
    "parse_transcript",
]


def _lazy(module: str, function: str, *args) -> Callable[[bytes, str], ParsedTranscript]:
    """A reader that imports its module on first use: a format's parser library (python-docx,
    pdfplumber, odfpy, markdown-it, webvtt) costs start-up time only when such a file comes."""

    def read(data: bytes, name: str) -> ParsedTranscript:
        return getattr(importlib.import_module(f"{__name__}.{module}"), function)(data, name, *args)

    read.__qualname__ = read.__name__ = function
    read.module = module
    return read


_READERS: dict[str, Callable[[bytes, str], ParsedTranscript]] = {
    ".txt": _lazy("text_reader", "read_text", "txt"),
    ".md": _lazy("markdown_reader", "read_markdown"),
    ".docx": _lazy("docx_reader", "read_docx"),
    ".odt": _lazy("odt_reader", "read_odt"),
    ".rtf": _lazy("rtf_reader", "read_rtf"),
    ".pdf": _lazy("pdf_reader", "read_pdf"),
    ".html": _lazy("html_reader", "read_html"),
    ".htm": _lazy("html_reader", "read_html"),
    ".vtt": _lazy("subtitle_reader", "read_vtt"),
    ".srt": _lazy("subtitle_reader", "read_srt"),
}


def preload() -> None:
    """Import every format's reader now (a worker process does it before it takes files)."""
    for module in sorted({reader.module for reader in _READERS.values() if hasattr(reader, "module")}):
        importlib.import_module(f"{__name__}.{module}")


#: File extensions :func:`parse_transcript` accepts (compared case-insensitively).
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(_READERS)


def parse_transcript(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedTranscript:
    """Parse the bytes of a transcript file; the extension of ``filename`` picks the format.

    Raises :class:`TranscriptError` for an unsupported extension, a file over
    ``max_bytes``, an empty file, content that does not match the extension, or content
    the format's parser cannot read.
    """
    extension = PurePath(filename).suffix.lower()
    reader = _READERS.get(extension)
    if reader is None:
        raise TranscriptError(
            filename,
            f"has an unsupported file type ({extension or 'no extension'})",
            f"Supported types: {', '.join(SUPPORTED_EXTENSIONS)}. Save or export the "
            "transcript in one of these formats",
        )
    if len(data) > max_bytes:
        raise TranscriptError(
            filename,
            "is {}, over the import size limit of {}".format(*_sizes(len(data), max_bytes)),
            "Raise the limit with --max-size MB or the QUALCODE_MAX_IMPORT_MB environment "
            "variable, or split the transcript into smaller files",
        )
    if not data:
        raise TranscriptError(
            filename,
            "is empty (0 bytes)",
            "Check that the transcript was saved or exported completely and import it again",
        )
    check_content(data, extension, filename, max_bytes)
    try:
        return reader(data, filename)
    except TranscriptError:
        raise
    except Exception as exc:  # a parser bug or an input no check foresaw: still report it
        raise TranscriptError(
            filename,
            f"could not be read as {extension} ({type(exc).__name__}: {exc})",
            "Open the file in the program that made it and save or export it again; if it "
            "still fails, report the problem with this message",
        ) from exc


def _size(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size:,} bytes"


def _sizes(size: int, limit: int) -> tuple[str, str]:
    """Both sizes readably, in exact bytes when rounding would make them look equal."""
    pair = _size(size), _size(limit)
    return pair if pair[0] != pair[1] else (f"{size:,} bytes", f"{limit:,} bytes")
