"""The Agreement page: what was compared (units every coder rated, per pair), the per-code
summary first and the pooled figure second, statistics per code at the chosen unit, a
document × code breakdown, the methods paragraph (rewritten on every change) and exports, and a
disagreement browser that adjudicates into a consensus coder. All numbers come from
``qualcode.agreement.report``; this module only shows them."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from qualcode.agreement.adjudication import Passage, adjudicate, disagreements
from qualcode.agreement.methods import UNIT_WORDS
from qualcode.agreement.report import (
    RELIABLE,
    TENTATIVE,
    build_report,
    methods_paragraph,
    table_csv,
    table_xlsx,
)
from qualcode.agreement.summary import (
    compared_line,
    lead_line,
    missing_line,
    pairs_line,
    pooled_caution,
)
from qualcode.agreement.units import CONSENSUS, UNITS, AgreementInputError, build_unit_matrix, project_coders
from qualcode.guards import md_text
from qualcode.project.document_reads import document_names
from qualcode.store.db import Database

_CSS = """
<style>
.qc-sbs { border-collapse: collapse; width: 100%; table-layout: fixed; }
.qc-sbs th { text-align: left; padding: .3rem .5rem; border-bottom: 2px solid #ccc; }
.qc-sbs td { vertical-align: top; padding: .4rem .5rem; border-right: 1px solid #eee;
             white-space: pre-wrap; line-height: 1.5; }
.qc-sbs .qc-ctx { color: #666; }
.qc-sbs mark { background: #ffe08a; padding: 0 .1rem; border-radius: 2px; }
.qc-sbs td.qc-consensus mark { background: #b7e4c7; }
</style>
"""
_VERDICT_COLOURS = {"reliable": "#d8f3dc", "tentative": "#fff3bf", "unreliable": "#ffd6d6"}


def _marked(text: str, offset: int, spans: list[tuple[int, int]]) -> str:
    """``text`` (which starts at ``offset``) escaped, with ``spans`` wrapped in <mark>."""
    out, pos = [], 0
    for s, e in sorted(spans):
        s, e = max(s - offset, pos), min(e - offset, len(text))
        if s >= e:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


def side_by_side_html(passage: Passage, coders: list[str], consensus: str = CONSENSUS) -> str:
    """One passage with each coder's spans highlighted, coders side by side (escaped HTML)."""
    names = [*coders, consensus]
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    cells = []
    for name in names:
        spans = passage.consensus if name == consensus else passage.spans.get(name, [])
        body = (f'<span class="qc-ctx">{html.escape(passage.before)}</span>'
                + _marked(passage.text, passage.start, spans)
                + f'<span class="qc-ctx">{html.escape(passage.after)}</span>')
        cls = ' class="qc-consensus"' if name == consensus else ""
        cells.append(f"<td{cls}>{body}</td>")
    return (f'{_CSS}<table class="qc-sbs"><tr>{head}</tr><tr>{"".join(cells)}</tr></table>')


def _passage_label(p: Passage) -> str:
    text = p.text if len(p.text) <= 60 else p.text[:57] + "…"
    return f"{p.document} {p.start}–{p.end}: {text}"


def _verdict_style(value: str) -> str:
    colour = _VERDICT_COLOURS.get(value)
    return f"background-color: {colour}" if colour else ""


_MISSING_LABELS = {
    "comparable": "Comparable units only (rated by every coder)",
    "gwet": "All units, Gwet's missing-data treatment",
}


def _fmt3(v) -> str:
    return "—" if v is None else f"{v:.3f}"


def page_agreement(db: Database) -> None:
    st.header("Agreement", help="Comparable units, the per-code lead, Gwet's option and the paradox rule, with a worked example: docs/analysis.md, “Agreement”.")
    from qualcode.team.settings import is_blind

    if is_blind(db):
        st.info("Blind coding is on, so coders cannot see each other's codings yet. When every "
                "coder has finished, turn it off in Project settings to compare them here.")
        return
    me = st.session_state.get("coder") or None
    coders_all = project_coders(db, viewer=me)
    compared = [c for c in coders_all if c != CONSENSUS]
    if len(compared) < 2:
        st.info("Agreement needs two or more coders who coded the same documents. Record codings "
                "with `qualcode code DOCUMENT --coder NAME ...` or import a coding sheet.")
        return
    doc_names = document_names(db, viewer=st.session_state.get("coder") or None)
    left, middle, right = st.columns([3, 1, 1])
    coders = left.multiselect("Coders", compared, default=compared, key="agr_coders")
    unit = middle.selectbox("Unit", UNITS, key="agr_unit",
                            help="sentence, speaker turn, paragraph (line), character (as NVivo) "
                                 "or whole document")
    rollup = right.checkbox("Roll subcodes up", key="agr_rollup",
                            help="A coding of a subcode also counts for the codes above it.")
    chosen_docs = st.multiselect("Documents (all when none is chosen)", doc_names,
                                 key="agr_documents")
    first, second, third = st.columns([2, 1, 2])
    missing = first.selectbox(
        "Units compared", list(_MISSING_LABELS), format_func=_MISSING_LABELS.get,
        key="agr_missing",
        help="By default the statistics use only the units every chosen coder rated (the "
             "documents each of them coded). Gwet's treatment also counts units in documents "
             "some coder did not code; the results then say so.")
    bootstrap = second.checkbox("Bootstrap interval", value=True, key="agr_bootstrap",
                                help="A 95% percentile bootstrap interval for alpha (1,000 "
                                     "resamples of units).")
    exclude_suggested = third.checkbox(
        "Leave out codings accepted from suggestions", key="agr_exclude_suggested",
        help="Codings a coder accepted from learned suggestions are not independent judgements; "
             "the methods paragraph says whether they were left out.")
    documents = chosen_docs or None
    if len(coders) < 2:
        st.warning("Choose two or more coders.")
        return
    from qualcode.ui.analysis import last_change

    changed = last_change(db)  # one read keys both caches of this rerun
    try:
        report = _cached_report(db, db.display_name, db.project, me, changed, tuple(coders), unit,
                                tuple(documents or ()), rollup, exclude_suggested, missing,
                                1000 if bootstrap else 0)
    except AgreementInputError as exc:
        st.error(md_text(exc))
        return
    if report is None:
        st.info("These coders applied no code in these documents.")
        return
    _report_body(report, unit, len(coders) == 2)
    _disagreement_browser(db, list(report.matrix.codes), coders, documents, changed)


@st.cache_resource(show_spinner="Comparing the coders unit by unit…", max_entries=4, ttl=1800)
def _cached_report(_db: Database, database: str, project, viewer: str | None, changed: int,
                   coders: tuple, unit: str, documents: tuple, rollup: bool,
                   exclude_suggested: bool, missing: str, draws: int):
    """The agreement report (None when the coders applied no code), kept per database,
    project, viewer, change-log id and choice: a rerun that changes none of them (opening an
    expander, choosing a passage) does not compare again. Every figure, export and the methods
    paragraph read this one report; nothing here changes it."""
    matrix = build_unit_matrix(_db, coders=list(coders), unit=unit, documents=list(documents) or None,
                               rollup=rollup, viewer=viewer, exclude_suggested=exclude_suggested)
    if not matrix.codes:
        return None
    return build_report(matrix, draws=draws, missing=missing)


def _display_table(report, kappa: str):
    """The per-code table as shown: short headers, alpha's interval in one column, so that it
    fits the page without scrolling sideways (the downloads keep every column)."""
    table = report.table
    # "units" is left out: it is the same for every code (the compared units, stated above).
    shown = {"code": "code", "applied": "applied",
             "applied_by_all": "by all",
             # A coder named "all" keeps the long header, so no two columns share a name.
             **{c: c if c == "coded by all" else "by " + c.removeprefix("coded by ")
                for c in table.columns if c.startswith("coded by ")},
             "percent": "percent", kappa: kappa, "alpha": "alpha"}
    frame = table[list(shown)].rename(columns=shown)
    if report.draws:
        frame["95% CI"] = [
            "—" if not (pd.notna(lo) and pd.notna(hi)) else f"{lo:.3f}–{hi:.3f}"
            for lo, hi in zip(table["alpha_low"], table["alpha_high"])]
    frame["AC1"] = table["ac1"]
    frame["verdict"] = table["verdict"]
    return frame.style.format(precision=3, na_rep="—").map(_verdict_style, subset=["verdict"])


def _report_body(report, unit: str, two: bool) -> None:
    """What was compared, the per-code lead, the pooled figure, the table, the paradox note
    (once), the breakdown, the methods paragraph and the downloads."""
    compared = [compared_line(report.comparable, unit), pairs_line(report.pairs),
                missing_line(report.missing, report.comparable)]
    st.markdown("**Compared:** " + md_text(" · ".join(c for c in compared if c)) + ".")
    st.caption(
        f"thresholds (Krippendorff 2004): alpha ≥ {RELIABLE:.3f} reliable, "
        f"{TENTATIVE:.3f}–{RELIABLE:.3f} tentative, below {TENTATIVE:.3f} unreliable"
        + (" · 95% bootstrap interval for alpha" if report.draws else "")
    )
    kappa = "cohen" if two else "fleiss"
    lines = [f"**{md_text(lead_line(report.overall['per_code']))}**"]
    pooled = report.overall["pooled"]
    if pooled:
        lines.append(
            f"Pooled over codes: percent {_fmt3(pooled['percent'])}, {kappa} "
            f"{_fmt3(pooled[kappa])}, alpha {_fmt3(pooled['alpha'])}, AC1 "
            f"{_fmt3(pooled['ac1'])} — "
            + md_text(pooled_caution(report.overall["absent_share"], UNIT_WORDS[unit][0])) + ".")
    st.markdown("  \n".join(lines))

    # The code stays in view when a wide table (long code paths, many coders) scrolls sideways.
    st.dataframe(_display_table(report, kappa), hide_index=True, width="stretch", key="agr_table",
                 column_config={"code": st.column_config.TextColumn("code", pinned=True)})
    if report.paradox:
        st.info(md_text(report.paradox["note"]))

    # Built only when asked for: at 1,000 documents it is a 1,000-row table.
    if st.toggle("Document × code (alpha)", key="agr_by_document_on"):
        pivot = report.by_document.pivot(index="document", columns="code", values="alpha")
        st.dataframe(pivot, width="stretch", key="agr_by_document",
                     column_config={c: st.column_config.NumberColumn(c, format="%.3f")
                                    for c in pivot.columns})

    methods = methods_paragraph(report)
    # The box shows this run's paragraph: a widget keeps its first value once its key is in
    # the session, so the text is written into the session before the widget is drawn.
    st.session_state["agr_methods_text"] = methods
    with st.expander("Methods paragraph", expanded=True):
        st.text_area("Ready to paste", height=260, key="agr_methods_text")
    a, b, c = st.columns(3)
    a.download_button("Download CSV", table_csv(report).encode("utf-8-sig"),
                      file_name=f"agreement_{unit}.csv", mime="text/csv", key="agr_csv")
    # The workbook is built only when the button is clicked (openpyxl is the slow part).
    b.download_button("Download XLSX", lambda: table_xlsx(report), file_name=f"agreement_{unit}.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      key="agr_xlsx")
    c.download_button("Download methods paragraph", methods.encode("utf-8"),
                      file_name="agreement_methods.txt", mime="text/plain", key="agr_methods")


@st.cache_resource(show_spinner="Finding the passages where the coders differ…", max_entries=8,
                   ttl=1800)
def _cached_disagreements(_db: Database, database: str, project, viewer: str | None, changed: int,
                          code: str, coders: tuple, documents: tuple):
    """One code's disagreements, kept per change-log id (an adjudication moves it)."""
    return disagreements(_db, code, list(coders), documents=list(documents) or None, viewer=viewer)


def _disagreement_browser(db: Database, codes: list[str], coders: list[str],
                          documents: list[str] | None, changed: int) -> None:
    st.subheader("Disagreements")
    if "agr_done" in st.session_state:
        st.success(md_text(st.session_state.pop("agr_done")))
    code = st.selectbox("Code", codes, key="agr_code")
    found = _cached_disagreements(db, db.display_name, db.project,
                                  st.session_state.get("coder") or None, changed, code,
                                  tuple(coders), tuple(documents or ()))
    decided = sum(p.decision is not None for p in found)
    st.caption(f"{len(found)} passage{'s' if len(found) != 1 else ''} where "
               f"{', '.join(md_text(c) for c in coders)} differ on {md_text(code)}; "
               f"{decided} with a consensus version. Consensus codings go to the coder "
               f"“{CONSENSUS}”; the coders' own codings are never changed.")
    if not found:
        st.success("The coders agree on every passage of this code.")
        return
    # One widget per code: the passages (and their labels) are a different list for each code.
    index = st.selectbox("Passage", range(len(found)), key=f"agr_passage_{code}",
                         format_func=lambda i: _passage_label(found[i]))
    passage = found[min(index or 0, len(found) - 1)]
    st.html(side_by_side_html(passage, coders))
    if passage.decision is None:
        st.caption("No consensus version here yet (or the consensus leaves it uncoded).")
    else:
        st.caption(f"Consensus version: {md_text(passage.decision)}.")
    from qualcode.ui.roles import current_role

    if current_role() != "owner":
        st.caption("An owner of the project records the consensus version.")
        return
    choices = [*coders, "both", "neither"]
    columns = st.columns(len(choices))
    for column, choice in zip(columns, choices):
        label = f"Accept {choice}" if choice in coders else \
            ("Accept all" if choice == "both" and len(coders) > 2 else choice.capitalize())
        if column.button(label, key=f"agr_accept_{choice}",
                         type="primary" if passage.decision == choice else "secondary"):
            result = adjudicate(db, document=passage.document, code=code, start=passage.start,
                                end=passage.end, accept=choice, coders=coders,
                                actor=st.session_state.get("coder") or None)
            st.session_state["agr_done"] = (
                f"Consensus for {passage.document} {passage.start}–{passage.end}: {choice} "
                f"({len(result.created)} coding(s) added, {len(result.removed)} removed)."
                if result.changed else f"The consensus already holds {choice}'s version.")
            st.rerun()


#: Sidebar label → page function(db), merged into qualcode.ui.PAGES.
PAGES: dict = {"Agreement": page_agreement}
