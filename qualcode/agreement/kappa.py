"""The chance-corrected agreement coefficients of the kappa family, and percent agreement.

All have the form ``(p_o - p_e) / (1 - p_e)`` and differ in the chance agreement ``p_e``:
Cohen's (1960, 1968) kappa and Scott's (1955) pi for two coders; Fleiss' (1971) kappa, Gwet's
(2008) AC1 (AC2 with weights, Gwet 2014) and Brennan & Prediger's (1981) kappa for any number
of coders, missing ratings allowed. Standard errors: Fleiss, Cohen & Everitt (1969) for Cohen's
kappa, Gwet's (2008; 2014 ch. 5) linearisation for the others. See
:mod:`qualcode.agreement.stats` for the overview and references.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from qualcode.agreement.encoding import (
    NAN,
    _counts,
    _encode,
    _Encoded,
    _f,
    _patterns,
    _safe_div,
    _to_object_matrix,
    _unwrap,
)
from qualcode.agreement.results import AgreementResult

__all__ = [
    "WEIGHTS",
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "percent_agreement",
    "scott_pi",
]

WEIGHTS = ("linear", "quadratic")

_MISSING_PAIRWISE = "units rated by fewer than two coders are left out"
_MISSING_BOTH = "units not rated by both coders are left out"


def _weight_matrix(q: int, weights: str | None) -> np.ndarray:
    """Agreement weights on the category ranks 0..q-1 (Cohen 1968; Cicchetti & Allison 1971).

    linear: ``1 - |i - j| / (q - 1)``; quadratic: ``1 - (i - j)**2 / (q - 1)**2``.
    """
    if weights is None:
        return np.eye(q)
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS} (or None), not {weights!r}")
    if q <= 1:
        return np.ones((q, q))
    idx = np.arange(q)
    diff = np.abs(idx[:, None] - idx[None, :]) / (q - 1)
    return 1 - (diff if weights == "linear" else diff**2)


# =============================================================================================
# Count-based core (Fleiss/Scott, AC1/AC2, Brennan–Prediger and their standard errors)


def _pairwise_pa(pats: np.ndarray, freq: np.ndarray, w: np.ndarray | None = None):
    """Per-pattern and mean pairwise agreement over units with at least two ratings.

    ``pa_i = sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))`` with ``r*_ik = sum_l w_kl r_il``
    (``w`` = identity when unweighted): the share of ordered coder pairs in unit i that agree.
    ``p_a`` is the mean of ``pa_i`` over the n2 units with ``r_i >= 2`` (Fleiss 1971; Gwet
    2014 for missing ratings). Returns ``(pa_p, mask2, pa, n2)``.
    """
    r = pats.sum(-1)
    mask2 = r >= 2
    star = pats if w is None else pats @ w
    agree = (pats * (star - 1)).sum(-1)
    pa_p = np.where(mask2, agree / np.where(mask2, r * (r - 1), 1), 0.0)
    n2 = (freq * mask2).sum(-1)
    pa = _safe_div((freq * pa_p).sum(-1), n2)
    return pa_p, mask2, pa, n2


def _classification_shares(pats: np.ndarray, freq: np.ndarray):
    """``pi_k = mean over units rated at least once of r_ik / r_i`` (Gwet 2014)."""
    r = pats.sum(-1)
    mask1 = r >= 1
    share = np.where(mask1[:, None], pats / np.where(mask1, r, 1)[:, None], 0.0)
    n1 = (freq * mask1).sum(-1)
    pi = _safe_div(freq @ share, np.asarray(n1)[..., None])
    return share, mask1, pi, n1


def _chance(kind: str, pi: np.ndarray, q: int, w: np.ndarray | None):
    """Chance agreement and its gradient with respect to ``pi`` (for the delta method)."""
    if kind == "fleiss":
        return (pi**2).sum(-1), 2 * pi
    if kind == "ac1":
        tw = q if w is None else float(w.sum())
        scale = tw / (q * (q - 1)) if q > 1 else np.nan
        return scale * (pi * (1 - pi)).sum(-1), scale * (1 - 2 * pi)
    if kind == "bp":
        tw = q if w is None else float(w.sum())
        pe = np.full(pi.shape[:-1], tw / q**2 if q > 0 else np.nan)
        return pe, np.zeros_like(pi)
    raise ValueError(kind)


def _kappa_family(pats: np.ndarray, freq: np.ndarray, kind: str, q: int,
                  w: np.ndarray | None = None):
    """``(value, p_a, p_e, se, n2)`` for Fleiss/Scott, AC1/AC2 or Brennan–Prediger.

    The standard error is the delta-method (linearisation) estimate of Gwet (2008; 2014
    ch. 5): with ``n`` units rated at least once and ``n2`` rated at least twice, the influence
    of unit i is ``z_i = [(n/n2) 1(r_i>=2) (pa_i - p_a) - (1 - coef) sum_k dp_e/dpi_k
    (r_ik/r_i - pi_k)] / (1 - p_e)`` and ``var = sum_i z_i**2 / (n (n - 1))``. For complete
    data this is Gwet's ``v = sum (coef*_i - coef)**2 / (n (n-1))`` with
    ``coef*_i = coef_i - 2 (1 - coef)(pe_i - p_e)/(1 - p_e)``.
    """
    pa_p, mask2, pa, n2 = _pairwise_pa(pats, freq, w)
    share, mask1, pi, n1 = _classification_shares(pats, freq)
    pe, grad = _chance(kind, pi, q, w)
    pa, pe, n1, n2 = (np.asarray(v, dtype=float) for v in (pa, pe, n1, n2))
    coef = _safe_div(pa - pe, 1 - pe)
    ratio = _safe_div(n1, n2)
    infl_pa = np.where(mask2, ratio[..., None] * (pa_p - pa[..., None]), 0.0)
    infl_pe = np.where(mask1, ((share - pi[..., None, :]) * grad[..., None, :]).sum(-1), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (infl_pa - (1 - coef)[..., None] * infl_pe) / (1 - pe)[..., None]
    se = np.sqrt(_safe_div((freq * z**2).sum(-1), n1 * (n1 - 1)))
    return coef, pa, pe, se, n2


# =============================================================================================
# Public coefficients


def _se_value(x) -> float | None:
    v = _f(x)
    return v if math.isfinite(v) else None


def percent_agreement(data: Any) -> AgreementResult:
    """Pairwise percent agreement.

    For each unit rated by at least two coders, the share of coder pairs that gave the same
    value, ``pa_i = sum_k r_ik (r_ik - 1) / (r_i (r_i - 1))``; the result is the mean over those
    units (each unit counts once, whatever its number of coders). With two coders this is the
    share of units, among those rated by both, on which they agree. Units rated by fewer than
    two coders are left out. ``se`` is the standard error of that mean,
    ``sqrt(sum (pa_i - p_a)**2 / (n (n - 1)))``.
    """
    enc = _encode(data)
    counts = _counts(enc.codes, enc.q)
    pats, freq = _patterns(counts)
    pa_p, mask2, pa, n2 = _pairwise_pa(pats, freq)
    n = int(n2)
    se = math.sqrt((freq * mask2 * (pa_p - pa) ** 2).sum() / (n * (n - 1))) if n > 1 else None
    return AgreementResult("percent", _f(pa), n, counts.shape[0], enc.codes.shape[1],
                           enc.categories, _f(pa), 0.0, se, None, None, _MISSING_PAIRWISE,
                           "standard error of the mean of per-unit agreement")


def _two_coders(data: Any, name: str) -> tuple[np.ndarray, int]:
    """The rows rated by both coders, and the number of rows in the table."""
    data = _unwrap(data)
    numeric = isinstance(data, np.ndarray) and data.dtype.kind in "fiub"
    m = data.astype(float, copy=False) if numeric else _to_object_matrix(data)
    if m.ndim != 2 or m.shape[1] != 2:
        raise ValueError(f"{name} needs exactly two coders (two columns); got "
                         f"{m.shape[1] if m.ndim == 2 else 0}. Use fleiss_kappa or "
                         "krippendorff_alpha for more coders")
    if numeric:
        return m[~np.isnan(m).any(axis=1)], m.shape[0]
    both = np.array([a is not None and b is not None for a, b in m], dtype=bool)
    return (m[both] if m.size else m), m.shape[0]


def cohen_kappa(data: Any, *, weights: str | None = None,
                order: Sequence | None = None) -> AgreementResult:
    """Cohen's kappa for two coders, optionally weighted (Cohen 1960, 1968).

    Computed on the units rated by both coders (others are left out). With ``p_ij`` the share
    of units coder 1 put in category i and coder 2 in j, row/column marginals ``p_i.``,
    ``p_.j`` and agreement weights ``w_ij`` (identity when unweighted)::

        p_o = sum w_ij p_ij,  p_e = sum w_ij p_i. p_.j,  kappa = (p_o - p_e) / (1 - p_e)

    ``weights="linear"`` uses ``w_ij = 1 - |i-j|/(q-1)``, ``"quadratic"`` ``1 - (i-j)^2/(q-1)^2``
    where i, j are the *ranks* of the categories in scale order: numbers sort naturally,
    labels need ``order=[lowest, ..., highest]``; with ``order`` every listed category is a
    scale point even if unused (q = len(order)), otherwise q is the number of categories used.

    Standard errors are Fleiss, Cohen & Everitt (1969), as in SAS PROC FREQ::

        var  = [sum p_ij (w_ij - (wbar_i. + wbar_.j)(1-kappa))^2 - (kappa - p_e(1-kappa))^2]
               / (n (1 - p_e)^2)
        var0 = [sum p_i. p_.j (w_ij - (wbar_i. + wbar_.j))^2 - p_e^2] / (n (1 - p_e)^2)

    with ``wbar_i. = sum_j p_.j w_ij`` and ``wbar_.j = sum_i p_i. w_ij``; ``se`` is the square
    root of ``var`` (for intervals), ``se_null`` of ``var0`` (for testing kappa = 0).
    """
    rows, total = _two_coders(data, "Cohen's kappa")
    enc = _encode(rows, order, need_order=weights is not None, what="weighted kappa")
    q = enc.q
    n = enc.codes.shape[0]
    if n == 0 or q == 0:
        return AgreementResult("cohen", NAN, 0, total, 2, enc.categories, NAN, NAN, None, None,
                               weights, _MISSING_BOTH, "Fleiss, Cohen & Everitt 1969")
    table = np.zeros((q, q))
    np.add.at(table, (enc.codes[:, 0], enc.codes[:, 1]), 1)
    p = table / n
    w = _weight_matrix(q, weights)
    pr, pc = p.sum(1), p.sum(0)
    po = float((w * p).sum())
    pe = float(pr @ w @ pc)
    if pe >= 1 - 1e-12:
        return AgreementResult("cohen", NAN, n, total, 2, enc.categories, po, pe, None, None,
                               weights, _MISSING_BOTH, "Fleiss, Cohen & Everitt 1969")
    kappa = (po - pe) / (1 - pe)
    wr = w @ pc  # wbar_i.
    wc = pr @ w  # wbar_.j
    s = wr[:, None] + wc[None, :]
    var = ((p * (w - s * (1 - kappa)) ** 2).sum() - (kappa - pe * (1 - kappa)) ** 2) \
        / (n * (1 - pe) ** 2)
    var0 = ((np.outer(pr, pc) * (w - s) ** 2).sum() - pe**2) / (n * (1 - pe) ** 2)
    se = math.sqrt(var) if var >= 0 else None
    se0 = math.sqrt(var0) if var0 >= 0 else None
    return AgreementResult("cohen", kappa, n, total, 2, enc.categories, po, pe, se, se0,
                           weights, _MISSING_BOTH, "Fleiss, Cohen & Everitt 1969")


def scott_pi(data: Any) -> AgreementResult:
    """Scott's pi for two coders (Scott 1955), on the units rated by both.

    ``p_e = sum_k pi_k^2`` with ``pi_k`` the share of category k among both coders' values
    pooled, ``pi = (p_o - p_e) / (1 - p_e)``. ``se`` is Gwet's (2014) linearised standard
    error (see :func:`fleiss_kappa`, of which Scott's pi is the two-coder case).
    """
    rows, total = _two_coders(data, "Scott's pi")
    enc = _encode(rows)
    counts = _counts(enc.codes, enc.q)
    return _family_result("scott", counts, "fleiss", enc, total, 2, _MISSING_BOTH)


def _family_result(name, counts, kind, enc, total, coders, missing, q=None, w=None,
                   weights=None) -> AgreementResult:
    q = enc.q if q is None else q
    if counts.shape[0] == 0 or q == 0:
        return AgreementResult(name, NAN, 0, total, coders, enc.categories, NAN, NAN, None,
                               None, weights, missing, "Gwet 2014 linearisation")
    pats, freq = _patterns(counts)
    coef, pa, pe, se, n2 = _kappa_family(pats, freq, kind, q, w)
    return AgreementResult(name, _f(coef), int(n2), total, coders, enc.categories, _f(pa),
                           _f(pe), _se_value(se), None, weights, missing,
                           "Gwet 2008/2014 linearisation (delta method)")


def fleiss_kappa(data: Any) -> AgreementResult:
    """Fleiss' kappa for any number of coders (Fleiss 1971), missing ratings allowed.

    With ``r_ik`` the number of coders who gave unit i category k and ``r_i = sum_k r_ik``,
    following Gwet (2014, §2.5) when units have different numbers of ratings::

        p_a  = mean over units with r_i >= 2 of  sum_k r_ik (r_ik - 1) / (r_i (r_i - 1))
        pi_k = mean over units with r_i >= 1 of  r_ik / r_i
        p_e  = sum_k pi_k^2,     kappa = (p_a - p_e) / (1 - p_e)

    With every unit rated by the same number of coders this is exactly Fleiss (1971). Units
    rated by one coder only add to ``pi_k`` but not to ``p_a``. ``se`` is Gwet's linearised
    (delta-method) standard error, which does not assume kappa = 0.
    """
    enc = _encode(data)
    counts = _counts(enc.codes, enc.q)
    return _family_result("fleiss", counts, "fleiss", enc, counts.shape[0], enc.codes.shape[1],
                          _MISSING_PAIRWISE + " (their values still count towards pi_k)")


def _q_for(enc: _Encoded, n_categories: int | None) -> int:
    if n_categories is None:
        return enc.q
    if n_categories < enc.q:
        raise ValueError(f"n_categories={n_categories} but the data use {enc.q} categories")
    return int(n_categories)


def gwet_ac1(data: Any, *, weights: str | None = None, order: Sequence | None = None,
             n_categories: int | None = None) -> AgreementResult:
    """Gwet's AC1 (Gwet 2008), or AC2 with ``weights="linear"|"quadratic"`` (Gwet 2014).

    ``p_a`` and ``pi_k`` as in :func:`fleiss_kappa` (any number of coders, missing allowed)::

        p_e = sum_k pi_k (1 - pi_k) / (q - 1),   AC1 = (p_a - p_e) / (1 - p_e)

    For AC2 the weighted ``p_a`` uses ``r*_ik = sum_l w_kl r_il`` in place of ``r_ik`` and
    ``p_e = T_w / (q (q - 1)) * sum_k pi_k (1 - pi_k)`` with ``T_w`` the sum of all weights.
    ``q`` is the number of categories: by default those that occur in the data (any coder, any
    unit), or ``len(order)``, or ``n_categories`` when the scale has categories nobody used.
    ``se`` is Gwet's (2008) linearised standard error.
    """
    enc = _encode(data, order, need_order=weights is not None, what="AC2 with weights")
    q = _q_for(enc, n_categories)
    counts = _counts(enc.codes, enc.q)
    if q > enc.q:
        counts = np.pad(counts, ((0, 0), (0, q - enc.q)))
    w = None if weights is None else _weight_matrix(q, weights)
    name = "ac1" if weights is None else "ac2"
    return _family_result(name, counts, "ac1", enc, counts.shape[0], enc.codes.shape[1],
                          _MISSING_PAIRWISE, q=q, w=w, weights=weights)


def brennan_prediger(data: Any, *, n_categories: int | None = None) -> AgreementResult:
    """Brennan & Prediger's (1981) kappa, ``(p_a - 1/q) / (1 - 1/q)``.

    ``p_a`` as in :func:`fleiss_kappa`. ``q`` is the number of categories that occur in the
    data unless ``n_categories`` gives the size of the scale (the usual choice when some
    categories were never used: the coefficient depends on it). ``se`` is the linearised
    standard error of ``p_a`` scaled by ``1/(1 - 1/q)`` (``p_e`` is fixed).
    """
    enc = _encode(data)
    q = _q_for(enc, n_categories)
    counts = _counts(enc.codes, enc.q)
    if q > enc.q:
        counts = np.pad(counts, ((0, 0), (0, q - enc.q)))
    return _family_result("bp", counts, "bp", enc, counts.shape[0], enc.codes.shape[1],
                          _MISSING_PAIRWISE + f"; q = {q} categories", q=q)
