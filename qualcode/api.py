"""A notebook-friendly face of qualcode: ``qualcode.open(path_or_url)`` → :class:`Project`.

    import qualcode
    p = qualcode.open("qualcode.db")
    p.frequencies(by="attribute:role")
    p.cooccurrence(unit="sentence", measure="jaccard")
    p.excerpts(code="Barriers/Immigration")
    p.coding_set                      # whose codings are counted, and why (its .note)
    p.filter(coding_set="coder:ana").frequencies()

Every analysis runs on one coding set (``coding_set="consensus" | "coders:A,B" |
"coder:NAME"``, see :func:`qualcode.analysis.data.load`); without one the library chooses the
consensus layer when it covers every document in scope, else all coders as passages.

The project's data are read once (on first use) and reused; call :meth:`Project.refresh` after
the database changes, or :meth:`Project.filter` for a view on another coding set, or limited to
documents or attribute values.
"""

from __future__ import annotations

import os

import pandas as pd

from qualcode.analysis import cooccurrence as _co
from qualcode.analysis import excerpts as _ex
from qualcode.analysis import frequencies as _fr
from qualcode.analysis import matrices as _mx
from qualcode.analysis.data import CodingSet, ProjectData, load
from qualcode.store.db import PROJECT_ENV, Database


class Project:
    """One project of a qualcode database, for analysis (see the module docstring).

    ``filters`` are :func:`~qualcode.analysis.data.load`'s: ``coding_set``, ``coders`` (the
    older spelling of a set), ``documents``, ``attributes`` and ``viewer``.
    """

    def __init__(self, db: Database, *, coding_set: str | CodingSet | None = None, **filters):
        self.db = db
        if coding_set is not None:
            filters["coding_set"] = coding_set
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

    @property
    def coding_set(self) -> CodingSet:
        """The resolved coding set: ``kind``, ``coders``, ``label``, ``spec`` and, when the
        library chose it, ``note`` (why)."""
        return self.data.coding_set

    def refresh(self) -> Project:
        """Forget the loaded tables, so the next call reads the database again."""
        self._data = None
        return self

    def filter(self, *, coding_set: str | CodingSet | None = None, coders=None, documents=None,
               attributes=None) -> Project:
        """A new view of the project on this coding set (``"consensus"``, ``"coders:A,B"``,
        ``"coder:NAME"``; ``coders=[...]`` is the older spelling), limited to these documents
        and attribute values. Without a set the view chooses afresh (the default rule)."""
        return Project(self.db, coding_set=coding_set, coders=coders, documents=documents,
                       attributes=attributes, viewer=self._filters.get("viewer"))

    def frequencies(self, by: str | None = None, *, rollup: bool = True) -> pd.DataFrame:
        """See :func:`qualcode.analysis.frequencies.frequencies`."""
        return _fr.frequencies(self.data, by=by, rollup=rollup)

    def cooccurrence(self, unit: str = "overlap", measure: str = "count", **options) -> pd.DataFrame:
        """See :func:`qualcode.analysis.cooccurrence.cooccurrence`."""
        return _co.cooccurrence(self.data, unit=unit, measure=measure, **options)

    def excerpts(self, code: str | None = None, *, coder: str | None = None,
                 context: int | str = 100) -> pd.DataFrame:
        """See :func:`qualcode.analysis.excerpts.excerpts` (one row per passage). ``coder``:
        that coder's excerpts, also when the project's set does not include them (then read
        as ``coding_set="coder:NAME"``)."""
        data = self.data
        if coder is not None and coder not in data.coding_set.coders and coder in data.coders:
            data = self.filter(coding_set=f"coder:{coder}", documents=self._filters.get("documents"),
                               attributes=self._filters.get("attributes")).data
        return _ex.excerpts(data, code=code, coder=coder, context=context)

    def code_by_document(self, value: str = "passages") -> pd.DataFrame:
        """See :func:`qualcode.analysis.matrices.code_by_document`."""
        return _mx.code_by_document(self.data, value=value)

    def code_by_attribute(self, attribute: str, value: str = "passages") -> pd.DataFrame:
        """See :func:`qualcode.analysis.matrices.code_by_attribute`."""
        return _mx.code_by_attribute(self.data, attribute, value=value)

    def wide(self, unit: str = "sentence") -> pd.DataFrame:
        """See :func:`qualcode.analysis.excerpts.wide_form`."""
        return _ex.wide_form(self.data, unit=unit)


def open(path_or_url: str | os.PathLike | Database | None = None, *, user: str | None = None,
         project: str | int | None = None, coding_set: str | CodingSet | None = None) -> Project:
    """Open a qualcode database (SQLite path or SQLAlchemy URL; default ``$QUALCODE_DB`` or
    ``./qualcode.db``) and return one of its projects for analysis.

    ``project`` (default ``$QUALCODE_PROJECT``, else the only project; a ``Database`` keeps its
    own choice): which study, by name or id; a database with several needs one.
    ``user`` (default ``$QUALCODE_USER``): whose view to load; a database with accounts needs
    one, and blind coding then limits the codings to what that account may see.
    ``coding_set``: whose codings every analysis counts (``"consensus"``, ``"coders:A,B"``,
    ``"coder:NAME"``; default: the library's rule, see :attr:`Project.coding_set`).
    """
    project = project if project is not None else os.environ.get(PROJECT_ENV) or None
    if isinstance(path_or_url, Database):
        db = path_or_url.use(project) if project is not None else path_or_url
    else:
        db = Database(path_or_url, project=project)
    return Project(db, coding_set=coding_set, viewer=user or os.environ.get("QUALCODE_USER") or None)

