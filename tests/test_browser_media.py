"""The interview's recording in a real browser: `streamlit run app.py` + Playwright + Chromium.

Journey on a copy of the sample project: an owner opens the Code page on a timestamped (.vtt)
interview, attaches a WAV recording with the page's uploader, and the player appears above the
transcript; a click on a turn's time seeks the player there and plays, and that turn is marked;
as the recording plays on, the mark follows the turn whose [media_start, media_end) holds the
current time. Screenshots go to test-artifacts/media/ (the last one is docs/media.png).
"""

from __future__ import annotations

import io
import math
import shutil
import struct
import wave
from pathlib import Path

import pytest
from browser_support import chromium_page, open_code_as_new_coder, settle, streamlit_server

from qualcode.project.documents import show_document
from qualcode.project.media import list_media
from qualcode.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "media"
DOC = "p04_gme_administrator_community"
pytestmark = pytest.mark.browser


def tone_wav(seconds: float, rate: int = 8000) -> bytes:
    """A playable mono 16-bit WAV: a quiet 440 Hz tone."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * i / rate)))
                               for i in range(int(seconds * rate))))
    return buf.getvalue()


@pytest.fixture
def app(sample_db_file, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "media.db"
    shutil.copy(sample_db_file, path)
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(path),
                          QUALCODE_MEDIA_DIR=None) as url, \
            chromium_page(width=1500, height=1000) as page:
        yield page, url, Database(path)


def _marked(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('.qcs-turn.qcs-playing .qcs-time')]"
                         ".map((e) => e.textContent)")


def test_attach_a_recording_seek_from_a_turn_and_follow_the_playing_turn(app):
    from playwright.sync_api import expect

    page, url, db = app
    turns = show_document(db, DOC)["turns"]
    third = turns[2]  # the interviewer, 00:00:11.507 → 00:00:18.735 (two cues merged)
    assert (third["media_start_seconds"], third["media_end_seconds"]) == (11.507, 18.735)

    open_code_as_new_coder(page, url, DOC)
    assert page.locator(".qcs-seek").count() == 0  # no recording yet: times are plain labels

    # Attach a 40-second WAV with the page's uploader (owners; single-user mode is owner)
    page.get_by_text("Attach the interview's recording").click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": "p04.wav", "mimeType": "audio/wav", "buffer": tone_wav(40)}])
    settle(page, stale=False)
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(page.get_by_text("Attached p04.wav.")).to_be_visible()
    [stored] = list_media(db)
    assert (stored["document"], stored["mime_type"], stored["duration"]) == (DOC, "audio/wav", 40.0)
    player = page.locator("audio.stAudio")
    expect(player).to_be_visible()
    page.locator(".qcs-seek").first.wait_for()
    page.screenshot(path=SHOTS / "1-attached.png")

    # A click on the third turn's time seeks the player there, plays, and marks that turn
    label = page.locator(".qcs-turn").nth(2).locator(".qcs-seek")
    assert label.text_content() == "00:00:11"
    label.click()
    page.wait_for_function("Math.abs(document.querySelector('audio.stAudio').currentTime - %f) < 1.5"
                           % third["media_start_seconds"])
    assert _marked(page) == ["00:00:11"]
    playing = "document.querySelector('.qcs-turn.qcs-playing')"
    assert page.evaluate(f"{playing}.getAttribute('aria-current')") == "time"
    # It plays on by itself: the time moves past where it was put
    page.wait_for_function("document.querySelector('audio.stAudio').currentTime > %f"
                           % (third["media_start_seconds"] + 0.5), timeout=15_000)
    page.screenshot(path=SHOTS / "2-seeked-and-playing.png")

    # The mark follows the recording: at 20 s the fourth turn (19.406 → 24.781 s) is playing;
    # in the gap between two turns (18.9 s) none is
    page.evaluate("""() => { const a = document.querySelector('audio.stAudio');
                             a.pause(); a.currentTime = 18.9; a.dispatchEvent(new Event('timeupdate')); }""")
    page.wait_for_function("!document.querySelector('.qcs-turn.qcs-playing')")
    page.evaluate("""() => { const a = document.querySelector('audio.stAudio');
                             a.currentTime = 20; a.dispatchEvent(new Event('timeupdate')); }""")
    page.wait_for_function("document.querySelector('.qcs-turn.qcs-playing .qcs-time')"
                           "?.textContent === '00:00:19'")
    assert _marked(page) == ["00:00:19"]
    box = page.get_by_test_id("stExpander").filter(has_text="Recording")
    if box.locator("details[open]").count():  # the attach box stays open after attaching
        box.locator("summary").click()
        page.wait_for_timeout(400)
    page.evaluate("window.scrollTo(0, 0); document.querySelector('[data-testid=\"stMain\"]')?.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / "3-following.png")

    shutil.copy(SHOTS / "3-following.png", ROOT / "docs" / "media.png")

    # An owner removes the recording (after ticking the confirmation); the times are plain again
    sure = page.get_by_text("Remove it (the transcript and codings stay)")
    settle(page, stale=False)  # a click during a rerun can be lost
    if not sure.is_visible():  # the attach box stays open across the attach when it was open
        page.get_by_text("Recording", exact=True).click()
        settle(page, stale=False)
    expect(sure).to_be_visible()
    remove = page.get_by_role("button", name="Remove recording")
    expect(remove).to_be_disabled()
    sure.click()
    expect(page.get_by_role("checkbox", name="Remove it (the transcript and codings stay)")).to_be_checked()
    settle(page, stale=False)
    expect(remove).to_be_enabled(timeout=30_000)
    page.screenshot(path=SHOTS / "4-remove.png")
    remove.click()
    expect(page.get_by_text("Removed the recording p04.wav")).to_be_visible()
    expect(page.locator("audio.stAudio")).to_have_count(0)
    page.wait_for_function("!document.querySelector('.qcs-seek') && !document.querySelector('.qcs-playing')")
    assert list_media(db) == []
