"""`qualcode stats …` and `qualcode export excerpts` on the hand-built project."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from qualcode.analysis.synthetic import hand_project
from qualcode.cli import analysis as cli_analysis
from qualcode.cli import main
from qualcode.store.db import Database


@pytest.fixture
def hand_path(tmp_path):
    path = tmp_path / "hand.db"
    db = Database(path)
    hand_project(db)
    db.close()
    return str(path)


def run(path, *args):
    return CliRunner().invoke(main, ["--db", path, *args], catch_exceptions=False)


def test_frequencies_json_and_csv(hand_path):
    out = json.loads(run(hand_path, "stats", "frequencies", "--format", "json").output)
    assert out["coders"] == "pooled (ana, ben)" and out["by"] is None
    assert out["rows"][0] == {"code": "Barriers", "depth": 0, "codings": 5, "documents": 1,
                              "participants": 1, "words": 6}
    csv_out = run(hand_path, "stats", "frequencies", "--by", "attribute:role", "--no-rollup").output
    assert csv_out.splitlines()[:2] == ["code,depth,role,codings,documents,participants,words",
                                        "Barriers/A,1,faculty,3,1,1,3"]


def test_cooccurrence_json_shape(hand_path):
    out = json.loads(run(hand_path, "stats", "cooccurrence", "--unit", "sentence", "--format", "json").output)
    assert out == {"unit": "sentence", "measure": "count", "coders": "pooled (ana, ben)",
                   "codes": ["Barriers/A", "Barriers/B", "Enablers/C"],
                   "matrix": [[2, 1, 1], [1, 2, 1], [1, 1, 4]]}
    one = json.loads(run(hand_path, "stats", "cooccurrence", "--unit", "sentence", "--coder", "ana",
                         "--measure", "jaccard", "--format", "json").output)
    assert one["coders"] == "ana" and one["matrix"][0] == [1.0, 1 / 3, 0.0]


def test_errors_are_specific(hand_path):
    r = CliRunner().invoke(main, ["--db", hand_path, "stats", "cooccurrence", "--coder", "zoe"])
    assert r.exit_code == 1 and "no coder 'zoe' (coders: ana, ben)" in r.output
    r = CliRunner().invoke(main, ["--db", hand_path, "export", "excerpts", "--format", "xlsx"])
    assert r.exit_code == 1 and "give -o FILE" in r.output


@pytest.mark.parametrize("fmt, check", [
    ("csv", lambda b: b.startswith(b"document,participant,role,") and b"\r\n" in b),
    ("json", lambda b: json.loads(b)[0]["excerpt"] == "One two."),
    ("md", lambda b: b.startswith(b"# Coded excerpts")),
    ("xlsx", lambda b: b[:2] == b"PK"),
    ("docx", lambda b: b[:2] == b"PK"),
])
def test_export_excerpts_formats(hand_path, tmp_path, fmt, check):
    target = tmp_path / f"out.{fmt}"
    r = run(hand_path, "export", "excerpts", "--format", fmt, "-o", str(target), "--code", "Barriers/A",
            "--coder", "ana")
    assert r.exit_code == 0 and "wrote 3 excerpts" in r.output
    assert check(target.read_bytes())


@pytest.mark.parametrize("interchange_first", [True, False])
def test_export_group_holds_excerpts_and_qdpx_in_either_registration_order(interchange_first):
    from qualcode.cli import interchange

    group = click.Group("qualcode")
    steps = [interchange.register, cli_analysis.register]
    for step in steps if interchange_first else steps[::-1]:
        step(group)
    assert {"excerpts", "qdpx"} <= set(group.commands["export"].commands)
    assert {"excerpts", "qdpx"} <= set(main.commands["export"].commands)
    assert "stats" in group.commands
