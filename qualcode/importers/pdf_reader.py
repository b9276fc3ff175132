"""PDF text layer via pdfplumber; scanned PDFs (no text layer) are refused.

A PDF has printed lines, not paragraphs, so they are rebuilt from the lines' geometry:

* **Line numbers** in the margin (Word's line numbering printed to PDF) are recognised and
  taken out of the text (see :mod:`.layout`), before anything else looks at the lines.
* **Page furniture**: a first or last line of a page whose text, digits aside, recurs at
  the same height on most pages (a browser's date/title header and URL/page footer, "Page 3
  of 12", a running title) is left out and reported. A line that is a speaker label
  ("Interviewer", "Speaker 1 0:03") is never furniture.
* **Paragraphs**: a gap between two lines clearly larger than the document's usual line
  pitch starts a paragraph (double-spaced documents included: the pitch is measured, not
  assumed); so does a first-line indent.
* **Wrapped lines** are re-joined: a line that ends where the next line's first word would
  not have fitted was wrapped by the layout, also across a page break; a line that ends
  earlier ended deliberately (a label, the last line of a paragraph) and stays a line.
* **Bold** at the start of a line (by font name) is a possible speaker label.

Typographic ligatures (U+FB00-FB06, as in "ﬁ") are expanded so that words can be searched.
"""

from __future__ import annotations

import io
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect

from .base import ParsedTranscript, TranscriptError
from .document import build_from_blocks
from .layout import Block, Line, find_line_numbers
from .speakers import ALONE, is_name_like, line_candidate

_LIGATURES = re.compile("[\ufb00-\ufb06]")
_UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)")
_DIGITS = re.compile(r"\d+")
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
# A gap between lines larger than this share of the usual line pitch starts a paragraph.
_PARAGRAPH_PITCH = 1.3
# Running headers/footers: on this share of the pages (and on 2 or more) at the same height.
_RUNNING_SHARE = 0.6
_SAME_HEIGHT = 3.0  # points


@dataclass
class _PdfLine:
    """A printed line: its text and where its characters are."""

    text: str
    top: float
    bottom: float
    size: float
    xs: list[tuple[float, float] | None]  # x0, x1 of each character of ``text`` (None: inserted space)
    bold: list[bool]
    number: int | None = None
    page: int = 0
    left: float = 0.0  # the line's box, where no character could be placed
    right: float = 0.0

    @property
    def x0(self) -> float:
        return next((x[0] for x in self.xs if x is not None), self.left)

    @property
    def x1(self) -> float:
        return next((x[1] for x in reversed(self.xs) if x is not None), self.right)

    def first_word_width(self) -> float:
        """Width of the line's first word (what would have had to fit on the line above)."""
        start = len(self.text) - len(self.text.lstrip())
        end = start
        while end < len(self.text) and not self.text[end].isspace():
            end += 1
        boxes = [x for x in self.xs[start:end] if x is not None]
        return boxes[-1][1] - boxes[0][0] if boxes else 0.0

    def bold_prefix(self) -> int | None:
        """Length of the leading bold text, if any."""
        end = None
        for k, ch in enumerate(self.text):
            if ch.isspace():
                continue
            if not self.bold[k]:
                break
            end = k + 1
        return end

    def strip_front(self, width: int) -> None:
        self.text, self.xs, self.bold = self.text[width:], self.xs[width:], self.bold[width:]


def read_pdf(data: bytes, filename: str) -> ParsedTranscript:
    """Parse the text layer of a PDF transcript."""
    pages: list[list[_PdfLine]] = []
    widths: list[float] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number, page in enumerate(pdf.pages):
                raw = page.extract_text_lines(strip=True, return_chars=True)
                pages.append([line for line in _page_lines(raw, number) if line.text.strip()])
                widths.append(float(page.width))
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
    recognised: dict = {}
    _take_line_numbers(pages)
    removed = _drop_running_lines(pages)
    if removed:
        warnings.append(
            f"{len(removed)} page header/footer line(s) repeated on most pages were left out "
            f"(e.g. {removed[0]!r})"
        )
        examples = {_DIGITS.sub("#", text): text for text in reversed(removed)}
        recognised["headers_footers"] = {"lines_dropped": len(removed),
                                         "examples": list(examples.values())[::-1][:3]}
    blocks = _blocks(pages, widths)
    if empty_pages:
        warnings.append(
            f"page(s) {', '.join(map(str, empty_pages))} have no text layer (scanned?) and "
            "were skipped; run OCR on the PDF to include them"
        )
    if any(_UNMAPPED_GLYPH.search(line.text) for b in blocks for line in b.lines):
        warnings.append(
            "some characters of the PDF's text layer could not be mapped to letters and "
            "appear as '(cid:N)'; export the transcript again or run OCR on the PDF"
        )
    return build_from_blocks(filename, "pdf", blocks, warnings=warnings, recognised=recognised)


def _page_lines(raw: list[dict], page: int) -> list[_PdfLine]:
    """pdfplumber's lines as :class:`_PdfLine`, fragments on one baseline merged."""
    lines: list[_PdfLine] = []
    for item in raw:
        chars = [c for c in item.get("chars", []) if c.get("text")]
        text = item["text"]
        xs: list[tuple[float, float] | None] = []
        bold: list[bool] = []
        j = 0
        for ch in text:
            if j < len(chars) and chars[j]["text"] == ch:
                xs.append((chars[j]["x0"], chars[j]["x1"]))
                bold.append(bool(_BOLD_FONT.search(chars[j].get("fontname") or "")))
                j += 1
            else:  # a space pdfplumber inserted for a gap, or a character it spelled otherwise
                xs.append(None)
                bold.append(False)
        sizes = [c.get("size") or 0.0 for c in chars]
        size = statistics.median(sizes) if sizes else max(item["bottom"] - item["top"], 1.0)
        lines.append(_PdfLine(text, item["top"], item["bottom"], size, xs, bold, page=page,
                              left=item.get("x0", 0.0), right=item.get("x1", 0.0)))
    lines.sort(key=lambda line: (line.top, line.x0))
    merged: list[_PdfLine] = []
    for line in lines:
        last = merged[-1] if merged else None
        beside = last is not None and (line.x0 >= last.x1 or line.x1 <= last.x0)
        if beside and abs(last.bottom - line.bottom) < 1.5:  # one baseline: a margin number and its line
            left, right = (last, line) if line.x0 >= last.x1 else (line, last)
            merged[-1] = _PdfLine(left.text + " " + right.text, min(left.top, right.top),
                                  max(left.bottom, right.bottom), max(left.size, right.size),
                                  left.xs + [None] + right.xs, left.bold + [False] + right.bold, page=page,
                                  left=left.left, right=right.right)
        else:
            merged.append(line)
    return merged


def _take_line_numbers(pages: list[list[_PdfLine]]) -> None:
    """Take margin line numbers off the lines (kept on the line), drop number-only lines."""
    lines = [line for page in pages for line in page]
    gutter = find_line_numbers([line.text for line in lines])
    for index, (number, width) in gutter.items():
        lines[index].strip_front(width)
        lines[index].number = number
    for page in pages:
        page[:] = [line for line in page if line.text.strip()]


def _key(line: _PdfLine) -> str:
    return _DIGITS.sub("#", line.text.strip())


def _is_label(line: _PdfLine) -> bool:
    """The line starts with a speaker label (with or without its words)."""
    cand = line_candidate(line.text, 0, len(line.text), line.bold_prefix())
    return cand is not None and is_name_like(cand.name, strict=cand.style == ALONE)


def _drop_running_lines(pages: list[list[_PdfLine]]) -> list[str]:
    """Remove running headers/footers ("Page 3 of 12", a title) in place; return them.

    A first or last line of a page (twice: a header may be two lines) whose text, digits
    aside, is the same at the same height on at least 60% of the pages (and 2 or more) is
    page furniture, not transcript - unless it is a speaker label.
    """
    removed: list[str] = []
    total = sum(len(lines) for lines in pages)
    need = max(2, _RUNNING_SHARE * len(pages))
    for position in (0, 0, -1, -1):
        # Furniture sits above or below a page's text, so a key needs a page of three lines
        # or more among its pages (where all pages hold one or two lines, they may be all
        # text); a page's only line is never taken.
        paged = [lines for lines in pages if len(lines) >= 2]
        keys = Counter(_key(lines[position]) for lines in paged)
        hits: list[list[_PdfLine]] = []
        for key, n in keys.items():
            if n < need:
                continue
            group = [lines for lines in paged if _key(lines[position]) == key]
            height = statistics.median(lines[position].top for lines in group)
            group = [lines for lines in group if abs(lines[position].top - height) <= _SAME_HEIGHT]
            framed = any(len(lines) >= 3 for lines in group)
            if len(group) >= need and framed and not _is_label(group[0][position]):
                hits.extend(group)
        # Headers and footers are a line or two of each page; a "running" line that would take
        # more than half of the document is the transcript's own repetition, kept.
        if not hits or len(removed) + len(hits) > 0.5 * total:
            continue
        for lines in hits:
            removed.append(_expand_ligatures(lines.pop(position).text.strip()))
    return removed


def _blocks(pages: list[list[_PdfLine]], widths: list[float]) -> list[Block]:
    """Paragraphs of lines from the pages' geometry (see the module docstring)."""
    lines = [line for page in pages for line in page]
    if not lines:
        return []
    body = statistics.median(line.size for line in lines)
    left = Counter(round(line.x0) for line in lines if abs(line.size - body) < 1).most_common(1)
    left_x = left[0][0] if left else min(line.x0 for line in lines)
    right = _right_edge(lines, body, left_x, statistics.median(widths) if widths else 612.0)
    wrapped = [right is not None and _wrapped(a, b, right, left_x, body) for a, b in zip(lines, lines[1:])]
    pitch = _usual_pitch(lines, wrapped, body)
    blocks: list[Block] = []
    current: list[Line] = [_line(lines[0])]
    for k, (previous, line) in enumerate(zip(lines, lines[1:])):
        same_page = line.page == previous.page
        gap = line.bottom - previous.bottom
        new_paragraph = same_page and (gap > _PARAGRAPH_PITCH * pitch or gap < 0)
        indented = line.x0 - left_x > 1.2 * body and previous.x0 - left_x < 0.5 * body
        if new_paragraph or indented or (not same_page and not wrapped[k]):
            blocks.append(Block(current))
            current = []
        else:
            current[-1].wrap = wrapped[k]
        current.append(_line(line))
    blocks.append(Block(current))
    return blocks


def _usual_pitch(lines: list[_PdfLine], wrapped: list[bool], body: float) -> float:
    """The distance between the baselines of two lines of one paragraph.

    Measured on lines the layout wrapped (they are certainly in one paragraph), so a
    double-spaced document has a double pitch; without wrapped lines, the smaller pitches
    of the document, at most single spacing (1.25 times the font size).
    """

    def pitch(a: _PdfLine, b: _PdfLine) -> float | None:
        if a.page != b.page or abs(a.size - b.size) >= 1 or b.bottom - a.bottom <= 0.5 * min(a.size, b.size):
            return None
        return b.bottom - a.bottom

    pairs = list(zip(lines, lines[1:]))
    inside = [p for (a, b), w in zip(pairs, wrapped) if w and (p := pitch(a, b)) is not None]
    if len(inside) >= 3:
        return statistics.median(inside)
    pitches = sorted(p for a, b in pairs if (p := pitch(a, b)) is not None)
    if not pitches:
        return 1.25 * body
    low = pitches[len(pitches) // 4]
    return min(statistics.median([p for p in pitches if p <= 1.15 * low]), 1.25 * body)


def _right_edge(lines: list[_PdfLine], body: float, left: float, page_width: float) -> float | None:
    """Where the text column ends, or None when no line seems to reach it (nothing wraps).

    A column of wrapped text spans a good part of the page, or many of its lines end close
    to the same right edge; a few short lines of different lengths do neither.
    """
    ends = sorted(line.x1 for line in lines if abs(line.size - body) < 1) or sorted(line.x1 for line in lines)
    right = ends[min(len(ends) - 1, int(0.95 * len(ends)))]
    near = sum(1 for end in ends if right - end <= 0.12 * (right - left))
    if right - left < 5 * body:
        return None  # not a column of text at all
    if right - left >= 0.35 * page_width or (near >= 4 and near >= 0.4 * len(ends)):
        return right
    return None


def _wrapped(line: _PdfLine, following: _PdfLine, right: float, left: float, body: float) -> bool:
    """The layout wrapped ``line``: the next line's first word would not have fitted on it."""
    if line.x1 - left < 0.5 * (right - left):
        return False  # a short line ends deliberately
    room = right - line.x1
    return room < following.first_word_width() + 0.3 * body


def _line(line: _PdfLine) -> Line:
    text = _expand_ligatures(line.text)
    bold = line.bold_prefix()
    if bold is not None:
        bold = len(_expand_ligatures(line.text[:bold]))
    return Line(text, bold, wrap=False, number=line.number)


def _expand_ligatures(text: str) -> str:
    return _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m[0]), text)
