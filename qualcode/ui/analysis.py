"""Streamlit pages for analysis."""

from __future__ import annotations

#: Sidebar label → page function(db), merged into qualcode.ui.PAGES.
PAGES: dict = {}
