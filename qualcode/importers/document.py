"""From extracted text to a :class:`ParsedTranscript`: shared by every non-subtitle reader.

Structured formats (.docx, .odt, .rtf, .pdf, .html) hand over a list of paragraphs; their
canonical text is the paragraphs joined with one blank line (``"\\n\\n"``), whitespace-only
paragraphs left out, each paragraph's text otherwise unchanged. A line break inside a
paragraph stays a single ``"\\n"``. So in every format a paragraph is a block separated by
a blank line, which is what :mod:`.speakers` relies on for think-aloud documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .base import ParsedTranscript, TranscriptError
from .encoding import canonicalize
from .speakers import find_turns

PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Paragraph:
    """One paragraph as extracted from a document.

    ``bold_prefix`` is the text of the paragraph's leading bold run(s) when normal text
    follows them (a possible speaker label in a Word document), else ``None``.
    """

    text: str
    bold_prefix: str | None = None


def join_paragraphs(paragraphs: Iterable[Paragraph]) -> tuple[str, dict[int, int]]:
    """Canonical text of the paragraphs, and the bold-label hints for :func:`find_turns`.

    Returns ``(text, bold_labels)`` where ``bold_labels`` maps the offset of a paragraph
    start to the length of its bold prefix in the canonical text.
    """
    parts: list[str] = []
    bold_labels: dict[int, int] = {}
    offset = 0
    for paragraph in paragraphs:
        text = canonicalize(paragraph.text)
        if not text.strip():
            continue
        if parts:
            offset += len(PARAGRAPH_SEPARATOR)
        if paragraph.bold_prefix:
            prefix = canonicalize(paragraph.bold_prefix)
            # NFC may merge a character across the run boundary: then give up the hint.
            if text.startswith(prefix) and "\n" not in prefix:
                bold_labels[offset] = len(prefix)
        parts.append(text)
        offset += len(text)
    return PARAGRAPH_SEPARATOR.join(parts), bold_labels


def build_transcript(
    filename: str,
    fmt: str,
    text: str,
    *,
    encoding: str | None = None,
    warnings: Iterable[str] = (),
    bold_labels: Mapping[int, int] | None = None,
) -> ParsedTranscript:
    """Find the speaker turns of canonical ``text`` and wrap everything up.

    Raises :class:`TranscriptError` when the text is empty or only whitespace.
    """
    if not text.strip():
        raise TranscriptError(
            filename,
            "contains no text" + (" (only whitespace)" if text else ""),
            "Check that this is the right file and that the transcript was saved into it",
        )
    turns, turn_warnings = find_turns(text, bold_labels)
    return ParsedTranscript(
        filename=filename,
        format=fmt,
        text=text,
        turns=turns,
        encoding=encoding,
        warnings=[*warnings, *turn_warnings],
    )


def build_from_paragraphs(
    filename: str,
    fmt: str,
    paragraphs: Iterable[Paragraph],
    *,
    encoding: str | None = None,
    warnings: Iterable[str] = (),
) -> ParsedTranscript:
    """:func:`join_paragraphs` then :func:`build_transcript`."""
    text, bold_labels = join_paragraphs(paragraphs)
    return build_transcript(
        filename, fmt, text, encoding=encoding, warnings=warnings, bold_labels=bold_labels
    )


def encoding_warnings(encoding: str) -> list[str]:
    """The warning a researcher should see when a text file was not UTF-8."""
    if encoding.startswith(("utf-8", "utf-16", "utf-32")):
        return []
    return [
        (
            f"decoded as {encoding} (the file is not UTF-8); if some letters look wrong, "
            "save the file as UTF-8 and import it again"
        )
    ]
