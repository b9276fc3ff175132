"""Projects in a real browser: `streamlit run app.py` + Playwright + Debian's Chromium.

One server on a database with two projects: "Pilot" (two sample transcripts, the shipped
codebook, codings by ana) owned by pat, and "Teaching" (one transcript) where pat is only a
viewer; root is the admin. Pat logs in through the real form and

1. finds both projects on the Projects page (no project is open yet: there is a choice);
2. creates "Main study" there, with a copy of Pilot's codebook, and lands in it;
3. imports a transcript into it by upload, and codes a passage with the mouse;
4. switches back to Pilot with the sidebar picker and finds it untouched: the same rows in the
   database, the same documents on screen, and nothing of Main study;
5. switches to Teaching, where the sidebar offers a viewer's pages only.

Screenshots of each step go to test-artifacts/projects/.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from browser_support import chromium_page, menu, settle, streamlit_server
from sqlalchemy import select
from test_browser_span import _LOCATE, _char_box
from test_ui_roles import ROLE_PAGES

from qualcode.codebook import parse_codebook
from qualcode.coding import editing
from qualcode.project import projects as P
from qualcode.project.codes import apply_codebook
from qualcode.project.codings import list_codings
from qualcode.project.documents import import_files, list_documents, show_document
from qualcode.store.db import Database
from qualcode.store.models import Project
from qualcode.team import accounts
from qualcode.team.project_backup import project_tables

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "projects"
PILOT_DOCS = ("p01_program_director_internal_medicine", "p03_global_health_faculty")
PW = {"root": "root-password", "pat": "pat-password"}
UPLOAD = ("Interviewer: What did the new rotation change?\n"
          "P21: The hospital finally paid for my malpractice insurance, so I could examine patients.\n"
          "Interviewer: And the visa?\n"
          "P21: Still waiting on the visa.\n")
PHRASE = "paid for my malpractice insurance"
CODE = "Enablers/Financial/Scholarships and stipends"
pytestmark = pytest.mark.browser


def build_lab(path: Path) -> Path:
    db = Database(path)
    try:
        P.create_project(db, "Pilot", description="two interviews, coded by ana")
        pilot = db.use("Pilot")
        result = import_files(pilot, [(f"{d}.txt", (ROOT / "transcripts_sample" / f"{d}.txt").read_bytes())
                                      for d in PILOT_DOCS])
        assert not result.errors
        book = ROOT / "codebooks" / "img_barriers_enablers.yaml"
        with pilot.session() as s:
            apply_codebook(s, pilot.project_id(s), parse_codebook(book.read_bytes(), book.name))
        for doc, phrase in ((PILOT_DOCS[0], "two hundred and forty emails"),
                            (PILOT_DOCS[1], "Division of Global Health")):
            text = show_document(pilot, doc)["text"]
            editing.add(pilot, doc, "Barriers/Institutional/Administrative burden", "ana",
                        text.index(phrase), text.index(phrase) + len(phrase))
        P.create_project(db, "Teaching", description="a class exercise")
        assert not import_files(db.use("Teaching"), [("exercise.txt", b"Interviewer: Hello.\nP1: Hi there.\n")]).errors
        accounts.add_account(db, "root", PW["root"], role="admin")
        accounts.add_account(pilot, "pat", PW["pat"], role="owner", actor="root")
        accounts.set_role(db.use("Teaching"), "pat", "viewer", actor="root")
    finally:
        db.close()
    return path


def fingerprint(path: Path, name: str) -> str:
    """Every row of project ``name`` (the change log aside), as one string."""
    db = Database(path)
    try:
        with db.session() as s:
            pid = s.scalar(select(Project.id).where(Project.name == name))
            return json.dumps({t.name: sorted(map(str, s.execute(select(t).where(c)).all()))
                               for t, c in project_tables(pid) if t.name != "change_log"}, sort_keys=True)
    finally:
        db.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser_projects")
    path = build_lab(folder / "lab.db")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server("app.py", folder / "streamlit.log", QUALCODE_DB=str(path),
                          QUALCODE_SESSION_MINUTES=None, QUALCODE_BACKUP_DIR=str(folder / "backups"),
                          QUALCODE_PROJECT=None) as url:
        yield url, path


def _pages(page):
    return menu(page)


def _visit(page, name: str, heading: str | None = None) -> None:
    _pages(page).filter(has_text=re.compile(rf"^{re.escape(name)}$")).click()
    page.get_by_test_id("stMainBlockContainer").get_by_role(
        "heading", name=heading or name, exact=True).wait_for()
    settle(page)


def _problems(page) -> list[str]:
    return page.evaluate("""[...document.querySelectorAll(
        '[data-testid="stException"], [data-testid="stAlertContentError"]')]
        .map((e) => e.dataset.testid + ': ' + e.textContent.slice(0, 300))""")


def _pick_project(page, name: str) -> None:
    from playwright.sync_api import expect

    picker = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Project")
    picker.click()
    page.get_by_role("option", name=name, exact=True).click()
    settle(page)
    expect(picker).to_have_value(name)


def _log_in(page, name: str) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Account").wait_for(timeout=120_000)
    page.get_by_label("Account").fill(name)
    page.get_by_role("textbox", name="Password").fill(PW[name])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("stSidebar").get_by_text("Signed in as")).to_be_visible()
    settle(page)


def _drag(page, phrase: str) -> None:
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


def test_create_a_second_project_import_code_switch_back_and_find_the_first_untouched(server):
    from playwright.sync_api import expect

    url, path = server
    pilot_before = fingerprint(path, "Pilot")
    with chromium_page(url, width=1500, height=1000) as page:
        _log_in(page, "pat")
        main = page.get_by_test_id("stMainBlockContainer")

        # 1. two projects, none open yet: the Projects page lists both with their counts
        expect(_pages(page)).to_have_text(["Projects"])
        main.get_by_role("heading", name="Projects", exact=True).wait_for()
        page.wait_for_timeout(1000)  # the grid paints its canvas just after it is attached
        page.screenshot(path=SHOTS / "1-projects.png", full_page=True)
        assert _problems(page) == []

        # 2. create "Main study" with a copy of Pilot's codebook; it opens
        main.get_by_text("Create a project").click()
        form = main.get_by_test_id("stForm")
        form.get_by_label("Name").fill("Main study")
        form.get_by_label("Description (optional)").fill("the main round of interviews")
        form.get_by_test_id("stSelectbox").scroll_into_view_if_needed()
        settle(page)
        pilot = page.get_by_role("option").filter(has_text="Pilot").first
        for _ in range(3):  # the list sometimes does not open on the first click (layout settling)
            form.get_by_test_id("stSelectbox").click()
            page.keyboard.type("Pilot")
            try:
                pilot.wait_for(timeout=5_000)
                break
            except Exception:
                page.keyboard.press("Escape")
        pilot.click()  # typed text alone is no choice
        expect(form.get_by_role("combobox")).to_have_value("Pilot")
        page.screenshot(path=SHOTS / "2-create.png", full_page=True)
        form.get_by_role("button", name="Create project").click()
        expect(main.get_by_text("Project Main study created")).to_be_visible(timeout=60_000)
        settle(page)
        expect(page.get_by_test_id("stSidebar").get_by_role("combobox", name="Project")).to_have_value("Main study")
        expect(_pages(page)).to_have_text(ROLE_PAGES["owner"], timeout=30_000)  # pat owns it
        page.screenshot(path=SHOTS / "3-created.png", full_page=True)

        # 3. import a transcript into it by upload ...
        _visit(page, "Import", "Import transcripts")
        page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(files=[
            {"name": "main_p21.txt", "mimeType": "text/plain", "buffer": UPLOAD.encode()}])
        expect(page.get_by_text("main_p21.txt")).to_be_visible()
        settle(page)  # the upload's rerun: a click during it can be lost
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_text("1 imported, 0 skipped, 0 failed")).to_be_visible(timeout=60_000)
        page.screenshot(path=SHOTS / "4-imported.png")

        # ... and code a passage with the mouse, with a code from the copied codebook
        _visit(page, "Code")
        page.locator("[data-testid='qcs-root'][data-ready]").wait_for()
        _drag(page, PHRASE)
        start = UPLOAD.index(PHRASE)
        expect(page.get_by_text(f"Selected ({start}–{start + len(PHRASE)})")).to_be_visible()
        settle(page)  # the selection's rerun redraws the box: typing during it can be lost
        apply_box = page.locator(".st-key-ws_apply [data-testid='stMultiSelect']")  # not "Codes shown"
        apply_box.click()
        page.get_by_role("option").first.wait_for()  # the options are there before typing
        page.keyboard.type("Scholarships and stipends")
        page.get_by_role("option").filter(has_text="Scholarships and stipends").first.wait_for()
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        expect(apply_box.get_by_text("Scholarships and stipends")).to_be_visible(timeout=30_000)
        settle(page)
        page.get_by_role("button", name=re.compile(r"^Apply")).click()
        expect(page.get_by_text(f"Coded {PHRASE!r}")).to_be_visible(timeout=30_000)
        page.screenshot(path=SHOTS / "5-coded.png")
        db = Database(path)
        try:
            main_study = db.use("Main study")
            coded = [(c.document, c.code, c.coder, c.quote) for c in list_codings(main_study, viewer="root")]
            assert coded == [("main_p21", CODE, "pat", PHRASE)]
            assert [d["name"] for d in list_documents(main_study, viewer="root")] == ["main_p21"]
        finally:
            db.close()

        # 4. back to Pilot: untouched, in the database and on screen
        _pick_project(page, "Pilot")
        _visit(page, "Documents")
        grid = main.get_by_test_id("stDataFrame")
        grid.wait_for()
        page.wait_for_timeout(1000)
        cells = " ".join(grid.locator("td, [role='gridcell']").all_inner_texts())
        assert all(d in cells for d in PILOT_DOCS) and "main_p21" not in cells
        page.screenshot(path=SHOTS / "6-pilot-documents.png", full_page=True)
        _visit(page, "Code")
        page.locator("[data-testid='qcs-root'][data-ready]").wait_for()
        page.locator(".qcs-h").first.wait_for()
        assert PHRASE not in page.locator(".qcs-text").first.inner_text()
        page.screenshot(path=SHOTS / "7-pilot-code.png")
        assert fingerprint(path, "Pilot") == pilot_before
        assert page.evaluate("new URLSearchParams(location.search).get('project')") == "Pilot"
        assert _problems(page) == []


def test_a_person_who_owns_one_project_and_views_another(server):
    from playwright.sync_api import expect

    url, _path = server
    with chromium_page(url, width=1400, height=1000) as page:
        _log_in(page, "pat")
        _pick_project(page, "Pilot")
        expect(_pages(page)).to_have_text(ROLE_PAGES["owner"], timeout=30_000)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("Signed in as pat (owner)")).to_be_visible()
        expect(sidebar.get_by_text("Project settings")).to_be_visible()
        _visit(page, "Members")
        assert _problems(page) == []

        _pick_project(page, "Teaching")
        expect(_pages(page)).to_have_text(ROLE_PAGES["viewer"], timeout=30_000)
        expect(sidebar.get_by_text("Signed in as pat (viewer)")).to_be_visible()
        expect(sidebar.get_by_text("Project settings")).to_have_count(0)
        for name in ROLE_PAGES["viewer"]:
            _visit(page, name, {"Import": "Import transcripts"}.get(name))
            assert _problems(page) == [], name
        _visit(page, "Projects")
        expect(page.get_by_text("Manage this project")).to_have_count(0)  # not hers to manage
        page.wait_for_timeout(1000)
        page.screenshot(path=SHOTS / "8-teaching-as-viewer.png", full_page=True)
        deadline = time.time() + 30
        while True:  # the grid fills its accessible cells just after it is attached
            cells = page.get_by_test_id("stDataFrame").locator("td, [role='gridcell']").all_inner_texts()
            if cells or time.time() > deadline:
                break
            page.wait_for_timeout(250)
        assert "Teaching" in cells and "viewer" in cells and "owner" in cells
