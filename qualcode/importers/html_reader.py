"""HTML (.html/.htm) via the standard library's ``html.parser``: the visible text.

Block elements (``p``, ``div``, ``li``, ``h1``-``h6``, table rows...) are paragraphs, the
cells of a row separated by a tab; ``<br>`` is a line break inside a paragraph. Whitespace collapses as a browser shows it
(except inside ``<pre>``). ``<script>``, ``<style>``, ``<template>``, ``<noscript>``,
``<svg>``, the ``<head>`` and elements with the ``hidden`` attribute are dropped.
Character references (``&amp;``, ``&#8220;``) are decoded by the parser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .base import ParsedTranscript
from .document import Paragraph, build_from_paragraphs, encoding_warnings
from .encoding import decode_text


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BLOCKS = _words(
    """address article aside blockquote body caption center dd details dialog div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li
    main menu nav ol p pre section summary table tbody tfoot thead tr ul"""
)
_HIDDEN = _words("script style template noscript svg head title iframe object canvas")
_VOID = _words("area base br col embed hr img input link meta param source track wbr")
_SPACES = re.compile(r"[ \t\n\r\f]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def read_html(data: bytes, filename: str) -> ParsedTranscript:
    """Parse an HTML transcript."""
    declared = _META_CHARSET.search(data[:4096])
    raw, encoding = decode_text(data, filename, declared=declared[1].decode("ascii") if declared else None)
    parser = _TextExtractor()
    parser.feed(raw)
    parser.close()
    paragraphs = [Paragraph(text) for text in parser.paragraphs()]
    return build_from_paragraphs(
        filename, "html", paragraphs, encoding=encoding, warnings=encoding_warnings(encoding)
    )


class _TextExtractor(HTMLParser):
    """Collects visible text as paragraphs. Not a validator: tolerates any tag soup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._done: list[str] = []
        self._current: list[str] = []  # pieces of the open paragraph ("\n" for <br>)
        self._hidden: list[str] = []  # stack of open elements whose content is dropped
        self._pre = 0

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
            self._current.append("\n")
        elif tag in ("td", "th") and "".join(self._current).strip():
            self._current.append("\t")  # a table row is one paragraph, cells tab-separated
        elif tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag == "br" and not self._hidden:
            self._current.append("\n")
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

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._pre:
            self._current.append(data.replace("\r\n", "\n"))
        else:
            self._current.append(_SPACES.sub(" ", data))

    def _break(self) -> None:
        text = "".join(self._current)
        if self._pre:
            text = text.removeprefix("\n")  # as browsers do after <pre>
        else:
            # Browsers drop the spaces around line breaks and at block edges.
            text = "\n".join(line.strip(" ") for line in text.split("\n")).strip("\n")
        if text.strip():
            self._done.append(text)
        self._current = []

    def paragraphs(self) -> list[str]:
        """The paragraphs found, after :meth:`close`."""
        self._break()
        return self._done
