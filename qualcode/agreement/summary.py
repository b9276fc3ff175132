"""What an agreement report says before its table: which units were compared, the per-code
results that lead, and the cautions that apply (the pooled figure's absent/absent units, the
kappa paradox). Plain functions on a :class:`~qualcode.agreement.units.UnitMatrix` and the
per-code table; the wording shared by the CLI, the app and the methods paragraph is here too.

Comparable units
    A unit is *comparable* for a set of coders when every one of them rated it: it lies in a
    document each of them coded (a coder who made no coding in a document did not rate its
    units; see :mod:`qualcode.agreement.units`). The default statistics use the comparable
    units of all compared coders only. Gwet's (2014) missing-data treatment (``missing="gwet"``)
    instead uses every unit rated by two or more coders for observed agreement and every rating
    for the category shares, so a unit one coder never saw still moves chance agreement.

Per-code lead
    Agreement is reported per code first: the mean and median of per-code alpha over the codes
    where it is defined, their range, and how many codes reach .800 (reliable) and .667
    (tentative; Krippendorff 2004, p. 241). The pooled figure (every code × unit pair one unit)
    comes second: most of its pairs are units where no coder applied the code, which every
    coder trivially agrees on, so it runs high.

Kappa paradox
    Noted for a code only when it is what happened (Feinstein & Cicchetti 1990): percent
    agreement is high (≥ .90), the chance-corrected coefficient low (< .60), chance agreement
    high because prevalence is skewed (``π² + (1 − π)² ≥ .80``, π the share of ratings that
    applied the code), *and* the coders agree on most units where any of them applied the code
    (all raters applied it on more than half of them). A rare code the coders mostly disagree
    on is not a paradox: its low kappa is the finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from qualcode.agreement.stats import kappa_paradox
from qualcode.agreement.units import UnitMatrix

RELIABLE = 0.800
TENTATIVE = 0.667
#: The kappa-paradox condition (see the module docstring).
PARADOX_PERCENT = 0.90
PARADOX_COEFFICIENT = 0.60
PARADOX_CHANCE = 0.80
PARADOX_WHERE_APPLIED = 0.50
#: How missing ratings are treated: only the comparable units (default), or Gwet's treatment.
MISSING = ("comparable", "gwet")
MISSING_METHOD = {
    "comparable": "statistics on the comparable units only: units rated by every compared coder "
                  "(in documents each of them coded)",
    "gwet": "Gwet's (2014) missing-data treatment: every unit rated by two or more coders "
            "counts for observed agreement and every rating for the category shares, so units "
            "in documents some coder did not code are included",
}


def verdict(alpha: float | None) -> str:
    """``reliable`` (≥ .800), ``tentative`` (.667–.800), ``unreliable`` or ``undefined``."""
    if alpha is None or not math.isfinite(alpha):
        return "undefined"
    if alpha >= RELIABLE:
        return "reliable"
    if alpha >= TENTATIVE:
        return "tentative"
    return "unreliable"


def fmt(v) -> str:
    """APA style for coefficients bounded by 1: three decimals, no leading zero (.812, -.050)."""
    if v is None or not math.isfinite(v):
        return "undefined"
    text = f"{v:.3f}"
    return text.replace("0.", ".", 1) if abs(v) < 1 else text


def and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b, and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (", and " if len(items) > 2 else " and ") + items[-1]


def names(items, limit: int = 10) -> str:
    """Up to ``limit`` names joined with "and", then how many more."""
    items = list(items)
    if len(items) <= limit:
        return and_list(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit:,} more"


# ---------------------------------------------------------------------------------------------
# Comparable units


@dataclass(frozen=True)
class Comparability:
    """The units and documents a set of coders can be compared on (all of them rated)."""

    coders: tuple[str, ...]
    units: int
    documents: tuple[str, ...]
    total_units: int
    total_documents: int

    def to_dict(self) -> dict:
        return {"coders": list(self.coders), "comparable_units": self.units,
                "comparable_documents": len(self.documents),
                "comparable_document_names": list(self.documents),
                "units": self.total_units, "documents": self.total_documents}


def comparable_units(matrix: UnitMatrix, coders: tuple[int, ...] | None = None) -> np.ndarray:
    """Boolean per unit: rated by every coder in ``coders`` (indices; default all)."""
    rated = matrix.rated
    if coders is not None:
        rated = rated[:, list(coders)]
    return rated.all(axis=1)


def comparability(matrix: UnitMatrix, coders: tuple[int, ...] | None = None) -> Comparability:
    """The comparable units and documents of ``coders`` (indices into ``matrix.coders``)."""
    idx = tuple(range(len(matrix.coders))) if coders is None else tuple(coders)
    mask = comparable_units(matrix, idx)
    per_doc = np.bincount(np.asarray(matrix.unit_document, dtype=np.int64)[mask],
                          minlength=len(matrix.documents))
    docs = tuple(d for d, n in zip(matrix.documents, per_doc) if n)
    return Comparability(tuple(matrix.coders[i] for i in idx), int(mask.sum()), docs,
                         matrix.n_units, len(matrix.documents))


def pairwise(matrix: UnitMatrix) -> list[Comparability]:
    """:func:`comparability` for every pair of coders, in the matrix's coder order."""
    return [comparability(matrix, pair) for pair in combinations(range(len(matrix.coders)), 2)]


def compared_line(comp: Comparability, unit: str) -> str:
    """The header every result starts with: "ana and chen: 836 of 2,477 sentence units
    comparable (rated by both), in 4 of 12 documents (A, B, C and D)"."""
    k = len(comp.coders)
    who = "both" if k == 2 else f"all {k}"
    n, total = len(comp.documents), comp.total_documents
    return (f"{and_list(list(comp.coders))}: {comp.units:,} of {comp.total_units:,} {unit} units "
            f"comparable (rated by {who}), in {n:,} of {total:,} document{'s' if total != 1 else ''}"
            + (f" ({names(comp.documents)})" if 0 < n < total else ""))


def pairs_line(pairs: list[Comparability]) -> str | None:
    """Comparable units per pair of coders, when there are three or more coders."""
    if len(pairs) < 2:
        return None
    return "pairs: " + "; ".join(
        f"{p.coders[0]}–{p.coders[1]} {p.units:,} units in {len(p.documents):,} "
        f"document{'s' if len(p.documents) != 1 else ''}" for p in pairs)


def missing_line(missing: str, comp: Comparability) -> str:
    """Which units the statistics use, naming Gwet's treatment when it is chosen."""
    if missing == "gwet":
        return (f"statistics with Gwet's (2014) missing-data treatment: all {comp.total_units:,} "
                f"units, {comp.total_units - comp.units:,} of them rated by fewer than all coders")
    return "statistics on the comparable units only"


def coder_documents(matrix: UnitMatrix) -> dict[str, tuple[str, ...]]:
    """Per coder, the documents they coded (in document order)."""
    table = matrix.coder_documents
    return {c: tuple(d for d, yes in zip(matrix.documents, table[:, j]) if yes)
            for j, c in enumerate(matrix.coders)}


def who_coded_what(matrix: UnitMatrix) -> str:
    """Which coder coded which documents, in words: "ana and ben coded all 12 documents; chen
    coded 4 (A, B, C and D); nobody coded 2 (E and F)". Coders with the same documents are
    named together; a coder who coded most documents is described by the ones they did not."""
    table = matrix.coder_documents
    total = len(matrix.documents)
    groups: dict[tuple[bool, ...], list[str]] = {}
    for j, coder in enumerate(matrix.coders):
        groups.setdefault(tuple(bool(v) for v in table[:, j]), []).append(coder)
    parts = []
    for key, coders in sorted(groups.items(), key=lambda kv: -sum(kv[0])):
        done = [d for d, yes in zip(matrix.documents, key) if yes]
        left = [d for d, yes in zip(matrix.documents, key) if not yes]
        who = and_list(coders)
        if not left:
            what = {1: "the document", 2: "both documents"}.get(total, f"all {total:,} documents")
        elif not done:
            what = "none of the documents"
        elif len(left) < len(done):
            what = f"all but {len(left):,} ({names(left)})"
        else:
            what = f"{len(done):,} ({names(done)})"
        parts.append(f"{who} coded {what}")
    nobody = [d for d, row in zip(matrix.documents, table) if not row.any()]
    if nobody:
        parts.append(f"nobody coded {len(nobody):,} ({names(nobody)})")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Per-code lead


def per_code_summary(table: pd.DataFrame) -> dict:
    """Mean, median and range of per-code alpha over the codes where it is defined, and how
    many codes reach .800 and .667 (those reaching .800 included)."""
    alphas = table["alpha"].to_numpy(dtype=float) if len(table) else np.zeros(0)
    defined = alphas[np.isfinite(alphas)]
    out = {"codes": len(table), "codes_with_alpha": int(defined.size),
           "mean_alpha": None, "median_alpha": None, "min_alpha": None, "max_alpha": None,
           "reach_800": int((defined >= RELIABLE).sum()),
           "reach_667": int((defined >= TENTATIVE).sum())}
    if defined.size:
        out.update(mean_alpha=float(defined.mean()), median_alpha=float(np.median(defined)),
                   min_alpha=float(defined.min()), max_alpha=float(defined.max()))
    return out


def lead_line(summary: dict) -> str:
    """The per-code lead in one line (CLI and app): "Per code (44 of 46 codes with alpha
    defined): mean alpha .684, median .712, range -.002 to 1.000; 12 reach .800, 30 reach
    .667"."""
    n, k = summary["codes"], summary["codes_with_alpha"]
    if not k:
        return f"Per code: alpha is undefined for all {n} codes (no variation)."
    return (f"Per code ({k} of {n} codes with alpha defined): mean alpha "
            f"{fmt(summary['mean_alpha'])}, median {fmt(summary['median_alpha'])}, range "
            f"{fmt(summary['min_alpha'])} to {fmt(summary['max_alpha'])}; "
            f"{summary['reach_800']} of {k} reach .800, {summary['reach_667']} of {k} reach .667.")


def pooled_caution(absent_share: float | None, unit_word: str = "unit") -> str:
    """Why the pooled figure is second: the share of code × unit pairs no coder applied."""
    if absent_share is None or not math.isfinite(absent_share):
        return "dominated by absent/absent pairs: the per-code values come first"
    return (f"dominated by absent/absent pairs: no coder applied the code in "
            f"{absent_share:.1%} of the code × {unit_word} pairs, which every coder agrees on")


# ---------------------------------------------------------------------------------------------
# Kappa paradox


def is_paradox(percent, coefficient, chance, where_applied) -> bool:
    """The kappa-paradox condition (module docstring; :func:`qualcode.agreement.stats.kappa_paradox`
    with this module's thresholds); False where anything is undefined."""
    return kappa_paradox(percent, coefficient, chance=chance, where_applied=where_applied,
                         high=PARADOX_PERCENT, low=PARADOX_COEFFICIENT, skewed=PARADOX_CHANCE,
                         most=PARADOX_WHERE_APPLIED)


def paradox_note(rows: list[dict], statistic: str) -> str | None:
    """One note for every code the paradox concerns, naming them (``None`` when none):
    ``rows`` hold ``code``, ``percent``, the coefficient under ``statistic``'s key and
    ``prevalence``."""
    if not rows:
        return None
    label = {"cohen": "Cohen's kappa", "alpha": "alpha"}.get(statistic, statistic)
    listed = "; ".join(
        f"{r['code']} (percent {r['percent']:.1%}, {label} {fmt(r[statistic])}, applied in "
        f"{r['prevalence']:.0%} of ratings)" for r in rows)
    many = len(rows) != 1
    return (f"Kappa paradox for {len(rows)} code{'s' if many else ''}: {listed}. "
            f"{'Each was' if many else 'It was'} applied to almost all or almost none of the "
            f"units, so chance agreement is high and {label} is low although the coders agree on "
            "most units where any of them applied the code (Feinstein & Cicchetti 1990). Report "
            "percent agreement and the agreement where applied alongside; Gwet's AC1 is less "
            "sensitive to prevalence.")
