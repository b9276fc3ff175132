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

from collections.abc import Callable
from pathlib import PurePath

from .base import DEFAULT_MAX_BYTES, ParsedTranscript, TranscriptError, Turn, describe_recognised
from .docx_reader import read_docx
from .encoding import canonicalize, decode_text
from .html_reader import read_html
from .markdown_reader import read_markdown
from .odt_reader import read_odt
from .pdf_reader import read_pdf
from .rtf_reader import read_rtf
from .sniff import check_content
from .subtitle_reader import read_srt, read_vtt
from .text_reader import read_text

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

_READERS: dict[str, Callable[[bytes, str], ParsedTranscript]] = {
    ".txt": lambda data, name: read_text(data, name, "txt"),
    ".md": read_markdown,
    ".docx": read_docx,
    ".odt": read_odt,
    ".rtf": read_rtf,
    ".pdf": read_pdf,
    ".html": read_html,
    ".htm": read_html,
    ".vtt": read_vtt,
    ".srt": read_srt,
}

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
