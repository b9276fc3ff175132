"""The transcript selector in a real browser: `streamlit run tests/apps/span_app.py` + Playwright.

Journey: a coder opens a transcript with accents, typographic quotes, an emoji, a `<script>` line
and three timed turns carrying overlapping codings; they select a phrase with the mouse, select
across two turns, click highlights (one coding, then one of several), and code a selection. The
app logs each value the component returns, which must equal the Python slice of the canonical
text. Screenshots go to test-artifacts/span/ (git-ignored).
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest
from browser_support import chromium_page, streamlit_server

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "span"
APP = ROOT / "tests" / "apps" / "span_app.py"
pytestmark = pytest.mark.browser


def _load_app():
    spec = importlib.util.spec_from_file_location("span_app", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines the data; the page itself runs only as __main__
    return module


TEXT, TURNS, CODINGS = _load_app().test_document()


@pytest.fixture
def server(tmp_path):
    events = tmp_path / "events.jsonl"
    # SPAN_APP_WORDS is the benchmark's size switch: never inherit it here
    with streamlit_server(APP, tmp_path / "streamlit.log", SPAN_APP_OUT=str(events),
                          SPAN_APP_WORDS=None) as url:
        yield url, events


@pytest.fixture
def page(server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_page(server[0], width=1200, height=900) as pg:
        yield pg


def _events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _next_event(path: Path, seen: int) -> dict:
    """Wait for the app to log event number ``seen + 1`` and return it."""
    deadline = time.time() + 30
    while time.time() < deadline:
        events = _events(path)
        if len(events) > seen:
            return events[seen]
        time.sleep(0.1)
    raise AssertionError(f"no event after {seen}: {_events(path)}")


# Finds the text node and offset of UTF-16 unit ``index`` of the first rendered occurrence of
# ``phrase`` within one turn, across however many highlight segments it is split into.
_LOCATE = """
const locate = (phrase, index) => {
    for (const body of document.querySelectorAll('.qcs-text')) {
        const at = body.textContent.indexOf(phrase);
        if (at < 0) continue;
        let pos = at + index;
        for (const seg of body.querySelectorAll('.qcs-seg')) {
            const node = seg.firstChild;
            if (pos < node.length || (pos === node.length && index > 0)) return [node, pos];
            pos -= node.length;
        }
    }
    throw new Error('not rendered: ' + phrase);
};
"""


def _char_box(page, phrase: str, index: int) -> dict:
    """Screen box of the character at UTF-16 unit ``index`` of ``phrase`` as rendered."""
    return page.evaluate(
        "([phrase, index]) => {" + _LOCATE + """
            const [node, pos] = locate(phrase, index);
            const r = document.createRange();
            r.setStart(node, pos);
            r.setEnd(node, pos + (node.data.codePointAt(pos) > 0xffff ? 2 : 1));
            const b = r.getBoundingClientRect();
            return {x: b.x, y: b.y, width: b.width, height: b.height};
        }""",
        [phrase, index],
    )


def _select_with_range(page, first: str, last: str) -> None:
    """Select from the start of ``first`` to the end of ``last`` with a DOM Range, then fire the
    mouseup a real drag would end with."""
    page.evaluate(
        "([first, last]) => {" + _LOCATE + """
            const r = document.createRange();
            r.setStart(...locate(first, 0));
            const end = locate(last, last.length);
            r.setEnd(...end);
            const sel = document.getSelection();
            sel.removeAllRanges();
            sel.addRange(r);
            end[0].parentNode.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
        }""",
        [first, last],
    )


def _span(phrase: str) -> tuple[int, int]:
    start = TEXT.index(phrase)
    return start, start + len(phrase)


def test_selections_and_clicks_come_back_as_python_offsets(page, server):
    from playwright.sync_api import expect

    _, log = server
    root = page.locator("[data-testid='qcs-root'][data-ready]")
    root.wait_for()
    page.locator(".qcs-h").first.wait_for()

    # Speakers and timestamps above each turn; the <script> line is text and did not run
    expect(page.locator(".qcs-speaker")).to_have_text(["Interviewer", "P07", "Interviewer"])
    expect(page.locator(".qcs-time")).to_have_text(["00:00:00", "00:01:15", "01:02:03"])
    expect(page.locator(".qcs-text").nth(1)).to_contain_text(
        "<script>window.__qcPwned = 1; alert(1)</script>")
    assert page.evaluate("window.__qcPwned") is None
    assert page.locator(".qcs-root script").count() == 0
    assert page.dialogs == []
    # every coding is drawn; the three overlapping ones share the passage around the emoji
    drawn = page.evaluate("[...document.querySelectorAll('.qcs-h')].map((e) => e.dataset.c)")
    assert {i for ids in drawn for i in ids.split()} == {"1", "2", "3", "4", "5"}
    assert "3 1" in drawn
    page.screenshot(path=SHOTS / "1-transcript.png")

    # A real mouse drag over "nervous 😅 but": press in the left half of the first character,
    # release in the right half of the last one
    phrase = "nervous 😅 but"
    first = _char_box(page, phrase, 0)
    last = _char_box(page, phrase, len(phrase.encode("utf-16-le")) // 2 - 1)
    page.mouse.move(first["x"] + 1, first["y"] + first["height"] / 2)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] / 2, last["y"] + last["height"] / 2, steps=8)
    page.mouse.move(last["x"] + last["width"] - 1, last["y"] + last["height"] / 2, steps=2)
    page.mouse.up()
    event = _next_event(log, 0)
    start, end = _span(phrase)
    assert {k: event[k] for k in ("start", "end", "text")} == {"start": start, "end": end, "text": phrase}
    assert TEXT[event["start"]:event["end"]] == event["text"]
    expect(page.locator(".st-key-result")).to_contain_text(phrase)
    page.screenshot(path=SHOTS / "2-mouse-selection.png")

    # A Range across two turns: the header in between does not count, the canonical text does
    _select_with_range(page, "ñandú", "now?")
    event = _next_event(log, 1)
    start, end = TEXT.index("ñandú"), TEXT.index("now?") + len("now?")
    assert {k: event[k] for k in ("start", "end", "text")} == {
        "start": start, "end": end, "text": "ñandú stories.\n\nInterviewer: And now?"}
    assert TEXT[start:end] == event["text"]

    # A Range starting on whitespace and ending after the emoji: trimmed, still code points
    _select_with_range(page, " I was nervous 😅", "nervous 😅")
    event = _next_event(log, 2)
    assert (event["start"], event["end"], event["text"]) == (*_span("I was nervous 😅"), "I was nervous 😅")
    assert event["nonce"] > _events(log)[1]["nonce"]

    # Clicking a highlight with one coding returns its id
    page.mouse.click(0, 0)
    page.locator(".qcs-h[data-c='4']").click()
    assert _next_event(log, 3)["clicked_coding"] == 4
    expect(page.locator(".qcs-selected[data-c='4']")).to_have_count(1)

    # Clicking where three codings overlap asks which one; the popover's text is text too
    page.locator(".qcs-h[data-c='3 1']").first.click()
    items = page.locator(".qcs-pop-item")
    expect(items).to_have_text(["Place/Home — ana", "Emotion/Anxiety — ana: first-week nerves"])
    page.screenshot(path=SHOTS / "3-overlap-popover.png")
    items.nth(1).click()
    assert _next_event(log, 4)["clicked_coding"] == 1
    expect(page.locator(".qcs-pop")).to_have_count(0)

    # Coding a selection draws the new highlight (id 6) on the rerun, text left as it was
    _select_with_range(page, "Café every", "Café every")
    event = _next_event(log, 5)
    assert event["text"] == "Café every"
    page.evaluate("document.querySelectorAll('.qcs-text').forEach((t) => { t.firstChild.qcsOld = 1; })")
    page.get_by_role("button", name="Code selection").click()
    new = page.locator(".qcs-h[data-c~='6']")
    expect(new).to_have_text(["Café every"])
    page.wait_for_timeout(500)
    assert len(_events(log)) == 6  # clicking a page button did not resend the selection
    # only the turn that gained a coding was re-split; the others are the same DOM nodes
    assert page.evaluate("[...document.querySelectorAll('.qcs-text')].map((t) => !!t.firstChild.qcsOld)"
                         ) == [True, False, True]
    assert page.evaluate("[...document.querySelectorAll('.qcs-text')].map((t) => t.textContent)") == [
        TEXT[t["start"]:t["end"]] for t in TURNS]
    page.screenshot(path=SHOTS / "4-coded.png")
