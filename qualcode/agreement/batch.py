"""Many present/absent codes at once: every statistic for a codes × units × coders array in one
vectorised pass (the path of the project's agreement report)."""

from __future__ import annotations

import numpy as np

from qualcode.agreement.alpha import _alpha_from_coincidence, _coincidence
from qualcode.agreement.encoding import _safe_div
from qualcode.agreement.kappa import _kappa_family
from qualcode.agreement.results import BinaryBatchResult

__all__ = ["binary_agreement"]


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
