"""What AppTest tests of the whole app share: choosing a page and reading which one is open.

The app's pages are in Streamlit's sectioned menu (``st.navigation``), which AppTest does not
show as a widget; the app keeps the open page in ``st.session_state["page"]`` and switches the
menu when it changes, so tests set and read that, as the app's own buttons do."""

from __future__ import annotations

import re


def open_page(at, name: str):
    """Open page ``name`` (as a click in the menu would) and run the app; returns ``at``."""
    at.session_state["page"] = name
    return at.run()


def current_page(at) -> str:
    """The page the last run showed."""
    return at.session_state["page"]


def page_names(at) -> list[str] | None:
    """The pages this person's menu offers, in order (None when there is no menu: the login
    form)."""
    return list(at.session_state["_pages"]) if "_pages" in at.session_state else None


def html_bodies(at) -> list[str]:
    """The bodies of the page's ``st.html`` elements, without the app's page-wide stylesheet."""
    return [h.proto.body for h in at.get("html") if not re.fullmatch(r"<style>[^<]*</style>", h.proto.body)]
