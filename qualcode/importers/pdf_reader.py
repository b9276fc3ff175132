"""PDF text layer via pdfplumber; scanned PDFs (no text layer) are refused.

pdfplumber gives the text lines of each page with their positions. A PDF has no notion of
paragraphs, so a new paragraph starts where the vertical gap between two lines is larger
than usual for the page (a blank line or paragraph spacing) and at every page break;
lines inside a paragraph are joined with ``\\n``. Typographic ligatures (U+FB00-FB06, as
in "ﬁ") are expanded so that words can be searched. Running headers and footers (the same
first or last line on most pages, page numbers aside) are left out, with a warning.
"""

from __future__ import annotations

import io
import re
import statistics
import unicodedata
from collections import Counter

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect

from .base import ParsedTranscript, TranscriptError
from .document import Paragraph, build_from_paragraphs

_LIGATURES = re.compile("[\ufb00-\ufb06]")
_UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)")
_DIGITS = re.compile(r"\d+")
# A gap between lines larger than this share of the usual line height starts a paragraph.
_PARAGRAPH_GAP = 0.8


def read_pdf(data: bytes, filename: str) -> ParsedTranscript:
    """Parse the text layer of a PDF transcript."""
    pages: list[list[dict]] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                lines = page.extract_text_lines(strip=True, return_chars=False)
                pages.append([line for line in lines if line["text"].strip()])
    except PDFPasswordIncorrect as exc:
        raise TranscriptError(
            filename,
            "is a password-protected PDF",
            "Remove the password (print or export it to a new PDF) and import it again",
        ) from exc
    except Exception as exc:  # pdfminer raises many parser error types for damaged files
        raise TranscriptError(
            filename,
            f"is not a readable PDF ({type(exc).__name__}: {exc})",
            "Open it in a PDF viewer and export or print it to a new PDF, or export the "
            "transcript from its original program as .docx or .txt",
        ) from exc

    empty_pages = [number for number, lines in enumerate(pages, start=1) if not lines]
    if len(empty_pages) == len(pages):
        raise TranscriptError(
            filename,
            "has no text layer (it is a scanned image or a picture of text)",
            "Run OCR on it first (e.g. with OCRmyPDF or your scanner's software) and import "
            "the OCR'd PDF, or import the transcript as .docx or .txt",
        )
    warnings = []
    removed = _drop_running_lines(pages)
    if removed:
        warnings.append(
            f"{len(removed)} page header/footer line(s) repeated on most pages were left out "
            f"(e.g. {removed[0]!r})"
        )
    paragraphs = [paragraph for lines in pages for paragraph in _paragraphs(lines)]
    if empty_pages:
        warnings.append(
            f"page(s) {', '.join(map(str, empty_pages))} have no text layer (scanned?) and "
            "were skipped; run OCR on the PDF to include them"
        )
    if any(_UNMAPPED_GLYPH.search(p.text) for p in paragraphs):
        warnings.append(
            "some characters of the PDF's text layer could not be mapped to letters and "
            "appear as '(cid:N)'; export the transcript again or run OCR on the PDF"
        )
    return build_from_paragraphs(filename, "pdf", paragraphs, warnings=warnings)


def _drop_running_lines(pages: list[list[dict]]) -> list[str]:
    """Remove running headers/footers ("Page 3 of 12", a title) in place; return them.

    A first or last line of a page whose text, digits aside, is the same on at least 60%
    of the pages (and 3 or more) is page furniture, not transcript.
    """
    removed: list[str] = []
    for position in (0, -1):
        keys = Counter(_DIGITS.sub("#", lines[position]["text"].strip()) for lines in pages if lines)
        running = {key for key, n in keys.items() if n >= max(3, 0.6 * len(pages))}
        for lines in pages:
            if lines and _DIGITS.sub("#", lines[position]["text"].strip()) in running:
                removed.append(lines.pop(position)["text"].strip())
    return removed


def _paragraphs(lines: list[dict]) -> list[Paragraph]:
    if not lines:
        return []
    height = statistics.median(max(line["bottom"] - line["top"], 1.0) for line in lines)
    groups: list[list[str]] = [[]]
    previous_bottom = None
    for line in lines:
        if previous_bottom is not None and line["top"] - previous_bottom > _PARAGRAPH_GAP * height:
            groups.append([])
        groups[-1].append(_expand_ligatures(line["text"]))
        previous_bottom = line["bottom"]
    return [Paragraph("\n".join(group)) for group in groups]


def _expand_ligatures(text: str) -> str:
    return _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m[0]), text)
