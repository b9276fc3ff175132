"""HTML (.html/.htm) via the standard library's ``html.parser``: the visible text.

Block elements (``p``, ``div``, ``li``, ``h1``-``h6``, table rows...) are paragraphs, the
cells of a row separated by a tab; ``<br>`` is a line break inside a paragraph. Whitespace
collapses as a browser shows it (except inside ``<pre>``). ``<script>``, ``<style>``,
``<template>``, ``<noscript>``, ``<svg>``, the ``<head>`` and elements with the ``hidden``
attribute are dropped. Character references (``&amp;``, ``&#8220;``) are decoded by the
parser.

What the markup says about the transcript is handed to the speaker detector: text in
``<b>``, ``<strong>`` or ``<cite>`` at the start of a line is a possible speaker label, and
``<time>`` elements are times (a podcast transcript's ``<cite>Name:</cite> <time>0:53</time>
<p>...</p>`` gives the turn its media time, and the time is not part of the turn's words).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .base import ParsedTranscript
from .document import build_from_blocks, encoding_warnings
from .encoding import decode_text
from .layout import Block, Line


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BLOCKS = _words(
    """address article aside blockquote body caption center dd details dialog div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li
    main menu nav ol p pre section summary table tbody tfoot thead tr ul"""
)
_HIDDEN = _words("script style template noscript svg head title iframe object canvas")
_VOID = _words("area base br col embed hr img input link meta param source track wbr")
_EMPHASIS = _words("b strong cite")
_SPACES = re.compile(r"[ \t\n\r\f]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def read_html(data: bytes, filename: str) -> ParsedTranscript:
    """Parse an HTML transcript."""
    declared = _META_CHARSET.search(data[:4096])
    raw, encoding = decode_text(data, filename, declared=declared[1].decode("ascii") if declared else None)
    parser = _TextExtractor()
    parser.feed(raw)
    parser.close()
    return build_from_blocks(filename, "html", parser.blocks(), encoding=encoding,
                             warnings=encoding_warnings(encoding))


class _TextExtractor(HTMLParser):
    """Collects visible text as blocks of lines. Not a validator: tolerates any tag soup.

    The open paragraph is a list of pieces ``(text, emphasised, time element number)``.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._done: list[Block] = []
        self._current: list[tuple[str, bool, int | None]] = []
        self._hidden: list[str] = []  # stack of open elements whose content is dropped
        self._pre = 0
        self._emphasis = 0
        self._time: int | None = None
        self._times = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if self._hidden:
            if tag == self._hidden[-1] and tag not in _VOID:
                self._hidden.append(tag)  # nested same-name element inside a hidden one
            return
        if tag == "body":
            self._hidden.clear()
        if tag in _HIDDEN or any(name == "hidden" for name, _ in attrs):
            if tag not in _VOID:
                self._hidden.append(tag)
            return
        if tag in _BLOCKS:
            self._break()
        if tag == "br":
            self._current.append(("\n", False, None))
        elif tag in ("td", "th") and "".join(p[0] for p in self._current).strip():
            self._current.append(("\t", False, None))  # a table row is one paragraph, cells tab-separated
        elif tag == "pre":
            self._pre += 1
        elif tag in _EMPHASIS:
            self._emphasis += 1
        elif tag == "time":
            self._times += 1
            self._time = self._times

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag == "br" and not self._hidden:
            self._current.append(("\n", False, None))
        elif tag in _BLOCKS and not self._hidden:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            if tag == self._hidden[-1]:
                self._hidden.pop()
            elif tag in ("head", "html") and "head" in self._hidden:
                self._hidden.clear()  # an unclosed element inside <head>
            return
        if tag in _BLOCKS:
            self._break()
        if tag == "pre" and self._pre:
            self._pre -= 1
        elif tag in _EMPHASIS and self._emphasis:
            self._emphasis -= 1
        elif tag == "time":
            self._time = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        text = data.replace("\r\n", "\n") if self._pre else _SPACES.sub(" ", data)
        self._current.append((text, self._emphasis > 0, self._time))

    def _break(self) -> None:
        chars = [(ch, emphasised, time) for text, emphasised, time in self._current for ch in text]
        self._current = []
        lines: list[list[tuple[str, bool, int | None]]] = [[]]
        for char in chars:
            if char[0] == "\n":
                lines.append([])
            else:
                lines[-1].append(char)
        if self._pre:
            if lines and not lines[0]:
                lines = lines[1:]  # as browsers do after <pre>
        else:
            # Browsers drop the spaces around line breaks and at block edges.
            lines = [_strip_spaces(line) for line in lines]
            while lines and not lines[0]:
                lines.pop(0)
            while lines and not lines[-1]:
                lines.pop()
        if any("".join(c[0] for c in line).strip() for line in lines):
            self._done.append(Block([_line(line) for line in lines]))

    def blocks(self) -> list[Block]:
        """The paragraphs found, after :meth:`close`."""
        self._break()
        return self._done


def _strip_spaces(line: list[tuple[str, bool, int | None]]) -> list[tuple[str, bool, int | None]]:
    start, end = 0, len(line)
    while start < end and line[start][0] == " ":
        start += 1
    while end > start and line[end - 1][0] == " ":
        end -= 1
    return line[start:end]


def _line(chars: list[tuple[str, bool, int | None]]) -> Line:
    """A line with its leading emphasised run (a possible label) and its <time> spans."""
    text = "".join(c[0] for c in chars)
    bold = None
    for k, (ch, emphasised, _time) in enumerate(chars):
        if not emphasised and not ch.isspace():
            break
        if emphasised and not ch.isspace():
            bold = k + 1
    times: list[tuple[int, int]] = []
    k = 0
    while k < len(chars):
        number = chars[k][2]
        if number is None:
            k += 1
            continue
        end = k
        while end < len(chars) and chars[end][2] == number:
            end += 1
        segment = text[k:end]
        lead = len(segment) - len(segment.lstrip())
        if segment.strip():
            times.append((k + lead, k + len(segment.rstrip())))
        k = end
    return Line(text, bold, tuple(times), wrap=False)
