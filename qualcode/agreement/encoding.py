"""Reliability data in, category codes and count patterns out: the input handling every agreement
statistic shares.

Reliability data is a units × coders table (a list of rows, a numpy array, a DataFrame's
``.to_numpy()`` or a :class:`qualcode.agreement.reliability_data.ReliabilityData`) with ``None``
or NaN where a coder gave no value. :func:`_encode` turns it into integer category codes in scale
order, :func:`_counts` into a units × categories count matrix, and :func:`_patterns` into the
distinct count rows and how often each occurs.

Every statistic is a sum over units of a function of the unit's value counts, so units with the
same counts are interchangeable: the computations work on the distinct count *patterns*
(``pats``, shape (P, q)) and how often each occurs (``freq``, shape (..., P); leading axes are a
batch, e.g. one row per code). 40,000 two-coder binary units have at most 6 patterns.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

NAN = float("nan")


# =============================================================================================
# Input handling


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


# =============================================================================================
# Count patterns and numeric helpers


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


def _safe_div(num, den):
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den != 0, num / np.where(den != 0, den, 1), np.nan)
    return out


def _f(x) -> float:
    return float(np.asarray(x))
