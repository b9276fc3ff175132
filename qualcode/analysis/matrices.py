"""Code × document and code × attribute matrices (pivots of :func:`frequencies`).

Cells count **passages** by default: one code's overlapping codings in one document, from any
coder of the coding set, are one passage (see :mod:`qualcode.analysis.frequencies`), so a
sentence two coders coded alike is one, not two. ``value="codings"`` counts codings instead
(every coder's), and says so in the result's ``attrs``.
"""

from __future__ import annotations

import pandas as pd

from qualcode.analysis.data import AnalysisError, ProjectData
from qualcode.analysis.frequencies import frequencies

VALUES = ("passages", "codings", "documents", "participants", "words")


def _pivot(data: ProjectData, by: str, column: str, value: str, rollup: bool) -> pd.DataFrame:
    if value not in VALUES:
        raise AnalysisError(f"value must be one of {', '.join(VALUES)}, not {value!r}")
    long = frequencies(data, by=by, rollup=rollup)
    order = data.codes.sort_values("order")["path"].tolist()
    matrix = long.pivot_table(index="code", columns=column, values=value, aggfunc="sum", fill_value=0)
    matrix = matrix.reindex([p for p in order if p in matrix.index])
    matrix.columns.name = column
    matrix = matrix.astype("int64")
    matrix.attrs.update({**long.attrs, **data.result_attrs(), "value": value})
    return matrix


def code_by_document(data: ProjectData, *, value: str = "passages", rollup: bool = False) -> pd.DataFrame:
    """Codes (rows, tree order, codes with codings) × documents (columns): ``value`` per cell.

    ``value``: passages (default), codings, words (see :mod:`qualcode.analysis.frequencies`),
    documents or participants. ``rollup=True`` counts a theme's sub-codes in the theme's row.
    ``attrs``: the coding set (``coders``, ``set``), filters and ``value``.
    """
    matrix = _pivot(data, "document", "document", value, rollup)
    names = [n for n in data.documents["document"] if n in matrix.columns]
    out = matrix[names]
    out.attrs.update(matrix.attrs)
    return out


def code_by_attribute(data: ProjectData, attribute: str, *, value: str = "passages",
                      rollup: bool = False) -> pd.DataFrame:
    """Codes × values of a participant attribute (``(none)`` for documents without one);
    ``value`` and ``attrs`` as in :func:`code_by_document`."""
    return _pivot(data, f"attribute:{attribute}", attribute, value, rollup)
