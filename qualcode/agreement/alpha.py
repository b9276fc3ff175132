"""Krippendorff's alpha: for nominal, ordinal, interval and ratio data from the coincidence
matrix (Krippendorff 2011), and for unitizing one code on a continuum (``|u alpha``;
Krippendorff 1995; 2004, §11.6). The bootstrap interval is in
:mod:`qualcode.agreement.bootstrap`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from qualcode.agreement.encoding import NAN, _counts, _encode, _f, _patterns, _safe_div
from qualcode.agreement.results import AlphaResult, UnitizingAlphaResult

__all__ = ["LEVELS", "krippendorff_alpha", "unitizing_alpha"]

LEVELS = ("nominal", "ordinal", "interval", "ratio")


# =============================================================================================
# Coincidence matrix and disagreements


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
# Alpha by level of measurement


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
