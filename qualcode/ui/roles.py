"""The signed-in person's role, for showing or hiding controls (the library checks again)."""

from __future__ import annotations

import streamlit as st

from qualcode.store.db import Database


def current_role() -> str:
    """The signed-in account's role (owner, coder or viewer); ``owner`` in single-user mode."""
    return st.session_state.get("role") or "owner"


def may(permission: str, db: Database) -> bool:
    """Whether the signed-in user's role allows ``permission`` (always, in single-user mode).

    Only for showing or hiding controls: the library checks again on every change.
    """
    from qualcode.team.access import actor

    if not st.session_state.get("account"):
        return True
    with db.session() as s:
        return actor(s, db.project_id(s), st.session_state["account"]).allows(permission)


def still_signed_in(db: Database) -> bool:
    """Whether this tab's session is still valid (always, in single-user mode).

    The app checks the session at the top of every full run (``_login_gate``); a fragment's
    rerun skips that, so a fragment that changes data asks here first and, when the answer is
    no, reruns the whole app, which shows the login page.
    """
    from qualcode.team.accounts import session_info

    if not st.session_state.get("account"):
        return True
    return session_info(db, st.session_state.get("login_token")) is not None
