"""The Streamlit app: the only part of qualcode that imports Streamlit.

Pages are plain functions chosen in the sidebar; each one asks the library for data and shows
it. Transcript text is always HTML-escaped before it reaches the page, so markup inside a
transcript is shown as text and never runs.
"""

from __future__ import annotations

import html
import json


import pandas as pd
import streamlit as st
from sqlalchemy import select

from qualcode.project.codes import tree
from qualcode.store.db import Database, resolve_url
from qualcode.project.document_reads import document_names
from qualcode.project.documents import (
    PARSE_SECONDS,
    apply_attributes,
    import_files,
    list_documents,
    show_document,
)
from qualcode.guards import md_text, safe_colour
from qualcode.ui import (agreement, analysis, home, interchange, members, participants, projects, themes,
                         workspace)
from qualcode.ui.codebook_editor import codebook_editor
from qualcode.ui.roles import current_role, may
from qualcode.importers import SUPPORTED_EXTENSIONS, describe_recognised
from qualcode.store.models import Coder, Project
from qualcode.project.participants import AttributesError, parse_attributes
from qualcode.project.sample import load_sample


@st.cache_resource(show_spinner=False)
def _database(url: str) -> Database:
    return Database(url)


def _load_sample_if_new(db: Database) -> None:
    """On the very first start (a brand-new database) load the sample project, with progress."""
    if db.created_by_us and not getattr(db, "sample_loaded", False):
        db.sample_loaded = True
        bar = st.progress(0.0, text="Setting up the sample project…")
        load_sample(db, progress=lambda d, t, n: bar.progress(d / t, text=f"Importing {n} ({d}/{t})"))
        bar.empty()


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def page_documents(db: Database) -> None:
    st.header("Documents")
    with st.spinner("Counting each document's turns, words and codings…"):
        docs = list_documents(db, viewer=st.session_state.get("coder") or None)
    if not docs:
        st.info("No documents yet: import transcripts on the Import page.")
        return
    rows = [
        {
            "document": d["name"],
            "participant": d["participant"] or "",
            "speakers": ", ".join(d["speakers"]),
            "turns": d["turns"],
            "words": d["words"],
            "codings": d["codings"],
            "timestamps": d["has_timestamps"],
            **d["attributes"],
            "format": d["format"],
        }
        for d in docs
    ]
    height = min(36 * (len(rows) + 1) + 4, 720)  # every row visible for a typical study
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=height)
    st.caption(f"{len(docs)} documents, {sum(d['words'] for d in docs):,} words")


_TRANSCRIPT_CSS = """
<style>
.qc-turn { margin: 0 0 .8rem 0; line-height: 1.55; }
.qc-meta { font-size: .82rem; color: #555; margin-bottom: .1rem; }
.qc-speaker { font-weight: 600; color: #1f3b57; }
.qc-time { font-family: monospace; color: #666; margin-right: .5rem; }
.qc-text { white-space: pre-wrap; }
</style>
"""


def transcript_html(turns: list[dict]) -> str:
    """The turns as escaped HTML (speaker, timestamp, text); nothing in a turn is markup."""
    parts = [_TRANSCRIPT_CSS, '<div class="qc-transcript">']
    for t in turns:
        time = _clock(t["media_start_seconds"])
        parts.append(
            '<div class="qc-turn"><div class="qc-meta">'
            + (f'<span class="qc-time">{time}</span>' if time else "")
            + f'<span class="qc-speaker">{html.escape(t["speaker"] or "—")}</span></div>'
            + f'<div class="qc-text">{html.escape(t["text"])}</div></div>'
        )
    parts.append("</div>")
    return "".join(parts)


def page_transcript(db: Database) -> None:
    st.header("Transcript")
    names = document_names(db, viewer=st.session_state.get("coder") or None)
    if not names:
        st.info("No documents yet: import transcripts on the Import page.")
        return
    name = st.selectbox("Document", names, key="document")
    doc = show_document(db, name, viewer=st.session_state.get("coder") or None)
    meta = [doc["participant"]] if doc["participant"] else []
    meta += [f"{k}: {v}" for k, v in doc["attributes"].items()]
    meta.append(f"{len(doc['turns'])} turns · {doc['characters']:,} characters · {doc['format']}")
    st.markdown(" · ".join(md_text(m) for m in meta))
    warnings = doc["import_report"].get("warnings") or []
    if warnings:
        with st.expander(f"Import notes ({len(warnings)})"):
            for w in warnings:
                st.text(w)
    st.html(transcript_html(doc["turns"]))


_CODEBOOK_CSS = """
<style>
.qc-code { margin: .15rem 0; }
.qc-code summary { cursor: pointer; line-height: 1.7; }
.qc-swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px;
             margin-right: .45rem; vertical-align: -1px; }
.qc-name { font-weight: 600; }
.qc-def { color: #666; font-size: .86rem; margin-left: .6rem; }
.qc-code dl { margin: .2rem 0 .6rem 1.3rem; font-size: .9rem; }
.qc-code dt { font-weight: 600; margin-top: .3rem; }
.qc-code dd { margin-left: 0; }
</style>
"""
def codebook_html(codes: list[tuple[tuple[str, ...], str | None, dict[str, str]]]) -> str:
    """The code tree as escaped HTML: indented, coloured, each code opening to its definitions."""
    parts = [_CODEBOOK_CSS]
    for path, colour, fields in codes:
        colour = safe_colour(colour)
        summary = fields.get("Definition", "")
        short = summary if len(summary) <= 90 else summary[:87].rstrip() + "…"
        parts.append(
            f'<details class="qc-code" style="margin-left:{1.4 * (len(path) - 1):.1f}rem">'
            f'<summary><span class="qc-swatch" style="background:{colour}"></span>'
            f'<span class="qc-name">{html.escape(path[-1])}</span>'
            f'<span class="qc-def">{html.escape(short)}</span></summary><dl>'
        )
        for label, value in fields.items():
            if value:
                parts.append(f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>")
        parts.append("</dl></details>")
    return "".join(parts)


def page_codebook(db: Database) -> None:
    st.header("Codebook")
    with db.session() as session:
        codes = [
            (path, code.colour, {"Definition": code.definition, "Use when": code.use_when,
                                 "Do not use when": code.do_not_use_when, "Example": code.example})
            for path, code in tree(session, db.project_id(session))
        ]
    if not codes:
        st.info("The codebook is empty: run `qualcode codebook import FILE`.")
        return
    query = st.text_input("Search codes", key="code_search", placeholder="name or definition")
    q = query.strip().lower()
    shown = [c for c in codes
             if not q or q in "/".join(c[0]).lower() or q in c[2]["Definition"].lower()]
    st.caption(f"{len(shown)} of {len(codes)} codes")
    st.html(codebook_html(shown))
    if may("codebook", db):
        with st.expander("Edit the codebook"):
            codebook_editor(db)


def page_import(db: Database) -> None:
    st.header("Import transcripts")
    exts = [e.lstrip(".") for e in SUPPORTED_EXTENSIONS]
    uploads = st.file_uploader("Transcripts", type=exts, accept_multiple_files=True, key="uploads")
    attributes = st.file_uploader("Participants CSV (optional)", type=["csv"], key="attributes_csv")
    replace = st.checkbox("Replace documents that are already imported", key="replace")
    if st.button("Import", type="primary", key="do_import", disabled=not uploads and not attributes):
        table = None
        if attributes is not None:
            try:
                table = parse_attributes(attributes.getvalue(), attributes.name)
            except AttributesError as exc:
                st.error(md_text(str(exc)))
                return
        files = [(f.name, f.getvalue()) for f in uploads or []]
        bar = st.progress(0.0, text="Importing…")
        result = import_files(
            db, files, replace=replace, actor=st.session_state.get("coder") or None,
            # On a shared server (accounts) a file that parses forever must not hold a replica.
            time_limit=PARSE_SECONDS if st.session_state.get("account") else None,
            progress=lambda d, t, n: bar.progress(d / t, text=f"{n} ({d}/{t})"),
        )
        bar.progress(1.0, text="Done")
        if table is not None:
            result.attributes = apply_attributes(db, table, filename=attributes.name,
                                                 actor=st.session_state.get("coder") or None)
        rows = [{"file": d.document, "result": "imported",
                 "detail": f"{d.turns} turns, {d.sentences} sentences; speakers: {', '.join(d.speakers)}",
                 "recognised": describe_recognised(d.recognised)}
                for d in result.imported]
        rows += [{"file": s["file"], "result": "skipped", "detail": s["reason"]} for s in result.skipped]
        rows += [{"file": e["file"], "result": "failed", "detail": e["error"]} for e in result.errors]
        st.session_state["import_result"] = rows
        st.session_state["import_attributes"] = result.attributes
    if "import_result" in st.session_state:
        rows = st.session_state["import_result"]
        failed = sum(r["result"] == "failed" for r in rows)
        (st.warning if failed else st.success)(
            f"{sum(r['result'] == 'imported' for r in rows)} imported, "
            f"{sum(r['result'] == 'skipped' for r in rows)} skipped, {failed} failed"
        )
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="import_table")
        if st.session_state.get("import_attributes"):
            st.json(json.loads(json.dumps(st.session_state["import_attributes"])), expanded=False)


NEW_CODER = "New coder…"


def _choose_coder(db: Database) -> None:
    """Pick or create the coder identity; kept in ``st.session_state["coder"]`` for every page.

    The widgets live in the sidebar of every page, so their values survive page changes.
    """
    with db.session() as session:
        names = list(session.scalars(
            select(Coder.name).where(Coder.project_id == db.project_id(session)).order_by(Coder.name)))
    linked = (st.session_state.pop("_url_coder", None) or "").strip()[:200]
    if linked:  # from the URL: a known coder is chosen, a new name (nothing coded yet) kept as new
        st.session_state["coder_pick"] = linked if linked in names else NEW_CODER
        if linked not in names:
            st.session_state["coder_new"] = linked
    if st.session_state.get("coder_pick") not in (*names, NEW_CODER, None):
        st.session_state.pop("coder_pick")  # e.g. a name of another project's coders
    choice = st.selectbox("Coding as", [*names, NEW_CODER], index=None, key="coder_pick",
                          placeholder="Choose your coder name")
    if choice == NEW_CODER:
        st.text_input("Your coder name", key="coder_new", max_chars=200)
        st.session_state["coder"] = (st.session_state.get("coder_new") or "").strip() or None
    else:
        st.session_state["coder"] = choice


def _daily_backup(db: Database) -> None:
    """The automatic daily SQLite backup; cheap when none is due (one folder listing)."""
    import sqlite3

    from qualcode.team.backup import auto_backup

    try:
        auto_backup(db)
    except (OSError, sqlite3.Error) as exc:
        st.warning(f"The automatic daily backup failed: {md_text(exc)}")


def _sign_in(db: Database) -> None:
    from qualcode.team.accounts import AccountError, login

    name = st.session_state.get("login_name", "")
    password = st.session_state.get("login_password", "")
    st.session_state["login_password"] = ""  # never kept in the session longer than needed
    try:
        st.session_state["login_token"] = login(db, name, password)
        st.session_state.pop("login_error", None)
    except AccountError as exc:
        st.session_state["login_error"] = str(exc)


def _sign_out(db: Database) -> None:
    """End the session and forget everything of it: prepared exports, selections, results.

    All of it, not just the name: whoever logs in next on this tab must not inherit a file
    built from the previous user's view of blind coding.
    """
    from qualcode.team.accounts import logout
    from qualcode.ui import session_cookie

    token = st.session_state.get("login_token")
    logout(db, token)  # ends it in every tab and on every replica
    message = st.session_state.get("login_error")
    for key in list(st.session_state):
        del st.session_state[key]
    if message:
        st.session_state["login_error"] = message
    # Over, like the cookie this tab connected with: the login page expires the cookie in the
    # browser and does not try it again (nor say "your session has ended" after a logout).
    session_cookie.end(token)


def _change_password(db: Database) -> None:
    from qualcode.team.accounts import AccountError, change_own_password

    new, again = st.session_state.get("pw_new", ""), st.session_state.get("pw_again", "")
    try:
        if new != again:
            raise AccountError("the two new passwords differ")
        change_own_password(db, st.session_state["account"], st.session_state.get("pw_current", ""), new)
    except AccountError as exc:
        st.session_state["pw_message"] = (str(exc), True)
    else:  # every session of the account ended, this one too: log in with the new password
        st.session_state["login_error"] = "Password changed; log in with the new one."
        _sign_out(db)
    for key in ("pw_current", "pw_new", "pw_again"):
        st.session_state[key] = ""


def _account_box(db: Database) -> None:
    from qualcode.ui import session_cookie

    role = f" ({current_role()})" if st.session_state.get("project") else ""
    st.markdown(f"Signed in as **{md_text(st.session_state['account'])}**{role}")
    st.button("Log out", on_click=_sign_out, args=(db,), key="logout")
    with st.expander("Change my password"):
        st.text_input("Current password", type="password", key="pw_current", max_chars=1024)
        st.text_input("New password", type="password", key="pw_new", max_chars=1024)
        st.text_input("New password again", type="password", key="pw_again", max_chars=1024)
        st.button("Change password", key="pw_change", on_click=_change_password, args=(db,))
        message = st.session_state.pop("pw_message", None)
        if message:
            st.error(md_text(message[0]))
    # The browser keeps the session for a reload, a new tab or a bookmark (qualcode.ui.session_cookie).
    session_cookie.keep(st.session_state["login_token"], st.session_state.get("login_max_age", 0))


def _login_gate(db: Database) -> None:
    """With accounts, show the login page until a valid session exists (then set ``account``,
    ``role`` and ``coder`` in the session state); in single-user mode do nothing.

    The check runs on every rerun, so an expired, logged-out or disabled session ends at the
    next click. Only a random token is kept in Streamlit's session state, never the password.
    A tab without one (a reload, a new tab, a bookmark, another replica) takes the token of
    the session cookie it connected with (``qualcode.ui.session_cookie``), checked the same way.
    """
    from qualcode.team.access import AccessDenied, actor
    from qualcode.team.accounts import has_accounts, session_info
    from qualcode.ui import session_cookie

    with db.session() as s:
        if not has_accounts(s):
            st.session_state.pop("account", None)
            st.session_state.pop("role", None)
            return
    token = st.session_state.get("login_token")
    if not token:  # a reload, a new tab, a bookmark or a failover: the browser's cookie, if any
        token = session_cookie.token()
    info = session_info(db, token)
    if info is not None:
        try:
            with db.session() as s:
                actor(s, None, info.name)  # an active account; its role comes with the project
        except AccessDenied as exc:
            _refuse(db, str(exc))
        st.session_state.update(login_token=token, login_max_age=info.max_age,
                                account=info.name, coder=info.name)
        return
    if token:  # there was a session (this tab's or the cookie's) and it is over
        st.session_state.pop("login_token", None)
        st.session_state.pop("login_max_age", None)
        session_cookie.end(token)
        st.session_state["login_error"] = "Your session has ended; log in again."
    for key in ("account", "role", "coder"):
        st.session_state.pop(key, None)
    st.title("qualcode")
    with st.form("login", border=True):
        st.subheader("Log in")
        st.text_input("Account", key="login_name", max_chars=200)
        st.text_input("Password", type="password", key="login_password", max_chars=1024)
        st.form_submit_button("Log in", type="primary", on_click=_sign_in, args=(db,))
    if st.session_state.get("login_error"):
        st.error(md_text(st.session_state["login_error"]))
    session_cookie.clear()  # the cookie of a session that is over goes too
    # No sidebar before login: after a logout Streamlit would keep an empty one open.
    st.html("<style>[data-testid=stSidebar],[data-testid=stSidebarCollapsedControl],"
            "[data-testid=stExpandSidebarButton]{display:none !important}</style>")
    st.stop()


def _refuse(db: Database, message: str) -> None:
    """Say why this account cannot go on (e.g. it belongs to no project) and offer to log out."""
    st.error(md_text(message))
    st.button("Log out", on_click=_sign_out, args=(db,), key="logout_denied")
    st.stop()


def _pages_for(role: str) -> dict:
    """The pages a role can use: viewers read and export; only owners import. An archived
    project is read-only: nobody gets Code or Import (the library refuses changes anyway)."""
    hidden = {"owner": set(), "coder": {"Import", "Members"},
              "viewer": {"Code", "Import", "Members"}}[role]
    if st.session_state.get("archived"):
        hidden = hidden | {"Code", "Import"}
    if not st.session_state.get("account"):
        hidden = hidden | {"Members"}  # single-user mode: accounts start on the command line
    return {name: page for name, page in PAGES.items() if name not in hidden}


#: The sidebar's sections, in order, and the pages of each (a page missing here goes to Project).
SECTIONS = {
    "Project": ["Home", "Documents", "Import", "Participants", "Projects"],
    "Code": ["Code", "Retrieve", "Transcript", "Codebook"],
    "Compare": ["Agreement"],
    "Analyse": ["Frequencies", "Co-occurrence", "Matrices", "Query", "Excerpts", "Themes"],
    "Share": ["Interchange", "Members"],
}


#: The sidebar's own widgets, drawn on every page: their values must survive a page switch.
_SIDEBAR_KEYS = ("coder_pick", "coder_new", "project_pick")


def _navigation(pages: dict, db: Database):
    """Streamlit's sectioned page menu over this person's pages, kept in step with
    ``st.session_state["page"]``: a click in the menu sets it, and code that sets it (Home's
    buttons, "open in Code", a bookmarked ``?page=``) switches the menu's page."""
    from qualcode.team.access import AccessDenied

    def runner(name: str):
        def run() -> None:
            try:
                pages[name](db)
            except AccessDenied as exc:  # the library refused: say why instead of a traceback
                st.error(md_text(exc))
        run.__name__ = "page_" + "".join(c if c.isalnum() else "_" for c in name.lower())
        return run

    landing = LANDING if LANDING in pages else next(iter(pages))
    placed = {name for names in SECTIONS.values() for name in names}
    sections = {section: [n for n in names if n in pages] for section, names in SECTIONS.items()}
    sections["Project"] += [n for n in pages if n not in placed]
    entries = {name: st.Page(runner(name), title=name, url_path=name.lower().replace(" ", "-"),
                             default=name == landing)
               for names in sections.values() for name in names}
    # Streamlit draws no menu (its sidebar menu puts <div>s inside a <ul>, which screen readers
    # and axe-core reject); _menu draws the same sections with page links, below the title.
    nav = st.navigation({section: [entries[n] for n in names] for section, names in sections.items() if names},
                        position="hidden")
    wanted, last = st.session_state.get("page"), st.session_state.get("_nav_page")
    if last is not None and nav.title != last:
        wanted = nav.title  # the reader chose a page in the menu
    elif wanted in entries and wanted != nav.title:
        st.session_state["_nav_page"] = wanted
        for key in _SIDEBAR_KEYS:  # a page switch forgets widget values; these are the person's
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
        st.switch_page(entries[wanted])  # ends this run; the next one runs the wanted page
    st.session_state["page"] = st.session_state["_nav_page"] = nav.title
    return nav, {section: [entries[n] for n in names] for section, names in sections.items() if names}


def _menu(sections: dict) -> None:
    """The page menu: each section's name, then a link per page (the open one marked)."""
    with st.container(key="menu", gap=None):
        for section, links in sections.items():
            st.markdown(f"**{section}**")
            for link in links:
                st.page_link(link, label=link.title)


#: Page-wide CSS. Streamlit draws a button's keyboard shortcut in a pale tint of the button's
#: colour: on a primary button that is 3:1, under WCAG AA's 4.5:1 (axe-core, tests).
_STYLE = ("<style>button[kind='primary'] kbd, [data-testid='stBaseButton-primary'] kbd "
          "{ color: #ffffff !important; opacity: 1 !important; }</style>")


def main() -> None:
    """Entry point used by ``app.py``."""
    st.set_page_config(page_title="qualcode", page_icon="🗂️", layout="wide")
    st.html(_STYLE)
    st.session_state.pop(home.PAGES_KEY, None)  # set again below once someone may see pages
    base = _database(resolve_url())  # one per process: the engine and its pool
    _load_sample_if_new(base)
    _daily_backup(base)
    _login_gate(base)
    _restore_from_url()
    projects.apply_pending_switch()
    db = projects.choose(base, lambda message: _refuse(base, message))  # the rerun's view, or None
    pages = _pages_for(current_role()) if db is not None else {projects.PAGE: projects.page_projects}
    if st.session_state.get("page") not in pages:
        st.session_state["page"] = None  # the menu's page (Home, or the one in the address)
    st.session_state[home.PAGES_KEY] = list(pages)  # Home offers buttons only to these
    nav, sections = _navigation(pages, db if db is not None else base)
    with st.sidebar:
        st.title("qualcode")
        projects.sidebar_picker()
        _menu(sections)
        if st.session_state.get("account"):
            _account_box(base)
        elif db is not None:
            _choose_coder(db)
        if db is not None and current_role() == "owner" and not st.session_state.get("archived"):
            _project_settings(db)
        st.caption(f"Database: {md_text(base.display_name)}")
    _save_to_url()
    nav.run()


#: URL parameter → session key it restores, so a reload or a shared link reopens the same place.
_URL_KEYS = {"page": "page", "project": "project", "coder": "_url_coder", "doc": "ws_document"}


def _restore_from_url() -> None:
    if st.session_state.get("_url_restored"):
        return
    st.session_state["_url_restored"] = True
    params = st.query_params
    if params.get("page") in PAGES:
        st.session_state["page"] = params["page"]
    for param, key in _URL_KEYS.items():
        if param != "page" and params.get(param):
            st.session_state[key] = params[param]


def _save_to_url() -> None:
    saved = {"page": "page", "project": "project", "coder": "coder",  # "coder": the effective name
             "doc": "ws_document"}
    wanted = {p: str(st.session_state[k]) for p, k in saved.items() if st.session_state.get(k)}
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def _toggle_blind(db: Database) -> None:
    from qualcode.team.access import default_actor
    from qualcode.team.settings import set_blind

    set_blind(db, bool(st.session_state.get("blind")),
              actor=st.session_state.get("coder") or default_actor())


def _toggle_codebook_editing(db: Database) -> None:
    from qualcode.team.access import default_actor
    from qualcode.team.settings import set_codebook_editing

    set_codebook_editing(db, bool(st.session_state.get("coders_edit_codebook")),
                         actor=st.session_state.get("coder") or default_actor())


def _project_settings(db: Database) -> None:
    from qualcode.team.settings import is_blind

    with st.expander("Project settings"):
        st.session_state["blind"] = is_blind(db)
        st.toggle("Independent (blind) coding", key="blind", on_change=_toggle_blind, args=(db,),
                  help="Each coder sees only their own codings in a document until they mark it done.")
        if st.session_state.get("account"):
            with db.session() as s:
                st.session_state["coders_edit_codebook"] = bool(
                    s.get(Project, db.project_id(s)).coders_edit_codebook)
            st.toggle("Coders may edit the codebook", key="coders_edit_codebook",
                      on_change=_toggle_codebook_editing, args=(db,),
                      help="Owners always may; viewers never do.")


#: Sidebar label → page function(db). Pages of other features live in their own modules of
#: this package and are added here.
PAGES = {
    "Documents": page_documents,
    "Transcript": page_transcript,
    "Codebook": page_codebook,
    "Import": page_import,
}

#: The page a fresh session opens on when the URL names none (the first page otherwise).
LANDING = home.PAGE

PAGES = {**home.PAGES, "Documents": page_documents, **workspace.PAGES,
         **{k: v for k, v in PAGES.items() if k != "Documents"}}
for _family in (participants, analysis, themes, agreement, interchange, members, projects):
    PAGES.update(_family.PAGES)
_IN_MENU = [name for names in SECTIONS.values() for name in names if name in PAGES]
PAGES = {name: PAGES[name] for name in [*_IN_MENU, *(n for n in PAGES if n not in _IN_MENU)]}  # menu order
