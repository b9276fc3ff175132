"""The Home page: the study's path with its counts and the next action for the signed-in person.

Documents imported → codebook → coded per coder → blind coding → comparing coders → adjudicated
→ reports. Each step says where it stands and has a button to its page; the next action
depends on the role (``roles.current_role``) and on what is already done. The counts come from
``qualcode.project.overview.study_overview`` (aggregate queries, the blind-coding rule applied),
so a coder under blind coding sees only their own progress.
"""

from __future__ import annotations

import streamlit as st

from qualcode.guards import md_text
from qualcode.project.overview import study_overview
from qualcode.store.db import Database
from qualcode.ui.roles import current_role

PAGE = "Home"
PAGES_KEY = "_pages"  # the sidebar's pages for this person, this rerun
DONE, STARTED, TODO, REPORTS = "✅", "🔶", "⬜", "📊"


def go(page: str) -> None:
    """Switch the sidebar's page (an ``on_click`` callback: it runs before the radio is drawn)."""
    st.session_state["page"] = page


def next_action(ov: dict, role: str, *, coder: str | None) -> tuple[str, str | None]:
    """What the signed-in person does next: (Markdown sentence, page to open or None).

    Only static text and counts: user text (names) never reaches this sentence.
    """
    total = ov["documents"]
    if not total:
        if role == "owner":
            return (("Import your interview transcripts on the **Import** page "
                    "(or from a terminal: `qualcode import FILES`)."), "Import")
        return "Nothing to do yet: the project's owner has not imported any transcripts.", None
    if not ov["codes"]:
        if role == "owner" or (role == "coder" and ov["coders_edit_codebook"]):
            return (("Add codes on the **Codebook** page (*Edit the codebook*), or import a codebook "
                    "file: `qualcode codebook import FILE` (YAML or CSV)."), "Codebook")
        return "Read the transcripts while the project's owner prepares the codebook.", "Documents"
    if role == "viewer":
        return "Read the findings on the **Themes** page; the passages are on **Excerpts**.", "Themes"
    if not coder:
        return (("Choose your coder name in the sidebar (*Coding as*), then code on the **Code** "
                "page."), None)
    mine = ov["me"] or {"documents": 0, "codings": 0, "done": None}
    if role == "coder" or (not ov["codings"] and not ov["blind"]):
        if mine["documents"] < total:
            verb = "Start coding" if not mine["documents"] else "Go on coding"
            return ((f"{verb} on the **Code** page: you have coded {mine['documents']} of {total} "
                    "documents."), "Code")
        if ov["blind"] and (mine["done"] or 0) < total:
            return ((f"Mark each document you have finished as done on the **Code** page "
                    f"({mine['done'] or 0} of {total} done)."), "Code")
        return "Your coding is complete: look at the codes' patterns on the **Themes** page.", "Themes"
    # owners: lead the study through comparison and adjudication to the reports
    if ov["blind"]:  # an owner who codes too finishes their own documents first
        if 0 < mine["documents"] < total:
            return ((f"Go on coding on the **Code** page: you have coded {mine['documents']} of "
                    f"{total} documents."), "Code")
        return (("When every coder has finished, turn blind coding off in *Project settings* "
                "(sidebar) to compare them."), None)
    if ov["compare"] and not ov["consensus_documents"]:
        return ("Compare coders on the **Agreement** page and adjudicate their disagreements.",
                "Agreement")
    if mine["documents"] < total and not ov["compare"]:
        return ((f"Code on the **Code** page: you have coded {mine['documents']} of {total} "
                "documents."), "Code")
    return "Report the findings: the **Themes** page (or **Excerpts** for the passages).", "Themes"


def _button(page: str, pages, key: str, *, label: str | None = None, primary=False, where=st):
    """A button opening ``page``, only when this person has that page."""
    if page in pages:
        where.button(label or f"Open {page}", key=key, on_click=go, args=(page,),
                     type="primary" if primary else "secondary", width="content")


def _buttons(pages, items: list[tuple[str, str]], **options) -> None:
    """A row of buttons under a step's text (never squeezed into a column, so no label is cut
    off in a narrow window): (page, key) each."""
    shown = [(page, key) for page, key in items if page in pages]
    if shown:
        row = st.container(horizontal=True)
        for page, key in shown:
            _button(page, pages, key, where=row, **options)


def _step(number: int, state: str, title: str, body: list[str], buttons: list[str], pages) -> None:
    with st.container(border=True):
        st.markdown(f"{state} **{number}. {title}**  \n" + "  \n".join(body))
        _buttons(pages, [(page, f"home_step{number}_{page}") for page in buttons])


def _coding_step(ov: dict, pages, coder: str | None) -> None:
    total = ov["documents"]
    coders = ov["coders"]
    finished = coders and all(c["documents"] >= total for c in coders)
    state = DONE if finished else STARTED if coders else TODO
    with st.container(border=True):
        st.markdown(f"{state} **3. Coding** — documents coded per coder")
        if not coders:
            st.markdown("Nobody has coded yet" + (" that you may see." if ov["blind"] else "."))
        for c in coders:
            share = c["documents"] / total if total else 0.0
            st.progress(min(share, 1.0), text=(
                f"{md_text(c['name'])}: {c['documents']} of {total} documents · "
                f"{c['codings']:,} codings"))
        if ov["blind"] and current_role() != "owner":
            st.caption("Blind coding is on: you see your own progress, and other coders' only "
                       "on documents you marked done.")
        elif ov["blind"] and coder:
            st.caption("Blind coding is on: these are the codings you may see.")
        _buttons(pages, [("Code" if "Code" in pages else "Retrieve", "home_step3")])


def page_home(db: Database) -> None:
    st.header(PAGE)
    role = current_role()
    coder = st.session_state.get("coder") or None
    with st.spinner("Counting documents, codes and codings…"):
        ov = study_overview(db, viewer=coder)
    pages = set(st.session_state.get(PAGES_KEY) or ())  # this person's pages (set by qualcode.ui.main)
    who = f" · you: **{md_text(coder)}** ({role})" if coder else f" · {role}"
    st.markdown(f"Project **{md_text(ov['project'])}**{who}")

    sentence, target = next_action(ov, role, coder=coder)
    with st.container(border=True):
        st.markdown(f"**Next:** {sentence}")
        if target:
            _button(target, pages, "home_next", label=f"Go to {target}", primary=True)

    total = ov["documents"]
    st.subheader("The study's path")
    st.caption(f"{DONE} done · {STARTED} under way · {TODO} not yet")
    _step(1, DONE if total else TODO, "Documents imported",
          [f"{total:,} documents, {ov['participants']:,} participants" if total else
           "No transcripts yet: import them on the **Import** page, or from a terminal with "
           "`qualcode import FILES` (.txt, .docx, .pdf, .vtt, .srt and more)."],
          ["Documents" if total else "Import"], pages)
    _step(2, DONE if ov["codes"] else TODO, "Codebook",
          [f"{ov['codes']:,} codes" if ov["codes"] else
           "No codes yet: add them on the **Codebook** page (*Edit the codebook*) or import a "
           "codebook file with `qualcode codebook import FILE`."], ["Codebook"], pages)
    if not total:
        return  # the rest of the path starts with documents
    _coding_step(ov, pages, coder)
    if ov["blind"]:
        blind = [("**On**: each coder sees only their own codings until they mark a document done. "
                 "An owner turns it off in *Project settings* (sidebar) when everyone has finished.")]
    else:
        blind = ["**Off**: coders see each other's codings."]
    _step(4, "🔒" if ov["blind"] else "🔓", "Blind coding", blind,
          ["Code"] if ov["blind"] and role != "viewer" else [], pages)
    if ov["blind"]:
        compare, state = "Available once blind coding is off.", TODO
    elif ov["compare"]:
        compare, state = ("Two or more coders coded a common document: compare coders on the "
                          "**Agreement** page."), STARTED if not ov["consensus_documents"] else DONE
    else:
        compare, state = "Needs two coders who coded the same document.", TODO
    _step(5, state, "Agreement between coders", [compare], ["Agreement"] if ov["compare"] else [], pages)
    n = ov["consensus_documents"]
    _step(6, DONE if n else TODO, "Adjudicated",
          [f"Consensus codings: {n:,} documents ({ov['consensus_codings']:,} codings)" if n else
           "No consensus codings yet: adjudicate disagreements on the **Agreement** page."],
          ["Agreement"] if ov["compare"] else [], pages)
    _step(7, REPORTS if ov["codings"] else TODO, "Reports",
          ["Themes by participant group, and the coded passages as excerpts." if ov["codings"] else
           "Reports appear once documents are coded."], ["Themes", "Excerpts"], pages)


#: Sidebar label → page function(db), merged first into qualcode.ui.PAGES.
PAGES: dict = {PAGE: page_home}
