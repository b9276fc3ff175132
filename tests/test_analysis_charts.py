"""Plotly figures of the analysis tables and their PNG/SVG/HTML exports (kaleido + Chromium)."""

from __future__ import annotations

import os
import shutil

import pytest

from qualcode.analysis import charts
from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.data import AnalysisError, load
from qualcode.analysis.frequencies import frequencies
from qualcode.analysis.matrices import code_by_document
from qualcode.analysis.synthetic import hand_project
from qualcode.store.db import Database


@pytest.fixture
def data(tmp_path):
    db = Database(tmp_path / "hand.db")
    hand_project(db)
    yield load(db)
    db.close()


SET = "Coding set: coders ana, ben (as passages)"  # the hand project's default set


def test_frequency_bars_stack_by_coder(data):
    fig = charts.frequency_bars(frequencies(data, by="coder"), stack="coder")
    assert sorted(t.name for t in fig.data) == ["ana", "ben"]
    assert list(fig.data[0].y) == ["Barriers", "Barriers/A", "Barriers/B", "Enablers", "Enablers/C"]
    assert fig.layout.title.text == "Passages per code by coder" and fig.layout.title.subtitle.text == SET


def test_frequency_bars_count_passages_unless_told(data):
    own = frequencies(data, rollup=False)
    # Barriers/A: ana's 3-11 and the nested 12-17 / 13-16 → 2 passages, 3 codings
    bars = charts.frequency_bars(own)
    assert dict(zip(bars.data[0].y, bars.data[0].x))["Barriers/A"] == 2
    codings = charts.frequency_bars(own, value="codings")
    assert dict(zip(codings.data[0].y, codings.data[0].x))["Barriers/A"] == 3
    assert codings.layout.title.text == "Codings per code"
    with pytest.raises(AnalysisError, match="value must be one of passages, codings"):
        charts.frequency_bars(own, value="clicks")


def test_heatmap_clustered_keeps_every_code(data):
    m = cooccurrence(data, unit="sentence")
    fig = charts.heatmap(m, cluster=True)
    assert sorted(fig.data[0].x) == sorted(m.columns) and sorted(fig.data[0].y) == sorted(m.index)
    assert "unit: sentence" in fig.layout.title.text and fig.layout.title.subtitle.text == SET


def test_network_sunburst_and_code_by_document(data):
    m = cooccurrence(data, unit="sentence")
    net = charts.network(m)
    # A-B (ana, sentence 1) and B-C (ana, sentence 3); A with C only as ana's A and ben's C in
    # sentence 0, which is no co-occurrence: two edges and the nodes
    [edges] = [t for t in net.data if t.name == "edges"]  # one hover point per edge
    assert sorted(edges.text) == ["Barriers/A – Barriers/B: 1", "Barriers/B – Enablers/C: 1"]
    assert net.layout.title.subtitle.text == SET
    drawn = [t for t in net.data if t.mode == "lines" and t.hoverinfo == "skip" and t.line.color == "#8aa6c1"]
    assert sum(1 for t in drawn for x in t.x if x is None) == 2  # two segments drawn
    assert [a.text for a in net.layout.annotations] == ["A", "B", "C"]
    sun = charts.sunburst(data, frequencies(data, rollup=False))
    assert list(sun.data[0].ids) == ["Barriers", "Barriers/A", "Barriers/B", "Enablers", "Enablers/C"]
    assert list(sun.data[0].parents) == ["", "Barriers", "Barriers", "", "Enablers"]
    # own passages: A 2, B 2, C 3 (ben's 3-11, ana's 27-49, ana's d2)
    assert list(sun.data[0].values) == [0, 2, 2, 0, 3] and sun.layout.title.text == "Code tree (passages)"
    heat = charts.heatmap(code_by_document(data), title="Passages per code and document")
    assert list(heat.data[0].x) == ["d1", "d2"] and heat.layout.title.subtitle.text == SET


def test_coder_names_in_the_subtitle_are_text(tmp_path):
    from qualcode.analysis.synthetic import build

    db = Database(tmp_path / "evil.db")
    build(db, documents={"d": {"text": "I: Visas.\n", "turns": [("I", 3, 9)], "sentences": [(3, 9)]}},
          codes=["A"], codings=[("d", "A", "<b>x</b>", 3, 9)])
    fig = charts.frequency_bars(frequencies(load(db)))
    assert fig.layout.title.subtitle.text == "Coding set: coder &lt;b&gt;x&lt;/b&gt;"
    db.close()


def test_html_export_is_self_contained(data):
    page = charts.to_html(charts.network(cooccurrence(data))).decode()
    assert page.startswith("<!doctype html>") and "plotly" in page and "<script src=\"http" not in page


def _browser_or_skip():
    if shutil.which("chromium") or os.environ.get("BROWSER_PATH"):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Chromium is missing (apt-get install chromium); CI must test image export")
    pytest.skip("Chromium is missing (apt-get install chromium)")


def test_png_and_svg_export_with_kaleido(data):
    """(at an explicit size; without one an export takes the figure's own width and height)"""
    _browser_or_skip()
    fig = charts.heatmap(cooccurrence(data, unit="sentence"))
    png = charts.to_png(fig, width=600, height=400, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 600 and int.from_bytes(png[20:24], "big") == 400
    svg = charts.to_svg(fig, width=600, height=400).decode()
    assert svg.startswith("<svg") and "Barriers/A" in svg


def test_matrices_count_passages_by_default_and_say_so(data):
    from qualcode.analysis.matrices import code_by_attribute

    m = code_by_document(data)
    # Barriers/A in d1: 3-11 and 12-17 (with the nested 13-16) → 2 passages; Enablers/C in d1:
    # ben's 3-11 and ana's 27-49 → 2; in d2 ana's 3-12 → 1
    assert m.to_dict("index") == {"Barriers/A": {"d1": 2, "d2": 0}, "Barriers/B": {"d1": 2, "d2": 0},
                                  "Enablers/C": {"d1": 2, "d2": 1}}
    assert m.attrs["value"] == "passages" and m.attrs["set"]["coders"] == ["ana", "ben"]
    assert code_by_document(data, value="codings").at["Barriers/A", "d1"] == 3
    by_role = code_by_attribute(data, "role")
    assert by_role.to_dict("index") == {"Barriers/A": {"IMG": 0, "faculty": 2}, "Barriers/B": {"IMG": 0, "faculty": 2},
                                        "Enablers/C": {"IMG": 1, "faculty": 2}}
    with pytest.raises(AnalysisError, match="value must be one of passages, codings"):
        code_by_document(data, value="clicks")


# -- charts people can read (#14 item 7) ------------------------------------------------------

import numpy as np
import pandas as pd

LONG = "Barriers/Institutional/Liability and malpractice concerns raised by program directors"


def _matrix(rows: int, columns: int, *, names=None) -> pd.DataFrame:
    """A rows × columns count matrix with code paths of one branch per axis, some of them long."""
    rng = np.random.default_rng(7)
    index = names or [f"Barriers/Branch {i % 5}/Row code number {i}" + (" with a longer name" * (i % 3))
                      for i in range(rows)]
    cols = [f"Enablers/Column {j}" for j in range(columns)]
    m = pd.DataFrame(rng.integers(0, 5, (len(index), columns)), index=index, columns=cols)
    m.attrs.update(measure="count", unit="overlap", coders="coders ana, ben (as passages)")
    return m


def _plot_height(fig) -> float:
    return fig.layout.height - fig.layout.margin.t - fig.layout.margin.b


def test_text_width_is_shared_with_the_theme_chart():
    from qualcode.analysis import theme_chart

    assert theme_chart.text_width is charts.text_width
    assert charts.text_width("WWW") > charts.text_width("iii") > 0
    assert charts.text_width("漢字") == pytest.approx(2 * 12 * charts.SAFETY)


def test_long_paths_are_shortened_from_the_left():
    assert charts.short_label("Barriers/Financial") == "Barriers/Financial"
    short = charts.short_label(LONG, 410)
    assert short == "…/Liability and malpractice concerns raised by program directors"
    assert charts.text_width(short) <= 410
    assert charts.short_label(LONG) == "…concerns raised by program directors"  # whole words
    assert charts.short_label("Barriers/Institutional/Liability and malpractice", 250) == \
        "…/Institutional/Liability and malpractice"
    tail = charts.short_label("x" * 200, 100)
    assert tail.startswith("…x") and charts.text_width(tail) <= 100


@pytest.mark.parametrize("rows,columns", [(20, 16), (40, 3), (1, 1), (46, 46)])
def test_heatmap_is_sized_by_rows_and_labels_every_row_and_column(rows, columns):
    m = _matrix(rows, columns)
    fig = charts.heatmap(m)
    assert _plot_height(fig) / rows >= 18  # a row never under 18 px
    y, x = fig.layout.yaxis, fig.layout.xaxis
    assert y.tickmode == "array" and len(y.tickvals) == len(y.ticktext) == rows  # every row labelled
    assert x.tickmode == "array" and len(x.tickvals) == len(x.ticktext) == columns
    assert (fig.layout.width - fig.layout.margin.l - fig.layout.margin.r - 100) / columns >= 18
    # the left margin holds the longest (shortened) row label
    assert fig.layout.margin.l >= max(charts.text_width(charts.short_label(r)) for r in m.index)
    # slanted column labels fit below the plot
    if x.tickangle:
        assert fig.layout.margin.b >= 0.7 * max(charts.text_width(charts.short_label(c)) for c in m.columns)


def test_heatmap_shortens_long_paths_and_keeps_the_full_path_for_hover():
    m = _matrix(3, 2, names=[LONG, "Barriers/Financial", "Barriers/Regulatory and licensing"])
    fig = charts.heatmap(m)
    assert list(fig.data[0].y) == list(m.index)  # the full paths: the hover shows them
    assert "%{y}" in fig.data[0].hovertemplate and "%{x}" in fig.data[0].hovertemplate
    assert fig.layout.yaxis.ticktext[0].startswith("…") and LONG.endswith(fig.layout.yaxis.ticktext[0][1:])
    assert list(fig.layout.yaxis.ticktext[1:]) == ["Barriers/Financial", "Barriers/Regulatory and licensing"]


def test_frequency_bars_label_every_code_shortened(data):
    fig = charts.frequency_bars(frequencies(data))
    assert list(fig.layout.yaxis.tickvals) == list(fig.data[0].y)
    assert len(fig.layout.yaxis.ticktext) == len(fig.data[0].y)


def test_markup_in_code_names_is_text_in_every_label_and_hover():
    evil = "<b>bold<br><a href='https:evil.example'>x"  # no "/": it separates code levels
    m = _matrix(2, 2, names=[f"Barriers/{evil}", "Barriers/Plain"])
    m.columns = [f"Enablers/{evil}", "Enablers/Plain"]
    square = pd.DataFrame([[3, 1], [1, 2]], index=[f"Barriers/{evil}", "Barriers/Plain"],
                          columns=[f"Barriers/{evil}", "Barriers/Plain"])
    square.attrs.update(measure="count", unit="overlap", n={f"Barriers/{evil}": 3, "Barriers/Plain": 2})
    for fig in (charts.heatmap(m), charts.network(square)):
        text = fig.to_json()
        assert "<b>" not in text and "<a " not in text and "&lt;b&gt;bold" in text
    net = charts.network(square)
    assert net.layout.annotations[0].text.startswith("…") or net.layout.annotations[0].text.startswith("&lt;b&gt;")
    assert net.layout.annotations[0].hovertext == f"Barriers/{evil}".replace("<", "&lt;").replace(">", "&gt;")


def _label_boxes(fig) -> list[tuple[float, float, float, float]]:
    """Each network label's box (x0, y0, x1, y1) in pixels of the figure, from its estimated
    text width, its anchor and the axes' ranges (the figure's own coordinates)."""
    import html

    lay = fig.layout
    plot_w = lay.width - lay.margin.l - lay.margin.r
    plot_h = lay.height - lay.margin.t - lay.margin.b
    (x0, x1), (y0, y1) = lay.xaxis.range, lay.yaxis.range
    boxes = []
    for a in lay.annotations:
        px = lay.margin.l + (a.x - x0) / (x1 - x0) * plot_w
        py = lay.margin.t + (y1 - a.y) / (y1 - y0) * plot_h
        w = charts.text_width(html.unescape(a.text), a.font.size)
        h = a.font.size * 1.2
        left = px if a.xanchor == "left" else px - w
        boxes.append((left, py - h / 2, left + w, py + h / 2))
    return boxes


@pytest.mark.parametrize("codes", [5, 12, 46, 80])
def test_network_labels_never_overlap_and_stay_in_the_figure(codes):
    names = [f"Branch {i % 4}/Sub {i % 7}/A code called number {i}" + (" and more words" * (i % 2))
             for i in range(codes)]
    rng = np.random.default_rng(3)
    values = rng.integers(0, 4, (codes, codes))
    m = pd.DataFrame(values + values.T, index=names, columns=names)
    m.attrs.update(measure="count", unit="overlap", n={c: int(rng.integers(1, 20)) for c in names})
    fig = charts.network(m)
    boxes = _label_boxes(fig)
    assert len(boxes) == codes
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[2] <= fig.layout.width and a[1] >= 0 and a[3] <= fig.layout.height
        for b in boxes[i + 1:]:
            overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
            assert not overlap, (a, b)


def test_network_labels_are_unique_where_names_repeat_across_branches():
    names = ["Barriers", "Barriers/Institutional", "Enablers", "Enablers/Institutional"]
    m = pd.DataFrame(np.ones((4, 4)), index=names, columns=names)
    texts = [a.text for a in charts.network(m).layout.annotations]
    assert texts == ["Barriers", "Barriers/Institutional", "Enablers", "Enablers/Institutional"]


def test_browser_image_config_needs_no_server():
    fig = charts.heatmap(_matrix(20, 16))
    config = charts.image_config(fig, "cooccurrence-heatmap", "svg")
    assert config["toImageButtonOptions"] == {"format": "svg", "filename": "cooccurrence-heatmap",
                                              "width": fig.layout.width, "height": fig.layout.height,
                                              "scale": 1}


def test_a_failed_export_raises_and_never_returns_an_error_text(data, monkeypatch):
    import plotly.graph_objects as go

    fig = charts.heatmap(cooccurrence(data, unit="sentence"))
    monkeypatch.setattr(go.Figure, "to_image", lambda self, **k: (_ for _ in ()).throw(RuntimeError("no browser")))
    with pytest.raises(charts.ImageExportUnavailable, match="needs Chromium"):
        charts.to_png(fig)
    monkeypatch.setattr(go.Figure, "to_image", lambda self, **k: b"Error: something went wrong")
    with pytest.raises(charts.ImageExportUnavailable, match="no PNG image"):
        charts.to_png(fig)
    with pytest.raises(charts.ImageExportUnavailable, match="no SVG image"):
        charts.to_svg(fig)


def _png_pixels(png: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_exported_40_row_heatmap_holds_every_label_in_its_margins():
    """The PNG of a 40-row heatmap with long labels: nothing is drawn in the first pixels (no
    label runs off the left edge), ink starts near the longest label's estimated width before
    the plot, and every row has its label's ink in the margin."""
    _browser_or_skip()
    rows = [f"Barriers/Branch {i % 5}/Row code number {i}" + (" with a longer name" * (i % 3)) for i in range(40)]
    rows[7] = LONG
    fig = charts.heatmap(_matrix(40, 6, names=rows))
    png = charts.to_png(fig, scale=1)
    pixels = _png_pixels(png)
    assert pixels.shape[:2] == (fig.layout.height, fig.layout.width)
    ink = (pixels < 200).any(axis=2)  # dark pixels: text (the cells' blues are light or in the plot)
    margin = fig.layout.margin.l
    label_ink = ink[:, :margin]
    assert not ink[:, :4].any()  # nothing touches the left edge
    columns = np.flatnonzero(label_ink.any(axis=0))
    widest = max(charts.text_width(charts.short_label(r)) for r in rows)
    # the ink of the longest label starts inside the margin, within the estimate's safety allowance
    assert columns.min() >= margin - widest - 16
    assert columns.min() <= margin - widest / charts.SAFETY * 0.85
    # each of the 40 rows has label ink at its height
    plot_h = _plot_height(fig)
    for i in range(40):
        y = int(fig.layout.margin.t + (i + 0.5) * plot_h / 40)
        assert label_ink[y - 5:y + 6].any(), f"row {i} has no label"


def test_a_breakdown_by_many_documents_keeps_the_largest_and_adds_up_the_rest(tmp_path):
    """40 documents: the chart stacks the 11 largest and one "other (29)" segment per code, and
    every bar still adds up to the code's total; the order of the codes is the tree's."""
    from qualcode.analysis.synthetic import build

    docs, codings = {}, []
    for i in range(40):
        name = f"d{i:02d}"
        docs[name] = {"text": "I: Visas cost money.\n", "turns": [("I", 3, 20)], "sentences": [(3, 20)]}
        for k in range(1 + i % 5):  # documents differ in how much they were coded
            codings.append((name, "B" if k % 2 else "A", "ana", 3, 8 + k))
    db = Database(tmp_path / "many.db")
    build(db, documents=docs, codes=["A", "B"], codings=codings)
    freq = frequencies(load(db), by="document", rollup=False)
    fig = charts.frequency_bars(freq, value="codings", stack="document")
    names = [t.name for t in fig.data]
    assert len(names) == 12 and names[-1] == "other (29)"
    assert "11 largest; 29 more" in fig.layout.title.text
    for code in ("A", "B"):
        shown = sum(x for t in fig.data for y, x in zip(t.y, t.x) if y == code)
        assert shown == freq.loc[freq["code"] == code, "codings"].sum()
    assert list(fig.layout.yaxis.tickvals) == ["A", "B"]
    few = charts.frequency_bars(freq, value="codings", stack="document", max_stack=50)
    assert len(few.data) == 40 and "other" not in few.layout.title.text
    db.close()
