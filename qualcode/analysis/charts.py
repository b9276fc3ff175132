"""Plotly figures of the analysis tables, and their PNG/SVG/HTML exports.

PNG and SVG go through kaleido 1.x, which drives a Chromium it finds on the machine
(Debian's ``/usr/bin/chromium``; ``BROWSER_PATH`` overrides it). Each export starts a browser
(about 2–3 s). When kaleido or a browser is missing, :func:`to_png`/:func:`to_svg` raise
:class:`ImageExportUnavailable` with what to install; HTML never needs either.

Every figure's subtitle states the coding set its table was computed on (the table's
``attrs["coders"]``, e.g. "coders ana, ben (as passages)"), so a chart pasted alone still says
whose codings it counts. Code names, coder names and breakdown values are the user's text and
go through ``guards.plotly_text``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from qualcode.analysis.data import AnalysisError, ProjectData
from qualcode.guards import plotly_text


class ImageExportUnavailable(RuntimeError):
    """PNG/SVG export needs kaleido and a Chromium browser; the message says what is missing."""


def subtitle(table: pd.DataFrame) -> str:
    """The coding set of ``table`` (from its attrs) as safe Plotly text, or ``""``."""
    label = table.attrs.get("coders")
    return f"Coding set: {plotly_text(label)}" if label else ""


def _title(fig: go.Figure, title: str | None, table: pd.DataFrame) -> go.Figure:
    """Set the title (already safe text) and the coding-set subtitle of ``table``."""
    sub = subtitle(table)
    fig.update_layout(title={"text": title or "", "subtitle": {"text": sub}},
                      margin={"t": 110 if sub else 80})
    return fig


def _column(freq: pd.DataFrame, value: str) -> None:
    if value not in freq.columns:
        counted = [c for c in ("passages", "codings", "documents", "participants", "words") if c in freq.columns]
        raise AnalysisError(f"value must be one of {', '.join(counted)}, not {value!r}")


def frequency_bars(freq: pd.DataFrame, *, value: str = "passages", stack: str | None = None,
                   depth: int | None = None) -> go.Figure:
    """Horizontal bars of ``value`` per code, stacked by the breakdown column ``stack``.

    ``freq`` is a :func:`~qualcode.analysis.frequencies.frequencies` result (with ``by=stack``);
    ``value``: passages (default), codings, documents, participants or words; ``depth`` keeps
    codes of one tree level only (0 = themes). The subtitle states the coding set.
    """
    _column(freq, value)
    frame = freq if depth is None else freq[freq["depth"] == depth]
    frame = frame[frame[value] > 0].copy()
    # Code names and breakdown values are the user's text, not Plotly markup.
    frame["code"] = frame["code"].map(plotly_text)
    if stack:
        frame[stack] = frame[stack].map(lambda v: plotly_text(v) if isinstance(v, str) else v)
    order = list(dict.fromkeys(frame["code"]))
    fig = px.bar(frame, x=value, y="code", color=stack, orientation="h",
                 category_orders={"code": order}, barmode="stack")
    _title(fig, f"{value.capitalize()} per code" + (f" by {plotly_text(stack)}" if stack else ""), freq)
    fig.update_layout(height=max(320, 22 * len(order) + 170), yaxis_title=None,
                      legend_title_text=plotly_text(stack) if stack else "")
    return fig


def heatmap(matrix: pd.DataFrame, *, title: str | None = None, cluster: bool = False) -> go.Figure:
    """A heatmap of a code × code (or code × document) matrix; ``cluster`` reorders rows and
    columns by average-linkage hierarchical clustering (scipy) so similar codes sit together.

    A code's cell with itself (n1, or 1) is left blank, so the colour scale shows co-occurrence
    rather than the codes' own frequencies. ``title`` is used as given (pass safe text); the
    subtitle states the coding set.
    """
    m = matrix.astype(float)
    for code in set(m.index) & set(m.columns):
        m.at[code, code] = np.nan
    if cluster and min(m.shape) > 2:
        m = m.iloc[_cluster_order(m.to_numpy(float)), :]
        if list(matrix.index) == list(matrix.columns):
            m = m[list(m.index)]
        else:
            m = m.iloc[:, _cluster_order(m.to_numpy(float).T)]
    m.index = [plotly_text(c) for c in m.index]
    m.columns = [plotly_text(c) for c in m.columns]
    n = max(m.shape)
    measure = matrix.attrs.get("measure", "")
    fig = px.imshow(m, color_continuous_scale="Blues", aspect="auto", text_auto=n <= 15,
                    labels={"color": measure or matrix.attrs.get("value") or "value"})
    _title(fig, title or (f"Co-occurrence ({measure}, unit: {matrix.attrs.get('unit')})" if measure else None),
           matrix)
    fig.update_layout(height=max(420, 18 * m.shape[0] + 230))
    return fig


def _cluster_order(values: np.ndarray) -> list[int]:
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import pdist

    values = np.nan_to_num(values)
    if len(values) < 3 or not values.any():
        return list(range(len(values)))
    # each row is a code's profile (its co-occurrence with every column); distances between rows
    return leaves_list(linkage(pdist(values, metric="euclidean"), method="average")).tolist()


def network(matrix: pd.DataFrame, *, min_weight: float = 0) -> go.Figure:
    """Codes on a circle, an edge where two codes co-occur (width by value), node size by n1."""
    codes = list(matrix.index)
    counts = matrix.attrs.get("n", {})
    angle = [2 * math.pi * i / max(len(codes), 1) for i in range(len(codes))]
    xy = {c: (math.cos(a), math.sin(a)) for c, a in zip(codes, angle)}
    values = matrix.to_numpy(float)
    top = np.nanmax(np.where(np.eye(len(codes), dtype=bool), np.nan, values)) if len(codes) > 1 else 1
    fig = go.Figure()
    for i, a in enumerate(codes):
        for j in range(i + 1, len(codes)):
            b = codes[j]
            if b not in matrix.columns:
                continue
            w = matrix.at[a, b]
            if pd.notna(w) and w > min_weight:
                fig.add_trace(go.Scatter(x=[xy[a][0], xy[b][0]], y=[xy[a][1], xy[b][1]], mode="lines",
                                         line={"width": 0.5 + 6 * w / (top or 1), "color": "#8aa6c1"},
                                         hoverinfo="text", text=f"{plotly_text(a)} – {plotly_text(b)}: {w:g}",
                                         showlegend=False))
    sizes = [counts.get(c, 1) for c in codes]
    biggest = max(sizes) if sizes else 1
    fig.add_trace(go.Scatter(x=[xy[c][0] for c in codes], y=[xy[c][1] for c in codes], mode="markers+text",
                             text=[plotly_text(c.split("/")[-1]) for c in codes], textposition="top center",
                             hovertext=[f"{plotly_text(c)} (n={counts.get(c, '')})" for c in codes],
                             hoverinfo="text",
                             marker={"size": [8 + 30 * s / (biggest or 1) for s in sizes], "color": "#4e79a7"},
                             showlegend=False))
    _title(fig, f"Co-occurrence network ({matrix.attrs.get('measure', '')}, unit: {matrix.attrs.get('unit', '')})",
           matrix)
    fig.update_layout(height=700, xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x"})
    return fig


def sunburst(data: ProjectData, freq: pd.DataFrame, *, value: str = "passages") -> go.Figure:
    """The code tree as a sunburst, each code sized by its own ``value`` (freq without roll-up);
    the subtitle states the coding set."""
    _column(freq, value)
    codes = data.codes.sort_values("order")
    own = freq.set_index("code")[value].reindex(codes["path"]).fillna(0).to_numpy()
    parents = [plotly_text(data.codes.at[p, "path"]) if pd.notna(p) else "" for p in codes["parent_id"]]
    fig = go.Figure(go.Sunburst(ids=[plotly_text(c) for c in codes["path"]],
                                labels=[plotly_text(c) for c in codes["name"]], parents=parents, values=own,
                                branchvalues="remainder", hovertemplate="%{id}: %{value}<extra></extra>"))
    _title(fig, f"Code tree ({value})", freq)
    fig.update_layout(height=650, margin={"l": 0, "r": 0, "b": 0})
    return fig


def _image(fig: go.Figure, fmt: str, width: int | None, height: int | None, scale: float) -> bytes:
    try:
        import kaleido  # noqa: F401
    except ImportError as exc:
        raise ImageExportUnavailable("PNG/SVG export needs kaleido (pip install kaleido==1.5.0)") from exc
    try:
        return fig.to_image(format=fmt, width=width, height=height, scale=scale)
    except Exception as exc:  # kaleido reports a missing browser with several exception types
        raise ImageExportUnavailable(
            f"PNG/SVG export failed ({exc}); it needs Chromium: apt-get install chromium "
            "(or set BROWSER_PATH to a Chrome/Chromium binary)") from exc


def to_png(fig: go.Figure, *, width: int | None = 1200, height: int | None = None, scale: float = 2) -> bytes:
    """The figure as PNG bytes (kaleido + Chromium)."""
    return _image(fig, "png", width, height or fig.layout.height, scale)


def to_svg(fig: go.Figure, *, width: int | None = 1200, height: int | None = None) -> bytes:
    """The figure as SVG bytes (kaleido + Chromium)."""
    return _image(fig, "svg", width, height or fig.layout.height, 1)


def to_html(fig: go.Figure) -> bytes:
    """A self-contained interactive HTML page (plotly.js inlined, works offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
