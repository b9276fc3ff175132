"""``qualcode attributes list|group|regroup|ungroup`` on both engines: text and JSON output, the
mapping from ``--map`` pairs and files, refusals on stderr with exit status 1 and the database
untouched, and the help's example run for real."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from test_attribute_groups import EXPECTED, PARTICIPANTS, STAKEHOLDERS

from qualcode.cli import main
from qualcode.cli.attributes import attributes_cmd, group_cmd
from qualcode.project import attribute_groups as ag
from qualcode.project.documents import apply_attributes
from qualcode.project.participants import parse_attributes
from qualcode.store.db import Database

PAIRS = [arg for value, group in STAKEHOLDERS.items() for arg in ("--map", f"{value}={group}")]


@pytest.fixture
def cli(db_url, monkeypatch):
    """``cli(*args, expect=0)`` → result, on a database holding the sample's participants."""
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    db = Database(db_url)
    apply_attributes(db, parse_attributes(PARTICIPANTS.read_bytes(), "participants.csv"))
    db.close()
    runner = CliRunner()

    def invoke(*args, expect=0):
        result = runner.invoke(main, ["--db", db_url, *args], catch_exceptions=False)
        assert result.exit_code == expect, result.output + result.stderr
        return result

    invoke.url = db_url
    return invoke


def _groupings(url: str, viewer: str | None = None) -> list[dict]:
    db = Database(url)
    try:
        return ag.list_groupings(db, viewer=viewer)
    finally:
        db.close()


def test_group_list_regroup_and_ungroup(cli):
    out = cli("attributes", "group", "stakeholder group", "--from", "role", *PAIRS).output
    assert out == ("grouped role into 'stakeholder group' (12 participants):\n"
                   "  Leadership and faculty (5): program director, designated institutional official, faculty\n"
                   "  Administrators and coordinators (4): GME administrator, program coordinator\n"
                   "  Trainees (3): visiting medical student, IMG\n")
    listed = cli("attributes", "list").output.splitlines()
    assert listed[0] == ("role (text, 12 participants): designated institutional official (1), faculty (2), "
                         "GME administrator (2), IMG (2), program coordinator (2), program director (2), "
                         "visiting medical student (1)")
    assert listed[-4:] == ["stakeholder group (grouped from role, 12 participants):",
                           "  Leadership and faculty (5): program director, designated institutional official, faculty",
                           "  Administrators and coordinators (4): GME administrator, program coordinator",
                           "  Trainees (3): visiting medical student, IMG"]
    data = json.loads(cli("attributes", "list", "--json").output)
    derived = next(a for a in data if a["name"] == "stakeholder group")
    assert (derived["grouped_from"], derived["mapping"], derived["values"]["Trainees"]) == ("role", STAKEHOLDERS, 3)
    assert next(a for a in data if a["name"] == "role")["mapping"] is None
    out = cli("attributes", "regroup", "stakeholder group", *PAIRS[:-2], "--map", "IMG=IMGs").output
    assert out.splitlines()[0] == "regrouped 'stakeholder group' from role: 2 participant(s) changed"
    view = json.loads(cli("attributes", "regroup", "stakeholder group", "--json").output)
    assert view["changed"] == 0 and view["mapping"]["IMG"] == "IMGs"
    assert cli("attributes", "ungroup", "stakeholder group").output == (
        "removed 'stakeholder group' (grouped from role, 12 participants)\n")
    assert _groupings(cli.url) == []


def test_the_help_example_runs_as_written(cli):
    example = group_cmd.epilog.split("\n  qualcode ", 1)[1].replace("\\\n", " ")
    args = [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', example)][2:]  # after "attributes group"
    view = json.loads(cli("attributes", "group", *args, "--json").output)
    assert {g["name"]: g["participants"] for g in view["groups"]} == {
        "Leadership and faculty": 5, "Trainees": 3, "Administrators and coordinators": 4}
    db = Database(cli.url)
    try:
        rows = ag.participant_table(db)["rows"]
    finally:
        db.close()
    assert {r["participant"]: r["values"]["stakeholder group"] for r in rows} == EXPECTED


def test_map_files_and_pairs_together(cli, tmp_path):
    mapping = tmp_path / "stakeholders.yaml"
    mapping.write_text("Leadership and faculty: [program director, designated institutional official, faculty]\n"
                       "Administrators and coordinators: [GME administrator, program coordinator]\n",
                       encoding="utf-8")
    view = json.loads(cli("attributes", "group", "stakeholder group", "--from", "role", "--map-file", str(mapping),
                          "--map", "IMG=Trainees", "--map", "visiting medical student=Trainees", "--json").output)
    assert view["mapping"] == STAKEHOLDERS and view["participants"] == 12
    table = tmp_path / "stakeholders.csv"
    table.write_text("role,stakeholder group\nfaculty,Faculty\n", encoding="utf-8")
    result = cli("attributes", "group", "faculty or not", "--from", "role", "--map-file", str(table),
                 "--map", "faculty=Staff", expect=1)
    assert result.stderr == ("Error: 'faculty' is mapped to 'Faculty' in stakeholders.csv and to 'Staff' by "
                             "--map; keep one\n")


@pytest.mark.parametrize("args,message", [
    (["group", "x", "--from", "rol", *PAIRS], "Error: no participant attribute 'rol'. Did you mean: role?"),
    (["group", "x", "--from", "role", *PAIRS[:-2]],
     "Error: 1 value of 'role' has no group: 'IMG' (2 participants). Give each one a group, or name one "
     "group for all the rest (the CLI's --other GROUP)"),
    (["group", "x", "--from", "role", *PAIRS, "--map", "program directr=X"],
     "Error: no participant has role = 'program directr' (did you mean 'program director'?)"),
    (["group", "x", "--from", "role", "--map", "faculty"], "Error: --map: 'faculty' has no '='."),
    (["group", "role", "--from", "role", *PAIRS], "Error: an attribute named 'role' exists already"),
    (["regroup", "role"], "Error: 'role' is an attribute of its own (imported), not a grouping"),
    (["ungroup", "stakeholder group"], "Error: no participant attribute 'stakeholder group'"),
], ids=["unknown", "unmapped", "typo", "no-equals", "taken", "regroup-imported", "ungroup-unknown"])
def test_refusals_go_to_stderr_and_change_nothing(cli, args, message):
    before = cli("attributes", "list", "--json").output
    result = cli("attributes", *args, expect=1)
    assert result.stderr.startswith(message) and not result.stdout
    assert cli("attributes", "list", "--json").output == before


def test_with_accounts_only_owners_group(cli, monkeypatch):
    from qualcode.team.accounts import add_account

    db = Database(cli.url)
    add_account(db, "olga", "olga-password", role="admin")
    add_account(db, "vera", "vera-password", role="viewer", actor="olga")
    db.close()
    monkeypatch.setenv("QUALCODE_USER", "vera")
    result = cli("attributes", "group", "stakeholder group", "--from", "role", *PAIRS, expect=1)
    assert "'vera' is a viewer in this project and may not manage the project" in result.stderr
    assert json.loads(cli("attributes", "list", "--json").output)  # viewers read
    monkeypatch.setenv("QUALCODE_USER", "olga")
    cli("attributes", "group", "stakeholder group", "--from", "role", *PAIRS)
    assert [g["name"] for g in _groupings(cli.url, "olga")] == ["stakeholder group"]


def test_every_command_has_help():
    for name, command in attributes_cmd.commands.items():
        assert command.help and command.short_help, name
    assert "qualcode attributes group \"stakeholder group\" --from role" in group_cmd.epilog
