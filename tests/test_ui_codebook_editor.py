"""The codebook editor keeps its place: after Save, Move, Merge or Delete it stays on the "Edit a
code" tab with the code now being edited selected, and the delete confirmation is recomputed for
that code (never a stale "Deleting Barriers removes … codings" after a merge)."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import open_page
from streamlit.testing.v1 import AppTest

from qualcode.coding.codebook_edit import code_usage

APP = str(Path(__file__).resolve().parent.parent / "app.py")
COSTS = "Barriers/Financial/Costs borne by trainees"


@pytest.fixture
def at(sample_db, monkeypatch):
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    app = AppTest.from_file(APP, default_timeout=90).run()
    open_page(app, "Codebook")
    assert not app.exception
    app.db = sample_db
    return app


def _delete_warning(at) -> str:
    [warning] = [w.value for w in at.warning if w.value.startswith("Deleting ")]
    return warning


def _on_edit_tab(at, path: str) -> None:
    assert not at.exception
    assert at.session_state["cb_tab"] == "Edit a code"
    assert at.selectbox(key="cb_edit_path").value == path
    usage = code_usage(at.db, path)
    assert _delete_warning(at).startswith(
        f"Deleting {path} removes {usage['children']} codes below it and "
        f"{usage['codings']} codings in {usage['documents']} documents")
    assert at.number_input(key="cb_delete_confirm").value is None


def test_the_tabs_keep_their_choice_in_the_session(at):
    assert at.session_state["cb_tab"] == "Add a code"
    assert [t.label for t in at.tabs] == ["Add a code", "Edit a code"]


def test_save_stays_on_the_code_being_edited(at):
    at.selectbox(key="cb_edit_path").set_value(COSTS).run()
    at.text_input(key="cb_edit_name").set_value("Costs to trainees").run()
    at.button(key="cb_do_save").click().run()
    assert any("saved" in s.value for s in at.success)
    _on_edit_tab(at, "Barriers/Financial/Costs to trainees")
    assert at.text_input(key="cb_edit_name").value == "Costs to trainees"


def test_merge_shows_the_code_the_codings_went_to_with_its_own_numbers(at):
    at.selectbox(key="cb_edit_path").set_value(COSTS).run()
    at.number_input(key="cb_delete_confirm").set_value(7).run()  # typed for the source
    at.selectbox(key="cb_merge_target").set_value("Barriers/Financial").run()
    at.button(key="cb_do_merge").click().run()
    assert any("merged into Barriers/Financial" in s.value for s in at.success)
    _on_edit_tab(at, "Barriers/Financial")
    assert not _delete_warning(at).startswith("Deleting Barriers removes")
    assert at.selectbox(key="cb_merge_target").value is None


def test_move_stays_on_the_moved_code_under_its_new_path(at):
    at.selectbox(key="cb_edit_path").set_value(COSTS).run()
    at.selectbox(key="cb_move_parent").set_value("(top level)").run()
    at.button(key="cb_do_move").click().run()
    assert any("moved under" in s.value for s in at.success)
    _on_edit_tab(at, "Costs borne by trainees")


def test_delete_shows_the_parent_and_recomputes_the_confirmation(at):
    at.selectbox(key="cb_edit_path").set_value(COSTS).run()
    count = code_usage(at.db, COSTS)["codings"]
    at.number_input(key="cb_delete_confirm").set_value(count).run()
    at.button(key="cb_do_delete").click().run()
    assert any("deleted" in s.value for s in at.success)
    _on_edit_tab(at, "Barriers/Financial")


def test_a_typed_confirmation_does_not_follow_to_another_code(at):
    at.selectbox(key="cb_edit_path").set_value(COSTS).run()
    at.number_input(key="cb_delete_confirm").set_value(3).run()
    at.selectbox(key="cb_edit_path").set_value("Barriers/Financial").run()
    assert at.number_input(key="cb_delete_confirm").value is None


def test_a_refused_delete_stays_on_the_edit_tab(at):
    at.selectbox(key="cb_edit_path").set_value(COSTS).run()
    at.button(key="cb_do_delete").click().run()
    assert any("Type" in e.value for e in at.error)
    assert at.session_state["cb_tab"] == "Edit a code"
    assert at.selectbox(key="cb_edit_path").value == COSTS
