"""The code palette: distinct colours inside a branch, branches as hue families."""

from __future__ import annotations

import itertools

import pytest

from qualcode.ui.colours import BRANCH_BASES, colour_for, delta_e, family_colours, hex_to_lab, hue, palette


def _hue_gap(a: float, b: float) -> float:
    d = abs(a - b) % 360
    return min(d, 360 - d)


def test_cie76_matches_known_lab_values():
    assert hex_to_lab("#ffffff") == pytest.approx((100, 0, 0), abs=0.05)
    assert hex_to_lab("#000000") == pytest.approx((0, 0, 0), abs=0.05)
    assert hex_to_lab("#ff0000") == pytest.approx((53.24, 80.09, 67.20), abs=0.1)
    assert delta_e("#ff0000", "#ff0000") == 0


@pytest.mark.parametrize("family", range(len(BRANCH_BASES)))
def test_codes_of_one_branch_differ_by_at_least_delta_e_10(family):
    colours = family_colours(family, 12)
    assert len(set(colours)) == 12
    assert min(delta_e(a, b) for a, b in itertools.combinations(colours, 2)) >= 10


@pytest.mark.parametrize("family", range(len(BRANCH_BASES)))
def test_a_branch_stays_one_hue_family(family):
    h0 = hue(BRANCH_BASES[family])
    for c in family_colours(family, 12):
        assert _hue_gap(hue(c), h0) <= 30, c


def test_the_first_four_branches_are_far_apart_in_hue():
    hues = [hue(c) for c in BRANCH_BASES[:4]]
    assert min(_hue_gap(a, b) for a, b in itertools.combinations(hues, 2)) >= 60


def test_palette_of_the_sample_codebook_shape():
    # four branches of 20, 16, 5 and 5 codes (the sample project), depth-first paths
    paths = []
    for name, n in (("Barriers", 20), ("Enablers", 16), ("Recommendations", 5), ("Program", 5)):
        paths += [name] + [f"{name}/c{i}" for i in range(n - 1)]
    colours = palette(paths)
    assert set(colours) == set(paths)
    for name in ("Barriers", "Enablers", "Recommendations", "Program"):
        mine = [c for p, c in colours.items() if p.split("/")[0] == name]
        assert min(delta_e(a, b) for a, b in itertools.combinations(mine, 2)) >= 10, name
    tops = [colours[n] for n in ("Barriers", "Enablers", "Recommendations", "Program")]
    assert min(_hue_gap(hue(a), hue(b)) for a, b in itertools.combinations(tops, 2)) >= 60
    # a code added to one branch leaves the other branches' colours alone
    assert palette(paths + ["Enablers/new"])["Barriers/c3"] == colours["Barriers/c3"]


def test_a_code_keeps_its_own_valid_colour():
    assert colour_for("#123456", "A", {"A": "#ffffff"}) == "#123456"
    assert colour_for("red;x", "A", {"A": "#abcdef"}) == "#abcdef"
    assert colour_for(None, "B", {}) == "#888888"
