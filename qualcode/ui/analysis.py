"""Streamlit pages for analysis: Frequencies, Co-occurrence, Matrices, Query, Excerpts.

Every page reads its filters from the sidebar — the **coding set** (the consensus layer, one
coder, or several coders counted as passages; by default what the library resolves), documents
and attribute values — asks ``qualcode.analysis`` for DataFrames and figures, and says on the
page which set it counted (with the library's note and a way to the Agreement page when the
default had to fall back to all coders). Counts of text are *passages*.

**Once per change, not per click.** The project is read through :func:`_cached_load`, kept by
Streamlit (``st.cache_resource``) under the database, project, viewer, set and filters and the
change log's newest id: every change in qualcode writes one change-log entry, so a new id means
the data may have changed and anything older is never shown. Downloads hand Streamlit a
function, run only when the button is clicked (XLSX and DOCX cost a moment each), never on
every rerun. Chart images are drawn by the reader's browser (Plotly's modebar camera, PNG or
SVG), so the app needs no kaleido or server Chromium. Excerpts are shown 50 a page; downloads
take every row. Transcript text in tables is shown by ``st.dataframe``, which renders it as
text.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.analysis import charts
from qualcode.analysis import excerpts as ex
from qualcode.analysis.cooccurrence import MEASURES, UNITS, cooccurrence
from qualcode.analysis.data import CONSENSUS, AnalysisError, ProjectData, load
from qualcode.analysis.frequencies import frequencies
from qualcode.analysis.matrices import code_by_attribute, code_by_document
from qualcode.analysis.queries import (
    QUERY_UNITS,
    apply_autocode,
    code_query,
    lemma_search_available,
    preview_autocode,
    search,
    undo_autocode,
)
from qualcode.guards import md_text, plotly_text
from qualcode.store.db import Database
from qualcode.team.access import AccessDenied

#: The coding-set choices of the sidebar, and the CodingSet kind each stands for.
SET_CHOICES = {"Consensus": "consensus", "One coder": "coder", "Several coders": "coders"}
PASSAGES_HELP = ("A passage is one code's overlapping codings in a document, from any coder of the set: "
                 "two coders coding one sentence alike give 1 passage and 2 codings.")


def last_change(db: Database) -> int:
    """The change log's newest id (0 for none): one indexed read that moves with every change."""
    from sqlalchemy import func, select

    from qualcode.store.models import ChangeLog

    with db.session(readonly=True) as s:
        return int(s.scalar(select(func.max(ChangeLog.id))) or 0)


@st.cache_resource(show_spinner="Reading the project…", max_entries=8, ttl=1800)
def _cached_load(_db: Database, database: str, project, viewer: str | None, changed: int,
                 coding_set: str | None, documents: tuple, attributes: tuple) -> ProjectData:
    """:func:`~qualcode.analysis.data.load`, kept per (database, project, viewer, change-log id,
    set, filters); ``_db`` is not part of the key (``database``/``project`` name it)."""
    return load(_db, coding_set=coding_set, documents=list(documents) or None,
                attributes={k: list(v) for k, v in attributes} or None, viewer=viewer)


def _load(db: Database, viewer: str | None, changed: int, coding_set: str | None = None,
          documents: tuple = (), attributes: tuple = ()) -> ProjectData:
    return _cached_load(db, db.display_name, db.project, viewer, changed, coding_set, documents, attributes)


def _choose_set(base: ProjectData, me: str | None) -> str | None:
    """The sidebar's coding-set choice as a ``--set`` spec, starting at the library's default."""
    people = [c for c in base.coders if c != CONSENSUS]
    if not base.coders:
        return None
    choices = [c for c, kind in SET_CHOICES.items() if kind != "consensus" or CONSENSUS in base.coders]
    if not people:
        choices = ["Consensus"]
    default = {v: k for k, v in SET_CHOICES.items()}[base.coding_set.kind]
    kind = SET_CHOICES[st.radio("Coding set", choices, index=choices.index(default) if default in choices else 0,
                                key="an_set_kind",
                                help="Whose codings every count, chart and export on these pages uses. "
                                     + PASSAGES_HELP)]
    if kind == "consensus":
        return "consensus"
    if kind == "coder":
        first = base.coding_set.coders[0] if base.coding_set.kind == "coder" else me if me in people else people[0]
        name = st.selectbox("Coder", people, index=people.index(first) if first in people else 0,
                            key="an_set_coder")
        return f"coder:{name}"
    chosen = base.coding_set.coders if base.coding_set.kind == "coders" else people
    names = st.multiselect("Coders (counted as passages)", people,
                           default=[c for c in chosen if c in people], key="an_set_coders")
    return "coders:" + ",".join(names) if names else ""


def _to_agreement() -> None:
    st.session_state["page"] = "Agreement"


def _filters(db: Database) -> ProjectData | None:
    """Sidebar filters, then the filtered project data (None, with a message, when unusable).

    In blind coding, a coder analyses only their own codings: nobody's work is shown to
    another coder before the blind phase is over.
    """
    from qualcode.team.settings import is_blind

    me = (st.session_state.get("coder") or "").strip() or None
    blind = is_blind(db)
    if blind and me is None:
        st.info("Blind coding is on: choose your coder name in the sidebar to analyse your own codings.")
        return None
    changed = last_change(db)
    # Read as the coder only where it can change what is seen (blind coding) or who may read
    # (accounts); in single-user mode everybody sees everything, and one cached copy serves
    # every coder name instead of one copy of the whole project per name.
    viewer = me if blind or st.session_state.get("account") else None
    try:
        base = _load(db, viewer, changed)
    except AnalysisError as exc:
        st.error(md_text(exc))
        return None
    with st.sidebar:
        st.subheader("Filters")
        if blind:
            st.caption(f"Blind coding is on: only {md_text(me)}'s codings are analysed.")
            if me not in base.coders:
                st.info("You have no codings yet.")
                return None
            spec = f"coder:{me}"
        else:
            spec = _choose_set(base, me)
        docs = st.multiselect("Documents (none = all)", base.documents["document"].tolist(),
                              key="an_documents")
        attributes = {}
        for name in base.attributes.columns:
            values = sorted({str(v) for v in base.attributes[name].dropna()})
            chosen = st.multiselect(name, values, key=f"an_attr_{name}")
            if chosen:
                attributes[name] = chosen
    if spec == "":
        st.info("Choose at least one coder for the coding set (sidebar).")
        return None
    default = spec is None or spec == base.coding_set.spec
    try:
        if default and not docs and not attributes:
            data = base  # the same read: never load twice in one rerun
        else:
            data = _load(db, viewer, changed, spec, tuple(docs),
                         tuple((k, tuple(v)) for k, v in sorted(attributes.items())))
    except AnalysisError as exc:
        st.error(md_text(exc))
        return None
    st.caption(f"Coding set: {md_text(data.coding_set.label)}")
    note = data.coding_set.note or (base.coding_set.note if default else "")
    if note and not blind:
        st.info(md_text(note))
        if base.coding_set.kind != "consensus":
            st.button("Open the Agreement page to adjudicate", key="an_to_agreement", on_click=_to_agreement)
    if data.codings.empty:
        st.info("No codings match these filters yet: code some passages (or widen the filters).")
    return data


@st.cache_resource(max_entries=16, ttl=1800, hash_funcs={ProjectData: id},
                   show_spinner="Building the table and chart…")
def _kept(data: ProjectData, what: str, *args):
    """A table or figure derived from one cached project copy (``_cached_load``), kept as long
    as that copy: a rerun that changes neither (paging, a download, another widget) does not
    build it again. Keyed by the copy's identity; the entry holds the copy, so the identity
    cannot be reused by another while the entry lives. Callers never change what they get."""
    if what == "excerpts":
        code, context = args
        return data, ex.excerpts(data, code=code, context=context)
    if what == "by_document":
        (value,) = args
        return data, code_by_document(data, value=value)
    if what == "by_document_chart":
        (value,) = args
        return data, charts.heatmap(_kept(data, "by_document", value)[1],
                                    title=f"{value.capitalize()} per code and document")
    raise ValueError(what)


#: Widest code × document heatmap drawn without being asked (a column is 26 px).
DRAWN_COLUMNS = 150


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for ``st.dataframe``: the same data without its ``attrs``, which pandas would
    deep-copy once per column while Streamlit converts a 1,000-column table."""
    plain = frame.copy(deep=False)
    plain.attrs = {}
    return plain


def _table_downloads(frame: pd.DataFrame, name: str, key: str, *, index: bool = False) -> None:
    """CSV and XLSX buttons; each file is written only when its button is clicked."""
    c1, c2, _ = st.columns([1, 1, 4])

    def as_csv() -> bytes:
        table = frame.reset_index() if index else frame
        table.attrs.update(frame.attrs)
        return ex.to_csv(table)

    c1.download_button("CSV", as_csv, f"{name}.csv", "text/csv", key=f"{key}_csv", on_click="ignore")
    c2.download_button("XLSX", lambda: ex.to_xlsx(frame, index=index), f"{name}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"{key}_xlsx", on_click="ignore")


IMAGE_HELP = ("To save a chart as an image, point at it and click the camera (\"Download plot\") at its top "
              "right: your browser draws it, at the chart's full size with every label.")


def _chart(fig, name: str, key: str) -> None:
    """The chart, saved as PNG or SVG by the reader's browser (Plotly's modebar camera; nothing
    on the server), and an HTML download built only when clicked."""
    fmt = st.session_state.get(f"{key}_imgfmt") or "PNG"
    natural = int(fig.layout.width or 0)
    if natural:
        # A figure that knows its natural width (heatmaps, the network) is drawn at it, so columns
        # keep their size and labels their room; wider than the page, it scrolls sideways.
        st.html(f"<style>.st-key-{key}_scroll {{overflow-x: auto;}} "
                f".st-key-{key}_scroll .st-key-{key}_chart {{min-width: {natural}px;}}</style>")
        with st.container(key=f"{key}_scroll"):
            st.plotly_chart(fig, key=f"{key}_chart", width="content",
                            config=charts.image_config(fig, name, fmt.lower()))
    else:
        st.plotly_chart(fig, key=f"{key}_chart", width="stretch",
                        config=charts.image_config(fig, name, fmt.lower()))
    c1, c2, c3 = st.columns([2, 1, 5], vertical_alignment="center")
    c1.segmented_control("Camera saves", ["PNG", "SVG"], default="PNG", key=f"{key}_imgfmt",
                         label_visibility="collapsed", help="The format the chart's camera button saves")
    c2.download_button("HTML", lambda: charts.to_html(fig), f"{name}.html", "text/html", key=f"{key}_html",
                       on_click="ignore")
    c3.caption(IMAGE_HELP)


def page_frequencies(db: Database) -> None:
    st.header("Frequencies", help="Definitions with a worked example — passages, codings, documents, participants and words coded: see docs/analysis.md, “Frequencies”.")
    data = _filters(db)
    if data is None:
        return
    options = ["(none)", "document", "coder", "speaker"] + [f"attribute:{a}" for a in data.attributes.columns]
    by = st.selectbox("Break down by", options, key="freq_by")
    by = None if by == "(none)" else by
    rollup = st.checkbox("Roll sub-codes up into their themes", value=True, key="freq_rollup")
    value = st.selectbox("Bar length", ["passages", "codings", "documents", "participants", "words"],
                         key="freq_value", help=PASSAGES_HELP)
    freq = frequencies(data, by=by, rollup=rollup)
    st.caption(f"{PASSAGES_HELP} Words coded count the union of coded text: overlapping codings are not "
               "counted twice.")
    column = by.split(":", 1)[1] if by and by.startswith("attribute:") else by
    if not data.codings.empty:
        _chart(charts.frequency_bars(freq, value=value, stack=column), "frequencies", "freq")
    st.dataframe(freq, hide_index=True, width="stretch", key="freq_table")
    _table_downloads(freq, "frequencies", "freq")
    if not data.codings.empty and by is None:
        own = frequencies(data, rollup=False)
        _chart(charts.sunburst(data, own, value=value), "code-tree", "sunburst")


def page_cooccurrence(db: Database) -> None:
    st.header("Co-occurrence", help="Definitions with a worked example — what n1 and n12 count at each unit, and the measures: see docs/analysis.md, “Co-occurrence”.")
    data = _filters(db)
    if data is None:
        return
    c1, c2, c3 = st.columns(3)
    unit = c1.selectbox("Unit", UNITS, key="co_unit")
    measure = c2.selectbox("Measure", MEASURES, key="co_measure")
    window = c3.number_input("N sentences (window unit)", 0, 20, 1, key="co_window")
    tops = data.codes.loc[data.codes["depth"] == 0, "path"].tolist()
    cross = st.checkbox("Cross matrix: rows from one branch, columns from another", key="co_cross")
    rows = columns = None
    if cross and tops:
        rows = st.selectbox("Rows", tops, key="co_rows")
        columns = st.selectbox("Columns", tops, index=min(1, len(tops) - 1), key="co_columns")
    cluster = st.checkbox("Cluster similar codes together", key="co_cluster")
    try:
        matrix = cooccurrence(data, unit=unit, measure=measure, window=int(window), rows=rows, columns=columns)
    except AnalysisError as exc:
        st.error(md_text(exc))
        return
    st.caption(f"Unit: {unit}; measure: {measure}" + ("; P(column | row)" if measure == "conditional" else "")
               + f". {md_text(matrix.attrs.get('counted', ''))}; a co-occurrence needs one coder to have "
                 "applied both codes.")
    if matrix.empty:
        st.info("No codes to compare yet.")
        return
    if measure == "jaccard" and matrix.attrs["frequency_flags"]:
        st.warning(f"{len(matrix.attrs['frequency_flags'])} cells compare codes where one is more than "
                   "5× as frequent as the other: the c-coefficient understates how often the rarer "
                   "one occurs with the other.")
    _chart(charts.heatmap(matrix.fillna(0), cluster=cluster), "cooccurrence-heatmap", "coheat")
    if not cross:
        _chart(charts.network(matrix.fillna(0)), "cooccurrence-network", "conet")
    st.dataframe(_shown(matrix), width="stretch", key="co_table")
    _table_downloads(matrix, "cooccurrence", "co", index=True)


def page_matrices(db: Database) -> None:
    st.header("Matrices", help="Definitions with a worked example — codes × documents or attribute values, counted as passages by default: see docs/analysis.md.")
    data = _filters(db)
    if data is None:
        return
    value = st.selectbox("Cell value", ["passages", "codings", "words"], key="mx_value", help=PASSAGES_HELP)
    by_doc = _kept(data, "by_document", value)[1]
    st.subheader("Code × document")
    wide = by_doc.shape[1] > DRAWN_COLUMNS
    if not by_doc.empty and (not wide or st.toggle(
            f"Draw the heatmap ({by_doc.shape[1]:,} documents wide)", key="mx_draw",
            help="A heatmap this wide takes a while to draw and scrolls far sideways; the table "
                 "below and its downloads hold the same numbers.")):
        _chart(_kept(data, "by_document_chart", value)[1], "code-by-document", "mxdoc")
    st.dataframe(_shown(by_doc), width="stretch", key="mx_doc_table")
    _table_downloads(by_doc, "code-by-document", "mxdoc", index=True)
    if len(data.attributes.columns):
        st.subheader("Code × attribute")
        attribute = st.selectbox("Attribute", list(data.attributes.columns), key="mx_attribute")
        by_attr = code_by_attribute(data, attribute, value=value)
        if not by_attr.empty and by_attr.shape[1]:
            _chart(charts.heatmap(by_attr, title=f"{value.capitalize()} per code and {plotly_text(attribute)}"),
                   "code-by-attribute", "mxattr")
        st.dataframe(by_attr, width="stretch", key="mx_attr_table")
        _table_downloads(by_attr, "code-by-attribute", "mxattr", index=True)


def page_query(db: Database) -> None:
    st.header("Query", help="Definitions with a worked example — AND/OR need one coder of the set to have applied the codes: see docs/analysis.md.")
    data = _filters(db)
    if data is None:
        return
    paths = data.codes.sort_values("order")["path"].tolist()
    st.subheader("Codes within a unit")
    c1, c2, c3, c4 = st.columns(4)
    all_of = c1.multiselect("All of (AND)", paths, key="q_all")
    any_of = c2.multiselect("Any of (OR)", paths, key="q_any")
    none_of = c3.multiselect("None of (NOT)", paths, key="q_none")
    unit = c4.selectbox("Unit", QUERY_UNITS, key="q_unit")
    if all_of or any_of:
        found = code_query(data, all_of=all_of, any_of=any_of, none_of=none_of, unit=unit)
        st.caption(f"{len(found)} {unit}s. Codes asked for together must come from one coder of the set "
                   "(the coders column says whose codings matched).")
        st.dataframe(found, hide_index=True, width="stretch", key="q_codes_table")
        _table_downloads(found, "code-query", "qcodes")
    st.subheader("Text search")
    c1, c2, c3 = st.columns([3, 1, 1])
    pattern = c1.text_input("Word or phrase", key="q_text")
    regex = c2.checkbox("Regular expression", key="q_regex")
    lemma = c3.checkbox("By lemma", key="q_lemma", disabled=not lemma_search_available(),
                        help=None if lemma_search_available() else
                        "Lemma search is unavailable: install spacy-lookups-data")
    if not pattern.strip():
        return
    try:
        hits = search(data, pattern, regex=regex, lemma=lemma)
    except AnalysisError as exc:
        st.error(md_text(exc))
        return
    st.caption(f"{len(hits)} hits")
    st.dataframe(hits, hide_index=True, width="stretch", key="q_hits_table")
    _table_downloads(hits, "search", "qhits")
    from qualcode.ui.roles import may

    if hits.empty or not may("code", db):  # viewers search; they do not code
        return
    with st.expander("Code all hits"):
        c1, c2, c3 = st.columns(3)
        code = c1.selectbox("Into code", paths, key="q_auto_code")
        me = (st.session_state.get("coder") or "").strip() or None
        if st.session_state.get("account"):  # with accounts you code as yourself
            coder = c2.text_input("As coder", value=me, key="q_auto_coder", disabled=True)
        else:
            coder = c2.text_input("As coder", value=(data.coders or ["autocoder"])[0], key="q_auto_coder")
        extend = c3.selectbox("Code", ["match", "sentence", "turn"], key="q_auto_extend")
        preview = preview_autocode(db, data, hits, code, coder, extend=extend, viewer=me or coder)
        new = int((preview["status"] == "new").sum())
        st.caption(f"Preview: {new} new codings, {len(preview) - new} already coded (nothing written yet)")
        st.dataframe(preview, hide_index=True, width="stretch", key="q_preview")
        if st.button(f"Code {new} hits", key="q_apply", disabled=new == 0 or not coder.strip()):
            try:
                result = apply_autocode(db, data, hits, code, coder, extend=extend, query=pattern,
                                        actor=me)
            except AccessDenied as exc:
                st.error(md_text(exc))
            else:
                st.session_state["q_last_batch"] = result["batch"]
                st.success(f"Created {result['created']} codings (batch {result['batch']}).")
    batch = st.session_state.get("q_last_batch")
    if batch and st.button("Undo the last autocoding", key="q_undo"):
        try:
            result = undo_autocode(db, batch, actor=st.session_state.get("coder") or None)
        except AnalysisError as exc:
            st.error(md_text(exc))
        else:
            st.session_state.pop("q_last_batch")
            st.success(f"Removed {result['removed']} codings.")


#: Rows of a long table shown at once (#13): nothing is rendered the reader has not asked to see.
PAGE_ROWS = 50


def _paged(table: pd.DataFrame, key: str, noun: str = "passages") -> None:
    """``table`` 50 rows at a time with a page selector and "Showing 1–50 of N passages"; only
    the page's rows are sent to the browser (downloads still take every row)."""
    total = len(table)
    pages = max(1, -(-total // PAGE_ROWS))
    page = 1
    c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
    if pages > 1:
        if (st.session_state.get(f"{key}_page") or 1) > pages:  # fewer rows since: the last page
            st.session_state[f"{key}_page"] = pages
        page = int(c1.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1,
                                   key=f"{key}_page"))
    start = (page - 1) * PAGE_ROWS
    shown = table.iloc[start:start + PAGE_ROWS]
    if total:
        (c2 if pages > 1 else st).caption(f"Showing {start + 1}–{start + len(shown)} of {total:,} {noun}")
    st.dataframe(shown, hide_index=True, width="stretch", key=f"{key}_table")


def page_excerpts(db: Database) -> None:
    st.header("Excerpts", help="Definitions with a worked example — one row per passage, its coders listed: see docs/analysis.md, “Coding sets”.")
    data = _filters(db)
    if data is None:
        return
    paths = ["(all codes)"] + data.codes.sort_values("order")["path"].tolist()
    c1, c2 = st.columns(2)
    code = c1.selectbox("Code (with the codes below it)", paths, key="ex_code")
    context = c2.selectbox("Context", ["sentence", "100 characters", "300 characters", "none"], key="ex_context")
    ctx = {"sentence": "sentence", "100 characters": 100, "300 characters": 300, "none": 0}[context]
    table = _kept(data, "excerpts", None if code == "(all codes)" else code, ctx)[1]
    st.caption(f"{len(table)} passages ({int(table['codings'].sum())} codings). One row per passage: "
               "overlapping codings of one code are shown once, with the coders who coded them.")
    _paged(table, "ex")
    cols = st.columns(6)
    files = [
        ("CSV", lambda: ex.to_csv(table), "excerpts.csv", "text/csv", "ex_csv"),
        ("XLSX", lambda: ex.to_xlsx(table), "excerpts.xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ex_xlsx"),
        ("DOCX", lambda: ex.to_docx(table), "excerpts.docx",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "ex_docx"),
        ("Markdown", lambda: ex.to_markdown(table), "excerpts.md", "text/markdown", "ex_md"),
        ("JSON", lambda: ex.to_json(table), "excerpts.json", "application/json", "ex_json"),
        ("Wide 0/1 CSV", lambda: ex.to_csv(ex.wide_form(data)), "units-by-code.csv", "text/csv", "ex_wide"),
    ]
    for col, (label, make, file_name, mime, key) in zip(cols, files):
        col.download_button(label, make, file_name, mime, key=key, on_click="ignore")


#: Sidebar label → page function(db), merged into qualcode.ui.PAGES.
PAGES: dict = {
    "Frequencies": page_frequencies,
    "Co-occurrence": page_cooccurrence,
    "Matrices": page_matrices,
    "Query": page_query,
    "Excerpts": page_excerpts,
}
