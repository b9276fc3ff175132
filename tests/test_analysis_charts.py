"""Plotly figures of the analysis tables and their PNG/SVG/HTML exports (kaleido + Chromium)."""

from __future__ import annotations

import os
import shutil

import pytest

from qualcode.analysis import charts
from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.data import load
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


def test_frequency_bars_stack_by_coder(data):
    fig = charts.frequency_bars(frequencies(data, by="coder"), stack="coder")
    assert sorted(t.name for t in fig.data) == ["ana", "ben"]
    assert list(fig.data[0].y) == ["Barriers", "Barriers/A", "Barriers/B", "Enablers", "Enablers/C"]


def test_heatmap_clustered_keeps_every_code(data):
    m = cooccurrence(data, unit="sentence")
    fig = charts.heatmap(m, cluster=True)
    assert sorted(fig.data[0].x) == sorted(m.columns) and sorted(fig.data[0].y) == sorted(m.index)
    assert "unit: sentence" in fig.layout.title.text


def test_network_sunburst_and_code_by_document(data):
    m = cooccurrence(data, unit="sentence")
    net = charts.network(m)
    assert len(net.data) == 1 + 3  # three edges (every pair co-occurs once) and the nodes
    sun = charts.sunburst(data, frequencies(data, rollup=False))
    assert list(sun.data[0].ids) == ["Barriers", "Barriers/A", "Barriers/B", "Enablers", "Enablers/C"]
    assert list(sun.data[0].parents) == ["", "Barriers", "Barriers", "", "Enablers"]
    heat = charts.heatmap(code_by_document(data), title="codings")
    assert list(heat.data[0].x) == ["d1", "d2"]


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
    _browser_or_skip()
    fig = charts.heatmap(cooccurrence(data, unit="sentence"))
    png = charts.to_png(fig, width=600, height=400, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 600 and int.from_bytes(png[20:24], "big") == 400
    svg = charts.to_svg(fig, width=600, height=400).decode()
    assert svg.startswith("<svg") and "Barriers/A" in svg
