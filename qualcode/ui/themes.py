"""The Themes page: the theme × group table, its chart and its reports.

Rows are themes at a chosen depth of the code tree (codes below rolled up) or the codebook's
levels; columns are the values of a participant attribute (a derived grouping such as a
stakeholder group is one) or the document groups; a cell is the number and percent of the
group's participants who raised the theme, on the coding set chosen in the sidebar (the same
filters as every analysis page, :func:`qualcode.ui.analysis._filters`). Every download builds its
file only when its button is clicked.
"""

from __future__ import annotations

import streamlit as st

from qualcode.analysis import charts, theme_chart, theme_report
from qualcode.analysis.data import AnalysisError, ProjectData
from qualcode.analysis.themes import theme_quotes, theme_table
from qualcode.guards import md_text
from qualcode.store.db import Database
from qualcode.ui import analysis

HELP = ("A participant raised a theme when at least one passage of a code under it is in their documents, "
        "in the coding set. Percent = of the group's participants with a document coded in the set. "
        "Definitions and a worked example: docs/analysis.md, “Theme × group table”.")
MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown", "csv": "text/csv", "json": "application/json",
    "png": "image/png", "svg": "image/svg+xml",
}


def _by_options(data: ProjectData) -> list[str]:
    options = [f"attribute:{a}" for a in data.attributes.columns]
    if not data.document_groups.empty:
        options.append("group")
    return options


def _by_label(option: str) -> str:
    return "document groups" if option == "group" else option.split(":", 1)[1]


def _rows(data: ProjectData) -> dict:
    """The row choice (depth or level) as theme_table keyword arguments."""
    has_levels = data.codes["level"].map(lambda v: isinstance(v, str) and bool(v.strip())).any()
    kinds = ["Depth in the code tree"] + (["Codebook levels"] if has_levels else [])
    kind = st.radio("Rows", kinds, horizontal=True, key="th_rows",
                    help=None if has_levels else "Levels appear here once codes have a `level:` in the codebook.")
    if kind == "Codebook levels":
        per_branch = st.checkbox("Keep branches apart (Barriers · Institutional)", value=True, key="th_branch",
                                 help="Off: a level pools every branch (Barriers and Enablers together).")
        return {"level": True, "per_branch": per_branch}
    deepest = int(data.codes["depth"].max()) if len(data.codes) else 0
    codes = data.codes.sort_values("order")
    example = {d: codes.loc[codes["depth"] == d, "path"].iloc[0] for d in range(deepest + 1)
               if (codes["depth"] == d).any()}
    depth = st.selectbox("Depth", list(range(deepest + 1)), index=min(1, deepest), key="th_depth",
                         format_func=lambda d: f"{d} — " + ("top-level themes" if d == 0 else "")
                         + (f"{', e.g. ' if d == 0 else 'e.g. '}{example[d]}" if d in example else ""))
    return {"depth": depth}


def _downloads(data: ProjectData, table, quotes: int, fallback: bool, fig) -> None:
    """One button per format; each file is built only when its button is clicked."""
    def report(fmt: str):
        def build() -> bytes:
            picked = theme_quotes(data, table, limit=quotes, fallback=fallback) if quotes and fmt != "csv" else None
            return theme_report.render(table, fmt, picked)
        return build

    def image(fmt: str):
        def build() -> bytes:
            # kaleido on the server; when it cannot run, the error is shown rather than saved as
            # an image. The chart's own camera button (drawn by the browser) needs no server.
            return theme_chart.image(fig, fmt)
        return build

    stem = f"themes-by-{_by_label(table.by).replace(' ', '-')}"
    columns = st.columns(7)
    for col, fmt, maker in zip(columns, ["docx", "md", "xlsx", "csv", "json", "png", "svg"],
                               [report] * 5 + [image] * 2):
        col.download_button(fmt.upper(), maker(fmt), f"{stem}.{fmt}", MIME[fmt], key=f"th_{fmt}",
                            on_click="ignore", width="stretch")


def page_themes(db: Database) -> None:
    """Choose the grouping, rows and quotes; show the table, the chart and the downloads."""
    st.header("Themes", help=HELP)
    data = analysis._filters(db)
    if data is None:
        return
    options = _by_options(data)
    if not options:
        st.info("No participant attributes or document groups yet: import participant attributes "
                "(Import page) or create document groups to compare groups.")
        return
    c1, c2 = st.columns([1, 1])
    with c1:
        by = st.selectbox("Columns: participants grouped by", options, key="th_by", format_func=_by_label)
    with c2:
        rows = _rows(data)
    q1, q2 = st.columns([1, 1])
    quotes = q1.number_input("Key quotes per theme (DOCX, MD, XLSX, JSON)", min_value=0, max_value=20, value=3,
                             key="th_quotes")
    fallback = q2.checkbox("No star: show passages coded by the most coders", key="th_fallback",
                           help="Labelled in the report as chosen automatically, not by a researcher.")
    try:
        table = theme_table(data, by=by, **rows)
    except AnalysisError as exc:
        st.error(md_text(exc))
        return
    st.caption(md_text(f"Rows: {table.rows_label}. Columns: participants by {table.by_label}; Total = all "
                       f"{table.total_size} participants in scope. {table.counted()}"))
    for note in table.notes:
        if note != data.coding_set.note:
            st.caption(md_text(note))
    shown = table.display()
    # the theme column sized to its longest label (capped), so a theme's name is read, not guessed
    longest = int(shown["theme"].astype(str).str.len().max()) if len(shown) else 10
    st.dataframe(shown, hide_index=True, width="stretch", key="th_table",
                 height=min(36 * (len(shown) + 1) + 4, 1200),
                 column_config={"theme": st.column_config.TextColumn(
                     "theme", width=min(max(int(6.5 * longest), 160), 400), pinned=True)})
    fig = theme_chart.theme_heatmap(table)
    _downloads(data, table, int(quotes), fallback, fig)
    st.plotly_chart(fig, key="th_chart", width="content", theme=None,  # as exported
                    config=charts.image_config(fig, "themes"))  # the camera: drawn by the browser


PAGES = {"Themes": page_themes}
