"""Page-level tests of the Streamlit app with AppTest, against a real SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import html_bodies, open_page
from streamlit.testing.v1 import AppTest

from qualcode.ui import codebook_html, transcript_html

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def app(sample_db, monkeypatch):
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    return at


def _goto(at, page):
    open_page(at, page)
    assert not at.exception
    return at


def test_documents_page_lists_every_sample_interview_with_attributes(app):
    table = _goto(app, "Documents").dataframe[0].value
    assert len(table) >= 12
    assert {"document", "participant", "role", "institution_type", "speakers"} <= set(table.columns)
    assert "P01" in set(table["participant"])


def test_transcript_page_shows_turns_with_speakers_and_timestamps(app):
    at = _goto(app, "Transcript")
    at.selectbox(key="document").set_value("p04_gme_administrator_community").run()
    assert not at.exception
    [page_html] = html_bodies(at)
    assert "Marisol Vega" in page_html and 'class="qc-time">00:00:0' in page_html


def test_codebook_page_shows_the_tree_and_searches_it(app):
    at = _goto(app, "Codebook")
    [tree] = html_bodies(at)
    for name in ("Barriers", "Enablers", "Recommendations", "Program services", "Liability and malpractice"):
        assert f'<span class="qc-name">{name}</span>' in tree
    assert tree.count("<details") >= 40 and tree.count("<dt>Use when</dt>") == tree.count("<details")
    at.text_input(key="code_search").set_value("visa").run()
    [found] = html_bodies(at)
    for expected in ("Visa delays and denials", "Institutional visa expertise", "No fitting visa category"):
        assert f'<span class="qc-name">{expected}</span>' in found
    assert "English and technical language courses" not in found
    [count] = [c.value for c in at.caption if c.value.endswith(" codes")]
    shown, total = map(int, count.split()[0:3:2])
    assert 3 <= shown < total == tree.count("<details")


def test_import_page_imports_an_upload_and_reports_per_file(app):
    at = _goto(app, "Import")
    at.file_uploader(key="uploads").set_value(
        [("new.txt", b"Interviewer: Hi.\nP99: Hello <b>there</b>.\n", "text/plain"),
         ("bad.txt", b"", "text/plain")]
    ).run()
    at.button(key="do_import").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["result"]) == ["imported", "failed"]
    assert "1 imported, 0 skipped, 1 failed" in at.warning[0].value


def test_transcript_text_is_escaped_so_markup_never_runs():
    html = transcript_html([{"speaker": "<i>P</i>", "media_start_seconds": 83.0,
                             "text": "<script>alert(1)</script> & more"}])
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "&lt;i&gt;P&lt;/i&gt;" in html and "00:01:23" in html


def test_codebook_html_escapes_names_and_refuses_odd_colours():
    html = codebook_html([(("A", "<img src=x onerror=alert(1)>"), "red;background:url(x)",
                           {"Definition": "a < b", "Use when": ""})])
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "url(x)" not in html and "background:#999999" in html
    assert "<dt>Use when</dt>" not in html  # empty fields are left out


def test_codebook_editor_adds_renames_merges_and_deletes_with_confirmation(app):
    from qualcode.coding.codebook_edit import CodebookEditError, code_usage
    from qualcode.store.db import Database

    at = _goto(app, "Codebook")
    at.text_input(key="cb_add_name").set_value("Housing").run()
    at.selectbox(key="cb_add_parent").set_value("Barriers/Financial").run()
    at.button(key="cb_do_add").click().run()
    assert not at.exception and r"Code 'Housing' added\." in [s.value for s in at.success]

    at.selectbox(key="cb_edit_path").set_value("Barriers/Financial/Housing").run()
    at.text_input(key="cb_edit_name").set_value("Housing costs").run()
    at.text_area(key="cb_edit_definition").set_value("Rent near the hospital.").run()
    at.button(key="cb_do_save").click().run()
    assert not at.exception

    db = Database(at_db_path(at))
    assert code_usage(db, "Barriers/Financial/Housing costs")["codings"] == 0
    at.selectbox(key="cb_edit_path").set_value("Barriers/Financial/Costs borne by trainees").run()
    count = code_usage(db, "Barriers/Financial/Costs borne by trainees")["codings"]
    assert count > 0
    at.button(key="cb_do_delete").click().run()  # no confirmation typed: refused
    assert any("Type" in e.value for e in at.error)
    assert code_usage(db, "Barriers/Financial/Costs borne by trainees")["codings"] == count
    at.number_input(key="cb_delete_confirm").set_value(count).run()
    at.button(key="cb_do_delete").click().run()
    assert not at.exception
    with pytest.raises(CodebookEditError, match="no code"):
        code_usage(db, "Barriers/Financial/Costs borne by trainees")


def test_a_code_changed_by_someone_else_meanwhile_is_not_overwritten(app):
    from qualcode.coding.codebook_edit import rename_code, update_code
    from qualcode.store.db import Database

    at = _goto(app, "Codebook")
    at.selectbox(key="cb_edit_path").set_value("Enablers/Individual and cultural/Mentorship and networking").run()
    at.text_area(key="cb_edit_definition").set_value("My new definition.").run()
    # Meanwhile a colleague renames the code and changes its colour from their own screen.
    db = Database(at_db_path(at))
    rename_code(db, "Enablers/Individual and cultural/Mentorship and networking", "Mentoring", actor="colleague")
    update_code(db, "Enablers/Individual and cultural/Mentoring", colour="#112233", actor="colleague")
    at.button(key="cb_do_save").click().run()
    assert not at.exception
    assert any("was changed by someone else since you loaded it" in e.value for e in at.error)
    with db.session() as s:
        from qualcode.project.codes import resolve

        code = resolve(s, db.project_id(s), "Enablers/Individual and cultural/Mentoring")
        assert (code.colour, code.definition) == ("#112233", code.definition)
        assert code.definition != "My new definition."
    # The form now shows the colleague's version of the same code; saving from it works.
    assert at.selectbox(key="cb_edit_path").value == "Enablers/Individual and cultural/Mentoring"
    assert at.text_input(key="cb_edit_name").value == "Mentoring"
    at.text_area(key="cb_edit_definition").set_value("My new definition.").run()
    at.button(key="cb_do_save").click().run()
    assert any("saved" in m.value for m in at.success)
    db.close()


def at_db_path(at) -> str:
    import os

    return os.environ["QUALCODE_DB"]


@pytest.mark.parametrize("text,expected", [
    ("It cost $500, then $300.", r"It cost \$500, then \$300\."),
    ("![](http://host/x.png) **b**", r"\!\[\]\(http\://host/x\.png\) \*\*b\*\*"),
    ("a_b <i> # c", r"a\_b \<i\> \# c"),
])
def test_user_text_is_escaped_before_markdown_renders_it(text, expected):
    from qualcode.guards import md_text

    assert md_text(text) == expected
