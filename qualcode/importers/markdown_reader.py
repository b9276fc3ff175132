"""Markdown (.md) rendered to text with markdown-it-py (CommonMark, plus tables).

The text is what a reader of the rendered page sees: ``**bold**``, ``*emphasis*``, link
syntax, backslash escapes (``\\[04:09\\]``) and character references are resolved, headings,
list items, block quotes and table rows are paragraphs (a row's cells joined by a tab, as in
the other readers), code blocks keep their lines. Raw HTML is not interpreted: ``<laughs>``
in a transcript stays text. A bold run at the start of a line is reported as a possible
speaker label (``**Name:**``); the source's line breaks inside a paragraph are soft line
breaks, re-joined when they fall mid-sentence (see :mod:`.layout`).
"""

from __future__ import annotations

from markdown_it import MarkdownIt

from .base import ParsedTranscript
from .document import build_from_blocks, encoding_warnings
from .encoding import decode_text
from .layout import Block, Line

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
_TEXT_CHILDREN = {"text", "code_inline", "html_inline"}


def read_markdown(data: bytes, filename: str) -> ParsedTranscript:
    """Parse a Markdown transcript."""
    raw, encoding = decode_text(data, filename)
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    row: list[str] | None = None
    for token in _MARKDOWN.parse(raw):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append(Block([Line("\t".join(cell for cell in row if cell.strip()))]))
            row = None
        elif token.type == "inline" and row is not None:
            row.append(" ".join(line.text for line in _inline_lines(token.children or [])))
        elif token.type == "inline":
            blocks.append(Block(_inline_lines(token.children or [])))
        elif token.type in ("fence", "code_block"):
            blocks.append(Block([Line(line) for line in token.content.removesuffix("\n").split("\n")]))
    return build_from_blocks(filename, "md", blocks, encoding=encoding, warnings=encoding_warnings(encoding))


def _inline_lines(children) -> list[Line]:
    """The lines of one paragraph: soft breaks are judged, hard breaks kept; bold prefixes noted."""
    lines: list[Line] = []
    text, bold, in_bold, leading = "", None, False, True

    def finish(wrap: bool | None) -> None:
        nonlocal text, bold, leading
        lines.append(Line(text, bold, wrap=wrap))
        text, bold, leading = "", None, True

    for child in children:
        kind = child.type
        if kind == "softbreak":
            finish(None)
        elif kind == "hardbreak":
            finish(False)
        elif kind == "strong_open":
            in_bold = True
        elif kind == "strong_close":
            in_bold = False
        elif kind in _TEXT_CHILDREN or kind == "image":
            piece = child.content
            if piece.strip():
                if leading and in_bold:
                    bold = len(text) + len(piece)
                elif not in_bold:
                    leading = False
            text += piece
    finish(False)
    return lines
