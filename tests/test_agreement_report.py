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
        # By default only the comparable units: int01's seven sentences (ben never coded int02).
        m = hand_matrix(code, ["ana", "ben"], slice(0, 7))
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
    # ana's coding of int02 is outside the comparable units, so it is not counted here.
    assert table[[f"coded by {c}" for c in ("ana", "ben")]].values.tolist() == [[1, 1], [1, 2], [1, 1]]
    assert table["verdict"].tolist() == ["reliable", "unreliable", "unreliable"]
    # Gwet's treatment keeps int02's three sentences, which only ana rated: alpha (pairable
    # values only) and Cohen (units both rated) are unchanged, Fleiss' pi_k takes them in.
    gwet = build_report(build_unit_matrix(project, coders=["ana", "ben"]), draws=0,
                        missing="gwet").table.set_index("code")
    for code in gwet.index:
        m = hand_matrix(code, ["ana", "ben"])
        assert gwet.loc[code, "alpha"] == pytest.approx(nltk_task(m).alpha(), abs=1e-12)
        assert gwet.loc[code, "fleiss"] == pytest.approx(ag.fleiss_kappa(m).value, abs=1e-12)
        assert gwet.loc[code, "cohen"] == pytest.approx(table.loc[code, "cohen"], abs=1e-12)
    assert gwet[[f"coded by {c}" for c in ("ana", "ben")]].values.tolist() == [[2, 1], [1, 2], [1, 1]]


def test_three_coders_with_a_document_one_coder_skipped_match_nltk(project):
    matrix = build_unit_matrix(project, coders=["ana", "ben", "cleo"])
    table = build_report(matrix, draws=0).table.set_index("code")
    gwet = build_report(matrix, draws=0, missing="gwet").table.set_index("code")
    for code in table.index:
        # Default: the seven sentences of int01, the one document all three coded.
        m = hand_matrix(code, ["ana", "ben", "cleo"], slice(0, 7))
        assert table.loc[code, "alpha"] == pytest.approx(nltk_task(m).alpha(), abs=1e-12)
        assert table.loc[code, "units"] == 7
        assert math.isnan(table.loc[code, "cohen"])  # Cohen's kappa is for two coders
        # Gwet's treatment: all ten sentences (int02's rated by ana and cleo).
        m = hand_matrix(code, ["ana", "ben", "cleo"])
        assert gwet.loc[code, "alpha"] == pytest.approx(nltk_task(m).alpha(), abs=1e-12)
        assert gwet.loc[code, "units"] == 10
    complete = build_report(build_unit_matrix(project, coders=["ana", "ben", "cleo"],
                                              documents=["int01"]), draws=0).table.set_index("code")
    for code in complete.index:
        m = hand_matrix(code, ["ana", "ben", "cleo"], slice(0, 7))
        # nltk's multi-pi is Siegel & Castellan's K, i.e. Fleiss' kappa on complete data.
        assert complete.loc[code, "fleiss"] == pytest.approx(nltk_task(m).pi(), abs=1e-12)


def test_overall_figures_are_pooled_and_averaged_and_say_so(project):
    metrics = oracle("sklearn.metrics")
    report = build_report(build_unit_matrix(project, coders=["ana", "ben"]), draws=0)
    int01 = slice(0, 7)
    stacked = np.vstack([both_rated(hand_matrix(c, ["ana", "ben"], int01))
                         for c in (FIN, VISA, STIPEND)])
    pooled = report.overall["pooled"]
    assert pooled["units"] == 21
    assert pooled["cohen"] == pytest.approx(metrics.cohen_kappa_score(stacked[:, 0], stacked[:, 1]),
                                            abs=1e-12)
    assert pooled["alpha"] == pytest.approx(nltk_task(stacked.astype(float)).alpha(), abs=1e-12)
    per_code = [nltk_task(hand_matrix(c, ["ana", "ben"], int01)).alpha() for c in (FIN, VISA, STIPEND)]
    assert report.overall["mean"]["alpha"] == pytest.approx(np.mean(per_code), abs=1e-12)
    assert report.overall["pooled_method"].startswith("pooled: every code × unit pair")
    # Of the 21 code × sentence pairs, 16 are 0/0 (by hand: FIN 6, VISA 5, STIPEND 5).
    assert report.overall["absent_share"] == pytest.approx(16 / 21)
    assert "no coder applied the code in 76.2% of the code × sentence pairs" in \
        report.overall["pooled_method"]
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
              documents=("d1",), unit_document=None) -> UnitMatrix:
    """A UnitMatrix from literal per-code columns (one list per coder), in the first document
    unless ``unit_document`` says which document each unit lies in."""
    codes = tuple(columns)
    x = np.array([np.array(columns[c]).T for c in codes], dtype=np.int8)
    n = x.shape[1]
    where = np.zeros(n, dtype=np.int64) if unit_document is None else np.array(unit_document)
    return UnitMatrix(unit, tuple(coders), codes, tuple(documents), x, where, np.arange(n),
                      np.arange(1, n + 1))


def pair(both: int, first_only: int, second_only: int, neither: int) -> list[list[int]]:
    """Two coders' columns from the four cells of their 2 × 2 table."""
    a = [1] * both + [1] * first_only + [0] * second_only + [0] * neither
    b = [1] * both + [0] * first_only + [1] * second_only + [0] * neither
    return [a, b]


def test_the_kappa_paradox_is_noted_only_where_true_and_once_naming_its_codes():
    metrics = oracle("sklearn.metrics")
    columns = {
        # Applied to nearly every unit; the coders agree on 90 of the 100 units where either
        # applied it, yet kappa is negative: the paradox.
        "Everywhere": pair(90, 5, 5, 0),
        "Nearly everywhere": pair(94, 3, 3, 0),
        # The case: 92% agreement, kappa low, but the coders agree on 1 of the 9 units
        # either applied the code to. Low kappa is the finding, not a paradox.
        "Rare, disagreed": pair(1, 4, 4, 91),
        "Agreed": pair(50, 0, 0, 50),
    }
    report = build_report(synthetic(columns), draws=0)
    table = report.table.set_index("code")
    # By hand. Everywhere: p_o = 90/100; each coder applied it to 95, so Cohen's p_e = .95² + .05²
    # = .905 and kappa = (.9 - .905)/(1 - .905) = -.0526; prevalence π = 190/200 = .95, chance
    # π² + (1 - π)² = .905 ≥ .80; agreement where applied 90/100 = .9 > .5.
    for code, (po, kappa, prevalence, where) in {
        "Everywhere": (0.90, (0.90 - 0.905) / 0.095, 0.95, 0.90),
        "Nearly everywhere": (0.94, (0.94 - 0.9418) / 0.0582, 0.97, 0.94),
        "Rare, disagreed": (0.92, (0.92 - 0.905) / 0.095, 0.05, 1 / 9),
    }.items():
        row = table.loc[code]
        a, b = columns[code]
        assert row["cohen"] == pytest.approx(metrics.cohen_kappa_score(a, b), abs=1e-12)
        assert row["cohen"] == pytest.approx(kappa, abs=1e-12)
        assert (row["percent"], row["prevalence"]) == (pytest.approx(po), pytest.approx(prevalence))
        assert row["where_applied"] == pytest.approx(where)
    assert table["paradox"].tolist() == [True, True, False, False]
    assert report.paradox["codes"] == ["Everywhere", "Nearly everywhere"]
    note = report.paradox["note"]
    assert note.startswith("Kappa paradox for 2 codes: Everywhere (percent 90.0%, Cohen's kappa "
                           "-.053, applied in 95% of ratings); Nearly everywhere (percent 94.0%")
    assert "Rare, disagreed" not in note and note.count("paradox") == 1
    text = methods_paragraph(report)
    assert text.count("kappa paradox") == 1
    assert "For two codes (Everywhere and Nearly everywhere) percent agreement was high and the " \
           "coders agreed on most units where either of them applied the code" in text
    # Without the paradox codes there is no note at all.
    calm = build_report(synthetic({k: columns[k] for k in ("Rare, disagreed", "Agreed")}), draws=0)
    assert calm.paradox is None and "paradox" not in methods_paragraph(calm)
    assert not calm.table["paradox"].any()


def test_kappa_paradox_rule_needs_every_part():
    assert ag.kappa_paradox(0.9, -0.05, chance=0.905, where_applied=0.9)
    assert not ag.kappa_paradox(0.9, -0.05, chance=0.905, where_applied=0.5)  # not most
    assert not ag.kappa_paradox(0.9, -0.05, chance=0.75, where_applied=0.9)  # not skewed
    assert not ag.kappa_paradox(0.85, -0.05, chance=0.905, where_applied=0.9)  # not high
    assert not ag.kappa_paradox(0.95, 0.7, chance=0.905, where_applied=0.9)  # not low
    assert not ag.kappa_paradox(0.95, float("nan"), chance=0.905, where_applied=0.9)


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
                  documents=("p01", "p02"), unit_document=[0] * 5 + [1] * 5)
    report = build_report(m, draws=100)
    # The values in the paragraph, from the oracles and by hand: pooled over both codes the
    # coders agree on 18 of 20 turns; each marked 5 of 20, so AC1's chance agreement is
    # 2 * .25 * .75 = .375 and AC1 = (.9 - .375) / .625 = .840. No coder applied the code in
    # 6 + 8 = 14 of the 20 code × turn pairs (70.0%).
    assert round(metrics.cohen_kappa_score(a + c, b + d), 3) == 0.733
    assert round(nltk_task(np.array([a + c, b + d], dtype=float).T).alpha(), 3) == 0.740
    per_code = [nltk_task(np.array([a, b], dtype=float).T).alpha(),
                nltk_task(np.array([c, d], dtype=float).T).alpha()]
    assert [round(v, 3) for v in per_code] == [0.791, 0.627]
    assert round(np.mean(per_code), 3) == round(np.median(per_code), 3) == 0.709
    assert methods_paragraph(report) == (
        "Two coders (ana and ben) coded independently with two codes: ana and ben coded both "
        "documents. Agreement was assessed per speaker turn: for each code, a speaker turn "
        "counted as coded by a coder when that coder applied the code to any part of it. "
        "Statistics were computed on all 10 speaker turns, in the two documents both coders "
        "coded. We computed percent agreement, Cohen's (1960) kappa, Krippendorff's alpha "
        "(nominal; Krippendorff 2011), and Gwet's (2008) AC1 for each code, with a 95% bootstrap "
        "confidence interval for alpha (a percentile bootstrap over 100 resamples of units, after "
        "Hayes & Krippendorff 2007, who resample pairs of values instead), using qualcode. "
        "Across the two codes for which alpha is defined, per-code alpha had a mean of .709 and "
        "a median of .709 (range .627 to .791); 0 of 2 reached .800, the level Krippendorff "
        "(2004) requires for firm conclusions, and 1 of 2 reached at least .667, the lowest he "
        "accepts for tentative ones. Pooled over all codes (every code × speaker turn pair "
        "counted as one unit), percent agreement was 90.0%, Cohen's kappa .733, alpha .740 and "
        "AC1 .840; this figure is dominated by the 70.0% of code × speaker turn pairs in which "
        "no coder applied the code, on which coders trivially agree, so the per-code values "
        "above are the ones to read."
    )


def test_methods_paragraph_without_draws_mentions_no_bootstrap():
    m = synthetic({"Cost": pair(3, 1, 0, 6)})
    text = methods_paragraph(build_report(m, draws=0))
    assert "bootstrap" not in text.lower() and "resample" not in text
    assert "for each code, using qualcode." in text
    assert "bootstrap over 1,000 resamples" in methods_paragraph(build_report(m, draws=1000))


def test_methods_paragraph_names_who_coded_which_documents(db):
    """Four documents: ana codes three, cleo two, ben one, nobody the fourth (derived by hand
    from the codings below); the paragraph says so, never "coded four documents"."""
    build_project(db, cleo=True)  # ana: int01, int02; ben: int01; cleo: int01, int02
    from qualcode.project.documents import import_files

    assert not import_files(db, [("int03.txt", b"Interviewer: Hello?\nP03: Fine.\n"),
                                 ("int04.txt", b"Interviewer: Hi?\nP04: Good.\n")]).errors
    from qualcode.project.codings import add_coding

    add_coding(db, "int03", FIN, "ana", match="Fine.")
    report = build_report(build_unit_matrix(db, coders=["ana", "ben", "cleo"]), draws=0)
    text = methods_paragraph(report)
    assert text.startswith(
        "Three coders (ana, ben, and cleo) coded independently with three codes: ana coded all "
        "but 1 (int04); cleo coded 2 (int01 and int02); ben coded 1 (int01); nobody coded 1 "
        "(int04). ")
    assert "independently coded" not in text and "four documents" not in text
    # Only int01 was coded by all three: its seven sentences are the comparable units (the
    # document is not named twice: "ben coded 1 (int01)" has just named it).
    assert "the comparable units only, the 7 sentences (of 14) in the one document every coder " \
           "coded; pairwise" in text
    assert "pairwise, ana and ben shared 7 sentences in one document, ana and cleo 10 in two " \
           "documents, and ben and cleo 7 in one document" in text


def test_exports_csv_with_bom_and_crlf_and_xlsx_with_five_sheets(project, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    report = build_report(build_unit_matrix(project, coders=["ana", "ben"]), draws=100)
    path = export_table(report, tmp_path / "agreement.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcode,units,coders,applied,applied_by_all,coded by ana,"
                          b"coded by ben,percent,")
    assert raw.count(b"\r\n") == 4 and raw.decode("utf-8-sig") == table_csv(report)
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["code"].tolist() == [FIN, VISA, STIPEND]
    assert back["alpha"].round(6).tolist() == report.table["alpha"].round(6).tolist()
    book = openpyxl.load_workbook(io.BytesIO(table_xlsx(report)))
    assert book.sheetnames == ["Agreement", "Compared", "Overall", "By document", "Methods"]
    rows = list(book["Agreement"].iter_rows(values_only=True))
    assert rows[0][:3] == ("code", "units", "coders") and [r[0] for r in rows[1:]] == [FIN, VISA, STIPEND]
    assert book["Methods"]["A2"].value == methods_paragraph(report)
    # The per-code summary leads the Overall sheet; the pooled figure comes last.
    assert [r[0] for r in book["Overall"].iter_rows(values_only=True)] == \
        ["figure", "per code: alpha", "mean", "pooled"]
    compared = list(book["Compared"].iter_rows(values_only=True))
    assert compared[0][:5] == ("coders", "comparable units", "units", "comparable documents",
                               "documents")
    assert compared[1][:6] == ("ana, ben", 7, 10, 1, 2, "int01")
    assert compared[2][0] == "statistics on" and "comparable units only" in compared[2][5]
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
    # Gwet's treatment: every unit, whoever rated it (the mask above is per unit).
    batched = document_breakdown(m, max_cells=800, missing="gwet")  # forces several batches
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
    # Comparable (default): each document's units that all three coders rated.
    comparable = document_breakdown(m, max_cells=800)
    keep = (x[0] >= 0).all(axis=1)
    expected = []
    for d, name in enumerate(docs):
        part = x[:, bounds[d]:bounds[d + 1]][:, keep[bounds[d]:bounds[d + 1]]]
        if part.shape[1] == 0:
            continue
        res = ag.binary_agreement(part)
        expected += [[name, code, int(res.units[k]), res.alpha[k]] for k, code in enumerate(m.codes)]
    got = comparable[["document", "code", "units", "alpha"]].values.tolist()
    assert [r[:3] for r in got] == [r[:3] for r in expected]
    np.testing.assert_allclose(np.array([r[3] for r in got], dtype=float),
                               np.array([r[3] for r in expected], dtype=float), equal_nan=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binary_bootstrap_is_alpha_bootstrap_without_the_encoding(seed):
    rng = np.random.default_rng(seed)
    x = (rng.random((200, 3)) < 0.25).astype(np.int8)
    x[rng.random((200, 3)) < 0.2] = -1
    f = x.astype(float)
    f[f < 0] = np.nan
    assert ag.binary_alpha_bootstrap(x, draws=300, rng=seed) == ag.alpha_bootstrap(f, draws=300, rng=seed)


def test_large_tables_are_computed_in_batches_with_the_same_results(monkeypatch):
    from qualcode.agreement import report as agreement_report

    rng = np.random.default_rng(4)
    cols = {f"K{i}": [rng.integers(0, 2, 50).tolist(), rng.integers(0, 2, 50).tolist()]
            for i in range(5)}
    m = synthetic(cols)
    whole = build_report(m, draws=50)
    monkeypatch.setattr(agreement_report, "MAX_CELLS", 150)  # one or two codes a batch
    small = build_report(m, draws=50)
    pd.testing.assert_frame_equal(small.table, whole.table)
    assert small.overall == whole.overall
    pd.testing.assert_frame_equal(small.by_document, whole.by_document)


def test_bootstrap_intervals_from_counts_follow_a_naive_resampling_of_units():
    """The report's intervals (drawn from pattern counts, all codes at once) against a plain
    loop that resamples the units of each code and recomputes alpha with nltk-checked code."""
    rng = np.random.default_rng(9)
    a = rng.integers(0, 2, 120)
    b = np.where(rng.random(120) < 0.8, a, 1 - a)
    table = build_report(synthetic({"Code": [a.tolist(), b.tolist()]}), draws=2000).table.loc[0]
    units = np.stack([a, b], axis=1).astype(float)
    draws = []
    for _ in range(2000):
        pick = units[rng.integers(0, 120, 120)]
        draws.append(ag.krippendorff_alpha(pick).value)
    low, high = np.nanpercentile(draws, [2.5, 97.5])
    assert table["alpha_low"] == pytest.approx(low, abs=0.03)
    assert table["alpha_high"] == pytest.approx(high, abs=0.03)


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
        assert book.sheetnames == ["Agreement", "Compared", "Overall", "By document", "Methods"]
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


def test_the_documented_worked_example_by_hand(project):
    """The agreement example of docs/analysis.md: ana and ben per sentence on the two
    interviews (ben never coded int02). Every number derived by hand from HAND above."""
    report = build_report(build_unit_matrix(project, coders=["ana", "ben"]), draws=0)
    assert (report.comparable.units, report.comparable.documents) == (7, ("int01",))
    table = report.table.set_index("code")
    # Two coders, no missing: alpha = 1 - (n - 1)(b + c) / (n0 n1), n = 14 values.
    # FIN: both on s2 -> 1. VISA: both s1, ben alone s2: n1 = 3, n0 = 11 -> 1 - 13/33 = 20/33.
    # STIPEND: ana s5, ben s6: n1 = 2, n0 = 12 -> 1 - 26/24 = -1/12.
    alphas = {FIN: 1.0, VISA: 20 / 33, STIPEND: -1 / 12}
    for code, alpha in alphas.items():
        assert table.loc[code, "alpha"] == pytest.approx(alpha, abs=1e-12)
    s = report.overall["per_code"]
    assert s["mean_alpha"] == pytest.approx((1 + 20 / 33 - 1 / 12) / 3)  # .508
    assert (s["median_alpha"], s["min_alpha"], s["max_alpha"]) == \
        (pytest.approx(20 / 33), pytest.approx(-1 / 12), 1.0)
    assert (s["reach_800"], s["reach_667"]) == (1, 1)
    # Pooled: a = 2, b = 1, c = 2, d = 16 over 21 pairs; n = 42, n1 = 7, n0 = 35:
    # alpha = 1 - 41 * 3 / (35 * 7) = 122/245 (.498); 16 of 21 pairs (76.2%) are 0/0.
    assert report.overall["pooled"]["alpha"] == pytest.approx(122 / 245)
    assert report.overall["absent_share"] == pytest.approx(16 / 21)
    # Fleiss' kappa for VISA: p_a = 6/7. Comparable: pi_1 = (1 + 1/2)/7 = 3/14, p_e =
    # (3/14)² + (11/14)² = 130/196, kappa = 38/66 (.576). Gwet's treatment adds int02's three
    # sentences rated by ana alone (0, 0, 0): pi_1 = 1.5/10, p_e = .745, kappa = .440.
    assert table.loc[VISA, "fleiss"] == pytest.approx(38 / 66)
    gwet = build_report(build_unit_matrix(project, coders=["ana", "ben"]), draws=0,
                        missing="gwet").table.set_index("code")
    assert gwet.loc[VISA, "fleiss"] == pytest.approx((6 / 7 - 0.745) / 0.255)
    assert gwet.loc[VISA, "alpha"] == pytest.approx(20 / 33)  # unpairable units drop out


def test_methods_paragraph_with_uncoded_documents_counted_as_absent(project):
    m = build_unit_matrix(project, coders=["ana", "ben"], uncoded_documents="absent")
    text = methods_paragraph(build_report(m, draws=0))
    assert "ana coded both documents; ben coded 1 (int01)." in text
    assert "a document a coder had not coded at all counted as coded with no code." in text
    assert "Statistics were computed on all 10 sentences of the two documents." in text
    assert "both coders coded" not in text
