"""Streamlit pages for interchange."""

from __future__ import annotations

#: Sidebar label → page function(db), merged into qualcode.ui.PAGES.
PAGES: dict = {}
