"""The transcript selector's Python half: offset conversion, lanes, payloads, returned events.

The browser half is driven in tests/test_browser_span.py; here the UTF-16 ⇄ code point
conversion is checked against Python's own UTF-16 encoder, never against itself.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.ui.span_component import (
    FALLBACK_COLOUR,
    OffsetMap,
    assign_lanes,
    codings_payload,
    document_payload,
    selection_result,
    simulated_event,
)

STATIC = Path(__file__).resolve().parent.parent / "qualcode" / "ui" / "static"

TEXTS = [
    "",
    "plain ascii",
    "café, señora, “quotes”",
    "e\u0301 combining accent",          # two code points, both in the BMP
    "😅",
    "nervous 😅 but 😅😅 ok",
    "😅 at the start and the end 🎉",
    "CJK extension B: 𠀀𠀁 and 中文",
    "<script>alert(1)</script> 👩‍👩‍👧 family (a ZWJ sequence)",
]


def _utf16(text: str, cp: int) -> int:
    return len(text[:cp].encode("utf-16-le")) // 2


@pytest.mark.parametrize("text", TEXTS)
def test_offsets_convert_both_ways_like_the_utf16_encoder(text):
    offsets = OffsetMap(text)
    assert offsets.utf16_length == len(text.encode("utf-16-le")) // 2
    assert [offsets.to_utf16(cp) for cp in range(len(text) + 1)] == [
        _utf16(text, cp) for cp in range(len(text) + 1)]
    assert [offsets.to_code_point(_utf16(text, cp)) for cp in range(len(text) + 1)] == list(
        range(len(text) + 1))


def test_an_offset_inside_a_surrogate_pair_snaps_to_the_start_of_its_character():
    offsets = OffsetMap("a😅b")  # UTF-16: a, high, low, b
    assert [offsets.to_code_point(u) for u in range(5)] == [0, 1, 1, 2, 3]


def test_offsets_outside_the_text_are_clamped():
    offsets = OffsetMap("😅x")
    assert (offsets.to_utf16(-3), offsets.to_utf16(99)) == (0, 3)
    assert (offsets.to_code_point(-3), offsets.to_code_point(99)) == (0, 2)


def _c(cid, start, end, **extra):
    return {"id": cid, "start": start, "end": end, "code": "A", "colour": "#112233",
            "coder": "ana", "memo": None, **extra}


def test_lanes_stack_overlapping_codings_and_reuse_free_lanes():
    codings = [_c(1, 0, 10), _c(2, 5, 20), _c(3, 12, 15), _c(4, 0, 30), _c(5, 20, 25), _c(6, 30, 31)]
    assert assign_lanes(codings) == {4: 0, 1: 1, 2: 2, 3: 1, 5: 1, 6: 0}


@pytest.mark.parametrize("seed", range(5))
def test_lanes_never_collide_and_use_no_more_than_the_deepest_overlap(seed):
    rng = random.Random(seed)
    codings = []
    for cid in range(200):
        start = rng.randrange(1000)
        codings.append(_c(cid, start, start + rng.randint(1, 80)))
    lanes = assign_lanes(codings)
    for a, b in itertools.combinations(codings, 2):
        if a["start"] < b["end"] and b["start"] < a["end"]:
            assert lanes[a["id"]] != lanes[b["id"]]
    depth = max(sum(c["start"] <= x < c["end"] for c in codings) for x in range(1100))
    assert max(lanes.values()) + 1 == depth


def test_the_document_is_sent_in_utf16_units_with_clock_times():
    text = "I: Hi 😅\n\nP07: Fine, gracias.\n\nnotes"
    turns = [
        {"start": 14, "end": 28, "speaker": "P07", "media_start_seconds": 3723.9},
        {"start": 3, "end": 7, "speaker": "I", "media_start_seconds": 0.0},
        {"start": 20, "end": 25, "speaker": "overlapping", "media_start_seconds": None},
        {"start": 30, "end": 30, "speaker": "empty", "media_start_seconds": None},
        {"start": 30, "end": 99, "speaker": None, "media_start_seconds": None},
    ]
    offsets, doc = document_payload(text, turns)
    assert text[3:7] == "Hi 😅" and text[14:28] == "Fine, gracias."
    assert {k: v for k, v in doc.items() if k != "id"} == {
        "text": text,
        "turns": [[3, 8, "I", "00:00:00"], [15, 29, "P07", "01:02:03"], [31, 36, None, None]],
        "sentences": [],  # none given (the workspace sends them, for the keyboard cursor)
    }
    assert offsets.to_utf16(len(text)) == len(text) + 1
    assert document_payload(text, turns)[1]["id"] == doc["id"]
    assert document_payload(text + " ", turns)[1]["id"] != doc["id"]
    assert document_payload(text, turns[:1])[1]["id"] != doc["id"]


def test_a_document_without_turns_is_one_block_without_a_header():
    assert document_payload("😅 x", [])[1]["turns"] == [[0, 4, None, None]]


def test_codings_are_sent_compact_clipped_and_with_safe_colours():
    text = "😅 one two three"  # code points: 😅=0, space=1, one=2..5
    offsets = OffsetMap(text)
    codings = [
        {"id": 7, "start": 2, "end": 9, "code": "Feelings/Joy", "colour": "#FFAA00", "coder": "ana",
         "memo": "why"},
        {"id": 3, "start": 0, "end": 5, "code": "Feelings/Joy", "colour": "#ffaa00", "coder": "ben",
         "memo": ""},
        {"id": 9, "start": 6, "end": 500, "code": "Other", "colour": "red;background:url(x)",
         "coder": "ana", "memo": None},
        {"id": 4, "start": 8, "end": 8, "code": "Empty", "colour": "#000000", "coder": "ana",
         "memo": None},
    ]
    assert codings_payload(offsets, codings) == {
        "codes": [["Feelings/Joy", "#ffaa00"], ["Feelings/Joy", "#FFAA00"], ["Other", FALLBACK_COLOUR]],
        "coders": ["ben", "ana"],
        "items": [
            [3, 0, 6, 0, 0, 0, None],
            [7, 3, 10, 1, 1, 1, "why"],
            [9, 7, 16, 0, 2, 1, None],
        ],
    }


TEXT = "I: Hola 😅 señora\n\nP: “yes”  and no"
TURNS = [{"start": 3, "end": 16, "speaker": "I", "media_start_seconds": None},
         {"start": 21, "end": 34, "speaker": "P", "media_start_seconds": 12.0}]


def _event(**event):
    offsets, doc = document_payload(TEXT, TURNS)
    return selection_result({"doc": doc["id"], "nonce": 5, **event}, TEXT, offsets, doc["id"])


@pytest.mark.parametrize(("start", "end", "expected"), [
    (3, 9, "Hola 😅"),             # ends after the emoji: UTF-16 end 10
    (8, 17, "😅 señora"),          # starts on the emoji, crosses the turn's end newline
    (7, 26, "😅 señora\n\nP: “yes”"),  # across two turns: the label is canonical text
    (2, 8, "Hola"),                # the space before and after is trimmed
    (26, 32, "and"),               # two spaces before it, one after
])
def test_a_selection_comes_back_in_code_points_trimmed_and_equal_to_the_slice(start, end, expected):
    offsets = OffsetMap(TEXT)
    got = _event(kind="select", start=offsets.to_utf16(start), end=offsets.to_utf16(end))
    s, e = TEXT.index(expected), TEXT.index(expected) + len(expected)
    assert got == {"start": s, "end": e, "text": expected, "nonce": 5}
    assert TEXT[got["start"]:got["end"]] == got["text"]


@pytest.mark.parametrize("event", [
    {"kind": "select", "start": 17, "end": 19},        # only whitespace (UTF-16 units)
    {"kind": "select", "start": 9, "end": 9},          # empty
    {"kind": "select", "start": "x", "end": 9},
    {"kind": "select", "start": 2},
    {"kind": "wiggle", "start": 2, "end": 9},
    {"kind": "click", "id": "7"},
])
def test_empty_or_malformed_events_give_none(event):
    assert _event(**event) is None


def test_a_click_returns_the_coding_id():
    assert _event(kind="click", id=12) == {"clicked_coding": 12, "nonce": 5}


def test_events_about_another_document_or_without_a_nonce_are_ignored():
    offsets, doc = document_payload(TEXT, TURNS)
    event = {"kind": "click", "id": 1, "doc": doc["id"], "nonce": 1}
    assert selection_result({**event, "doc": "old"}, TEXT, offsets, doc["id"]) is None
    assert selection_result({**event, "nonce": None}, TEXT, offsets, doc["id"]) is None
    assert selection_result(None, TEXT, offsets, doc["id"]) is None


@pytest.mark.parametrize("script", sorted(STATIC.glob("*.js")), ids=lambda p: p.name)
def test_the_scripts_build_content_from_text_nodes_only(script):
    """The transcript, its resize handles and the code tree put user text (transcripts, code
    names, definitions) in the DOM through text nodes and attributes, never as markup."""
    source = script.read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source


def _page():
    import json

    import streamlit as st

    from qualcode.ui.span_component import transcript_selector

    text = "I: Hola 😅 señora\n\nP: “yes”  and no"
    turns = [{"start": 3, "end": 16, "speaker": "I", "media_start_seconds": None},
             {"start": 21, "end": 34, "speaker": "P", "media_start_seconds": 12.0}]
    codings = [{"id": 1, "start": 8, "end": 16, "code": "A/B", "colour": "#123456", "coder": "ana",
                "memo": None}]
    result = transcript_selector(key="span", text=text, turns=turns, codings=codings, focus=8)
    st.code(json.dumps(result, ensure_ascii=False), language="json")


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"start": 8, "end": 16}, {"start": 8, "end": 16, "text": "😅 señora", "nonce": 1}),
    ({"clicked_coding": 1}, {"clicked_coding": 1, "nonce": 1}),
])
def test_the_component_mounts_under_apptest_and_returns_an_injected_event(kwargs, expected):
    import json

    at = AppTest.from_function(_page, default_timeout=30).run()
    assert not at.exception
    component = at.get("bidi_component")[0]
    assert component.key == "span"
    assert json.loads(component.proto.json)["doc"]["text"] == TEXT
    assert at.code[0].value == "null"
    at.session_state["span"] = simulated_event(TEXT, TURNS, **kwargs)
    at.run()
    assert not at.exception
    assert json.loads(at.code[0].value) == expected
    # the event proves the browser holds this document: its text is not sent again
    data = json.loads(at.get("bidi_component")[0].proto.json)
    assert data["doc"] == {"id": document_payload(TEXT, TURNS)[1]["id"], "text": None}
    assert data["codings"]["items"] == [[1, 8, 17, 0, 0, 0, None]]
    assert data["focus"] == 8


def test_an_event_about_another_document_makes_the_text_be_sent_again():
    import json

    at = AppTest.from_function(_page, default_timeout=30).run()
    at.session_state["span"] = simulated_event(TEXT + "!", TURNS, clicked_coding=1)
    at.run()
    assert not at.exception
    assert at.code[0].value == "null"
    assert json.loads(at.get("bidi_component")[0].proto.json)["doc"]["text"] == TEXT


def test_sentences_go_to_the_browser_in_utf16_units_without_changing_the_document_id():
    from qualcode.ui.span_component import document_payload

    text = "I 😅 agree. Yes."
    turns = [{"start": 0, "end": len(text), "speaker": "P1"}]
    _, plain = document_payload(text, turns)
    offsets, doc = document_payload(text, turns, [(0, 10), (11, 15)])
    assert doc["id"] == plain["id"]
    assert doc["sentences"] == [0, 11, 12, 16]
    assert text[0:10] == "I 😅 agree." and offsets.to_code_point(11) == 10


def test_an_apply_event_from_the_keyboard_comes_back_with_its_code_and_range():
    from qualcode.ui.span_component import document_payload, selection_result, simulated_event

    text = "one 😅 two three"
    turns = [{"start": 0, "end": len(text), "speaker": None}]
    offsets, doc = document_payload(text, turns)
    event = simulated_event(text, turns, start=6, end=9, apply="A/b", nonce=5)["event"]
    got = selection_result(event, text, offsets, doc["id"])
    assert got == {"start": 6, "end": 9, "text": "two", "nonce": 5, "apply": "A/b", "pending": 5}
    assert selection_result({**event, "code": 3}, text, offsets, doc["id"]) is None


def test_a_dragged_handle_comes_back_in_code_points_with_the_extent_it_started_from():
    offsets = OffsetMap(TEXT)
    u = offsets.to_utf16
    # the end moved from after "Hola" to after the emoji (two UTF-16 units), spaces trimmed
    got = _event(kind="resize", id=1, start=u(3), end=u(10), was=[u(3), u(7)])
    assert got == {"resize": 1, "start": 3, "end": 9, "was": (3, 7), "nonce": 5}
    assert TEXT[3:9] == "Hola 😅"
    assert _event(kind="resize", id=1, start=17, end=19, was=[0, 3]) is None  # only whitespace
    assert _event(kind="resize", id="1", start=3, end=9, was=[3, 7]) is None
    assert _event(kind="resize", id=True, start=3, end=9, was=[3, 7]) is None
    assert _event(kind="resize", id=1, start=3, end=9) is None  # where it started is required
    event = simulated_event(TEXT, TURNS, resize=1, start=3, end=9, was=(3, 7), nonce=5)["event"]
    offsets, doc = document_payload(TEXT, TURNS)
    assert selection_result(event, TEXT, offsets, doc["id"]) == got


def test_a_dragged_end_between_turns_goes_to_the_nearest_turns_edge():
    """Text between turns is a hidden speaker label: a start there moves to the next turn's
    start, an end to the previous turn's end."""
    offsets, doc = document_payload(TEXT, TURNS)
    u = offsets.to_utf16
    event = {"kind": "resize", "id": 1, "start": u(18), "end": u(19), "was": [u(3), u(7)],
             "doc": doc["id"], "nonce": 5}
    got = selection_result({**event, "end": u(26)}, TEXT, offsets, doc["id"], TURNS)
    assert (got["start"], got["end"]) == (21, 26)  # the label "P: " is not coded
    got = selection_result({**event, "start": u(8)}, TEXT, offsets, doc["id"], TURNS)
    assert (got["start"], got["end"]) == (8, 16)
