"""Attacks that once worked, replayed: each test failed before its fix (see SECURITY.md).

One attacker, a signed-in coder on a team server (accounts on, blind coding on), tries to stall
the server, read or delete another coder's work, or plant markup or formulas that other people
open. Every guard these tests exercise lives in one place (``qualcode.guards``,
``qualcode.team.access``); the sweeps at the end check that new code keeps going through them.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
from app_support import open_page, page_names
from sqlalchemy import func, select

from qualcode import guards
from qualcode.analysis import charts
from qualcode.analysis import queries as q
from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.data import AnalysisError, load
from qualcode.analysis.frequencies import frequencies
from qualcode.coding import editing
from qualcode.project.documents import import_files
from qualcode.store.db import Database
from qualcode.store.models import Coding
from qualcode.team import accounts
from qualcode.team.access import AccessDenied
from qualcode.team.backup import BackupError, backup, restore
from test_access import DOC1, PW, _build, _span

QUALCODE = Path(__file__).resolve().parent.parent / "qualcode"
HOSTILE_NAMES = ["=1+2", "=HYPERLINK(\"http://evil.example/x\",\"click\")", "+SUM(1)", "-2+3", "@cmd",
                 "![a](http://evil.example/x.png)", "[link](http://evil.example)", "**bold**",
                 "<b>bold</b><br><a href='http://evil.example'>l</a>"]


def _codings(db) -> dict[str, int]:
    with db.session() as s:
        from qualcode.store.models import Coder

        rows = s.execute(select(Coder.name, func.count(Coding.id)).join(Coding, Coding.coder_id == Coder.id)
                         .group_by(Coder.name)).all()
    return dict(rows)


@pytest.fixture
def team(db):
    """Two documents coded by ana and ben, blind coding on, accounts (olga owner, ana/ben coders)."""
    return _build(db)


# -- 1. one regular expression must not stop the server -----------------------------------------------


@pytest.mark.parametrize("pattern", [r"(x+x+)+y", r"(\w+\s?)+#", r"(a|aa)+$"])
def test_a_catastrophic_pattern_is_stopped_with_a_clear_message(tmp_path, pattern):
    db = Database(tmp_path / "p.db")
    body = ("x" * 3000 + " " + "a" * 3000 + " " + "word " * 3000).encode()
    assert not import_files(db, [("long.txt", b"Interviewer: hello\nP1: " + body)]).errors
    data = load(db)
    started = time.monotonic()
    try:
        q.search(data, pattern, regex=True)
    except AnalysisError as exc:
        assert "was stopped" in str(exc) and "simplify" in str(exc)
    # A liveness bound, not a speed target: without the guard this call never returns.
    assert time.monotonic() - started < guards.PATTERN_SECONDS + 10


def test_the_time_budget_covers_the_whole_search_not_each_document():
    pattern = guards.user_pattern(r"(x+x+)+y", regex=True, seconds=0.5)
    started = time.monotonic()
    with pytest.raises(guards.PatternError, match="was stopped"):
        for _ in range(1000):
            pattern.finditer("x" * 40)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("pattern", ["", "   ", "(", "x" * (guards.PATTERN_MAX_CHARS + 1)])
def test_empty_invalid_or_huge_patterns_are_refused(pattern):
    with pytest.raises(guards.PatternError):
        guards.user_pattern(pattern, regex=True)


# -- 2. LIKE wildcards cannot widen an undo to other coders' codings ----------------------------------


@pytest.mark.parametrize("batch", ["%", "_" * 32, "%" * 32, "0%", '"}%', "' OR 1=1 --"])
def test_undo_autocode_with_a_wildcard_removes_nothing(team, batch):
    data = load(team, viewer="ana")
    hits = q.search(data, "mentor")
    q.apply_autocode(team, data, hits, "Enablers", "ana", actor="ana")
    with team.session() as s:
        from qualcode.store.models import Coder

        ben_before = s.scalar(select(func.count(Coding.id)).join(Coder).where(Coder.name == "ben"))
    before = _codings(team)
    with pytest.raises(AnalysisError):
        q.undo_autocode(team, batch, actor="ana")
    assert _codings(team) == before and before["ben"] == ben_before


def test_every_like_in_qualcode_escapes_its_wildcards():
    """Every ``.like(`` / ``.ilike(`` takes ``guards.like_contains(...)`` with ``escape=``."""
    offenders = []
    for path in QUALCODE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"like", "ilike", "notlike", "notilike", "contains", "startswith",
                                           "endswith"}
                    and node.args and not isinstance(node.args[0], ast.Constant)
                    and _is_sql_column_call(node)):
                arg = node.args[0]
                escaped = (isinstance(arg, ast.Call) and getattr(arg.func, "attr", getattr(arg.func, "id", ""))
                           == "like_contains")
                has_escape = any(k.arg in {"escape", "autoescape"} for k in node.keywords)
                if not (escaped and has_escape):
                    offenders.append(f"{path.relative_to(QUALCODE.parent)}:{node.lineno}")
    assert not offenders, f"LIKE built from a value without guards.like_contains + escape=: {offenders}"


def _is_sql_column_call(node: ast.Call) -> bool:
    # str.startswith/endswith/contains on plain strings are not SQL; SQL comparisons are on
    # attributes of models (``Model.column.like``) or ``.detail``-like columns.
    if node.func.attr in {"like", "ilike", "notlike", "notilike"}:
        return True
    owner = node.func.value
    return isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name) and owner.value.id[:1].isupper()


# -- 3. a preview must not show another coder's hidden codings ----------------------------------------


def test_preview_autocode_for_another_coder_is_refused_under_blind_coding(team):
    data = load(team, viewer="ana")
    hits = q.search(data, "exam fees")
    with pytest.raises(AccessDenied):
        q.preview_autocode(team, data, hits, "Barriers/Cost", "ben", viewer="ana")
    own = q.preview_autocode(team, data, hits, "Barriers/Cost", "ana", viewer="ana")
    assert list(own["coder"]) == ["ana"]


def test_an_owner_may_preview_for_a_coder_when_blind_coding_is_off(team):
    from qualcode.team.settings import set_blind

    set_blind(team, False, actor="olga")
    data = load(team, viewer="olga")
    hits = q.search(data, "exam fees")
    preview = q.preview_autocode(team, data, hits, "Barriers/Cost", "ben", viewer="olga")
    assert list(preview["status"]) == ["already coded"]  # ben coded exactly "exam fees"
    with pytest.raises(AccessDenied):
        q.preview_autocode(team, data, hits, "Barriers/Cost", "ben", viewer="ana")


# -- 6. the lockout says nothing about whether an account exists --------------------------------------


def test_a_locked_account_and_an_unknown_name_read_the_same_and_cost_the_same(team, monkeypatch):
    for _ in range(accounts.LOCK_AFTER):
        with pytest.raises(accounts.LoginFailed):
            accounts.login(team, "ana", "not the password")
    calls = []

    class CountingHasher:  # argon2's PasswordHasher has read-only methods: wrap it instead
        def __init__(self, real):
            self.real = real

        def verify(self, *args):
            calls.append(1)
            return self.real.verify(*args)

        def __getattr__(self, name):
            return getattr(self.real, name)

    monkeypatch.setattr(accounts, "_hasher", CountingHasher(accounts._hasher))
    messages = []
    for name, password in [("ana", PW), ("nobody-here", PW), ("ben", "wrong")]:
        with pytest.raises(accounts.LoginFailed) as refused:
            accounts.login(team, name, password)
        messages.append(str(refused.value))
    assert len(set(messages)) == 1 and "ana" not in messages[0]
    assert calls == [1, 1, 1]  # one argon2 verification each: no fast path for a locked name


# -- 4, 7. formulas: every spreadsheet-like writer goes through one guard -----------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_formula_guard_makes_every_formula_start_text(name):
    cell = guards.spreadsheet_cell(name)
    assert not cell.startswith(("=", "+", "-", "@")) and cell.endswith(name)


def _cells_of(name: str, payload: bytes) -> list:
    """Every cell of a written CSV or XLSX file, as (value, is_formula)."""
    import csv
    import io

    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(payload))
        return [(c.value, c.data_type == "f") for sheet in book.worksheets for row in sheet.iter_rows()
                for c in row]
    return [(v, False) for row in csv.reader(io.StringIO(payload.decode("utf-8-sig"))) for v in row]


def test_every_spreadsheet_writer_guards_every_cell(tmp_path):
    """The sweep: one project with hostile code, coder and document names, through every
    CSV/XLSX writer qualcode has (excerpts, statistics, matrices, wide form, agreement,
    codebook). Add a writer here when you add one to qualcode."""
    from qualcode.agreement.report import build_report, table_csv, table_xlsx
    from qualcode.agreement.units import build_unit_matrix
    from qualcode.analysis import excerpts as ex
    from qualcode.analysis.matrices import code_by_document
    from qualcode.codebook import to_csv as codebook_csv
    from qualcode.coding import codebook_edit
    from qualcode.project.codes import to_codebook

    db = Database(tmp_path / "p.db")
    import_files(db, [("=cmd|' -C calc'!A0.txt", DOC1.encode())])
    doc = "=cmd|' -C calc'!A0"
    names = [n for n in HOSTILE_NAMES if "/" not in n][:5]
    for n, name in enumerate(names):
        codebook_edit.create_code(db, name, actor="setup")
        for coder in ("@ana", "-ben"):
            words = ["exam fees", "clinical experience", "A mentor", "wrote to programs", "had no US"][n]
            editing.add(db, doc, name, coder, *_span(DOC1, words))
    data = load(db)
    report = build_report(build_unit_matrix(db, coders=["@ana", "-ben"], unit="sentence"), draws=0)
    with db.session() as s:
        codebook = to_codebook(s, db.project_id(s))
    written = {
        "excerpts.csv": ex.to_csv(ex.excerpts(data)), "excerpts.xlsx": ex.to_xlsx(ex.excerpts(data)),
        "frequencies.csv": ex.to_csv(frequencies(data)),
        "cooccurrence.csv": ex.to_csv(cooccurrence(data, unit="sentence").reset_index()),
        "code-by-document.xlsx": ex.to_xlsx(code_by_document(data), index=True),
        "wide.csv": ex.to_csv(ex.wide_form(data)),
        "agreement.csv": table_csv(report).encode(), "agreement.xlsx": table_xlsx(report),
        "codebook.csv": codebook_csv(codebook).encode(),
    }
    for file, payload in written.items():
        cells = _cells_of(file, payload)
        assert cells, file
        for value, is_formula in cells:
            assert not is_formula, (file, value)
            assert not (isinstance(value, str) and value.startswith(("=", "+", "-", "@"))), (file, value)


def test_excerpt_and_statistics_writers_neutralise_hostile_code_names(tmp_path):
    import io

    from openpyxl import load_workbook

    from qualcode.analysis import excerpts as ex
    from qualcode.coding import codebook_edit

    db = Database(tmp_path / "p.db")
    import_files(db, [("int1.txt", DOC1.encode())])
    for name in HOSTILE_NAMES[:5]:
        codebook_edit.create_code(db, name.replace("/", "|"), actor="ana")
        editing.add(db, "int1", name.replace("/", "|"), "@ana", *_span(DOC1, "exam fees"))
    data = load(db)
    tables = {"excerpts": ex.excerpts(data), "frequencies": frequencies(data),
              "cooccurrence": cooccurrence(data, unit="sentence").reset_index()}
    for what, table in tables.items():
        for cell in ex.to_csv(table).decode().replace("\r\n", ",").split(","):
            assert not cell.strip('"').startswith(("=", "+", "@")), (what, cell)
        sheet = load_workbook(io.BytesIO(ex.to_xlsx(table))).active
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (what, cell.value)


# -- 5, 8. user text is shown, never rendered --------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_markdown_escaping_leaves_no_image_link_or_emphasis(name):
    import markdown_it

    html = markdown_it.MarkdownIt("commonmark").render(guards.md_text(name))
    assert "<img" not in html and "<a " not in html and "<strong>" not in html and "<b>" not in html


def test_code_names_in_charts_are_text_not_plotly_markup(tmp_path):
    from qualcode.coding import codebook_edit

    db = Database(tmp_path / "p.db")
    import_files(db, [("int1.txt", DOC1.encode())])
    evil = "<b>bold<br><a href='https:evil.example'>l"  # no "/": it separates code levels
    for name in (evil, "Plain"):
        codebook_edit.create_code(db, name, actor="ana")
        editing.add(db, "int1", name, "ana", *_span(DOC1, "exam fees were brutal"))
    data = load(db)
    freq = frequencies(data)
    matrix = cooccurrence(data, unit="sentence")
    figures = [charts.frequency_bars(freq), charts.heatmap(matrix), charts.network(matrix),
               charts.sunburst(data, frequencies(data, rollup=False))]
    for fig in figures:
        text = fig.to_json()
        assert "<a href" not in text and "<b>bold" not in text and "&lt;b&gt;bold" in text


def test_coder_names_reach_the_analysis_captions_escaped(sample_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    evil = "![a](http://evil.example/x.png)"
    doc = "p01_program_director_internal_medicine"
    editing.add(sample_db, doc, "Barriers", evil, 200, 260)
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60).run()
    for page in ("Frequencies", "Co-occurrence", "Matrices", "Excerpts"):
        open_page(at, page)
        assert not at.exception
        captions = [c.value for c in at.caption if c.value.startswith("Coding set:")]
        assert captions, page
        assert all("![a](" not in c for c in captions), (page, captions)
        assert any(guards.md_text(evil) in c for c in captions), (page, captions)


# -- also seen: long PDFs, and restoring another project's backup --------------------------------------


def test_a_long_pdf_with_one_line_per_page_keeps_its_text():
    from qualcode.importers import parse_transcript
    from test_importers import make_pdf

    pages = [[f"Interviewer: question number {i} of the day?"] for i in range(400)]
    parsed = parse_transcript(make_pdf(pages), "long.pdf")
    assert parsed.text.count("question number") == 400 and len(parsed.turns) == 400


def test_restoring_a_different_projects_backup_asks_to_name_it(tmp_path):
    mine = Database(tmp_path / "mine.db")
    import_files(mine, [("int1.txt", DOC1.encode())])
    other = Database(tmp_path / "other.db")
    with other.session() as s:
        from qualcode.store.models import Project

        s.get(Project, other.project_id(s)).name = "Pilot study"
    backup(other, tmp_path / "other-backup.db")
    other.close()
    plan = restore(mine, tmp_path / "other-backup.db")
    assert plan["same_project"] is False and [p["name"] for p in plan["projects_in_backup"]] == ["Pilot study"]
    with pytest.raises(BackupError, match="Pilot study") as refused:
        restore(mine, tmp_path / "other-backup.db", yes=True)
    assert "--other-project" in str(refused.value)
    with mine.session() as s:
        from qualcode.store.models import Document

        assert s.scalar(select(func.count(Document.id))) == 1  # nothing changed
    done = restore(mine, tmp_path / "other-backup.db", yes=True, other_project="Pilot study")
    assert done["done"]


def test_restoring_a_backup_of_the_same_project_needs_no_extra_confirmation(tmp_path):
    mine = Database(tmp_path / "mine.db")
    import_files(mine, [("int1.txt", DOC1.encode())])
    backup(mine, tmp_path / "b.db")
    assert restore(mine, tmp_path / "b.db", yes=True)["done"]


def test_hostile_names_are_shown_literally_on_every_page(sample_db, monkeypatch):
    """A code and a coder named as Markdown (an image, a link, emphasis) on every page of the app:
    no Markdown element may carry the raw markup, so nothing is fetched, linked or styled."""
    from streamlit.testing.v1 import AppTest

    from qualcode.coding import codebook_edit
    from qualcode.ui import PAGES

    code, coder = "![x](https:evil.example) **b**", "[l](https:evil.example)_i_"
    codebook_edit.create_code(sample_db, code, actor="setup")
    doc = "p01_program_director_internal_medicine"
    editing.add(sample_db, doc, code, coder, 200, 260)
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=90).run()
    assert not at.exception
    raw = ("![x](", "[l](", "**b**")
    pages = page_names(at)
    assert set(pages) <= set(PAGES) and len(pages) >= 10
    for page in pages:
        open_page(at, page)
        assert not at.exception, page
        shown = [e.value for kind in ("markdown", "caption", "info", "success", "warning", "error",
                                                       "header", "subheader", "title", "toast")
                 for e in getattr(at, kind)]
        offenders = [v for v in shown if any(r in str(v) for r in raw)]
        assert not offenders, (page, offenders)
