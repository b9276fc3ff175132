"""The Participants page with AppTest, on a copy of the sample project: the participants ×
attributes table, building the stakeholder grouping with the form, a refusal shown on the page,
Undo/Redo and Remove, and a viewer who sees the table and groupings but no form."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import open_page, page_names
from streamlit.testing.v1 import AppTest
from test_attribute_groups import STAKEHOLDERS

from qualcode.guards import md_text
from qualcode.project import attribute_groups as ag
from qualcode.store.db import Database
from qualcode.ui.participants import map_key

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _open(at: AppTest) -> AppTest:
    open_page(at, "Participants")
    assert not at.exception
    return at


@pytest.fixture
def page(sample_db, monkeypatch):
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    return _open(at)


def _fill(at: AppTest, mapping: dict[str, str], name: str = "stakeholder group") -> AppTest:
    assert at.selectbox(key="pt_source").value == "role"  # the page offers role first when there is one
    at.text_input(key="pt_name").set_value(name)
    for value, group in mapping.items():
        at.text_input(key=map_key("role", value)).set_value(group)
    at.button(key="pt_save").click().run()
    assert not at.exception
    return at


# (AppTest finds dataframes by position: the participants table first, then one per grouping)


def _groupings(path: Path) -> list[dict]:
    db = Database(path)
    try:
        return ag.list_groupings(db)
    finally:
        db.close()


def test_the_table_shows_every_participant_and_attribute(page):
    assert [h.value for h in page.header] == ["Participants"]
    frame = page.dataframe[0].value
    assert list(frame.columns) == ["participant", "documents", "role", "institution_type", "state",
                                  "training_country", "interview_language", "years_in_role"]
    assert len(frame) == 12
    first = frame.iloc[0]
    assert (first["participant"], first["documents"], first["role"]) == (
        "P01", "p01_program_director_internal_medicine", "program director")
    labels = [t.label for t in page.text_input]
    assert f"{md_text('program director')} · 2 participants" in labels  # one box per value, with its count
    assert f"{md_text('designated institutional official')} · 1 participant" in labels


def test_build_the_stakeholder_grouping_then_undo_redo_and_remove_it(page, sample_db):
    at = _fill(page, STAKEHOLDERS)
    assert [s.value for s in at.success] == [md_text(
        "Made 'stakeholder group' from role: Leadership and faculty 5; Administrators and coordinators 4; "
        "Trainees 3. Undo takes it back.")]
    [saved] = _groupings(sample_db.path)
    assert (saved["name"], saved["mapping"]) == ("stakeholder group", STAKEHOLDERS)
    frame = at.dataframe[0].value
    assert frame.set_index("participant").loc["P05", "stakeholder group"] == "Trainees"
    shown = at.dataframe[1].value
    assert shown.to_dict("records")[0] == {"group": "Leadership and faculty", "participants": 5,
                                           "values": "designated institutional official, faculty, program director"}
    assert at.button(key="pt_undo").label == f"Undo: {md_text('group role into stakeholder group')}"
    at.button(key="pt_undo").click().run()
    assert _groupings(sample_db.path) == []
    assert [s.value for s in at.success] == [md_text("Undid: group role into stakeholder group.")]
    at.button(key="pt_redo").click().run()
    assert [g["name"] for g in _groupings(sample_db.path)] == ["stakeholder group"]
    at.button(key="pt_ungroup_0").click().run()
    assert not at.exception and _groupings(sample_db.path) == []
    at.button(key="pt_undo").click().run()
    assert _groupings(sample_db.path)[0]["mapping"] == STAKEHOLDERS


def test_a_value_left_empty_is_refused_and_named_unless_a_group_takes_the_rest(page, sample_db):
    partial = {k: v for k, v in STAKEHOLDERS.items() if k not in ("IMG", "visiting medical student")}
    at = _fill(page, partial)
    assert [e.value for e in at.error] == [md_text(
        "2 values of 'role' have no group: 'IMG' (2 participants), 'visiting medical student' (1 participant). "
        "Give each one a group, or name one group for all the rest (the CLI's --other GROUP)")]
    assert _groupings(sample_db.path) == []
    at.text_input(key="pt_other").set_value("Trainees")
    at.button(key="pt_save").click().run()
    assert not at.error
    assert _groupings(sample_db.path)[0]["groups"][-1] == {
        "name": "Trainees", "participants": 3, "values": ["IMG", "visiting medical student"]}


def test_reapply_after_new_participants(page, sample_db):
    _fill(page, STAKEHOLDERS)
    from qualcode.project.documents import apply_attributes
    from qualcode.project.participants import parse_attributes

    db = Database(sample_db.path)
    apply_attributes(db, parse_attributes(b"participant_id,role\nP13,faculty\n", "more.csv"))
    db.close()
    at = page.run()
    assert any("1 participant(s) no longer follow this grouping" in w.value for w in at.warning)
    at.button(key="pt_regroup_0").click().run()
    assert [s.value for s in at.success] == [md_text("Re-applied 'stakeholder group': 1 participant(s) changed.")]
    assert not at.warning


def test_a_viewer_sees_the_table_and_groupings_but_no_form(sample_db, monkeypatch):
    from qualcode.team.accounts import add_account

    ag.group_attribute(sample_db, "role", "stakeholder group", STAKEHOLDERS, actor="olga")
    add_account(sample_db, "olga", "olga-password", role="admin")
    add_account(sample_db, "vera", "vera-password", role="viewer", actor="olga")
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.text_input(key="login_name").set_value("vera")
    at.text_input(key="login_password").set_value("vera-password")
    next(b for b in at.button if b.label == "Log in").click().run()
    assert "Participants" in page_names(at)
    at = _open(at)
    assert len(at.dataframe[0].value) == 12
    assert at.dataframe[1].value["participants"].tolist() == [5, 4, 3]
    keys = {b.key for b in at.button}
    assert not keys & {"pt_save", "pt_regroup_0", "pt_ungroup_0", "pt_undo"}
    assert not [t for t in at.text_input if t.key and t.key.startswith("pt_")]


def test_hostile_attribute_names_values_and_groups_are_shown_literally(sample_db, monkeypatch):
    from qualcode.project.documents import apply_attributes
    from qualcode.project.participants import parse_attributes

    hostile = "![x](https:evil.example)"
    data = f'participant_id,"{hostile}"\nP01,**b**\nP02,[l](https:evil.example)\n'.encode()
    apply_attributes(sample_db, parse_attributes(data, "hostile.csv"))
    ag.group_attribute(sample_db, hostile, "_grouped_ [l](https:evil.example)",
                       {"**b**": "**bold group**", "[l](https:evil.example)": "`code`"}, actor="olga")
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    monkeypatch.setenv("QUALCODE_USER", "olga")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at = _open(at)
    at.selectbox(key="pt_source").set_value(hostile).run()
    shown = [e.value for kind in ("markdown", "caption", "success", "warning", "error", "subheader")
             for e in getattr(at, kind)]
    shown += [t.label for t in at.text_input] + [b.label for b in at.button]
    raw = ("![x](", "[l](", "**b**", "**bold", "_grouped_")
    assert not [v for v in shown if any(r in str(v) for r in raw)]
    assert at.text_input(key=map_key(hostile, "**b**")).label == f"{md_text('**b**')} · 1 participant"
