"""The Retrieve page: a code's (or a theme's) excerpts in context, 50 to a page, each with a
key-quote star and a link back to its place in the transcript.

The excerpts come from one read, ``qualcode.coding.key_quotes.key_quotes`` (every coding the
coder may see under blind coding, with its star); only the documents of the page shown are
opened for their context and speakers. Starring goes through ``key_quotes.set_key_quote`` with
the version shown (no silent overwrite) and is undone with the Code page's Undo. Transcript
text reaches the page only through ``html.escape``. Kept apart from ``workspace.py`` (which
lists this page in its ``PAGES``) so neither grows past a readable size; it imports nothing of
it.
"""

from __future__ import annotations

import html

import streamlit as st

from qualcode.coding.key_quotes import key_quotes, set_key_quote
from qualcode.guards import md_text, safe_colour
from qualcode.project.codes import tree
from qualcode.project.document_reads import show_documents
from qualcode.store.db import Database
from qualcode.team.access import AccessDenied
from qualcode.ui.roles import current_role

#: Excerpts shown at once (issue 13: a theme with hundreds of excerpts drew them all).
PAGE_SIZE = 50
#: The label of the star control (its tooltip, and the words a screen reader says).
STAR_HELP = "Mark as key quote"
UNSTAR_HELP = "Key quote — click to unmark"


def _coder() -> str | None:
    name = (st.session_state.get("coder") or "").strip()
    return name or None


def open_at(document: str, offset: int) -> None:
    """Open the Code page on ``document`` with the transcript scrolled to ``offset``."""
    st.session_state["ws_document"] = document
    st.session_state["ws_focus"] = offset
    st.session_state["page"] = "Code"


def _star(db: Database, coding_id: int, starred: bool, actor: str, version: int) -> None:
    try:
        done = set_key_quote(db, coding_id, starred, actor=actor, expected_version=version)
    except (ValueError, LookupError, AccessDenied) as exc:
        st.session_state["rt_message"] = (str(exc), True)
        return
    st.session_state["rt_message"] = (done.message + (" (Undo on the Code page takes it back.)"
                                                      if done.changed else ""), False)


def may_star(coding_coder: str, coder: str | None) -> bool:
    """Whether the page offers the star: your own coding, or any coding for an owner (the
    library checks again)."""
    if coder is None or st.session_state.get("archived"):
        return False
    return coding_coder == coder or current_role() == "owner"


def _excerpts(n: int) -> str:
    return f"{n} excerpt{'s' if n != 1 else ''}"


def page_range(total: int, page: int, size: int = PAGE_SIZE) -> tuple[int, int]:
    """The (first, last) positions, 1-based and inclusive, that ``page`` shows of ``total``."""
    first = (page - 1) * size + 1
    return (first, min(total, first + size - 1)) if total else (0, 0)


def page_retrieve(db: Database) -> None:
    """Read a code's (or a theme's) excerpts in context, each linking back to its place."""
    st.header("Retrieve")
    coder = _coder()
    with db.session() as s:
        codes = [("/".join(p), c.colour) for p, c in tree(s, db.project_id(s))]
    if not codes:
        st.info("The codebook is empty.")
        return
    colours = dict(codes)
    paths = [p for p, _ in codes]
    message = st.session_state.pop("rt_message", None)
    if message:
        (st.error if message[1] else st.success)(md_text(message[0]))
    path = st.selectbox("Code or theme", paths, key="rt_code")
    c1, c2 = st.columns(2)
    rollup = c1.toggle("Include the codes below it", value=True, key="rt_rollup")
    starred_only = c2.toggle("Key quotes only", key="rt_key_only",
                             help="Only the excerpts starred as key quotes (☆ → ★).")
    width = st.slider("Context (characters each side)", 0, 600, 200, 50, key="rt_context")
    rows = key_quotes(db, viewer=coder, code=path, only_starred=starred_only, include_below=rollup)
    if not rows:
        st.info("No key quotes here yet: star excerpts with ☆ to find them here."
                if starred_only else "No excerpts of this code yet.")
        return
    pages = (len(rows) + PAGE_SIZE - 1) // PAGE_SIZE
    chosen = (path, rollup, starred_only)
    if st.session_state.get("rt_chosen") != chosen or st.session_state.get("rt_page", 1) > pages:
        st.session_state["rt_chosen"] = chosen
        st.session_state["rt_page"] = 1  # other excerpts: start at their first page
    if pages > 1:
        st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="rt_page", width=220)
    page = int(st.session_state.get("rt_page", 1))
    first, last = page_range(len(rows), page)
    st.caption(f"Showing {first}–{last} of {_excerpts(len(rows))}")
    shown = rows[first - 1:last]
    documents = show_documents(db, (q.document for q in shown), viewer=coder)  # one look-up for all
    heading = None
    for q in shown:
        doc = documents[q.document]
        if q.document != heading:
            heading = q.document
            st.subheader(md_text(q.document + (f" ({q.participant})" if q.participant else "")))
        _excerpt(db, q, doc, width, coder, colours.get(q.code))
    if pages > 1:
        st.caption(f"Showing {first}–{last} of {_excerpts(len(rows))} · page {page} of {pages}")


def _excerpt(db: Database, q, doc: dict, width: int, coder: str | None, colour: str | None) -> None:
    """One excerpt: its context, then its star and its link to the transcript."""
    text = doc["text"]
    turn = next((t for t in doc["turns"] if t["start"] <= q.start < t["end"]), None)
    who = (turn or {}).get("speaker") or "—"
    before = text[max(0, q.start - width):q.start]
    after = text[q.end:q.end + width]
    star = "★ " if q.starred else ""
    st.html(
        f'<div class="qc-excerpt{" qc-key-quote" if q.starred else ""}" data-coding="{q.coding_id}" '
        'style="margin:.2rem 0 .2rem 0;line-height:1.5">'
        f'<div style="font-size:.8rem;color:#666">{star}{html.escape(who)} · '
        f'{html.escape(q.code)} · {html.escape(q.coder)} · {q.start}–{q.end}</div>'
        f'<span style="color:#666">…{html.escape(before)}</span>'
        f'<mark style="background:{safe_colour(colour, "#ffe08a")}33">{html.escape(q.quote)}</mark>'
        f'<span style="color:#666">{html.escape(after)}…</span></div>'
    )
    row = st.container(horizontal=True, vertical_alignment="center")
    allowed = may_star(q.coder, coder)
    if allowed:
        tip = UNSTAR_HELP if q.starred else STAR_HELP
    else:
        tip = ("A key quote" if q.starred else "Not a key quote") + (
            " (only its coder or an owner may change the star)" if coder
            else " (choose your coder name in the sidebar to star quotes)")
    row.button("★" if q.starred else "☆", key=f"rt_star_{q.coding_id}", help=tip, on_click=_star,
              args=(db, q.coding_id, not q.starred, coder, q.version), disabled=not allowed)
    row.button("Open in transcript", key=f"rt_open_{q.coding_id}", on_click=open_at,
               args=(q.document, q.start))
