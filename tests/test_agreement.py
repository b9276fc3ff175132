"""Agreement statistics against published worked examples and independent implementations.

Published values come from the papers and pages named at each test. Independent libraries
(scikit-learn, statsmodels, nltk) are oracles here only; they are skipped on a developer's
machine without them but, under CI=true, a missing oracle fails the run (see ``oracle``).
No statistic is ever checked against qualcode's own earlier output.
"""

from __future__ import annotations

import importlib
import math
import os
from fractions import Fraction

import numpy as np
import pytest

from qualcode.agreement import stats as ag
from qualcode.agreement.reliability_data import ReliabilityDataError, parse_reliability_csv

N = None


def oracle(module: str):
    """Import an oracle library: skip when absent, but fail under CI=true (CI must prove it)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        message = (f"oracle library {module!r} is not installed ({exc}); "
                   "pip install -r requirements-dev.txt")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_oracle_helper_skips_locally_and_fails_under_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        oracle("qualcode_no_such_oracle_library")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        oracle("qualcode_no_such_oracle_library")
    assert oracle("math") is math


def rows_from_table(table, labels=None):
    """Two-coder rows (coder 1 = table row, coder 2 = column) from a contingency table."""
    labels = labels or list(range(1, len(table) + 1))
    return [[labels[i], labels[j]] for i, row in enumerate(table) for j, n in enumerate(row)
            for _ in range(n)]


def rows_from_counts(counts):
    """Rows of category indices from a subjects × categories count table (Fleiss layout)."""
    return [[k for k, n in enumerate(row) for _ in range(n)] for row in counts]


# =============================================================================================
# Krippendorff's alpha: Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability",
# the 4 coders × 12 units example with missing values (also in Wikipedia's article).

K2011 = [  # units × coders A, B, C, D
    [1, 1, N, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [N, 5, 5, 5], [N, N, 1, 1], [N, 3, N, N],
]


@pytest.mark.parametrize("level, published", [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797),
])
def test_alpha_krippendorff_2011_example(level, published):
    result = ag.krippendorff_alpha(K2011, level)
    assert round(result.value, 3) == published
    # Unit 12 has one value, so it is not pairable; n.. = 40 pairable values (Krippendorff 2011).
    assert result.units == 11 and result.units_total == 12
    assert result.pairable_values == 40
    assert result.coders == 4 and result.categories == (1, 2, 3, 4, 5)
    assert result.value == pytest.approx(
        1 - result.observed_disagreement / result.expected_disagreement)


def test_alpha_2011_example_with_labels_needs_and_uses_order():
    letters = [[None if v is None else "abcde"[v - 1] for v in row] for row in K2011]
    assert round(ag.krippendorff_alpha(letters, "nominal").value, 3) == 0.743
    with pytest.raises(ValueError, match="order="):
        ag.krippendorff_alpha(letters, "ordinal")
    assert round(ag.krippendorff_alpha(letters, "ordinal", order=list("abcde")).value, 3) == 0.815
    with pytest.raises(ValueError, match="numeric"):
        ag.krippendorff_alpha(letters, "interval")


def test_alpha_accepts_numpy_with_nan_and_the_parsed_csv():
    arr = np.array([[np.nan if v is None else v for v in row] for row in K2011], dtype=float)
    assert round(ag.krippendorff_alpha(arr, "interval").value, 3) == 0.849
    csv = "unit,A,B,C,D\n" + "\n".join(
        f"u{i + 1}," + ",".join("" if v is None else str(v) for v in row)
        for i, row in enumerate(K2011))
    data = parse_reliability_csv(csv.encode())
    assert data.numeric
    assert round(ag.krippendorff_alpha(data, "ratio").value, 3) == 0.797
    assert round(ag.krippendorff_alpha(data, "ordinal").value, 3) == 0.815


def test_alpha_is_nan_without_variation_and_rejects_bad_levels():
    assert math.isnan(ag.krippendorff_alpha([[1, 1], [1, 1], [1, N]]).value)
    with pytest.raises(ValueError, match="level"):
        ag.krippendorff_alpha(K2011, "circular")
    with pytest.raises(ValueError, match="ratio"):
        ag.krippendorff_alpha([[-1, 2], [3, 4]], "ratio")


# =============================================================================================
# Fleiss' kappa: Wikipedia's worked example (10 subjects, 14 raters, 5 categories) and
# Fleiss (1971)'s psychiatric diagnoses (30 subjects, 6 raters, 5 categories).

WIKI_FLEISS = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]

# Fleiss (1971) Table 1 as raw ratings (the layout of R irr's `diagnoses` data).
FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]


def test_fleiss_wikipedia_example():
    result = ag.fleiss_kappa(rows_from_counts(WIKI_FLEISS))
    assert round(result.value, 3) == 0.210
    assert round(result.observed, 3) == 0.378  # P-bar on the page
    assert round(result.expected, 3) == 0.213  # P-bar_e on the page
    assert (result.units, result.coders) == (10, 14)


def test_fleiss_1971_diagnoses():
    result = ag.fleiss_kappa(FLEISS_1971)
    assert round(result.value, 3) == 0.430  # Fleiss (1971): kappa = .430
    assert round(result.observed, 3) == 0.556 and round(result.expected, 3) == 0.220


def test_fleiss_and_ac1_with_missing_ratings_hand_computed():
    # Gwet's treatment: p_a over units with >= 2 ratings, pi_k over units with >= 1.
    data = [["a", "a", "a"], ["a", "b", N], ["b", "b", N], ["a", N, N]]
    # p_a = (1 + 0 + 1)/3 = 2/3; pi_a = (1 + 1/2 + 0 + 1)/4 = 5/8, pi_b = 3/8.
    # Fleiss: p_e = 25/64 + 9/64 = 17/32 -> kappa = (2/3 - 17/32)/(15/32) = 13/45.
    fleiss = ag.fleiss_kappa(data)
    assert fleiss.value == pytest.approx(13 / 45)
    assert fleiss.units == 3 and fleiss.units_total == 4
    # AC1: p_e = (5/8)(3/8) * 2 / (q - 1) = 15/32 -> AC1 = (2/3 - 15/32)/(17/32) = 19/51.
    assert ag.gwet_ac1(data).value == pytest.approx(19 / 51)
    # Brennan–Prediger with q = 2: (2/3 - 1/2)/(1/2) = 1/3; with a 4-point scale (2/3-1/4)/(3/4).
    assert ag.brennan_prediger(data).value == pytest.approx(1 / 3)
    assert ag.brennan_prediger(data, n_categories=4).value == pytest.approx(5 / 9)
    assert ag.percent_agreement(data).value == pytest.approx(2 / 3)


# =============================================================================================
# Cohen's kappa: Wikipedia's worked examples; SAS PROC FREQ output for standard errors.


@pytest.mark.parametrize("table, published", [
    ([[20, 5], [10, 15]], 0.4),        # 50 grant proposals: p_o = .7, p_e = .5
    ([[45, 15], [25, 15]], 0.1304),    # "same percentages but different numbers", table 1
    ([[25, 35], [5, 35]], 0.2593),     # ... table 2
])
def test_cohen_wikipedia_examples(table, published):
    result = ag.cohen_kappa(rows_from_table(table, ["Yes", "No"]))
    assert round(result.value, 4) == published
    assert result.units == sum(map(sum, table))


def test_cohen_wikipedia_proposals_observed_and_expected():
    result = ag.cohen_kappa(rows_from_table([[20, 5], [10, 15]], ["Yes", "No"]))
    assert result.observed == pytest.approx(0.7) and result.expected == pytest.approx(0.5)


SAS_TABLE = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]  # SAS PROC FREQ example (statsmodels' tests)


@pytest.mark.parametrize("weights, kappa, ase, ase0", [
    (None, 0.4842, 0.1380, 0.1484),      # Simple Kappa, ASE, ASE under H0
    ("linear", 0.4701, 0.1457, 0.1426),  # Weighted Kappa (Cicchetti-Allison = linear)
])
def test_cohen_standard_errors_match_sas(weights, kappa, ase, ase0):
    result = ag.cohen_kappa(rows_from_table(SAS_TABLE), weights=weights)
    assert round(result.value, 4) == kappa
    assert round(result.se, 4) == ase
    assert round(result.se_null, 4) == ase0
    low, high = result.ci()
    assert round(low, 4) == (0.2137 if weights is None else 0.1845)
    assert round(high, 4) == (0.7547 if weights is None else 0.7558)


def test_cohen_drops_units_not_rated_by_both_and_needs_two_coders():
    result = ag.cohen_kappa([["a", "a"], ["b", "b"], ["a", N], [N, "b"], ["a", "b"]])
    assert result.units == 3 and result.units_total == 5
    with pytest.raises(ValueError, match="two coders"):
        ag.cohen_kappa([[1, 2, 3]])
    with pytest.raises(ValueError, match="order="):
        ag.cohen_kappa([["lo", "hi"]], weights="linear")
    with pytest.raises(ValueError, match="weights"):
        ag.cohen_kappa([[1, 2]], weights="cubic")
    assert math.isnan(ag.cohen_kappa([[1, 1], [1, 1]]).value)  # p_e = 1: undefined


def test_weighted_kappa_with_labels_uses_the_given_order():
    labels = ["low", "mid", "high"]
    numbers = rows_from_table(SAS_TABLE)
    named = [[labels[a - 1], labels[b - 1]] for a, b in numbers]
    for weights in ("linear", "quadratic"):
        assert ag.cohen_kappa(named, weights=weights, order=labels).value == pytest.approx(
            ag.cohen_kappa(numbers, weights=weights).value)
    with pytest.raises(ValueError, match="not in order"):
        ag.cohen_kappa(named, weights="linear", order=["low", "mid"])


# =============================================================================================
# Gwet's AC1 / AC2: a table worked by hand, and values from irrCAC 1.4 (Gwet's own R package,
# gwet.ac1.raw) as recorded in DKPro Statistics' test fixtures (src/test/resources/gwet).


def test_ac1_small_skewed_table_by_hand():
    # 8 yes/yes, 1 no/no, 1 yes/no: p_a = 0.9; pi_yes = 17/20 = 0.85, so AC1's
    # p_e = 2 (0.85)(0.15) / (2 - 1) = 0.255 and AC1 = 0.645/0.745 = 0.8658, while Scott's
    # p_e = 0.85^2 + 0.15^2 = 0.745 gives pi = 0.155/0.255 = 0.6078 (Gwet 2008's point).
    rows = [["y", "y"]] * 8 + [["n", "n"]] + [["y", "n"]]
    result = ag.gwet_ac1(rows)
    assert result.observed == pytest.approx(0.9)
    assert result.expected == pytest.approx(0.255)
    assert round(result.value, 4) == 0.8658
    assert round(ag.scott_pi(rows).value, 4) == 0.6078


IRRCAC = [  # table, (pa, pe, AC1), (pa, pe, AC2 quadratic)
    ([[80, 7], [8, 5]], (0.85, 0.21875, 0.808), (0.85, 0.21875, 0.808)),
    ([[25, 12, 3], [13, 2, 15], [12, 16, 2]], (0.29, 0.3225, -0.04797), (0.71, 0.645, 0.1831)),
    ([[88, 14, 18], [10, 40, 10], [2, 6, 12]], (0.7, 0.2925, 0.57597), (0.85, 0.585, 0.63855)),
    ([[20, 5, 1, 0], [4, 15, 6, 1], [0, 5, 18, 4], [0, 1, 3, 12]],
     (0.684210526315789, 0.247294552169898, 0.58046),
     (0.95438596491228, 0.714406484046373, 0.84028)),
    ([[15, 4, 1, 0, 0], [3, 12, 4, 1, 0], [1, 3, 14, 3, 1], [0, 1, 3, 10, 2], [0, 0, 1, 2, 8]],
     (0.662921348314607, 0.197497159449564, 0.57997),
     (0.966292134831461, 0.740614347935867, 0.87005)),
]


@pytest.mark.parametrize("table, ac1, ac2", IRRCAC)
def test_ac1_and_ac2_match_irrcac(table, ac1, ac2):
    rows = rows_from_table(table)
    one = ag.gwet_ac1(rows)
    assert (one.observed, one.expected) == pytest.approx(ac1[:2], abs=1e-12)
    assert round(one.value, 5) == pytest.approx(ac1[2], abs=1e-12)
    two = ag.gwet_ac1(rows, weights="quadratic")
    assert two.statistic == "ac2"
    assert (two.observed, two.expected) == pytest.approx(ac2[:2], abs=1e-12)
    assert round(two.value, 5) == pytest.approx(ac2[2], abs=1e-12)


# =============================================================================================
# Oracles on seeded random data: scikit-learn, statsmodels, nltk.


def random_matrix(seed, units=80, coders=2, q=4, missing=0.0, agree=0.6):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, q, units)
    m = np.where(rng.random((units, coders)) < agree, truth[:, None],
                 rng.integers(0, q, (units, coders))).astype(float)
    if missing:
        m[rng.random((units, coders)) < missing] = np.nan
    return m


SEEDS = range(6)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_matches_scikit_learn(seed, weights):
    metrics = oracle("sklearn.metrics")
    m = random_matrix(seed, q=5)
    expected = metrics.cohen_kappa_score(m[:, 0], m[:, 1], weights=weights)
    assert ag.cohen_kappa(m, weights=weights).value == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("wt", [None, "linear", "quadratic"])
def test_cohen_and_its_standard_errors_match_statsmodels(seed, wt):
    inter_rater = oracle("statsmodels.stats.inter_rater")
    m = random_matrix(seed, units=120, q=4, missing=0.1)
    both = m[~np.isnan(m).any(axis=1)].astype(int)
    table = np.zeros((4, 4))
    np.add.at(table, (both[:, 0], both[:, 1]), 1)
    ref = inter_rater.cohens_kappa(table, wt=wt)
    ours = ag.cohen_kappa(m, weights=wt, order=[0, 1, 2, 3])
    assert ours.units == len(both)
    assert ours.value == pytest.approx(ref.kappa, abs=1e-12)
    assert ours.se == pytest.approx(ref.std_kappa, rel=1e-9)
    assert ours.se_null == pytest.approx(ref.std_kappa0, rel=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("coders", [2, 3, 6])
def test_fleiss_and_brennan_prediger_match_statsmodels(seed, coders):
    inter_rater = oracle("statsmodels.stats.inter_rater")
    m = random_matrix(seed, units=60, coders=coders, q=4)
    counts, _categories = inter_rater.aggregate_raters(m.astype(int))
    assert ag.fleiss_kappa(m).value == pytest.approx(inter_rater.fleiss_kappa(counts), abs=1e-12)
    # statsmodels' "randolph" is the free-marginal kappa (Brennan–Prediger) with q = columns.
    assert ag.brennan_prediger(m).value == pytest.approx(
        inter_rater.fleiss_kappa(counts, method="randolph"), abs=1e-12)


def nltk_task(m, distance=None):
    agreement = oracle("nltk.metrics.agreement")
    triples = [(f"c{j}", f"u{i}", int(v) if distance is not None else str(int(v)))
               for i, row in enumerate(m) for j, v in enumerate(row) if not np.isnan(v)]
    if distance is None:
        return agreement.AnnotationTask(data=triples)
    return agreement.AnnotationTask(data=triples, distance=distance)


@pytest.mark.parametrize("seed", SEEDS)
def test_two_coder_statistics_match_nltk(seed):
    m = random_matrix(seed, units=70, q=3)
    task = nltk_task(m)
    assert ag.cohen_kappa(m).value == pytest.approx(task.kappa(), abs=1e-12)
    assert ag.scott_pi(m).value == pytest.approx(task.pi(), abs=1e-12)
    assert ag.krippendorff_alpha(m).value == pytest.approx(task.alpha(), abs=1e-12)
    assert ag.percent_agreement(m).value == pytest.approx(task.avg_Ao(), abs=1e-12)
    assert ag.brennan_prediger(m).value == pytest.approx(task.S(), abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("coders", [3, 5])
def test_alpha_with_missing_values_matches_nltk(seed, coders):
    distance = oracle("nltk.metrics.distance")
    m = random_matrix(seed, units=50, coders=coders, q=5, missing=0.3)
    assert ag.krippendorff_alpha(m).value == pytest.approx(nltk_task(m).alpha(), abs=1e-12)
    assert ag.krippendorff_alpha(m, "interval").value == pytest.approx(
        nltk_task(m, distance.interval_distance).alpha(), abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_multi_coder_pi_matches_nltk_on_complete_data(seed):
    m = random_matrix(seed, units=40, coders=4, q=3)
    # nltk's multi-pi is Siegel & Castellan's K, i.e. Fleiss' kappa.
    assert ag.fleiss_kappa(m).value == pytest.approx(nltk_task(m).pi(), abs=1e-12)


# =============================================================================================
# Standard errors of the Gwet-linearised coefficients against an independent method: the
# delete-one-unit jackknife, computed here from the point estimates.


def jackknife_se(fn, m):
    n = len(m)
    values = np.array([fn(np.delete(m, i, axis=0)).value for i in range(n)])
    return math.sqrt((n - 1) / n * ((values - values.mean()) ** 2).sum())


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("name, fn, coders", [
    ("fleiss", ag.fleiss_kappa, 4),
    ("ac1", ag.gwet_ac1, 4),
    ("ac2", lambda d: ag.gwet_ac1(d, weights="quadratic"), 4),
    ("bp", ag.brennan_prediger, 4),
    ("percent", ag.percent_agreement, 4),
    ("scott", ag.scott_pi, 2),
])
def test_linearised_standard_errors_agree_with_the_jackknife(seed, name, fn, coders):
    m = random_matrix(seed, units=200, coders=coders, q=3, missing=0.2, agree=0.7)
    se = fn(m).se
    assert se == pytest.approx(jackknife_se(fn, m), rel=0.03), name


# =============================================================================================
# Bootstrap interval for alpha.


def test_bootstrap_is_seeded_and_contains_the_estimate():
    first = ag.alpha_bootstrap(K2011, rng=7)
    again = ag.alpha_bootstrap(K2011, rng=np.random.default_rng(7))
    other = ag.alpha_bootstrap(K2011, rng=8)
    assert first == again
    assert first != other
    assert first.draws == 1000 and first.units == 11
    assert first.low <= first.alpha <= first.high
    assert 0 <= first.p_below_min <= 1
    assert first.alpha == pytest.approx(0.7434, abs=1e-4)


@pytest.mark.parametrize("level", ag.LEVELS)
def test_bootstrap_narrows_with_more_units(level):
    small = random_matrix(1, units=40, coders=3, q=4, agree=0.7) + 1
    large = random_matrix(1, units=800, coders=3, q=4, agree=0.7) + 1
    a = ag.alpha_bootstrap(small, level, rng=3)
    b = ag.alpha_bootstrap(large, level, rng=3)
    assert a.low <= a.alpha <= a.high and b.low <= b.alpha <= b.high
    assert (b.high - b.low) < (a.high - a.low) / 2  # ~ 1/sqrt(20) narrower in theory


def test_bootstrap_probability_below_minimum_and_spread_match_a_naive_resampling():
    m = random_matrix(2, units=150, coders=2, q=3, agree=0.75)
    boot = ag.alpha_bootstrap(m, draws=4000, rng=11, min_alpha=0.667)
    assert ag.alpha_bootstrap(m, rng=1, min_alpha=-1).p_below_min == 0
    assert ag.alpha_bootstrap(m, rng=1, min_alpha=1.01).p_below_min == 1
    # Independent check: resample units row by row and recompute alpha from scratch.
    rng = np.random.default_rng(5)
    naive = np.array([ag.krippendorff_alpha(m[rng.integers(0, len(m), len(m))]).value
                      for _ in range(600)])
    assert boot.low == pytest.approx(np.percentile(naive, 2.5), abs=0.03)
    assert boot.high == pytest.approx(np.percentile(naive, 97.5), abs=0.03)
    assert boot.p_below_min == pytest.approx((naive < 0.667).mean(), abs=0.06)


# =============================================================================================
# Unitizing alpha.


def spans(offset_length_pairs, stretch=1):
    """(offset, length) as in Krippendorff's figures -> half-open (start, end)."""
    return [(o * stretch, (o + n) * stretch) for o, n in offset_length_pairs]


def test_unitizing_krippendorff_2004_example():
    # Krippendorff (2004), Content Analysis 2nd ed., p. 254: continuum 150..450, coders i, j;
    # published values as transcribed in DKPro Statistics' Krippendorff2004Test.
    c = ag.unitizing_alpha((150, 450), {"i": spans([(225, 70), (370, 30)]),
                                        "j": spans([(220, 80), (355, 20), (400, 20)])})
    assert round(c.observed_disagreement, 4) == 0.0144
    assert round(c.expected_disagreement, 4) == 0.0532
    assert round(c.value, 4) == 0.7286
    k = ag.unitizing_alpha((150, 450), {"i": spans([(180, 60), (300, 50)]),
                                        "j": spans([(180, 60), (300, 50)])})
    assert k.observed_disagreement == 0
    assert round(k.expected_disagreement, 4) == 0.0490
    assert k.value == 1.0
    # The distances of that example (2004, p. 253): 50, 850 and 400 -> 1300 per order.
    assert c.observed_disagreement == pytest.approx(2 * 1300 / (2 * 1 * 300**2))


K1995 = {  # Krippendorff (1995), p. 57: four pairs of coders on a 24-position continuum
    "A": ([(2, 8), (14, 6)], [(4, 4), (15, 2)]),
    "B": ([(0, 18)], [(0, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 3), (9, 1)]),
    "C": ([(2, 6), (10, 2), (14, 4), (20, 2)], [(0, 2), (4, 4), (10, 4), (16, 2), (20, 2)]),
    "D": ([(0, 2), (2, 8), (10, 4), (14, 6), (20, 4)],
          [(0, 4), (4, 4), (8, 7), (15, 2), (17, 7)]),
}


@pytest.mark.parametrize("pair, squared_distances", [
    ("A", 18), ("B", 1306), ("C", 16), ("D", 223),
])
def test_unitizing_1995_observed_disagreement(pair, squared_distances):
    # D_o = 0.03125, 2.26736, 0.02777, 0.38715 (Krippendorff 1995): sum of delta^2 over 24^2.
    first, second = K1995[pair]
    result = ag.unitizing_alpha((0, 24), [spans(first), spans(second)])
    assert result.observed_disagreement == pytest.approx(squared_distances / 576)
    assert round(result.observed_disagreement, 5) in (0.03125, 2.26736, 0.02778, 0.38715)


@pytest.mark.parametrize("pair, published", [("A", 0.553), ("B", -0.926), ("D", 0.066)])
def test_unitizing_1995_alpha_in_the_continuous_limit(pair, published):
    # The 1995 paper treats positions as continuous; the discrete formula converges to it
    # when the example is stretched (D_o is scale-free, D_e loses its "+1" terms).
    first, second = K1995[pair]
    s = 50_000
    result = ag.unitizing_alpha((0, 24 * s), [spans(first, s), spans(second, s)])
    assert result.value == pytest.approx(published, abs=0.003)


def test_unitizing_1995_pair_c_hand_computed():
    # Pair C at its own resolution. Units: 6,2,4,2 and 2,4,4,2,2 (N = 9); all ten gaps are 2.
    # Sum over units of (N-1)(2l^3-3l^2+l)/3 + l^2 sum_{gaps >= l}(gap - l + 1) = 1832;
    # denominator 48*47 - sum l(l-1) = 2256 - 76 = 2180; D_e = (2/24) * 1832/2180.
    first, second = K1995["C"]
    result = ag.unitizing_alpha((0, 24), [spans(first), spans(second)])
    d_e = Fraction(2, 24) * Fraction(1832, 2180)
    assert result.expected_disagreement == pytest.approx(float(d_e))
    assert result.value == pytest.approx(1 - (16 / 576) / float(d_e))


def test_unitizing_small_case_by_hand():
    # L = 10; coder 1 marks [2,5), coder 2 marks [3,5).
    # D_o: only the two units overlap: 1^2 + 0^2 = 1 per order -> 2/(2*1*100) = 0.01.
    # D_e: l=3: 10 + 9*(3+1+3) = 73; l=2: 2 + 4*(1+4+2+4) = 46 (gaps 2,5 and 3,5);
    #      (2/10) * 119 / (20*19 - (6 + 2)) = 0.2 * 119/372.
    result = ag.unitizing_alpha((0, 10), {"one": [(2, 5)], "two": [(3, 5)]})
    assert result.observed_disagreement == pytest.approx(0.01)
    assert result.expected_disagreement == pytest.approx(0.2 * 119 / 372)
    assert result.value == pytest.approx(1 - 0.01 / (0.2 * 119 / 372))
    assert result.spans == (1, 1) and result.coders == 2


def test_unitizing_invariants():
    base = {"a": [(3, 9), (20, 31), (40, 44)], "b": [(4, 9), (22, 30), (41, 47)]}
    ref = ag.unitizing_alpha((0, 60), base)
    # Perfect agreement -> 1, for any number of coders.
    assert ag.unitizing_alpha((0, 60), {"a": base["a"], "b": base["a"]}).value == 1
    assert ag.unitizing_alpha((0, 60), [base["a"]] * 3).value == 1
    # Coder order and translation of the whole continuum do not matter.
    assert ag.unitizing_alpha((0, 60), {"b": base["b"], "a": base["a"]}).value == \
        pytest.approx(ref.value)
    moved = {k: [(s + 1000, e + 1000) for s, e in v] for k, v in base.items()}
    assert ag.unitizing_alpha((1000, 1060), moved).value == pytest.approx(ref.value)
    # Overlapping spans of one coder are one unit; touching spans stay two units.
    split = {"a": [(3, 6), (5, 9), (20, 31), (40, 44)], "b": base["b"]}
    assert ag.unitizing_alpha((0, 60), split).value == pytest.approx(ref.value)
    touching = {"a": [(3, 6), (6, 9), (20, 31), (40, 44)], "b": base["b"]}
    assert ag.unitizing_alpha((0, 60), touching).value != pytest.approx(ref.value)
    # One coder marks nothing: disagreement is total, alpha is below zero.
    assert ag.unitizing_alpha((0, 60), {"a": base["a"], "b": []}).value < 0
    # Nobody marks anything: undefined.
    nothing = ag.unitizing_alpha((0, 60), {"a": [], "b": []})
    assert math.isnan(nothing.value)
    assert nothing.to_dict()["alpha"] is None


@pytest.mark.parametrize("continuum, spans_, message", [
    ((0, 10), {"a": [(0, 11)], "b": []}, "outside the continuum"),
    ((0, 10), {"a": [(5, 4)], "b": []}, "ends before it starts"),
    ((5, 5), {"a": [], "b": []}, "empty"),
    ((0, 10), {"a": []}, "two coders"),
    ((0, 10), {"a": [(1.5, 3)], "b": []}, "integer"),
])
def test_unitizing_rejects_bad_input(continuum, spans_, message):
    with pytest.raises(ValueError, match=message):
        ag.unitizing_alpha(continuum, spans_)


# =============================================================================================
# Many binary codes at once, and the kappa paradox.


@pytest.mark.parametrize("coders", [2, 3])
def test_binary_batch_equals_the_single_table_functions(coders):
    rng = np.random.default_rng(coders)
    x = (rng.random((6, 300, coders)) < rng.uniform(0.05, 0.5, (6, 1, 1))).astype(np.int8)
    x[rng.random(x.shape) < 0.1] = -1  # some coders did not rate some units
    x[5] = 0  # a code nobody used
    batch = ag.binary_agreement(x)
    for code in range(6):
        m = np.where(x[code] < 0, np.nan, x[code]).astype(float)
        expect = {
            "percent": ag.percent_agreement(m).value,
            "fleiss": ag.fleiss_kappa(m).value,
            "alpha": ag.krippendorff_alpha(m).value,
            "ac1": ag.gwet_ac1(m, order=[0, 1]).value,
            "bp": ag.brennan_prediger(m, n_categories=2).value,
        }
        if coders == 2:
            expect["cohen"] = ag.cohen_kappa(m).value
            expect["scott"] = ag.scott_pi(m).value
            assert batch.units_both[code] == ag.cohen_kappa(m).units
        for name, value in expect.items():
            assert getattr(batch, name)[code] == pytest.approx(value, nan_ok=True), (code, name)
        assert batch.units[code] == ag.percent_agreement(m).units
    assert math.isnan(batch.alpha[5]) and batch.percent[5] == 1.0
    assert batch.as_dict(5)["alpha"] is None


def test_kappa_paradox_needs_skewed_prevalence_and_agreement_where_applied():
    # A rare code the coders apply to different units (1 of 6 agreed): 95% agreement, low
    # kappa, but no paradox; the coders do disagree.
    rare = rows_from_table([[1, 3], [2, 94]], ["yes", "no"])
    pa = ag.percent_agreement(rare).value
    kappa = ag.cohen_kappa(rare).value
    assert pa == pytest.approx(0.95) and kappa < 0.3
    # By hand: "yes" is 1 + 3 + 1 + 2 = 7 of 200 ratings; chance .035² + .965² = .9325.
    assert not ag.kappa_paradox(pa, kappa, chance=0.035**2 + 0.965**2, where_applied=1 / 6)
    # The same table the other way up: a code applied almost everywhere, agreed on 94 of the
    # 99 units any coder applied it to.
    common = rows_from_table([[94, 2], [3, 1]], ["yes", "no"])
    pa, kappa = ag.percent_agreement(common).value, ag.cohen_kappa(common).value
    assert pa == pytest.approx(0.95) and kappa < 0.3
    assert ag.kappa_paradox(pa, kappa, chance=0.965**2 + 0.035**2, where_applied=94 / 99)
    assert not ag.kappa_paradox(0.95, 0.8, chance=0.93, where_applied=0.9)
    assert not ag.kappa_paradox(0.85, 0.2, chance=0.93, where_applied=0.9)
    assert not ag.kappa_paradox(0.95, float("nan"), chance=0.93, where_applied=0.9)
    assert not ag.kappa_paradox(0.95, 0.2, chance=None, where_applied=0.9)


# =============================================================================================
# Dispatch, JSON shape, input forms.


@pytest.mark.parametrize("metric", ag.METRICS)
def test_compute_gives_the_cli_json_fields(metric):
    data = [row[:2] for row in K2011]
    result = ag.compute(metric, data)
    out = result.to_dict()
    assert {"metric", "level", "value", "units", "coders"} <= set(out)
    assert out["metric"] == metric and out["coders"] == 2
    assert out["value"] is None or isinstance(out["value"], float)


def test_compute_passes_level_order_and_weights():
    assert round(ag.compute("alpha", K2011, level="ordinal").value, 3) == 0.815
    assert ag.compute("alpha", K2011, level="ordinal").to_dict()["level"] == "ordinal"
    weighted = ag.compute("cohen", rows_from_table(SAS_TABLE), weights="linear")
    assert round(weighted.value, 4) == 0.4701
    assert weighted.to_dict()["level"] == "ordinal (linear weights)"
    with pytest.raises(ValueError, match="unknown metric"):
        ag.compute("holsti", K2011)
    nan_result = ag.compute("cohen", [[1, 1], [1, 1]]).to_dict()
    assert nan_result["value"] is None


def test_reliability_data_and_dataframe_inputs():
    pandas = pytest.importorskip("pandas")  # a runtime dependency, always installed
    data = parse_reliability_csv(b"unit,A,B\n1,yes,yes\n2,no,yes\n3,no,no\n4,,no\n")
    assert ag.cohen_kappa(data).units == 3
    frame = pandas.DataFrame({"A": [1, 0, 0, None], "B": [1, 1, 0, 0]})
    assert ag.cohen_kappa(frame).value == pytest.approx(ag.cohen_kappa(data).value)


# =============================================================================================
# The reliability CSV reader.


def test_csv_labels_numbers_and_missing():
    data = parse_reliability_csv(
        "\ufeffunit,Zoé,Ben,Cleo\nu1,yes,yes,\nu2,no,\"yes\",no\n\nu3,,maybe,no\n".encode())
    assert data.unit_ids == ("u1", "u2", "u3")
    assert data.coders == ("Zoé", "Ben", "Cleo")
    assert data.values == (("yes", "yes", None), ("no", "yes", "no"), (None, "maybe", "no"))
    assert not data.numeric
    assert data.lines == (2, 3, 5)
    assert data.column("Ben") == ["yes", "yes", "maybe"]
    assert data.select(["Cleo", "Zoé"]).values[0] == (None, "yes")


def test_csv_numbers_compare_as_numbers_and_mixed_tables_stay_labels():
    data = parse_reliability_csv(b"id,A,B\n1,2,2.0\n2, 3 ,\n3,1e0,-1\n")
    assert data.numeric
    assert data.values == ((2.0, 2.0), (3.0, None), (1.0, -1.0))
    mixed = parse_reliability_csv(b"id,A,B\n1,2,two\n2,3,3\n")
    assert not mixed.numeric and mixed.values == (("2", "two"), ("3", "3"))


def test_csv_cp1252_semicolons_and_quoted_commas():
    data = parse_reliability_csv("unit;Zoé;Ben\nu1;\"a, b\";élevé\n".encode("cp1252"))
    assert data.coders == ("Zoé", "Ben")
    assert data.values == (("a, b", "élevé"),)


def test_csv_custom_missing_tokens():
    data = parse_reliability_csv(b"unit,A,B\nu1,NA,1\nu2,2,\n", missing=("", "NA"))
    assert data.values == ((None, 1.0), (2.0, None)) and data.numeric


@pytest.mark.parametrize("raw, line, column, reason", [
    (b"", 1, 1, "empty"),
    (b"\n\n", 1, 1, "empty"),
    (b"unit\nu1\n", 1, 2, "no coder column"),
    (b"unit,A,,C\nu1,1,2,3\n", 1, 3, "coder name in the header is empty"),
    (b"unit,A,B,A\nu1,1,2,3\n", 1, 4, "coder name 'A' repeats column 2"),
    (b"unit,A,B\nu1,1,2\nu2,1\n", 3, 3, "this row has 2 cells but the header has 3"),
    (b"unit,A,B\nu1,1,2,3\n", 2, 4, "this row has 4 cells but the header has 3"),
    (b"unit,A,B\nu1,1,2\n,1,2\n", 3, 1, "the unit id is empty"),
    (b"unit,A,B\nu1,1,2\nu2,2,2\n\nu1,1,1\n", 5, 1, "unit id 'u1' repeats line 2"),
    (b"unit,A,B\n", 2, 1, "no unit rows"),
    (b'unit,A,B\nu1,"a"b,1\n', 2, 1, "quoting"),
    (b"unit,A,B\nu1,1,2\nu2,x\x81y,2\n", 3, 2, "neither UTF-8 nor Windows-1252"),
    (b"\xef\xbb\xbfunit,A,B\nu1,\xff,2\n", 2, 2, "not valid UTF-8"),
])
def test_csv_errors_name_line_and_column(raw, line, column, reason):
    with pytest.raises(ReliabilityDataError) as info:
        parse_reliability_csv(raw, "coding.csv")
    err = info.value
    assert (err.filename, err.line, err.column) == ("coding.csv", line, column)
    assert reason in err.reason
    assert str(err).startswith(f"coding.csv, line {line}, column {column}: ")


@pytest.mark.parametrize("metric", ["percent", "cohen", "scott", "fleiss", "ac1", "bp", "alpha"])
def test_a_table_with_no_values_at_all_gives_undefined_not_an_error(metric):
    from qualcode.agreement.stats import alpha_bootstrap, compute

    empty = [[None, None], [None, None]]
    assert math.isnan(compute(metric, empty).value)
    assert math.isnan(alpha_bootstrap(empty, rng=1).low)
