"""The coding workspace: read a transcript, select passages, apply codes, edit codings, undo.

The page is a thin layer: the transcript component (``span_component``) reports selections in
code points; everything that changes data goes through ``qualcode.coding.editing``,
``qualcode.coding.codebook_edit``, ``qualcode.coding.key_quotes`` (the star of the selected
coding), ``qualcode.coding.undo`` and ``qualcode.coding.visibility``. Actions run in ``on_click``
callbacks, which Streamlit runs before the script, so the new highlight appears in the same
rerun. The code panel (tree, counts, number keys, "already coded … extend") is
``code_panel.py``; the transcript draws coding stripes, a keyboard sentence cursor and instant
(pending) highlights. The Retrieve page, listed in :data:`PAGES`, lives in ``retrieve.py``.
With "Suggest" on, ``qualcode.suggest`` adds learned code suggestions (drawn dashed; accepted or
rejected with the keyboard in the transcript) and "Find similar"; with it off nothing of it runs.

Everything below the document picker is one ``st.fragment`` (``_workspace``): a coding reruns
only it, and ``roles.still_signed_in`` repeats the session check the app makes on a full run.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.coding import codebook_edit, editing, key_quotes, undo, visibility
from qualcode.coding.code_counts import sentence_bounds
from qualcode.guards import md_text
from qualcode.project.document_reads import document_names
from qualcode.project.documents import show_document
from qualcode.store.db import Database
from qualcode.team.access import AccessDenied
from qualcode.team.settings import is_blind
from qualcode.ui.code_panel import (
    apply_codes,
    apply_one,
    clicked_code,
    code_panel,
    code_rows,
    extend_offer,
    remember,
    report,
    run,
    selection,
)
from qualcode.ui.media_player import show_player
from qualcode.ui.retrieve import may_star, page_retrieve
from qualcode.ui.roles import still_signed_in
from qualcode.ui.span_component import pending_event, transcript_selector


def current_coder() -> str | None:
    """The coder chosen in the sidebar (None until one is chosen)."""
    name = (st.session_state.get("coder") or "").strip()
    return name or None


def _unit(db: Database, document: str, coder: str, unit: str) -> None:
    sel = selection()
    paths = st.session_state.get("ws_apply") or []
    if not sel or "start" not in sel or not paths:
        report(f"Put the cursor in a {unit} (select a word) and choose a code first.", error=True)
        return
    fn = editing.code_sentence if unit == "sentence" else editing.code_turn
    if all(run(fn, db, document, sel["start"], p, coder) for p in paths):
        remember(paths)
        report(f"Coded the whole {unit} as {', '.join(paths)}.")
        st.session_state["ws_apply"] = []  # cleared, as Apply does


def _in_vivo(db: Database, document: str, coder: str) -> None:
    sel = selection()
    if not sel or "start" not in sel:
        report("Select the words that should name the new code.", error=True)
        return
    parent = st.session_state.get("ws_invivo_parent") or None
    view = run(editing.in_vivo, db, document, sel["start"], sel["end"], coder, parent_path=parent)
    if view:
        remember([view.code_path])
        report(f"New in-vivo code {view.code_path!r} applied.")


def _remove(db: Database, coding_id: int, coder: str, version: int | None = None) -> None:
    if run(editing.remove, db, coding_id, actor=coder, expected_version=version) is not None:
        st.session_state["ws_clicked"] = None
        report("Coding removed (Undo brings it back).")


def _recode(db: Database, coding_id: int, coder: str, version: int | None = None) -> None:
    target = st.session_state.get(f"ws_recode_{coding_id}")
    if target and run(editing.recode, db, coding_id, target, actor=coder,
                           expected_version=version) is not None:
        remember([target])
        report(f"Recoded as {target}.")


def _resize(db: Database, coding_id: int, coder: str, version: int | None = None) -> None:
    start = int(st.session_state[f"ws_start_{coding_id}"])
    end = int(st.session_state[f"ws_end_{coding_id}"])
    if run(editing.resize, db, coding_id, start, end, actor=coder, expected_version=version) is not None:
        report("Coding resized.")


def _memo(db: Database, coding_id: int, coder: str, version: int | None = None) -> None:
    memo = st.session_state.get(f"ws_memo_{coding_id}", "").strip() or None
    if run(editing.set_memo, db, coding_id, memo, actor=coder, expected_version=version) is not None:
        report("Memo saved.")


def _star(db: Database, coding_id: int, starred: bool, coder: str, version: int | None = None) -> None:
    done = run(key_quotes.set_key_quote, db, coding_id, starred, actor=coder, expected_version=version)
    if done is not None:
        report(done.message + (" (Undo takes it back.)" if done.changed else ""))


def _undo(db: Database, coder: str, redo: bool = False) -> None:
    from qualcode import suggest  # undo also takes back a rejected suggestion

    said = run(undo.redo if redo else suggest.undo, db, coder)
    report(said or ("Nothing to redo." if redo else "Nothing to undo."))


def _toggle_done(db: Database, document: str, coder: str, done: bool) -> None:
    (visibility.mark_done if done else visibility.unmark_done)(db, document, coder)
    report("Marked done: other coders' codings are now visible." if done else "Marked not done.")


# -- the page -----------------------------------------------------------------------------------

def _tooltip(c) -> str:
    memo = f" — {c.memo}" if c.memo else ""
    return f"{c.code_path} ({c.coder}){memo}"


def page_workspace(db: Database) -> None:
    st.header("Code")
    coder = current_coder()
    if coder is None:
        st.info("Choose or type your coder name in the sidebar before coding.")
        return
    docs = document_names(db, viewer=st.session_state.get("coder") or None)
    if not docs:
        st.info("No documents yet: import transcripts on the Import page.")
        return
    if st.session_state.get("ws_document") not in docs:
        st.session_state["ws_document"] = docs[0]
    document = st.selectbox("Document", docs, key="ws_document")
    doc = show_document(db, document, viewer=st.session_state.get("coder") or None)
    _workspace(db, document, coder, doc)


@st.fragment
def _workspace(db: Database, document: str, coder: str, doc: dict) -> None:
    """Transcript, code panel and comparison: a fragment, so a coding (a click in the transcript
    or the tree, a panel button) reruns only this part, with the document as the last full run
    read it. The rest of the page (sidebar, menu, document picker) has nothing that a coding
    changes, and skipping it is most of a rerun's cost. A full run (another page, another
    document, a reload) calls this again with fresh arguments."""
    if not still_signed_in(db):  # a fragment rerun skips the app's own session check
        st.rerun(scope="app")
    blind = is_blind(db)
    done = visibility.is_done(db, document, coder)
    found = _suggestions(db, document, coder, doc, blind) if st.session_state.get("ws_suggest") else None
    _browser_edits(db, document, coder, doc)
    tree_click = clicked_code()  # a code clicked in the tree while the transcript held no selection
    if tree_click:
        apply_one(db, document, coder, tree_click)
    codings = editing.codings_for_document(db, document, viewer=coder)
    rows = code_rows(db)
    colours = {r.path: r.colour for r in rows}
    left, right = st.columns([3, 2], gap="medium")
    with left:
        if blind:
            st.caption("Independent (blind) coding: you see your own codings until you mark this "
                       "document done." if not done else "Marked done: all coders' codings are shown.")
        has_times = any(t.get("media_start_seconds") is not None for t in doc["turns"])
        player = show_player(db, document, coder, has_times=has_times)
        codings_shown = _show_filters(codings, rows)
        transcript_selector(
            key=f"ws_span_{document}",
            text=doc["text"],
            turns=doc["turns"],
            stripes=st.session_state.get("ws_stripes", True),
            stripe_coder=len({c.coder for c in codings_shown}) > 1,
            sentences=lambda: sentence_bounds(db, document, viewer=coder),
            codes=[(r.path, r.colour) for r in rows],
            me=coder,
            ack=st.session_state.get("ws_nonce"),
            codings=[{"id": c.id, "start": c.start, "end": c.end, "code": c.code_path,
                      "colour": colours.get(c.code_path) or c.colour, "coder": c.coder, "memo": c.memo}
                     for c in codings_shown],
            focus=st.session_state.pop("ws_focus", None),
            player=player and has_times,
            suggestions=[{"key": x.key, "start": x.start, "end": x.end, "code": x.code,
                          "colour": colours.get(x.code) or x.colour, "score": x.score}
                         for x in (found.items if found else [])],
        )
    with right:
        _panel(db, document, coder, blind, done, found, rows)
    # Built only when asked for: at 2,000 codings the table costs more than the rest of a rerun.
    if (not blind or done) and st.toggle("Compare coders side by side", key="ws_compare"):
        with st.container(border=True):
            table = comparison_table(doc["text"], codings)
            if table.empty:
                st.caption("No codings on this document yet.")
            else:
                st.dataframe(table, hide_index=True, width="stretch")


def _browser_edits(db: Database, document: str, coder: str, doc: dict) -> None:
    """The transcript's latest event, acted on before the codings are read so this run draws
    its result: a code applied by type-ahead + Enter (the highlight the browser drew as pending
    is confirmed), a coding resized by dragging a handle, a click on a coding (the panel opens
    it) or a new selection (the panel shows it)."""
    event = pending_event(f"ws_span_{document}", doc["text"], doc["turns"])
    # Suggestion keys are the Suggest panel's (``_suggestions``), acted on before this.
    if not event or event["nonce"] == st.session_state.get("ws_nonce") or "suggestion" in event:
        return
    st.session_state["ws_nonce"] = event["nonce"]
    if "apply" in event:
        st.session_state["ws_selection"] = {k: event[k] for k in ("start", "end", "text", "nonce")}
        apply_one(db, document, coder, event["apply"])
    elif "resize" in event:
        _dragged(db, document, coder, event)
    elif "clicked_coding" in event:
        st.session_state["ws_clicked"] = event["clicked_coding"]
    else:  # a selection
        st.session_state["ws_selection"] = event


def _dragged(db: Database, document: str, coder: str, event: dict) -> None:
    """Store a resize made with the handles, unless the coding changed since the browser drew
    it (another tab, an undo): then nothing changes and the coder is told why."""
    cid = event["resize"]
    st.session_state["ws_clicked"] = cid
    try:
        c = editing.get_coding(db, cid, viewer=coder)
    except LookupError:
        c = None
    if c is None or c.document != document:
        report("That coding is gone (removed or undone); nothing was resized.", error=True)
        return
    if c.coder != coder:  # as the panel: a coder edits their own codings on this page
        report(f"That is {c.coder}'s coding; only your own codings can be resized here.", error=True)
        return
    if (event["start"], event["end"]) == (c.start, c.end):
        report("The coding already covers exactly that; nothing changed.")
        return
    if (c.start, c.end) != tuple(event["was"]):
        report(f"That coding changed to {c.start}–{c.end} meanwhile; nothing was resized. "
               "Drag its handles again.", error=True)
        return
    view = run(editing.resize, db, cid, event["start"], event["end"], actor=coder,
               expected_version=c.version)
    if view is not None:
        for k in (f"ws_start_{cid}", f"ws_end_{cid}"):  # the exact-offset fields follow
            st.session_state.pop(k, None)
        report(f"Coding resized to {view.start}–{view.end}: “{_clip(view.quote, 120)}” "
               "(Undo takes it back).")


def _show_filters(codings: list, rows) -> list:
    """The toggles above the transcript: stripes on/off, which coders and which codes are shown
    (highlights and stripes alike); returns the codings to draw."""
    coders = sorted({c.coder for c in codings})
    branches = [r.path for r in rows if r.depth == 0]
    c1, c2, c3 = st.columns([2, 3, 4], vertical_alignment="center")
    c1.toggle("Stripes", key="ws_stripes", value=True,
              help="Coding stripes in a margin beside the transcript, one per coding; click one "
                   "to select its coding.")
    seen = st.session_state.get("ws_coders_seen", set())
    shown = st.session_state.get("ws_show_coders")
    if shown is not None and set(coders) - seen:  # a coder new to this page is shown, not hidden
        st.session_state["ws_show_coders"] = [c for c in coders if c in shown or c not in seen]
    st.session_state["ws_coders_seen"] = seen | set(coders)
    if len(coders) > 1:
        c2.pills("Coders shown", coders, selection_mode="multi", default=coders,
                 key="ws_show_coders", label_visibility="collapsed")
    c3.multiselect("Codes shown", branches, key="ws_show_codes", placeholder="All codes shown",
                   label_visibility="collapsed", help="Show only the codings under these branches.")
    shown_coders = st.session_state.get("ws_show_coders")
    keep = set(shown_coders) if shown_coders is not None and len(coders) > 1 else set(coders)
    picked = st.session_state.get("ws_show_codes") or []
    return [c for c in codings if c.coder in keep
            and (not picked or c.code_path.split("/")[0] in picked)]


def comparison_table(text: str, codings: list) -> pd.DataFrame:
    """One row per passage (codings that overlap, by any coder, joined), one column per coder
    listing the codes that coder applied there — the side-by-side view of a coded document."""
    coders = sorted({c.coder for c in codings})
    rows: list[dict] = []
    group: list = []
    end = -1
    for c in sorted(codings, key=lambda c: (c.start, c.end)) + [None]:
        if c is None or (group and c.start >= end):
            if group:
                start = min(g.start for g in group)
                row = {"passage": f"{start}–{end}", "text": _clip(text[start:end])}
                for name in coders:
                    row[name] = "; ".join(sorted({g.code_path.split("/")[-1] for g in group
                                                  if g.coder == name}))
                rows.append(row)
            group, end = [], -1
        if c is not None:
            group.append(c)
            end = max(end, c.end)
    return pd.DataFrame(rows, columns=["passage", "text", *coders])


def _clip(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _panel(db: Database, document: str, coder: str, blind: bool, done: bool, found, rows) -> None:
    from qualcode.suggest import peek  # as undo.peek, and a rejected suggestion is undoable too

    message = st.session_state.pop("ws_message", None)
    if message:
        (st.error if message[1] else st.success)(md_text(message[0]))
    nxt = peek(db, coder)
    u1, u2 = st.columns(2)
    u1.button("Undo", key="ws_undo", on_click=_undo, args=(db, coder), shortcut="ctrl+z",
              width="stretch", disabled=nxt["undo"] is None, help=nxt["undo"])
    u2.button("Redo", key="ws_redo", on_click=_undo, args=(db, coder, True), shortcut="ctrl+shift+z",
              width="stretch", disabled=nxt["redo"] is None, help=nxt["redo"])
    if blind:
        st.button("Mark not done" if done else "Mark done", key="ws_done", width="stretch",
                  on_click=_toggle_done, args=(db, document, coder, not done),
                  help="Marking a document done shows every coder's codings on it.")
    _suggest_panel(db, document, coder, blind, found)

    sel = selection()
    if sel and "start" in sel:
        st.markdown(f"**Selected** ({sel['start']}–{sel['end']}): "
                    f"{md_text(sel['text'][:300])}{'…' if len(sel['text']) > 300 else ''}")
    else:
        st.caption("Select a passage in the transcript (across turns if you like).")

    paths = [r.path for r in rows]
    extend_offer(db, coder)
    st.multiselect("Codes to apply", paths, key="ws_apply", placeholder="Type to search codes…")
    st.button("Apply", key="ws_do_apply", type="primary", on_click=apply_codes, args=(db, document, coder),
              shortcut="ctrl+enter", width="stretch")
    a1, a2 = st.columns(2)
    a1.button("Code the sentence", key="ws_do_sentence", on_click=_unit,
              args=(db, document, coder, "sentence"), width="stretch")
    a2.button("Code the turn", key="ws_do_turn", on_click=_unit, args=(db, document, coder, "turn"),
              width="stretch")
    code_panel(db, document, coder, rows)
    st.toggle("Distinct colours", key="ws_distinct", value=True,
              help="A colour-blind-safe colour per code, each branch a hue family. Off: the "
                   "colours stored in the codebook.")
    from qualcode.ui.roles import may

    if may("codebook", db):  # coders only when the owner allows it
        with st.expander("New code"):
            st.selectbox("Parent", [""] + paths, key="ws_invivo_parent",
                         format_func=lambda p: p or "(top level)")
            st.button("In vivo: name a code by the selected words", key="ws_do_invivo",
                      on_click=_in_vivo, args=(db, document, coder))
            st.text_input("Or a new code called", key="ws_new_code")
            st.button("Create code", key="ws_do_new_code", on_click=_create_code, args=(db, coder))

    clicked = st.session_state.get("ws_clicked")
    if clicked is not None:
        _coding_details(db, clicked, coder, paths)


def _create_code(db: Database, coder: str) -> None:
    name = (st.session_state.get("ws_new_code") or "").strip()
    parent = st.session_state.get("ws_invivo_parent") or None
    if not name:
        report("Give the new code a name.", error=True)
        return
    if run(codebook_edit.create_code, db, name, parent=parent, actor=coder) is not None:
        st.session_state["ws_new_code"] = ""
        report(f"Code {name!r} created.")


def _coding_details(db: Database, coding_id: int, coder: str, paths: list[str]) -> None:
    try:
        c = editing.get_coding(db, coding_id, viewer=coder)
    except LookupError:
        st.session_state["ws_clicked"] = None
        return
    st.divider()
    st.markdown(f"**{md_text(c.code_path)}** · {md_text(c.coder)} · {c.start}–{c.end}")
    st.caption(md_text(c.quote[:400]))
    st.button("Find similar", key=f"ws_do_similar_{c.id}", on_click=_show_similar, args=(c.id,),
              help="Sentences across the project most like this passage that you have not coded "
                   "with this code yet.")
    if st.session_state.get("ws_similar") == c.id:
        _similar(db, c.id, coder)
    st.button("★ Key quote" if c.key_quote else "☆ Mark as key quote", key=f"ws_do_star_{c.id}",
              on_click=_star, args=(db, c.id, not c.key_quote, coder, c.version),
              disabled=not may_star(c.coder, coder),
              help="A representative quote of its code, for Retrieve and theme reports; click to "
                   "unmark." if c.key_quote else "Mark as key quote: a representative quote of its "
                   "code, for Retrieve (Key quotes only) and theme reports.")
    if c.coder != coder:
        if c.memo:
            st.markdown(f"*Memo:* {md_text(c.memo)}")
        return
    st.selectbox("Recode as", paths, index=paths.index(c.code_path) if c.code_path in paths else 0,
                 key=f"ws_recode_{c.id}")
    st.button("Recode", key=f"ws_do_recode_{c.id}", on_click=_recode,
              args=(db, c.id, coder, c.version))  # the version shown: no silent overwrite
    r1, r2 = st.columns(2)
    r1.number_input("Start", min_value=0, value=c.start, step=1, key=f"ws_start_{c.id}")
    r2.number_input("End", min_value=1, value=c.end, step=1, key=f"ws_end_{c.id}")
    st.button("Extend / shrink", key=f"ws_do_resize_{c.id}", on_click=_resize,
              args=(db, c.id, coder, c.version))  # the version shown: no silent overwrite
    st.text_area("Memo", value=c.memo or "", key=f"ws_memo_{c.id}")
    st.button("Save memo", key=f"ws_do_memo_{c.id}", on_click=_memo,
              args=(db, c.id, coder, c.version))  # the version shown: no silent overwrite
    st.button("Remove coding", key=f"ws_do_remove_{c.id}", on_click=_remove,
              args=(db, c.id, coder, c.version))  # the version shown: no silent overwrite


# -- code suggestions ----------------------------------------------------------------------------

#: The "Learn from" choices (``qualcode.suggest.corpus``) as the panel names them.
LEARN_FROM = {"auto": "Automatic", "mine": "My own codings", "consensus": "Adjudicated (consensus)",
              "all": "All coders, pooled"}


def _learn_from(blind: bool) -> str | None:
    """The coding set chosen in the panel (under blind coding there is no choice: your own)."""
    return None if blind else st.session_state.get("ws_sg_set")


def _suggestions(db: Database, document: str, coder: str, doc: dict, blind: bool):
    """The suggestions for this document, after acting on an accept or reject key the browser
    sent (so the result shows in this run); None when they cannot be made (said in the panel)."""
    from qualcode import suggest

    st.session_state.pop("ws_sg_problem", None)
    try:
        with st.spinner("Learning from the codings…"):  # seconds, only when the codings changed
            found = suggest.suggest(db, document, coder, coding_set=_learn_from(blind),
                                    threshold=st.session_state.get("ws_sg_threshold"), viewer=coder)
    except (suggest.SuggestError, AccessDenied) as exc:
        st.session_state["ws_sg_problem"] = str(exc)
        return None
    event = pending_event(f"ws_span_{document}", doc["text"], doc["turns"])
    if event and "suggestion" in event and event["nonce"] != st.session_state.get("ws_nonce"):
        st.session_state["ws_nonce"] = event["nonce"]
        item = next((x for x in found.items if x.key == event["suggestion"]), None)
        if item is None:
            report("That suggestion is no longer shown; nothing was changed.", error=True)
        elif event["action"] == "accept":
            if run(suggest.accept, db, document, item.code_id, coder, item.start, item.end):
                report(f"Accepted {item.code} (Undo takes it back).")
        elif run(suggest.reject, db, document, item.code_id, coder, item.start, item.end,
                 score=item.score) is not None:
            report(f"Rejected {item.code} here; it will not be suggested again (Undo brings it back).")
        found.items = [x for x in found.items if x.key != event["suggestion"]]
    return found


def _accept_all(db: Database, document: str, coder: str, blind: bool) -> None:
    from qualcode import suggest

    code = st.session_state.get("ws_sg_all_code")
    floor = st.session_state.get("ws_sg_all_floor")
    if not code:
        return
    done = run(suggest.accept_all, db, document, code, coder, threshold=floor,
               coding_set=_learn_from(blind))
    if done is not None:
        report(f"Accepted {len(done)} suggestion{'s' if len(done) != 1 else ''} of {code} "
               "(one Undo takes them all back).")


def _suggest_panel(db: Database, document: str, coder: str, blind: bool, found) -> None:
    """The "Suggest" toggle and, when it is on, whose codings it learns from and what it shows."""
    st.toggle("Suggest", key="ws_suggest", help="Code suggestions learned from the codings in this "
              "project, on this computer (nothing is sent anywhere). They are only suggestions "
              "until you accept them.")
    if not st.session_state.get("ws_suggest"):
        return
    from qualcode.suggest import DEFAULT_THRESHOLD, MIN_EXAMPLES

    if not blind:
        st.selectbox("Learn from", list(LEARN_FROM), format_func=LEARN_FROM.get, key="ws_sg_set")
    st.slider("Show suggestions scoring at least", 0.05, 0.95, DEFAULT_THRESHOLD["linear"], 0.05,
              key="ws_sg_threshold")
    problem = st.session_state.get("ws_sg_problem")
    if problem or found is None:
        st.warning(md_text(problem or "No suggestions."))
        return
    st.caption(md_text(found.coding_set.statement) + " Suggested codes are stored only when you "
               "accept them (as your own codings, marked as accepted from a suggestion).")
    n = len(found.items)
    st.caption(f"{n} suggestion{'s' if n != 1 else ''} in this document. Click one in the "
               "transcript, then press A or Enter to accept, R or Delete to reject, J/K to move.")
    codes = sorted({x.code for x in found.items})
    if codes:
        c1, c2 = st.columns([3, 2])
        c1.selectbox("Accept all of one code", codes, key="ws_sg_all_code")
        c2.number_input("scoring at least", 0.05, 1.0, float(found.threshold), 0.05, key="ws_sg_all_floor")
        code, floor = st.session_state.get("ws_sg_all_code"), st.session_state.get("ws_sg_all_floor") or 0
        count = sum(1 for x in found.items if x.code == code and x.score >= floor)
        st.button(f"Accept all {count}", key="ws_sg_do_all", on_click=_accept_all,
                  args=(db, document, coder, blind), disabled=count == 0)
    why = found.why_not()
    if why:
        with st.expander(f"Codes without suggestions ({len(why)})"):
            st.caption(f"A code needs {MIN_EXAMPLES} example sentences in the codings learned from "
                       "before it gets suggestions.")
            st.markdown("\n".join(f"- {md_text(line)}" for line in why))


def _show_similar(coding_id: int) -> None:
    st.session_state["ws_similar"] = coding_id


def _code_similar(db: Database, coding_id: int, coder: str, code: str, items: list) -> None:
    from qualcode import suggest

    chosen = [(x.document, x.start, x.end) for i, x in enumerate(items)
              if st.session_state.get(f"ws_sim_{coding_id}_{i}")]
    if not chosen:
        report("Tick the sentences to code first.", error=True)
        return
    done = run(suggest.accept_many, db, chosen, code, coder)
    for i in range(len(items)):  # the list changes once they are coded: start unticked
        st.session_state.pop(f"ws_sim_{coding_id}_{i}", None)
    if done is not None:
        report(f"Coded {len(done)} similar sentence{'s' if len(done) != 1 else ''} as {code} "
               "(one Undo takes them all back).")


def _similar(db: Database, coding_id: int, coder: str) -> None:
    """The sentences most like a coding, to code in one pass."""
    from qualcode import suggest

    try:
        code, items = suggest.find_similar(db, coding_id, coder, viewer=coder)
    except (suggest.SuggestError, AccessDenied) as exc:
        st.warning(md_text(str(exc)))
        return
    if not items:
        st.caption("No similar sentences left that you have not coded with this code.")
        return
    st.caption(f"Most similar sentences you have not coded as {md_text(code)}; tick the ones to code.")
    with st.container(height=380):
        for i, x in enumerate(items):
            st.checkbox(f"{md_text(x.document)} · {x.score:.2f}", key=f"ws_sim_{coding_id}_{i}")
            st.caption(md_text(_clip(x.text, 300)))
    st.button(f"Code the ticked sentences as {code.split('/')[-1]}", key=f"ws_sim_do_{coding_id}",
              on_click=_code_similar, args=(db, coding_id, coder, code, items))


PAGES = {"Code": page_workspace, "Retrieve": page_retrieve}
