"""The coding workspace in a real browser: `streamlit run app.py` + Playwright + Debian's Chromium.

Journey on a copy of the sample project: a new coder selects a phrase with an emoji and curly
quotes with the mouse, applies a code, reloads (the highlight and the stored coding are still
exactly the selected text), recodes and undoes; blind mode hides the other coders' codings until
the document is marked done; a transcript containing <script> shows it as text.
Screenshots of each step go to test-artifacts/workspace/.
"""

from __future__ import annotations

import itertools
import re
import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from browser_support import axe_violations, chromium_page, open_code_as_new_coder, settle, streamlit_server
from test_browser_span import _LOCATE, _char_box

from qualcode.coding import editing
from qualcode.store.db import Database
from qualcode.project.documents import import_files, show_document
from qualcode.store.models import Coder, Coding

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "workspace"
DOC = "p05_visiting_student_uganda"
PHRASE = "Proud of you 🙏 — A"  # an emoji (two UTF-16 units) and an em dash
CODE = "Enablers/Individual and cultural/Mentorship and networking"
pytestmark = pytest.mark.browser


@pytest.fixture
def project(sample_db_file, tmp_path) -> Path:
    path = tmp_path / "workspace.db"
    shutil.copy(sample_db_file, path)
    db = Database(path)
    result = import_files(db, [("xss_note.txt", b"Interviewer: Paste test.\nP99: <script>window.__qcPwned = 1</script> "
                                                b"plain words after it.\n")])
    assert not result.errors
    db.close()
    return path


@pytest.fixture
def app(project, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(project)) as url, \
            chromium_page(width=1500, height=1000) as page:
        yield page, url, Database(project)


def _mine(db, coder="dana"):
    return [c for c in editing.codings_for_document(db, DOC, viewer=coder) if c.coder == coder]


def _drag(page, phrase):
    page.evaluate("([phrase]) => {" + _LOCATE + """
        const [node] = locate(phrase, 0);
        node.parentNode.scrollIntoView({block: 'center'});
    }""", [phrase])
    page.wait_for_timeout(300)
    first = _char_box(page, phrase, 0)
    last = _char_box(page, phrase, len(phrase.encode("utf-16-le")) // 2 - 1)
    page.mouse.move(first["x"] + 1, first["y"] + first["height"] / 2)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] / 2, last["y"] + last["height"] / 2, steps=8)
    page.mouse.move(last["x"] + last["width"] - 1, last["y"] + last["height"] / 2, steps=2)
    page.mouse.up()


def _wait_for_coders(page, db, check, seconds: float = 20) -> set[str]:
    """Poll the drawn coders until ``check(coders)`` holds (the rerun redraws asynchronously)."""
    deadline = time.time() + seconds
    while True:
        coders = _drawn_coders(page, db)
        if check(coders) or time.time() > deadline:
            return coders
        page.wait_for_timeout(250)


def _drawn_coders(page, db) -> set[str]:
    """The coders whose codings are drawn in the transcript (highlights carry coding ids)."""
    ids = page.evaluate("[...document.querySelectorAll('.qcs-h')].flatMap((e) => e.dataset.c.split(' '))")
    with db.session() as s:  # straight from the tables: blind mode must not filter this view
        rows = s.execute(select(Coding.id, Coder.name).join(Coder, Coder.id == Coding.coder_id)).all()
    return {name for cid, name in rows if str(cid) in set(ids)}


def test_code_a_passage_reload_recode_undo_blind_and_script_as_text(app):
    from playwright.sync_api import expect

    page, url, db = app
    text = show_document(db, DOC)["text"]
    start = text.index(PHRASE)

    # A new coder opens the workspace on the sample interview (the URL keeps page and document)
    open_code_as_new_coder(page, url, DOC)
    page.locator(".qcs-h").first.wait_for()
    assert {"ana", "ben"} <= _drawn_coders(page, db)
    page.screenshot(path=SHOTS / "1-workspace.png")

    # Select "Proud of you 🙏" with a real mouse drag and apply a code
    _drag(page, PHRASE)
    expect(page.get_by_text(f"Selected ({start}–{start + len(PHRASE)})")).to_be_visible()
    apply_box = page.locator(".st-key-ws_apply [data-testid='stMultiSelect']")  # not "Codes shown"
    apply_box.click()
    page.keyboard.type("Mentorship and networking")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(apply_box.get_by_text("Enablers/Individual and cultural/Ment")).to_be_visible()
    settle(page, stale=False)
    page.get_by_role("button", name=re.compile(r"^Apply")).click()  # its name includes the shortcut
    expect(page.get_by_text(f"Coded {PHRASE!r}")).to_be_visible()
    [coding] = _mine(db)
    assert (coding.start, coding.end, coding.quote, coding.code_path) == (start, start + len(PHRASE), PHRASE, CODE)
    expect(page.locator(f".qcs-h[data-c~='{coding.id}']").first).to_be_visible()
    page.screenshot(path=SHOTS / "2-coded.png")

    # Reload: the coder comes back from the URL, the highlight and the stored coding are unchanged
    page.reload()
    page.locator("[data-testid='qcs-root'][data-ready]").wait_for()
    expect(page.locator(f".qcs-h[data-c~='{coding.id}']").first).to_be_visible()
    assert [(c.start, c.end, c.quote) for c in _mine(db)] == [(start, start + len(PHRASE), PHRASE)]

    # Recode by clicking the highlight, then undo
    page.locator(f".qcs-h[data-c~='{coding.id}']").first.click()
    menu = page.locator(f"[data-id='{coding.id}']")
    page.wait_for_timeout(500)
    if menu.count() and menu.first.is_visible():  # overlapping codings: choose ours in the menu
        menu.first.click()
    expect(page.get_by_label("Recode as")).to_be_visible()
    settle(page, stale=False)
    page.get_by_label("Recode as").click()
    page.keyboard.type("Prior clinical experience")  # filter, then pick with the keyboard
    page.keyboard.press("Enter")
    settle(page, stale=False)
    try:
        page.get_by_role("button", name="Recode", exact=True).click(timeout=20_000)
    finally:
        page.screenshot(path=SHOTS / "3a-recode.png", full_page=True)
    expect(page.get_by_text("Recoded as")).to_be_visible()
    assert _mine(db)[0].code_path.endswith("Prior clinical experience and resilience")
    settle(page, stale=False)
    page.get_by_role("button", name=re.compile(r"^Undo")).click()
    expect(page.get_by_text("Undid")).to_be_visible()
    assert [c.code_path for c in _mine(db)] == [CODE]
    page.screenshot(path=SHOTS / "3-recode-undo.png")

    # Blind mode: other coders' codings disappear until dana marks the document done
    page.get_by_test_id("stSidebar").get_by_text("Project settings").click()
    page.get_by_test_id("stSidebar").get_by_text("Independent (blind) coding").click()
    expect(page.get_by_role("button", name="Mark done")).to_be_visible()
    assert _wait_for_coders(page, db, lambda c: c == {"dana"}) == {"dana"}
    page.screenshot(path=SHOTS / "4-blind.png")
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_role("button", name="Mark not done")).to_be_visible()
    assert {"ana", "ben", "dana"} <= _wait_for_coders(page, db, lambda c: {"ana", "ben", "dana"} <= c)

    # A transcript with <script> in it shows the markup as text, and it never runs
    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="xss_note").click()
    expect(page.locator(".qcs-text").filter(has_text="<script>window.__qcPwned = 1</script>")).to_be_visible()
    assert page.evaluate("window.__qcPwned") is None
    page.screenshot(path=SHOTS / "5-script-as-text.png")


def test_star_an_excerpt_in_retrieve_reload_and_it_is_still_starred(app):
    """Retrieve: page 1 of the first theme's 50 excerpts, star one with its ☆ button, reload
    (page and coder come back from the URL), it is ★ and the only one under "Key quotes only".
    Screenshots: 6a (the starred excerpt on page 1), 6 (the key quotes after the reload)."""
    from playwright.sync_api import expect

    from qualcode.coding.key_quotes import key_quotes

    page, url, db = app
    page.goto(f"{url}/?page=Retrieve&coder=ana")
    main = page.get_by_test_id("stMainBlockContainer")
    expect(main.get_by_text(re.compile(r"Showing 1–50 of \d+ excerpts")).first).to_be_visible(timeout=60_000)
    settle(page, stale=False)
    every = [q for q in key_quotes(db, viewer="ana", code="Barriers", only_starred=False)]
    assert len(every) > 50
    target = next(q for q in every if q.coder == "ana")
    # (Streamlit draws a hidden copy of a fit-content button to measure it: take the visible one)
    star = page.locator(f".st-key-rt_star_{target.coding_id} button:visible")
    expect(star).to_have_text("☆", timeout=60_000)
    star.hover()
    expect(page.get_by_text("Mark as key quote").first).to_be_visible()  # the tooltip
    settle(page, stale=False)
    star.click()
    expect(main.get_by_text("Marked as a key quote")).to_be_visible(timeout=30_000)
    expect(star).to_have_text("★")
    star.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "6a-retrieve-starred.png")
    assert [q.coding_id for q in key_quotes(db, viewer="ana")] == [target.coding_id]

    page.reload()
    expect(main.get_by_text(re.compile(r"Showing 1–50 of \d+ excerpts")).first).to_be_visible(timeout=60_000)
    expect(page.locator(f".st-key-rt_star_{target.coding_id} button:visible")).to_have_text("★",
                                                                                       timeout=60_000)
    excerpt = main.locator(f".qc-excerpt[data-coding='{target.coding_id}']")
    expect(excerpt).to_contain_text("★")
    settle(page, stale=False)
    main.get_by_text("Key quotes only").click()
    expect(main.get_by_text("Showing 1–1 of 1 excerpt", exact=True)).to_be_visible(timeout=30_000)
    expect(main.locator(".qc-excerpt")).to_have_count(1)  # the unfiltered page's excerpts go as it ends
    expect(main.locator(".qc-excerpt mark")).to_have_text(target.quote)
    page.screenshot(path=SHOTS / "6-retrieve-key-quote.png", full_page=True)


def _open_as_dana(page, url):
    open_code_as_new_coder(page, url, DOC)
    page.locator(".qcs-h").first.wait_for()


def test_code_tree_filters_collapses_applies_by_click_or_number_key_and_offers_to_extend(app):
    from playwright.sync_api import expect

    page, url, db = app
    text = show_document(db, DOC)["text"]
    start = text.index(PHRASE)
    _open_as_dana(page, url)
    tree = page.get_by_test_id("qct-tree")
    codes = tree.locator(".qct-code")
    expect(codes.first).to_be_visible()
    page.screenshot(path=SHOTS / "panel-1-tree.png")
    every = codes.count()
    mentorship = tree.locator(f".qct-code[data-path='{CODE}']")

    # Collapse and expand a branch: no rerun, and the choice outlives a reload
    below = _below(tree, "Barriers")
    assert below > 5
    tree.get_by_role("button", name=re.compile("^Collapse Barriers ")).click()
    expect(codes).to_have_count(every - below)
    page.reload()
    page.locator(".qcs-h").first.wait_for(timeout=60_000)
    expect(tree.get_by_role("button", name=re.compile("^Expand Barriers "))).to_be_visible()
    tree.get_by_role("button", name=re.compile("^Expand Barriers ")).click()
    expect(codes).to_have_count(every)

    # Filter (in the browser), then click the code: it is applied to the selection
    _drag(page, PHRASE)
    expect(page.get_by_text(f"Selected ({start}–{start + len(PHRASE)})")).to_be_visible()
    settle(page, stale=False)
    tree.get_by_role("searchbox").fill("mentorship")
    expect(codes).to_have_count(1)
    assert "\n" in mentorship.get_attribute("title")  # path, then the definition, on hover
    here, total = (int(x) for x in mentorship.locator(".qct-n").inner_text().split(" / "))
    page.screenshot(path=SHOTS / "panel-2-filtered.png")
    mentorship.click()
    expect(page.get_by_text(f"Coded {PHRASE!r}")).to_be_visible()
    assert [(c.start, c.code_path) for c in _mine(db)] == [(start, CODE)]
    expect(tree.locator(".qct-recent")).to_have_count(1)  # kept at hand, with key 1
    expect(tree.locator(".qct-recent .qct-key")).to_have_text("1")
    expect(tree.locator(".qct-recent .qct-n")).to_have_text(f"{here + 1} / {total + 1}")  # document / project

    # The same code again on a wider passage, by its number key: said, and "Extend" makes the union
    wider = "Proud of you 🙏 — A"
    tree.get_by_role("searchbox").fill("")
    phrase2 = "sleep is not optional. " + PHRASE
    assert text.index(phrase2) + len(phrase2) == start + len(PHRASE)
    _drag(page, phrase2)
    settle(page, stale=False)
    page.keyboard.press("1")
    expect(page.get_by_text("overlapping passage")).to_be_visible()
    page.screenshot(path=SHOTS / "panel-3-already-coded.png")
    page.get_by_role("button", name=re.compile("^Extend")).click()
    expect(page.get_by_text("Extended Mentorship and networking")).to_be_visible()
    [c] = _mine(db)
    assert c.quote == text[c.start:c.end] and c.start <= text.index(phrase2) and c.end >= start + len(wider)
    page.screenshot(path=SHOTS / "panel-4-extended.png", full_page=True)

    # Keyboard only in the panel: type in the filter, Enter applies the first match
    _drag(page, wider)
    settle(page, stale=False)
    tree.get_by_role("searchbox").fill("liability")
    expect(codes).to_have_count(1)  # recent codes are filtered too
    tree.get_by_role("searchbox").press("Enter")
    expect(page.get_by_text("as Barriers/Institutional/Liability and malpractice")).to_be_visible()
    assert "Barriers/Institutional/Liability and malpractice" in {p for _, p in _mine_paths(db)}


def _mine_paths(db):
    return [(c.start, c.code_path) for c in _mine(db)]


def _below(tree, path):
    """How many codes sit below ``path`` in the tree (shown while it is open)."""
    return len([p for p in tree.locator(".qct-code").evaluate_all("(bs) => bs.map((b) => b.dataset.path)")
                if p.startswith(path + "/")])


def _boxes(page, selector):
    return page.evaluate(f"[...document.querySelectorAll('{selector}')].map((e) => {{"
                         "const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom, "
                         "e.dataset.stripe, e.textContent, e.children.length]; })")


def test_coding_stripes_are_labelled_never_overlap_select_a_coding_and_follow_the_toggles(app):
    from playwright.sync_api import expect

    page, url, db = app
    _open_as_dana(page, url)
    page.locator(".qcs-stripe").first.wait_for()
    page.evaluate("(() => { const r = document.querySelector('.qcs-root');"
                  " const s = document.querySelector('.qcs-h[data-c*=\" \"]');"
                  " r.scrollTop += s.getBoundingClientRect().top - r.getBoundingClientRect().top - 120; })()")
    page.wait_for_timeout(400)
    labels = sorted(_boxes(page, ".qcs-stripe-label"), key=lambda b: b[1])
    assert labels, "no stripe labels drawn"
    for a, b in itertools.pairwise(labels):  # each starts below the one before: no overlap
        assert b[1] >= a[3] - 0.5, (a, b)
    assert all(n == 2 for *_, n in labels)  # several coders shown: code name and coder
    page.screenshot(path=SHOTS / "stripes-1-margin.png")
    page.screenshot(path=ROOT / "docs" / "workspace.png",  # the README's picture: the page, no sidebar
                    clip={"x": 360, "y": 100, "width": 1080, "height": 900})
    # click a stripe label: its coding is selected and opened in the panel
    first = page.locator(".qcs-stripe-label").first
    cid = int(first.get_attribute("data-stripe"))
    first.click()
    expect(page.locator(f".qcs-stripe-on[data-stripe='{cid}']").first).to_be_visible()
    c = editing.get_coding(db, cid)
    expect(page.get_by_text(f"{c.start}–{c.end}").first).to_be_visible()
    page.screenshot(path=SHOTS / "stripes-2-selected.png")
    # show one coder only: only their stripes, labelled by code alone
    page.locator("[data-testid='stButtonGroup']").get_by_text("ben", exact=True).click()
    settle(page, stale=False)
    page.wait_for_function("![...document.querySelectorAll('.qcs-stripe-label')].some((e) => e.children.length > 1)")
    ids = {int(x[4]) for x in _boxes(page, ".qcs-stripe")}
    assert ids and {editing.get_coding(db, i).coder for i in ids} == {"ana"}
    page.screenshot(path=SHOTS / "stripes-3-one-coder.png")
    # stripes off
    page.get_by_text("Stripes", exact=True).click()
    settle(page, stale=False)
    expect(page.locator(".qcs-stripe")).to_have_count(0)




def test_keyboard_coding_cursor_type_ahead_enter_and_number_key_without_a_mouse(app):
    from playwright.sync_api import expect

    page, url, db = app
    text = show_document(db, DOC)["text"]
    _open_as_dana(page, url)
    root = page.locator("[data-testid='qcs-root']")
    assert root.get_attribute("role") == "region" and "Transcript" in root.get_attribute("aria-label")
    root.focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    current = page.locator("[data-testid='qcs-root'] [aria-current='true']")
    expect(current.first).to_be_visible()
    cursor_parts = current.all_text_contents()
    settle(page, stale=False)
    expect(page.get_by_text("Selected (")).to_be_visible()
    outline = root.evaluate("(e) => getComputedStyle(e).outlineStyle")
    assert outline != "none"  # the focus ring
    page.keyboard.type("mentorsh")
    expect(page.get_by_test_id("qcs-ahead")).to_contain_text("Mentorship and networking")
    page.screenshot(path=SHOTS / "keyboard-1-cursor-type-ahead.png")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Coded ")).to_be_visible()
    settle(page, stale=False)
    [c] = _mine(db)
    assert c.code_path == CODE and c.quote == text[c.start:c.end]
    # exactly the two sentences under the cursor (across a speaker change: its label is in the text)
    assert c.quote.startswith(cursor_parts[0].strip()) and c.quote.endswith(cursor_parts[-1].strip())
    page.wait_for_function("document.querySelector('[data-testid=qcs-root]').dataset.pending === '0'")
    expect(page.locator(f".qcs-h[data-c~='{c.id}']").first).to_be_visible()
    # the next sentence, number key 1 (the recent code): focus stays in the transcript
    root.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    settle(page, stale=False)
    page.keyboard.press("1")
    page.wait_for_function("document.querySelector('[data-testid=qcs-root]').dataset.pending === '0'")
    settle(page, stale=False)
    assert len(_mine(db)) == 2
    page.screenshot(path=SHOTS / "keyboard-2-coded.png")
    # the Code page while coding with the keyboard: no critical or serious axe-core violation
    bad = axe_violations(page)
    (SHOTS / "axe-code-page.txt").write_text("\n".join(bad) + "\n")
    assert bad == []
