"""The agreement commands: agreement-table (reliability data CSV), agreement-spans (unitizing)
and agreement (the project's codings), with published worked examples and oracles."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_agreement import oracle
from test_agreement_units import FIN, STIPEND, VISA, build_project

from qualcode.cli import main
from qualcode.store.db import Database

# Krippendorff (2011): 4 coders × 12 units with missing values; nominal .743, ordinal .815,
# interval .849, ratio .797. Units as rows, coders as columns, an empty cell where missing.
K2011_CSV = """unit,A,B,C,D
1,1,1,,1
2,2,2,3,2
3,3,3,3,3
4,3,3,3,3
5,2,2,2,2
6,1,2,3,4
7,4,4,4,4
8,1,1,2,1
9,2,2,2,2
10,,5,5,5
11,,,1,1
12,,3,,
"""


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "cli.db")

    def invoke(*args, expect=0):
        result = runner.invoke(main, ["--db", db, *args], catch_exceptions=False)
        assert result.exit_code == expect, result.output + result.stderr
        return result

    invoke.db = db
    return invoke


@pytest.fixture
def k2011(tmp_path):
    path = tmp_path / "k2011.csv"
    path.write_text(K2011_CSV, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("level, published", [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797),
])
def test_agreement_table_alpha_reproduces_krippendorff_2011(run, k2011, level, published):
    data = json.loads(run("agreement-table", k2011, "--metric", "alpha", "--level", level,
                          "--json").stdout)
    assert round(data.pop("value"), 3) == published
    assert data == {"metric": "alpha", "level": level, "units": 11, "coders": 4}


def test_agreement_table_labels_with_order_and_weighted_cohen(run, tmp_path):
    metrics = oracle("sklearn.metrics")
    a = ["low", "mid", "high", "mid", "low", "high", "mid", "mid", "low", "high"]
    b = ["low", "high", "high", "mid", "mid", "high", "low", "mid", "low", "mid"]
    path = tmp_path / "likert.csv"
    path.write_text("unit,ana,ben\n" + "".join(f"u{i},{x},{y}\n" for i, (x, y) in enumerate(zip(a, b))),
                    encoding="utf-8")
    rank = {"low": 0, "mid": 1, "high": 2}
    for weights in ("linear", "quadratic"):
        data = json.loads(run("agreement-table", str(path), "--metric", "cohen", "--weights",
                              weights, "--order", "low,mid,high", "--json").stdout)
        expected = metrics.cohen_kappa_score([rank[v] for v in a], [rank[v] for v in b], weights=weights)
        assert data["value"] == pytest.approx(expected, abs=1e-12)
        assert (data["units"], data["coders"]) == (10, 2)
    out = run("agreement-table", str(path), "--metric", "alpha", "--level", "ordinal", "--json",
              expect=1)
    assert "needs ordered categories" in out.stderr
    text = run("agreement-table", str(path), "--metric", "percent").stdout
    assert text == "percent (nominal) = 0.600 on 10 units, 2 coders\n"


@pytest.mark.parametrize("raw, message", [
    ("unit,A,B\nu1,1,2\nu2,1\n", "k.csv, line 3, column 3: this row has 2 cells but the header has 3"),
    ("unit,A,A\nu1,1,2\n", "k.csv, line 1, column 3: coder name 'A' repeats column 2"),
    ("unit,A,B\nu1,1,2\nu1,2,2\n", "k.csv, line 3, column 1: unit id 'u1' repeats line 2"),
    ("", "k.csv, line 1, column 1: the file is empty"),
])
def test_agreement_table_malformed_csv_names_row_and_column(run, tmp_path, raw, message):
    path = tmp_path / "k.csv"
    path.write_text(raw, encoding="utf-8")
    out = run("agreement-table", str(path), "--metric", "alpha", "--json", expect=1)
    assert out.stderr.startswith(f"Error: {message}") and out.stdout == ""


def test_agreement_table_cohen_refuses_four_coders(run, k2011):
    out = run("agreement-table", k2011, "--metric", "cohen", "--json", expect=1)
    assert "k2011.csv" in out.stderr and "two coders" in out.stderr


def spans_csv(rows):
    return "coder,code,start,end\n" + "".join(f"{c},{k},{s},{e}\n" for c, k, s, e in rows)


def test_agreement_spans_reproduces_krippendorff_2004(run, tmp_path):
    # Krippendorff (2004), Content Analysis 2nd ed., pp. 253-254: continuum 150..450; code c
    # D_o .0144, D_e .0532, alpha .7286; code k identical spans, D_e .0490, alpha 1. Code z is
    # marked by i only: j still counts for it, with no spans (one unit inside j's gap).
    rows = [("i", "c", 225, 295), ("i", "c", 370, 400), ("j", "c", 220, 300), ("j", "c", 355, 375),
            ("j", "c", 400, 420), ("i", "k", 180, 240), ("i", "k", 300, 350), ("j", "k", 180, 240),
            ("j", "k", 300, 350), ("i", "z", 200, 210)]
    path = tmp_path / "spans.csv"
    path.write_text(spans_csv(rows), encoding="utf-8")
    data = json.loads(run("agreement-spans", str(path), "--continuum", "150:450", "--json").stdout)
    assert list(data["codes"]) == ["c", "k", "z"]
    c, k, z = (data["codes"][x] for x in "ckz")
    assert [round(c[f], 4) for f in ("observed_disagreement", "expected_disagreement", "alpha")] == \
        [0.0144, 0.0532, 0.7286]
    assert (k["observed_disagreement"], round(k["expected_disagreement"], 4), k["alpha"]) == (0, 0.049, 1.0)
    assert z["alpha"] < 0 and z["observed_disagreement"] == pytest.approx(2 * 10**2 / (2 * 300**2))


@pytest.mark.parametrize("raw, continuum, message", [
    ("coder,code,begin,end\ni,c,1,2\n", "0:10", "line 1, column 5: the header lacks the column(s) start"),
    ("coder,code,start,end\ni,c,1,x\n", "0:10", "line 2, column 4: end 'x' is not a whole number"),
    ("coder,code,start,end\ni,c,5,5\n", "0:10", "line 2, column 4: end 5 is not after start 5"),
    ("coder,code,start,end\ni,c,1,2\nj,c,8,12\n", "0:10", "line 3, column 4: the span 8-12 lies outside the continuum 0:10"),
    ("coder,code,start,end\n,c,1,2\n", "0:10", "line 2, column 1: the coder is empty"),
    ("coder,code,start,end\ni,c,1,2\n", "0:10", "unitizing alpha needs two or more coders"),
    ("coder,code,start,end\ni,c,1,2\n", "10:5", "--continuum '10:5' is empty"),
    ("coder,code,start,end\ni,c,1,2\n", "ten", "--continuum 'ten' must be START:END"),
])
def test_agreement_spans_errors(run, tmp_path, raw, continuum, message):
    path = tmp_path / "s.csv"
    path.write_text(raw, encoding="utf-8")
    out = run("agreement-spans", str(path), "--continuum", continuum, "--json", expect=1)
    assert message in out.stderr and out.stdout == ""


@pytest.fixture
def project(run):
    db = Database(run.db)
    build_project(db, cleo=True)
    db.close()
    return run


def test_agreement_on_the_project_gives_the_issue_json(project):
    metrics = oracle("sklearn.metrics")
    data = json.loads(project("agreement", "--coders", "ana,ben", "--unit", "sentence",
                              "--documents", "int01", "--draws", "200", "--json").stdout)
    assert (data["unit"], data["coders"], data["documents"], data["units"]) == \
        ("sentence", ["ana", "ben"], ["int01"], 7)
    assert [c["code"] for c in data["codes"]] == [FIN, VISA, STIPEND]
    visa = data["codes"][1]
    # By hand: ana coded sentence 1, ben sentences 1 and 2, of seven.
    assert visa["cohen"] == pytest.approx(metrics.cohen_kappa_score([0, 1, 0, 0, 0, 0, 0],
                                                                    [0, 1, 1, 0, 0, 0, 0]), abs=1e-12)
    assert visa["units"] == 7 and visa["percent"] == pytest.approx(6 / 7)
    assert {"code", "units", "percent", "cohen", "fleiss", "alpha", "ac1", "bp", "scott",
            "alpha_low", "alpha_high", "verdict", "note"} <= set(visa)
    assert set(data["overall"]) == {"codes", "pooled", "mean", "pooled_method", "mean_method"}
    json.dumps(data, allow_nan=False)  # strict JSON: undefined values are null, never NaN


def test_agreement_three_coders_has_no_cohen_and_rollup_adds_parents(project):
    data = json.loads(project("agreement", "--unit", "document", "--rollup", "--draws", "0",
                              "--json").stdout)
    assert data["coders"] == ["ana", "ben", "cleo"] and data["rollup"] is True
    assert [c["code"] for c in data["codes"]] == ["Barriers", FIN, VISA, "Enablers", STIPEND]
    assert all(c["cohen"] is None for c in data["codes"])


def test_agreement_exports_and_prints_the_methods_paragraph(project, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    out = project("agreement", "--coders", "ana", "--coders", "ben", "--unit", "turn",
                  "--export", str(tmp_path / "t.xlsx"), "--methods")
    assert out.stdout.startswith("Two coders (ana and ben) independently coded two documents")
    assert "Agreement was assessed per speaker turn" in out.stdout
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["Agreement", "Overall", "By document", "Methods"]
    project("agreement", "--coders", "ana,ben", "--export", str(tmp_path / "t.csv"), "--draws", "0")
    assert (tmp_path / "t.csv").read_bytes().startswith(b"\xef\xbb\xbfcode,units,coders,")
    text = project("agreement", "--coders", "ana,ben", "--draws", "0").stdout
    assert text.splitlines()[0] == "10 sentence units, coders ana, ben, 2 documents"
    assert text.splitlines()[1].startswith(f"{FIN}: percent 1.000, cohen 1.000, alpha 1.000")


@pytest.mark.parametrize("args, message", [
    (["--coders", "ana"], "agreement needs two or more coders"),
    (["--coders", "ana,zoe"], "no coder 'zoe'"),
    (["--documents", "int99"], "no document 'int99'"),
    (["--export", "t.ods"], "--export t.ods: the file must end in .csv or .xlsx"),
])
def test_agreement_errors(project, args, message):
    out = project("agreement", *args, "--json", expect=1)
    assert message in out.stderr
