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
    assert len(net.data) == 1 + 2 and net.layout.title.subtitle.text == SET
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
