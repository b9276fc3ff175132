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
            "alpha_low", "alpha_high", "verdict", "prevalence", "where_applied", "paradox"} <= set(visa)
    assert visa["paradox"] is False and data["paradox"] is None
    assert set(data["overall"]) == {"codes", "per_code", "pooled", "mean", "absent_share",
                                    "pooled_method", "mean_method"}
    assert (data["comparable_units"], data["comparable_documents"], data["missing"]) == \
        (7, 1, "comparable")
    json.dumps(data, allow_nan=False)  # strict JSON: undefined values are null, never NaN


def test_agreement_json_states_the_comparable_units_overall_and_per_pair(project):
    """ben coded only int01 (7 sentences), ana and cleo both documents (7 + 3 sentences): by
    hand, ana and ben can be compared on 7 sentences in 1 document, ana and cleo on 10 in 2."""
    data = json.loads(project("agreement", "--coders", "ana,ben", "--draws", "0", "--json").stdout)
    assert (data["units"], data["comparable_units"], data["comparable_documents"]) == (10, 7, 1)
    assert data["comparable_document_names"] == ["int01"]
    assert data["coder_documents"] == {"ana": ["int01", "int02"], "ben": ["int01"]}
    assert all(c["units"] == 7 for c in data["codes"])  # the statistics use those 7 only
    assert data["pairs"] == [{"coders": ["ana", "ben"], "comparable_units": 7,
                              "comparable_documents": 1, "comparable_document_names": ["int01"],
                              "units": 10, "documents": 2}]
    three = json.loads(project("agreement", "--draws", "0", "--json").stdout)
    assert (three["comparable_units"], three["comparable_documents"]) == (7, 1)
    assert [(p["coders"], p["comparable_units"], p["comparable_documents"]) for p in three["pairs"]] \
        == [(["ana", "ben"], 7, 1), (["ana", "cleo"], 10, 2), (["ben", "cleo"], 7, 1)]
    text = project("agreement", "--draws", "0").stdout.splitlines()
    assert text[0] == "ana, ben, and cleo: 7 of 10 sentence units comparable (rated by all 3), " \
                      "in 1 of 2 documents (int01)"
    assert text[1] == "pairs: ana–ben 7 units in 1 document; ana–cleo 10 units in 2 documents; " \
                      "ben–cleo 7 units in 1 document"


def test_gwet_missing_data_treatment_is_an_option_and_is_named(project):
    data = json.loads(project("agreement", "--coders", "ana,ben", "--missing", "gwet",
                              "--draws", "0", "--methods", "--json").stdout)
    assert data["missing"] == "gwet" and data["missing_method"].startswith("Gwet's (2014)")
    assert all(c["units"] == 7 for c in data["codes"])  # units rated by both: int02 has ana only
    assert "with Gwet's (2014) treatment of missing ratings" in data["methods"]
    assert data["comparable_units"] == 7  # still stated
    text = project("agreement", "--coders", "ana,ben", "--missing", "gwet", "--draws", "0").stdout
    assert "statistics with Gwet's (2014) missing-data treatment: all 10 units, 3 of them rated " \
           "by fewer than all coders" in text
    default = project("agreement", "--coders", "ana,ben", "--draws", "0").stdout
    assert "Gwet's (2014)" not in default and "statistics on the comparable units only" in default
    out = project("agreement", "--missing", "pairwise", "--json", expect=2)
    assert "'pairwise' is not one of 'comparable', 'gwet'" in out.stderr


def test_text_output_leads_with_per_code_results_and_pools_second(project):
    """ana and cleo on both documents (ten sentences). Per-code alpha by hand (nominal, two
    coders, no missing: alpha = 1 - (n - 1)(b + c) / (n0 n1) with n = 20 values):
    FIN: both on sentence 9, ana alone on 2, cleo alone on 3 -> n1 = 4, n0 = 16, b + c = 2:
    1 - 19*2/64 = .406; VISA: both on 1 -> 1.000; STIPEND: ana alone on 5 -> n1 = 1, n0 = 19,
    1 - 19/19 = 0. Mean .469, median .406, range 0 to 1; 1 reaches .800, 1 reaches .667.
    No coder applied FIN in 7 sentences, VISA in 9, STIPEND in 9: 25 of 30 pairs (83.3%)."""
    import numpy as np
    from test_agreement import nltk_task
    from test_agreement_report import HAND

    by_hand = {FIN: 1 - 19 * 2 / (16 * 4), VISA: 1.0, STIPEND: 1 - 19 * 1 / (19 * 1)}
    for code, alpha in by_hand.items():  # the independent implementation agrees
        m = np.array([HAND[code]["ana"], HAND[code]["cleo"]], dtype=float).T
        assert nltk_task(m).alpha() == pytest.approx(alpha, abs=1e-12)
    values = sorted(by_hand.values())
    assert (round(sum(values) / 3, 3), round(values[1], 3)) == (0.469, 0.406)
    lines = project("agreement", "--coders", "ana,cleo", "--draws", "0").stdout.splitlines()
    assert lines[0] == "ana and cleo: 10 of 10 sentence units comparable (rated by both), in 2 " \
                       "of 2 documents"
    assert lines[1].startswith("statistics on the comparable units only")
    assert lines[2] == ("Per code (3 of 3 codes with alpha defined): mean alpha .469, median "
                        ".406, range .000 to 1.000; 1 of 3 reach .800, 1 of 3 reach .667.")
    assert lines[3].startswith("Pooled over codes: percent ") and \
        "dominated by absent/absent pairs: no coder applied the code in 83.3% of the code × " \
        "sentence pairs" in lines[3]
    assert lines[4].startswith(f"{FIN}: ")
    methods = project("agreement", "--coders", "ana,cleo", "--draws", "0", "--methods").stdout
    assert methods.index("per-code alpha had a mean of .469") < methods.index("Pooled over all codes")
    assert "bootstrap" not in methods


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
    assert out.stdout.startswith("Two coders (ana and ben) coded independently with three codes: "
                                 "ana coded both documents; ben coded 1 (int01).")
    assert "Agreement was assessed per speaker turn" in out.stdout
    assert "bootstrap over 1,000 resamples" in out.stdout
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["Agreement", "Compared", "Overall", "By document", "Methods"]
    project("agreement", "--coders", "ana,ben", "--export", str(tmp_path / "t.csv"), "--draws", "0")
    assert (tmp_path / "t.csv").read_bytes().startswith(b"\xef\xbb\xbfcode,units,coders,")
    text = project("agreement", "--coders", "ana,ben", "--draws", "0").stdout
    assert text.splitlines()[0] == ("ana and ben: 7 of 10 sentence units comparable (rated by "
                                    "both), in 1 of 2 documents (int01)")
    assert text.splitlines()[4].startswith(f"{FIN}: percent 1.000, cohen 1.000, alpha 1.000")


@pytest.mark.parametrize("args, message", [
    (["--coders", "ana"], "agreement needs two or more coders"),
    (["--coders", "ana,zoe"], "no coder 'zoe'"),
    (["--documents", "int99"], "no document 'int99'"),
    (["--export", "t.ods"], "--export t.ods: the file must end in .csv or .xlsx"),
])
def test_agreement_errors(project, args, message):
    out = project("agreement", *args, "--json", expect=1)
    assert message in out.stderr


def test_ana_and_chen_on_the_sample_are_compared_on_the_documents_both_coded(sample_db_file, tmp_path):
    """The issue's case. The comparable documents are derived here from the sample's coding
    sheet (the documents in which each coder has a coding), the comparable units by counting
    those documents' sentence rows; neither comes from qualcode's agreement code."""
    import csv
    import shutil

    from sqlalchemy import func, select

    from qualcode.project.sample import SAMPLE_CODINGS
    from qualcode.store.models import Document, Sentence

    with open(SAMPLE_CODINGS, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    coded = {c: {r["document"] for r in rows if r["coder"] == c} for c in ("ana", "chen")}
    both = sorted(coded["ana"] & coded["chen"])
    assert len(both) == 4 and len(coded["ana"]) == 12
    path = tmp_path / "sample.db"
    shutil.copy(sample_db_file, path)
    db = Database(path)
    with db.session() as s:
        sentences = s.scalar(select(func.count()).select_from(Sentence).join(Document)
                             .where(Document.name.in_(both)))
        total = s.scalar(select(func.count()).select_from(Sentence))
    db.close()
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(path), "agreement", "--coders", "ana,chen",
                                  "--draws", "0", "--json", "--methods"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["comparable_documents"], data["comparable_document_names"]) == (4, both)
    assert (data["comparable_units"], data["units"]) == (sentences, total)
    assert (sentences, total) == (836, 2477)  # the issue's figures
    assert all(c["units"] == sentences for c in data["codes"])
    assert f"ana coded all 12 documents; chen coded 4 ({', '.join(both[:-1])}, and {both[-1]})" \
        in data["methods"]
    text = runner.invoke(main, ["--db", str(path), "agreement", "--coders", "ana,chen", "--draws",
                                "0"], catch_exceptions=False).stdout
    assert text.splitlines()[0] == (
        f"ana and chen: 836 of 2,477 sentence units comparable (rated by both), in 4 of 12 "
        f"documents ({', '.join(both[:-1])}, and {both[-1]})")
