"""The Home page with AppTest: the study's path with counts, the next action for each role,
helpful empty states, blind coding, and a new coder's name restored from the URL."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from app_support import current_page, open_page, page_names
from streamlit.testing.v1 import AppTest
from test_ui_roles import _log_in, roles_db, roles_db_file  # noqa: F401 (fixtures)

from qualcode.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "transcripts_sample"


def _text(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "header")
                     for e in getattr(at, kind))


def _progress(at: AppTest) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def _next(at: AppTest) -> str:
    [line] = [m.value for m in at.markdown if m.value.startswith("**Next:**")]
    return line


@pytest.fixture
def sample_app(sample_db, monkeypatch):
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    return AppTest.from_file(APP, default_timeout=90)


def test_a_fresh_session_opens_on_home_first_in_the_sidebar(sample_app):
    at = sample_app.run()
    assert not at.exception
    assert current_page(at) == "Home" and page_names(at)[0] == "Home"
    assert [h.value for h in at.header] == ["Home"]


def test_an_empty_project_says_what_to_do_first_and_the_button_opens_it(tmp_path, monkeypatch):
    from qualcode.project.projects import create_project

    db = Database(tmp_path / "empty.db")  # exists already: the app loads no sample into it
    create_project(db, "Pilot study")
    db.close()
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "empty.db"))
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert "**Import** page" in _next(at) and "`qualcode import FILES`" in _next(at)
    assert "No codes yet" in _text(at) and "`qualcode codebook import FILE`" in _text(at)
    assert "3. Coding" not in _text(at)  # the rest of the path starts with documents
    at.button(key="home_next").click().run()
    assert not at.exception and current_page(at) == "Import"
    assert [h.value for h in at.header] == ["Import transcripts"]


def test_a_project_without_a_codebook_says_how_to_add_one(tmp_path, monkeypatch):
    from qualcode.project.documents import import_files

    db = Database(tmp_path / "p.db")
    import_files(db, [("int1.txt", b"Interviewer: Hi?\nP1: Hello there.\n")])
    db.close()
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "p.db"))
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert "**Codebook** page" in _next(at) and "1 documents, 0 participants" in _text(at)
    at.button(key="home_next").click().run()
    assert current_page(at) == "Codebook"


def test_the_sample_projects_counts_match_its_files(sample_app):
    rows = list(csv.DictReader((SAMPLE / "codings.csv").open(encoding="utf-8")))
    people = {r["participant_id"]
              for r in csv.DictReader((SAMPLE / "participants.csv").open(encoding="utf-8"))}
    documents = len([p for p in SAMPLE.iterdir() if p.suffix != ".csv"])
    at = sample_app.run()
    text = _text(at)
    assert f"{documents} documents, {len(people)} participants" in text
    expected = []
    for coder in sorted({r["coder"] for r in rows}):
        mine = [r for r in rows if r["coder"] == coder]
        expected.append(f"{coder}: {len({r['document'] for r in mine})} of {documents} documents · "
                        f"{len(mine):,} codings")
    assert _progress(at) == expected  # ana 12/12 · 326, ben 12/12 · 326, chen 4/12 · 111
    assert "compare coders on the **Agreement** page" in text
    assert "No consensus codings yet" in text


def test_the_owner_coding_as_ana_is_sent_to_agreement_and_the_button_goes_there(sample_app):
    at = sample_app.run()
    assert "Choose your coder name" in _next(at)  # single-user mode, no name yet
    at.selectbox(key="coder_pick").set_value("ana").run()
    assert "Compare coders on the **Agreement** page" in _next(at)
    at.button(key="home_next").click().run()
    assert not at.exception and current_page(at) == "Agreement"
    assert at.query_params["page"] == ["Agreement"] or at.query_params["page"] == "Agreement"
    open_page(at, "Home")
    at.button(key="home_step7_Themes").click().run()
    assert current_page(at) == "Themes"


def test_a_new_coders_name_comes_back_from_the_url_before_they_coded_anything(sample_app):
    sample_app.query_params["coder"] = "zoe"
    at = sample_app.run()
    assert not at.exception
    assert at.selectbox(key="coder_pick").value == "New coder…"
    assert at.text_input(key="coder_new").value == "zoe" and at.session_state["coder"] == "zoe"
    assert "Choose your coder name" not in _next(at)  # single-user mode: zoe is an owner
    assert "you: **zoe**" in _text(at)


@pytest.mark.parametrize("account,expected", [
    ("admin", "turn blind coding off in *Project settings*"),
    ("ana", "Mark each document you have finished as done on the **Code** page (0 of 2 done)"),
    ("vera", "Read the findings on the **Themes** page"),
])
def test_the_next_action_depends_on_the_role(roles_db, account, expected):  # noqa: F811
    at = AppTest.from_file(APP, default_timeout=90).run()
    _log_in(at, account)
    assert current_page(at) == "Home"
    assert expected in _next(at)


def test_under_blind_coding_a_coder_sees_only_their_own_progress(roles_db):  # noqa: F811
    at = AppTest.from_file(APP, default_timeout=90).run()
    _log_in(at, "ana")
    assert _progress(at) == ["ana: 2 of 2 documents · 2 codings"]
    assert "ben" not in _text(at) and "ben" not in " ".join(_progress(at))
    assert "other coders' only on documents you marked done" in _text(at)
    assert "Available once blind coding is off" in _text(at)
    _log_in_again = at.button(key="logout").click().run()
    _log_in(_log_in_again, "vera")
    assert _progress(at) == [] and "Nobody has coded yet that you may see." in _text(at)
    assert not [b for b in at.button if b.key and b.key.startswith("home_step3")
                and b.label == "Open Code"]  # viewers have no Code page
