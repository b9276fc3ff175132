"""The transcript selector: a transcript with overlapping coloured codings that reports selections.

An inline ``st.components.v2`` component (no build step; the JavaScript and CSS are the files in
``qualcode/ui/static/``). Python does the data preparation and, above all, the offset
conversion: the browser counts UTF-16 units while qualcode counts code points (ARCHITECTURE.md,
the offset rule), so every offset is converted here, in both directions, and the browser never
sees a code-point offset.

The page sends the document (text and turns) and the codings as separate fields: the browser
rebuilds the text only when the document changes, and when only the codings change it re-splits
only the turns whose codings changed. Code suggestions (the workspace's "Suggest" toggle) travel
the same way, drawn dashed; the browser reports "accept" and "reject" for the one in focus.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path
from typing import Any

import streamlit as st

from qualcode.guards import safe_colour

_STATIC = Path(__file__).resolve().parent / "static"


def page_component(name: str, js: tuple[str, ...], css: str):
    """An inline v2 component from files in ``ui/static`` (the JavaScript files joined into one
    ES module), mounted in the page's DOM: isolate_styles=False, because selections inside a
    shadow root only work in Chromium; its CSS classes carry a prefix instead."""
    return st.components.v2.component(
        name, js="\n".join((_STATIC / f).read_text(encoding="utf-8") for f in js),
        css=(_STATIC / css).read_text(encoding="utf-8"), isolate_styles=False)


def keep_events() -> None:
    """The on_event_change callback a v2 component needs to declare its state; pages read the
    returned value (or the state) instead."""


# One ES module from two files: the selector, then the resize handles (plain functions it calls).
_COMPONENT = page_component("qualcode_transcript_selector", ("span_component.js", "span_resize.js"),
                            "span_component.css")

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
FALLBACK_COLOUR = "#888888"
MAX_LANES = 4  # must match MAX_LANES in span_component.js


class OffsetMap:
    """Converts offsets into one text between Python code points and JavaScript UTF-16 units.

    Only characters outside the Basic Multilingual Plane (emoji, rare CJK) differ: each is one
    code point but two UTF-16 units. The map keeps their positions, so a conversion is a binary
    search, cheap enough for thousands of codings on every rerun.
    """

    def __init__(self, text: str):
        self.length = len(text)
        self._astral_cp = [m.start() for m in _ASTRAL.finditer(text)]
        # UTF-16 position of the k-th astral character: its code-point position plus the k
        # extra units of the astral characters before it.
        self._astral_u16 = [cp + k for k, cp in enumerate(self._astral_cp)]
        self.utf16_length = self.length + len(self._astral_cp)

    def to_utf16(self, cp: int) -> int:
        """UTF-16 offset of code-point offset ``cp`` (clamped to the text)."""
        cp = min(max(cp, 0), self.length)
        return cp + bisect_left(self._astral_cp, cp) if self._astral_cp else cp

    def to_code_point(self, u16: int) -> int:
        """Code-point offset of UTF-16 offset ``u16``; an offset inside a surrogate pair snaps
        back to the start of its character."""
        u16 = min(max(u16, 0), self.utf16_length)
        return u16 - bisect_left(self._astral_u16, u16)


def clock(seconds: float | None) -> str | None:
    """A turn's media time as HH:MM:SS, or None when it has none."""
    if seconds is None:
        return None
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def assign_lanes(codings: list[dict]) -> dict[int, int]:
    """Give each coding the lowest underline lane not used by a coding overlapping it.

    Greedy colouring of intervals in order of start (longest first on ties) is optimal: the
    number of lanes equals the largest number of codings covering one position, and a coding
    keeps its lane along its whole length, so its underline reads as one line.
    """
    lanes: dict[int, int] = {}
    lane_ends: list[int] = []  # end offset of the coding currently holding each lane
    for c in sorted(codings, key=lambda c: (c["start"], -c["end"], c["id"])):
        for lane, end in enumerate(lane_ends):
            if end <= c["start"]:
                lane_ends[lane] = c["end"]
                break
        else:
            lane = len(lane_ends)
            lane_ends.append(c["end"])
        lanes[c["id"]] = lane
    return lanes


@lru_cache(maxsize=8)
def _document(text: str, turns: tuple[tuple[int, int, str | None, float | None, float | None], ...],
              sentences: tuple[tuple[int, int], ...] = ()
              ) -> tuple[OffsetMap, dict[str, Any], list[list[float | None]]]:
    offsets = OffsetMap(text)
    n = len(text)
    rows = []
    times: list[list[float | None]] = []  # [media start, media end] per drawn turn (seconds)
    for start, end, speaker, media, media_end in sorted(turns, key=lambda t: (t[0], t[1])):
        start, end = max(0, start), min(n, end)
        if start >= end or (rows and start < rows[-1][4]):  # empty, or overlaps the previous turn
            continue
        rows.append([offsets.to_utf16(start), offsets.to_utf16(end), speaker, clock(media), end])
        times.append([media, media_end])
    if not turns and n:
        rows.append([0, offsets.utf16_length, None, None, n])  # no turns: the text is one block
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12)
    digest.update(repr([r[:4] for r in rows]).encode("utf-8", "surrogatepass"))
    sent = []
    for start, end in sentences:  # flat [start, end, start, end, ...] in UTF-16 units
        if 0 <= start < end <= n and (not sent or start >= offsets.to_code_point(sent[-1])):
            sent += [offsets.to_utf16(start), offsets.to_utf16(end)]
    payload = {"id": digest.hexdigest(), "text": text, "turns": [r[:4] for r in rows], "sentences": sent}
    return offsets, payload, times


def _turn_key(turns: list[dict]) -> tuple:
    return tuple((int(t["start"]), int(t["end"]), t.get("speaker"), t.get("media_start_seconds"),
                  t.get("media_end_seconds")) for t in turns)


def document_payload(text: str, turns: list[dict], sentences: list[tuple[int, int]] | None = None
                     ) -> tuple[OffsetMap, dict[str, Any]]:
    """The document as the browser receives it: ``{"id", "text", "turns"}`` with turns as
    ``[start, end, speaker, "HH:MM:SS" | None]`` in UTF-16 units (sorted; empty or overlapping
    turns dropped; no turns means one block without a header), plus the offset map.
    Cached, so reruns with the same document cost nothing. ``sentences`` (code points, in
    order) become ``"sentences"``: a flat ``[start, end, ...]`` list in UTF-16 units, for the
    keyboard cursor; they do not change the document id."""
    offsets, payload, _times = _document(text, _turn_key(turns),
                                         tuple((int(a), int(b)) for a, b in sentences or ()))
    return offsets, payload


def codings_payload(offsets: OffsetMap, codings: list[dict]) -> dict[str, Any]:
    """The codings as the browser receives them, compact because they change on every action:
    ``{"codes": [[path, colour]], "coders": [name], "items": [[id, start, end, lane, code index,
    coder index, memo]]}`` with offsets in UTF-16 units. Codings are clipped to the text; empty
    ones are dropped; a colour that is not ``#rrggbb`` becomes grey."""
    kept = []
    for c in codings:
        start, end = max(0, int(c["start"])), min(offsets.length, int(c["end"]))
        if start < end:
            kept.append({**c, "start": start, "end": end})
    lanes = assign_lanes(kept)
    codes: dict[tuple[str, str], int] = {}
    coders: dict[str, int] = {}
    items = []
    for c in sorted(kept, key=lambda c: (c["start"], c["end"], c["id"])):
        colour = safe_colour(c.get("colour"), FALLBACK_COLOUR)
        code = codes.setdefault((str(c["code"]), colour), len(codes))
        coder = coders.setdefault(str(c.get("coder") or ""), len(coders))
        items.append([int(c["id"]), offsets.to_utf16(c["start"]), offsets.to_utf16(c["end"]),
                      lanes[c["id"]], code, coder, c.get("memo") or None])
    return {"codes": [list(k) for k in codes], "coders": list(coders), "items": items}


def suggestions_payload(offsets: OffsetMap, suggestions: list[dict]) -> dict[str, Any]:
    """The suggestions as the browser receives them: ``{"codes": [[path, colour]], "items":
    [[key, start, end, code index, score]]}`` with offsets in UTF-16 units, by start. ``key`` is
    the page's name for the suggestion, sent back with "accept" or "reject"."""
    codes: dict[tuple[str, str], int] = {}
    items = []
    for g in sorted(suggestions, key=lambda g: (g["start"], -g["score"], g["key"])):
        start, end = max(0, int(g["start"])), min(offsets.length, int(g["end"]))
        if start >= end:
            continue
        colour = safe_colour(g.get("colour"), FALLBACK_COLOUR)
        code = codes.setdefault((str(g["code"]), colour), len(codes))
        items.append([str(g["key"]), offsets.to_utf16(start), offsets.to_utf16(end), code,
                      round(float(g["score"]), 3)])
    return {"codes": [list(k) for k in codes], "items": items}


def selection_result(event: Any, text: str, offsets: OffsetMap, doc_id: str,
                     turns: list[dict] | None = None) -> dict | None:
    """Turn the browser's latest event into the value ``transcript_selector`` returns.

    A selection ``{"kind": "select", "start", "end"}`` in UTF-16 units becomes code points with
    surrounding whitespace trimmed and the Python slice as its text; a click becomes
    ``{"clicked_coding": id}``; a key on a suggestion ``{"suggestion": key, "action": "accept" |
    "reject"}``; a dragged handle ``{"resize": id, "start", "end", "was": (start, end)}`` (code
    points; ``was`` is the extent the browser showed, so a coding changed meanwhile is not
    resized blindly; ends outside every turn of ``turns`` — the hidden speaker labels — go
    to the nearest turn's edge). Events about another document, whitespace-only selections and anything
    malformed give None.
    """
    if not isinstance(event, dict) or event.get("doc") != doc_id:
        return None
    nonce = event.get("nonce")
    if not isinstance(nonce, int):
        return None
    if event.get("kind") == "click" and isinstance(event.get("id"), int):
        return {"clicked_coding": event["id"], "nonce": nonce}
    if event.get("kind") in ("accept", "reject") and isinstance(event.get("key"), str):
        return {"suggestion": event["key"], "action": event["kind"], "nonce": nonce}
    if event.get("kind") == "resize":
        return _resize_result(event, text, offsets, nonce, turns or [])
    if event.get("kind") not in ("select", "apply"):
        return None
    if event.get("kind") == "apply" and not isinstance(event.get("code"), str):
        return None
    try:
        start = offsets.to_code_point(int(event["start"]))
        end = offsets.to_code_point(int(event["end"]))
    except (KeyError, TypeError, ValueError):
        return None
    start, end = _trimmed(text, start, end)
    if start >= end:
        return None
    found = {"start": start, "end": end, "text": text[start:end], "nonce": nonce}
    if event.get("kind") == "apply":
        found["apply"] = event["code"]
        found["pending"] = event.get("pending")
    return found


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``-``end`` without the whitespace at either end (empty when it was all space)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _into_turns(turns: list[dict], start: int, end: int) -> tuple[int, int]:
    """``start`` outside every turn moves to the next turn's start, ``end`` to the previous
    turn's end (text between turns is a speaker label the transcript does not show)."""
    spans = sorted((int(t["start"]), int(t["end"])) for t in turns)
    if not spans:
        return start, end
    if not any(a <= start < b for a, b in spans):
        start = next((a for a, _ in spans if a >= start), spans[-1][0])
    if not any(a < end <= b for a, b in spans):
        end = next((b for _, b in reversed(spans) if b <= end), spans[0][1])
    return start, end


def _resize_result(event: dict, text: str, offsets: OffsetMap, nonce: int,
                   turns: list[dict]) -> dict | None:
    try:
        cid = event["id"]
        start, end = (offsets.to_code_point(int(event[k])) for k in ("start", "end"))
        was = tuple(offsets.to_code_point(int(x)) for x in event["was"])
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(cid, int) or isinstance(cid, bool) or len(was) != 2:
        return None
    start, end = _trimmed(text, *_into_turns(turns, start, end))
    if start >= end:
        return None
    return {"resize": cid, "start": start, "end": end, "was": was, "nonce": nonce}


def simulated_event(text: str, turns: list[dict], *, start: int | None = None, end: int | None = None,
                    clicked_coding: int | None = None, suggestion: str | None = None,
                    action: str = "accept", apply: str | None = None,
                    resize: int | None = None, was: tuple[int, int] | None = None,
                    nonce: int = 1) -> dict:
    """The component state a browser would send for a selection (code points ``start``/``end``),
    a click on a coding, a key on a suggestion (``suggestion`` key, ``action``), or a dragged
    handle (coding ``resize`` to ``start``/``end``, shown as ``was``): for AppTest,
    which cannot run the JavaScript, as ``at.session_state[key] = simulated_event(...)`` before
    ``at.run()``."""
    offsets, doc = document_payload(text, turns)
    if suggestion is not None:
        event = {"kind": action, "key": suggestion}
    elif clicked_coding is not None:
        event = {"kind": "click", "id": int(clicked_coding)}
    elif resize is not None:
        event = {"kind": "resize", "id": int(resize), "start": offsets.to_utf16(start),
                 "end": offsets.to_utf16(end), "was": [offsets.to_utf16(x) for x in was]}
    else:
        event = {"kind": "select", "start": offsets.to_utf16(start), "end": offsets.to_utf16(end)}
        if apply is not None:
            event.update(kind="apply", code=apply, pending=nonce)
    return {"event": {**event, "doc": doc["id"], "nonce": nonce}}


def _browser_has(key: str, doc_id: str) -> bool:
    """Whether the component's last event came from a browser holding this document: then the
    text (the large part) need not be sent again. If the browser lost it (a remounted
    element), the script asks for it with a "resync" event and gets it on the next run."""
    try:
        state = st.session_state[key]
    except (KeyError, AttributeError):
        return False
    event = state.get("event") if isinstance(state, dict) else None
    return isinstance(event, dict) and event.get("doc") == doc_id


def pending_event(key: str, text: str, turns: list[dict]) -> dict | None:
    """The component's latest event as :func:`transcript_selector` would return it, read before
    the component is drawn: a page that acts on it (accepting a suggestion) then draws the
    result in the same run."""
    try:
        state = st.session_state[key]
    except (KeyError, AttributeError):
        return None
    event = state.get("event") if isinstance(state, dict) else None
    offsets, doc = document_payload(text, turns)
    return selection_result(event, text, offsets, doc["id"], turns)


def transcript_selector(*, key: str, text: str, turns: list[dict], codings: list[dict],
                        height: int = 700, focus: int | None = None,
                        suggestions: list[dict] | None = None, stripes: bool = False,
                        stripe_coder: bool = False, sentences: list[tuple[int, int]] | None = None,
                        codes: list[tuple[str, str]] | None = None, player: bool = False,
                        me: str | None = None, ack: int | None = None) -> dict | None:
    """Render the transcript and return the latest selection event or None.

    turns: [{"start": int, "end": int, "speaker": str|None, "media_start_seconds": float|None}]
      (code-point offsets into text; the speaker label and timestamp are shown above each turn's
      text; text outside every turn, such as speaker labels, is not shown);
    codings: [{"id": int, "start": int, "end": int, "code": str (path), "colour": "#rrggbb",
               "coder": str, "memo": str|None}]  (code-point offsets);
    focus: a code-point offset to scroll into view (used by code retrieval links); the view
      scrolls when the value changes;
    suggestions: [{"key": str, "start": int, "end": int, "code": str (path), "colour": "#rrggbb",
                   "score": float}] (code points), drawn dashed; none when None or empty;
    stripes: draw coding stripes in a margin (one bar per coding, labelled with the code name,
      and the coder too when ``stripe_coder``; a click on one selects that coding);
    sentences: [(start, end)] code points, for the keyboard cursor (↑/↓, Shift extends), or a
      function returning them, called only when the browser does not hold the document yet
      (the sentences travel with its text);
    codes: [(path, colour)] for type-ahead in the transcript (letters pick, Enter applies) and
      for the highlight drawn at once, marked pending, when a code is applied here or from the
      page's code tree (``code_panel``), until the server's codings confirm it (or it is rolled
      back);
    player: the page shows the document's recording (``st.audio``/``st.video``): each turn's
      time becomes a button that seeks the player there and plays, and the turn whose
      [media_start, media_end) holds the player's current time is marked (``qcs-playing``), all
      in the browser (the component finds the page's player element; no server round trip).
    me: the coder whose codings may be resized: their selected coding gets a handle on each
      end (drag, snapped to words, Alt for characters; or ←/→ and Enter), and the drop returns
      {"resize": id, "start", "end", "was": (start, end), "nonce"}.
    ack: the nonce of the last event the page acted on, so the browser knows a resize was
      answered (stored or refused) and shows the stored extent again.
    An Enter in the transcript returns {"apply": path, "start", "end", "text", "pending", "nonce"}.
    Returns {"start": int, "end": int, "text": str, "nonce": int} for a text selection
      (code points into `text`, whitespace trimmed, text == text[start:end] in Python), or
      {"clicked_coding": id, "nonce": int} when a highlight is clicked, or
      {"suggestion": key, "action": "accept" | "reject", "nonce": int} for a key on a
      suggestion, or None.
    The latest event is returned on every rerun until a newer one arrives: compare its nonce
    with the last one you acted on.
    """
    sent = None
    if not _browser_has(key, _document(text, _turn_key(turns))[1]["id"]):
        sent = sentences() if callable(sentences) else sentences
    offsets, doc, times = _document(text, _turn_key(turns),
                                    tuple((int(a), int(b)) for a, b in sent or ()))
    data = {
        "media": {"times": times} if player else None,
        "codes": [list(c) for c in codes or []],
        "doc": doc if not _browser_has(key, doc["id"]) else {"id": doc["id"], "text": None},
        "codings": codings_payload(offsets, codings),
        "suggestions": suggestions_payload(offsets, suggestions or []),
        "height": int(height),
        "stripes": bool(stripes),
        "stripe_coder": bool(stripe_coder),
        "focus": None if focus is None else offsets.to_utf16(int(focus)),
        "me": me,
        "ack": ack if isinstance(ack, int) else None,
    }
    result = _COMPONENT(key=key, data=data, default={"event": None}, on_event_change=keep_events)
    return selection_result(result.get("event"), text, offsets, doc["id"], turns)
