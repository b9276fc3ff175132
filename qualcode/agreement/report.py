"""The agreement report of a coded project: which units were compared, a table per code led by
the per-code summary, the pooled figure second, a document × code breakdown, CSV/XLSX exports
and a methods paragraph ready to paste into a paper (:mod:`qualcode.agreement.methods`).

The statistics are computed once: one pass over the unit matrix counts, per code and document,
how often each pattern of ratings occurs (:func:`qualcode.agreement.batch.pattern_counts`);
the per-code, per-document and pooled figures and alpha's bootstrap interval all come from
those counts. By default only the *comparable* units enter (rated by every compared coder);
``missing="gwet"`` uses Gwet's missing-data treatment instead (see
:mod:`qualcode.agreement.summary`). Thresholds follow Krippendorff (2004, p. 241): alpha ≥ .800
reliable, .667 ≤ alpha < .800 tentative (for tentative conclusions only), below .667
unreliable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qualcode.agreement.batch import binary_from_counts, pattern_counts, patterns
from qualcode.agreement.bootstrap import binary_alpha_intervals
from qualcode.agreement.methods import UNIT_WORDS, methods_paragraph
from qualcode.agreement.summary import (
    MISSING,
    MISSING_METHOD,
    RELIABLE,
    TENTATIVE,
    Comparability,
    coder_documents,
    comparability,
    comparable_units,
    is_paradox,
    pairwise,
    paradox_note,
    per_code_summary,
    pooled_caution,
    verdict,
)
from qualcode.agreement.units import UnitMatrix
from qualcode.guards import spreadsheet_cell

__all__ = [
    "LABELS", "MISSING", "RELIABLE", "STATISTICS", "TENTATIVE", "AgreementReport",
    "agreement_table", "build_report", "document_breakdown", "export_table", "methods_paragraph",
    "table_csv", "table_xlsx", "verdict",
]

STATISTICS = ("percent", "cohen", "scott", "fleiss", "alpha", "ac1", "bp")
LABELS = {
    "percent": "percent agreement",
    "cohen": "Cohen's kappa",
    "scott": "Scott's pi",
    "fleiss": "Fleiss' kappa",
    "alpha": "Krippendorff's alpha (nominal)",
    "ac1": "Gwet's AC1",
    "bp": "Brennan–Prediger kappa",
}
POOLED = ("pooled: every code × unit pair is one unit of a single present/absent table, "
          "so frequently applied codes weigh more")
MEAN = ("mean: the unweighted average of the per-code values over the codes where the "
        "statistic is defined")


def _num(v) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


@dataclass
class AgreementReport:
    """Everything the CLI, the app and the exports show (plain data and DataFrames).

    ``comparable`` holds the units and documents every compared coder rated, ``pairs`` the
    same per pair of coders; ``missing`` is ``"comparable"`` (the statistics use those units
    only) or ``"gwet"`` (Gwet's missing-data treatment). ``paradox`` is ``None`` or the one
    kappa-paradox note of the table and the codes it names.
    """

    matrix: UnitMatrix
    table: pd.DataFrame
    overall: dict
    by_document: pd.DataFrame
    confidence: float = 0.95
    draws: int = 1000
    notes: list[str] = field(default_factory=list)
    missing: str = "comparable"
    comparable: Comparability | None = None
    pairs: list[Comparability] = field(default_factory=list)
    paradox: dict | None = None

    @property
    def missing_method(self) -> str:
        return MISSING_METHOD[self.missing]

    def as_dict(self) -> dict:
        """The JSON of ``qualcode agreement --json``."""
        codes = []
        for row in self.table.to_dict("records"):
            codes.append({k: (_num(v) if isinstance(v, float) else v) for k, v in row.items()})
        comparable = self.comparable.to_dict() if self.comparable else {}
        return {
            "unit": self.matrix.unit,
            "coders": list(self.matrix.coders),
            "documents": list(self.matrix.documents),
            "rollup": self.matrix.rollup,
            "units": self.matrix.n_units,
            "missing": self.missing,
            "missing_method": self.missing_method,
            "comparable_units": comparable.get("comparable_units"),
            "comparable_documents": comparable.get("comparable_documents"),
            "comparable_document_names": comparable.get("comparable_document_names"),
            "pairs": [p.to_dict() for p in self.pairs],
            "coder_documents": {c: list(d) for c, d in coder_documents(self.matrix).items()},
            "draws": self.draws,
            "confidence": self.confidence,
            "codes": codes,
            "overall": self.overall,
            "paradox": self.paradox,
        }


#: Cells (codes × units × coders) read at a time: the pattern pass holds about 12 bytes a
#: cell in temporaries, so this bounds them to a few hundred MB even at character level.
MAX_CELLS = 20_000_000


def _pattern_counts(matrix: UnitMatrix, use: np.ndarray, max_cells: int | None = None):
    """The one pass over ``matrix.x``: pattern counts per code × document × pattern, and (for
    three or more coders, where patterns do not say who) per code and coder the used units
    the coder applied the code to. Codes are read a batch at a time (``MAX_CELLS``)."""
    x = matrix.x
    n_codes, n_units, n_coders = x.shape
    n_docs = max(len(matrix.documents), 1)
    groups = np.asarray(matrix.unit_document, dtype=np.int64)
    freq = np.zeros((n_codes, n_docs, patterns(n_coders).size))
    coded_by = np.zeros((n_codes, n_coders), dtype=np.int64)
    step = max(1, (max_cells or MAX_CELLS) // max(1, n_units * n_coders))
    for first in range(0, n_codes, step):
        part = x[first:first + step]
        freq[first:first + step] = pattern_counts(part, groups, n_docs)
        if n_coders != 2:
            coded_by[first:first + step] = ((part == 1) & use[None, :, None]).sum(1)
    return freq, coded_by


def _keep(freq: np.ndarray, n_coders: int, missing: str) -> np.ndarray:
    """The counts the statistics use: for ``comparable``, only units every coder rated."""
    if missing == "comparable":
        freq = freq.copy()
        freq[..., patterns(n_coders).rated < n_coders] = 0
    return freq


def _frame(res, n: int, two: bool) -> dict:
    """The statistics of a batch result as float columns (Cohen and Scott for two only)."""
    cols = {}
    for s in STATISTICS:
        arr = getattr(res, s)
        cols[s] = (np.asarray(arr, dtype=float) if arr is not None and (two or s not in
                   ("cohen", "scott")) else np.full(n, np.nan))
    return cols


def document_breakdown(matrix: UnitMatrix, *, missing: str = "comparable",
                       max_cells: int | None = None, freq: np.ndarray | None = None
                       ) -> pd.DataFrame:
    """A long table: for each document and code, units, percent agreement, alpha, AC1 (and
    Cohen's kappa with two coders), computed on that document's units only (its comparable
    units by default; documents with none are left out).

    ``freq``: the counts of :func:`_pattern_counts` when the caller has them (the report
    passes its own, so the units are read once).
    """
    two = len(matrix.coders) == 2
    columns = ["document", "code", "units", "percent", "cohen", "alpha", "ac1"]
    n_docs, n_codes = len(matrix.documents), len(matrix.codes)
    if not n_codes or not n_docs:
        return pd.DataFrame(columns=columns)
    if freq is None:
        use = comparable_units(matrix) if missing == "comparable" else \
            np.ones(matrix.n_units, dtype=bool)
        freq = _keep(_pattern_counts(matrix, use, max_cells)[0], len(matrix.coders), missing)
    per_doc = np.ascontiguousarray(freq.transpose(1, 0, 2)).reshape(n_docs * n_codes, -1)
    res = binary_from_counts(per_doc, len(matrix.coders))
    stats = _frame(res, n_docs * n_codes, two)
    df = pd.DataFrame({
        "document": np.repeat(np.array(matrix.documents, dtype=object), n_codes),
        "code": np.tile(np.array(matrix.codes, dtype=object), n_docs),
        "units": res.units.astype(int),
        **{s: stats[s] for s in ("percent", "cohen", "alpha", "ac1")},
    })
    # Documents with no unit the statistics use (none at all, or none every coder rated).
    used = freq[0].sum(-1) > 0
    keep = np.repeat(used, n_codes)
    return df[keep].reset_index(drop=True)[columns]


def build_report(matrix: UnitMatrix, *, draws: int = 1000, confidence: float = 0.95,
                 seed: int = 20240605, missing: str = "comparable") -> AgreementReport:
    """The whole report for a unit matrix: the per-code table, overall figures (per-code
    summary first, pooled second), the document breakdown, comparability and the paradox note.

    ``missing``: ``"comparable"`` (default; units every coder rated) or ``"gwet"``. ``draws``:
    bootstrap resamples for alpha's interval (0: none, and the methods paragraph mentions no
    bootstrap); seeded so that a report is reproducible.
    """
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {', '.join(MISSING)}, not {missing!r}")
    coders = matrix.coders
    n_coders, n_codes = len(coders), len(matrix.codes)
    two = n_coders == 2
    pat = patterns(n_coders)
    use = comparable_units(matrix) if missing == "comparable" else \
        np.ones(matrix.n_units, dtype=bool)
    raw, coded_by = _pattern_counts(matrix, use)
    freq = _keep(raw, n_coders, missing)
    per_code = freq.sum(1)  # codes × patterns
    res = binary_from_counts(per_code, n_coders)
    stats = _frame(res, n_codes, two)
    if two:
        coded_by = np.stack([(per_code * (pat.first == 1)).sum(-1),
                             (per_code * (pat.second == 1)).sum(-1)], axis=-1).astype(np.int64)

    pairable = pat.rated >= 2
    applied = (per_code * (pat.ones >= 1)).sum(-1)
    applied_pairable = (per_code * ((pat.ones >= 1) & pairable)).sum(-1)
    agreed = (per_code * ((pat.ones == pat.rated) & (pat.ones >= 1) & pairable)).sum(-1)
    values = (per_code * (pat.rated * pairable)).sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        prevalence = np.where(values > 0, (per_code * (pat.ones * pairable)).sum(-1) / values,
                              np.nan)
        where_applied = np.where(applied_pairable > 0, agreed / applied_pairable, np.nan)
    chance = prevalence**2 + (1 - prevalence) ** 2

    low = high = np.full(n_codes, np.nan)
    if draws and n_codes:
        low, high = binary_alpha_intervals(per_code, pat.values, draws=draws, rng=seed,
                                           confidence=confidence)
        defined = np.isfinite(stats["alpha"])
        low, high = np.where(defined, low, np.nan), np.where(defined, high, np.nan)

    coefficient = stats["cohen"] if two else stats["alpha"]
    coefficient = np.where(np.isfinite(coefficient), coefficient, stats["alpha"])
    paradox = np.array([is_paradox(stats["percent"][k], coefficient[k], chance[k],
                                   where_applied[k]) for k in range(n_codes)], dtype=bool)
    table = pd.DataFrame({
        "code": list(matrix.codes),
        "units": res.units.astype(int),
        "coders": n_coders,
        "applied": applied.astype(int),
        "applied_by_all": agreed.astype(int),
        **{f"coded by {c}": coded_by[:, j].astype(int) for j, c in enumerate(coders)},
        **stats,
        "alpha_low": np.asarray(low, dtype=float),
        "alpha_high": np.asarray(high, dtype=float),
        "verdict": [verdict(a) for a in stats["alpha"]],
        "prevalence": prevalence,
        "where_applied": where_applied,
        "paradox": paradox,
    }, columns=["code", "units", "coders", "applied", "applied_by_all",
                *[f"coded by {c}" for c in coders], *STATISTICS, "alpha_low", "alpha_high",
                "verdict", "prevalence", "where_applied", "paradox"])

    overall = _overall(table, per_code, pat, n_coders, UNIT_WORDS[matrix.unit][0])
    note = None
    if paradox.any():
        name = "cohen" if two else "alpha"
        rows = [{**r, name: c} for r, c in zip(table[paradox].to_dict("records"),
                                                 coefficient[paradox])]
        note = {"codes": [r["code"] for r in rows], "statistic": name,
                "note": paradox_note(rows, name)}
    return AgreementReport(
        matrix, table, overall,
        document_breakdown(matrix, missing=missing, freq=freq), confidence, draws,
        missing=missing, comparable=comparability(matrix), pairs=pairwise(matrix),
        paradox=note)


def agreement_table(matrix: UnitMatrix, **options) -> pd.DataFrame:
    """The per-code table of :func:`build_report` (same options)."""
    return build_report(matrix, **options).table


def _overall(table: pd.DataFrame, per_code: np.ndarray, pat, n_coders: int, unit: str) -> dict:
    """The per-code summary (first), the pooled figures (second, with the share of
    absent/absent pairs that dominates them) and the means over codes."""
    summary = per_code_summary(table)
    out: dict = {"codes": len(table), "per_code": summary, "pooled": None, "mean": None,
                 "absent_share": None, "pooled_method": POOLED, "mean_method": MEAN}
    if not len(table):
        return out
    pooled_freq = per_code.sum(0, keepdims=True)
    p = binary_from_counts(pooled_freq, n_coders).as_dict(0)
    if n_coders != 2:
        p["cohen"] = p["scott"] = None
    pairable = pooled_freq[0, pat.rated >= 2].sum()
    absent = pooled_freq[0, (pat.ones == 0) & (pat.rated >= 2)].sum()
    share = float(absent / pairable) if pairable else None
    out["absent_share"] = share
    out["pooled"] = {**{s: p[s] for s in STATISTICS}, "units": p["units"],
                     "verdict": verdict(p["alpha"])}
    out["pooled_method"] = f"{POOLED}; {pooled_caution(share, unit)}"
    mean = {}
    for s in STATISTICS:
        vals = table[s].to_numpy(dtype=float)
        vals = vals[np.isfinite(vals)]
        mean[s] = float(vals.mean()) if vals.size else None
    mean["codes_with_alpha"] = summary["codes_with_alpha"]
    mean["verdict"] = verdict(mean["alpha"])
    out["mean"] = mean
    return out


# ---------------------------------------------------------------------------------------------
# Exports


def export_table(report: AgreementReport, path: str | Path) -> Path:
    """Write the report to ``.csv`` (the per-code table, UTF-8 with a BOM so Excel reads it)
    or ``.xlsx`` (sheets: Agreement, Compared, Overall, By document, Methods)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path.write_bytes(table_csv(report).encode("utf-8-sig"))
    elif suffix == ".xlsx":
        path.write_bytes(table_xlsx(report))
    else:
        raise ValueError(f"{path.name}: export to .csv or .xlsx")
    return path


def _guarded(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every cell and column name passed through
    :func:`qualcode.guards.spreadsheet_cell`, for a CSV or XLSX writer: a code, coder or
    document named "=1+2" is text with a leading apostrophe, never a live formula. Numbers and
    empty cells are unchanged (the guard returns them as they are)."""
    out = frame.map(spreadsheet_cell)
    out.columns = [spreadsheet_cell(str(c)) for c in frame.columns]
    return out


def table_csv(report: AgreementReport) -> str:
    """The per-code table as CSV text (CRLF line ends, as spreadsheets write them); every cell
    goes through the formula guard (:func:`_guarded`)."""
    return _guarded(report.table).to_csv(index=False, lineterminator="\r\n", float_format="%.6g")


def _overall_frame(report: AgreementReport) -> pd.DataFrame:
    """The Overall sheet: the per-code summary first, then the mean and the pooled figures."""
    s = report.overall.get("per_code") or {}
    rows = [{"figure": "per code: alpha", "mean": s.get("mean_alpha"),
             "median": s.get("median_alpha"), "min": s.get("min_alpha"),
             "max": s.get("max_alpha"), "codes": s.get("codes"),
             "codes with alpha": s.get("codes_with_alpha"), "reach .800": s.get("reach_800"),
             "reach .667": s.get("reach_667"),
             "method": "per-code Krippendorff's alpha over the codes where it is defined"}]
    for kind in ("mean", "pooled"):
        figures = report.overall.get(kind)
        if figures:
            rows.append({"figure": kind, **{s: figures.get(s) for s in STATISTICS},
                         "verdict": figures.get("verdict"),
                         "method": report.overall[f"{kind}_method"]})
    return pd.DataFrame(rows)


def _compared_frame(report: AgreementReport) -> pd.DataFrame:
    """The Compared sheet: the units and documents every coder, and each pair, rated."""
    rows = []
    for c in ([report.comparable] if report.comparable else []) + \
            (report.pairs if len(report.pairs) > 1 else []):
        rows.append({"coders": ", ".join(c.coders), "comparable units": c.units,
                     "units": c.total_units, "comparable documents": len(c.documents),
                     "documents": c.total_documents,
                     "comparable document names": "; ".join(c.documents)})
    rows.append({"coders": "statistics on", "comparable document names": report.missing_method})
    return pd.DataFrame(rows)


def table_xlsx(report: AgreementReport) -> bytes:
    """The report as an XLSX workbook (openpyxl), returned as bytes (sheets: Agreement,
    Compared, Overall, By document, Methods); every cell of every sheet goes through the
    formula guard (:func:`_guarded`)."""
    import io

    sheets = {
        "Agreement": report.table,
        "Compared": _compared_frame(report),
        "Overall": _overall_frame(report),
        "By document": report.by_document,
        "Methods": pd.DataFrame({"methods": [methods_paragraph(report)]}),
    }
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            _guarded(frame).to_excel(writer, sheet_name=name, index=False)
        sheet = writer.sheets["Agreement"]
        sheet.column_dimensions["A"].width = 48
        sheet.freeze_panes = "B2"
    return buf.getvalue()
