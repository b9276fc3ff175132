"""The line structure every format reader hands over, and how it becomes canonical text.

A reader turns its format into :class:`Block` s (paragraphs) of :class:`Line` s: the lines
as the document breaks them (a PDF's printed lines, a Word paragraph's soft line breaks,
Markdown's source lines), each with what the format says about it: a leading bold run (a
possible label), times the format marked as times (HTML ``<time>``), whether the line was
wrapped by the layout (PDF geometry) and, where the reader already took it off, the line's
own number. :func:`assemble` then, the same way for every format:

1. recognises **line numbers** (Word/MAXQDA line numbering: most lines start with a number
   that counts up with the lines) and takes them out of the text, keeping each line's
   number for the turns (numbers that break the count, such as a page number, stay);
2. **re-joins wrapped lines**: a line the layout wrapped (``wrap=True``), or, when the
   format does not say (``wrap=None``: Word soft line breaks, Markdown source lines), a line
   that stops mid-sentence before one that goes on in lower case. A hyphen at the end of a
   wrapped line joins the two halves of a word (kept when the document writes the word with
   a hyphen elsewhere or never without it). A line is never joined to a label line;
3. joins lines with ``"\\n"`` and paragraphs with ``"\\n\\n"`` into canonical text, and
   returns the label and time hints as offsets into it for :func:`.turns.detect`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .encoding import canonicalize
from .speakers import ALONE, is_name_like, line_candidate

PARAGRAPH_SEPARATOR = "\n\n"
_GUTTER = re.compile(r"[^\S\n]*(\d{1,5})(?:[^\S\n]+|$)")
_SENTENCE_END = re.compile(r"[.!?…:;]['\"’”)\]*_]*$")
_WORD_BEFORE_HYPHEN = re.compile(r"([^\W\d_]+)-$")
_FIRST_WORD = re.compile(r"[^\W\d_]+")
_WORDS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass
class Line:
    """One line of a document as its format breaks it.

    ``bold``: length of the line's leading bold (or otherwise emphasised) text, a possible
    label. ``times``: (start, end) of times the format marks as times. ``wrap``: True when
    the layout wrapped the line (the sentence goes on on the next line), False for a
    deliberate break, None when the format does not say (judged from the words).
    ``number``: the line's own number, when the reader already took it out of ``text``;
    ``joined``: (offset in ``text``, number) of numbered lines re-joined onto this one;
    ``tail``: where in ``text`` the last line re-joined onto this one begins.
    """

    text: str
    bold: int | None = None
    times: tuple[tuple[int, int], ...] = ()
    wrap: bool | None = None
    number: int | None = None
    joined: tuple[tuple[int, int], ...] = ()
    tail: int = 0


@dataclass
class Block:
    """A paragraph: one or more lines."""

    lines: list[Line] = field(default_factory=list)


def block_of(text: str, bold: int | None = None, *, wrap: bool | None = False) -> Block:
    """A paragraph given as text: each ``\\n`` in it is a line break of kind ``wrap``.

    ``bold`` (the length of a leading bold run) applies to the first line.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [Line(part, wrap=wrap) for part in text.split("\n")]
    if bold and lines and bold <= len(lines[0].text):
        lines[0].bold = bold
    elif bold and lines:  # a bold run across a line break: the whole first line is bold
        lines[0].bold = len(lines[0].text)
    return Block(lines)


@dataclass
class Assembled:
    """Canonical text of a document with the hints for speaker detection."""

    text: str
    bold_labels: dict[int, int]  # line start offset -> length of its leading bold run
    time_marks: dict[int, int]  # start -> end of times the format marked
    line_numbers: dict[int, int]  # line start offset -> the line's own number
    recognised: dict


def find_line_numbers(texts: list[str]) -> dict[int, tuple[int, int]]:
    """Line numbers at the start of ``texts``: {line index: (number, width to strip)}.

    The document counts as line-numbered when at least half of its non-blank lines (or,
    numbered every k-th line, about 1/k of them) start with a number followed by a space,
    a tab or nothing, and these numbers count up with the lines. The count may restart (a
    new page); a number that breaks it (a page number in a footer, a year) is not a line
    number and stays.
    """
    nonblank = [i for i, t in enumerate(texts) if t.strip()]
    found = []
    for i in nonblank:
        match = _GUTTER.match(texts[i])
        if match:
            found.append((i, int(match[1]), match.end()))
    if len(found) < 3:
        return {}

    def fits(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
        return 1 <= b[1] - a[1] <= (b[0] - a[0]) + 1

    pairs = list(zip(found, found[1:]))
    if sum(fits(a, b) for a, b in pairs) < 0.6 * len(pairs):
        return {}
    numbered: list[tuple[int, int, int]] = []
    for k, entry in enumerate(found):
        following = found[k + 1] if k + 1 < len(found) else None
        last = numbered[-1] if numbered else None
        if last is not None and fits(last, entry):
            numbered.append(entry)
        elif following is not None and fits(entry, following) and (last is None or not fits(last, following)):
            numbered.append(entry)  # the first number, or the count starting again
    steps = Counter(b[1] - a[1] for a, b in zip(numbered, numbered[1:]) if fits(a, b))
    if len(numbered) < 3 or not steps:
        return {}
    step, times = steps.most_common(1)[0]
    coverage = len(numbered) / len(nonblank)
    if coverage < 0.5 and not (step >= 2 and times >= 0.8 * sum(steps.values()) and coverage >= 0.8 / step):
        return {}
    return {i: (number, width) for i, number, width in numbered}


def assemble(blocks: Iterable[Block]) -> Assembled:
    """Canonical text and hints from a reader's blocks (see the module docstring)."""
    blocks = [Block([replace(line) for line in b.lines]) for b in blocks]
    recognised: dict = {}
    lines = [line for b in blocks for line in b.lines]
    if not any(line.number is not None for line in lines):
        gutter = find_line_numbers([line.text for line in lines])
        for index, (number, width) in gutter.items():
            _strip_front(lines[index], width)
            lines[index].number = number
    numbered = [line.number for line in lines if line.number is not None]
    if numbered:
        recognised["line_numbers"] = {"first": min(numbered), "last": max(numbered), "lines": len(numbered)}

    vocabulary = Counter(w.casefold() for line in lines for w in _WORDS.findall(line.text))
    joined = hyphens = 0
    parts: list[str] = []
    bold_labels: dict[int, int] = {}
    time_marks: dict[int, int] = {}
    line_numbers: dict[int, int] = {}
    offset = 0
    for b in blocks:
        merged: list[Line] = []
        full = _full_width(b)
        for line in b.lines:
            if line.number is not None and not line.text.strip():
                continue  # a line that held only its number
            joiner = _joiner(merged[-1], line, vocabulary, full) if merged else None
            if joiner is None:
                merged.append(replace(line))
                continue
            joined += 1
            hyphens += joiner != " "
            merged[-1] = _join(merged[-1], line, joiner)
        texts = [canonicalize(line.text).replace("\n", " ") for line in merged]
        if not "".join(texts).strip():
            continue
        if parts:
            offset += len(PARAGRAPH_SEPARATOR)
        for k, (line, text) in enumerate(zip(merged, texts)):
            if k:
                offset += 1
            if line.bold and text.startswith(canonicalize(line.text[: line.bold])):
                bold_labels[offset] = len(canonicalize(line.text[: line.bold]))
            for start, end in line.times:
                s = offset + len(canonicalize(line.text[:start]))
                time_marks[s] = s + len(canonicalize(line.text[start:end]))
            if line.number is not None:
                line_numbers[offset] = line.number
            for at, number in line.joined:
                line_numbers[offset + len(canonicalize(line.text[:at]))] = number
            offset += len(text)
        parts.append("\n".join(texts))
    text = PARAGRAPH_SEPARATOR.join(parts)
    if not unicodedata.is_normalized("NFC", text):
        # A combining mark at the start of a joined line composed with the line before it:
        # normalise the whole text; the hints' offsets may have moved, so they are dropped.
        text = unicodedata.normalize("NFC", text)
        bold_labels, time_marks, line_numbers = {}, {}, {}
    if joined:
        recognised["reflow"] = {"lines_joined": joined, "hyphenated_words": hyphens}
    return Assembled(text, bold_labels, time_marks, line_numbers, recognised)


def _strip_front(line: Line, width: int) -> None:
    line.text = line.text[width:]
    if line.bold is not None:
        line.bold = line.bold - width if line.bold > width else None
    line.times = tuple((s - width, e - width) for s, e in line.times if s >= width)


def _full_width(block: Block) -> int | None:
    """For a paragraph hard-wrapped at a width (text pasted from a PDF, saved with line
    breaks), the length from which a line counts as full; None for any other paragraph.

    Such a paragraph has at least three judged line breaks, most lines about as long as the
    longest (40 characters or more), and at least one break in the middle of a sentence.
    """
    judged = [line for line in block.lines[:-1] if line.wrap is None and line.text.strip()]
    if len(judged) < 3:
        return None
    longest = max(len(line.text.rstrip()) for line in block.lines)
    if longest < 40:
        return None  # short lines: a list or verse, not prose wrapped at a width
    full = [line for line in judged if len(line.text.rstrip()) >= 0.6 * longest]
    mid_sentence = sum(
        1 for a, b in zip(block.lines, block.lines[1:])
        if a.wrap is None and b.text.strip()[:1].islower() and not _SENTENCE_END.search(a.text.rstrip())
    )
    return int(0.6 * longest) if len(full) >= 0.6 * len(judged) and mid_sentence else None


def _joiner(previous: Line, line: Line, vocabulary: Counter, full: int | None = None) -> str | None:
    """How ``line`` joins the (merged) line before it, or None for a real line break.

    " ": the line was wrapped; "": a word split by the layout's hyphen (dropped); "-": a
    compound split at its own hyphen (kept). ``full``: the paragraph is hard-wrapped and a
    line this long (the last line joined onto ``previous``) was wrapped, whatever the next
    line starts with.
    """
    if previous.wrap is False or not previous.text.strip() or not line.text.strip():
        return None
    before, after = previous.text.rstrip(), line.text.lstrip()
    if _is_label_line(previous) or _starts_with_label(line, before):
        return None
    # In a hard-wrapped paragraph a full line was wrapped, even where a sentence ends with it.
    wrapped_by_width = full is not None and len(previous.text[previous.tail :].rstrip()) >= full
    ends_sentence = bool(_SENTENCE_END.search(before))
    if previous.wrap is None and not wrapped_by_width and (ends_sentence or not after[0].islower()):
        return None
    if before.endswith("\u00ad"):
        return ""  # a soft hyphen: the word was split by the layout
    hyphen = _WORD_BEFORE_HYPHEN.search(before)
    if hyphen and after[0].islower():
        first = _FIRST_WORD.match(after)
        whole = (hyphen[1] + (first[0] if first else "")).casefold()
        compound = f"{hyphen[1]}-{first[0] if first else ''}".casefold()
        # "experi-ence" is "experience" when the document writes it so and never hyphenated.
        return "" if vocabulary[whole] and not vocabulary[compound] else "-"
    return " "


def _join(previous: Line, line: Line, joiner: str) -> Line:
    before = previous.text.rstrip()
    if joiner == "" and before.endswith("\u00ad"):
        before = before[:-1]
    elif joiner == "":
        before = before[:-1]  # the layout's hyphen
    elif joiner == "-":
        joiner = ""  # the hyphen is the word's own: keep it, no space
    after = line.text.lstrip()
    shift = len(before) + len(joiner) - (len(line.text) - len(after))
    lead = len(line.text) - len(after)
    times = previous.times + tuple((s + shift, e + shift) for s, e in line.times if s >= lead)
    joined = previous.joined
    if line.number is not None:
        joined += ((len(before) + len(joiner), line.number),)
    joined += tuple((at + shift, number) for at, number in line.joined if at >= lead)
    return Line(before + joiner + after, previous.bold, times, line.wrap, previous.number, joined,
                len(before) + len(joiner))


def _is_label_line(line: Line) -> bool:
    """A line that is only a label (its words are on the next lines): never joined on."""
    cand = line_candidate(line.text, 0, len(line.text), line.bold)
    return cand is not None and not line.text[cand.content_start :].strip() and is_name_like(cand.name)


def _starts_with_label(line: Line, before: str) -> bool:
    cand = line_candidate(line.text, 0, len(line.text), line.bold)
    if cand is None or not is_name_like(cand.name):
        return False
    if cand.style == ALONE:  # a short name-like line: a label only after a finished sentence
        return bool(_SENTENCE_END.search(before)) and is_name_like(cand.name, strict=True)
    return True
