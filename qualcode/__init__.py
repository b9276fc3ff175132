"""qualcode: code qualitative interviews, compare coders and analyse themes.

The package holds all the logic; ``app.py`` (Streamlit, via ``qualcode.ui``) and
``qualcode.cli`` are thin faces over it. See ARCHITECTURE.md.
"""

__version__ = "0.1.0"


def open(path_or_url=None, *, user=None, project=None, coding_set=None):  # noqa: A001 - qualcode.open(...) reads like the builtin on purpose
    """Open a project for analysis in a notebook: ``qualcode.open("qualcode.db")``, or one of
    several: ``qualcode.open(url, project="Pilot")`` (default ``$QUALCODE_PROJECT``).

    Returns :class:`qualcode.api.Project`, whose ``.frequencies()``, ``.cooccurrence()`` and
    ``.excerpts()`` give pandas DataFrames, on ``coding_set`` (``"consensus"``, ``"coder:NAME"``,
    ``"coders:A,B"``; default: see ``qualcode.analysis.data``). Imported lazily so the CLI starts fast.
    """
    from qualcode.api import open as _open

    return _open(path_or_url, user=user, project=project, coding_set=coding_set)
