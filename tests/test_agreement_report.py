"""The agreement report on a project: per-code statistics against independent libraries
(scikit-learn, nltk) on unit matrices written out by hand, pooled and mean figures, the
document × code breakdown, thresholds, the methods paragraph and the CSV/XLSX exports."""

from __future__ import annotations

import io
import math
import random

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from test_agreement import nltk_task, oracle
from test_agreement_units import FIN, STIPEND, VISA, build_project

from qualcode.agreement import stats as ag
from qualcode.agreement.report import (
    build_report,
    document_breakdown,
    export_table,
    methods_paragraph,
    table_csv,
    table_xlsx,
    verdict,
)
from qualcode.agreement.units import UnitMatrix, build_unit_matrix
from qualcode.project.codes import paths_by_id
from qualcode.store.models import Code, Coder, Coding, Document, Sentence

M = -1
# Sentence matrices of the test project, derived by hand (see test_agreement_units.py):
# int01's seven sentences, then int02's three, which ben never coded.
HAND = {
    FIN: {"ana": [0, 0, 1, 0, 0, 0, 0, 0, 0, 1], "ben": [0, 0, 1, 0, 0, 0, 0, M, M, M],
          "cleo": [0, 0, 0, 1, 0, 0, 0, 0, 0, 1]},
    VISA: {"ana": [0, 1, 0, 0, 0, 0, 0, 0, 0, 0], "ben": [0, 1, 1, 0, 0, 0, 0, M, M, M],
           "cleo": [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]},
    STIPEND: {"ana": [0, 0, 0, 0, 0, 1, 0, 0, 0, 0], "ben": [0, 0, 0, 0, 0, 0, 1, M, M, M],
              "cleo": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]},
}


def hand_matrix(code, coders, units=slice(None)):
    """units × coders floats with NaN where a coder did not rate the unit."""
    m = np.array([HAND[code][c] for c in coders], dtype=float).T[units]
    m[m < 0] = np.nan
    return m


def both_rated(m):
    keep = ~np.isnan(m).any(axis=1)
    return m[keep].astype(int)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from qualcode.store.db import Database

    db = Database(tmp_path_factory.mktemp("agreement") / "project.db")
    build_project(db, cleo=True)
    yield db
    db.close()


def test_two_coder_statistics_per_code_match_scikit_learn_and_nltk(project):
    metrics = oracle("sklearn.metrics")
    report = build_report(build_unit_matrix(project, coders=["ana", "ben"]), draws=200)
    table = report.table.set_index("code")
    assert list(table.index) == [FIN, VISA, STIPEND]
    for code in table.index:
        m = hand_matrix(code, ["ana", "ben"])
        pair = both_rated(m)
        task = nltk_task(pair.astype(float))  # nltk's pairwise statistics need complete data
        row = table.loc[code]
        assert row["units"] == 7 and row["coders"] == 2
        assert row["cohen"] == pytest.approx(metrics.cohen_kappa_score(pair[:, 0], pair[:, 1]), abs=1e-12)
        assert row["percent"] == pytest.approx(task.avg_Ao(), abs=1e-12)
        assert row["scott"] == pytest.approx(task.pi(), abs=1e-12)
        assert row["alpha"] == pytest.approx(nltk_task(m).alpha(), abs=1e-12)
        assert row["bp"] == pytest.approx(task.S(), abs=1e-12)
        assert row["alpha_low"] <= row["alpha"] <= row["alpha_high"]
    assert table[[f"coded by {c}" for c in ("ana", "ben")]].values.tolist() == [[2, 1], [1, 2], [1, 1]]
    assert table["verdict"].tolist() == ["reliable", "unreliable", "unreliable"]


def test_three_coders_with_a_document_one_coder_skipped_match_nltk(project):
    report = build_report(build_unit_matrix(project, coders=["ana", "ben", "cleo"]), draws=0)
    table = report.table.set_index("code")
    for code in table.index:
        m = hand_matrix(code, ["ana", "ben", "cleo"])
        assert table.loc[code, "alpha"] == pytest.approx(nltk_task(m).alpha(), abs=1e-12)
        assert table.loc[code, "units"] == 10
        assert math.isnan(table.loc[code, "cohen"])  # Cohen's kappa is for two coders
    complete = build_report(build_unit_matrix(project, coders=["ana", "ben", "cleo"],
                                              documents=["int01"]), draws=0).table.set_index("code")
    for code in complete.index:
        m = hand_matrix(code, ["ana", "ben", "cleo"], slice(0, 7))
        # nltk's multi-pi is Siegel & Castellan's K, i.e. Fleiss' kappa on complete data.
        assert complete.loc[code, "fleiss"] == pytest.approx(nltk_task(m).pi(), abs=1e-12)


def test_overall_figures_are_pooled_and_averaged_and_say_so(project):
    metrics = oracle("sklearn.metrics")
    report = build_report(build_unit_matrix(project, coders=["ana", "ben"]), draws=0)
    stacked = np.vstack([both_rated(hand_matrix(c, ["ana", "ben"])) for c in (FIN, VISA, STIPEND)])
    pooled = report.overall["pooled"]
    assert pooled["units"] == 21
    assert pooled["cohen"] == pytest.approx(metrics.cohen_kappa_score(stacked[:, 0], stacked[:, 1]),
                                            abs=1e-12)
    assert pooled["alpha"] == pytest.approx(
        nltk_task(np.vstack([hand_matrix(c, ["ana", "ben"]) for c in (FIN, VISA, STIPEND)])).alpha(),
        abs=1e-12)
    per_code = [nltk_task(hand_matrix(c, ["ana", "ben"])).alpha() for c in (FIN, VISA, STIPEND)]
    assert report.overall["mean"]["alpha"] == pytest.approx(np.mean(per_code), abs=1e-12)
    assert report.overall["pooled_method"].startswith("pooled: every code × unit pair")
    assert report.overall["mean_method"].startswith("mean: the unweighted average")


def test_document_breakdown_uses_each_documents_units_only(project):
    metrics = oracle("sklearn.metrics")
    report = build_report(build_unit_matrix(project, coders=["ana", "cleo"]), draws=0)
    by = report.by_document.set_index(["document", "code"])
    assert list(by.index) == [(d, c) for d in ("int01", "int02") for c in (FIN, VISA, STIPEND)]
    m = hand_matrix(FIN, ["ana", "cleo"]).astype(int)
    assert by.loc[("int01", FIN), "cohen"] == pytest.approx(
        metrics.cohen_kappa_score(m[:7, 0], m[:7, 1]), abs=1e-12)
    assert by.loc[("int02", FIN), "percent"] == 1.0 and by.loc[("int02", FIN), "units"] == 3
    assert math.isnan(by.loc[("int02", VISA), "alpha"])  # nobody applied it there: no variation


@pytest.mark.parametrize("alpha, expected", [
    (1.0, "reliable"), (0.800, "reliable"), (0.7999, "tentative"), (0.667, "tentative"),
    (0.6669, "unreliable"), (-0.2, "unreliable"), (float("nan"), "undefined"), (None, "undefined"),
])
def test_thresholds(alpha, expected):
    assert verdict(alpha) == expected


def synthetic(columns: dict[str, list[list[int]]], coders=("ana", "ben"), unit="sentence",
              documents=("d1",)) -> UnitMatrix:
    """A UnitMatrix from literal per-code columns (one list per coder), all in one document."""
    codes = tuple(columns)
    x = np.array([np.array(columns[c]).T for c in codes], dtype=np.int8)
    n = x.shape[1]
    return UnitMatrix(unit, tuple(coders), codes, tuple(documents), x,
                      np.zeros(n, dtype=np.int64), np.arange(n), np.arange(1, n + 1))


def test_prevalence_note_flags_a_rare_code_with_high_agreement_and_low_kappa():
    rare = [[1, 0] + [0] * 38, [0, 1] + [0] * 38]  # 38 of 40 units agreed, kappa negative
    common = [[1] * 20 + [0] * 20, [1] * 19 + [0] * 21]
    table = build_report(synthetic({"Rare": rare, "Common": common}), draws=0).table
    assert table.loc[0, "percent"] == 0.95 and table.loc[0, "cohen"] < 0
    assert table.loc[0, "note"].startswith("Percent agreement is 95.0% but Cohen's kappa is -0.026")
    assert pd.isna(table.loc[1, "note"])


def test_bootstrap_interval_is_seeded_and_brackets_alpha():
    rng = np.random.default_rng(7)
    a = rng.integers(0, 2, 300)
    b = np.where(rng.random(300) < 0.85, a, 1 - a)
    m = synthetic({"Code": [a.tolist(), b.tolist()]})
    first = build_report(m, draws=500).table.loc[0]
    again = build_report(m, draws=500).table.loc[0]
    assert (first["alpha_low"], first["alpha_high"]) == (again["alpha_low"], again["alpha_high"])
    assert first["alpha_low"] < first["alpha"] < first["alpha_high"]
    assert 0.05 < first["alpha_high"] - first["alpha_low"] < 0.3


def test_methods_paragraph_states_unit_coders_documents_statistics_and_values():
    metrics = oracle("sklearn.metrics")
    a = [1, 1, 0, 0, 0, 0, 1, 0, 0, 0]
    b = [1, 1, 0, 0, 0, 1, 1, 0, 0, 0]
    c = [0, 0, 1, 1, 0, 0, 0, 0, 0, 0]
    d = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    m = synthetic({"Barriers/Cost": [a, b], "Enablers/Mentors": [c, d]}, unit="turn",
                  documents=("p01", "p02"))
    report = build_report(m, draws=100)
    # The values in the paragraph, from the oracles and by hand: pooled over both codes the
    # coders agree on 18 of 20 turns; each marked 5 of 20, so AC1's chance agreement is
    # 2 * .25 * .75 = .375 and AC1 = (.9 - .375) / .625 = .840.
    assert round(metrics.cohen_kappa_score(a + c, b + d), 3) == 0.733
    assert round(nltk_task(np.array([a + c, b + d], dtype=float).T).alpha(), 3) == 0.740
    per_code = [nltk_task(np.array([a, b], dtype=float).T).alpha(),
                nltk_task(np.array([c, d], dtype=float).T).alpha()]
    assert [round(v, 3) for v in per_code] == [0.791, 0.627]
    assert round(np.mean(per_code), 3) == 0.709
    assert methods_paragraph(report) == (
        "Two coders (ana and ben) independently coded two documents with two codes. Agreement "
        "was assessed per speaker turn: for each code, a speaker turn counted as coded by a "
        "coder when that coder applied the code to any part of it (10 speaker turns in total, "
        "a document a coder had not coded at all counting as not rated by that coder). We "
        "computed percent agreement, Cohen's (1960) kappa, Krippendorff's alpha (nominal; "
        "Krippendorff 2011), and Gwet's (2008) AC1 for each code, with a 95% bootstrap "
        "confidence interval for alpha (a percentile bootstrap over 100 resamples of units, after "
        "Hayes & Krippendorff 2007, who resample pairs of values instead), "
        "using qualcode. Pooled over all codes (every code × speaker turn pair counted once), "
        "percent agreement was 90.0%, Cohen's kappa .733, alpha .740 and AC1 .840; averaged "
        "over the 2 codes where it is defined, alpha was .709. Per-code alpha ranged from "
        ".627 to .791; 0 of 2 codes reached alpha ≥ .800, 1 lay between .667 and .800 "
        "(acceptable for tentative conclusions only) and 1 fell below .667 (Krippendorff 2004)."
    )


def test_exports_csv_with_bom_and_crlf_and_xlsx_with_four_sheets(project, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    report = build_report(build_unit_matrix(project, coders=["ana", "ben"]), draws=100)
    path = export_table(report, tmp_path / "agreement.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcode,units,coders,applied,coded by ana,coded by ben,percent,")
    assert raw.count(b"\r\n") == 4 and raw.decode("utf-8-sig") == table_csv(report)
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["code"].tolist() == [FIN, VISA, STIPEND]
    assert back["alpha"].round(6).tolist() == report.table["alpha"].round(6).tolist()
    book = openpyxl.load_workbook(io.BytesIO(table_xlsx(report)))
    assert book.sheetnames == ["Agreement", "Overall", "By document", "Methods"]
    rows = list(book["Agreement"].iter_rows(values_only=True))
    assert rows[0][:3] == ("code", "units", "coders") and [r[0] for r in rows[1:]] == [FIN, VISA, STIPEND]
    assert book["Methods"]["A2"].value == methods_paragraph(report)
    assert [r[0] for r in book["Overall"].iter_rows(values_only=True)] == ["figure", "pooled", "mean"]
    with pytest.raises(ValueError, match="export to .csv or .xlsx"):
        export_table(report, tmp_path / "agreement.ods")


def test_sample_project_with_random_codings_matches_a_naive_matrix_and_the_oracles(sample_db):
    """Two coders code 200 random passages of the sample interviews; the sentence matrix equals a
    naive sentence-by-sentence loop, and every code's statistics equal the oracles' on it."""
    metrics = oracle("sklearn.metrics")
    rng = random.Random(5)
    with sample_db.session() as s:
        pid = sample_db.project_id(s)
        docs = s.scalars(select(Document).order_by(Document.name)).all()[:4]
        codes = [c for c in s.scalars(select(Code).where(Code.project_id == pid)).all()
                 if c.parent_id is not None][:6]
        # Fresh names: the sample project may ship codings by its own coders.
        coders = [Coder(project_id=pid, name=n) for n in ("rand-a", "rand-b")]
        s.add_all(coders)
        s.flush()
        seen = set()
        for _ in range(200):
            doc = rng.choice(docs)
            start = rng.randrange(0, len(doc.text) - 1)
            end = min(len(doc.text), start + rng.randrange(1, 300))
            key = (doc.id, rng.choice(codes).id, rng.choice(coders).id, start, end)
            if key not in seen:
                seen.add(key)
                s.add(Coding(document_id=key[0], code_id=key[1], coder_id=key[2], start=start,
                             end=end, quote=doc.text[start:end]))
        paths = paths_by_id(s, pid)
        sentences = {d.name: s.execute(select(Sentence.start, Sentence.end)
                                       .where(Sentence.document_id == d.id)
                                       .order_by(Sentence.start)).all() for d in docs}
        names = {d.id: d.name for d in docs}
        coder_names = {c.id: c.name for c in coders}
        codings = [(names[d], paths[k], coder_names[c], a, b) for d, k, c, a, b in seen]
    matrix = build_unit_matrix(sample_db, coders=["rand-a", "rand-b"],
                               documents=sorted(sentences))
    assert set(matrix.codes) == {c for _, c, _, _, _ in codings}
    for k, code in enumerate(matrix.codes):
        naive = [[int(any(d == doc and c == code and who == coder and a < e and b > st
                          for d, c, who, a, b in codings))
                  for coder in ("rand-a", "rand-b")]
                 for doc in sorted(sentences) for st, e in sentences[doc]]
        assert matrix.x[k].tolist() == naive
    table = build_report(matrix, draws=0).table
    for k, code in enumerate(matrix.codes):
        m = matrix.x[k]
        row = table.iloc[k]
        assert row["cohen"] == pytest.approx(metrics.cohen_kappa_score(m[:, 0], m[:, 1]), abs=1e-12)
        assert row["alpha"] == pytest.approx(nltk_task(m.astype(float)).alpha(), abs=1e-12)


def test_batched_document_breakdown_equals_one_computation_per_document():
    rng = np.random.default_rng(11)
    lengths = [5, 40, 1, 17, 0, 33]
    n = sum(lengths)
    x = (rng.random((4, n, 3)) < 0.3).astype(np.int8)
    x[:, rng.random((n, 3)) < 0.1] = -1
    docs = tuple(f"d{i}" for i in range(len(lengths)))
    m = UnitMatrix("sentence", ("a", "b", "c"), ("K1", "K2", "K3", "K4"), docs, x,
                   np.repeat(np.arange(len(lengths)), lengths), np.arange(n), np.arange(1, n + 1))
    batched = document_breakdown(m, max_cells=800)  # forces several batches
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    expected = []
    for d, name in enumerate(docs):
        if lengths[d] == 0:
            continue
        res = ag.binary_agreement(x[:, bounds[d]:bounds[d + 1]])
        for k, code in enumerate(m.codes):
            expected.append([name, code, int(res.units[k]), res.percent[k], res.alpha[k], res.ac1[k]])
    got = batched[["document", "code", "units", "percent", "alpha", "ac1"]].values.tolist()
    assert [r[:3] for r in got] == [r[:3] for r in expected]
    np.testing.assert_allclose(np.array([r[3:] for r in got], dtype=float),
                               np.array([r[3:] for r in expected], dtype=float), equal_nan=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binary_bootstrap_is_alpha_bootstrap_without_the_encoding(seed):
    rng = np.random.default_rng(seed)
    x = (rng.random((200, 3)) < 0.25).astype(np.int8)
    x[rng.random((200, 3)) < 0.2] = -1
    f = x.astype(float)
    f[f < 0] = np.nan
    assert ag.binary_alpha_bootstrap(x, draws=300, rng=seed) == ag.alpha_bootstrap(f, draws=300, rng=seed)


def test_large_tables_are_computed_in_batches_and_skip_only_the_pooled_figure(monkeypatch):
    from qualcode.agreement import report as agreement_report

    rng = np.random.default_rng(4)
    cols = {f"K{i}": [rng.integers(0, 2, 50).tolist(), rng.integers(0, 2, 50).tolist()]
            for i in range(5)}
    m = synthetic(cols)
    whole = build_report(m, draws=50)
    monkeypatch.setattr(agreement_report, "MAX_CELLS", 150)  # one or two codes a batch
    monkeypatch.setattr(agreement_report, "POOLED_MAX_CELLS", 100)
    small = build_report(m, draws=50)
    pd.testing.assert_frame_equal(small.table, whole.table)
    assert small.overall["pooled"] is None and small.overall["mean"] == whole.overall["mean"]
    assert "not computed for more than 100 code × unit × coder cells" in small.overall["pooled_method"]
    assert "Averaged over the 5 codes where it is defined" in methods_paragraph(small)


# ---------------------------------------------------------------------------------------------
# Formula injection: every cell the agreement exports write goes through guards.spreadsheet_cell.

HOSTILE_CODE, HOSTILE_CODER, HOSTILE_DOCUMENT = "=1+2", "@SUM(1)", "-2+3"
FORMULA_STARTS = ("=", "+", "-", "@")


def _hostile_project(path):
    """A project whose code, coder and document names a spreadsheet would run as formulas."""
    from qualcode.codebook import Codebook, CodeSpec
    from qualcode.project.codes import apply_codebook
    from qualcode.project.codings import add_coding
    from qualcode.project.documents import import_files
    from qualcode.store.db import Database

    db = Database(path)
    with db.session() as s:
        apply_codebook(s, db.project_id(s), Codebook(None, [CodeSpec((HOSTILE_CODE,)),
                                                              CodeSpec(("+SUM(2)",))]))
    text = "Interviewer: How was it?\nP01: It took months. The fee was high. I gave up.\n"
    assert not import_files(db, [(f"{HOSTILE_DOCUMENT}.txt", text.encode())]).errors
    for code, coder, match in [(HOSTILE_CODE, "ana", "It took months."),
                               (HOSTILE_CODE, HOSTILE_CODER, "It took months. The fee"),
                               ("+SUM(2)", "ana", "I gave up."),
                               ("+SUM(2)", HOSTILE_CODER, "The fee was high.")]:
        add_coding(db, HOSTILE_DOCUMENT, code, coder, match=match)
    return db


def _assert_no_formula_cells(book):
    """No cell of any sheet is a formula or text a spreadsheet would evaluate."""
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), \
                        (sheet.title, cell.coordinate, cell.value)
                    seen.add(cell.value)
    return seen


def _assert_no_formula_csv(raw: bytes):
    import csv

    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    cells = [c for r in rows for c in r]
    for cell in cells:
        # A negative statistic is a number, not text a spreadsheet would run.
        if cell.startswith("-") and _is_number(cell):
            continue
        assert not cell.startswith(FORMULA_STARTS), cell
    return set(cells)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_exports_never_write_a_name_as_a_live_formula(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    db = _hostile_project(tmp_path / "hostile.db")
    try:
        matrix = build_unit_matrix(db, coders=["ana", HOSTILE_CODER])
    finally:
        db.close()
    assert HOSTILE_CODE in matrix.codes and HOSTILE_DOCUMENT in matrix.documents
    report = build_report(matrix, draws=20)
    # The Agreement page's download (table_xlsx) and the export file.
    for raw in (table_xlsx(report), export_table(report, tmp_path / "a.xlsx").read_bytes()):
        book = openpyxl.load_workbook(io.BytesIO(raw))
        assert book.sheetnames == ["Agreement", "Overall", "By document", "Methods"]
        seen = _assert_no_formula_cells(book)
        # The names are kept as text, behind the guard's apostrophe.
        assert {"'" + HOSTILE_CODE, "'" + HOSTILE_DOCUMENT, f"coded by {HOSTILE_CODER}"} <= seen
        by_document = list(book["By document"].iter_rows(values_only=True))
        assert ("'" + HOSTILE_DOCUMENT, "'" + HOSTILE_CODE) in {r[:2] for r in by_document}
    csv_cells = _assert_no_formula_csv(export_table(report, tmp_path / "a.csv").read_bytes())
    assert "'" + HOSTILE_CODE in csv_cells
    assert _assert_no_formula_csv(table_csv(report).encode()) == csv_cells


def test_cli_export_never_writes_a_name_as_a_live_formula(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from click.testing import CliRunner

    from qualcode.cli import main

    _hostile_project(tmp_path / "hostile.db").close()
    runner = CliRunner()
    for name in ("t.xlsx", "t.csv"):
        result = runner.invoke(main, ["--db", str(tmp_path / "hostile.db"), "agreement",
                                      "--coders", f"ana,{HOSTILE_CODER}", "--draws", "20",
                                      "--export", str(tmp_path / name)], catch_exceptions=False)
        assert result.exit_code == 0, result.output + result.stderr
    seen = _assert_no_formula_cells(openpyxl.load_workbook(tmp_path / "t.xlsx"))
    assert "'" + HOSTILE_CODE in seen
    assert "'" + HOSTILE_CODE in _assert_no_formula_csv((tmp_path / "t.csv").read_bytes())
