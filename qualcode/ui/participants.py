"""The Participants page: participants × attributes, and groupings of an attribute's values.

Everyone who may read the project sees the table and the groupings; those who may change
attributes (owners; everyone in single-user mode) also get the form that builds a grouping
(choose the attribute, type a group for each of its values, name the new attribute, save), a
Re-apply and a Remove button per grouping, and Undo/Redo while their latest action is a
grouping. Everything goes through :mod:`qualcode.project.attribute_groups`, which checks again;
this page collects the input and shows the outcome.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.coding import undo
from qualcode.guards import md_text
from qualcode.project import attribute_groups as groups
from qualcode.store.db import Database
from qualcode.team.access import AccessDenied, default_actor
from qualcode.ui.roles import may

PAGE = "Participants"
#: An attribute with more distinct values than this is grouped with a mapping file instead.
MAX_FORM_VALUES = 60


def _actor() -> str:
    return st.session_state.get("coder") or default_actor()


def _say(message: str, error: bool = False, where: str = "groupings") -> None:
    # shown beside what was clicked: under Groupings, or above the form's Save button
    st.session_state["pt_message"] = (message, error, where)


def _try(action, *args, where: str = "groupings", **kwargs):
    try:
        return action(*args, **kwargs)
    except (groups.GroupingError, undo.EditConflict, AccessDenied) as exc:
        _say(str(exc), error=True, where=where)
        return None


def _show_message(where: str) -> None:
    message = st.session_state.get("pt_message")
    if message and message[2] == where:
        del st.session_state["pt_message"]
        (st.error if message[1] else st.success)(md_text(message[0]))


def _summary(view: dict) -> str:
    return "; ".join(f"{g['name']} {g['participants']}" for g in view["groups"])


# -- callbacks (run before the script) -------------------------------------------------------------


def _save(db: Database, source: str, values: list[str]) -> None:
    mapping = {}
    for value in values:
        group = (st.session_state.get(map_key(source, value)) or "").strip()
        if group:
            mapping[value] = group
    other = (st.session_state.get("pt_other") or "").strip() or None
    name = st.session_state.get("pt_name") or ""
    view = _try(groups.group_attribute, db, source, name, mapping, other=other, actor=_actor(), where="form")
    if view is not None:
        _say(f"Made {view['name']!r} from {view['source']}: {_summary(view)}. Undo takes it back.", where="form")
        st.session_state["pt_name"] = ""


def _regroup(db: Database, name: str) -> None:
    view = _try(groups.regroup, db, name, actor=_actor())
    if view is not None:
        _say(f"Re-applied {name!r}: {view['changed']} participant(s) changed.")


def _ungroup(db: Database, name: str) -> None:
    view = _try(groups.ungroup, db, name, actor=_actor())
    if view is not None:
        _say(f"Removed {name!r} (grouped from {view['source']}). Undo brings it back.")


def _undo(db: Database, redo: bool = False) -> None:
    said = _try(undo.redo if redo else undo.undo, db, _actor())
    if said is not None:
        _say(said + ".")


# -- the page -----------------------------------------------------------------------------------------


def map_key(source: str, value: str) -> str:
    """The session key of the group typed for ``value`` of ``source`` (one box per pair, so
    switching attributes never carries groups over)."""
    return f"pt_map::{source}::{value}"


def _grouping_steps(db: Database) -> tuple[str | None, str | None]:
    """(undo description, redo description) when the actor's next undo/redo is a grouping."""
    entries = undo.history(db, _actor())
    done = [e for e in entries if not e.undone]
    undone = [e for e in entries if e.undone]
    nxt_undo = done[-1] if done and done[-1].kind in groups.KINDS else None
    nxt_redo = undone[0] if undone and undone[0].kind in groups.KINDS else None
    return (nxt_undo.description if nxt_undo else None, nxt_redo.description if nxt_redo else None)


def _table(db: Database) -> None:
    table = groups.participant_table(db, viewer=st.session_state.get("coder") or None)
    if not table["rows"]:
        st.info("No participants yet: import a participants CSV on the Import page "
                "(or `qualcode import --attributes FILE`).")
        return
    frame = pd.DataFrame([{"participant": r["participant"], "documents": ", ".join(r["documents"]),
                           **r["values"]} for r in table["rows"]],
                         columns=["participant", "documents", *table["attributes"]]).fillna("")
    st.dataframe(frame, hide_index=True, width="stretch", key="pt_table")


def _undo_buttons(db: Database) -> None:
    said_undo, said_redo = _grouping_steps(db)
    if said_undo or said_redo:
        with st.container(horizontal=True):
            st.button(f"Undo: {md_text(said_undo)}" if said_undo else "Undo", key="pt_undo",
                      on_click=_undo, args=(db,), disabled=said_undo is None)
            st.button(f"Redo: {md_text(said_redo)}" if said_redo else "Redo", key="pt_redo",
                      on_click=_undo, args=(db, True), disabled=said_redo is None)


def _groupings(db: Database, editable: bool) -> None:
    found = groups.list_groupings(db, viewer=st.session_state.get("coder") or None)
    st.subheader("Groupings")
    if editable:
        _show_message("groupings")
        _undo_buttons(db)
    if not found:
        st.caption("None yet. A grouping makes a new attribute from another one's values, e.g. "
                   "role → stakeholder group; tables and exports then use it like any attribute.")
    for i, view in enumerate(found):
        st.markdown(f"**{md_text(view['name'])}** ← {md_text(view['source'])} "
                    f"({view['participants']} participants)")
        st.dataframe(pd.DataFrame([{"group": g["name"], "participants": g["participants"],
                                    "values": ", ".join(g["values"])} for g in view["groups"]]),
                     hide_index=True, width="stretch", key=f"pt_grouping_{i}")
        if view["stale"]:
            st.warning(f"{view['stale']} participant(s) no longer follow this grouping (participants "
                       "were added or their values changed since): Re-apply brings it up to date.")
        if editable:
            with st.container(horizontal=True):
                st.button("Re-apply", key=f"pt_regroup_{i}", on_click=_regroup, args=(db, view["name"]),
                          help="Group the current values again with this mapping")
                st.button("Remove", key=f"pt_ungroup_{i}", on_click=_ungroup, args=(db, view["name"]),
                          help="Remove this attribute and its values (Undo brings them back)")


def _form(db: Database) -> None:
    attributes = groups.list_attributes(db, viewer=st.session_state.get("coder") or None)
    st.subheader("Group values into a new attribute")
    if not attributes:
        st.caption("Import participants' attributes first.")
        return
    names = [a["name"] for a in attributes]
    source = st.selectbox("Attribute to group", names, key="pt_source",
                          index=names.index("role") if "role" in names else 0)
    values = list(next(a for a in attributes if a["name"] == source)["values"].items())
    if len(values) > MAX_FORM_VALUES:
        st.info(f"This attribute has {len(values)} different values, too many to group one by one here; "
                "use a mapping file: `qualcode attributes group NAME --from ATTRIBUTE --map-file FILE`.")
        return
    st.text_input("Name of the new attribute", key="pt_name", placeholder=f"e.g. {source} group")
    st.caption("Type a group for each value; values that belong together get the same group.")
    columns = st.columns(2)
    for i, (value, count) in enumerate(values):
        columns[i % 2].text_input(f"{md_text(value)} · {count} participant{'s' if count != 1 else ''}",
                                  key=map_key(source, value))
    st.text_input("Group for every value left empty (optional)", key="pt_other",
                  help="Without it, a value left empty is refused and named, so none is dropped by mistake.")
    _show_message("form")
    st.button("Save grouping", key="pt_save", type="primary", on_click=_save,
              args=(db, source, [v for v, _n in values]))


def page_participants(db: Database) -> None:
    """Participants × attributes; groupings, and (for those who may) the form that makes one."""
    st.header(PAGE)
    st.caption("Each participant's attributes (from the participants CSV, plus the groupings made "
               "here). Analyses filter and group by any of them.")
    editable = may("manage", db) and not st.session_state.get("archived")
    _table(db)
    _groupings(db, editable)
    if editable:
        _form(db)


#: Sidebar label → page function(db), merged into qualcode.ui.PAGES.
PAGES: dict = {PAGE: page_participants}
