"""``qualcode report themes`` in every format, on the hand-built project of
``test_analysis_themes`` (expected numbers derived there), SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from test_analysis_themes import TEXT, build_project

from qualcode.cli import main
from qualcode.store.db import Database

NOTE = ("No consensus layer yet, so all coders (ana, ben) are counted as passages: one code's overlapping spans "
        "from several coders count once. Adjudicate disagreements on the Agreement page for a consensus layer. "
        "Only the 6 of 7 documents with codings in the set are counted (not coded: d6). 1 document has no "
        "participant; each is counted as one case. 1 passage coded directly on codes above depth 1 (Barriers) is "
        "in no row.")


@pytest.fixture
def url(db_url, monkeypatch):
    monkeypatch.delenv("QUALCODE_USER", raising=False)
    db = Database(db_url)
    build_project(db)
    db.close()
    return db_url


def run(url, *args, expect=0):
    result = CliRunner().invoke(main, ["--db", url, "report", "themes", *args], catch_exceptions=False)
    assert result.exit_code == expect, result.output + result.stderr
    return result


def cell(n, pct):
    return {"participants": n, "percent": pct}


def test_json_is_exactly_the_documented_shape(url):
    out = json.loads(run(url, "--by", "attribute:role", "--depth", "1", "--format", "json", "--quotes", "0").stdout)
    counted = out.pop("counted")
    assert counted.startswith("Cells: participants who raised the theme")
    assert out == {
        "set": {"kind": "coders", "coders": ["ana", "ben"],
                "note": NOTE.split(" Only the")[0]},
        "by": "attribute:role", "unit": "participants", "depth": 1,
        "groups": [{"name": "faculty", "participants": 2}, {"name": "IMG", "participants": 1},
                   {"name": "(none)", "participants": 2}],
        "total_participants": 5,
        "rows": [
            {"theme": "Barriers/Inst", "codes": ["Barriers/Inst", "Barriers/Inst/Liability"],
             "cells": {"faculty": cell(2, 100.0), "IMG": cell(0, 0.0), "(none)": cell(0, 0.0)},
             "total": cell(2, 40.0)},
            {"theme": "Barriers/Visa", "codes": ["Barriers/Visa"],
             "cells": {"faculty": cell(1, 50.0), "IMG": cell(1, 100.0), "(none)": cell(1, 50.0)},
             "total": cell(3, 60.0)},
            {"theme": "Enablers/Inst", "codes": ["Enablers/Inst"],
             "cells": {"faculty": cell(1, 50.0), "IMG": cell(0, 0.0), "(none)": cell(1, 50.0)},
             "total": cell(2, 40.0)},
            {"theme": "Enablers/Funding", "codes": ["Enablers/Funding"],
             "cells": {"faculty": cell(1, 50.0), "IMG": cell(0, 0.0), "(none)": cell(0, 0.0)},
             "total": cell(1, 20.0)},
            {"theme": "Recommendations", "codes": ["Recommendations"],
             "cells": {"faculty": cell(0, 0.0), "IMG": cell(1, 100.0), "(none)": cell(0, 0.0)},
             "total": cell(1, 20.0)},
        ],
        "note": NOTE,
    }


def test_json_quotes_and_levels(url):
    out = json.loads(run(url, "--by", "attribute:role", "--level", "--per-branch", "--format", "json").stdout)
    assert out["level"] == "per branch" and "depth" not in out
    rows = {r["theme"]: r for r in out["rows"]}
    assert list(rows) == ["Barriers · Institutional", "Barriers · Immigration", "Enablers · Institutional"]
    visa = rows["Barriers · Immigration"]["quotes"]
    assert visa["kind"] == "key" and visa["starred"] == 1
    assert visa["items"] == [{"text": TEXT[0:14], "document": "d3", "participant": "P3", "group": "IMG",
                              "coders": ["ana", "ben"], "starred_by": ["ana", "ben"], "codes": ["Barriers/Visa"],
                              "start": 0, "end": 14}]
    assert rows["Barriers · Institutional"]["quotes"] == {
        "kind": "none", "note": "No key quote starred for this theme.", "starred": 0, "items": []}


def test_csv_states_set_and_what_is_counted(url):
    text = run(url, "--by", "attribute:role", "--depth", "1", "--format", "csv").stdout_bytes.decode()
    lines = text.split("\r\n")
    assert lines[0] == "# set: coders ana, ben (as passages)"
    assert lines[1] == "# rows: themes at depth 1 (codes below rolled up)"
    assert lines[3].startswith("# counted: Cells: participants who raised the theme")
    assert lines[4].startswith("# note: No consensus layer yet")
    rows = list(csv.reader(io.StringIO("\n".join(lines[5:]))))
    assert rows[0][:3] == ["theme", "faculty (n = 2) participants", "faculty (n = 2) %"]
    assert rows[0][-2:] == ["Total (n = 5) participants", "Total (n = 5) %"]
    assert rows[2] == ["Barriers/Visa", "1", "50.0", "1", "100.0", "1", "50.0", "3", "60.0"]


def test_markdown_has_title_methods_table_and_quotes(url):
    text = run(url, "--by", "attribute:role", "--depth", "1").stdout  # md is the default
    lines = text.splitlines()
    assert lines[0] == "# Themes by role"
    assert lines[2].startswith("Coding set: coders ana, ben \\(as passages\\). Rows: themes at depth 1")
    assert "| Theme | faculty (n = 2) | IMG (n = 1) | \\(none\\) (n = 2) | Total (n = 5) |" in lines
    assert "| Barriers/Visa | 1 (50%) | 1 (100%) | 1 (50%) | 3 (60%) |" in lines
    at = lines.index("### Barriers/Visa")
    assert lines[at + 2] == ("Raised by 3 of 5 participants (60%): faculty 1 of 2 (50%), IMG 1 of 1 (100%), "
                             "\\(none\\) 1 of 2 (50%).")
    assert lines[at + 6:at + 9] == ["> aaaa bbbb cccc", ">",
                                    "> — P3 (IMG) · d3 · coded by ana, ben · starred by ana, ben"]
    assert lines[lines.index("### Barriers/Inst") + 4] == "*No key quote starred for this theme.*"


def test_docx_table_cells_and_key_quote(url, tmp_path):
    from docx import Document

    out = tmp_path / "themes.docx"
    result = run(url, "--by", "attribute:role", "--depth", "1", "--format", "docx", "-o", str(out))
    assert "wrote 5 themes × 3 groups" in result.stderr
    doc = Document(str(out))
    table = doc.tables[0]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == ["Theme", "faculty (n = 2)", "IMG (n = 1)", "(none) (n = 2)", "Total (n = 5)"]
    assert cells[2] == ["Barriers/Visa", "1 (50%)", "1 (100%)", "1 (50%)", "3 (60%)"]
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "Themes by role"
    assert texts[1].startswith("Coding set: coders ana, ben (as passages). Rows: themes at depth 1")
    at = texts.index("Barriers/Visa", 2)
    assert texts[at + 1].startswith("Raised by 3 of 5 participants (60%)")
    assert texts[at + 3] == f"“{TEXT[0:14]}”"
    assert texts[at + 4] == "P3 (IMG) · d3 · coded by ana, ben · starred by ana, ben"
    assert doc.paragraphs[at + 3].style.name == "Quote"


def test_xlsx_header_lines_table_and_quotes(url, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "themes.xlsx"
    run(url, "--by", "group", "--depth", "1", "--format", "xlsx", "-o", str(out), "--fallback")
    wb = load_workbook(out)
    rows = list(wb["Themes"].values)
    assert rows[0][0] == "Themes by document group"
    assert rows[1][:2] == ("set", "coders ana, ben (as passages)")
    assert rows[4][0] == "counted"
    header = rows.index(next(r for r in rows if r and r[0] == "theme"))
    assert rows[header][1:3] == ("Wave 1 (n = 2) participants", "Wave 1 (n = 2) %")
    assert rows[header + 2][:7] == ("Barriers/Visa", 1, 50, 1, 50, 1, 50)
    quotes = list(wb["Key quotes"].values)
    assert quotes[0][:5] == ("theme", "kind", "quote", "participant", "group")
    assert ("Barriers/Inst", "representative", "aaaa", "P1", "Wave 1") == quotes[1][:5]


def test_errors_and_binary_formats_need_a_file(url):
    assert "give -o FILE" in run(url, "--by", "attribute:role", "--format", "docx", expect=1).stderr
    err = run(url, "--by", "attribute:rank", expect=1).stderr
    assert "no participant attribute 'rank' (known: attribute:role" in err
    assert "not both" in run(url, "--by", "attribute:role", "--depth", "1", "--level", expect=1).stderr
    assert "no coder 'zoe'" in run(url, "--by", "attribute:role", "--set", "coder:zoe", expect=1).stderr


def test_set_option_and_spreadsheet_guard(db_url, monkeypatch, tmp_path):
    monkeypatch.delenv("QUALCODE_USER", raising=False)
    from sqlalchemy import update

    from openpyxl import load_workbook

    from qualcode.store.models import AttributeValue, Code

    db = Database(db_url)
    build_project(db)
    with db.session() as s:  # a hostile role and theme: formulas in a spreadsheet
        s.execute(update(AttributeValue).where(AttributeValue.value == "IMG").values(value="=HYPERLINK(1)"))
        s.execute(update(Code).where(Code.name == "Recommendations").values(name="@SUM(1)"))
    db.close()
    out = json.loads(run(db_url, "--by", "attribute:role", "--set", "coder:ana", "--format", "json").stdout)
    assert out["set"] == {"kind": "coder", "coders": ["ana"]} and out["total_participants"] == 4
    text = run(db_url, "--by", "attribute:role", "--format", "csv").stdout
    assert "'=HYPERLINK(1) (n = 1) participants" in text and ",=HYPERLINK" not in text
    assert "\n'@SUM(1),1,100.0," in text
    run(db_url, "--by", "attribute:role", "--format", "xlsx", "-o", str(tmp_path / "t.xlsx"), "--fallback")
    cells = [c for ws in load_workbook(tmp_path / "t.xlsx").worksheets for row in ws.iter_rows() for c in row]
    assert any(c.value == "'@SUM(1)" for c in cells)
    assert not [c.value for c in cells if c.data_type == "f" or str(c.value or "").startswith(("=", "+", "-", "@"))]
