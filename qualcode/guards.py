"""One guard per concern, for every path that shows, writes or runs something a user typed.

* :func:`spreadsheet_cell`: every CSV/XLSX-like writer (excerpts, statistics, agreement,
  codebook CSV, reports) passes each cell through it, so a code named ``=1+2`` or
  ``=HYPERLINK(...)`` is text in Excel/LibreOffice, never a live formula.
* :func:`md_text`: user text (code and coder names, quotes, memos, messages) shown through
  Streamlit's Markdown (``st.markdown``, ``st.caption``, alerts) is escaped here, so
  ``![a](http://host/x)`` is shown, never fetched.
* :func:`plotly_text`: user text in a Plotly label, title or hover (Plotly renders a subset of
  HTML there: ``<b>``, ``<br>``, ``<a href>``) is shown as the characters typed.
* :func:`safe_colour`: a colour that can go into a ``style`` attribute.
* :func:`like_contains`: user text inside a SQL ``LIKE`` has its wildcards escaped.
* :func:`user_pattern`: a regular expression a user typed (search, autocoding, filters) runs
  with a time limit, so one pathological pattern cannot hold a shared server.

A new writer or renderer goes through these; ``tests/test_attacks.py`` sweeps them with the
same hostile names.
"""

from __future__ import annotations

import re
import time

# Cells a spreadsheet would evaluate: = + - @ start formulas; a leading tab or CR is how
# some injections hide the sign (OWASP's CSV injection advice).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

#: Longest a user pattern may run on one call before it is refused (seconds).
PATTERN_SECONDS = 2.0
#: Longest user pattern accepted (characters).
PATTERN_MAX_CHARS = 500


def spreadsheet_cell(value):
    """``value`` with a leading apostrophe when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def md_text(text) -> str:
    """``text`` with every Markdown character escaped, for st.markdown/caption/success/error.

    Transcript words, quotes, memos and code names are the user's, not markup: "$500 ... $300"
    must not become LaTeX, nor "![](http://host/x)" an image loaded from elsewhere, nor
    ``https://host`` a link (the colon is escaped so autolinks do not form).
    """
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def plotly_text(text) -> str:
    """``text`` for a Plotly label: ``<``, ``>`` and ``&`` as entities, so no tag is rendered."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def is_colour(value) -> bool:
    """Whether ``value`` is a ``#rrggbb`` colour (the only form qualcode stores or styles with)."""
    return isinstance(value, str) and _HEX.match(value) is not None


def safe_colour(colour: str | None, default: str = "#999999") -> str:
    """A colour that is safe to put in a style attribute: ``#rrggbb`` or the default."""
    return colour if is_colour(colour) else default


#: The escape character every LIKE built from user text declares (``like(..., escape=LIKE_ESCAPE)``).
LIKE_ESCAPE = "\\"


def like_contains(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its ``%``, ``_`` and escape characters literal.

    Always used with ``escape=LIKE_ESCAPE`` and as a bound parameter (``column.like(...)``),
    never formatted into SQL; ``tests/test_attacks.py`` checks every ``like(`` in qualcode.
    """
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


class PatternError(ValueError):
    """A user pattern that is invalid, too long, or too costly to run; the message says why."""


class UserPattern:
    """A compiled user pattern; all its searches together run under :data:`PATTERN_SECONDS`.

    The budget is for the whole job (every document of a search), counted from the first
    search, so a pattern that is slow on each of 1,000 documents is stopped as surely as one
    that backtracks forever on a single document.
    """

    def __init__(self, source: str, compiled, seconds: float):
        self.source = source
        self.compiled = compiled
        self.seconds = seconds
        self._deadline: float | None = None

    def _remaining(self) -> float:
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self.seconds
        left = self._deadline - now
        if left <= 0:
            raise self._too_slow()
        return left

    def _too_slow(self) -> PatternError:
        return PatternError(
            f"the pattern {self.source!r} took longer than {self.seconds:g} s and was stopped; "
            "simplify it (avoid nested repeats such as (\\w+\\s?)+) or search fewer documents")

    def finditer(self, text: str) -> list:
        """Every match in ``text``; raises :class:`PatternError` when the budget runs out."""
        try:
            # The regex package checks its timeout inside the matcher, so a catastrophic
            # backtrack stops; materialising the list keeps the whole scan under the limit.
            return list(self.compiled.finditer(text, timeout=self._remaining()))
        except TimeoutError as exc:
            raise self._too_slow() from exc

    def search(self, text: str):
        """The first match or None, under the same budget."""
        try:
            return self.compiled.search(text, timeout=self._remaining())
        except TimeoutError as exc:
            raise self._too_slow() from exc


def user_pattern(pattern: str, *, regex: bool, ignore_case: bool = True,
                 whole_word: bool = False, seconds: float | None = None) -> UserPattern:
    """Compile what a user typed: a regular expression, or literal words when ``regex`` is False.

    Every user pattern in qualcode is compiled here (the ``regex`` package, which supports a
    matching time limit; Python's ``re`` has none), so the limit cannot be forgotten by a new path.
    """
    import regex as _regex

    seconds = PATTERN_SECONDS if seconds is None else seconds
    if not isinstance(pattern, str) or not pattern.strip():
        raise PatternError("the search pattern is empty; type a word or a pattern")
    if len(pattern) > PATTERN_MAX_CHARS:
        raise PatternError(f"the pattern is {len(pattern):,} characters long; the limit is "
                           f"{PATTERN_MAX_CHARS}")
    body = pattern if regex else _regex.escape(pattern)
    if whole_word:
        body = rf"\b(?:{body})\b"
    flags = _regex.V0 | (_regex.IGNORECASE if ignore_case else 0)
    try:
        compiled = _regex.compile(body, flags)
    except _regex.error as exc:
        raise PatternError(f"the pattern {pattern!r} is not a valid regular expression: {exc}") from exc
    return UserPattern(pattern, compiled, seconds)
