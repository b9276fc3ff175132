"""Plotly figures of the analysis tables, and their PNG/SVG/HTML exports.

**Readable at any size.** Heatmaps are sized from their rows and columns (:data:`ROW_PX` per
row, never under 18), label every row and column (explicit tick values), shorten long code paths
from the left (:func:`short_label`: ``…/Institutional/Liability and malpractice``) with the full
path on hover, and compute their margins from the longest label (:func:`text_width`, Helvetica
advance widths with a safety factor; ``theme_chart`` uses the same). The network places its
labels in two columns outside the circle, never overlapping. Every figure carries its natural
``width``/``height``, which image exports use.

**Images.** In the app the reader's browser draws PNG/SVG itself (Plotly's modebar camera,
configured by :func:`image_config`): no kaleido, no server Chromium. :func:`to_png`/:func:`to_svg`
are for files the server itself must write (scripts, notebooks, reports): they go through
kaleido 1.x, which drives a Chromium it finds on the machine (Debian's ``/usr/bin/chromium``;
``BROWSER_PATH`` overrides it; about 2–3 s each). When kaleido or a browser is missing or
fails they raise :class:`ImageExportUnavailable` saying what to install — never return an
error text in place of an image. HTML never needs either.

Every figure's subtitle states the coding set its table was computed on (the table's
``attrs["coders"]``, e.g. "coders ana, ben (as passages)"), so a chart pasted alone still says
whose codings it counts. Code names, coder names and breakdown values are the user's text and
go through ``guards.plotly_text`` (labels, ticks, hover texts, annotations).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from qualcode.analysis.data import AnalysisError, ProjectData
from qualcode.guards import plotly_text

#: Label font size of every chart, in pixels.
FONT_PX = 12
#: Helvetica advance widths (1/1000 em) for ASCII 32–126, the metric Arial and Liberation share.
_HELVETICA = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  # space … /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  # 0 … ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  # @ … O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  # P … _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  # ` … o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,  # p … ~
]
#: Fallback fonts (DejaVu Sans, Open Sans) run up to ~15 % wider than Helvetica.
SAFETY = 1.18
#: Pixels per heatmap row (the issue asks for at least 18; labels are 12 px).
ROW_PX = 22
#: Narrowest heatmap column in pixels.
MIN_COLUMN_PX = 26
#: Longest label before it is shortened from the left (in pixels at :data:`FONT_PX`).
LABEL_PX = 300


def _advance(ch: str) -> int:
    code = ord(ch)
    if 32 <= code <= 126:
        return _HELVETICA[code - 32]
    if code >= 0x1100 and (0x1100 <= code <= 0x115F or 0x2E80 <= code <= 0xA4CF
                           or 0xAC00 <= code <= 0xD7A3 or 0xF900 <= code <= 0xFAFF
                           or 0xFF00 <= code <= 0xFF60 or 0x20000 <= code):
        return 1000  # wide East Asian characters
    return 667  # accented Latin, Greek, Cyrillic...: a wide-ish letter


def text_width(text: str, size: float = FONT_PX) -> float:
    """Estimated rendered width of ``text`` (plain text, not entities) in pixels at ``size`` px:
    Helvetica's advance widths times :data:`SAFETY`, so generous, never short."""
    return sum(_advance(ch) for ch in str(text)) * size / 1000 * SAFETY


def short_label(text: str, max_px: float | None = None, size: float = FONT_PX) -> str:
    """``text`` (a code path, plain text) fitting ``max_px`` pixels, shortened from the left:
    whole path levels are dropped first (``…/Institutional/Liability and malpractice``), then
    words of the last one (``…and malpractice``), then characters of its last word. The full text belongs in the hover."""
    text = str(text)
    limit = LABEL_PX if max_px is None else max_px
    if text_width(text, size) <= limit:
        return text
    parts = text.split("/")
    for k in range(1, len(parts)):
        candidate = "…/" + "/".join(parts[k:])
        if text_width(candidate, size) <= limit:
            return candidate
    words = parts[-1].split(" ")
    for k in range(1, len(words)):  # whole words first
        candidate = "…" + " ".join(words[k:])
        if text_width(candidate, size) <= limit:
            return candidate
    tail = words[-1]
    while tail and text_width("…" + tail, size) > limit:
        tail = tail[1:]
    return "…" + tail


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


#: Most segments a stacked bar shows; the smaller breakdown values share one "other" segment.
MAX_STACK = 12


def _fold_stack(frame: pd.DataFrame, value: str, stack: str, keep: int) -> tuple[pd.DataFrame, int]:
    """Keep the ``keep - 1`` breakdown values with the largest totals and add the rest up into
    one "other (n)" segment per code; returns the frame and how many values were folded."""
    totals = frame.groupby(stack, sort=False, observed=True)[value].sum().sort_values(ascending=False, kind="stable")
    if len(totals) <= keep:
        return frame, 0
    kept = set(totals.index[: keep - 1])
    folded = len(totals) - len(kept)
    rest = frame[~frame[stack].isin(kept)]
    other = rest.groupby("code", sort=False, observed=True)[value].sum().reset_index()
    other[stack] = f"other ({folded})"
    return pd.concat([frame[frame[stack].isin(kept)], other], ignore_index=True), folded


def frequency_bars(freq: pd.DataFrame, *, value: str = "passages", stack: str | None = None,
                   depth: int | None = None, max_stack: int = MAX_STACK) -> go.Figure:
    """Horizontal bars of ``value`` per code, stacked by the breakdown column ``stack``.

    ``freq`` is a :func:`~qualcode.analysis.frequencies.frequencies` result (with ``by=stack``);
    ``value``: passages (default), codings, documents, participants or words; ``depth`` keeps
    codes of one tree level only (0 = themes). The subtitle states the coding set. A breakdown
    with more than ``max_stack`` values (1,000 documents) shows the ``max_stack - 1`` largest and
    one "other (n)" segment adding up the rest, so the bars stay readable and the chart stays
    light; the title says so, and the table beside it keeps every value.
    """
    _column(freq, value)
    frame = freq if depth is None else freq[freq["depth"] == depth]
    frame = frame[frame[value] > 0].copy()
    raw = list(dict.fromkeys(frame["code"].astype(str)))  # the codes in tree order
    folded = 0
    if stack:
        frame, folded = _fold_stack(frame, value, stack, max_stack)
    # Code names and breakdown values are the user's text, not Plotly markup.
    frame["code"] = frame["code"].map(plotly_text)
    if stack:
        frame[stack] = frame[stack].map(lambda v: plotly_text(v) if isinstance(v, str) else v)
    order = [plotly_text(c) for c in raw]
    fig = px.bar(frame, x=value, y="code", color=stack, orientation="h",
                 category_orders={"code": order}, barmode="stack")
    _title(fig, f"{value.capitalize()} per code" + (f" by {plotly_text(stack)}" if stack else "")
           + (f" ({max_stack - 1} largest; {folded} more as “other”)" if folded else ""), freq)
    short = [plotly_text(short_label(c)) for c in raw]
    left = int(max((text_width(short_label(c)) for c in raw), default=0)) + 24
    fig.update_layout(height=max(320, ROW_PX * len(order) + 170), yaxis_title=None, font={"size": FONT_PX},
                      margin={"l": left}, legend_title_text=plotly_text(stack) if stack else "",
                      yaxis={"tickmode": "array", "tickvals": order, "ticktext": short, "automargin": True})
    return fig


def heatmap(matrix: pd.DataFrame, *, title: str | None = None, cluster: bool = False) -> go.Figure:
    """A heatmap of a code × code (or code × document, code × attribute) matrix; ``cluster``
    reorders rows and columns by average-linkage hierarchical clustering (scipy) so similar codes
    sit together.

    Readable at any size: :data:`ROW_PX` pixels per row (never under 18) and at least
    :data:`MIN_COLUMN_PX` per column, every row and column labelled (explicit ``tickvals``), long
    code paths shortened from the left (:func:`short_label`, full path on hover) and margins
    computed from the longest label (:func:`text_width`); the figure's ``width`` is its natural
    width, used by image exports. A code's cell with itself (n1, or 1) is left blank, so the
    colour scale shows co-occurrence rather than the codes' own frequencies. ``title`` is used as
    given (pass safe text); the subtitle states the coding set.
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
    rows, columns = [str(c) for c in m.index], [str(c) for c in m.columns]
    y = [plotly_text(c) for c in rows]
    x = [plotly_text(c) for c in columns]
    y_short = [plotly_text(short_label(c)) for c in rows]
    x_short = [plotly_text(short_label(c)) for c in columns]
    measure = matrix.attrs.get("measure", "")
    label = measure or matrix.attrs.get("value") or "value"
    z = m.to_numpy(float)
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, colorscale="Blues", xgap=1, ygap=1, hoverongaps=False,
        hovertemplate="%{y} × %{x}: %{z}<extra></extra>",
        colorbar={"title": {"text": plotly_text(label), "side": "right"}, "thickness": 14},
    ))
    if max(m.shape) <= 15:
        fig.data[0].update(text=[["" if np.isnan(v) else f"{v:.3g}" for v in row] for row in z],
                           texttemplate="%{text}", textfont={"size": 11})
    _title(fig, title or (f"Co-occurrence ({measure}, unit: {matrix.attrs.get('unit')})" if measure else None),
           matrix)
    _size_matrix(fig, rows, columns, y, x, y_short, x_short)
    return fig


def _size_matrix(fig: go.Figure, rows: list[str], columns: list[str], y: list[str], x: list[str],
                 y_short: list[str], x_short: list[str]) -> None:
    """Height from the rows, width from the columns, margins from the longest labels, every tick shown."""
    row_w = max((text_width(short_label(r)) for r in rows), default=0)
    col_w = max((text_width(short_label(c)) for c in columns), default=0)
    cell_w = max(MIN_COLUMN_PX, ROW_PX)
    # Column labels lie flat when every one fits its column, else turn 45° (a slanted label needs
    # width·sin 45° below the plot and reaches width·cos 45° to the left of its column).
    flat = col_w + 8 <= max(cell_w, 90) and len(columns) <= 8
    column_px = max(cell_w, int(col_w) + 8) if flat else cell_w
    slant = 0 if flat else -45
    reach = 0 if flat else col_w * 0.71
    top = fig.layout.margin.t or 80
    left = int(max(row_w + 16, reach - column_px / 2 + 8)) + 8
    bottom = int(FONT_PX * 1.6 if flat else reach + FONT_PX * 1.2) + 24
    height = top + bottom + ROW_PX * max(len(rows), 1)
    width = left + column_px * max(len(columns), 1) + 130  # colour bar and its title
    fig.update_layout(
        height=height, width=width, font={"size": FONT_PX}, plot_bgcolor="white",
        margin={"l": left, "r": 20, "t": top, "b": bottom, "autoexpand": True},
        yaxis={"tickmode": "array", "tickvals": y, "ticktext": y_short, "autorange": "reversed",
               "automargin": True, "ticksuffix": " ", "tickfont": {"size": FONT_PX}, "title": None},
        xaxis={"tickmode": "array", "tickvals": x, "ticktext": x_short, "tickangle": slant,
               "automargin": True, "tickfont": {"size": FONT_PX}, "title": None, "side": "bottom"},
    )


def _cluster_order(values: np.ndarray) -> list[int]:
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import pdist

    values = np.nan_to_num(values)
    if len(values) < 3 or not values.any():
        return list(range(len(values)))
    # each row is a code's profile (its co-occurrence with every column); distances between rows
    return leaves_list(linkage(pdist(values, metric="euclidean"), method="average")).tolist()


#: Network label lines: the pixel height one label needs (font plus spacing).
LINE_PX = 18
#: Longest network label (last path segment) before it is shortened, in pixels.
NETWORK_LABEL_PX = 220
#: The width the network aims to fit (the app's main column beside the sidebar) and its least plot width.
NETWORK_PAGE_PX, NETWORK_MIN_PX = 940, 380


#: Edge widths the network draws (an edge's value picks the nearest).
EDGE_BANDS = 6


def network(matrix: pd.DataFrame, *, min_weight: float = 0) -> go.Figure:
    """Codes on a circle, an edge where two codes co-occur (width by value), node size by n1.

    Labels never overlap: each code's name (its last path segment, shortened past
    :data:`NETWORK_LABEL_PX`; the full path on hover) sits outside the circle in a column on its
    side — the left half's labels right-aligned in the left margin, the right half's left-aligned
    in the right margin — ordered by height and at least :data:`LINE_PX` apart, joined to its node
    by a thin leader line. The y axis has a fixed range and the figure a fixed height, so the
    spacing holds at any width; the margins are computed from the longest label, and the figure
    aims to fit :data:`NETWORK_PAGE_PX` (an upright ellipse rather than a circle when it must).
    """
    codes = list(matrix.index)
    n = len(codes)
    counts = matrix.attrs.get("n", {})
    # Start at the top and go clockwise; a small offset keeps nodes off the exact top and bottom.
    angle = [math.pi / 2 - 2 * math.pi * (i + 0.5) / max(n, 1) for i in range(n)]
    xy = {c: (math.cos(a), math.sin(a)) for c, a in zip(codes, angle)}
    values = matrix.to_numpy(float)
    top_w = np.nanmax(np.where(np.eye(n, dtype=bool), np.nan, values)) if n > 1 else 1
    fig = go.Figure()
    # Edges in a few traces, one per width band (a trace per edge made 100 codes 4,950 traces,
    # slow to build and to draw); each edge's hover text sits on an invisible point at its middle.
    bands: dict[int, tuple[list, list]] = {}
    mid_x, mid_y, mid_text = [], [], []
    for i, a in enumerate(codes):
        for j in range(i + 1, n):
            b = codes[j]
            if b not in matrix.columns:
                continue
            w = matrix.at[a, b]
            if pd.notna(w) and w > min_weight:
                band = min(EDGE_BANDS - 1, int(EDGE_BANDS * w / (top_w or 1)))
                xs, ys = bands.setdefault(band, ([], []))
                xs += [xy[a][0], xy[b][0], None]
                ys += [xy[a][1], xy[b][1], None]
                mid_x.append((xy[a][0] + xy[b][0]) / 2)
                mid_y.append((xy[a][1] + xy[b][1]) / 2)
                mid_text.append(f"{plotly_text(a)} – {plotly_text(b)}: {w:g}")
    for band, (xs, ys) in sorted(bands.items()):
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                 line={"width": 0.5 + 6 * (band + 1) / EDGE_BANDS, "color": "#8aa6c1"}))
    if mid_x:
        fig.add_trace(go.Scatter(x=mid_x, y=mid_y, mode="markers", text=mid_text, hoverinfo="text",
                                 name="edges", marker={"size": 10, "opacity": 0}, showlegend=False))
    sizes = [counts.get(c, 1) for c in codes]
    biggest = max(sizes) if sizes else 1
    labels = _node_labels(codes)
    fig.add_trace(go.Scatter(x=[xy[c][0] for c in codes], y=[xy[c][1] for c in codes], mode="markers",
                             hovertext=[f"{plotly_text(c)} (n={counts.get(c, '')})" for c in codes],
                             hoverinfo="text",
                             marker={"size": [8 + 30 * s / (biggest or 1) for s in sizes], "color": "#4e79a7"},
                             showlegend=False))
    _title(fig, f"Co-occurrence network ({matrix.attrs.get('measure', '')}, unit: {matrix.attrs.get('unit', '')})",
           matrix)
    top, bottom = fig.layout.margin.t or 80, 30
    per_side = math.ceil(n / 2)
    plot_h = max(520, LINE_PX * (per_side + 2))
    span = 1.25  # y axis from -span to +span
    unit = 2 * span / plot_h  # data units per pixel, vertically
    widest = max((text_width(t) for t in labels.values()), default=0)
    side = int(widest) + 40  # each margin holds its labels and a leader
    # a circle when there is room, else an upright ellipse: the whole network fits a ~940 px page
    plot_w = max(NETWORK_MIN_PX, min(plot_h, NETWORK_PAGE_PX - 2 * side))
    placed = _label_columns(codes, xy, LINE_PX * unit, span)
    lead_x, lead_y = [], []
    annotations = []
    for c in codes:
        lx, ly, right = placed[c]
        nx, ny = xy[c]
        lead_x += [nx, lx, None]
        lead_y += [ny, ly, None]
        annotations.append({"x": lx, "y": ly, "xref": "x", "yref": "y", "showarrow": False,
                            "text": plotly_text(labels[c]), "xanchor": "left" if right else "right",
                            "yanchor": "middle", "font": {"size": FONT_PX},
                            "hovertext": plotly_text(c)})
    fig.add_trace(go.Scatter(x=lead_x, y=lead_y, mode="lines", line={"width": 0.6, "color": "#b8b8b8"},
                             hoverinfo="skip", showlegend=False))
    fig.update_layout(
        height=top + bottom + plot_h, width=2 * side + plot_w, annotations=annotations,
        margin={"l": side, "r": side, "t": top, "b": bottom}, font={"size": FONT_PX}, plot_bgcolor="white",
        xaxis={"visible": False, "range": [-LABEL_X, LABEL_X], "fixedrange": True},
        yaxis={"visible": False, "range": [-span, span], "fixedrange": True},
    )
    return fig


def _node_labels(codes: list) -> dict:
    """A node's label: its code's last path level, with as many levels above as make it unique
    (two branches' ``Institutional`` become ``Barriers/Institutional`` and
    ``Enablers/Institutional``), shortened from the left past :data:`NETWORK_LABEL_PX`."""
    parts = {c: str(c).split("/") for c in codes}
    depth = {c: 1 for c in codes}
    while True:
        label = {c: "/".join(parts[c][-depth[c]:]) for c in codes}
        seen: dict = {}
        for c in codes:
            seen.setdefault(label[c], []).append(c)
        clash = [c for group in seen.values() if len(group) > 1 for c in group if depth[c] < len(parts[c])]
        if not clash:
            return {c: short_label(label[c], NETWORK_LABEL_PX) for c in codes}
        for c in clash:
            depth[c] += 1


#: Where the label columns stand (x, data units): just outside the circle and its nodes.
LABEL_X = 1.25


def _label_columns(codes: list, xy: dict, gap: float, span: float) -> dict:
    """``{code: (x, y, on_the_right)}``: each side's labels at their nodes' heights where they fit,
    pushed apart to at least ``gap`` (data units) and kept within ±``span``."""
    placed = {}
    for right in (True, False):
        side = sorted((c for c in codes if (xy[c][0] >= 0) == right), key=lambda c: -xy[c][1])
        ys = [xy[c][1] for c in side]
        for k in range(1, len(ys)):  # top to bottom: each at least gap below the one above
            ys[k] = min(ys[k], ys[k - 1] - gap)
        if ys and ys[-1] < -span + gap / 2:  # ran off the bottom: shift up, then re-space downwards
            ys[-1] = -span + gap / 2
            for k in range(len(ys) - 2, -1, -1):
                ys[k] = max(ys[k], ys[k + 1] + gap)
        for c, y in zip(side, ys):
            placed[c] = (LABEL_X if right else -LABEL_X, y, right)
    return placed


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
    """kaleido's image, or :class:`ImageExportUnavailable` — never an error message in place of one."""
    try:
        import kaleido  # noqa: F401
    except ImportError as exc:
        raise ImageExportUnavailable("PNG/SVG export needs kaleido (pip install kaleido==1.5.0)") from exc
    try:
        image = fig.to_image(format=fmt, width=width, height=height, scale=scale)
    except Exception as exc:  # kaleido reports a missing browser with several exception types
        raise ImageExportUnavailable(
            f"PNG/SVG export failed ({exc}); it needs Chromium: apt-get install chromium "
            "(or set BROWSER_PATH to a Chrome/Chromium binary)") from exc
    magic = b"\x89PNG\r\n\x1a\n" if fmt == "png" else b"<svg"
    if not image.lstrip()[:8].startswith(magic[:4] if fmt == "svg" else magic):
        raise ImageExportUnavailable(f"kaleido returned no {fmt.upper()} image (it starts {image[:40]!r})")
    return image


def to_png(fig: go.Figure, *, width: int | None = None, height: int | None = None, scale: float = 2) -> bytes:
    """The figure as PNG bytes (kaleido + Chromium on this machine), by default at the figure's
    own width and height (1200 px wide when it has none), so label margins computed for it hold.
    Raises :class:`ImageExportUnavailable` when kaleido or Chromium is missing or fails."""
    return _image(fig, "png", width or fig.layout.width or 1200, height or fig.layout.height, scale)


def to_svg(fig: go.Figure, *, width: int | None = None, height: int | None = None) -> bytes:
    """The figure as SVG bytes (kaleido + Chromium), sized like :func:`to_png`."""
    return _image(fig, "svg", width or fig.layout.width or 1200, height or fig.layout.height, 1)


def image_config(fig: go.Figure, name: str, fmt: str = "png") -> dict:
    """Plotly's ``config`` for a chart in the browser: the modebar's camera button ("Download plot
    as a png") saves ``name.png`` (or ``.svg``) drawn by the reader's own browser at the figure's
    natural size (twice the pixels for PNG) — no kaleido, no server Chromium."""
    return {"displaylogo": False,
            "toImageButtonOptions": {"format": fmt, "filename": name,
                                     "width": fig.layout.width or 1200, "height": fig.layout.height or 700,
                                     "scale": 2 if fmt == "png" else 1}}


def to_html(fig: go.Figure) -> bytes:
    """A self-contained interactive HTML page (plotly.js inlined, works offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
