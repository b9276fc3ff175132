"""Word .docx via python-docx: body paragraphs and table rows, in document order.

Each paragraph's text is the text of its runs as python-docx renders them (tabs as
``\\t``, line breaks as ``\\n``), including runs inside hyperlinks, fields, content
controls and tracked insertions (which ``Paragraph.runs`` alone would miss); deleted text,
text boxes, headers, footers, footnotes and comments are not part of the transcript.

A line whose first run(s) are bold reports the bold text as a possible speaker label (bold
"Interviewer:" or bold "Dr. Okafor" followed by the words, or a bold name on a line of its
own); whether it is one is decided over the whole document by :mod:`.speakers`, which also
recognises plain ``Name:`` labels in the text. A soft line break (Shift+Enter) inside a
paragraph is a line break, re-joined when it falls mid-sentence (text pasted from a PDF
breaks at every printed line; see :mod:`.layout`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from docx import Document
from docx.oxml.ns import qn
from docx.styles.style import StyleFactory
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from .base import ParsedTranscript, TranscriptError
from .document import build_from_blocks
from .layout import Block, Line, block_of

_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT, _CUSTOM_XML, _R = (
    qn("w:p"),
    qn("w:tbl"),
    qn("w:tr"),
    qn("w:tc"),
    qn("w:sdt"),
    qn("w:sdtContent"),
    qn("w:customXml"),
    qn("w:r"),
)
# Runs under these hold text that is not (or no longer) shown in the body.
_HIDDEN_CONTAINERS = frozenset({qn("w:del"), qn("w:moveFrom")})
# A run's text: what python-docx's ``CT_R.text`` joins (its XPath, as a tag filter).
_RUN_TEXT = tuple(qn(f"w:{tag}") for tag in ("br", "cr", "noBreakHyphen", "ptab", "t", "tab"))
# They return a number and the few matches, so lxml makes no Python object for the other
# styles (python-docx's element objects cost ~20 µs each to make, and a document built from
# Word's template has over 160 styles).
_UNKNOWN_STYLE_TYPES = ('count(w:style[@w:type and not(@w:type="paragraph" or @w:type="character" '
                        'or @w:type="table" or @w:type="numbering")])')
_CHARACTER_STYLES = 'w:style[@w:type="character"]'
_MAX_BOLD_LABEL = 60


def read_docx(data: bytes, filename: str) -> ParsedTranscript:
    """Parse a Word .docx transcript."""
    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for bad packages
        raise TranscriptError(
            filename,
            f"is not a readable Word .docx document ({exc})",
            "Open it in Word or LibreOffice and save it again as .docx",
        ) from exc
    body = document._body  # the parent python-docx needs to resolve run styles
    return build_from_blocks(filename, "docx", _blocks(document.element.body, body, {}))


def _blocks(container, body, styles: dict[str | None, bool]) -> Iterator[Block]:
    """Paragraphs of a block container in reading order.

    A table row becomes one paragraph, its cells joined with a tab, so that a transcript
    laid out as a table (time | speaker | words) reads "Interviewer<TAB>words", which
    :mod:`.speakers` recognises as a label.
    """
    for child in container.iterchildren():
        if child.tag == _P:
            yield _paragraph(DocxParagraph(child, body), styles)
        elif child.tag == _TBL:
            for row in child.iterchildren(_TR):
                cells = ["\n".join(_text(b) for b in _blocks(cell, body, styles))
                         for cell in row.iterchildren(_TC)]
                yield block_of("\t".join(cell for cell in cells if cell.strip()))
        elif child.tag == _SDT:
            for content in child.iterchildren(_SDT_CONTENT):
                yield from _blocks(content, body, styles)
        elif child.tag == _CUSTOM_XML:
            yield from _blocks(child, body, styles)


def _runs(paragraph: DocxParagraph) -> Iterator[Run]:
    """The paragraph's visible runs, wherever they are nested (hyperlink, field, ins...)."""
    p = paragraph._p
    for r in p.iter(_R):
        parent = r.getparent()
        while parent is not None and parent is not p:
            if parent.tag == _P or parent.tag in _HIDDEN_CONTAINERS:
                break  # a text box's own paragraph, or deleted text
            parent = parent.getparent()
        else:
            yield Run(r, paragraph)


def _is_bold(run: Run, styles: dict[str | None, bool]) -> bool:
    if run.bold is not None:
        return run.bold
    # Resolving a run's character style (e.g. "Strong") scans the whole style table in
    # python-docx; a document uses a handful of styles, so remember each answer.
    style_id = run._r.style
    if style_id not in styles:
        bold, style = False, _default_character_style(run) if style_id is None else run.style
        while style is not None:
            if style.font.bold is not None:
                bold = style.font.bold
                break
            style = style.base_style
        styles[style_id] = bold
    return styles[style_id]


def _default_character_style(run: Run):
    """``run.style`` for a run without a character style of its own: the document's default one.

    python-docx finds it by reading the type and default flag of every style through its enum
    machinery (5 ms a document); this compares the raw ``w:type`` and takes the same style
    (the last default character style in document order). A document with a style type
    python-docx would not know is left to python-docx itself.
    """
    element = run.part.styles.element
    if element.xpath(_UNKNOWN_STYLE_TYPES):
        return run.style
    defaults = [style for style in element.xpath(_CHARACTER_STYLES) if style.default]
    return StyleFactory(defaults[-1]) if defaults else None


def _run_text(run: Run) -> str:
    """``run.text`` without compiling python-docx's XPath for every run (same children, same order)."""
    return "".join(str(e) for e in run._r.iterchildren(*_RUN_TEXT))


def _text(block: Block) -> str:
    return "\n".join(line.text for line in block.lines)


def _paragraph(paragraph: DocxParagraph, styles: dict[str | None, bool]) -> Block:
    """The paragraph's lines (split at soft line breaks), each with its leading bold run."""
    lines: list[list[tuple[str, bool]]] = [[]]
    for run in _runs(paragraph):
        text = _run_text(run)
        is_bold = bool(text.strip()) and _is_bold(run, styles)
        for k, part in enumerate(text.split("\n")):
            if k:  # a soft line break
                lines.append([])
            if part:
                lines[-1].append((part, is_bold))
    return Block([_line(parts) for parts in lines])


def _line(parts: list[tuple[str, bool]]) -> Line:
    """A line with the length of its leading bold run, when that is short enough for a label."""
    text = "".join(part for part, _bold in parts)
    pos, bold = 0, None
    for part, is_bold in parts:
        if part.strip() and not is_bold:
            break
        pos += len(part)
        if part.strip():
            bold = pos
    if bold is not None and bold > _MAX_BOLD_LABEL:
        bold = None
    return Line(text, bold, wrap=None)
