"""A notebook-friendly face of qualcode: ``qualcode.open(path_or_url)`` → :class:`Project`.

    import qualcode
    p = qualcode.open("qualcode.db")
    p.frequencies(by="attribute:role")
    p.cooccurrence(unit="sentence", measure="jaccard")
    p.excerpts(code="Barriers/Immigration")

The project's data are read once (on first use) and reused; call :meth:`Project.refresh` after
the database changes, or :meth:`Project.filter` for a view limited to coders, documents or
attribute values.
"""

from __future__ import annotations

import os

import pandas as pd

from qualcode.analysis import cooccurrence as _co
from qualcode.analysis import excerpts as _ex
from qualcode.analysis import frequencies as _fr
from qualcode.analysis import matrices as _mx
from qualcode.analysis.data import ProjectData, load
from qualcode.store.db import PROJECT_ENV, Database


class Project:
    """One project of a qualcode database, for analysis (see the module docstring)."""

    def __init__(self, db: Database, **filters):
        self.db = db
        self._filters = filters
        self._data: ProjectData | None = None

    def __repr__(self) -> str:
        chosen = f", project={self.db.project!r}" if self.db.project is not None else ""
        return f"Project({self.db.display_name!r}{chosen}{', ' + repr(self._filters) if self._filters else ''})"

    @property
    def data(self) -> ProjectData:
        """The loaded tables (read on first use)."""
        if self._data is None:
            self._data = load(self.db, **self._filters)
        return self._data

    def refresh(self) -> Project:
        """Forget the loaded tables, so the next call reads the database again."""
        self._data = None
        return self

    def filter(self, *, coders=None, documents=None, attributes=None) -> Project:
        """A new view of the project limited to these coders, documents and attribute values."""
        return Project(self.db, coders=coders, documents=documents, attributes=attributes,
                       viewer=self._filters.get("viewer"))

    def frequencies(self, by: str | None = None, *, rollup: bool = True) -> pd.DataFrame:
        """See :func:`qualcode.analysis.frequencies.frequencies`."""
        return _fr.frequencies(self.data, by=by, rollup=rollup)

    def cooccurrence(self, unit: str = "overlap", measure: str = "count", **options) -> pd.DataFrame:
        """See :func:`qualcode.analysis.cooccurrence.cooccurrence`."""
        return _co.cooccurrence(self.data, unit=unit, measure=measure, **options)

    def excerpts(self, code: str | None = None, *, coder: str | None = None,
                 context: int | str = 100) -> pd.DataFrame:
        """See :func:`qualcode.analysis.excerpts.excerpts`."""
        return _ex.excerpts(self.data, code=code, coder=coder, context=context)

    def code_by_document(self, value: str = "codings") -> pd.DataFrame:
        """See :func:`qualcode.analysis.matrices.code_by_document`."""
        return _mx.code_by_document(self.data, value=value)

    def code_by_attribute(self, attribute: str, value: str = "codings") -> pd.DataFrame:
        """See :func:`qualcode.analysis.matrices.code_by_attribute`."""
        return _mx.code_by_attribute(self.data, attribute, value=value)

    def wide(self, unit: str = "sentence") -> pd.DataFrame:
        """See :func:`qualcode.analysis.excerpts.wide_form`."""
        return _ex.wide_form(self.data, unit=unit)


def open(path_or_url: str | os.PathLike | Database | None = None, *, user: str | None = None,
         project: str | int | None = None) -> Project:
    """Open a qualcode database (SQLite path or SQLAlchemy URL; default ``$QUALCODE_DB`` or
    ``./qualcode.db``) and return one of its projects for analysis.

    ``project`` (default ``$QUALCODE_PROJECT``, else the only project; a ``Database`` keeps its
    own choice): which study, by name or id; a database with several needs one.
    ``user`` (default ``$QUALCODE_USER``): whose view to load; a database with accounts needs
    one, and blind coding then limits the codings to what that account may see.
    """
    project = project if project is not None else os.environ.get(PROJECT_ENV) or None
    if isinstance(path_or_url, Database):
        db = path_or_url.use(project) if project is not None else path_or_url
    else:
        db = Database(path_or_url, project=project)
    return Project(db, viewer=user or os.environ.get("QUALCODE_USER") or None)

