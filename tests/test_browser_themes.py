"""The Themes page in a real browser: `streamlit run app.py` + Playwright + Debian's Chromium.

Journey: on the sample project with a stakeholder grouping of roles (role → "Leadership and
faculty", "Program administration", "Trainees and IMGs") and a few starred key quotes, a
researcher opens Themes, groups participants by stakeholder group, takes the codebook levels as
rows (barriers and enablers apart), reads the table, downloads its DOCX and the chart's SVG.
The DOCX is opened with python-docx and compared cell by cell with the library's table; the
SVG is measured by Chromium itself (every theme label inside the image). Screenshots go to
test-artifacts/browser-themes/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import chromium_page, menu_link, settle, streamlit_server
from sqlalchemy import select

from qualcode.analysis.data import load
from qualcode.analysis.themes import theme_table
from qualcode.coding.key_quotes import set_key_quote
from qualcode.project.attribute_groups import group_attribute
from qualcode.project.sample import load_sample
from qualcode.store.db import Database
from qualcode.store.models import Code, Coder, Coding

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "browser-themes"
pytestmark = pytest.mark.browser
STAKEHOLDERS = {"program director": "Leadership and faculty", "faculty": "Leadership and faculty",
                "designated institutional official": "Leadership and faculty",
                "GME administrator": "Program administration", "program coordinator": "Program administration",
                "IMG": "Trainees and IMGs", "visiting medical student": "Trainees and IMGs"}


def _star_first(db: Database, code: str, coder: str) -> int:
    """Star ``coder``'s first coding of ``code`` (a code name); its id."""
    with db.session() as s:
        coding_id = s.scalars(select(Coding.id).join(Code).join(Coder).where(
            Code.name == code, Coder.name == coder).order_by(Coding.document_id, Coding.start)).first()
    set_key_quote(db, coding_id, True, actor=coder, record=False)
    return coding_id


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "themes.db"
    db = Database(path)
    load_sample(db)
    group_attribute(db, "role", "stakeholder group", STAKEHOLDERS, actor="lead", record=False)
    _star_first(db, "Costs borne by trainees", "ana")
    _star_first(db, "No fitting visa category", "ben")
    expected = theme_table(load(db), by="attribute:stakeholder group", level=True, per_branch=True)
    db.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    return path, expected


def test_stakeholder_table_docx_and_chart_labels(project, tmp_path):
    from docx import Document
    from playwright.sync_api import expect

    path, expected = project
    assert expected.sizes == {"Leadership and faculty": 5, "Program administration": 4, "Trainees and IMGs": 3}
    with streamlit_server("app.py", tmp_path / "streamlit.log", QUALCODE_DB=str(path)) as url, \
            chromium_page(url, accept_downloads=True, width=1500, height=1100) as page:
        page.get_by_role("heading", name="Home").wait_for(timeout=120_000)
        settle(page)
        menu_link(page, "Themes").click()
        page.get_by_role("heading", name="Themes").wait_for()
        page.get_by_test_id("stSelectbox").filter(has_text="Columns: participants grouped by").click()
        page.get_by_role("option", name="stakeholder group").click()
        page.get_by_text("Codebook levels").click()
        expect(page.get_by_text("Rows: code levels within each top-level branch")).to_be_visible()
        page.locator(".st-key-th_docx button").wait_for()
        page.locator(".js-plotly-plot").first.wait_for()
        page.wait_for_timeout(1500)
        page.screenshot(path=SHOTS / "1-themes-page.png", full_page=True)
        page.locator(".js-plotly-plot").first.screenshot(path=SHOTS / "2-themes-chart.png")
        page.locator(".st-key-th_docx").scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / "3-themes-downloads.png")

        with page.expect_download(timeout=120_000) as info:
            page.locator(".st-key-th_docx button").click()
        assert info.value.suggested_filename == "themes-by-stakeholder-group.docx"
        doc = Document(info.value.path())
        cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
        assert cells[0] == ["Theme", "Leadership and faculty (n = 5)", "Program administration (n = 4)",
                            "Trainees and IMGs (n = 3)", "Total (n = 12)"]
        shown = expected.display()
        assert cells[1:] == [list(map(str, row)) for row in shown.itertuples(index=False)]
        assert cells[1][0] == "Barriers · Institutional"
        texts = [p.text for p in doc.paragraphs]
        quotes = [t for t in texts if " · coded by " in t and "starred by" in t]
        assert len(quotes) == 2 and all(t.split(" ")[0].startswith("P") for t in quotes)
        assert any("(Trainees and IMGs)" in t or "(Leadership and faculty)" in t
                   or "(Program administration)" in t for t in quotes)

        with page.expect_download(timeout=120_000) as info:
            page.locator(".st-key-th_svg button").click()
        svg = Path(info.value.path()).read_text(encoding="utf-8")
        (SHOTS / "4-themes-chart.svg").write_text(svg, encoding="utf-8")
        page.set_content(svg)
        boxes = page.evaluate("""() => {
            const svg = document.querySelector('svg');
            const width = svg.width.baseVal.value;
            return [width, [...document.querySelectorAll('.ytick text')].map(t => {
                const b = t.getBBox();
                const m = t.getCTM();
                return [t.textContent, b.x + m.e, b.x + m.e + b.width];
            })];
        }""")
        width, ticks = boxes
        assert sorted(t.strip() for t, _, _ in ticks) == sorted(expected.themes)
        assert all(left >= 0 and right <= width for _, left, right in ticks), ticks
