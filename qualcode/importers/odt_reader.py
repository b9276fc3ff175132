"""OpenDocument text (.odt) via odfpy: paragraphs and headings in document order.

The body is walked in order (lists, sections and tables included; a table row is one
paragraph with its cells joined by a tab, as for .docx). Inside a paragraph,
``<text:s text:c="4"/>`` becomes four spaces, ``<text:tab/>`` a tab and
``<text:line-break/>`` a ``\\n``; spans, links and fields contribute their text. Comments
(``office:annotation``), footnote bodies, frames and tracked-change records (deleted text)
are not part of the transcript.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from odf.namespaces import DRAWNS, OFFICENS, TABLENS, TEXTNS
from odf.opendocument import load

from .base import ParsedTranscript, TranscriptError
from .document import Paragraph, build_from_paragraphs

_PARAGRAPHS = {(TEXTNS, "p"), (TEXTNS, "h")}
# Block-level elements without transcript text (declarations, deleted text, forms).
_SKIP_BLOCKS = {
    (TEXTNS, "tracked-changes"),
    (TEXTNS, "sequence-decls"),
    (TEXTNS, "variable-decls"),
    (TEXTNS, "user-field-decls"),
    (TEXTNS, "dde-connection-decls"),
    (OFFICENS, "forms"),
    (OFFICENS, "annotation"),
    (TEXTNS, "alphabetical-index-mark"),
}
# Inline elements whose content is not body text.
_SKIP_INLINE = {
    (OFFICENS, "annotation"),
    (OFFICENS, "annotation-end"),
    (TEXTNS, "note-body"),
    (TEXTNS, "tracked-changes"),
    (TEXTNS, "ruby-text"),
}
_ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"


def read_odt(data: bytes, filename: str) -> ParsedTranscript:
    """Parse an OpenDocument text transcript."""
    try:
        document = load(io.BytesIO(data))
    except Exception as exc:  # zipfile, KeyError and XML errors for damaged packages
        raise TranscriptError(
            filename,
            f"is not a readable OpenDocument text file ({type(exc).__name__}: {exc})",
            "Open it in LibreOffice or Word and save it again as .odt",
        ) from exc
    mimetype = getattr(document, "mimetype", "") or ""
    if not mimetype.startswith(_ODT_MIMETYPE) or document.text is None:
        raise TranscriptError(
            filename,
            f"is an OpenDocument file of another kind ({mimetype or 'unknown type'}), not a text document",
            "Import the transcript from a text document (.odt, .docx, .txt)",
        )
    skipped: list[str] = []
    paragraphs = [Paragraph(text) for text in _block_texts(document.text, skipped)]
    warnings = []
    if skipped:
        warnings.append(
            f"{len(skipped)} comment(s), footnote(s) or frame(s) are not part of the imported text"
        )
    return build_from_paragraphs(filename, "odt", paragraphs, warnings=warnings, line_breaks=None)


def _block_texts(node, skipped: list[str]) -> Iterator[str]:
    for child in node.childNodes:
        if child.nodeType != child.ELEMENT_NODE:
            continue
        if child.qname in _PARAGRAPHS:
            parts: list[str] = []
            _inline_text(child, parts, skipped)
            yield "".join(parts)
        elif child.qname == (TABLENS, "table-row"):
            # One paragraph per row, cells joined with a tab (see docx_reader).
            cells = [
                "\n".join(t for t in _block_texts(cell, skipped) if t.strip())
                for cell in child.childNodes
                if cell.nodeType == cell.ELEMENT_NODE and cell.qname == (TABLENS, "table-cell")
            ]
            yield "\t".join(cell for cell in cells if cell.strip())
        elif child.qname not in _SKIP_BLOCKS:
            yield from _block_texts(child, skipped)  # lists, sections, tables, cells...


def _inline_text(node, parts: list[str], skipped: list[str]) -> None:
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            parts.append(child.data)
            continue
        if child.nodeType != child.ELEMENT_NODE:
            continue
        qname = child.qname
        if qname == (TEXTNS, "s"):
            count = child.getAttrNS(TEXTNS, "c")
            parts.append(" " * (int(count) if count else 1))
        elif qname == (TEXTNS, "tab"):
            parts.append("\t")
        elif qname == (TEXTNS, "line-break"):
            parts.append("\n")
        elif qname in _SKIP_INLINE or qname[0] == DRAWNS:
            if qname not in {(OFFICENS, "annotation-end"), (TEXTNS, "ruby-text")}:
                skipped.append(qname[1])
        else:
            _inline_text(child, parts, skipped)  # span, a, note-citation, fields...
