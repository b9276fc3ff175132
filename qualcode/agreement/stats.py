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
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "LEVELS",
    "METRICS",
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
    "krippendorff_alpha",
    "percent_agreement",
    "prevalence_note",
    "scott_pi",
    "unitizing_alpha",
]

LEVELS = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS = ("linear", "quadratic")
NAN = float("nan")

_MISSING_PAIRWISE = "units rated by fewer than two coders are left out"
_MISSING_BOTH = "units not rated by both coders are left out"


# =============================================================================================
# Results


def _clean(value: Any) -> Any:
    """JSON-friendly: nan -> None, numpy scalars -> Python, integral floats in tuples -> int."""
    if isinstance(value, float | np.floating):
        v = float(value)
        return None if math.isnan(v) else v
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, tuple | list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class AgreementResult:
    """One agreement coefficient and what it was computed on.

    ``observed`` is the observed agreement ``p_o`` and ``expected`` the chance agreement
    ``p_e``, so ``value == (observed - expected) / (1 - expected)`` (``value == observed`` for
    percent agreement). ``units`` counts the units that entered the computation,
    ``units_total`` those in the table; ``missing`` says which units were left out.
    ``se`` is the asymptotic standard error (``None`` where none is implemented); ``se_null``,
    for Cohen's kappa, is the standard error under the hypothesis kappa = 0.
    """

    statistic: str
    value: float
    units: int
    units_total: int
    coders: int
    categories: tuple
    observed: float
    expected: float
    se: float | None = None
    se_null: float | None = None
    weights: str | None = None
    missing: str = ""
    se_method: str = ""

    @property
    def level(self) -> str:
        return "nominal" if self.weights is None else f"ordinal ({self.weights} weights)"

    def ci(self, confidence: float = 0.95) -> tuple[float, float] | None:
        """Normal-approximation interval ``value ± z * se`` (``None`` without a usable se)."""
        if self.se is None or not math.isfinite(self.se) or not math.isfinite(self.value):
            return None
        z = _normal_quantile(0.5 + confidence / 2)
        return (self.value - z * self.se, self.value + z * self.se)

    def to_dict(self) -> dict:
        out = {"metric": self.statistic, "level": self.level}
        out.update(asdict(self))
        return _clean(out)


@dataclass(frozen=True)
class AlphaResult:
    """Krippendorff's alpha: ``value = 1 - observed_disagreement / expected_disagreement``.

    ``units`` counts the units with at least two pairable values (the others drop out),
    ``pairable_values`` is ``n..``, the number of values in those units.
    """

    statistic: str
    value: float
    level: str
    units: int
    units_total: int
    coders: int
    categories: tuple
    pairable_values: int
    observed_disagreement: float
    expected_disagreement: float
    missing: str = "units with fewer than two values are not pairable and drop out"

    def to_dict(self) -> dict:
        out = {"metric": self.statistic}
        out.update(asdict(self))
        return _clean(out)


@dataclass(frozen=True)
class AlphaBootstrap:
    """A bootstrap distribution of alpha: percentile interval and risk of missing a minimum.

    ``low``/``high`` are the ``(1 - confidence)/2`` and ``(1 + confidence)/2`` percentiles of
    the draws (2.5 % and 97.5 % by default); ``p_below_min`` is the share of draws below
    ``min_alpha`` (Hayes & Krippendorff's *q*, the probability of failing to reach it).
    ``valid_draws`` excludes draws whose resampled units show no variation (alpha undefined).
    """

    alpha: float
    low: float
    high: float
    confidence: float
    draws: int
    valid_draws: int
    min_alpha: float
    p_below_min: float
    units: int
    level: str
    method: str = "units with two or more values resampled with replacement (percentile interval)"

    def to_dict(self) -> dict:
        return _clean(asdict(self))


@dataclass(frozen=True)
class UnitizingAlphaResult:
    """Krippendorff's alpha for unitizing one code on a continuum (``|u alpha``, 1995/2004).

    ``spans`` is the number of units (spans) per coder after merging overlapping spans.
    """

    value: float
    observed_disagreement: float
    expected_disagreement: float
    continuum: tuple[int, int]
    coders: int
    spans: tuple[int, ...]

    @property
    def alpha(self) -> float:
        return self.value

    def to_dict(self) -> dict:
        return _clean({
            "alpha": self.value,
            "observed_disagreement": self.observed_disagreement,
            "expected_disagreement": self.expected_disagreement,
            "continuum": self.continuum,
            "coders": self.coders,
            "spans": self.spans,
        })


@dataclass(frozen=True)
class BinaryBatchResult:
    """Every statistic for many binary codes at once (arrays indexed by code).

    ``units`` is, per code, the number of units rated by at least two coders; for Cohen's kappa
    and Scott's pi (two coders only) ``units_both`` counts units rated by both.
    """

    percent: np.ndarray
    cohen: np.ndarray | None
    scott: np.ndarray | None
    fleiss: np.ndarray
    alpha: np.ndarray
    ac1: np.ndarray
    bp: np.ndarray
    units: np.ndarray
    units_both: np.ndarray | None
    coders: int
    statistics: tuple[str, ...] = field(default=("percent", "cohen", "scott", "fleiss", "alpha",
                                                 "ac1", "bp"))

    def as_dict(self, i: int) -> dict:
        """The statistics of code ``i`` as plain floats (``None`` where undefined)."""
        out = {}
        for name in self.statistics:
            arr = getattr(self, name)
            out[name] = None if arr is None else _clean(float(arr[i]))
        out["units"] = int(self.units[i])
        return out


# =============================================================================================
# Input handling


def _normal_quantile(p: float) -> float:
    # Acklam's rational approximation is overkill; statistics.NormalDist is exact enough.
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float | np.floating):
        return math.isnan(v)
    try:  # pandas.NA and friends
        return bool(v != v)  # noqa: PLR0124 - NaN-like values are unequal to themselves
    except (TypeError, ValueError):
        return False


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)


def _unwrap(data: Any) -> Any:
    """ReliabilityData -> its rows; a pandas DataFrame -> a numpy array."""
    if hasattr(data, "coders") and hasattr(data, "unit_ids") and hasattr(data, "values"):
        return data.values
    if hasattr(data, "to_numpy") and not isinstance(data, np.ndarray):
        return data.to_numpy()
    return data


def _to_object_matrix(data: Any) -> np.ndarray:
    """A 2-D object array of Python values, ``None`` where missing."""
    data = _unwrap(data)
    if isinstance(data, np.ndarray) and data.dtype.kind in "fiub":
        if data.ndim != 2:
            raise ValueError(f"reliability data must be 2-D (units × coders), got shape {data.shape}")
        out = data.astype(object)
        if data.dtype.kind == "f":
            out[np.isnan(data)] = None
        return out
    rows = [list(row) for row in data]
    if not rows:
        return np.empty((0, 0), dtype=object)
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError("reliability data rows have different lengths; every unit needs one "
                         "cell per coder (None where a coder gave no value)")
    out = np.empty((len(rows), width), dtype=object)
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            out[i, j] = None if _is_missing(v) else v
    return out


@dataclass(frozen=True)
class _Encoded:
    codes: np.ndarray  # int64, units × coders, -1 where missing
    categories: tuple  # category values in scale order
    numeric: bool
    values: np.ndarray | None  # float values of the categories when numeric

    @property
    def q(self) -> int:
        return len(self.categories)


def _display(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _encode(data: Any, order: Sequence | None = None, *, need_order: bool = False,
            what: str = "") -> _Encoded:
    """Integer category codes (``-1`` missing), categories in scale order.

    Numbers sort naturally; labels sort alphabetically, which is meaningful only for nominal
    statistics: ``need_order`` makes labels without ``order=`` an error. With ``order`` the
    categories are exactly ``order`` (so unused scale points still count, e.g. for weights)
    and a value outside it is an error.
    """
    data = _unwrap(data)
    fast = _encode_numeric_array(data, order, what)
    if fast is not None:
        return fast
    m = _to_object_matrix(data)
    present = [v for v in m.ravel() if v is not None]
    numeric = bool(present) and all(_is_number(v) for v in present)
    if order is not None:
        order = list(order)
        if numeric and not all(_is_number(v) or _numeric_text(v) for v in order):
            raise ValueError("order= must list numbers when the values are numbers")
        if len(set(map(_key_fn(numeric), order))) != len(order):
            raise ValueError("order= lists a category twice")
        key = _key_fn(numeric)
        index = {key(v): i for i, v in enumerate(order)}
        codes = np.full(m.shape, -1, dtype=np.int64)
        for (i, j), v in np.ndenumerate(m):
            if v is None:
                continue
            k = key(v)
            if k not in index:
                raise ValueError(f"value {v!r} (unit {i + 1}, coder {j + 1}) is not in order="
                                 f"{order!r}")
            codes[i, j] = index[k]
        cats = tuple(_display(float(v)) if numeric and _is_number(v) else v for v in order)
        vals = np.array([float(v) for v in order]) if numeric else None
        return _Encoded(codes, cats, numeric, vals)
    if need_order and present and not numeric:
        raise ValueError(f"{what or 'this statistic'} needs ordered categories: the values are "
                         "labels, so pass order=[...] listing them from lowest to highest")
    mask = np.array([[v is not None for v in row] for row in m], dtype=bool) if m.size else \
        np.zeros(m.shape, dtype=bool)
    codes = np.full(m.shape, -1, dtype=np.int64)
    if numeric:
        flat = np.array([float(v) for v in m[mask]], dtype=float)
        uniq, inv = np.unique(flat, return_inverse=True)
        codes[mask] = inv
        return _Encoded(codes, tuple(_display(float(u)) for u in uniq), True, uniq)
    labels = [str(v) for v in m[mask]]
    uniq = sorted(set(labels))
    index = {u: i for i, u in enumerate(uniq)}
    codes[mask] = np.fromiter((index[s] for s in labels), dtype=np.int64, count=len(labels))
    return _Encoded(codes, tuple(uniq), False, None)


def _encode_numeric_array(data: Any, order: Sequence | None, what: str) -> _Encoded | None:
    """Fast path for a numeric numpy array (NaN = missing): no per-cell Python work, which
    matters when a project computes 100 codes × 40,000 units."""
    if not (isinstance(data, np.ndarray) and data.dtype.kind in "fiub"):
        return None
    if data.ndim != 2:
        raise ValueError(f"reliability data must be 2-D (units × coders), got shape {data.shape}")
    arr = data.astype(float, copy=False)
    mask = ~np.isnan(arr)
    codes = np.full(arr.shape, -1, dtype=np.int64)
    if order is not None:
        try:
            scale = np.array([float(v) for v in order])
        except (TypeError, ValueError):
            raise ValueError("order= must list numbers when the values are numbers") from None
        if len(np.unique(scale)) != len(scale):
            raise ValueError("order= lists a category twice")
        sorter = np.argsort(scale)
        pos = np.searchsorted(scale, arr[mask], sorter=sorter)
        pos = np.clip(pos, 0, len(scale) - 1)
        found = sorter[pos]
        bad = scale[found] != arr[mask]
        if bad.any():
            v = arr[mask][bad][0]
            raise ValueError(f"value {_display(float(v))!r} is not in order={list(order)!r}")
        codes[mask] = found
        return _Encoded(codes, tuple(_display(float(v)) for v in scale), True, scale)
    present = arr[mask]
    uniq = inv = None
    if present.size:
        lo, hi = present.min(), present.max()
        if hi - lo < 4096 and np.array_equal(present, np.floor(present)):
            # Small integer codes (0/1 per code, Likert points): no sort needed.
            shifted = (present - lo).astype(np.int64)
            seen = np.bincount(shifted, minlength=int(hi - lo) + 1) > 0
            rank = np.cumsum(seen) - 1
            uniq = np.flatnonzero(seen) + lo
            inv = rank[shifted]
    if uniq is None:
        uniq, inv = np.unique(present, return_inverse=True)
    codes[mask] = inv
    return _Encoded(codes, tuple(_display(float(u)) for u in uniq), True, uniq.astype(float))


def _numeric_text(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _key_fn(numeric: bool):
    def key(v):
        if numeric:
            return float(v)
        return str(v)
    return key


def _counts(codes: np.ndarray, q: int) -> np.ndarray:
    """Units × categories matrix of how many coders gave each category to each unit."""
    n_units = codes.shape[0]
    if q == 0 or n_units == 0:
        return np.zeros((n_units, max(q, 0)), dtype=float)
    rows, cols = np.nonzero(codes >= 0)
    flat = rows * q + codes[rows, cols]
    return np.bincount(flat, minlength=n_units * q).reshape(n_units, q).astype(float)


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
# Count-based core.
#
# Every statistic here is a sum over units of a function of the unit's value counts, so units
# with the same counts are interchangeable: the core works on the distinct count *patterns*
# (``pats``, shape (P, q)) and how often each occurs (``freq``, shape (..., P); leading axes
# are a batch, e.g. one row per code). 40,000 two-coder binary units have at most 6 patterns.


def _safe_div(num, den):
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den != 0, num / np.where(den != 0, den, 1), np.nan)
    return out


def _patterns(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a units × categories count matrix and their frequencies."""
    if counts.shape[0] == 0 or counts.shape[1] == 0:  # no units, or no value at all
        return counts[:0], np.zeros(0)
    q = counts.shape[1]
    ci = counts.astype(np.int64)
    base = int(ci.max()) + 1
    if q and base ** q <= 1 << 20:
        # Counts are small integers (at most the number of coders): read each row as a number
        # in base `base` and count with bincount, far faster than sorting rows.
        place = base ** np.arange(q, dtype=np.int64)
        tally = np.bincount(ci @ place, minlength=1)
        keys = np.flatnonzero(tally)
        pats = (keys[:, None] // place[None, :]) % base
        return pats.astype(float), tally[keys].astype(float)
    pats, freq = np.unique(ci, axis=0, return_counts=True)
    return pats.astype(float), freq.astype(float)


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


def _pattern_coincidence(pats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pattern's contribution to the coincidence matrix, ``n_uc (n_uk - [c=k])/(m_u - 1)``
    (zero for units with fewer than two values, which are not pairable)."""
    m = pats.sum(-1)
    pairable = m >= 2
    inv = np.where(pairable, 1.0 / np.where(pairable, m - 1, 1), 0.0)
    q = pats.shape[-1]
    per = pats[:, :, None] * pats[:, None, :] - pats[:, :, None] * np.eye(q)
    return per * inv[:, None, None], pairable


def _coincidence(pats: np.ndarray, freq: np.ndarray):
    """Krippendorff's coincidence matrix ``o_ck = sum_u n_uc (n_uk - [c = k]) / (m_u - 1)``
    and the number of pairable units."""
    per, pairable = _pattern_coincidence(pats)
    o = np.tensordot(freq, per, axes=([-1], [0]))
    return o, (freq * pairable).sum(-1)


def _delta2(level: str, n_c: np.ndarray, values: np.ndarray | None) -> np.ndarray:
    """Squared difference functions of Krippendorff (2011), shape (..., q, q).

    nominal ``[c != k]``; ordinal ``(sum_{g=c..k} n_g - (n_c + n_k)/2)**2`` which equals
    ``(M_k - M_c)**2`` with the mid-rank ``M_g = sum_{h<=g} n_h - n_g/2``; interval
    ``(c - k)**2``; ratio ``((c - k)/(c + k))**2``.
    """
    q = n_c.shape[-1]
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(q), n_c.shape[:-1] + (q, q))
    if level == "ordinal":
        mid = np.cumsum(n_c, axis=-1) - n_c / 2
        return (mid[..., None, :] - mid[..., :, None]) ** 2
    assert values is not None
    diff = values[:, None] - values[None, :]
    if level == "interval":
        d = diff**2
    else:  # ratio
        s = values[:, None] + values[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(s != 0, (diff / np.where(s != 0, s, 1)) ** 2, 0.0)
    return np.broadcast_to(d, n_c.shape[:-1] + (q, q))


def _alpha_from_coincidence(o: np.ndarray, level: str, values: np.ndarray | None):
    """``alpha = 1 - D_o/D_e`` with ``D_o = sum o_ck d_ck / n`` and
    ``D_e = sum n_c n_k d_ck / (n (n - 1))``. Returns ``(alpha, D_o, D_e, n)``."""
    n_c = o.sum(-1)
    n = n_c.sum(-1)
    d = _delta2(level, n_c, values)
    do = _safe_div((o * d).sum((-2, -1)), n)
    de = _safe_div(np.einsum("...c,...k,...ck->...", n_c, n_c, d), n * (n - 1))
    alpha = 1 - _safe_div(do, de)
    return alpha, do, de, n


# =============================================================================================
# Public coefficients


def _f(x) -> float:
    return float(np.asarray(x))


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


def krippendorff_alpha(data: Any, level: str = "nominal", *,
                       order: Sequence | None = None) -> AlphaResult:
    """Krippendorff's alpha for nominal, ordinal, interval or ratio data (Krippendorff 2011).

    Any number of coders; missing values allowed. Units with fewer than two values are not
    pairable and drop out. From the values of unit u, ``n_uc`` of category c among ``m_u``::

        o_ck = sum_u n_uc (n_uk - [c = k]) / (m_u - 1)      (coincidence matrix)
        n_c  = sum_k o_ck,  n = sum_c n_c                     (pairable values)
        D_o  = sum_ck o_ck d_ck / n,   D_e = sum_ck n_c n_k d_ck / (n (n - 1))
        alpha = 1 - D_o / D_e

    with the squared differences ``d_ck``: nominal ``[c != k]``; ordinal
    ``(sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2``; interval ``(c - k)^2``; ratio
    ``((c - k)/(c + k))^2``. Ordinal needs the category order: numbers sort naturally, labels
    need ``order=``; interval and ratio need numbers. ``alpha`` is nan when the pairable values
    show no variation (``D_e = 0``).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    enc = _encode(data, order, need_order=level == "ordinal", what="ordinal alpha")
    if level in ("interval", "ratio") and enc.q and not enc.numeric:
        raise ValueError(f"{level} alpha needs numeric values; these are labels")
    if level == "ratio" and enc.values is not None and (enc.values < 0).any():
        raise ValueError("ratio alpha needs values >= 0 (a ratio scale has an absolute zero)")
    counts = _counts(enc.codes, enc.q)
    o, units = _coincidence(*_patterns(counts))
    alpha, do, de, n = _alpha_from_coincidence(o, level, enc.values)
    return AlphaResult("alpha", _f(alpha), level, int(units), counts.shape[0],
                       enc.codes.shape[1], enc.categories, round(_f(n)), _f(do), _f(de))


def alpha_bootstrap(data: Any, level: str = "nominal", *, order: Sequence | None = None,
                    draws: int = 1000, rng: np.random.Generator | int | None = None,
                    min_alpha: float = 0.667, confidence: float = 0.95) -> AlphaBootstrap:
    """Bootstrap distribution of Krippendorff's alpha (after Hayes & Krippendorff 2007).

    The pairable units (two or more values) are resampled with replacement ``draws`` times and
    alpha is recomputed from each resample's coincidence matrix; the interval is the
    percentile interval and ``p_below_min`` the share of draws below ``min_alpha`` (.667 is
    Krippendorff's lowest acceptable value for tentative conclusions, .800 for firm ones).

    This resamples *units* (Efron's percentile bootstrap); Hayes & Krippendorff's KALPHA macro
    draws from the observed coincidences (pairs of values) instead, so its intervals can differ
    somewhat, most on small samples. Units with the
    same value counts are identical for alpha, so resampling is a multinomial draw over the
    distinct count patterns, which keeps 1,000 draws on 40,000 units in milliseconds.
    ``rng`` is a numpy Generator or a seed; draws whose resample has no variation (alpha
    undefined) are left out of the percentiles (``valid_draws``).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    point = krippendorff_alpha(data, level, order=order)
    enc = _encode(data, order, need_order=level == "ordinal", what="ordinal alpha")
    counts = _counts(enc.codes, enc.q)
    counts = counts[counts.sum(-1) >= 2]
    n_units = counts.shape[0]
    lo_p, hi_p = (1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100
    if n_units == 0:
        return AlphaBootstrap(point.value, NAN, NAN, confidence, draws, 0, min_alpha, NAN, 0,
                              level)
    pats, freq = _patterns(counts)
    per_pattern, _ = _pattern_coincidence(pats)
    # Resampling units with replacement = a multinomial draw over the distinct patterns.
    weights = gen.multinomial(n_units, freq / n_units, size=draws).astype(float)
    o = np.tensordot(weights, per_pattern, axes=([1], [0]))
    alphas, _, _, _ = _alpha_from_coincidence(o, level, enc.values)
    valid = alphas[np.isfinite(alphas)]
    if valid.size == 0:
        return AlphaBootstrap(point.value, NAN, NAN, confidence, draws, 0, min_alpha, NAN,
                              n_units, level)
    low, high = np.percentile(valid, [lo_p, hi_p])
    return AlphaBootstrap(point.value, float(low), float(high), confidence, draws,
                          int(valid.size), min_alpha, float((valid < min_alpha).mean()),
                          n_units, level)


def binary_alpha_bootstrap(x: np.ndarray, *, draws: int = 1000,
                           rng: np.random.Generator | int | None = None,
                           min_alpha: float = 0.667, confidence: float = 0.95) -> AlphaBootstrap:
    """:func:`alpha_bootstrap` (nominal) for one present/absent code, straight from a units ×
    coders int array of 1 (applied), 0 (not applied) and -1 (not rated).

    The same computation and, for the same ``rng``, the same draws as ``alpha_bootstrap`` on
    that table, but it skips turning values into categories, which dominates on millions of
    units (character-level agreement on a whole project).
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (units, coders), got {x.shape}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    counts = np.stack([(x == 0).sum(-1), (x == 1).sum(-1)], axis=-1).astype(float)
    if not counts[:, 0].any() or not counts[:, 1].any():
        # One category only, as alpha_bootstrap's encoding sees it (alpha is then undefined).
        counts = counts[:, [0 if counts[:, 0].any() else 1]] if counts.any() else counts[:, :0]
    counts = counts[counts.sum(-1) >= 2]
    n_units = counts.shape[0]
    if n_units == 0:
        return AlphaBootstrap(NAN, NAN, NAN, confidence, draws, 0, min_alpha, NAN, 0, "nominal")
    pats, freq = _patterns(counts)
    o, _ = _coincidence(pats, freq)
    point, _, _, _ = _alpha_from_coincidence(o, "nominal", None)
    per_pattern, _ = _pattern_coincidence(pats)
    weights = gen.multinomial(n_units, freq / n_units, size=draws).astype(float)
    alphas, _, _, _ = _alpha_from_coincidence(np.tensordot(weights, per_pattern, axes=([1], [0])),
                                              "nominal", None)
    valid = alphas[np.isfinite(alphas)]
    if valid.size == 0:
        return AlphaBootstrap(_f(point), NAN, NAN, confidence, draws, 0, min_alpha, NAN,
                              n_units, "nominal")
    low, high = np.percentile(valid, [(1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100])
    return AlphaBootstrap(_f(point), float(low), float(high), confidence, draws,
                          int(valid.size), min_alpha, float((valid < min_alpha).mean()),
                          n_units, "nominal")


# =============================================================================================
# Unitizing


def _segments(spans: Iterable[tuple[int, int]], start: int, end: int, coder: str):
    """Sorted units of one coder, overlapping spans merged; returns (begins, ends, is_unit)
    for the full partition of the continuum into units and gaps."""
    clean: list[tuple[int, int]] = []
    for span in spans:
        try:
            s, e = span
        except (TypeError, ValueError):
            raise ValueError(f"coder {coder!r}: span {span!r} is not a (start, end) pair") from None
        if not all(isinstance(v, numbers.Integral) or (isinstance(v, float) and v.is_integer())
                   for v in (s, e)):
            raise ValueError(f"coder {coder!r}: span {span!r} must have integer positions")
        s, e = int(s), int(e)
        if s > e:
            raise ValueError(f"coder {coder!r}: span ({s}, {e}) ends before it starts")
        if s < start or e > end:
            raise ValueError(f"coder {coder!r}: span ({s}, {e}) lies outside the continuum "
                             f"({start}, {end})")
        if s < e:
            clean.append((s, e))
    clean.sort()
    merged: list[list[int]] = []
    for s, e in clean:
        # Overlapping spans of one code by one coder are one unit; touching spans stay two
        # units (Krippendorff's example has contiguous units, e.g. Jill's in 1995).
        if merged and s < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    begins, ends, unit = [], [], []
    pos = start
    for s, e in merged:
        if s > pos:
            begins.append(pos), ends.append(s), unit.append(False)
        begins.append(s), ends.append(e), unit.append(True)
        pos = e
    if pos < end:
        begins.append(pos), ends.append(end), unit.append(False)
    return (np.array(begins, dtype=float), np.array(ends, dtype=float),
            np.array(unit, dtype=bool), len(merged))


def _pair_disagreement(a, b) -> float:
    """``sum_g sum_h delta^2(g, h)`` between two coders' partitions (one order of the pair).

    Only overlapping segments can differ, and the overlapping pairs are exactly the pairs met
    on the elementary intervals between the union of both coders' boundaries.
    """
    ba, ea, ua = a[:3]
    bb, eb, ub = b[:3]
    cuts = np.union1d(ba, bb)
    ia = np.searchsorted(ba, cuts, side="right") - 1
    ib = np.searchsorted(bb, cuts, side="right") - 1
    keep = np.ones(len(cuts), dtype=bool)
    keep[1:] = (np.diff(ia) != 0) | (np.diff(ib) != 0)
    ia, ib = ia[keep], ib[keep]
    g_b, g_e, g_u = ba[ia], ea[ia], ua[ia]
    h_b, h_e, h_u = bb[ib], eb[ib], ub[ib]
    both = g_u & h_u
    d = np.zeros(len(ia))
    d[both] = (g_b[both] - h_b[both]) ** 2 + (g_e[both] - h_e[both]) ** 2
    g_in_gap = g_u & ~h_u & (h_b <= g_b) & (g_e <= h_e)
    d[g_in_gap] = (g_e[g_in_gap] - g_b[g_in_gap]) ** 2
    h_in_gap = h_u & ~g_u & (g_b <= h_b) & (h_e <= g_e)
    d[h_in_gap] = (h_e[h_in_gap] - h_b[h_in_gap]) ** 2
    return float(d.sum())


def unitizing_alpha(continuum: tuple[int, int],
                    spans: Mapping[str, Iterable[tuple[int, int]]] | Sequence[Iterable[tuple[int, int]]],
                    ) -> UnitizingAlphaResult:
    """Krippendorff's alpha for unitizing one code on a continuum of positions (|u alpha).

    ``continuum`` is ``(start, end)``; ``spans`` gives each coder's half-open ``(start, end)``
    spans for the code (a dict coder → spans, or a list of span lists; a coder who marked
    nothing must still be listed, with no spans). Each coder's spans and the gaps between
    them partition the continuum into segments ``g`` with begin ``b_g``, length ``l_g`` and
    ``w_g = 1`` for a unit, 0 for a gap. Overlapping spans of one coder are merged.

    Following Krippendorff (1995; 2004, §11.6), with m coders and continuum length L::

        delta^2(g, h) = (b_g - b_h)^2 + (b_g + l_g - b_h - l_h)^2   two overlapping units
                      = l_g^2     unit g lies inside gap h     (and symmetrically l_h^2)
                      = 0         otherwise
        D_o = sum_{i != j} sum_g sum_h delta^2(g_i, h_j) / (m (m - 1) L^2)
        D_e = (2/L) sum_units [ (N - 1)(2 l^3 - 3 l^2 + l)/3
                                + l^2 sum_{gaps with l_gap >= l} (l_gap - l + 1) ]
              / ( m L (m L - 1) - sum_units l (l - 1) )
        alpha = 1 - D_o / D_e

    where N is the number of units of all coders and the sums over units and gaps run over all
    coders. alpha is nan when nobody marked anything (``D_e = 0``). Krippendorff, Mathet et
    al. (2016) note that this definition behaves unexpectedly with more than two coders.
    """
    start, end = int(continuum[0]), int(continuum[1])
    if end <= start:
        raise ValueError(f"the continuum ({start}, {end}) is empty")
    length = end - start
    items = list(spans.items()) if isinstance(spans, Mapping) else \
        [(str(i + 1), s) for i, s in enumerate(spans)]
    m = len(items)
    if m < 2:
        raise ValueError("unitizing alpha needs at least two coders")
    parts = [_segments(s, start, end, name) for name, s in items]
    do_sum = 0.0
    for i in range(m):
        for j in range(i + 1, m):
            do_sum += 2 * _pair_disagreement(parts[i], parts[j])  # both orders, same value
    d_o = do_sum / (m * (m - 1) * length**2)

    unit_len = np.concatenate([e[u] - b[u] for b, e, u, _ in parts])
    gap_len = np.sort(np.concatenate([e[~u] - b[~u] for b, e, u, _ in parts]))
    n_units = len(unit_len)
    # sum over gaps with l_gap >= l of (l_gap - l + 1), for every unit length l, via a suffix sum.
    idx = np.searchsorted(gap_len, unit_len, side="left")
    suffix = np.concatenate([np.cumsum(gap_len[::-1])[::-1], [0.0]])
    n_long = len(gap_len) - idx
    gap_term = suffix[idx] - (unit_len - 1) * n_long
    num = ((n_units - 1) * (2 * unit_len**3 - 3 * unit_len**2 + unit_len) / 3
           + unit_len**2 * gap_term).sum()
    den = m * length * (m * length - 1) - (unit_len * (unit_len - 1)).sum()
    d_e = (2 / length) * num / den if den > 0 else NAN
    if n_units == 0 or not d_e > 0:
        value = NAN
    else:
        value = 1 - d_o / d_e
    return UnitizingAlphaResult(float(value), float(d_o), float(d_e) if n_units else 0.0,
                                (start, end), m, tuple(p[3] for p in parts))


# =============================================================================================
# Many binary codes at once


def binary_agreement(x: np.ndarray) -> BinaryBatchResult:
    """All statistics for many codes applied present/absent to the same units, vectorised.

    ``x`` has shape ``(codes, units, coders)`` with 1 (code applied), 0 (not applied) and -1
    (coder did not rate the unit; e.g. a document only some coders coded). Per code this
    equals the single-table functions with categories {0, 1} (q = 2 for AC1 and
    Brennan–Prediger even when a code was never used, since the scale is present/absent):
    percent agreement, Fleiss' kappa, Krippendorff's alpha (nominal), Gwet's AC1,
    Brennan–Prediger, and, with exactly two coders, Cohen's kappa and Scott's pi on the units
    rated by both.

    One pass over ``x`` turns each unit into its pattern (how many coders said 0, how many 1;
    for two coders, the pair of values), counted per code with ``bincount``; every statistic
    is then a small (codes × patterns) computation.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (codes, units, coders), got {x.shape}")
    n_codes, _, coders = x.shape
    if coders == 2:
        # Joint pattern of the two coders' values (-1, 0, 1) -> 0..8, one bincount per code.
        joint = (x[..., 0].astype(np.int32) + 1) * 3 + (x[..., 1].astype(np.int32) + 1)
        offsets = (np.arange(n_codes, dtype=np.int64) * 9)[:, None]
        jf = np.bincount((joint + offsets).ravel(), minlength=n_codes * 9)
        jf = jf.reshape(n_codes, 9).astype(float)
        a_val, b_val = np.divmod(np.arange(9), 3)
        a_val, b_val = a_val - 1, b_val - 1
        pats = np.stack([(a_val == 0).astype(float) + (b_val == 0),
                         (a_val == 1).astype(float) + (b_val == 1)], axis=-1)  # (9, 2)
        freq = jf
    else:
        ones = (x == 1).sum(-1, dtype=np.int64)
        zeros = (x == 0).sum(-1, dtype=np.int64)
        idx = ones * (coders + 1) + zeros
        n_pat = (coders + 1) ** 2
        offsets = (np.arange(n_codes, dtype=np.int64) * n_pat)[:, None]
        freq = np.bincount((idx + offsets).ravel(), minlength=n_codes * n_pat)
        freq = freq.reshape(n_codes, n_pat).astype(float)
        p = np.arange(n_pat)
        pats = np.stack([p % (coders + 1), p // (coders + 1)], axis=-1).astype(float)
    fleiss, pa, _, _, n2 = _kappa_family(pats, freq, "fleiss", 2)
    ac1, _, _, _, _ = _kappa_family(pats, freq, "ac1", 2)
    bp = _safe_div(pa - 0.5, 0.5)
    o, _ = _coincidence(pats, freq)
    alpha, _, _, _ = _alpha_from_coincidence(o, "nominal", None)
    cohen = scott = units_both = None
    if coders == 2:
        both = (a_val >= 0) & (b_val >= 0)
        n = (jf * both).sum(-1)
        p11 = jf[:, 8]
        p00 = jf[:, 4]
        a1 = _safe_div((jf * (both & (a_val == 1))).sum(-1), n)
        b1 = _safe_div((jf * (both & (b_val == 1))).sum(-1), n)
        po = _safe_div(p11 + p00, n)
        pe_c = a1 * b1 + (1 - a1) * (1 - b1)
        cohen = _safe_div(po - pe_c, 1 - pe_c)
        pi1 = (a1 + b1) / 2
        pe_s = pi1**2 + (1 - pi1) ** 2
        scott = _safe_div(po - pe_s, 1 - pe_s)
        units_both = n.astype(np.int64)
    return BinaryBatchResult(np.asarray(pa), cohen, scott, np.asarray(fleiss), np.asarray(alpha),
                             np.asarray(ac1), np.asarray(bp), np.asarray(n2).astype(np.int64),
                             units_both, coders)


# =============================================================================================
# Notes and dispatch


def prevalence_note(percent: float, coefficient: float, *, statistic: str = "kappa",
                    high: float = 0.9, low: float = 0.6) -> str | None:
    """A note when agreement is high but the chance-corrected coefficient is low.

    When one category dominates (a code applied to few units, or to almost all), chance
    agreement is near 1 and kappa, pi and alpha can be low although coders rarely disagree:
    the "kappa paradox" (Feinstein & Cicchetti 1990). Returns the note when
    ``percent >= high`` and ``coefficient < low``, else ``None``.
    """
    if percent is None or coefficient is None:
        return None
    if not (math.isfinite(percent) and math.isfinite(coefficient)):
        return None
    if percent >= high and coefficient < low:
        return (f"Percent agreement is {percent:.1%} but {statistic} is {coefficient:.3f}: one "
                f"category is so prevalent that chance agreement is high, so {statistic} is low "
                "although the coders rarely disagree (the kappa paradox; Feinstein & Cicchetti "
                "1990). Report percent agreement and how often the code was applied alongside "
                f"{statistic}; Gwet's AC1 is less sensitive to prevalence.")
    return None


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
