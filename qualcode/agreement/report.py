"""The agreement report of a coded project: a table per code, overall figures, a document × code
breakdown, CSV/XLSX exports and a methods paragraph ready to paste into a paper.

Every statistic comes from :func:`qualcode.agreement.batch.binary_agreement` on a
:class:`qualcode.agreement.units.UnitMatrix`; the confidence interval for alpha from
:func:`qualcode.agreement.bootstrap.alpha_bootstrap`. Thresholds follow Krippendorff (2004, p. 241):
alpha ≥ .800 reliable, .667 ≤ alpha < .800 tentative (for tentative conclusions only), below
.667 unreliable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qualcode.agreement import stats as ag
from qualcode.agreement.units import UnitMatrix
from qualcode.guards import spreadsheet_cell

RELIABLE = 0.800
TENTATIVE = 0.667
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
UNIT_WORDS = {
    "sentence": ("sentence", "sentences"),
    "turn": ("speaker turn", "speaker turns"),
    "paragraph": ("paragraph", "paragraphs"),
    "character": ("character", "characters"),
    "document": ("document", "documents"),
}
POOLED = ("pooled: every code × unit pair is one unit of a single present/absent table, "
          "so frequently applied codes weigh more")
MEAN = ("mean: the unweighted average of the per-code values over the codes where the "
        "statistic is defined")


def verdict(alpha: float | None) -> str:
    """``reliable`` (≥ .800), ``tentative`` (.667–.800), ``unreliable`` or ``undefined``."""
    if alpha is None or not math.isfinite(alpha):
        return "undefined"
    if alpha >= RELIABLE:
        return "reliable"
    if alpha >= TENTATIVE:
        return "tentative"
    return "unreliable"


def _num(v) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


@dataclass
class AgreementReport:
    """Everything the CLI, the app and the exports show (plain data and DataFrames)."""

    matrix: UnitMatrix
    table: pd.DataFrame
    overall: dict
    by_document: pd.DataFrame
    confidence: float = 0.95
    draws: int = 1000
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The JSON of ``qualcode agreement --json``."""
        codes = []
        for row in self.table.to_dict("records"):
            codes.append({k: (_num(v) if isinstance(v, float) else v) for k, v in row.items()})
        return {
            "unit": self.matrix.unit,
            "coders": list(self.matrix.coders),
            "documents": list(self.matrix.documents),
            "rollup": self.matrix.rollup,
            "units": self.matrix.n_units,
            "codes": codes,
            "overall": self.overall,
        }


def _stat_rows(res: ag.BinaryBatchResult, i: int, two: bool) -> dict:
    d = res.as_dict(i)
    if not two:
        d["cohen"] = d["scott"] = None
    return d


#: Cells (codes × units × coders) per call of binary_agreement: its temporaries take about
#: 12 bytes a cell, so this bounds them to a few hundred MB even at character level.
MAX_CELLS = 20_000_000


def _batched(x: np.ndarray, codes: tuple[str, ...]):
    """``(k, code, result, index in result)`` for every code, computed a batch of codes at a
    time so that memory stays bounded on millions of units."""
    per_code = max(1, x.shape[1] * x.shape[2])
    step = max(1, MAX_CELLS // per_code)
    for first in range(0, len(codes), step):
        res = ag.binary_agreement(x[first:first + step])
        for i, code in enumerate(codes[first:first + step]):
            yield first + i, code, res, i


def agreement_table(matrix: UnitMatrix, *, draws: int = 1000, confidence: float = 0.95,
                    seed: int = 20240605) -> pd.DataFrame:
    """One row per code: units, coders, coded units per coder, every statistic, alpha's CI,
    the verdict and the prevalence note (``None`` when there is nothing to note).

    ``units`` counts the units rated by two or more coders; ``applied`` how many units at least
    one coder coded. The CI is the bootstrap percentile interval (``draws`` resamples, seeded so
    a report is reproducible).
    """
    x = matrix.x
    two = len(matrix.coders) == 2
    rng = np.random.default_rng(seed)
    rows = []
    for k, code, res, i in _batched(x, matrix.codes):
        stats = _stat_rows(res, i, two)
        m = x[k]
        row = {"code": code, "units": stats["units"], "coders": len(matrix.coders),
               "applied": int((m == 1).any(axis=1).sum())}
        for j, name in enumerate(matrix.coders):
            row[f"coded by {name}"] = int((m[:, j] == 1).sum())
        row.update({s: stats[s] for s in STATISTICS})
        low = high = None
        if stats["alpha"] is not None and draws:
            boot = ag.binary_alpha_bootstrap(m, draws=draws, rng=rng, confidence=confidence)
            low, high = _num(boot.low), _num(boot.high)
        row["alpha_low"], row["alpha_high"] = low, high
        row["verdict"] = verdict(stats["alpha"])
        coefficient, name = (stats["cohen"], "Cohen's kappa") if two else (stats["alpha"], "alpha")
        if coefficient is None:
            coefficient, name = stats["alpha"], "alpha"
        row["note"] = ag.prevalence_note(stats["percent"], coefficient, statistic=name)
        rows.append(row)
    columns = ["code", "units", "coders", "applied", *[f"coded by {c}" for c in matrix.coders],
               *STATISTICS, "alpha_low", "alpha_high", "verdict", "note"]
    df = pd.DataFrame(rows, columns=columns)
    for s in (*STATISTICS, "alpha_low", "alpha_high"):
        df[s] = df[s].astype(float)
    return df


#: Above this many cells the pooled table (one binary_agreement call over every code × unit
#: pair) would need gigabytes; the mean over codes is still given.
POOLED_MAX_CELLS = 150_000_000


def overall_figures(matrix: UnitMatrix, table: pd.DataFrame) -> dict:
    """Pooled and mean figures over all codes, each saying how it was formed."""
    two = len(matrix.coders) == 2
    out: dict = {"codes": len(matrix.codes), "pooled": None, "mean": None,
                 "pooled_method": POOLED, "mean_method": MEAN}
    if not len(matrix.codes):
        return out
    if matrix.x.size <= POOLED_MAX_CELLS:
        pooled = ag.binary_agreement(matrix.x.reshape(1, -1, matrix.x.shape[2]))
        p = _stat_rows(pooled, 0, two)
        out["pooled"] = {**{s: p[s] for s in STATISTICS}, "units": p["units"],
                         "verdict": verdict(p["alpha"])}
    else:
        out["pooled_method"] = (f"pooled figures are not computed for more than "
                                f"{POOLED_MAX_CELLS:,} code × unit × coder cells (this table has "
                                f"{matrix.x.size:,}); choose fewer documents or a larger unit")
    mean = {}
    for s in STATISTICS:
        vals = table[s].to_numpy(dtype=float)
        vals = vals[np.isfinite(vals)]
        mean[s] = float(vals.mean()) if vals.size else None
    mean["codes_with_alpha"] = int(np.isfinite(table["alpha"].to_numpy(dtype=float)).sum())
    mean["verdict"] = verdict(mean["alpha"])
    out["mean"] = mean
    return out


def document_breakdown(matrix: UnitMatrix, *, max_cells: int = 20_000_000) -> pd.DataFrame:
    """A long table: for each document and code, units, percent agreement, alpha, AC1 (and
    Cohen's kappa with two coders), computed on that document's units only.

    Documents are batched: each (document, code) pair becomes one row of a
    :func:`~qualcode.agreement.batch.binary_agreement` call, shorter documents padded with units
    nobody rated (which every statistic leaves out), at most ``max_cells`` array cells a batch.
    """
    two = len(matrix.coders) == 2
    columns = ["document", "code", "units", "percent", "cohen", "alpha", "ac1"]
    n_docs, n_codes, n_coders = len(matrix.documents), len(matrix.codes), len(matrix.coders)
    if not n_codes or not n_docs:
        return pd.DataFrame(columns=columns)
    bounds = np.searchsorted(matrix.unit_document, np.arange(n_docs + 1))
    lengths = np.diff(bounds)
    parts: list[pd.DataFrame] = []
    d = 0
    while d < n_docs:
        # Grow the batch while the padded array stays under max_cells.
        e, longest = d, 0
        while e < n_docs:
            longest_next = max(longest, int(lengths[e]))
            if e > d and (e + 1 - d) * n_codes * longest_next * n_coders > max_cells:
                break
            longest, e = longest_next, e + 1
        batch = np.full((e - d, n_codes, max(longest, 1), n_coders), -1, dtype=np.int8)
        for i in range(d, e):
            batch[i - d, :, :lengths[i], :] = matrix.x[:, bounds[i]:bounds[i + 1], :]
        res = ag.binary_agreement(batch.reshape(-1, batch.shape[2], n_coders))
        parts.append(pd.DataFrame({
            "document": np.repeat(np.array(matrix.documents[d:e], dtype=object), n_codes),
            "code": np.tile(np.array(matrix.codes, dtype=object), e - d),
            "units": res.units,
            "percent": res.percent,
            "cohen": res.cohen if two else np.full(res.units.shape, np.nan),
            "alpha": res.alpha,
            "ac1": res.ac1,
        }))
        d = e
    df = pd.concat(parts, ignore_index=True)
    # Documents with no unit at all (e.g. no sentences) have nothing to compare.
    empty = set(np.array(matrix.documents, dtype=object)[lengths == 0])
    df = df[~df["document"].isin(empty)].reset_index(drop=True)
    for s in ("percent", "cohen", "alpha", "ac1"):
        df[s] = df[s].astype(float)
    df["units"] = df["units"].astype(int)
    return df[columns]


def build_report(matrix: UnitMatrix, *, draws: int = 1000, confidence: float = 0.95,
                 seed: int = 20240605) -> AgreementReport:
    """The whole report for a unit matrix."""
    table = agreement_table(matrix, draws=draws, confidence=confidence, seed=seed)
    return AgreementReport(matrix, table, overall_figures(matrix, table),
                           document_breakdown(matrix), confidence, draws)


# ---------------------------------------------------------------------------------------------
# Words


def _fmt(v) -> str:
    """APA style for coefficients bounded by 1: three decimals, no leading zero (.812, -.050)."""
    if v is None or not math.isfinite(v):
        return "undefined"
    text = f"{v:.3f}"
    return text.replace("0.", ".", 1) if abs(v) < 1 else text


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (", and " if len(items) > 2 else " and ") + items[-1]


def _count(n: int, one: str, many: str) -> str:
    words = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
             9: "nine", 10: "ten"}
    return f"{words.get(n, str(n)) if n != 1 else 'one'} {one if n == 1 else many}"


def methods_paragraph(report: AgreementReport) -> str:
    """A paragraph for a paper's methods section: unit, coders, documents, statistics, values."""
    m = report.matrix
    one, many = UNIT_WORDS[m.unit]
    table = report.table
    n_codes = len(m.codes)
    parts = [(
        f"{_count(len(m.coders), 'coder', 'coders').capitalize()} ({_and(list(m.coders))}) "
        f"independently coded {_count(len(m.documents), 'document', 'documents')} with "
        f"{_count(n_codes, 'code', 'codes')}."
    )]
    unit_text = {
        "sentence": "Agreement was assessed per sentence (sentences segmented automatically with "
                    "spaCy's rule-based sentencizer, within speaker turns)",
        "turn": "Agreement was assessed per speaker turn",
        "paragraph": "Agreement was assessed per paragraph (each non-blank line of the transcript)",
        "character": "Agreement was assessed per character (each Unicode code point of the "
                     "transcript text, as in NVivo's coding comparison)",
        "document": "Agreement was assessed per document (whether a code was applied anywhere "
                    "in it)",
    }[m.unit]
    parts.append(
        f"{unit_text}: for each code, a {one} counted as coded by a coder when that coder applied "
        "the code" + (" or one of its subcodes" if m.rollup else "") +
        f" to any part of it ({m.n_units:,} {many} in total" +
        (", a document a coder had not coded at all counting as not rated by that coder)."
         if m.uncoded_documents == "missing" else ").")
    )
    if m.suggested:
        n = f"{m.suggested:,} coding{'s' if m.suggested != 1 else ''}"
        parts.append(
            f"{n} accepted from qualcode's learned code suggestions {'were' if m.suggested != 1 else 'was'} "
            + ("left out, since a coder who accepts a suggestion does not judge independently."
               if m.exclude_suggested else
               "included; such codings are not fully independent judgements."))
    stats = ["percent agreement"]
    if len(m.coders) == 2:
        stats.append("Cohen's (1960) kappa")
    else:
        stats.append("Fleiss' (1971) kappa")
    stats += ["Krippendorff's alpha (nominal; Krippendorff 2011)", "Gwet's (2008) AC1"]
    parts.append(
        f"We computed {_and(stats)} for each code, with a {report.confidence:.0%} bootstrap "
        f"confidence interval for alpha (a percentile bootstrap over {report.draws:,} resamples "
        "of units, after Hayes & Krippendorff 2007, who resample pairs of values instead), "
        "using qualcode."
    )
    pooled, mean = report.overall.get("pooled"), report.overall.get("mean")
    if pooled and mean:
        kappa = "cohen" if len(m.coders) == 2 else "fleiss"
        kname = "Cohen's kappa" if kappa == "cohen" else "Fleiss' kappa"
        parts.append(
            f"Pooled over all codes (every code × {one} pair counted once), percent agreement was "
            f"{pooled['percent']:.1%}, {kname} {_fmt(pooled[kappa])}, alpha "
            f"{_fmt(pooled['alpha'])} and AC1 {_fmt(pooled['ac1'])}; averaged over the "
            f"{mean['codes_with_alpha']} codes where it is defined, alpha was "
            f"{_fmt(mean['alpha'])}."
        )
    elif mean:
        parts.append(f"Averaged over the {mean['codes_with_alpha']} codes where it is defined, "
                     f"alpha was {_fmt(mean['alpha'])}.")
    if n_codes:
        alphas = table["alpha"].to_numpy(dtype=float)
        defined = alphas[np.isfinite(alphas)]
        counts = table["verdict"].value_counts()
        if defined.size:
            parts.append(
                f"Per-code alpha ranged from {_fmt(defined.min())} to {_fmt(defined.max())}; "
                f"{counts.get('reliable', 0)} of {n_codes} codes reached alpha ≥ .800, "
                f"{counts.get('tentative', 0)} lay between .667 and .800 (acceptable for "
                f"tentative conclusions only) and {counts.get('unreliable', 0)} fell below .667"
                + (f"; alpha was undefined for {counts.get('undefined', 0)} (no variation)"
                   if counts.get("undefined", 0) else "") + " (Krippendorff 2004)."
            )
        noted = int(table["note"].notna().sum())
        if noted:
            parts.append(
                f"For {noted} code{'s' if noted != 1 else ''} percent agreement was high while "
                "the chance-corrected coefficient was low because the code was rarely (or almost "
                "always) applied; we report percent agreement and AC1 alongside for these.")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# Exports


def export_table(report: AgreementReport, path: str | Path) -> Path:
    """Write the report to ``.csv`` (the per-code table, UTF-8 with a BOM so Excel reads it)
    or ``.xlsx`` (sheets: Agreement, Overall, By document, Methods)."""
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
    rows = []
    for kind in ("pooled", "mean"):
        figures = report.overall.get(kind)
        if figures:
            rows.append({"figure": kind, **{s: figures.get(s) for s in STATISTICS},
                         "verdict": figures.get("verdict"),
                         "method": report.overall[f"{kind}_method"]})
    return pd.DataFrame(rows)


def table_xlsx(report: AgreementReport) -> bytes:
    """The report as an XLSX workbook (openpyxl), returned as bytes; every cell of every sheet
    goes through the formula guard (:func:`_guarded`)."""
    import io

    sheets = {
        "Agreement": report.table,
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
