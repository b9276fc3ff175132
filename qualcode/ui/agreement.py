"""Streamlit pages for agreement."""

from __future__ import annotations

#: Sidebar label → page function(db), merged into qualcode.ui.PAGES.
PAGES: dict = {}
