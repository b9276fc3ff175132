"""The Members page (owners, when the database has accounts): who is in this project, in which
role; new accounts; passwords.

Accounts are server-wide (one password per person); roles are per project, so an owner adds
people to *their* project here (any account, or a new one) and an admin does so in every project.
Making admins, and another person's password or disabling them when they also work in projects
this owner does not own, are for admins. Everything goes through ``qualcode.team.accounts``,
which checks again; this page only collects the input and shows the outcome.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.guards import md_text
from qualcode.team import accounts
from qualcode.team.access import AccessDenied
from qualcode.store.db import Database


def _me() -> str | None:
    return st.session_state.get("account")


def _say(message: str, error: bool = False) -> None:
    st.session_state["members_message"] = (message, error)


def _try(action, *args, success: str, clear: tuple[str, ...] = (), **kwargs) -> None:
    try:
        action(*args, actor=_me(), **kwargs)
    except (accounts.AccountError, AccessDenied) as exc:
        _say(str(exc), error=True)
    else:
        _say(success)
    for key in clear:  # passwords never stay in the session, whatever happened
        st.session_state[key] = ""


def _add(db: Database) -> None:
    name = st.session_state.get("mem_new_name", "").strip()
    first, second = st.session_state.get("mem_new_pw", ""), st.session_state.get("mem_new_pw2", "")
    if first != second:
        _say("the two passwords differ; type the same password twice", error=True)
        st.session_state["mem_new_pw"] = st.session_state["mem_new_pw2"] = ""
        return
    _try(accounts.add_account, db, name, first, role=st.session_state.get("mem_new_role", "coder"),
         success=f"account {name} created", clear=("mem_new_pw", "mem_new_pw2"))


def _role(db: Database) -> None:
    name, role = st.session_state.get("mem_who"), st.session_state.get("mem_role")
    _try(accounts.set_role, db, name, None if role == "none" else role,
         success=f"{name} is now {role}")


def _password(db: Database) -> None:
    name = st.session_state.get("mem_who")
    _try(accounts.set_password, db, name, st.session_state.get("mem_pw", ""),
         success=f"password of {name} changed; their sessions ended", clear=("mem_pw",))


def _disable(db: Database, disabled: bool) -> None:
    name = st.session_state.get("mem_who")
    _try(accounts.set_disabled, db, name, disabled,
         success=f"{name} {'disabled' if disabled else 'enabled'}")


def _is_admin(db: Database) -> bool:
    from qualcode.team.access import is_admin

    with db.session() as s:
        return is_admin(s, _me())


def page_members(db: Database) -> None:
    st.header("Members")
    st.caption(f"Roles in project {md_text(st.session_state.get('project') or '')}; accounts are "
               "shared by every project on this server.")
    admin = _is_admin(db)
    roles = ["coder", "viewer", "owner", "admin"] if admin else ["coder", "viewer", "owner"]
    views = accounts.list_accounts(db)
    st.dataframe(pd.DataFrame([{"account": v.name, "role": v.role or "(not a member)",
                                "disabled": v.disabled} for v in views]),
                 hide_index=True, width="stretch", key="members_table")
    message = st.session_state.pop("members_message", None)
    if message:
        (st.error if message[1] else st.success)(message[0])
    left, right = st.columns(2)
    with left.form("mem_add", clear_on_submit=False):
        st.subheader("Add an account")
        st.text_input("Name", key="mem_new_name", max_chars=200)
        st.selectbox("Role", roles, key="mem_new_role")
        st.text_input("Password", type="password", key="mem_new_pw", max_chars=1024)
        st.text_input("Password again", type="password", key="mem_new_pw2", max_chars=1024)
        st.form_submit_button("Add", on_click=_add, args=(db,), type="primary")
    with right:
        st.subheader("Change an account")
        st.selectbox("Account", [v.name for v in views], key="mem_who")
        r1, r2 = st.columns([2, 1])
        r1.selectbox("Role", [*roles, "none"], key="mem_role")
        r2.button("Set role", key="mem_set_role", on_click=_role, args=(db,))
        p1, p2 = st.columns([2, 1])
        p1.text_input("New password", type="password", key="mem_pw", max_chars=1024)
        p2.button("Set password", key="mem_set_pw", on_click=_password, args=(db,))
        d1, d2 = st.columns(2)
        d1.button("Disable", key="mem_disable", on_click=_disable, args=(db, True))
        d2.button("Enable", key="mem_enable", on_click=_disable, args=(db, False))


PAGES: dict = {"Members": page_members}
