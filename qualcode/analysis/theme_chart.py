"""The theme × group table as a heatmap of percents, readable at 40 rows and more.

One row per theme with its full label (never cut, never abbreviated), one column per group
(with its size) and a Total column; a cell's colour is the percent of the group's participants
who raised the theme and its text ``n (p%)``. The figure's height grows with the number of rows
(:data:`ROW_PX` per row, at least 18) and its left margin with the longest label, measured
with Helvetica's advance widths plus a safety factor so wider fallback fonts such as DejaVu
Sans still fit (:func:`qualcode.analysis.charts.text_width`, shared with every chart);
Plotly's ``automargin`` can only widen it further. Every user text (theme, group and attribute
names) goes through :func:`qualcode.guards.plotly_text`.

PNG and SVG go through :func:`qualcode.analysis.charts.to_png` / ``to_svg`` (kaleido and
Chromium) at the figure's own width and height (:func:`image`).
"""

from __future__ import annotations

import textwrap

import numpy as np
import plotly.graph_objects as go

from qualcode.analysis import charts
from qualcode.analysis.themes import ThemeTable
from qualcode.guards import plotly_text

#: Pixels per table row (the issue asks for at least 18 so 40 rows stay readable).
ROW_PX = 24
#: Pixels per group column.
COLUMN_PX = 104
FONT_PX = charts.FONT_PX
#: The shared label-width estimate (Helvetica advance widths × :data:`charts.SAFETY`).
text_width = charts.text_width


def _header_lines(table: ThemeTable, group: str | None, width: int = 16) -> list[str]:
    """A column header's lines: the group's name wrapped (words kept whole where possible), then
    its size on a line of its own (``(n = 5)``)."""
    name = "Total" if group is None else group
    size = table.total_size if group is None else table.sizes[group]
    lines = textwrap.wrap(name, width=width, break_long_words=True, break_on_hyphens=False) or [name]
    return lines + [f"(n = {size})"]


def theme_heatmap(table: ThemeTable, *, title: str | None = None) -> go.Figure:
    """A heatmap of ``table``'s percents, one row per theme (see the module docstring)."""
    themes = table.themes
    columns = table.groups + [None]  # None: Total
    pct = table.percents()
    z = pct[table.groups + ["Total"]].to_numpy(float) if themes else np.zeros((0, len(columns)))
    text = [[table.cell(t, g) for g in columns] for t in themes]
    # Headers: user text escaped first, then broken into lines with our own <br>.
    header_lines = [_header_lines(table, g) for g in columns]
    x = ["<br>".join(plotly_text(line) for line in lines) for lines in header_lines]
    y = [plotly_text(t) for t in themes]
    hover = [[f"{plotly_text(t)}<br>{plotly_text(table.header(g))}: {table.cell(t, g)}" for g in columns]
             for t in themes]
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, text=text, texttemplate="%{text}", textfont={"size": 11},
        customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        colorscale="Blues", zmin=0, zmax=100, xgap=2, ygap=2,
        colorbar={"title": {"text": "% of group", "side": "right"}, "ticksuffix": "%", "thickness": 14},
    ))
    longest = max((text_width(t) for t in themes), default=0)
    left = int(longest) + 24
    header_rows = max((len(lines) for lines in header_lines), default=1)
    top = 72 + 16 * header_rows
    bottom = 40
    height = top + bottom + ROW_PX * max(len(themes), 1)
    widest_header = max((text_width(line, 12) for lines in header_lines for line in lines), default=0)
    column_px = max(COLUMN_PX, int(widest_header) + 12)
    width = left + column_px * len(columns) + 110
    by = plotly_text(table.by_label)
    fig.update_layout(
        title={"text": plotly_text(title) if title is not None else f"Participants who raised each theme, by {by}",
               "subtitle": {"text": "" if title is not None else
                            f"{plotly_text(table.coding_set.label)}; {plotly_text(table.rows_label)}"},
               "x": 0, "xref": "container", "xanchor": "left", "y": 1, "yref": "container", "yanchor": "top",
               "pad": {"t": 14, "l": 12}},
        height=height, width=width, margin={"l": left, "r": 20, "t": top, "b": bottom, "autoexpand": True},
        xaxis={"side": "top", "tickangle": 0, "automargin": True, "fixedrange": True},
        yaxis={"autorange": "reversed", "automargin": True, "tickfont": {"size": FONT_PX},
               "fixedrange": True, "ticksuffix": " "},
        font={"size": FONT_PX}, plot_bgcolor="white",
    )
    return fig


def image(fig: go.Figure, fmt: str = "png") -> bytes:
    """PNG or SVG bytes of a :func:`theme_heatmap` at its own size (kaleido + Chromium)."""
    width, height = fig.layout.width or 1200, fig.layout.height
    if fmt == "svg":
        return charts.to_svg(fig, width=width, height=height)
    if fmt == "png":
        return charts.to_png(fig, width=width, height=height)
    raise ValueError(f"image format is png or svg, not {fmt!r}")
