"""The qualcode command line: every command, its JSON, its exit status."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.store.db import Database

INTERVIEW = (
    "Interviewer: How long did the visa take?\n"
    "P07: Four months, and the fee was 185 dollars 😅.\n"
    "Interviewer: And the observership?\n"
    "P07: Watching only. No hands-on care at all.\n"
)


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "cli.db")

    def invoke(*args, expect=0):
        result = runner.invoke(main, ["--db", db, *args], catch_exceptions=False)
        assert result.exit_code == expect, result.output + result.stderr
        return result

    return invoke


def test_import_json_reports_each_document_and_fails_with_status_1_on_a_bad_file(run, tmp_path):
    (tmp_path / "p07.txt").write_text(INTERVIEW, encoding="utf-8")
    (tmp_path / "broken.docx").write_bytes(b"not a zip at all")
    out = run("import", str(tmp_path / "p07.txt"), str(tmp_path / "broken.docx"), "--json", expect=1)
    data = json.loads(out.stdout)
    assert data["imported"] == [{
        "document": "p07", "turns": 4, "speakers": ["Interviewer", "P07"],
        "characters": len(INTERVIEW), "sentences": 5, "has_timestamps": False,
        "warnings": data["imported"][0]["warnings"],
        "recognised": data["imported"][0]["recognised"],
    }]
    recognised = data["imported"][0]["recognised"]  # what the importer found, to check at a glance
    assert (recognised["labels"], recognised["label_format"]) == ({"Interviewer": 2, "P07": 2}, "Name: words")
    assert data["skipped"] == []
    assert [e["file"] for e in data["errors"]] == ["broken.docx"]
    assert "broken.docx" in data["errors"][0]["error"]
    # the same file again is skipped, and that is not a failure
    again = json.loads(run("import", str(tmp_path / "p07.txt"), "--json").stdout)
    assert again["imported"] == [] and again["skipped"][0]["document"] == "p07"


def test_documents_show_code_and_codings_round_trip(run, tmp_path):
    (tmp_path / "p07.txt").write_text(INTERVIEW, encoding="utf-8")
    (tmp_path / "book.csv").write_text(
        "path,definition\nBarriers/Immigration and visa,Visa trouble\nBarriers/Regulatory,Rules\n",
        encoding="utf-8")
    (tmp_path / "people.csv").write_text("document,role\np07.txt,IMG\n", encoding="utf-8")
    run("import", str(tmp_path / "p07.txt"), "--attributes", str(tmp_path / "people.csv"))
    run("codebook", "import", str(tmp_path / "book.csv"))

    [doc] = json.loads(run("documents", "--json").stdout)
    assert (doc["name"], doc["turns"], doc["speakers"], doc["attributes"]) == (
        "p07", 4, ["Interviewer", "P07"], {"role": "IMG"})
    shown = json.loads(run("show", "p07", "--json").stdout)
    assert shown["turns"][1] == {
        "speaker": "P07", "media_start_seconds": None, "media_end_seconds": None,
        "start": INTERVIEW.index("Four"), "end": INTERVIEW.index("\nInterviewer: And"),
        "text": "Four months, and the fee was 185 dollars 😅.",
    }
    start = INTERVIEW.index("185 dollars 😅")
    run("code", "p07", "--code", "Barriers/Immigration and visa", "--coder", "ana",
        "--start", str(start), "--end", str(start + 13))
    run("code", "p07", "--code", "Regulatory", "--coder", "ben", "--match", "Watching only.",
        "--memo", "observership")
    listed = json.loads(run("codings", "--json").stdout)
    assert all(isinstance(c.pop("id"), int) for c in listed)  # the id, for quotes star and the like
    assert listed == [
        {"document": "p07", "code": "Barriers/Immigration and visa", "coder": "ana",
         "start": start, "end": start + 13, "quote": "185 dollars 😅", "memo": None},
        {"document": "p07", "code": "Barriers/Regulatory", "coder": "ben",
         "start": INTERVIEW.index("Watching"), "end": INTERVIEW.index("Watching") + 14,
         "quote": "Watching only.", "memo": "observership"},
    ]


def test_errors_are_one_clear_line_with_status_1(run, tmp_path):
    (tmp_path / "p07.txt").write_text(INTERVIEW, encoding="utf-8")
    run("import", str(tmp_path / "p07.txt"))
    bad = run("code", "p07", "--code", "Nope", "--coder", "ana", "--match", "Four", expect=1)
    assert bad.stderr.startswith("Error: no code 'Nope'")
    missing = run("show", "p7", expect=1)
    assert "no document 'p7'" in missing.stderr
    (tmp_path / "bad.yaml").write_text("codes:\n  - name: A\n    colour: red\n", encoding="utf-8")
    book = run("codebook", "import", str(tmp_path / "bad.yaml"), expect=1)
    assert "bad.yaml, line 3" in book.stderr


def test_codebook_export_yaml_and_csv(run, tmp_path):
    (tmp_path / "book.csv").write_text("path,definition,colour\nA,first,#112233\nA/B,second,\n",
                                       encoding="utf-8")
    run("codebook", "import", str(tmp_path / "book.csv"))
    csv_out = run("codebook", "export", "--format", "csv").stdout
    assert csv_out.splitlines()[0] == "path,definition,use_when,do_not_use_when,example,colour"
    assert "A/B,second" in csv_out
    target = tmp_path / "out.yaml"
    run("codebook", "export", "--format", "yaml", "-o", str(target))
    assert "name: B" in target.read_text(encoding="utf-8")


def test_init_sample_loads_the_shipped_project(run):
    data = json.loads(run("init", "--sample", "--json").stdout)
    assert data["revision"] == Database.head_revision()
    sample = data["sample"]
    assert len(sample["imported"]) >= 12 and sample["errors"] == []
    assert sample["attributes"]["linked_documents"] == len(sample["imported"])
    docs = json.loads(run("documents", "--json").stdout)
    assert {d["attributes"]["role"] for d in docs} >= {"program director", "IMG", "GME administrator"}


def test_the_console_script_is_installed_and_every_command_has_help():
    out = subprocess.run(["qualcode", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "import" in out.stdout
    for command in main.commands.values():
        assert command.help, f"{command.name} has no help text"
    out = subprocess.run([sys.executable, "-m", "qualcode.cli", "codebook", "--help"],
                         capture_output=True, text=True)
    assert "export" in out.stdout


def test_stats_csv_neutralises_a_code_name_that_looks_like_a_formula(run, tmp_path):
    (tmp_path / "p07.txt").write_text(INTERVIEW, encoding="utf-8")
    (tmp_path / "book.csv").write_text('path\n"=1+2"\n', encoding="utf-8")
    run("import", str(tmp_path / "p07.txt"))
    run("codebook", "import", str(tmp_path / "book.csv"))
    run("code", "p07", "--code", "=1+2", "--coder", "ana", "--match", "Four months")
    for args in (("stats", "frequencies"), ("stats", "cooccurrence")):
        out = run(*args, "--format", "csv").stdout
        assert "'=1+2" in out and "\n=1+2" not in out and ",=1+2" not in out


# -- start-up: the command imports what a command needs, when it runs (issue 13) -------------

#: Libraries that cost a command hundreds of milliseconds to import; ``--help`` needs none.
HEAVY = ("alembic", "sqlalchemy", "pandas", "numpy", "spacy", "sklearn", "scipy", "streamlit",
         "plotly", "openpyxl", "docx", "pdfplumber", "odf")


def _loaded_after(code: str) -> set[str]:
    """The HEAVY libraries a fresh interpreter has loaded after running ``code``."""
    probe = (f"import sys\n{code}\n"
             f"print('LOADED:', *sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.splitlines()[-1].split()[1:])


def test_help_of_every_command_loads_no_heavy_library():
    code = ("from qualcode.cli import main\n"
            "for args in [[], *([name] for name in main.commands)]:\n"
            "    try:\n"
            "        main([*args, '--help'])\n"
            "    except SystemExit:\n"
            "        pass\n")
    assert _loaded_after(code) == set()


def test_opening_a_database_at_the_head_revision_does_not_load_alembic(db_url):
    Database(db_url).close()  # created and migrated: now at head
    code = (f"from qualcode.store.db import Database\n"
            f"db = Database({db_url!r})\n"
            f"assert db.current_revision() == db.head_revision(), db.current_revision()\n")
    assert "alembic" not in _loaded_after(code)


def test_the_head_and_current_revisions_read_cheaply_are_alembics(db_url):
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from qualcode.store.db import MIGRATIONS, _heads_in_files

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert _heads_in_files() == [ScriptDirectory.from_config(cfg).get_current_head()]
    assert Database.head_revision() == ScriptDirectory.from_config(cfg).get_current_head()
    db = Database(db_url, migrate=False)
    assert db.current_revision() is None  # a new database: no alembic_version table yet
    db.migrate()
    with db.engine.connect() as conn:
        assert db.current_revision() == MigrationContext.configure(conn).get_current_revision()
    db.close()


def test_the_cli_names_the_same_environment_variables_as_the_library():
    from qualcode.cli import common
    from qualcode.store import db

    assert (common.DB_ENV, common.PROJECT_ENV) == (db.DB_ENV, db.PROJECT_ENV)
