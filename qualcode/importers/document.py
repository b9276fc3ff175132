"""From extracted text to a :class:`ParsedTranscript`: shared by every non-subtitle reader.

Structured formats (.docx, .odt, .rtf, .pdf, .html, .md) hand over :class:`.layout.Block` s
(paragraphs of lines); :func:`.layout.assemble` makes the canonical text (paragraphs joined
with one blank line, ``"\\n\\n"``, lines of a paragraph with ``"\\n"``, wrapped lines
re-joined, line numbers taken out) and :func:`.turns.detect` finds the turns in it. So in
every format a paragraph is a block separated by a blank line, which is what
:mod:`.speakers` relies on for think-aloud documents. Plain text is its own canonical text,
only line numbers are taken out (:func:`build_transcript`).
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import ParsedTranscript, TranscriptError
from .layout import PARAGRAPH_SEPARATOR, Block, Line, assemble, block_of, find_line_numbers
from .turns import detect

__all__ = ["PARAGRAPH_SEPARATOR", "Paragraph", "build_from_blocks", "build_from_paragraphs",
           "build_transcript", "encoding_warnings"]


class Paragraph:
    """One paragraph as extracted from a document (its ``\\n`` are deliberate line breaks).

    ``bold_prefix`` is the text of the paragraph's leading bold run(s), a possible speaker
    label, else ``None``.
    """

    def __init__(self, text: str, bold_prefix: str | None = None):
        self.text, self.bold_prefix = text, bold_prefix

    def block(self, *, wrap: bool | None = False) -> Block:
        """The paragraph as a :class:`Block`, its line breaks of kind ``wrap``."""
        bold = len(self.bold_prefix) if self.bold_prefix and self.text.startswith(self.bold_prefix) else None
        return block_of(self.text, bold, wrap=wrap)


def _empty(filename: str, text: str) -> TranscriptError:
    return TranscriptError(
        filename,
        "contains no text" + (" (only whitespace)" if text else ""),
        "Check that this is the right file and that the transcript was saved into it",
    )


def build_transcript(
    filename: str,
    fmt: str,
    text: str,
    *,
    encoding: str | None = None,
    warnings: Iterable[str] = (),
) -> ParsedTranscript:
    """Plain text: the canonical ``text`` is the transcript.

    A line-numbered text is the exception: its lines are the printed lines of a word
    processor, so it is read like a printed document (:func:`build_from_blocks`): the numbers
    come off, lines wrapped mid-sentence are re-joined, blank lines separate paragraphs.
    Raises :class:`TranscriptError` when the text is empty or only whitespace.
    """
    if not text.strip():
        raise _empty(filename, text)
    lines = text.split("\n")
    gutter = find_line_numbers(lines)
    if gutter:
        blocks: list[Block] = [Block()]
        for index, line in enumerate(lines):
            number, width = gutter.get(index, (None, 0))
            if not line[width:].strip():
                if blocks[-1].lines:
                    blocks.append(Block())
                continue
            blocks[-1].lines.append(Line(line[width:], wrap=None, number=number))
        numbers = [number for number, _width in gutter.values()]
        summary = {"line_numbers": {"first": min(numbers), "last": max(numbers), "lines": len(numbers)}}
        return build_from_blocks(filename, fmt, blocks, encoding=encoding, warnings=warnings, recognised=summary)
    found = detect(text, line_numbers={})
    return ParsedTranscript(filename=filename, format=fmt, text=text, turns=found.turns, encoding=encoding,
                            warnings=[*warnings, *found.warnings], recognised=found.recognised)


def build_from_blocks(
    filename: str,
    fmt: str,
    blocks: Iterable[Block],
    *,
    encoding: str | None = None,
    warnings: Iterable[str] = (),
    recognised: dict | None = None,
) -> ParsedTranscript:
    """Assemble the blocks into canonical text, find the turns and wrap everything up.

    ``recognised`` holds what the reader itself recognised (e.g. page headers dropped).
    Raises :class:`TranscriptError` when there is no text.
    """
    assembled = assemble(blocks)
    if not assembled.text.strip():
        raise _empty(filename, assembled.text)
    found = detect(assembled.text, assembled.bold_labels, assembled.time_marks, assembled.line_numbers)
    summary = {**found.recognised, **assembled.recognised, **(recognised or {})}
    return ParsedTranscript(
        filename=filename,
        format=fmt,
        text=assembled.text,
        turns=found.turns,
        encoding=encoding,
        warnings=[*warnings, *found.warnings],
        recognised=summary,
    )


def build_from_paragraphs(
    filename: str,
    fmt: str,
    paragraphs: Iterable[Paragraph],
    *,
    encoding: str | None = None,
    warnings: Iterable[str] = (),
    line_breaks: bool | None = False,
    recognised: dict | None = None,
) -> ParsedTranscript:
    """:func:`build_from_blocks` for readers that give whole paragraphs.

    ``line_breaks`` is the kind of the ``\\n`` inside a paragraph: False (kept), or None (a
    soft line break: re-joined when it falls mid-sentence).
    """
    blocks = [p.block(wrap=line_breaks) for p in paragraphs]
    return build_from_blocks(filename, fmt, blocks, encoding=encoding, warnings=warnings,
                             recognised=recognised)


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
