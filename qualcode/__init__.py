"""qualcode: code qualitative interviews, compare coders and analyse themes.

The package holds all the logic; ``app.py`` (Streamlit, via ``qualcode.ui``) and
``qualcode.cli`` are thin faces over it. See ARCHITECTURE.md.
"""

__version__ = "0.1.0"
