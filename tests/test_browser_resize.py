"""Resizing a coding by its handles, in a real browser (`streamlit run app.py`, Playwright,
Debian's Chromium): drag an end (snapped to the word under the pointer), drag with Alt held
(single characters), move an end with the keyboard and store it with Enter, Undo; another
coder's coding has no handles. Screenshots go to test-artifacts/resize/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_support import axe_violations, chromium_page, settle, streamlit_server
from test_browser_span import _char_box

from qualcode.coding import editing
from qualcode.project.documents import show_document
from qualcode.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "resize"
DOC = "p05_visiting_student_uganda"
FIRST = "one block at a time"          # dana's coding, to begin with
LATER = "sleep is not optional"        # the end handle is dropped inside "optional"
pytestmark = pytest.mark.browser


@pytest.fixture
def app(sample_db_file, tmp_path):
    path = tmp_path / "resize.db"
    shutil.copy(sample_db_file, path)
    db = Database(path)
    text = show_document(db, DOC)["text"]
    start = text.index(FIRST)
    mine = editing.add(db, DOC, "Barriers", "dana", start, start + len(FIRST))
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(path)) as url, \
            chromium_page(width=1500, height=1000) as page:
        yield page, url, db, text, mine.id


def _open_as(page, url, coder):
    page.goto(f"{url}/?page=Code&doc={DOC}")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name=coder, exact=True).click()
    page.locator("[data-testid='qcs-root'][data-ready]").wait_for()
    settle(page)


def _select(page, cid):
    """Click the coding's stripe: it is selected (in the browser and the panel)."""
    page.evaluate("""(id) => {
        const r = document.querySelector('.qcs-root');
        const s = document.querySelector(`.qcs-h[data-c~="${id}"]`);
        r.scrollTop += s.getBoundingClientRect().top - r.getBoundingClientRect().top - 200;
    }""", str(cid))
    page.wait_for_timeout(300)
    page.locator(f".qcs-stripe[data-stripe='{cid}']").first.click()
    settle(page, stale=False)


def _drag_handle(page, which, phrase, index, alt=False, shot=None):
    """Drag a handle onto the middle of character ``index`` of ``phrase`` (``shot``: a
    screenshot of the transcript just before the drop)."""
    handle = page.get_by_test_id(f"qcs-handle-{which}")
    box = handle.bounding_box()
    target = _char_box(page, phrase, index)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    if alt:
        page.keyboard.down("Alt")
    page.mouse.down()
    page.mouse.move(target["x"] + target["width"] * 0.4, target["y"] + target["height"] / 2, steps=10)
    if shot:
        box = page.get_by_test_id("qcs-root").bounding_box()
        page.screenshot(path=shot, clip={"x": box["x"] - 4, "y": target["y"] - 150,
                                         "width": box["width"] + 8, "height": 300})
    page.mouse.up()
    if alt:
        page.keyboard.up("Alt")


def _extent(db, cid):
    c = editing.get_coding(db, cid)
    return c.start, c.end


def _wait_for(page, db, cid, want, seconds=20):
    import time

    deadline = time.time() + seconds
    while _extent(db, cid) != want and time.time() < deadline:
        page.wait_for_timeout(200)
    return _extent(db, cid)


def test_drag_a_handle_snaps_to_words_alt_drags_characters_keys_move_by_words_and_undo(app):
    from playwright.sync_api import expect

    page, url, db, text, cid = app
    start = text.index(FIRST)
    _open_as(page, url, "dana")
    _select(page, cid)
    expect(page.get_by_test_id("qcs-handle-start")).to_be_visible()
    expect(page.get_by_test_id("qcs-handle-end")).to_be_visible()
    page.screenshot(path=SHOTS / "1-handles.png")

    # The end handle dropped inside "optional" (4th character): the whole word is taken.
    _drag_handle(page, "end", LATER, LATER.index("optional") + 3,
                 shot=ROOT / "docs" / "resize.png")  # the README's picture: mid-drag
    end = text.index(LATER) + len(LATER)
    assert _wait_for(page, db, cid, (start, end)) == (start, end)
    expect(page.get_by_text(f"Coding resized to {start}–{end}")).to_be_visible()
    settle(page, stale=False)
    page.screenshot(path=SHOTS / "2-end-snapped.png")
    c = editing.get_coding(db, cid)
    assert c.quote == text[start:end] and c.quote.endswith("sleep is not optional")

    # With Alt held the start goes exactly where it is dropped, mid-word ("block" -> "ock").
    word = text.index("block", start)
    _drag_handle(page, "start", FIRST, FIRST.index("block") + 2, alt=True)
    assert _wait_for(page, db, cid, (word + 2, end)) == (word + 2, end)
    settle(page, stale=False)

    # Keyboard: the end handle is a slider; ← moves it back a word, Enter stores.
    handle = page.get_by_test_id("qcs-handle-end")
    expect(handle).to_have_attribute("role", "slider")
    handle.focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    back = text.index(LATER) + len("sleep is not")
    assert _wait_for(page, db, cid, (word + 2, back)) == (word + 2, back)
    settle(page, stale=False)
    page.screenshot(path=SHOTS / "3-keyboard.png")
    assert not axe_violations(page)

    # Undo takes the last resize back; the handles follow the stored extent.
    page.get_by_role("button", name="Undo").click()
    assert _wait_for(page, db, cid, (word + 2, end)) == (word + 2, end)
    settle(page, stale=False)
    now = page.get_by_test_id("qcs-handle-end").get_attribute("aria-valuenow")
    assert int(now) == end  # no astral characters before it: UTF-16 == code points here

    # Past an emoji (two UTF-16 units, one code point) onto "A.”": stored in code points.
    tail = "Proud of you 🙏 — A."
    _drag_handle(page, "end", tail, len(tail.encode("utf-16-le")) // 2 - 2)  # on the "A"
    after = text.index(tail) + len(tail) - 1
    assert _wait_for(page, db, cid, (word + 2, after)) == (word + 2, after)
    assert editing.get_coding(db, cid).quote.endswith("🙏 — A")


def test_a_changed_coding_is_not_resized_blindly_and_other_coders_codings_have_no_handles(app):
    from playwright.sync_api import expect

    page, url, db, text, cid = app
    start = text.index(FIRST)
    _open_as(page, url, "dana")
    _select(page, cid)
    expect(page.get_by_test_id("qcs-handle-end")).to_be_visible()
    # Meanwhile (another tab) the coding is shrunk: the drag made on the old extent is refused.
    editing.resize(db, cid, start, start + 3, actor="dana")
    _drag_handle(page, "end", LATER, 2)
    expect(page.get_by_text("changed to", exact=False)).to_be_visible()
    assert _extent(db, cid) == (start, start + 3)
    settle(page, stale=False)
    page.screenshot(path=SHOTS / "4-refused.png")

    # Another coder's coding: selected, but no handles (only its coder may resize it).
    other = next(c for c in editing.codings_for_document(db, DOC, viewer=None) if c.coder != "dana")
    _select(page, other.id)
    expect(page.locator(f".qcs-stripe-on[data-stripe='{other.id}']").first).to_be_visible()
    expect(page.get_by_test_id("qcs-handle-start")).to_have_count(0)
