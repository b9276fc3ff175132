"""Code suggestions in a real browser: `streamlit run app.py` + Playwright + Debian's Chromium.

Journey on a copy of the sample project, as coder ana: turn "Suggest" on (dashed suggestions
with the code and a confidence appear), accept one with the keyboard (it becomes ana's coding
with provenance "suggested"), reject the next (stored, and gone from the page), undo both (the
rejection first, then the acceptance: both suggestions are back), then "Find similar" from one of
ana's codings and code a similar sentence elsewhere in one pass. Screenshots of each step go to
test-artifacts/suggest/.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from browser_support import chromium_page, settle, streamlit_server
from sqlalchemy import select

from qualcode import suggest
from qualcode.store.db import Database
from qualcode.store.models import Coder, Coding, Document, SuggestionRejection

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "suggest"
DOC = "p05_visiting_student_uganda"
pytestmark = pytest.mark.browser


@pytest.fixture
def app(sample_db_file, tmp_path):
    path = tmp_path / "suggest.db"
    shutil.copy(sample_db_file, path)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(path)) as url, \
            chromium_page(width=1500, height=1100) as page:
        yield page, url, Database(path)


def _codings(db, coder="ana") -> set[tuple[int, int, int, str | None]]:
    with db.session() as s:
        return set(s.execute(select(Coding.code_id, Coding.start, Coding.end, Coding.provenance)
                             .join(Coder, Coder.id == Coding.coder_id).where(Coder.name == coder)).all())


def _rejections(db) -> set[tuple[int, int, int]]:
    with db.session() as s:
        return set(s.execute(select(SuggestionRejection.code_id, SuggestionRejection.start,
                                    SuggestionRejection.end)).all())


def _until(check, seconds: float = 30):
    deadline = time.time() + seconds
    while not check():
        if time.time() > deadline:
            raise AssertionError("timed out waiting for the page")
        time.sleep(0.25)


def test_suggest_accept_by_keyboard_reject_undo_and_find_similar(app):
    from playwright.sync_api import expect

    page, url, db = app
    shown = suggest.suggest(db, DOC, "ana", viewer="ana")  # what the page will show (same model)
    first, second = shown.items[0], shown.items[1]
    before = _codings(db)

    page.goto(f"{url}/?page=Code&coder=ana&doc={DOC}")
    page.locator("[data-testid='qcs-root'][data-ready]").wait_for()
    expect(page.locator(".qcs-gbadge")).to_have_count(0)  # off: no suggestion anywhere
    page.get_by_text("Suggest", exact=True).click()
    badge = page.locator(f".qcs-gbadge[data-gk='{first.key}']")
    badge.wait_for()
    expect(page.locator(".qcs-gbadge")).to_have_count(len(shown.items))
    expect(badge).to_contain_text(f"{first.code.split('/')[-1]} {round(first.score * 100)}%")
    expect(page.get_by_text("Learning from your own codings")).to_be_visible()
    assert page.locator(f".qcs-g[data-g~='{first.key}']").first.evaluate(
        "e => getComputedStyle(e).outlineStyle") == "dashed"
    settle(page, stale=False)
    badge.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "1-suggestions.png")

    # Accept the first with the keyboard: it becomes ana's coding, marked as suggested
    badge.click()
    expect(page.locator(f".qcs-gbadge.qcs-gfocus[data-gk='{first.key}']")).to_be_visible()
    page.keyboard.press("a")
    expect(page.get_by_text(f"Accepted {first.code}")).to_be_visible()
    _until(lambda: (first.code_id, first.start, first.end, "suggested") in _codings(db))
    assert _codings(db) - before == {(first.code_id, first.start, first.end, "suggested")}
    expect(badge).to_have_count(0)
    # focus moved on to the next suggestion, ready for the next key
    expect(page.locator(f".qcs-gbadge.qcs-gfocus[data-gk='{second.key}']")).to_be_visible()
    page.screenshot(path=SHOTS / "2-accepted.png")

    # Reject the next one with the keyboard: remembered, and no longer shown
    settle(page, stale=False)
    page.keyboard.press("r")
    expect(page.get_by_text(f"Rejected {second.code} here")).to_be_visible()
    _until(lambda: _rejections(db) == {(second.code_id, second.start, second.end)})
    expect(page.locator(f".qcs-gbadge[data-gk='{second.key}']")).to_have_count(0)
    assert _codings(db) - before == {(first.code_id, first.start, first.end, "suggested")}
    page.screenshot(path=SHOTS / "3-rejected.png")

    # Undo takes back the rejection, then the acceptance: both suggestions are back
    settle(page, stale=False)
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Undid: reject")).to_be_visible()
    assert _rejections(db) == set()
    expect(page.locator(f".qcs-gbadge[data-gk='{second.key}']")).to_have_count(1)
    settle(page, stale=False)
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Undid: accept suggested")).to_be_visible()
    assert _codings(db) == before
    expect(page.locator(f".qcs-gbadge[data-gk='{first.key}']")).to_have_count(1)
    page.screenshot(path=SHOTS / "4-undone.png")

    # Find similar from one of ana's codings, and code a similar sentence in one pass
    with db.session() as s:
        coding_id, code_id = s.execute(
            select(Coding.id, Coding.code_id).join(Coder, Coder.id == Coding.coder_id)
            .join(Document, Document.id == Coding.document_id)
            .where(Coder.name == "ana", Document.name == DOC).order_by(Coding.start).limit(1)).one()
    path, similar = suggest.find_similar(db, coding_id, "ana", viewer="ana")
    top = similar[0]
    settle(page, stale=False)
    page.get_by_text("Suggest", exact=True).click()  # off again: the highlights are plain codings
    expect(page.locator(".qcs-gbadge")).to_have_count(0)
    settle(page, stale=False)
    page.locator(f".qcs-h[data-c~='{coding_id}']").first.click()
    menu = page.locator(f"[data-id='{coding_id}']")
    page.wait_for_timeout(500)
    if menu.count() and menu.first.is_visible():  # overlapping codings: choose it in the menu
        menu.first.click()
    settle(page, stale=False)
    page.get_by_role("button", name="Find similar").click()
    row = page.get_by_text(f"{top.document} · {top.score:.2f}").first
    row.wait_for()
    settle(page, stale=False)
    page.screenshot(path=SHOTS / "5-similar.png", full_page=True)
    row.click()  # tick it
    settle(page, stale=False)
    page.get_by_role("button", name=f"Code the ticked sentences as {path.split('/')[-1]}").click()
    done = page.get_by_text("Coded 1 similar sentence")
    expect(done).to_be_visible()
    assert _codings(db) - before == {(code_id, top.start, top.end, "suggested")}
    done.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "6-similar-coded.png")
