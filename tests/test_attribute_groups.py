"""Derived participant attributes (``qualcode.project.attribute_groups``): grouping an attribute's
values into a new attribute, its rules and refusals, undo/redo through the workspace history,
re-applying, removing, the change log, roles, isolation between projects, mapping files, and the
derived values reaching analyses and REFI-QDA exports. Both engines (the ``db`` fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qualcode.coding import undo
from qualcode.project import attribute_groups as ag
from qualcode.project.attribute_mapping import MappingFileError, parse_pairs, read_mapping
from qualcode.project.documents import apply_attributes
from qualcode.project.participants import parse_attributes
from qualcode.store.models import (Attribute, AttributeGrouping, AttributeValue, ChangeLog, EditHistory,
                                   Participant)
from qualcode.team.access import AccessDenied

ROOT = Path(__file__).resolve().parent.parent
PARTICIPANTS = ROOT / "transcripts_sample" / "participants.csv"
#: The sample project's roles as three stakeholder groups (the README's example).
STAKEHOLDERS = {
    "program director": "Leadership and faculty",
    "designated institutional official": "Leadership and faculty",
    "faculty": "Leadership and faculty",
    "GME administrator": "Administrators and coordinators",
    "program coordinator": "Administrators and coordinators",
    "visiting medical student": "Trainees",
    "IMG": "Trainees",
}
#: participant → stakeholder group, from participants.csv by hand
EXPECTED = {"P01": "Leadership and faculty", "P02": "Leadership and faculty", "P03": "Leadership and faculty",
            "P04": "Administrators and coordinators", "P05": "Trainees", "P06": "Trainees",
            "P07": "Leadership and faculty", "P08": "Administrators and coordinators",
            "P09": "Leadership and faculty", "P10": "Administrators and coordinators", "P11": "Trainees",
            "P12": "Administrators and coordinators"}


def _participants(db, data: bytes | None = None, actor: str | None = None) -> None:
    data = data if data is not None else PARTICIPANTS.read_bytes()
    apply_attributes(db, parse_attributes(data, "participants.csv"), filename="participants.csv", actor=actor)


@pytest.fixture
def people(db):
    """A project with the sample's twelve participants and their attributes (no documents)."""
    _participants(db)
    return db


def _values(db, attribute: str) -> dict[str, str]:
    rows = ag.participant_table(db)["rows"]
    return {r["participant"]: r["values"][attribute] for r in rows if attribute in r["values"]}


def _fingerprint(db) -> tuple:
    """Every row a grouping could touch, with its content, and the log and history sizes."""
    with db.session() as s:
        attrs = sorted(s.execute(select(Attribute.guid, Attribute.name, Attribute.type)).all())
        values = sorted(s.execute(select(Participant.guid, Attribute.guid, AttributeValue.value)
                                  .join(Participant, Participant.id == AttributeValue.participant_id)
                                  .join(Attribute, Attribute.id == AttributeValue.attribute_id)).all())
        groupings = sorted(s.execute(select(AttributeGrouping.mapping)).scalars().all())
        counts = (s.scalar(select(func.count()).select_from(ChangeLog)),
                  s.scalar(select(func.count()).select_from(EditHistory)))
    return attrs, values, groupings, counts


def test_group_role_into_stakeholder_groups(people):
    view = ag.group_attribute(people, "role", "stakeholder group", STAKEHOLDERS, actor="olga")
    assert {k: view[k] for k in ("name", "source", "participants", "stale")} == {
        "name": "stakeholder group", "source": "role", "participants": 12, "stale": 0}
    assert view["groups"] == [
        {"name": "Leadership and faculty", "participants": 5,
         "values": ["program director", "designated institutional official", "faculty"]},
        {"name": "Administrators and coordinators", "participants": 4,
         "values": ["GME administrator", "program coordinator"]},
        {"name": "Trainees", "participants": 3, "values": ["visiting medical student", "IMG"]}]
    assert list(view["mapping"]) == list(STAKEHOLDERS)  # the order given is kept
    assert _values(people, "stakeholder group") == EXPECTED
    assert ag.list_groupings(people) == [view]
    listed = {a["name"]: a for a in ag.list_attributes(people)}
    assert listed["stakeholder group"] == {
        "name": "stakeholder group", "type": "text", "participants": 12, "grouped_from": "role",
        "values": {"Administrators and coordinators": 4, "Leadership and faculty": 5, "Trainees": 3}}
    assert listed["role"]["grouped_from"] is None
    assert list(listed["years_in_role"]["values"])[:4] == ["0", "2", "3", "5"]  # numbers by number
    assert ag.participant_table(people)["attributes"][-1] == "stakeholder group"


def test_other_takes_the_rest_and_participants_without_a_value_get_none(people):
    view = ag.group_attribute(people, "training_country", "region", {"Uganda": "Africa", "Nigeria": "Africa"},
                              other="Elsewhere")
    assert view["mapping"] == {"Uganda": "Africa", "Nigeria": "Africa", "Mexico": "Elsewhere",
                               "Philippines": "Elsewhere"}  # the rest listed explicitly
    assert _values(people, "region") == {"P05": "Africa", "P06": "Elsewhere", "P09": "Elsewhere",
                                         "P11": "Africa"}  # the eight without a country get none


@pytest.mark.parametrize("call,message", [
    (lambda db: ag.group_attribute(db, "rol", "x", STAKEHOLDERS), "no participant attribute 'rol'. Did you mean: role?"),
    (lambda db: ag.group_attribute(db, "role", "Role", STAKEHOLDERS), "an attribute named 'role' exists already"),
    (lambda db: ag.group_attribute(db, "role", "x", {**STAKEHOLDERS, "program directr": "L"}),
     "no participant has role = 'program directr' (did you mean 'program director'?)"),
    (lambda db: ag.group_attribute(db, "role", "x", {**STAKEHOLDERS, "Faculty ": "L"}),
     "(did you mean 'faculty'?)"),
    (lambda db: ag.group_attribute(db, "role", "x", {k: v for k, v in STAKEHOLDERS.items() if "program" not in k}),
     "2 values of 'role' have no group: 'program coordinator' (2 participants), 'program director' (2 participants)"),
    (lambda db: ag.group_attribute(db, "role", "x", {}), "the mapping is empty"),
    (lambda db: ag.group_attribute(db, "role", "x", {**STAKEHOLDERS, "IMG": "  "}), "the group of 'IMG' is empty"),
    (lambda db: ag.group_attribute(db, "role", " ", STAKEHOLDERS), "the new attribute's name is empty"),
    (lambda db: ag.group_attribute(db, "role", "a\nb", STAKEHOLDERS), "contains a line break"),
    (lambda db: ag.group_attribute(db, "role", "x" * 201, STAKEHOLDERS), "at most 200 characters"),
    (lambda db: ag.group_attribute(db, "role", "x", {"faculty": "A", " faculty": "B"}), "'faculty' is mapped twice"),
    (lambda db: ag.regroup(db, "role"), "'role' is an attribute of its own (imported), not a grouping"),
    (lambda db: ag.ungroup(db, "stakeholder"), "no participant attribute 'stakeholder'"),
], ids=["unknown-source", "name-taken", "typo", "case", "unmapped", "empty", "empty-group", "empty-name",
        "line-break", "too-long", "twice", "regroup-imported", "ungroup-unknown"])
def test_refusals_say_what_to_do_and_change_nothing(people, call, message):
    before = _fingerprint(people)
    with pytest.raises(ag.GroupingError) as caught:
        call(people)
    assert message in str(caught.value)
    assert _fingerprint(people) == before


def test_no_attributes_yet_says_to_import_them(db):
    with pytest.raises(ag.GroupingError, match=r"has none yet; import a participants CSV first"):
        ag.group_attribute(db, "role", "x", STAKEHOLDERS)


def test_undo_and_redo_a_grouping_exactly(people):
    start = _fingerprint(people)
    view = ag.group_attribute(people, "role", "stakeholder group", STAKEHOLDERS, actor="olga")
    made = _fingerprint(people)
    assert undo.peek(people, "olga") == {"undo": "group role into stakeholder group", "redo": None}
    assert undo.undo(people, "olga") == "Undid: group role into stakeholder group"
    assert _fingerprint(people)[:3] == start[:3]
    assert undo.redo(people, "olga") == "Redid: group role into stakeholder group"
    assert _fingerprint(people)[:3] == made[:3]  # the same guid, name and values
    assert ag.list_groupings(people)[0]["guid"] == view["guid"]
    # a removal comes back exactly too
    ag.ungroup(people, "stakeholder group", actor="olga")
    assert ag.list_groupings(people) == []
    assert undo.undo(people, "olga") == "Undid: ungroup stakeholder group (grouped from role)"
    assert _fingerprint(people)[:3] == made[:3]
    # and a change of mapping
    changed = ag.regroup(people, "stakeholder group", {**STAKEHOLDERS, "IMG": "IMGs"}, actor="olga")
    assert changed["changed"] == 2 and _values(people, "stakeholder group")["P06"] == "IMGs"
    assert undo.undo(people, "olga") == "Undid: regroup stakeholder group (2 participants changed)"
    assert _fingerprint(people)[:3] == made[:3]
    # the history is per actor: someone else's undo does not reach it
    assert undo.undo(people, "ben") is None


def test_undo_refuses_when_the_values_were_changed_since(people):
    ag.group_attribute(people, "role", "stakeholder group", STAKEHOLDERS, actor="olga")
    _participants(people, b"participant_id,stakeholder group\nP01,Visitors\n")  # edited by a CSV import
    before = _fingerprint(people)
    with pytest.raises(undo.EditConflict, match="was changed since"):
        undo.undo(people, "olga")
    assert _fingerprint(people) == before  # nothing moved, the history neither
    assert undo.peek(people, "olga")["undo"] == "group role into stakeholder group"


def test_regroup_follows_new_participants_and_refuses_new_values(people):
    ag.group_attribute(people, "role", "stakeholder group", STAKEHOLDERS)
    _participants(people, b"participant_id,role\nP13,program director\n")
    assert ag.list_groupings(people)[0]["stale"] == 1
    view = ag.regroup(people, "stakeholder group")
    assert (view["changed"], view["stale"], _values(people, "stakeholder group")["P13"]) == (
        1, 0, "Leadership and faculty")
    assert ag.regroup(people, "stakeholder group")["changed"] == 0  # nothing to do, nothing recorded
    _participants(people, b"participant_id,role\nP14,resident\n")
    with pytest.raises(ag.GroupingError, match="1 value of 'role' has no group: 'resident' \\(1 participant\\)"):
        ag.regroup(people, "stakeholder group")
    view = ag.regroup(people, "stakeholder group", other="Trainees")
    assert view["mapping"]["resident"] == "Trainees" and _values(people, "stakeholder group")["P14"] == "Trainees"


def test_a_grouping_of_a_grouping_must_go_first(people):
    ag.group_attribute(people, "role", "stakeholder group", STAKEHOLDERS)
    ag.group_attribute(people, "stakeholder group", "trainee or staff",
                       {"Trainees": "trainee"}, other="staff")
    with pytest.raises(ag.GroupingError, match="'trainee or staff' is grouped from 'stakeholder group'; "
                                               "ungroup 'trainee or staff' first"):
        ag.ungroup(people, "stakeholder group")
    ag.ungroup(people, "trainee or staff")
    ag.ungroup(people, "stakeholder group")
    assert ag.list_groupings(people) == []


def test_every_change_is_in_the_change_log(people):
    ag.group_attribute(people, "role", "stakeholder group", STAKEHOLDERS, actor="olga")
    ag.regroup(people, "stakeholder group", {**STAKEHOLDERS, "IMG": "IMGs"}, actor="olga")
    ag.ungroup(people, "stakeholder group", actor="olga")
    undo.undo(people, "olga")
    with people.session() as s:
        rows = s.execute(select(ChangeLog.actor, ChangeLog.action, ChangeLog.detail)
                         .where(ChangeLog.entity == "attribute_grouping").order_by(ChangeLog.id)).all()
    assert [(a, act) for a, act, _d in rows] == [("olga", "create"), ("olga", "update"), ("olga", "delete"),
                                                 ("olga", "create")]
    first = json.loads(rows[0][2])
    assert (first["name"], first["source"], first["participants"], first["edit"]) == (
        "stakeholder group", "role", 12, "group attribute")
    assert json.loads(rows[-1][2])["edit"] == "undo ungroup attribute"


def test_only_those_who_may_change_attributes_may_group(people):
    from qualcode.project.projects import archive_project, unarchive_project
    from qualcode.team.accounts import add_account

    add_account(people, "olga", "olga-password", role="admin")
    add_account(people, "ana", "ana-password", role="coder", actor="olga")
    add_account(people, "vera", "vera-password", role="viewer", actor="olga")
    before = _fingerprint(people)
    for who in ("ana", "vera", None):
        with pytest.raises(AccessDenied):
            ag.group_attribute(people, "role", "stakeholder group", STAKEHOLDERS, actor=who or "")
    assert _fingerprint(people) == before
    assert ag.list_groupings(people, viewer="vera") == []  # reading is for every member
    with pytest.raises(AccessDenied):
        ag.list_attributes(people, viewer="stranger")
    ag.group_attribute(people, "role", "stakeholder group", STAKEHOLDERS, actor="olga")
    with pytest.raises(AccessDenied):
        ag.ungroup(people, "stakeholder group", actor="ana")
    archive_project(people, actor="olga")
    with pytest.raises(AccessDenied, match="archived"):
        ag.ungroup(people, "stakeholder group", actor="olga")
    unarchive_project(people, actor="olga")
    ag.ungroup(people, "stakeholder group", actor="olga")


def test_another_project_is_untouched(people):
    from qualcode.project.projects import create_project

    create_project(people, "Second")
    first, second = people.use("qualcode project"), people.use("Second")
    _participants(second)
    before = _fingerprint_of(second)
    ag.group_attribute(first, "role", "stakeholder group", STAKEHOLDERS)
    ag.regroup(first, "stakeholder group", {**STAKEHOLDERS, "IMG": "IMGs"})
    assert _fingerprint_of(second) == before and ag.list_groupings(second) == []
    ag.group_attribute(second, "role", "stakeholder group", {**STAKEHOLDERS, "faculty": "Faculty"})
    assert _values(first, "stakeholder group")["P03"] == "Leadership and faculty"
    assert _values(second, "stakeholder group")["P03"] == "Faculty"


def _fingerprint_of(db) -> tuple:
    return (ag.participant_table(db), ag.list_attributes(db))


# -- mapping files and pairs ---------------------------------------------------------------------------


def test_mapping_files_in_csv_and_both_yaml_forms():
    csv_data = "role,stakeholder group\nprogram director,Leadership and faculty\nIMG,Trainees\n".encode()
    assert read_mapping(csv_data, "map.csv") == {"program director": "Leadership and faculty", "IMG": "Trainees"}
    by_value = b"program director: Leadership and faculty\n'IMG': Trainees\n"
    by_group = b"Leadership and faculty: [program director]\nTrainees:\n  - IMG\n"
    assert read_mapping(by_value, "map.yaml") == read_mapping(by_group, "map.yml") == {
        "program director": "Leadership and faculty", "IMG": "Trainees"}
    assert read_mapping(b"10: ten or more\n1.50: 'x'\n", "n.yaml") == {"10": "ten or more", "1.50": "x"}  # all text
    assert parse_pairs(["a=b=c", " faculty = Leadership and faculty "]) == {
        "a": "b=c", "faculty": "Leadership and faculty"}


@pytest.mark.parametrize("name,data,line,reason", [
    ("map.csv", b"value,group\nIMG,Trainees\nIMG,Other\n", 3, "'IMG' is mapped to 'Trainees' and to 'Other'"),
    ("map.csv", b"value,group,extra\nIMG,Trainees,x\n", 1, "the header has 3 columns"),
    ("map.csv", b"value,group\nIMG,\n", 2, "a value or its group is empty"),
    ("map.csv", b"value,group\n", None, "the file maps no value"),
    ("map.yaml", b"a: [b\n", 2, "the YAML is not valid"),
    ("map.yaml", b"- a\n", None, "the file holds no mapping"),
    ("map.yaml", b"a:\n  b: c\n", None, "'a' maps to a nested mapping"),
    ("map.xlsx", b"PK", None, "mappings cannot be read from .xlsx files"),
])
def test_mapping_file_errors_name_the_file_and_line(name, data, line, reason):
    with pytest.raises(MappingFileError) as caught:
        read_mapping(data, name)
    assert (caught.value.filename, caught.value.line, reason in caught.value.reason) == (name, line, True)
    assert caught.value.hint


def test_a_pair_without_equals_is_refused():
    with pytest.raises(MappingFileError, match="'faculty' has no '='"):
        parse_pairs(["faculty"])


# -- derived values are ordinary attribute values: analyses and exports see them --------------------


def test_analyses_and_refi_exports_see_the_grouping(sample_db):
    from qualcode.analysis.data import load
    from qualcode.refi.store import export_project

    ag.group_attribute(sample_db, "role", "stakeholder group", STAKEHOLDERS)
    data = load(sample_db)
    groups = data.attributes["stakeholder group"].value_counts().to_dict()
    assert groups == {"Leadership and faculty": 5, "Administrators and coordinators": 4, "Trainees": 3}
    filtered = load(sample_db, attributes={"stakeholder group": ["Trainees"]})
    assert set(filtered.documents["participant"]) == {"P05", "P06", "P11"}
    project = export_project(sample_db)
    assert "stakeholder group" in [v.name for v in project.variables]


def test_a_project_backup_carries_the_grouping_and_it_keeps_working(people, tmp_path):
    from qualcode.project.projects import backup_project, restore_project

    ag.group_attribute(people, "role", "stakeholder group", STAKEHOLDERS)
    out = backup_project(people, tmp_path / "one.db")
    restore_project(people, out["output"], name="Copy")
    copy = people.use("Copy")
    [restored] = ag.list_groupings(copy)
    [original] = ag.list_groupings(people.use("qualcode project"))
    assert {k: restored[k] for k in ("name", "source", "mapping", "groups", "stale")} == {
        k: original[k] for k in ("name", "source", "mapping", "groups", "stale")}
    assert ag.regroup(copy, "stakeholder group", {**STAKEHOLDERS, "IMG": "IMGs"})["changed"] == 2
    assert ag.ungroup(copy, "stakeholder group")["name"] == "stakeholder group"


def test_values_match_whatever_unicode_form_the_csv_used(db):
    _participants(db, "participant_id,site\nP1,Cafe\u0301 clinic\nP2,Hospital\n".encode())  # NFD, as macOS writes
    view = ag.group_attribute(db, "site", "setting", {"Caf\u00e9 clinic": "Clinics", "Hospital": "Hospitals"})
    assert _values(db, "setting") == {"P1": "Clinics", "P2": "Hospitals"} and view["stale"] == 0
