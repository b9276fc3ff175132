"""A tiny Streamlit app around the transcript selector, for the browser test and the benchmark.

    streamlit run tests/apps/span_app.py                        # the test transcript
    SPAN_APP_WORDS=30000 SPAN_APP_CODINGS=2000 streamlit run tests/apps/span_app.py   # bench data

Every value the component returns is shown on the page (container ``result``) and, when
SPAN_APP_OUT names a file, appended to it as one JSON line. The "Code selection" button adds a
coding for the current selection to an in-memory list (as the coding page will, minus the
database) and the rerun draws it.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qualcode.ui.span_component import transcript_selector

# The test transcript: non-ASCII letters, typographic quotes, an emoji, markup, three turns.
TEST_TURNS = [
    ("Interviewer", 0.0, "¿Qué pasó después? Tell me about “the move”."),
    ("P07", 75.5, ("Honestly, I was nervous 😅 but the señora next door helped.\n"
                   "<script>window.__qcPwned = 1; alert(1)</script>\n"
                   "Café every morning, ñandú stories.")),
    ("Interviewer", 3723.0, "And now? Does it feel like home?"),
]
CODES = [(f"Theme {i // 6 + 1}/Code {i + 1}", c) for i, c in enumerate(
    ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c",
     "#008080", "#9a6324", "#800000", "#808000", "#000075", "#e6beff", "#aaffc3", "#ffd8b1",
     "#fabebe", "#469990", "#ffe119", "#a9a9a9", "#2f4f4f", "#7f0000", "#006400", "#00008b",
     "#ff8c00", "#9400d3", "#00ced1", "#dc143c", "#228b22", "#1e90ff"])]
_VOCABULARY = ("so I think the work changed a lot when we moved to the new site and people were "
         "worried about shifts pay training care families patients managers time home road "
         "café señora niño über naïve “quoted” — 😅 really honestly maybe")
WORDS = _VOCABULARY.split()


def build_turns(parts: list[tuple[str | None, float | None, str]]) -> tuple[str, list[dict]]:
    """Canonical text ``Speaker: words`` paragraphs and turns that start after the label."""
    text, turns = "", []
    for speaker, seconds, body in parts:
        if text:
            text += "\n\n"
        text += f"{speaker}: " if speaker else ""
        turns.append({"start": len(text), "end": len(text) + len(body), "speaker": speaker,
                      "media_start_seconds": seconds})
        text += body
    return text, turns


def find(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


def test_document() -> tuple[str, list[dict], list[dict]]:
    text, turns = build_turns(TEST_TURNS)
    spans = [
        (1, "nervous 😅", "Emotion/Anxiety", "#e6194b", "ana", "first-week nerves"),
        (2, "the señora next door helped", "Support/Neighbours", "#3cb44b", "ben", None),
        (3, "I was nervous 😅 but the señora", "Place/Home", "#4363d8", "ana", None),
        (4, "“the move”", "Place/Moving", "#f58231", "ben", "the <b>move</b> itself"),
        (5, "ñandú stories.\n\nInterviewer: And now?", "Time/Now", "#911eb4", "cai", None),
    ]
    codings = []
    for cid, phrase, code, colour, coder, memo in spans:
        s, e = find(text, phrase)
        codings.append({"id": cid, "start": s, "end": e, "code": code, "colour": colour,
                        "coder": coder, "memo": memo})
    return text, turns, codings


@st.cache_data(show_spinner=False)
def bench_document(words: int, n_codings: int, coders: int, seed: int):
    """A generated interview: ~60-word turns alternating two speakers, random codings."""
    rng = random.Random(seed)
    parts, said, t = [], 0, 0.0
    while said < words:
        n = min(rng.randint(20, 100), words - said)
        body = " ".join(rng.choice(WORDS) for _ in range(n)) + "."
        parts.append(("Interviewer" if len(parts) % 2 == 0 else "P07", t, body))
        said += n
        t += n / 2.5
    text, turns = build_turns(parts)
    codings = []
    for cid in range(1, n_codings + 1):
        turn = turns[rng.randrange(len(turns))]
        span = turn["end"] - turn["start"]
        length = min(span, rng.randint(15, 250))
        start = turn["start"] + rng.randint(0, span - length)
        code, colour = CODES[rng.randrange(len(CODES))]
        codings.append({"id": cid, "start": start, "end": start + length, "code": code,
                        "colour": colour, "coder": f"coder{rng.randrange(coders) + 1}",
                        "memo": "a memo" if rng.random() < 0.1 else None})
    return text, turns, codings


def code_selection() -> None:
    """Add a coding for the current selection (what the coding page does, in memory)."""
    event = st.session_state.get("last_event")
    if not event or "start" not in event:
        return
    codings = st.session_state.codings
    code, colour = CODES[len(codings) % len(CODES)]
    codings.append({"id": max((c["id"] for c in codings), default=0) + 1, "start": event["start"],
                    "end": event["end"], "code": code, "colour": colour, "coder": "tester",
                    "memo": None})


def main() -> None:
    """The app: the transcript, a "Code selection" button, the latest event shown and logged."""
    st.set_page_config(page_title="span component", layout="wide")
    words = int(os.environ.get("SPAN_APP_WORDS", "0"))
    name = "test"
    if words:
        # the benchmark switches between the generated document and the short one
        name = st.sidebar.radio("Document", ["generated", "short"], key="doc")
    if name == "generated":
        text, turns, initial = bench_document(words, int(os.environ.get("SPAN_APP_CODINGS", "0")),
                                              int(os.environ.get("SPAN_APP_CODERS", "3")), 7)
    else:
        text, turns, initial = test_document()
    all_codings = st.session_state.setdefault("codings_by_document", {})
    if name not in all_codings:
        all_codings[name] = list(initial)
    st.session_state.codings = all_codings[name]
    st.session_state.setdefault("focus", None)

    with st.sidebar:
        st.button("Code selection", key="code", on_click=code_selection)
        if st.button("Focus the end", key="focus_end"):
            st.session_state.focus = len(text) - 1

    result = transcript_selector(key="transcript", text=text, turns=turns,
                                 codings=st.session_state.codings, height=500,
                                 focus=st.session_state.focus)
    st.session_state.last_event = result
    with st.container(key="result"):
        st.code(json.dumps(result, ensure_ascii=False), language="json")
        st.caption(f"codings: {len(st.session_state.codings)}")
    out = os.environ.get("SPAN_APP_OUT")
    if out and result and st.session_state.get("written_nonce") != result["nonce"]:
        st.session_state.written_nonce = result["nonce"]
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":  # streamlit run executes the file as __main__
    main()
