"""Editing the codebook in the app: add, rename, move, merge, delete, colours and definitions.

Every action goes through ``qualcode.coding.codebook_edit`` (logged, undoable from the workspace's
Undo). A delete first says how many codings, documents and coders it touches and asks for that
number to be confirmed; nothing a coder did is lost silently.
"""

from __future__ import annotations

import streamlit as st

from qualcode.coding import codebook_edit
from qualcode.team.access import AccessDenied
from qualcode.team.access import default_actor
from qualcode.project.codes import paths_by_id, tree
from qualcode.store.db import Database
from qualcode.team.settings import is_blind
from qualcode.guards import md_text

TOP = "(top level)"
ADD, EDIT = "Add a code", "Edit a code"
TAB = "cb_tab"  # the session key of the chosen tab


def _actor() -> str:
    return (st.session_state.get("coder") or "").strip() or default_actor()


def _say(message: str, error: bool = False) -> None:
    st.session_state["cb_message"] = (message, error)


def _do(action, *args, success: str, clear: tuple[str, ...] = (), **kwargs):
    """Run one codebook action; its result, or None when it was refused (and said why)."""
    try:
        result = action(*args, actor=_actor(), **kwargs)
    except (ValueError, LookupError, AccessDenied) as exc:
        _say(str(exc), error=True)
        return None
    for key in clear:
        st.session_state.pop(key, None)
    _say(success)
    return result


def _stay_on(path: str | None) -> None:
    """After an action of the Edit tab: stay on that tab, with ``path`` selected (the code now
    being edited: the same one, under its new name or place, or where its codings went), and
    forget the typed delete confirmation, which was for the code shown before."""
    st.session_state[TAB] = EDIT
    if path:
        st.session_state["cb_edit_path"] = path
    st.session_state.pop("cb_delete_confirm", None)


def _add(db: Database) -> None:
    name = (st.session_state.get("cb_add_name") or "").strip()
    parent = st.session_state.get("cb_add_parent")
    _do(codebook_edit.create_code, db, name, parent=None if parent in (None, TOP) else parent,
        colour=st.session_state.get("cb_add_colour"),
        definition=st.session_state.get("cb_add_definition", ""),
        success=f"Code {name!r} added.", clear=("cb_add_name", "cb_add_definition"))


def _loaded_version() -> int | None:
    """The code's version when its fields were loaded into the form: a save made from it is
    refused if someone else changed the code meanwhile (never a silent overwrite)."""
    return st.session_state.get("cb_edit_version")


def _reload_form() -> None:
    st.session_state.pop("cb_edit_loaded", None)


def _save(db: Database, path: str, code_id: int) -> None:
    fields = {f: st.session_state.get(f"cb_edit_{f}", "") for f in
              ("definition", "use_when", "do_not_use_when", "example")}
    new_name = (st.session_state.get("cb_edit_name") or "").strip()
    try:
        view = codebook_edit.update_code(db, code_id, colour=st.session_state.get("cb_edit_colour"),
                                         actor=_actor(), expected_version=_loaded_version(), **fields)
        if new_name and new_name != path.split("/")[-1]:
            view = codebook_edit.rename_code(db, code_id, new_name, actor=_actor(),
                                             expected_version=view.version)
    except (ValueError, LookupError, AccessDenied) as exc:
        _say(str(exc), error=True)
        with db.session() as s:  # keep the same code selected, under its current name
            current = paths_by_id(s, db.project_id(s)).get(code_id)
        if current:
            st.session_state["cb_edit_path"] = current
    else:
        _say(f"{view.path} saved.")
        st.session_state["cb_edit_path"] = view.path
    _stay_on(st.session_state.get("cb_edit_path"))
    _reload_form()  # show what is stored now (theirs, after a conflict)


def _move(db: Database, path: str, code_id: int) -> None:
    parent = st.session_state.get("cb_move_parent")
    view = _do(codebook_edit.move_code, db, code_id, None if parent in (None, TOP) else parent,
               expected_version=_loaded_version(),
               success=f"{path.split('/')[-1]} moved under {parent}.")
    _stay_on(view.path if view else path)
    _reload_form()


def _merge(db: Database, path: str, code_id: int) -> None:
    target = st.session_state.get("cb_merge_target")
    if not target:
        _say("Choose the code to merge into.", error=True)
        _stay_on(path)
        return
    done = _do(codebook_edit.merge_codes, db, code_id, target, expected_version=_loaded_version(),
               success=f"{path} merged into {target}.")
    _stay_on(done["target"] if done else path)  # the merged code is gone: show where it went
    st.session_state.pop("cb_merge_target", None)
    _reload_form()


def _delete(db: Database, path: str, count: int) -> None:
    typed = st.session_state.get("cb_delete_confirm")
    if typed != count:
        _say(f"Type {count} to confirm deleting {path} and its codings.", error=True)
        st.session_state[TAB] = EDIT
        return
    done = _do(codebook_edit.delete_code, db, path, confirm=count,
               success=f"{path} deleted ({count} codings).")
    # the code is gone: its parent (or the first code) is shown, with its own numbers
    _stay_on(path.rpartition("/")[0] if done else path)
    _reload_form()


def codebook_editor(db: Database) -> None:
    """The editing panel under the code tree."""
    message = st.session_state.pop("cb_message", None)
    if message:
        (st.error if message[1] else st.success)(md_text(message[0]))
    with db.session() as session:
        codes = {"/".join(p): c for p, c in tree(session, db.project_id(session))}
    paths = list(codes)
    if st.session_state.get("cb_edit_path") not in (*paths, None):
        st.session_state.pop("cb_edit_path")  # gone (changed elsewhere): the first code is shown
    # Tabs that keep their choice in the session (TAB), so an action reruns on the same tab.
    add, edit = st.tabs([ADD, EDIT], key=TAB, on_change="rerun")
    with add:
        st.text_input("Name", key="cb_add_name")
        st.selectbox("Parent", [TOP, *paths], key="cb_add_parent")
        st.color_picker("Colour", value="#4e79a7", key="cb_add_colour")
        st.text_area("Definition", key="cb_add_definition")
        st.button("Add code", key="cb_do_add", on_click=_add, args=(db,), type="primary")
    with edit:
        if not paths:
            st.info("No codes yet.")
            return
        path = st.selectbox("Code", paths, key="cb_edit_path")
        code = codes[path]
        # Widgets keyed by the code so that choosing another code shows its own values.
        for key, value in (("name", code.name), ("colour", code.colour or "#999999"),
                           ("definition", code.definition), ("use_when", code.use_when),
                           ("do_not_use_when", code.do_not_use_when), ("example", code.example)):
            if st.session_state.get("cb_edit_loaded") != path:
                st.session_state[f"cb_edit_{key}"] = value
        if st.session_state.get("cb_edit_loaded") != path:
            st.session_state["cb_edit_version"] = code.version
            st.session_state.pop("cb_delete_confirm", None)  # typed for another code
        st.session_state["cb_edit_loaded"] = path
        st.text_input("Name", key="cb_edit_name")
        st.color_picker("Colour", key="cb_edit_colour")
        st.text_area("Definition", key="cb_edit_definition")
        st.text_area("Use when", key="cb_edit_use_when")
        st.text_area("Do not use when", key="cb_edit_do_not_use_when")
        st.text_area("Example", key="cb_edit_example")
        # By id, not path: a code renamed by someone else meanwhile is still this code, and
        # its version tells that it changed.
        st.button("Save", key="cb_do_save", on_click=_save, args=(db, path, code.id), type="primary")
        others = [p for p in paths if p != path and not p.startswith(path + "/")]
        st.divider()
        st.selectbox("Move under", [TOP, *others], key="cb_move_parent")
        st.button("Move", key="cb_do_move", on_click=_move, args=(db, path, code.id))
        st.selectbox("Merge into", others, index=None, key="cb_merge_target",
                     help="Its codings move to the target; identical duplicates collapse.")
        st.button("Merge", key="cb_do_merge", on_click=_merge, args=(db, path, code.id))
        # The counts you may see (blind coding); delete_code confirms against the same number.
        usage = codebook_edit.code_usage(db, path, viewer=_actor())
        hidden = (" Blind coding is on: these are the codings you may see; other coders' codings "
                  "of these codes are removed too." if is_blind(db) else "")
        st.warning(f"Deleting {md_text(path)} removes {usage['children']} codes below it and "
                   f"{usage['codings']} codings in {usage['documents']} documents by "
                   f"{usage['coders']} coders (Undo in the workspace restores them).{hidden}")
        st.number_input(f"Type {usage['codings']} to confirm", min_value=0, step=1, value=None,
                        key="cb_delete_confirm")
        st.button("Delete", key="cb_do_delete", on_click=_delete, args=(db, path, usage["codings"]))
