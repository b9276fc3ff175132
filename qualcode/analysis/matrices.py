"""Code × document and code × attribute matrices (pivots of :func:`frequencies`)."""

from __future__ import annotations

import pandas as pd

from qualcode.analysis.data import AnalysisError, ProjectData
from qualcode.analysis.frequencies import frequencies

VALUES = ("codings", "documents", "participants", "words")


def _pivot(data: ProjectData, by: str, column: str, value: str, rollup: bool) -> pd.DataFrame:
    if value not in VALUES:
        raise AnalysisError(f"value must be one of {', '.join(VALUES)}, not {value!r}")
    long = frequencies(data, by=by, rollup=rollup)
    order = data.codes.sort_values("order")["path"].tolist()
    matrix = long.pivot_table(index="code", columns=column, values=value, aggfunc="sum", fill_value=0)
    matrix = matrix.reindex([p for p in order if p in matrix.index])
    matrix.columns.name = column
    matrix.attrs.update({**long.attrs, "value": value})
    return matrix.astype("int64")


def code_by_document(data: ProjectData, *, value: str = "codings", rollup: bool = False) -> pd.DataFrame:
    """Codes (rows, tree order, codes with codings) × documents (columns): ``value`` per cell.

    ``value``: codings, words (see :mod:`qualcode.analysis.frequencies`), documents or
    participants. ``rollup=True`` counts a theme's sub-codes in the theme's row.
    """
    matrix = _pivot(data, "document", "document", value, rollup)
    names = [n for n in data.documents["document"] if n in matrix.columns]
    return matrix[names]


def code_by_attribute(data: ProjectData, attribute: str, *, value: str = "codings",
                      rollup: bool = False) -> pd.DataFrame:
    """Codes × values of a participant attribute (``(none)`` for documents without one)."""
    return _pivot(data, f"attribute:{attribute}", attribute, value, rollup)
