"""The theme × group table and its key quotes, on a hand-built project (SQLite and PostgreSQL).

Every expected number below is derived by hand from :data:`DOCS` and :data:`CODINGS`:

=====  ===========  =========  =======  =====================================================
doc    participant  role       group    codings (coder code span [*] = starred)
=====  ===========  =========  =======  =====================================================
d1     P1           faculty    Wave 1   ana+ben B/Inst/Liability 0-4 (identical), ana E/Funding 5-9
d2     P2           faculty    Wave 2   ben B/Inst 10-14, ana E/Inst 0-4 *
d3     P3           IMG        Wave 1   ana B/Visa 0-9 *, ben B/Visa 5-14 *, ana Recommendations 15-19
d4     P4           (none)     —        ana Barriers 0-4 (on the branch itself), ana E/Inst 5-9
d5     (none)       (none)     —        ben B/Visa 0-4
d6     P5           IMG        —        nothing (not coded: out of scope by default)
d7     P1           faculty    Wave 2   ben B/Visa 0-4 (P1's second interview)
=====  ===========  =========  =======  =====================================================

Levels: Barriers/Inst and Enablers/Inst are "Institutional" (Liability inherits it),
Barriers/Visa is "Immigration"; Enablers/Funding, Recommendations and the roots have none.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from qualcode.analysis.data import AnalysisError, load
from qualcode.analysis.synthetic import build
from qualcode.analysis.themes import NONE_GROUP, theme_quotes, theme_table
from qualcode.project.codes import tree
from qualcode.project.groups import add_documents, create_group
from qualcode.store.models import Code, Coder, Coding, Document

TEXT = "aaaa bbbb cccc dddd eeee"
DOCS = {"d1": "P1", "d2": "P2", "d3": "P3", "d4": "P4", "d5": None, "d6": "P5", "d7": "P1"}
ROLES = {"P1": "faculty", "P2": "faculty", "P3": "IMG", "P5": "IMG"}
CODES = ["Barriers/Inst/Liability", "Barriers/Visa", "Enablers/Inst", "Enablers/Funding", "Recommendations"]
CODINGS = [
    ("d1", "Barriers/Inst/Liability", "ana", 0, 4), ("d1", "Barriers/Inst/Liability", "ben", 0, 4),
    ("d1", "Enablers/Funding", "ana", 5, 9),
    ("d2", "Barriers/Inst", "ben", 10, 14), ("d2", "Enablers/Inst", "ana", 0, 4),
    ("d3", "Barriers/Visa", "ana", 0, 9), ("d3", "Barriers/Visa", "ben", 5, 14),
    ("d3", "Recommendations", "ana", 15, 19),
    ("d4", "Barriers", "ana", 0, 4), ("d4", "Enablers/Inst", "ana", 5, 9),
    ("d5", "Barriers/Visa", "ben", 0, 4),
    ("d7", "Barriers/Visa", "ben", 0, 4),
]
STARRED = [("d2", "ana", 0), ("d3", "ana", 0), ("d3", "ben", 5)]  # (document, coder, start)
LEVELS = {"Barriers/Inst": "Institutional", "Enablers/Inst": "Institutional", "Barriers/Visa": "Immigration"}
CONSENSUS = [("d1", "Barriers/Inst/Liability", 0, 4), ("d2", "Enablers/Inst", 0, 4), ("d3", "Barriers/Visa", 0, 14),
             ("d4", "Enablers/Inst", 5, 9), ("d5", "Barriers/Visa", 0, 4), ("d7", "Barriers/Visa", 0, 4)]


def build_project(db, *, levels: bool = True, starred=STARRED, groups: bool = True) -> None:
    """Write the project of the module docstring into ``db`` (levels, stars and groups included)."""
    build(db, documents={name: {"text": TEXT, "participant": p} for name, p in DOCS.items()},
          codes=CODES, codings=CODINGS,
          attributes={p: ({"role": ROLES[p]} if p in ROLES else {}) for p in ["P1", "P2", "P3", "P4", "P5"]})
    with db.session() as s:
        pid = db.project_id(s)
        ids = {"/".join(path): c.id for path, c in tree(s, pid)}
        if levels:
            for path, level in LEVELS.items():
                s.execute(update(Code).where(Code.id == ids[path]).values(level=level))
        for doc, coder, start in starred:
            coding = s.scalars(select(Coding).join(Document).join(Coder).where(
                Document.name == doc, Coder.name == coder, Coding.start == start)).one()
            coding.key_quote = True
    if groups:
        create_group(db, "Wave 1")
        add_documents(db, "Wave 1", ["d1", "d3"])
        create_group(db, "Wave 2")
        add_documents(db, "Wave 2", ["d2", "d7"])


def add_consensus(db) -> None:
    """A consensus layer on every coded document (so the default set becomes the consensus)."""
    with db.session() as s:
        pid = db.project_id(s)
        ids = {"/".join(path): c.id for path, c in tree(s, pid)}
        coder = Coder(project_id=pid, name="consensus")
        s.add(coder)
        s.flush()
        docs = dict(s.execute(select(Document.name, Document.id).where(Document.project_id == pid)).all())
        for doc, path, start, end in CONSENSUS:
            s.add(Coding(document_id=docs[doc], code_id=ids[path], coder_id=coder.id, start=start, end=end,
                         quote=TEXT[start:end]))


@pytest.fixture
def project(db):
    build_project(db)
    return db


def grid(table) -> dict:
    """{theme: [counts per group..., total]} for compact expectations."""
    return {t: [int(table.counts.at[t, g]) for g in table.groups] + [int(table.total[t])] for t in table.themes}


def test_depth_zero_by_role_counts_participants_once(project):
    data = load(project)
    assert data.coding_set.kind == "coders" and data.coding_set.coders == ("ana", "ben")
    table = theme_table(data, by="attribute:role")
    assert table.groups == ["faculty", "IMG", NONE_GROUP]
    # P5 (IMG) has no coded document: out of scope; P4 has no role; d5 has no participant.
    assert table.sizes == {"faculty": 2, "IMG": 1, NONE_GROUP: 2} and table.total_size == 5
    assert grid(table) == {"Barriers": [2, 1, 2, 5], "Enablers": [2, 0, 1, 3], "Recommendations": [0, 1, 0, 1]}
    assert table.percent("Enablers") == 60.0 and table.percent("Enablers", NONE_GROUP) == 50.0
    assert table.header("faculty") == "faculty (n = 2)" and table.header() == "Total (n = 5)"
    assert table.cell("Enablers", "IMG") == "0 (0%)" and table.cell("Recommendations") == "1 (20%)"
    assert "Only the 6 of 7 documents with codings in the set are counted (not coded: d6)." in table.notes
    assert "1 document has no participant; each is counted as one case." in table.notes
    assert data.coding_set.note in table.notes  # the default set says why it was chosen
    shown = table.display()
    assert list(shown.columns) == ["theme", "faculty (n = 2)", "IMG (n = 1)", "(none) (n = 2)", "Total (n = 5)"]
    assert shown.iloc[1].tolist() == ["Enablers", "2 (100%)", "0 (0%)", "1 (50%)", "3 (60%)"]


def test_depth_one_rolls_codes_up_and_leaves_keep_their_row(project):
    table = theme_table(load(project), by="attribute:role", depth=1)
    assert grid(table) == {
        "Barriers/Inst": [2, 0, 0, 2],  # P1 through Liability (two coders, one passage), P2
        "Barriers/Visa": [1, 1, 1, 3],  # P1 in d7, P3, and d5's own case
        "Enablers/Inst": [1, 0, 1, 2],
        "Enablers/Funding": [1, 0, 0, 1],
        "Recommendations": [0, 1, 0, 1],  # a leaf above depth 1 is its own row
    }
    assert table.codes["Barriers/Inst"] == ["Barriers/Inst", "Barriers/Inst/Liability"]
    assert "1 passage coded directly on codes above depth 1 (Barriers) is in no row." in table.notes
    assert table.percent("Barriers/Visa", "faculty") == 50.0


def test_depth_two(project):
    table = theme_table(load(project), by="attribute:role", depth=2)
    assert table.themes == ["Barriers/Inst/Liability", "Barriers/Visa", "Enablers/Inst", "Enablers/Funding",
                            "Recommendations"]
    assert grid(table)["Barriers/Inst/Liability"] == [1, 0, 0, 1]
    assert ("2 passages coded directly on codes above depth 2 (Barriers, Barriers/Inst) are in no row."
            in table.notes)


def test_levels_cut_across_branches(project):
    data = load(project)
    table = theme_table(data, by="attribute:role", level=True)
    assert grid(table) == {"Institutional": [2, 0, 1, 3], "Immigration": [1, 1, 1, 3]}
    assert table.codes["Institutional"] == ["Barriers/Inst", "Barriers/Inst/Liability", "Enablers/Inst"]
    assert ("3 passages of codes without a level (branch Recommendations; codes Barriers, Enablers/Funding) are "
            "in no row."
            in table.notes)
    split = theme_table(data, by="attribute:role", level=True, per_branch=True)
    assert grid(split) == {"Barriers · Institutional": [2, 0, 0, 2], "Barriers · Immigration": [1, 1, 1, 3],
                           "Enablers · Institutional": [1, 0, 1, 2]}
    assert split.as_dict()["level"] == "per branch" and "depth" not in split.as_dict()


def test_document_groups_count_a_participant_where_they_said_it(project):
    table = theme_table(load(project), by="group", depth=1)
    assert table.groups == ["Wave 1", "Wave 2", NONE_GROUP]
    assert table.sizes == {"Wave 1": 2, "Wave 2": 2, NONE_GROUP: 2}  # P1 is in both waves
    # P1 raised visa only in d7 (Wave 2): Wave 1 counts P3 alone.
    assert grid(table)["Barriers/Visa"] == [1, 1, 1, 3]
    assert grid(table)["Barriers/Inst"] == [1, 1, 0, 2]
    assert grid(table)["Enablers/Funding"] == [1, 0, 0, 1]


def test_one_coder_set_sizes_count_only_documents_it_coded(project):
    data = load(project, coding_set="coder:ana")
    table = theme_table(data, by="attribute:role", depth=1)
    assert table.sizes == {"faculty": 2, "IMG": 1, NONE_GROUP: 1} and table.total_size == 4
    assert grid(table) == {"Barriers/Inst": [1, 0, 0, 1], "Barriers/Visa": [0, 1, 0, 1],
                           "Enablers/Inst": [1, 0, 1, 2], "Enablers/Funding": [1, 0, 0, 1],
                           "Recommendations": [0, 1, 0, 1]}
    assert "Only the 4 of 7 documents with codings in the set are counted (not coded: d5, d6, d7)." in table.notes
    wide = theme_table(data, by="attribute:role", depth=1, include_uncoded=True)
    assert wide.sizes == {"faculty": 2, "IMG": 2, NONE_GROUP: 2} and wide.total_size == 6
    assert wide.percent("Barriers/Visa", "IMG") == 50.0
    assert table.as_dict()["set"] == {"kind": "coder", "coders": ["ana"]}


def test_consensus_is_the_default_once_it_covers_everything(project):
    add_consensus(project)
    data = load(project)
    assert data.coding_set.kind == "consensus"
    table = theme_table(data, by="attribute:role")
    assert grid(table) == {"Barriers": [1, 1, 1, 3], "Enablers": [1, 0, 1, 2], "Recommendations": [0, 0, 0, 0]}
    assert table.as_dict()["set"]["kind"] == "consensus"


def test_theme_filter_and_clear_errors(project):
    data = load(project)
    assert theme_table(data, by="attribute:role", depth=1, themes=["Barriers"]).themes == \
        ["Barriers/Inst", "Barriers/Visa"]
    with pytest.raises(AnalysisError, match=r"no participant attribute 'rank' \(known: attribute:role"):
        theme_table(data, by="attribute:rank")
    with pytest.raises(AnalysisError, match="must be attribute:NAME or group"):
        theme_table(data, by="role")
    with pytest.raises(AnalysisError, match="depth must be 0 .* to 2"):
        theme_table(data, by="attribute:role", depth=3)
    with pytest.raises(AnalysisError, match="not both"):
        theme_table(data, by="attribute:role", depth=1, level=True)
    with pytest.raises(AnalysisError, match="no theme 'Nope'"):
        theme_table(data, by="attribute:role", themes=["Nope"])


def test_no_levels_and_no_groups_say_what_to_do(db):
    build_project(db, levels=False, groups=False)
    data = load(db)
    with pytest.raises(AnalysisError, match="no code has a level yet"):
        theme_table(data, by="attribute:role", level=True)
    with pytest.raises(AnalysisError, match="no document in scope is in a document group"):
        theme_table(data, by="group")


def test_json_form(project):
    out = theme_table(load(project), by="attribute:role", depth=1).as_dict()
    assert out["groups"] == [{"name": "faculty", "participants": 2}, {"name": "IMG", "participants": 1},
                             {"name": NONE_GROUP, "participants": 2}]
    visa = out["rows"][1]
    assert visa["theme"] == "Barriers/Visa" and visa["codes"] == ["Barriers/Visa"]
    assert visa["cells"] == {"faculty": {"participants": 1, "percent": 50.0},
                             "IMG": {"participants": 1, "percent": 100.0},
                             NONE_GROUP: {"participants": 1, "percent": 50.0}}
    assert visa["total"] == {"participants": 3, "percent": 60.0}
    assert out["depth"] == 1 and out["unit"] == "participants" and out["by"] == "attribute:role"


def test_key_quotes_one_per_passage_with_participant_and_group(project):
    data = load(project)
    table = theme_table(data, by="attribute:role", depth=1)
    quotes = theme_quotes(data, table)
    visa = quotes["Barriers/Visa"]
    assert visa.kind == "key" and len(visa.quotes) == 1  # ana 0-9 and ben 5-14 overlap: one passage
    q = visa.quotes[0]
    assert (q.text, q.participant, q.group, q.document) == (TEXT[0:14], "P3", "IMG", "d3")
    assert q.coders == ["ana", "ben"] and q.starred_by == ["ana", "ben"] and q.codes == ["Barriers/Visa"]
    inst = quotes["Enablers/Inst"].quotes
    assert [(x.participant, x.group, x.text, x.coders) for x in inst] == [("P2", "faculty", "aaaa", ["ana"])]
    assert quotes["Barriers/Inst"].kind == "none" and quotes["Barriers/Inst"].quotes == []
    assert quotes["Barriers/Inst"].describe() == "No key quote starred for this theme."


def test_identical_starred_codings_of_two_coders_are_one_quote(db):
    build_project(db, starred=[("d1", "ana", 0), ("d1", "ben", 0)])
    data = load(db)
    table = theme_table(data, by="attribute:role")
    quotes = theme_quotes(data, table)["Barriers"]
    assert [(q.text, q.participant, q.starred_by) for q in quotes.quotes] == [("aaaa", "P1", ["ana", "ben"])]
    assert quotes.starred == 1


def test_fallback_passages_are_said_to_be_automatic(project):
    data = load(project)
    table = theme_table(data, by="attribute:role", depth=1)
    quotes = theme_quotes(data, table, limit=1, fallback=True)
    inst = quotes["Barriers/Inst"]
    assert inst.kind == "representative" and "chosen automatically" in inst.describe()
    # P1's passage is coded by both coders, P2's by ben alone: the first wins the one place.
    assert [(q.participant, q.coders, q.starred_by) for q in inst.quotes] == [("P1", ["ana", "ben"], [])]
    assert quotes["Barriers/Visa"].kind == "key"  # a starred theme keeps its stars


def test_quotes_spread_over_participants_then_limit(db):
    build_project(db, starred=[("d3", "ana", 0), ("d5", "ben", 0), ("d7", "ben", 0)])
    data = load(db)
    table = theme_table(data, by="attribute:role", depth=1)
    visa = theme_quotes(data, table, limit=2)["Barriers/Visa"]
    assert visa.starred == 3 and [q.participant for q in visa.quotes] == ["P3", "d5"]
    assert visa.describe() == "Key quotes starred by the coders (2 of 3 shown)."
    doc_less = visa.quotes[1]
    assert doc_less.group == NONE_GROUP and doc_less.document == "d5"


# -- the chart ----------------------------------------------------------------------------

LONG = "Reluctance of institutions toward candidates trained outside the United States"


def _png_pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGBA/RGB bytes) of an 8-bit non-interlaced PNG (what kaleido writes)."""
    import struct
    import zlib

    pos, chunks, header = 8, [], None
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, bits, colour, _, _, interlace = header
    assert bits == 8 and interlace == 0 and colour in (2, 6)
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r) for r in rows]


@pytest.fixture
def forty(tmp_path):
    """40 themes with long labels (the longest :data:`LONG`), coded for 3 participants."""
    from qualcode.store.db import Database

    db = Database(tmp_path / "forty.db")
    codes = [f"Theme {i:02d}/{'Barrier about ' + 'very ' * (i % 7) + 'long matters'}" for i in range(39)]
    codes.append(f"Theme 39/{LONG}")
    build(db, documents={f"d{i}": {"text": TEXT, "participant": f"P{i}"} for i in range(3)}, codes=codes,
          codings=[(f"d{i % 3}", c, "ana", 0, 4) for i, c in enumerate(codes)],
          attributes={"P0": {"role": "Leadership and faculty"}, "P1": {"role": "<b>IMG</b>"},
                      "P2": {"role": "Leadership and faculty"}})
    yield load(db)
    db.close()


def test_chart_height_and_margin_grow_with_rows_and_labels(forty):
    from qualcode.analysis.theme_chart import text_width, theme_heatmap

    table = theme_table(forty, by="attribute:role", depth=1)
    assert len(table.themes) == 40
    fig = theme_heatmap(table)
    m = fig.layout.margin
    assert (fig.layout.height - m.t - m.b) / 40 >= 18
    longest = "Theme 39/" + LONG
    assert list(fig.data[0].y)[-1] == longest  # the full label, never abbreviated
    assert m.l >= text_width(longest)
    assert "&lt;b&gt;IMG&lt;/b&gt;" in fig.data[0].x[0] + fig.data[0].x[1]  # user text is not markup
    assert fig.data[0].z[39][2] == pytest.approx(100 / 3)


def _browser_or_skip():
    import os
    import shutil

    if shutil.which("chromium") or os.environ.get("BROWSER_PATH"):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Chromium is missing (apt-get install chromium); CI must test image export")
    pytest.skip("Chromium is missing (apt-get install chromium)")


def test_exported_png_and_svg_keep_every_label_inside(forty, tmp_path):
    """The rendered image, not the layout: no ink touches the left or right edge (a cut label
    would), and the SVG holds every label whole, its right end left of the plot."""
    import re
    from html import unescape

    from qualcode.analysis.theme_chart import image, text_width, theme_heatmap

    _browser_or_skip()
    table = theme_table(forty, by="attribute:role", depth=1)
    fig = theme_heatmap(table)
    png = image(fig, "png")
    (tmp_path / "forty.png").write_bytes(png)
    width, height, rows = _png_pixels(png)
    assert (width, height) == (fig.layout.width * 2, fig.layout.height * 2)  # scale 2
    bpp = len(rows[0]) // width

    def ink(x: int, y: int) -> bool:
        px = rows[y][x * bpp:x * bpp + 3]
        return max(px) - min(px) > 40 or max(px) < 200  # coloured or dark: not the white page

    top = int(fig.layout.margin.t * 2)  # the rows' part of the image, below the title and headers
    edge = [x for x in range(width) if any(ink(x, y) for y in range(top, height, 3))]
    assert edge and edge[0] >= 8 and edge[-1] <= width - 8, (edge[:3], edge[-3:])
    svg = image(fig, "svg").decode()
    ticks = re.findall(r'<g class="ytick"><text text-anchor="end" x="([\d.]+)"[^>]*>(.*?)</text>', svg)
    labels = [unescape(t).rstrip() for _, t in ticks]
    assert len(ticks) == 40 and set(labels) == set(table.themes)
    for x, label in ticks:
        assert float(x) - text_width(unescape(label).rstrip()) >= 0


def test_stars_of_the_coders_reach_the_consensus_layer(db):
    """ana starred her d2 Enablers/Inst coding (0-4) and both coders their d3 Visa codings; the
    consensus holds d2 Enablers/Inst 0-4 and d3 Visa 0-14, so both are key quotes on the consensus
    set, while the consensus d4 Enablers/Inst 5-9 (nobody starred there) is not."""
    build_project(db)
    add_consensus(db)
    data = load(db)
    assert data.coding_set.kind == "consensus"
    starred = data.codings[data.codings["key_quote"]]
    names = data.documents["document"].to_dict()
    assert sorted((names[r.document_id], r.start, r.end) for r in starred.itertuples()) == \
        [("d2", 0, 4), ("d3", 0, 14)]
