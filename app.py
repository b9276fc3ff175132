"""Streamlit entry point: `streamlit run app.py` (the app itself lives in qualcode.ui)."""

from qualcode.ui import main

main()
