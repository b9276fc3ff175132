"""Choosing a project, and the Projects page: list, open, create, rename, describe, archive,
back up, delete.

The app's ``Database`` is one per process (an engine and its pool); each rerun works on a view
of it for the chosen project (``Database.use``), so every page and library call of the rerun
is on that project. The choice is the session key ``project`` (a name), mirrored in the URL as
``?project=`` like the page and the coder, so a reload or a shared link opens the same study.
Switching projects forgets everything the previous project left in the session (prepared
downloads, selections, results), as logging out does.

Everything goes through ``qualcode.project.projects``, which checks permissions again.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from qualcode.guards import md_text
from qualcode.project import projects as lifecycle
from qualcode.store.db import Database
from qualcode.team.access import AccessDenied

#: Session keys a project switch keeps (who is signed in, where they are); the rest is dropped.
KEEP_ON_SWITCH = {"login_token", "account", "coder", "coder_pick", "coder_new", "page", "project",
                  "_url_restored", "projects_show_archived", "projects_message"}
PAGE = "Projects"
_UPLOAD_TYPES = ["qdpx", "qde", "qdc", "sqlite3", "sqlite", "csv", "qda"]
_STARTS = ("Empty", "The sample project", "An import (REFI-QDA, Taguette or QualCoder file)")
NO_CODEBOOK = "(none)"


def _viewer() -> str | None:
    return st.session_state.get("account") or None


def _actor() -> str | None:
    from qualcode.team.access import default_actor

    return st.session_state.get("account") or st.session_state.get("coder") or default_actor()


def _say(message: str, error: bool = False) -> None:
    st.session_state["projects_message"] = (message, error)


def switch_to(name: str | None) -> None:
    """Open project ``name`` (None: none) from a callback: forget the previous project's state."""
    for key in list(st.session_state):
        if key not in KEEP_ON_SWITCH:
            del st.session_state[key]
    if name is None:
        st.session_state.pop("project", None)
    else:
        st.session_state["project"] = name


def apply_pending_switch() -> None:
    """A switch asked for by the page body (after the sidebar was drawn) happens here, at the
    start of the next rerun, before any widget exists."""
    if "_switch_to" in st.session_state:
        switch_to(st.session_state.pop("_switch_to"))


def _switch_later(name: str | None) -> None:
    st.session_state["_switch_to"] = name
    st.rerun()


def choose(base: Database, refuse) -> Database | None:
    """The view of ``base`` on the chosen project for this rerun, or None when none is chosen.

    The choice is ``st.session_state["project"]`` (from the URL or the picker) when the
    signed-in account may open it; else the only project it may open (archived ones aside).
    Sets ``role`` (with accounts) and ``archived`` in the session. An account that belongs to
    no project is told so by ``refuse(message)`` (which shows it with a log-out button and stops).
    """
    choices = lifecycle.accessible_projects(base, viewer=_viewer())
    st.session_state["_project_choices"] = choices
    wanted = st.session_state.get("project")
    chosen = next((c for c in choices if c.name == wanted), None)
    if wanted and chosen is None:
        _say(f"There is no project {wanted!r} that you may open; choose one below.", error=True)
        st.session_state.pop("project", None)
    if chosen is None:
        active = [c for c in choices if not c.archived]
        if len(choices) == 1:
            chosen = choices[0]
        elif len(active) == 1:
            chosen = active[0]
    if not choices and st.session_state.get("account"):
        refuse(f"account {st.session_state['account']!r} is not a member of this project "
               "or of any other yet; an owner or admin can add them (Members page)")
    if chosen is None:  # nothing open: only the Projects page (no role until one is open)
        st.session_state.pop("role", None)
        st.session_state["archived"] = False
        return None
    st.session_state["project"] = chosen.name
    st.session_state["archived"] = chosen.archived
    if st.session_state.get("account"):
        st.session_state["role"] = chosen.role
    return base.use(chosen.id)


def _pick() -> None:
    switch_to(st.session_state.get("project_pick"))


def sidebar_picker() -> None:
    """The project selector at the top of the sidebar (shown when there is a choice to make)."""
    choices = st.session_state.get("_project_choices") or []
    current = st.session_state.get("project")
    names = [c.name for c in choices if not c.archived or c.name == current]
    if len(names) <= 1 and current:
        st.caption(md_text(current) + (" · archived (read-only)" if st.session_state.get("archived") else ""))
        return
    if current in names:  # a project is open: no empty choice (nothing to clear)
        st.session_state["project_pick"] = current
        st.selectbox("Project", names, key="project_pick", on_change=_pick)
    else:
        st.session_state["project_pick"] = None
        st.selectbox("Project", names, key="project_pick", index=None, on_change=_pick,
                     placeholder="Choose a project")
    if st.session_state.get("archived"):
        st.caption("Archived: read-only")


# -- the page ------------------------------------------------------------------------------------


def page_projects(db: Database) -> None:
    """List the projects you belong to, open one, create one, and manage the current one.

    ``db``: the rerun's view on the open project, or the process's Database when none is open.
    """
    base = db.use(None)
    db = db if db.project is not None else None
    st.header(PAGE)
    message = st.session_state.pop("projects_message", None)
    if message:
        (st.error if message[1] else st.success)(md_text(message[0]))
    show_archived = st.toggle("Show archived projects", key="projects_show_archived")
    try:
        rows = lifecycle.list_projects(base, viewer=_viewer(), archived=show_archived)
    except AccessDenied as exc:
        st.error(md_text(exc))
        return
    if rows:
        table = pd.DataFrame([{
            "project": r.name, "description": r.description, "documents": r.documents,
            "codings": r.codings, "coders": r.coders,
            "last change": r.last_change.strftime("%Y-%m-%d %H:%M") if r.last_change else "",
            "your role": r.role, "archived": r.archived} for r in rows])
        st.dataframe(table, hide_index=True, width="stretch", key="projects_table")
        names = [r.name for r in rows]
        current = st.session_state.get("project")
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        left.selectbox("Open a project", names, key="projects_open",
                       index=names.index(current) if current in names else 0)
        right.button("Open", key="projects_open_button", type="primary",
                     on_click=lambda: switch_to(st.session_state.get("projects_open")))
    else:
        st.info("No projects yet." if not show_archived else "No projects.")
    if db is None:
        st.info("Choose a project to work on: the picker in the sidebar, or Open above.")
    _create_form(base, [r.name for r in rows if not r.archived])
    if db is not None and st.session_state.get("role", "owner") == "owner":
        _manage(db)


def _may_create(base: Database) -> bool:
    with base.session() as s:
        try:
            lifecycle.require_create(s, _actor())
        except AccessDenied:
            return False
    return True


def _create_form(base: Database, names: list[str]) -> None:
    if not _may_create(base):
        return
    with st.expander("Create a project", expanded=not names):
        with st.form("project_create", border=False, clear_on_submit=True):
            st.text_input("Name", key="pc_name", max_chars=lifecycle.MAX_NAME)
            st.text_area("Description (optional)", key="pc_description", max_chars=lifecycle.MAX_DESCRIPTION,
                         height=80)
            st.radio("Start with", _STARTS, key="pc_start")
            st.file_uploader("Project file to import (for “An import”)", type=_UPLOAD_TYPES,
                             key="pc_upload")
            st.selectbox("Copy the codebook of", [NO_CODEBOOK, *names], key="pc_codebook",
                         help="The new project starts with a copy of that project's code tree "
                              "(names, colours, definitions); its codings stay where they are.")
            submitted = st.form_submit_button("Create project", type="primary")
        if submitted:
            _create(base)


def _create(base: Database) -> None:
    from qualcode.refi.model import RefiError
    from qualcode.refi.store import import_project_file

    name = st.session_state.get("pc_name", "")
    start = st.session_state.get("pc_start", _STARTS[0])
    upload = st.session_state.get("pc_upload")
    codebook = st.session_state.get("pc_codebook")
    actor = _actor()
    if start == _STARTS[2] and upload is None:
        st.error("Choose the project file to import first.")
        return
    with tempfile.TemporaryDirectory() as tmp:
        fill = None
        if start == _STARTS[2]:
            target = Path(tmp) / Path(upload.name).name
            target.write_bytes(upload.getvalue())

            def fill(view):
                return import_project_file(view, target, actor=actor)
        try:
            with st.spinner(f"Creating {md_text(name.strip())}…"):
                out = lifecycle.create_project(
                    base, name, description=st.session_state.get("pc_description", ""),
                    sample=start == _STARTS[1], fill=fill, actor=actor,
                    codebook_from=None if codebook in (None, NO_CODEBOOK) else codebook)
        except (lifecycle.ProjectError, AccessDenied, RefiError, OSError) as exc:
            st.error(md_text(f"{exc}; no project was created"))
            return
    p = out["project"]
    _say(f"Project {p['name']} created ({p['documents']} documents, {p['codings']} codings); it is open now.")
    _switch_later(p["name"])


def _run(action, *args, success: str | None = None, **kwargs):
    try:
        result = action(*args, actor=_actor(), **kwargs)
    except (lifecycle.ProjectError, AccessDenied) as exc:
        _say(str(exc), error=True)
        return None
    if success:
        _say(success)
    return result


def _rename(db: Database) -> None:
    new = _run(lifecycle.rename_project, db, st.session_state.get("pm_name", ""),
               success="Project renamed.")
    if new:
        switch_to(new)


def _describe(db: Database) -> None:
    _run(lifecycle.describe_project, db, st.session_state.get("pm_description", ""),
         success="Description saved.")


def _archive(db: Database, archived: bool) -> None:
    _run(lifecycle.archive_project, db, archived,
         success="Project archived: it is read-only now." if archived else "Project unarchived.")


def _backup(db: Database) -> None:
    out = _run(lifecycle.backup_project, db)
    if out:
        st.session_state["pm_backup"] = out
        _say(f"Backed up to {out['output']} on the server ({out['bytes']:,} bytes).")


def _delete(db: Database, name: str) -> None:
    out = _run(lifecycle.delete_project, db, confirm=st.session_state.get("pm_confirm", ""))
    if out:
        switch_to(None)
        _say(f"Project {name} deleted. Its backup is {out['backup']} on the server "
             "(`qualcode project restore FILE` brings it back).")


def _manage(db: Database) -> None:
    with db.session() as s:
        from qualcode.store.models import Project

        project = s.get(Project, db.project_id(s, create=False))
        name, description, archived = project.name, project.description or "", bool(project.archived)
    with st.expander(f"Manage this project: {md_text(name)}"):
        if not archived:
            st.session_state.setdefault("pm_name", name)
            r1, r2 = st.columns([3, 1])
            r1.text_input("Name", key="pm_name", max_chars=lifecycle.MAX_NAME)
            r2.button("Rename", key="pm_rename", on_click=_rename, args=(db,))
            st.session_state.setdefault("pm_description", description)
            st.text_area("Description", key="pm_description", max_chars=lifecycle.MAX_DESCRIPTION, height=80)
            st.button("Save description", key="pm_describe", on_click=_describe, args=(db,))
            st.button("Archive (read-only, hidden from the list)", key="pm_archive",
                      on_click=_archive, args=(db, True))
        else:
            st.button("Unarchive", key="pm_unarchive", on_click=_archive, args=(db, False))
        st.button("Back up this project", key="pm_backup_button", on_click=_backup, args=(db,))
        saved = st.session_state.get("pm_backup")
        if saved and Path(saved["output"]).exists():
            st.download_button("Download the backup", Path(saved["output"]).read_bytes(),
                               file_name=Path(saved["output"]).name, key="pm_backup_download")
        st.divider()
        st.markdown("**Delete this project** — every document, coding and memo in it. A backup "
                    "of it is written on the server first.")
        typed = st.text_input(f"Type {md_text(name)} to confirm", key="pm_confirm",
                              max_chars=lifecycle.MAX_NAME)
        st.button("Delete project", key="pm_delete", type="primary", disabled=typed != name,
                  on_click=_delete, args=(db, name))


PAGES: dict = {PAGE: page_projects}
