"""From the offsets another tool wrote to canonical code points (the offset rule).

REFI-QDA says selections count Unicode code points; NVivo for Windows counts UTF-16 code
units, and some tools count a CRLF line break as one position, others as two. Which reading a
file uses is decided per source by scoring every candidate reading against the selections
themselves: the quoted text in ``PlainTextSelection/@name`` where a tool writes it, else
whether the passage starts and ends on word boundaries (a person selects whole words). A
transcript's sync points, single positions, score as boundaries too.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

from qualcode.importers import canonicalize

#: Candidate readings in order of preference on a tie (the standard's own reading first).
READINGS = (
    ("code points", "cp", 1),
    ("code points, CRLF as 2", "cp", 2),
    ("UTF-16 units", "utf16", 1),
    ("UTF-16 units, CRLF as 2", "utf16", 2),
)
_SEGMENT = re.compile(r"[\x00-\x7f][^\x00-\x7f]*|[^\x00-\x7f]+")


class CanonicalMap:
    """The canonical form of a decoded text and position conversion into it.

    ``raw`` is the decoded file text with its BOM removed but line endings untouched.
    """

    def __init__(self, raw: str):
        raw = raw.removeprefix("\ufeff")
        self.raw = raw
        # The CR of every CRLF (and nothing else) disappears when line endings become LF.
        self._removed = [m.start() for m in re.finditer("\r\n", raw)]
        self.lf = raw.replace("\r\n", "\n").replace("\r", "\n")
        self.text = canonicalize(raw)
        self._nfc: list[tuple[int, int, int, int]] = []  # (lf pos, canon pos, lf len, canon len)
        self.inexact = False
        if self.text != self.lf:
            pos = cpos = 0
            for m in _SEGMENT.finditer(self.lf):
                seg = m.group()
                norm = unicodedata.normalize("NFC", seg)
                if norm != seg:
                    self._nfc.append((pos, cpos, len(seg), len(norm)))
                pos += len(seg)
                cpos += len(norm)
        self._nfc_keys = [seg[0] for seg in self._nfc]
        self._astral = {1: _astral_starts(self.lf), 2: _astral_starts(raw)}
        self.has_crlf = bool(self._removed)
        self.has_astral = bool(self._astral[1])

    def _lf_to_canon(self, i: int) -> int:
        if not self._nfc:
            return i
        k = bisect.bisect_right(self._nfc_keys, i) - 1
        if k < 0:
            return i
        pos, cpos, length, clen = self._nfc[k]
        if i >= pos + length:
            return cpos + clen + (i - pos - length)
        if i > pos:  # inside a segment NFC changed: the nearest position, reported as inexact
            self.inexact = True
            return cpos + min(i - pos, clen)
        return cpos

    def convert(self, position: int, unit: str, crlf: int) -> int | None:
        """A position in one reading → a canonical code-point offset (None if impossible)."""
        if position < 0:
            return None
        base_len = len(self.raw) if crlf == 2 else len(self.lf)
        if unit == "utf16":
            starts = self._astral[crlf]
            j = bisect.bisect_left(starts, position)
            if j > 0 and starts[j - 1] + 1 == position:
                return None  # between the two halves of a surrogate pair
            position -= j
        if position > base_len:
            return None
        if crlf == 2:
            position -= bisect.bisect_left(self._removed, position)
        return self._lf_to_canon(position)


def _astral_starts(text: str) -> list[int]:
    """UTF-16 offsets where each character outside the BMP (two units) starts."""
    out = []
    extra = 0
    for i, ch in enumerate(text):
        if ord(ch) > 0xFFFF:
            out.append(i + extra)
            extra += 1
    return out


@dataclass
class RawSelection:
    """A selection as written in the file, before conversion."""

    start: int
    end: int
    name: str | None


def _on_boundary(text: str, s: int, e: int) -> bool:
    starts = s == 0 or not (text[s - 1].isalnum() and text[s].isalnum())
    ends = e == len(text) or not (text[e - 1].isalnum() and text[e].isalnum())
    return starts and ends


def _usable_name(name: str | None) -> str | None:
    """The selection's name when it looks like quoted text (not "line:6" or empty)."""
    if not name or not name.strip() or re.fullmatch(r"line:\d+", name.strip()):
        return None
    return canonicalize(name)


def _matches(passage: str, name: str) -> bool | None:
    """True/False when ``name`` can judge the passage; None when it cannot."""
    squash = lambda s: " ".join(s.split())
    if passage == name or squash(passage) == squash(name):
        return True
    for ellipsis in ("…", "..."):
        if name.endswith(ellipsis) and len(name) > len(ellipsis) + 3:
            return squash(passage).startswith(squash(name[: -len(ellipsis)]))
    if len(squash(name)) < 3:
        return None
    return False


def choose_reading(
    cmap: CanonicalMap, selections: list[RawSelection], *, prefer: tuple[str, ...] | None = None,
    points: list[int] | tuple[int, ...] = (),
) -> tuple[str, str, int, dict]:
    """Pick the reading that fits the selections best: (label, unit, crlf, scores by label).

    ``prefer`` lists reading labels in the order that wins a tie (default: :data:`READINGS`
    order, the standard's own reading first); a tool that writes offsets its own way puts
    its usual reading first. ``points`` are single positions written in the same reading (a
    transcript's ``SyncPoint/@position``s): each scores where it falls between words, as a
    passage's ends do (a sync point marks where something is said, never a word's middle).
    """
    readings = READINGS
    if prefer:
        rank = {label: k for k, label in enumerate(prefer)}
        readings = tuple(sorted(READINGS, key=lambda r: rank.get(r[0], len(rank))))
    scores: dict[str, int] = {}
    text = cmap.text
    for label, unit, crlf in readings:
        if crlf == 2 and not cmap.has_crlf or unit == "utf16" and not cmap.has_astral:
            continue  # identical to a reading already scored
        score = 0
        for sel in selections:
            s, e = cmap.convert(sel.start, unit, crlf), cmap.convert(sel.end, unit, crlf)
            if s is None or e is None or not (0 <= s < e <= len(text)):
                continue
            name = _usable_name(sel.name)
            verdict = _matches(text[s:e], name) if name else None
            if verdict is None:
                score += 1 if _on_boundary(text, s, e) else 0
            elif verdict:
                score += 1
        for point in points:
            p = cmap.convert(point, unit, crlf)
            if p is not None and 0 <= p <= len(text) and (
                    p in (0, len(text)) or not (text[p - 1].isalnum() and text[p].isalnum())):
                score += 1
        scores[label] = score
    best = max(scores.values()) if scores else 0
    label, unit, crlf = next(r for r in readings if r[0] in scores and scores[r[0]] == best)
    return label, unit, crlf, scores
