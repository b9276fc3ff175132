"""Inter-coder agreement: the standard coefficients, written out, vectorised with numpy.

Every function takes *reliability data*: a units × coders table (rows are units, columns are
coders) in which a missing value is ``None`` or NaN. It may be a list of rows, a numpy array, a
pandas DataFrame's ``.to_numpy()`` or a :class:`qualcode.agreement.reliability_data.ReliabilityData`.
Values are numbers or labels; ``1`` and ``1.0`` are the same value.

Each function returns a small frozen dataclass holding the value and what it was computed on
(units used, coders, categories), plus the standard error where the literature gives one.
A coefficient that is undefined for the data (e.g. kappa when both coders used one category
only, so chance agreement is 1) is ``nan``, never an exception: a table of 100 codes should not
stop at the one code nobody used.

Coefficients and references
---------------------------
All chance-corrected coefficients have the form ``(p_o - p_e) / (1 - p_e)``; they differ in the
chance agreement ``p_e`` (Gwet 2014, ch. 2-4, puts them side by side):

=======================  =======================================================================
percent agreement        ``p_o`` alone (no chance correction)
Cohen (1960) kappa       ``p_e = sum_k p_k(coder 1) * p_k(coder 2)``  (each coder's own marginals)
Scott (1955) pi          ``p_e = sum_k pi_k**2``, ``pi_k`` pooled over both coders
Fleiss (1971) kappa      Scott's pi for any number of coders (Gwet 2014's form for missing data)
Gwet (2008) AC1          ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)``
Brennan-Prediger (1981)  ``p_e = 1 / q``
Krippendorff alpha       ``1 - D_o / D_e`` from the coincidence matrix (Krippendorff 2011)
=======================  =======================================================================

References: Cohen 1960 (EPM 20:37-46); Cohen 1968 (Psych. Bull. 70:213-220); Fleiss, Cohen &
Everitt 1969 (Psych. Bull. 72:323-327); Scott 1955 (POQ 19:321-325); Fleiss 1971 (Psych. Bull.
76:378-382); Brennan & Prediger 1981 (EPM 41:687-699); Gwet 2008 (BJMSP 61:29-48); Gwet 2014,
*Handbook of Inter-Rater Reliability*, 4th ed.; Krippendorff 1995 (Sociological Methodology
25:47-76); Krippendorff 2004, *Content Analysis*, 2nd ed., §11.6; Krippendorff 2011,
"Computing Krippendorff's Alpha-Reliability"; Hayes & Krippendorff 2007 (CMM 1:77-89);
Feinstein & Cicchetti 1990 (J. Clin. Epidemiol. 43:543-549).

Modules
-------
This module is the public face: every coefficient can be imported from here (``from
qualcode.agreement import stats as ag``), and :func:`compute` picks one by name. Each lives in
a module of its own:

=========================================  ==================================================
:mod:`qualcode.agreement.kappa`            percent agreement, Cohen, Scott, Fleiss, AC1/AC2,
                                           Brennan–Prediger
:mod:`qualcode.agreement.alpha`            Krippendorff's alpha (all levels) and unitizing alpha
:mod:`qualcode.agreement.bootstrap`        bootstrap intervals for alpha
:mod:`qualcode.agreement.batch`            every statistic for codes × units × coders at once
:mod:`qualcode.agreement.results`          the result dataclasses
:mod:`qualcode.agreement.encoding`         reliability data to category codes and count patterns
=========================================  ==================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from qualcode.agreement.alpha import LEVELS, krippendorff_alpha, unitizing_alpha
from qualcode.agreement.batch import binary_agreement
from qualcode.agreement.bootstrap import alpha_bootstrap, binary_alpha_bootstrap
from qualcode.agreement.kappa import (
    WEIGHTS,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    percent_agreement,
    scott_pi,
)
from qualcode.agreement.results import (
    AgreementResult,
    AlphaBootstrap,
    AlphaResult,
    BinaryBatchResult,
    UnitizingAlphaResult,
)

__all__ = [
    "LEVELS",
    "METRICS",
    "WEIGHTS",
    "AgreementResult",
    "AlphaBootstrap",
    "AlphaResult",
    "BinaryBatchResult",
    "UnitizingAlphaResult",
    "alpha_bootstrap",
    "binary_agreement",
    "binary_alpha_bootstrap",
    "brennan_prediger",
    "cohen_kappa",
    "compute",
    "fleiss_kappa",
    "gwet_ac1",
    "kappa_paradox",
    "krippendorff_alpha",
    "percent_agreement",
    "scott_pi",
    "unitizing_alpha",
]


# =============================================================================================
# Notes and dispatch


def kappa_paradox(percent: float | None, coefficient: float | None, *, chance: float | None,
                  where_applied: float | None, high: float = 0.9, low: float = 0.6,
                  skewed: float = 0.8, most: float = 0.5) -> bool:
    """Whether a present/absent code shows the "kappa paradox" (Feinstein & Cicchetti 1990):
    agreement is high but the chance-corrected coefficient low *because* prevalence is skewed,
    not because the coders disagree where it matters.

    True when ``percent >= high`` and ``coefficient < low`` and chance agreement is high
    (``chance >= skewed``; for a code applied in a share π of the ratings, π² + (1 − π)²) and
    the coders agree on most units where any of them applied the code (``where_applied >
    most``: the share of those units that every coder who rated them coded). A rare code the
    coders seldom apply to the same units has a low kappa because they disagree: no paradox.
    False whenever a value is undefined.
    """
    values = (percent, coefficient, chance, where_applied)
    if any(v is None or not math.isfinite(v) for v in values):
        return False
    return percent >= high and coefficient < low and chance >= skewed and where_applied > most


METRICS = ("percent", "cohen", "scott", "fleiss", "ac1", "bp", "alpha")


def compute(metric: str, data: Any, *, level: str = "nominal", order: Sequence | None = None,
            weights: str | None = None, n_categories: int | None = None):
    """Dispatch by name, for the CLI: ``metric`` in :data:`METRICS`.

    ``level`` applies to alpha; ``weights`` to cohen and ac1 (then AC2); ``order`` to ordinal
    alpha and weighted statistics; ``n_categories`` to ac1 and bp. The result's ``to_dict()``
    holds ``metric``, ``level``, ``value``, ``units`` and ``coders``.
    """
    if metric == "percent":
        return percent_agreement(data)
    if metric == "cohen":
        return cohen_kappa(data, weights=weights, order=order)
    if metric == "scott":
        return scott_pi(data)
    if metric == "fleiss":
        return fleiss_kappa(data)
    if metric == "ac1":
        return gwet_ac1(data, weights=weights, order=order, n_categories=n_categories)
    if metric == "bp":
        return brennan_prediger(data, n_categories=n_categories)
    if metric == "alpha":
        return krippendorff_alpha(data, level, order=order)
    raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
