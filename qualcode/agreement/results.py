"""The results of the agreement statistics: small frozen dataclasses holding a value and what it
was computed on, each with a JSON-friendly ``to_dict()`` (nan becomes ``None``)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "AgreementResult",
    "AlphaBootstrap",
    "AlphaResult",
    "BinaryBatchResult",
    "UnitizingAlphaResult",
]


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


def _normal_quantile(p: float) -> float:
    # Acklam's rational approximation is overkill; statistics.NormalDist is exact enough.
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


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
