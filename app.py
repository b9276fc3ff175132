"""Streamlit entry point: `streamlit run app.py` (the app itself lives in qualcode.ui)."""

from qualcode.ui import main

# Streamlit runs this file as "__main__". The guard matters: an import's parse workers are
# `spawn` processes, which re-run the main script as "__mp_main__" and must not start the app.
if __name__ == "__main__":
    main()
