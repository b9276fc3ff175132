"""Many present/absent codes at once: every statistic for a codes × units × coders array in one
vectorised pass (the path of the project's agreement report).

The pass has two halves so that the report reads the array only once: :func:`pattern_counts`
turns every (code, unit) into its *pattern* (for two coders the pair of values, otherwise how
many coders said 0 and how many 1) and counts the patterns per code and, optionally, per group
of units (a document); :func:`binary_from_counts` computes every statistic from those counts.
Per-code, per-document and pooled figures are then sums of one table of counts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qualcode.agreement.alpha import _alpha_from_coincidence, _coincidence
from qualcode.agreement.encoding import _safe_div
from qualcode.agreement.kappa import _classification_shares, _pairwise_pa
from qualcode.agreement.results import BinaryBatchResult

__all__ = ["Patterns", "binary_agreement", "binary_from_counts", "pattern_counts", "patterns"]


@dataclass(frozen=True)
class Patterns:
    """The patterns a unit can show to ``coders`` coders, indexed as :func:`pattern_counts`
    numbers them. ``zeros``/``ones``: how many coders gave 0 / 1; ``rated``: how many rated the
    unit. With two coders ``first``/``second`` are each coder's value (-1 not rated)."""

    coders: int
    zeros: np.ndarray
    ones: np.ndarray
    first: np.ndarray | None = None
    second: np.ndarray | None = None

    @property
    def rated(self) -> np.ndarray:
        return self.zeros + self.ones

    @property
    def size(self) -> int:
        return int(self.zeros.size)

    @property
    def values(self) -> np.ndarray:
        """(patterns, 2) counts of the categories 0 and 1, as the statistics take them."""
        return np.stack([self.zeros, self.ones], axis=-1).astype(float)


def patterns(coders: int) -> Patterns:
    """The pattern table for ``coders`` coders (see :class:`Patterns`)."""
    if coders == 2:
        first, second = np.divmod(np.arange(9), 3)
        first, second = first - 1, second - 1
        zeros = (first == 0).astype(np.int64) + (second == 0)
        ones = (first == 1).astype(np.int64) + (second == 1)
        return Patterns(2, zeros, ones, first, second)
    p = np.arange((coders + 1) ** 2)
    return Patterns(coders, p % (coders + 1), p // (coders + 1))


def _unit_patterns(x: np.ndarray) -> np.ndarray:
    """The pattern index of every (code, unit) of ``x`` (codes × units × coders), as int32."""
    coders = x.shape[-1]
    if coders == 2:
        # (a + 1) * 3 + (b + 1) = 3a + b + 4, in int8 (0..8), widened once.
        return (x[..., 0] * np.int8(3) + x[..., 1] + np.int8(4)).astype(np.int32)
    ones = (x == 1).sum(-1, dtype=np.int32)
    zeros = (x == 0).sum(-1, dtype=np.int32)
    return ones * (coders + 1) + zeros


def pattern_counts(x: np.ndarray, groups: np.ndarray | None = None,
                   n_groups: int = 1) -> np.ndarray:
    """How often each pattern occurs, per code and group: shape ``(codes, n_groups, patterns)``.

    ``x`` is codes × units × coders (1 applied, 0 not, -1 not rated); ``groups`` gives each
    unit's group (0 .. n_groups-1, e.g. its document), all units one group when omitted.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (codes, units, coders), got {x.shape}")
    n_codes, _, coders = x.shape
    n_pat = patterns(coders).size
    size = n_codes * n_groups * n_pat
    # int32 indices while they fit (half the memory traffic of int64).
    kind = np.int32 if size < 2**31 else np.int64
    idx = _unit_patterns(x).astype(kind, copy=False)
    if groups is not None and n_groups > 1:
        idx += (np.asarray(groups, dtype=kind) * kind(n_pat))[None, :]
    idx += (np.arange(n_codes, dtype=kind) * kind(n_groups * n_pat))[:, None]
    freq = np.bincount(idx.ravel(), minlength=size)
    return freq.reshape(n_codes, n_groups, n_pat).astype(float)


def binary_from_counts(freq: np.ndarray, coders: int) -> BinaryBatchResult:
    """Every statistic from pattern counts of shape ``(n, patterns)`` (one row per code, or per
    code and document, or one pooled row); see :func:`binary_agreement`."""
    freq = np.asarray(freq, dtype=float)
    pat = patterns(coders)
    pats = pat.values
    # The point estimates of kappa.py's Fleiss and AC1 (q = 2) without their standard errors,
    # whose per-unit influence arrays would cost most of the time on a document breakdown.
    _, _, pa, n2 = _pairwise_pa(pats, freq)
    _, _, pi, _ = _classification_shares(pats, freq)
    pe_fleiss = (pi**2).sum(-1)
    pe_ac1 = (pi * (1 - pi)).sum(-1)  # sum pi_k (1 - pi_k) / (q - 1) with q = 2
    fleiss = _safe_div(pa - pe_fleiss, 1 - pe_fleiss)
    ac1 = _safe_div(pa - pe_ac1, 1 - pe_ac1)
    bp = _safe_div(pa - 0.5, 0.5)
    o, _ = _coincidence(pats, freq)
    alpha, _, _, _ = _alpha_from_coincidence(o, "nominal", None)
    cohen = scott = units_both = None
    if coders == 2:
        a_val, b_val = pat.first, pat.second
        both = (a_val >= 0) & (b_val >= 0)
        n = (freq * both).sum(-1)
        p11 = freq[..., 8]
        p00 = freq[..., 4]
        a1 = _safe_div((freq * (both & (a_val == 1))).sum(-1), n)
        b1 = _safe_div((freq * (both & (b_val == 1))).sum(-1), n)
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


def binary_agreement(x: np.ndarray) -> BinaryBatchResult:
    """All statistics for many codes applied present/absent to the same units, vectorised.

    ``x`` has shape ``(codes, units, coders)`` with 1 (code applied), 0 (not applied) and -1
    (coder did not rate the unit; e.g. a document only some coders coded). Per code this
    equals the single-table functions with categories {0, 1} (q = 2 for AC1 and
    Brennan–Prediger even when a code was never used, since the scale is present/absent):
    percent agreement, Fleiss' kappa, Krippendorff's alpha (nominal), Gwet's AC1,
    Brennan–Prediger, and, with exactly two coders, Cohen's kappa and Scott's pi on the units
    rated by both. Units some coder did not rate are treated as Gwet (2014) does (see
    :func:`qualcode.agreement.kappa.fleiss_kappa`).

    One pass over ``x`` turns each unit into its pattern, counted per code with ``bincount``
    (:func:`pattern_counts`); every statistic is then a small (codes × patterns) computation.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (codes, units, coders), got {x.shape}")
    return binary_from_counts(pattern_counts(x)[:, 0], x.shape[2])
