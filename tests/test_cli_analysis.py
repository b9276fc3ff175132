"""`qualcode stats …` and `qualcode export excerpts` on the hand-built projects (SQLite and
PostgreSQL); every number is derived by hand from the offsets in qualcode.analysis.synthetic."""

from __future__ import annotations

import csv
import io
import json

import click
import pytest
from click.testing import CliRunner

from qualcode.analysis.synthetic import hand_project, two_coders_project
from qualcode.cli import analysis as cli_analysis
from qualcode.cli import main
from qualcode.store.db import Database

HAND_SET = "coders ana, ben (as passages)"  # no consensus layer: both coders, as passages


@pytest.fixture
def hand_path(db_url):
    db = Database(db_url)
    hand_project(db)
    db.close()
    return str(db_url)


@pytest.fixture
def two_path(db_url):
    db = Database(db_url)
    two_coders_project(db)
    db.close()
    return str(db_url)


def run(path, *args):
    return CliRunner().invoke(main, ["--db", path, *args], catch_exceptions=False)


def test_frequencies_json_gives_passages_codings_documents_participants_words_and_the_set(hand_path):
    out = json.loads(run(hand_path, "stats", "frequencies", "--format", "json").stdout)
    assert out["set"]["kind"] == "coders" and out["set"]["coders"] == ["ana", "ben"]
    assert out["set"]["note"].startswith("No consensus layer yet")  # the default was used: say why
    assert out["coders"] == HAND_SET and out["by"] is None
    # Barriers: ana's A 3-11, A 12-17 ⊃ A 13-16 (one passage), B 11-23, B 37-49 → 4 passages of
    # 5 codings, all in d1 (P1); words One two. Three four. Seven eight. → 6
    assert out["rows"][0] == {"code": "Barriers", "depth": 0, "passages": 4, "codings": 5, "documents": 1,
                              "participants": 1, "words": 6}
    one = json.loads(run(hand_path, "stats", "frequencies", "--set", "coder:ben", "--format", "json").stdout)
    assert one["set"] == {"kind": "coder", "coders": ["ben"]}  # chosen, so no note
    assert [r for r in one["rows"] if r["code"] == "Enablers/C"] == [
        {"code": "Enablers/C", "depth": 1, "passages": 1, "codings": 1, "documents": 1, "participants": 1,
         "words": 2}]


def test_frequencies_csv_states_the_set_and_the_note_goes_to_stderr(hand_path):
    r = run(hand_path, "stats", "frequencies", "--by", "attribute:role", "--no-rollup")
    lines = r.stdout.splitlines()
    assert lines[:3] == [f"# set: {HAND_SET}", "# by: attribute:role", "# rollup: no"]
    assert lines[3].startswith("# note: No consensus layer yet")
    assert lines[4:6] == ["code,depth,role,passages,codings,documents,participants,words",
                          "Barriers/A,1,faculty,2,3,1,1,3"]
    assert r.stderr.startswith("note: No consensus layer yet")
    chosen = run(hand_path, "stats", "frequencies", "--set", "coders:ana,ben")
    assert chosen.stderr == "" and "# note" not in chosen.stdout
    assert chosen.stdout.splitlines()[0] == f"# set: {HAND_SET}"


def test_two_coders_on_one_passage_count_it_once(two_path):
    out = json.loads(run(two_path, "stats", "frequencies", "--format", "json").stdout)
    rows = {r["code"]: r for r in out["rows"]}
    # Visa: ana and ben both coded 3-21 → 1 passage, 2 codings, 3 words. Cost: ana 22-37 and
    # 41-55 joined by ben's 27-55 → 1 passage, 3 codings; words "Fees were high." and "We paid
    # twice." (the label "P:" is not spoken) → 6.
    assert {k: rows["Barriers/Visa"][k] for k in ("passages", "codings", "words")} == \
        {"passages": 1, "codings": 2, "words": 3}
    assert {k: rows["Barriers/Cost"][k] for k in ("passages", "codings", "words")} == \
        {"passages": 1, "codings": 3, "words": 6}
    assert rows["Barriers"]["passages"] == 2 and rows["Barriers"]["words"] == 9


def test_cooccurrence_json_carries_set_frequencies_and_flags(hand_path):
    out = json.loads(run(hand_path, "stats", "cooccurrence", "--unit", "sentence", "--format", "json").stdout)
    assert out["set"]["coders"] == ["ana", "ben"] and out["coders"] == HAND_SET
    assert (out["unit"], out["measure"], out["window"]) == ("sentence", "count", None)
    assert out["codes"] == ["Barriers/A", "Barriers/B", "Enablers/C"]
    # sentences: A (ana) 0, 1; B (ana) 1, 3; C ana 2, 3, d2 0 and ben 0. A-C only by two coders
    # (sentence 0: ana's A, ben's C) → 0; A-B: ana in 1; B-C: ana in 3.
    assert out["matrix"] == [[2, 1, 0], [1, 2, 1], [0, 1, 4]]
    assert out["n"] == {"Barriers/A": 2, "Barriers/B": 2, "Enablers/C": 4}
    assert out["frequency_flags"] == [] and out["out_of_range"] == [] and out["counted"].startswith("n1 = ")
    one = json.loads(run(hand_path, "stats", "cooccurrence", "--unit", "sentence", "--coder", "ana",
                         "--measure", "jaccard", "--format", "json").stdout)
    # ana alone: A 2 sentences, B 2, C 3 (2, 3, d2 0); A-B 1 → 1/(2+2-1)
    assert one["set"] == {"kind": "coder", "coders": ["ana"]} and one["matrix"][0] == [1.0, 1 / 3, 0.0]
    window = json.loads(run(hand_path, "stats", "cooccurrence", "--unit", "window", "--window", "2",
                            "--format", "json").stdout)
    assert window["window"] == 2 and window["unit"] == "window"


def test_cooccurrence_csv_first_lines_state_set_unit_and_measure(hand_path):
    r = run(hand_path, "stats", "cooccurrence", "--unit", "turn", "--measure", "jaccard")
    lines = r.stdout.splitlines()
    assert lines[:3] == [f"# set: {HAND_SET}", "# unit: turn", "# measure: jaccard"]
    assert lines[3].startswith("# counted: n1 = turns") and lines[4].startswith("# note: ")
    assert lines[5] == "code,Barriers/A,Barriers/B,Enablers/C"


def test_set_errors_are_clear(hand_path):
    def err(*args):
        return CliRunner().invoke(main, ["--db", hand_path, "stats", "cooccurrence", *args])

    for bad in ("bogus", "coder:", "coders", "everyone:ana"):
        r = err("--set", bad)
        assert r.exit_code == 2 and "Invalid value for '--set'" in r.output, bad
        assert "consensus | coders:A,B,... | coder:NAME" in r.output, bad
    r = err("--set", "coder:ana,ben")
    assert r.exit_code == 2 and "coder:NAME takes one name; for several use coders:ana,ben" in r.output
    r = err("--set", "consensus")
    assert r.exit_code == 1 and "there is no consensus layer yet" in r.stderr
    r = err("--set", "coders:ana,zoe")
    assert r.exit_code == 1 and "no coder 'zoe' (coders: ana, ben)" in r.stderr
    r = err("--coder", "zoe")
    assert r.exit_code == 1 and "no coder 'zoe' (coders: ana, ben)" in r.stderr
    r = err("--set", "coder:ana", "--coder", "ben")
    assert r.exit_code == 1 and "give one of them, not both" in r.stderr
    r = CliRunner().invoke(main, ["--db", hand_path, "export", "excerpts", "--format", "xlsx"])
    assert r.exit_code == 1 and "give -o FILE" in r.output


def test_every_analysis_command_takes_set():
    for command in (cli_analysis.stats_frequencies, cli_analysis.stats_cooccurrence,
                    cli_analysis.excerpts_command):
        options = {name for p in command.params for name in p.opts}
        assert {"--set", "--coder"} <= options, command.name


def test_consensus_is_the_default_when_it_covers_every_document_and_never_pooled(db_url):
    db = Database(db_url)
    two_coders_project(db, consensus=[("Barriers/Visa", 3, 21), ("Barriers/Cost", 22, 55)])
    db.close()
    out = json.loads(run(str(db_url), "stats", "frequencies", "--format", "json").stdout)
    assert out["set"]["kind"] == "consensus" and out["set"]["coders"] == ["consensus"]
    rows = {r["code"]: r for r in out["rows"]}
    assert (rows["Barriers"]["passages"], rows["Barriers"]["codings"]) == (2, 2)  # consensus only
    r = CliRunner().invoke(main, ["--db", str(db_url), "stats", "frequencies", "--set", "coders:ana,consensus"])
    assert r.exit_code == 1 and "never pooled" in r.stderr


def test_exported_excerpts_are_one_row_per_passage_listing_both_coders(two_path):
    out = json.loads(run(two_path, "export", "excerpts", "--format", "json", "--context", "0").stdout)
    assert out["set"]["kind"] == "coders" and out["set"]["coders"] == ["ana", "ben"]
    assert [(e["code"], e["start"], e["end"], e["coders"], e["codings"], e["key_quote"]) for e in out["excerpts"]] \
        == [("Barriers/Visa", 3, 21, "ana, ben", 2, False), ("Barriers/Cost", 22, 55, "ana, ben", 3, True)]
    r = run(two_path, "export", "excerpts", "--context", "0")
    rows = list(csv.reader(io.StringIO(r.stdout, newline="")))
    assert rows[0] == ["# set: coders ana", " ben (as passages)"]  # a comment line split at its comma
    header = next(i for i, row in enumerate(rows) if row[0] == "document")
    assert len(rows) == header + 3 and rows[header + 1][rows[header].index("coders")] == "ana, ben"
    assert "note: No consensus layer yet" in r.stderr


@pytest.mark.parametrize("fmt, check", [
    ("csv", lambda b: b.startswith(b"# set: coder ana\r\n") and b"\r\ndocument,participant,role," in b),
    ("json", lambda b: json.loads(b)["excerpts"][0]["excerpt"] == "One two."
     and json.loads(b)["set"] == {"kind": "coder", "coders": ["ana"]}),
    ("md", lambda b: b.startswith(b"# Coded excerpts\n\n2 excerpts. Coding set: coder ana.")),
    ("xlsx", lambda b: b[:2] == b"PK"),
    ("docx", lambda b: b[:2] == b"PK"),
])
def test_export_excerpts_formats(hand_path, tmp_path, fmt, check):
    target = tmp_path / f"out.{fmt}"
    for how in (["--coder", "ana"], ["--set", "coder:ana"]):
        r = run(hand_path, "export", "excerpts", "--format", fmt, "-o", str(target), "--code", "Barriers/A", *how)
        # ana's A: 3-11, and 12-17 with the nested 13-16 → 2 passages
        assert r.exit_code == 0 and "wrote 2 excerpts" in r.stderr
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
