"""``qualcode quotes star|unstar|list`` (key quotes) on the command line, SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.coding import editing
from qualcode.coding.codebook_edit import create_code
from qualcode.coding.undo import peek
from qualcode.project.documents import apply_attributes, import_files
from qualcode.project.participants import parse_attributes
from qualcode.store.db import Database
from qualcode.team import accounts
from qualcode.team.settings import set_blind

TEXT = "Interviewer: How was it?\nP07: The visa fee was 185 dollars 😅 and nobody helped.\n"
FEE = (TEXT.index("The visa fee"), TEXT.index("The visa fee") + len("The visa fee was 185 dollars 😅"))
HELP = (TEXT.index("nobody"), TEXT.index("nobody") + len("nobody helped"))


@pytest.fixture
def project(db_url, monkeypatch):
    """One interview (participant P07) coded by ana twice and by ben once, on each engine."""
    monkeypatch.delenv("QUALCODE_USER", raising=False)
    db = Database(db_url)
    assert not import_files(db, [("p07.txt", TEXT.encode())]).errors
    apply_attributes(db, parse_attributes(b"participant_id,document\nP07,p07\n", "people.csv"))
    for name, parent in (("Barriers", None), ("Financial", "Barriers"), ("Support", "Barriers")):
        create_code(db, name, parent=parent, actor="lead", record=False)
    ids = {"fee": editing.add(db, "p07", "Barriers/Financial", "ana", *FEE).id,
           "help": editing.add(db, "p07", "Barriers/Support", "ana", *HELP).id,
           "bens": editing.add(db, "p07", "Barriers/Financial", "ben", *FEE).id}
    db.close()
    return db_url, ids


def run(url, *args, expect=0, user=None):
    env = {"QUALCODE_USER": user} if user else {}
    result = CliRunner().invoke(main, ["--db", url, *args], env=env, catch_exceptions=False)
    assert result.exit_code == expect, result.output + result.stderr
    return result


def test_star_list_unstar_and_json(project):
    url, ids = project
    out = run(url, "quotes", "list").stdout
    assert out.startswith("no key quotes yet; star one with `qualcode quotes star CODING_ID`")
    listed = run(url, "quotes", "list", "--all").stdout.splitlines()
    fee = "“The visa fee was 185 dollars 😅”"
    assert listed == [f"☆ {ids['fee']}  p07 [P07]  Barriers/Financial (ana): {fee}",
                      f"☆ {ids['bens']}  p07 [P07]  Barriers/Financial (ben): {fee}",
                      f"☆ {ids['help']}  p07 [P07]  Barriers/Support (ana): “nobody helped”"]
    assert run(url, "quotes", "star", str(ids["fee"])).stdout == (
        "Marked as a key quote: Barriers/Financial on “The visa fee was 185 dollars 😅”.\n")
    again = json.loads(run(url, "quotes", "star", str(ids["fee"]), "--json").stdout)
    assert again == {"coding_id": ids["fee"], "key_quote": True, "changed": False, "version": 2,
                     "message": "Barriers/Financial on “The visa fee was 185 dollars 😅” is already a key "
                                "quote; nothing changed."}
    run(url, "quotes", "star", str(ids["help"]))
    assert run(url, "quotes", "list").stdout.splitlines() == [
        f"{ids['fee']}  p07 [P07]  Barriers/Financial (ana): “The visa fee was 185 dollars 😅”",
        f"{ids['help']}  p07 [P07]  Barriers/Support (ana): “nobody helped”",
        "2 key quotes"]
    data = json.loads(run(url, "quotes", "list", "--code", "Barriers/Support", "--json").stdout)
    assert data == [{"coding_id": ids["help"], "document": "p07", "participant": "P07",
                     "code": "Barriers/Support", "coder": "ana", "start": HELP[0], "end": HELP[1],
                     "quote": "nobody helped", "memo": None, "version": 2, "starred": True}]
    out = json.loads(run(url, "quotes", "unstar", str(ids["help"]), "--json").stdout)
    assert (out["key_quote"], out["changed"]) == (False, True)
    assert [r["coding_id"] for r in json.loads(run(url, "quotes", "list", "--json").stdout)] == [ids["fee"]]


def test_errors_exit_1_with_a_clear_message(project):
    url, ids = project
    assert "no coding with id 999999" in run(url, "quotes", "star", "999999", expect=1).stderr
    assert "no code" in run(url, "quotes", "list", "--code", "Nowhere", expect=1).stderr
    assert "no document 'p7'" in run(url, "quotes", "list", "--document", "p7", expect=1).stderr
    stale = run(url, "quotes", "star", str(ids["fee"]), "--version", "7", expect=1).stderr
    assert "was changed since you loaded it (version 7, now 1)" in stale
    assert run(url, "quotes", "star", "not-a-number", expect=2).exit_code == 2


def test_with_accounts_the_acting_user_decides_and_blind_coding_hides(project):
    url, ids = project
    db = Database(url)
    try:
        accounts.add_account(db, "olga", "correct horse battery", role="owner")
        for name in ("ana", "ben"):
            accounts.add_account(db, name, "correct horse battery", role="coder", actor="olga")
        set_blind(db, True, actor="olga")
    finally:
        db.close()
    refused = run(url, "quotes", "star", str(ids["bens"]), user="ana", expect=1).stderr
    assert "no coding with id" in refused and "that you may see" in refused
    run(url, "quotes", "star", str(ids["bens"]), user="ben")
    run(url, "quotes", "star", str(ids["fee"]), user="ana")
    for who in ("ana", "ben"):
        listed = json.loads(run(url, "quotes", "list", "--json", user=who).stdout)
        assert [r["coder"] for r in listed] == [who]
    assert "this database has accounts" in run(url, "quotes", "list", expect=1).stderr
    db = Database(url)
    try:
        assert peek(db, "ana")["undo"] == "star Barriers/Financial on “The visa fee was 185 dollars 😅”"
    finally:
        db.close()
