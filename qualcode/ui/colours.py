"""Code colours: a distinct, colour-blind-safe colour for every code that has none of its own.

Each top-level branch of the code tree gets a hue family taken from the Okabe–Ito palette
(chosen to stay apart under the common colour-vision deficiencies); the codes inside a branch
are spread over that family in CIELAB — lightness first, then a little hue — picking each next
colour as far as possible (CIE76 ΔE) from those already given in the branch, so siblings stay
told apart and a branch still reads as one family. Lightness is kept between 30 and 74, dark
enough for a 2 px underline on white and light enough on a dark theme.
"""

from __future__ import annotations

import math
from functools import lru_cache

# Okabe–Ito: orange, blue, bluish green, reddish purple, sky blue, vermillion, yellow, brown,
# ordered so that the first branches are the farthest apart.
BRANCH_BASES = ["#E69F00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#B8A000", "#8C6D46"]
L_RANGE = (30.0, 74.0)
HUE_SPREAD = 22.0  # degrees either side of the family's hue


def _srgb_to_linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _linear_to_srgb(c: float) -> float:
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


_WHITE = (0.95047, 1.0, 1.08883)


def hex_to_lab(colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of ``#rrggbb``."""
    r, g, b = (_srgb_to_linear(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = (f(v / w) for v, w in zip((x, y, z), _WHITE))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _lab_to_rgb(lab: tuple[float, float, float]) -> tuple[float, float, float]:
    L, a, b = lab
    fy = (L + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200

    def finv(t: float) -> float:
        return t ** 3 if t > 6 / 29 else 3 * (6 / 29) ** 2 * (t - 4 / 29)

    x, y, z = (finv(t) * w for t, w in zip((fx, fy, fz), _WHITE))
    r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z
    g = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z
    bl = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z
    return r, g, bl


def _in_gamut(lab) -> bool:
    return all(-1e-6 <= c <= 1 + 1e-6 for c in _lab_to_rgb(lab))


def lab_to_hex(lab: tuple[float, float, float]) -> str:
    r, g, b = (min(1.0, max(0.0, _linear_to_srgb(min(1.0, max(0.0, c))))) for c in _lab_to_rgb(lab))
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in (r, g, b)))


def delta_e(c1: str, c2: str) -> float:
    """CIE76 colour difference of two ``#rrggbb`` colours."""
    return math.dist(hex_to_lab(c1), hex_to_lab(c2))


def hue(colour: str) -> float:
    """CIELAB hue angle of ``#rrggbb`` in degrees."""
    _, a, b = hex_to_lab(colour)
    return math.degrees(math.atan2(b, a)) % 360


def _max_chroma(L: float, h: float, cap: float = 72.0) -> float:
    lo, hi = 0.0, cap
    for _ in range(18):
        mid = (lo + hi) / 2
        ok = _in_gamut((L, mid * math.cos(math.radians(h)), mid * math.sin(math.radians(h))))
        lo, hi = (mid, hi) if ok else (lo, mid)
    return lo


@lru_cache(maxsize=len(BRANCH_BASES))
def _candidates(family: int) -> tuple[str, ...]:
    """The colours of one hue family, a grid over lightness and hue at the largest chroma that
    stays inside sRGB (capped, so no colour shouts)."""
    base = BRANCH_BASES[family]
    h0 = hue(base)
    out = []
    steps = 23
    for i in range(steps):
        L = L_RANGE[0] + (L_RANGE[1] - L_RANGE[0]) * i / (steps - 1)
        for dh in (HUE_SPREAD * k / 4 for k in range(-4, 5)):
            h = h0 + dh
            c = _max_chroma(L, h)
            if c < 18:
                continue
            out.append(lab_to_hex((L, c * math.cos(math.radians(h)), c * math.sin(math.radians(h)))))
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=64)
def family_colours(family: int, n: int) -> tuple[str, ...]:
    """``n`` colours of hue family ``family`` (wrapping round the families), the first being
    the family's own Okabe–Ito colour, each next one farthest (CIE76) from those before."""
    family %= len(BRANCH_BASES)
    chosen = [BRANCH_BASES[family].lower()]
    labs = [hex_to_lab(chosen[0])]
    pool = [(c, hex_to_lab(c)) for c in _candidates(family)]
    while len(chosen) < n and pool:
        best = max(pool, key=lambda p: min(math.dist(p[1], q) for q in labs))
        pool.remove(best)
        chosen.append(best[0])
        labs.append(best[1])
    while len(chosen) < n:  # more codes than one family holds: repeat rather than fail
        chosen.append(chosen[len(chosen) % max(1, len(_candidates(family)))])
    return tuple(chosen)


def palette(paths: list[str]) -> dict[str, str]:
    """A colour for each code path (``"Branch/child/grandchild"``), by top-level branch.

    The branch's top-level code gets its family's base colour; the codes under it follow in
    the order given (the code tree's depth-first order, so the colours do not move when a code
    is added to another branch).
    """
    branches: dict[str, list[str]] = {}
    for p in paths:
        branches.setdefault(p.split("/")[0], []).append(p)
    out: dict[str, str] = {}
    for family, (top, members) in enumerate(branches.items()):
        ordered = sorted(members, key=lambda p: p != top)  # the branch code itself first
        for p, colour in zip(ordered, family_colours(family, len(ordered))):
            out[p] = colour
    return out


def colour_for(own: str | None, path: str, fallback: dict[str, str]) -> str:
    """A code's own colour when it has a valid one, else its palette colour."""
    from qualcode.guards import safe_colour

    colour = safe_colour(own, "")
    return colour or fallback.get(path, "#888888")
